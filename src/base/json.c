/* JSON output: string escaping and a writer that places separators. */
#include <portalis/base.h>

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>

/* Length of the valid UTF-8 sequence starting at s (lead byte >= 0x80), or 0
 * when it is not one (overlong forms, surrogates and values past U+10FFFF
 * are invalid). */
static int utf8_len(const unsigned char *s) {
    unsigned c = s[0];
    int n = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
    if (!n) return 0;
    unsigned lo = 0x80, hi = 0xbf; /* allowed range of the second byte */
    if (c == 0xe0) lo = 0xa0;
    if (c == 0xed) hi = 0x9f;
    if (c == 0xf0) lo = 0x90;
    if (c == 0xf4) hi = 0x8f;
    if (s[1] < lo || s[1] > hi) return 0;
    for (int i = 2; i < n; i++)
        if ((s[i] & 0xc0) != 0x80) return 0;
    return n;
}

void pbase_json_string(FILE *out, const char *str) {
    const unsigned char *s = (const unsigned char *)str;
    fputc('"', out);
    while (*s) {
        unsigned c = *s;
        int n;
        if (c == '"' || c == '\\') {
            fputc('\\', out);
            fputc((int)c, out);
        } else if (c == '\n') {
            fputs("\\n", out);
        } else if (c == '\t') {
            fputs("\\t", out);
        } else if (c == '\r') {
            fputs("\\r", out);
        } else if (c < 0x20 || c == 0x7f) {
            fprintf(out, "\\u%04x", c);
        } else if (c < 0x80) {
            fputc((int)c, out);
        } else if ((n = utf8_len(s)) > 0) {
            fwrite(s, 1, (size_t)n, out);
            s += n;
            continue;
        } else {
            fputs("\\ufffd", out);
        }
        s++;
    }
    fputc('"', out);
}

void pbase_json_init(pbase_json *j, FILE *out) { *j = (pbase_json){.out = out}; }

static void indent(pbase_json *j, int depth) {
    fputc('\n', j->out);
    for (int i = 0; i < depth; i++) fputs("  ", j->out);
    j->newline = false;
}

/* Before any value or key: the separator from the previous element. */
static void separate(pbase_json *j) {
    if (j->after_key) {
        j->after_key = false;
        return;
    }
    if (j->depth <= 0) return;
    bool *ne = &j->nonempty[j->depth < PBASE_JSON_MAX_DEPTH ? j->depth : PBASE_JSON_MAX_DEPTH - 1];
    if (*ne) fputc(',', j->out);
    if (j->newline)
        indent(j, j->depth);
    else if (*ne)
        fputc(' ', j->out);
    *ne = true;
}

static void open_container(pbase_json *j, char c) {
    separate(j);
    fputc(c, j->out);
    j->depth++;
    if (j->depth < PBASE_JSON_MAX_DEPTH) j->nonempty[j->depth] = false;
}

static void close_container(pbase_json *j, char c) {
    j->depth--;
    if (j->newline) indent(j, j->depth);
    fputc(c, j->out);
}

void pbase_json_begin_object(pbase_json *j) { open_container(j, '{'); }
void pbase_json_end_object(pbase_json *j) { close_container(j, '}'); }
void pbase_json_begin_array(pbase_json *j) { open_container(j, '['); }
void pbase_json_end_array(pbase_json *j) { close_container(j, ']'); }
void pbase_json_newline(pbase_json *j) { j->newline = true; }

void pbase_json_key(pbase_json *j, const char *key) {
    separate(j);
    pbase_json_string(j->out, key);
    fputs(": ", j->out);
    j->after_key = true;
}

void pbase_json_str(pbase_json *j, const char *s) {
    separate(j);
    if (s)
        pbase_json_string(j->out, s);
    else
        fputs("null", j->out);
}

void pbase_json_int(pbase_json *j, int64_t v) {
    separate(j);
    fprintf(j->out, "%" PRId64, v);
}

void pbase_json_uint(pbase_json *j, uint64_t v) {
    separate(j);
    fprintf(j->out, "%" PRIu64, v);
}

/* The shortest of %.15g and %.17g that reads back as the same double. */
void pbase_json_double(pbase_json *j, double v) {
    separate(j);
    if (!isfinite(v)) {
        fputs("null", j->out);
        return;
    }
    char buf[32];
    if (v == trunc(v) && fabs(v) < 1e15 && (v != 0 || !signbit(v))) {
        /* an integer: what %.15g writes, without formatting a double */
        fprintf(j->out, "%" PRId64, (int64_t)v);
        return;
    }
    snprintf(buf, sizeof buf, "%.15g", v);
    if (strtod(buf, NULL) != v) snprintf(buf, sizeof buf, "%.17g", v);
    fputs(buf, j->out);
}

void pbase_json_bool(pbase_json *j, bool v) {
    separate(j);
    fputs(v ? "true" : "false", j->out);
}

void pbase_json_null(pbase_json *j) {
    separate(j);
    fputs("null", j->out);
}

void pbase_json_number_text(pbase_json *j, const char *text) {
    separate(j);
    fputs(text, j->out);
}

void pbase_json_kv_str(pbase_json *j, const char *key, const char *v) {
    pbase_json_key(j, key);
    pbase_json_str(j, v);
}

void pbase_json_kv_int(pbase_json *j, const char *key, int64_t v) {
    pbase_json_key(j, key);
    pbase_json_int(j, v);
}

void pbase_json_kv_uint(pbase_json *j, const char *key, uint64_t v) {
    pbase_json_key(j, key);
    pbase_json_uint(j, v);
}

void pbase_json_kv_double(pbase_json *j, const char *key, double v) {
    pbase_json_key(j, key);
    pbase_json_double(j, v);
}

void pbase_json_kv_bool(pbase_json *j, const char *key, bool v) {
    pbase_json_key(j, key);
    pbase_json_bool(j, v);
}
