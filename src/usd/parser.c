/* The .usda reader: a single-pass recursive-descent parser working directly
 * on the file bytes (no token objects). Values go straight into contiguous
 * typed buffers in the layer arena; strings that repeat (names, tokens,
 * type names, keys) are interned. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

#define MAX_DEPTH 200

typedef struct P {
    const char *buf, *p, *end;
    pusd_layer *l;
    pusd_error *err;
    int failed;
    int depth;
    char *scr; /* scratch for arrays */
    size_t scap;
    sbuf sb; /* scratch for strings */
    pusd_value last_small[PUSD_T_COUNT_]; /* dedupe of repeated small values */
    const char *rel_base; /* mmap release bookkeeping */
    size_t rel_done;
    int can_release;
} P;

/* ---- errors ------------------------------------------------------------------ */

static void pos_of(P *ps, const char *at, int *line, int *col) {
    int ln = 1;
    const char *ls = ps->buf;
    if (at > ps->end) at = ps->end;
    for (const char *q = ps->buf; q < at; q++)
        if (*q == '\n') {
            ln++;
            ls = q + 1;
        }
    /* column in characters (UTF-8 continuation bytes not counted) */
    int c = 1;
    for (const char *q = ls; q < at; q++)
        if (((unsigned char)*q & 0xc0) != 0x80) c++;
    *line = ln;
    *col = c;
}

static const char *describe(P *ps, const char *at, char *buf, size_t size) {
    if (at >= ps->end) return "end of file";
    if (*at == '\n' || *at == '\r') return "end of line";
    size_t n = 0;
    const char *q = at;
    while (q < ps->end && n < 20 && *q != '\n' && *q != '\r') {
        q++;
        n++;
        if (n == 1 && !(((unsigned char)at[0] >= 0x80) || (at[0] >= 'a' && at[0] <= 'z') || (at[0] >= 'A' && at[0] <= 'Z') || at[0] == '_' || (at[0] >= '0' && at[0] <= '9'))) break;
        if (!(((unsigned char)q[-1] >= 0x80) || (q[-1] >= 'a' && q[-1] <= 'z') || (q[-1] >= 'A' && q[-1] <= 'Z') || q[-1] == '_' || (q[-1] >= '0' && q[-1] <= '9') || q[-1] == ':' || q[-1] == '.'))
            break;
        if (q < ps->end && !(((unsigned char)*q >= 0x80) || (*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || *q == '_' || (*q >= '0' && *q <= '9') || *q == ':' || *q == '.'))
            break;
    }
    snprintf(buf, size, "'%.*s'", (int)n, at);
    return buf;
}

__attribute__((format(printf, 3, 4))) static int fail(P *ps, const char *at, const char *fmt, ...) {
    if (ps->failed) return -1;
    ps->failed = 1;
    if (!ps->err) return -1;
    int line, col;
    pos_of(ps, at, &line, &col);
    ps->err->status = PUSD_ERR_SYNTAX;
    snprintf(ps->err->file, sizeof ps->err->file, "%s", ps->l->identifier);
    ps->err->line = line;
    ps->err->column = col;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ps->err->message, sizeof ps->err->message, fmt, ap);
    va_end(ap);
    return -1;
}

static int expected(P *ps, const char *what) {
    char b[64];
    return fail(ps, ps->p, "expected %s, found %s", what, describe(ps, ps->p, b, sizeof b));
}

static int oom(P *ps) { return fail(ps, ps->p, "out of memory"); }

/* ---- lexical helpers ----------------------------------------------------------- */

static inline void skip_inline(P *ps) {
    const char *p = ps->p, *e = ps->end;
    for (;;) {
        while (p < e && (*p == ' ' || *p == '\t' || *p == '\r')) p++;
        if (p >= e) break;
        if (*p == '#' || (*p == '/' && p + 1 < e && p[1] == '/')) {
            while (p < e && *p != '\n') p++;
            continue;
        }
        if (*p == '/' && p + 1 < e && p[1] == '*') {
            const char *q = p + 2;
            while (q + 1 < e && !(q[0] == '*' && q[1] == '/')) q++;
            if (q + 1 >= e) {
                ps->p = p;
                fail(ps, p, "unterminated /* comment");
                ps->p = e;
                return;
            }
            p = q + 2;
            continue;
        }
        if (*p == '\\' && p + 1 < e && (p[1] == '\n' || (p[1] == '\r' && p + 2 < e && p[2] == '\n'))) {
            p += p[1] == '\n' ? 2 : 3; /* line continuation */
            continue;
        }
        break;
    }
    ps->p = p;
}

static inline void skip_ws(P *ps) {
    for (;;) {
        skip_inline(ps);
        if (ps->p < ps->end && *ps->p == '\n') {
            ps->p++;
            continue;
        }
        return;
    }
}

static inline bool is_id0(unsigned char c) { return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80; }
static inline bool is_id1(unsigned char c) { return is_id0(c) || (c >= '0' && c <= '9'); }

/* Validates one UTF-8 sequence at p; returns its length or 0. */
static int utf8_len(const char *p, const char *e) {
    unsigned char c = (unsigned char)*p;
    int n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (!n || e - p < n) return 0;
    for (int i = 1; i < n; i++)
        if (((unsigned char)p[i] & 0xc0) != 0x80) return 0;
    return n;
}

static const char *scan_ident(P *ps, const char *p) {
    const char *e = ps->end;
    if (p >= e || !is_id0((unsigned char)*p)) return p;
    while (p < e && is_id1((unsigned char)*p)) {
        if ((unsigned char)*p >= 0x80) {
            int n = utf8_len(p, e);
            if (!n) return p;
            p += n;
        } else
            p++;
    }
    return p;
}

/* Reads an identifier; returns length (0 if none). */
static size_t read_ident(P *ps, const char **s) {
    const char *q = scan_ident(ps, ps->p);
    *s = ps->p;
    size_t n = (size_t)(q - ps->p);
    ps->p = q;
    return n;
}

/* Namespaced identifier a:b:c */
static size_t read_nsident(P *ps, const char **s) {
    const char *st = ps->p, *q = scan_ident(ps, ps->p);
    if (q == st) {
        *s = st;
        return 0;
    }
    while (q + 1 < ps->end && *q == ':' && is_id0((unsigned char)q[1])) q = scan_ident(ps, q + 1);
    *s = st;
    ps->p = q;
    return (size_t)(q - st);
}

static bool word_is(const char *s, size_t n, const char *w) { return strlen(w) == n && !memcmp(s, w, n); }

static bool peek_word(P *ps, const char *w) {
    size_t n = strlen(w);
    return (size_t)(ps->end - ps->p) >= n && !memcmp(ps->p, w, n) &&
           (ps->p + n == ps->end || !is_id1((unsigned char)ps->p[n]));
}

static int expect_char(P *ps, char c, const char *what) {
    if (ps->p < ps->end && *ps->p == c) {
        ps->p++;
        return 0;
    }
    return expected(ps, what);
}

/* After a statement: newline or ';' (or the closing delimiter) must follow. */
static int end_stmt(P *ps, char close, const char *what) {
    skip_inline(ps);
    if (ps->failed) return -1;
    if (ps->p >= ps->end) return 0;
    if (*ps->p == '\n' || *ps->p == ';') {
        ps->p++;
        return 0;
    }
    if (close && *ps->p == close) return 0;
    char b[64];
    return fail(ps, ps->p, "expected a newline or ';' after %s, found %s", what, describe(ps, ps->p, b, sizeof b));
}

static void *scratch(P *ps, size_t bytes) {
    if (bytes > ps->scap) {
        size_t nc = ps->scap ? ps->scap : 4096;
        while (nc < bytes) nc *= 2;
        char *n = realloc(ps->scr, nc);
        if (!n) return NULL;
        ps->scr = n;
        ps->scap = nc;
    }
    return ps->scr;
}

/* ---- strings, assets, paths ---------------------------------------------------- */

static int hexv(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Reads a quoted string; result in ps->sb (NUL-terminated, may contain NULs). */
static int read_string_sb(P *ps) {
    const char *p = ps->p, *e = ps->end;
    if (p >= e || (*p != '"' && *p != '\'')) return expected(ps, "a quoted string");
    char q = *p;
    bool triple = e - p >= 3 && p[1] == q && p[2] == q;
    p += triple ? 3 : 1;
    ps->sb.len = 0;
    if (ps->sb.p) ps->sb.p[0] = 0;
    const char *run = p;
    for (;;) {
        if (p >= e) {
            ps->p = p;
            return fail(ps, ps->p, "unterminated string (started with %s)", triple ? (q == '"' ? "\"\"\"" : "'''") : (q == '"' ? "\"" : "'"));
        }
        char c = *p;
        if (c == q && (!triple || (e - p >= 3 && p[1] == q && p[2] == q))) {
            pusd__sb_put(&ps->sb, run, (size_t)(p - run));
            p += triple ? 3 : 1;
            break;
        }
        if (c == '\n' && !triple) {
            ps->p = p;
            return fail(ps, p, "newline in a single-quoted string; use \"\"\" for multi-line strings or write \\n");
        }
        if (c == '\\') {
            pusd__sb_put(&ps->sb, run, (size_t)(p - run));
            p++;
            if (p >= e) continue;
            char x = *p++;
            char out;
            switch (x) {
            case 'a': out = '\a'; break;
            case 'b': out = '\b'; break;
            case 'f': out = '\f'; break;
            case 'n': out = '\n'; break;
            case 'r': out = '\r'; break;
            case 't': out = '\t'; break;
            case 'v': out = '\v'; break;
            case 'x': {
                int v = 0, k = 0;
                while (k < 2 && p < e && hexv(*p) >= 0) v = v * 16 + hexv(*p++), k++;
                if (!k) {
                    ps->p = p;
                    return fail(ps, p - 2, "\\x escape needs 1 or 2 hex digits");
                }
                out = (char)v;
                break;
            }
            default:
                if (x >= '0' && x <= '7') {
                    int v = x - '0', k = 1;
                    while (k < 3 && p < e && *p >= '0' && *p <= '7') v = v * 8 + (*p++ - '0'), k++;
                    out = (char)v;
                } else
                    out = x; /* \\ \' \" and any other char stand for themselves */
            }
            pusd__sb_putc(&ps->sb, out);
            run = p;
            continue;
        }
        p++;
    }
    ps->p = p;
    if (ps->sb.oom) return oom(ps);
    if (!ps->sb.p) pusd__sb_put(&ps->sb, "", 0);
    return 0;
}

static const char *read_string(P *ps, bool interned) {
    if (read_string_sb(ps)) return NULL;
    const char *s = interned ? pusd__intern(&ps->l->strings, &ps->l->arena, ps->sb.p, ps->sb.len)
                             : pusd__ar_strndup(&ps->l->arena, ps->sb.p, ps->sb.len);
    if (!s) oom(ps);
    return s;
}

static const char *read_asset(P *ps) {
    const char *p = ps->p, *e = ps->end;
    if (p >= e || *p != '@') {
        expected(ps, "an asset path @...@");
        return NULL;
    }
    ps->sb.len = 0;
    if (e - p >= 3 && p[1] == '@' && p[2] == '@') {
        p += 3;
        for (;;) {
            if (p >= e || *p == '\n' || *p == 0) {
                fail(ps, ps->p, "unterminated asset path @@@ (asset paths cannot span lines or contain NUL)");
                return NULL;
            }
            if (*p == '\\' && e - p >= 4 && p[1] == '@' && p[2] == '@' && p[3] == '@') {
                pusd__sb_puts(&ps->sb, "@@@");
                p += 4;
                continue;
            }
            if (e - p >= 3 && p[0] == '@' && p[1] == '@' && p[2] == '@') {
                /* 3 to 5 closing @: extra leading @ belong to the path */
                int k = 0;
                while (p + k < e && p[k] == '@') k++;
                if (k > 5) {
                    fail(ps, p, "too many '@' closing an @@@ asset path");
                    return NULL;
                }
                pusd__sb_put(&ps->sb, p, (size_t)(k - 3));
                p += k;
                break;
            }
            pusd__sb_putc(&ps->sb, *p++);
        }
    } else {
        p++;
        const char *s = p;
        while (p < e && *p != '@' && *p != '\n' && *p != 0) p++;
        if (p >= e || *p != '@') {
            fail(ps, ps->p, "unterminated asset path (missing closing '@')");
            return NULL;
        }
        pusd__sb_put(&ps->sb, s, (size_t)(p - s));
        p++;
    }
    ps->p = p;
    if (!ps->sb.p) pusd__sb_put(&ps->sb, "", 0);
    const char *r = pusd__ar_strndup(&ps->l->arena, ps->sb.p, ps->sb.len);
    if (!r) oom(ps);
    return r;
}

/* Reads <path>. no_variant: variant selections are an error here. */
static const char *read_path(P *ps, bool no_variant, const char *what) {
    const char *p = ps->p, *e = ps->end;
    if (p >= e || *p != '<') {
        expected(ps, "a path <...>");
        return NULL;
    }
    const char *s = ++p;
    while (p < e && *p != '>' && *p != '\n') p++;
    if (p >= e || *p != '>') {
        fail(ps, ps->p, "unterminated path (missing closing '>')");
        return NULL;
    }
    for (const char *q = s; q < p; q++) {
        if (*q == '{' && no_variant) {
            fail(ps, q, "variant selections are not allowed in %s paths", what);
            return NULL;
        }
        if (*q == ' ' || *q == '\t') {
            fail(ps, q, "whitespace is not allowed inside a path");
            return NULL;
        }
    }
    const char *r = pusd__ar_strndup(&ps->l->arena, s, (size_t)(p - s));
    if (!r) oom(ps);
    ps->p = p + 1;
    return r;
}

/* ---- numbers -------------------------------------------------------------------------- */

static int parse_int(P *ps, int elem, int type, void *dst) {
    const char *p = ps->p, *e = ps->end;
    bool neg = false;
    if (p < e && *p == '-') neg = true, p++;
    if (p >= e || *p < '0' || *p > '9') return expected(ps, "an integer");
    uint64_t v = 0;
    bool ovf = false;
    while (p < e && *p >= '0' && *p <= '9') {
        uint64_t d = (uint64_t)(*p - '0');
        if (v > (UINT64_MAX - d) / 10) ovf = true;
        v = v * 10 + d;
        p++;
    }
    if (p < e && (*p == '.' || *p == 'e' || *p == 'E')) {
        /* allow integral floats like 1.0 / 1e3 */
        double d;
        const char *q = pusd__parse_double_fast(ps->p, e, &d);
        if (!q || d != floor(d) || fabs(d) > 9.2e18) return fail(ps, ps->p, "expected an integer value for %s, found a fractional number", pusd_tinfo(type)->name);
        p = q;
        neg = d < 0;
        v = (uint64_t)fabs(d);
    }
    const char *name = pusd_tinfo(type)->name;
    if (type == PUSD_T_BOOL) {
        if (neg || v > 1) return fail(ps, ps->p, "expected a bool (true, false, 1 or 0)");
        *(uint8_t *)dst = (uint8_t)v;
        ps->p = p;
        return 0;
    }
    switch (elem) {
    case PUSD_E_U8:
        if (ovf || neg || v > 255) return fail(ps, ps->p, "value out of range for %s (0..255)", name);
        *(uint8_t *)dst = (uint8_t)v;
        break;
    case PUSD_E_I32:
        if (ovf || (neg ? v > 2147483648ull : v > 2147483647ull)) return fail(ps, ps->p, "value out of range for %s (32-bit signed)", name);
        *(int32_t *)dst = neg ? (int32_t)(-(int64_t)v) : (int32_t)v;
        break;
    case PUSD_E_U32:
        if (ovf || (neg && v) || v > 4294967295ull) return fail(ps, ps->p, "value out of range for %s (32-bit unsigned)", name);
        *(uint32_t *)dst = (uint32_t)v;
        break;
    case PUSD_E_I64:
        if (ovf || (neg ? v > 9223372036854775808ull : v > 9223372036854775807ull)) return fail(ps, ps->p, "value out of range for %s (64-bit signed)", name);
        *(int64_t *)dst = neg ? (int64_t)(0 - v) : (int64_t)v;
        break;
    case PUSD_E_U64:
        if (ovf || (neg && v)) return fail(ps, ps->p, "value out of range for %s (64-bit unsigned)", name);
        *(uint64_t *)dst = v;
        break;
    default: return fail(ps, ps->p, "internal: bad integer kind");
    }
    ps->p = p;
    return 0;
}

static int parse_real(P *ps, int elem, void *dst) {
    const char *q;
    if (elem == PUSD_E_FLOAT) q = pusd__parse_float_fast(ps->p, ps->end, dst);
    else {
        double d;
        q = pusd__parse_double_fast(ps->p, ps->end, &d);
        if (q) {
            if (elem == PUSD_E_DOUBLE) *(double *)dst = d;
            else *(uint16_t *)dst = pusd_float_to_half((float)d);
        }
    }
    if (!q) return expected(ps, "a number");
    ps->p = q;
    return 0;
}

static int parse_bool(P *ps, uint8_t *dst) {
    const char *s = ps->p;
    if (s < ps->end && (*s == '-' || (*s >= '0' && *s <= '9'))) return parse_int(ps, PUSD_E_U8, PUSD_T_BOOL, dst);
    size_t n = read_ident(ps, &s);
    if (n == 4 && !strncasecmp(s, "true", 4)) *dst = 1;
    else if (n == 3 && !strncasecmp(s, "yes", 3)) *dst = 1;
    else if (n == 5 && !strncasecmp(s, "false", 5)) *dst = 0;
    else if (n == 2 && !strncasecmp(s, "no", 2)) *dst = 0;
    else {
        ps->p = s;
        return expected(ps, "a bool (true, false, 1 or 0)");
    }
    return 0;
}

/* ---- typed values ---------------------------------------------------------------------- */

static int parse_scalar_comp(P *ps, int type, int elem, void *dst) {
    switch (elem) {
    case PUSD_E_U8:
        if (type == PUSD_T_BOOL) return parse_bool(ps, dst);
        /* fallthrough */
    case PUSD_E_I32: case PUSD_E_U32: case PUSD_E_I64: case PUSD_E_U64:
        return parse_int(ps, elem, type, dst);
    case PUSD_E_HALF: case PUSD_E_FLOAT: case PUSD_E_DOUBLE:
        return parse_real(ps, elem, dst);
    case PUSD_E_STR: {
        const char *s;
        if (type == PUSD_T_ASSET) {
            if (ps->p < ps->end && *ps->p != '@') return expected(ps, "an asset path @...@");
            s = read_asset(ps);
        } else
            s = read_string(ps, type == PUSD_T_TOKEN);
        if (!s) return -1;
        *(const char **)dst = s;
        return 0;
    }
    default: return fail(ps, ps->p, "%s values cannot be authored", pusd_tinfo(type)->name);
    }
}

/* One element (scalar, tuple or matrix) into dst. */
static int parse_elem(P *ps, int type, void *dst) {
    const type_info *ti = pusd_tinfo(type);
    if (ti->shape == 0) return parse_scalar_comp(ps, type, ti->elem, dst);
    size_t es = pusd_elem_size(ti->elem);
    char *d = dst;
    const char *open = ps->p;
    if (expect_char(ps, '(', ti->shape == 2 ? "'(' starting a matrix" : "'(' starting a tuple")) return -1;
    if (ti->shape == 2) {
        for (int r = 0; r < ti->dim; r++) {
            skip_ws(ps);
            if (r) {
                if (ps->p < ps->end && *ps->p == ')') return fail(ps, open, "%s needs %d rows", ti->name, ti->dim);
                if (expect_char(ps, ',', "',' between matrix rows")) return -1;
                skip_ws(ps);
            }
            const char *ro = ps->p;
            if (expect_char(ps, '(', "'(' starting a matrix row")) return -1;
            for (int c = 0; c < ti->dim; c++) {
                skip_ws(ps);
                if (c) {
                    if (ps->p < ps->end && *ps->p == ')') return fail(ps, ro, "%s rows need %d values", ti->name, ti->dim);
                    if (expect_char(ps, ',', "','")) return -1;
                    skip_ws(ps);
                }
                if (parse_real(ps, ti->elem, d + es * (size_t)(r * ti->dim + c))) return -1;
            }
            skip_ws(ps);
            if (ps->p < ps->end && *ps->p == ',') {
                ps->p++;
                skip_ws(ps);
            }
            if (ps->p < ps->end && *ps->p != ')') return fail(ps, ro, "%s rows need %d values", ti->name, ti->dim);
            ps->p++;
        }
    } else {
        for (int c = 0; c < ti->ncomp; c++) {
            skip_ws(ps);
            if (c) {
                if (ps->p < ps->end && *ps->p == ')')
                    return fail(ps, open, "%s needs %d components, found %d", ti->name, ti->ncomp, c);
                if (expect_char(ps, ',', "','")) return -1;
                skip_ws(ps);
            }
            if (parse_scalar_comp(ps, type, ti->elem, d + es * (size_t)c)) return -1;
        }
    }
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == ',') {
        ps->p++;
        skip_ws(ps);
    }
    if (ps->p >= ps->end || *ps->p != ')')
        return fail(ps, open, "%s needs %d %s; found more or a missing ')'", ti->name, ti->shape == 2 ? ti->dim : ti->ncomp,
                    ti->shape == 2 ? "rows" : "components");
    ps->p++;
    return 0;
}

/* Scalars equal to the previous scalar of the same type share its storage
 * (e.g. kind = "component" on 100 000 prims). Arena values are never
 * modified in place, so sharing is safe. */
static void dedupe(P *ps, pusd_value *v, size_t esz) {
    pusd_value *last = &ps->last_small[v->type];
    if (esz <= 32 && last->data && last->flags == v->flags && last->count == 1 && !memcmp(last->data, v->data, esz)) {
        /* give the just-allocated bytes back when they are the arena's last allocation */
        arena_block *b = ps->l->arena.head;
        if (b && (const char *)v->data + esz == b->data + b->used) b->used = (size_t)((const char *)v->data - b->data);
        v->data = last->data;
    } else if (esz <= 32)
        *last = *v;
}

/* Parses a value of type (array if is_array) into out (arena storage). */
static int parse_value(P *ps, int type, bool is_array, pusd_value *out) {
    const type_info *ti = pusd_tinfo(type);
    size_t esz = pusd_elem_size(ti->elem) * ti->ncomp;
    out->type = (uint16_t)type;
    out->flags = is_array ? PUSD_VF_ARRAY : 0;
    if (!esz) return fail(ps, ps->p, "%s attributes cannot have an authored value", ti->name);
    if (++ps->depth > MAX_DEPTH) return fail(ps, ps->p, "values nested too deeply");
    if (!is_array) {
        size_t es1 = pusd_elem_size(ti->elem);
        void *d = pusd__ar_alloc_al(&ps->l->arena, esz, es1 < 8 ? es1 : 8);
        if (!d) return oom(ps);
        if (parse_elem(ps, type, d)) return -1;
        out->count = 1;
        out->data = d;
        ps->depth--;
        dedupe(ps, out, esz);
        return 0;
    }
    if (ps->p >= ps->end || *ps->p != '[') return fail(ps, ps->p, "expected '[' starting a %s[] array, found %s", ti->name, ps->p >= ps->end ? "end of file" : (char[]){'\'', *ps->p, '\'', 0});
    ps->p++;
    size_t n = 0;
    for (;;) {
        skip_ws(ps);
        if (ps->failed) return -1;
        if (ps->p < ps->end && *ps->p == ']') break;
        if (n) {
            if (expect_char(ps, ',', "',' or ']' in array")) return -1;
            skip_ws(ps);
            if (ps->p < ps->end && *ps->p == ']') break;
        }
        char *s = scratch(ps, (n + 1) * esz);
        if (!s) return oom(ps);
        if (parse_elem(ps, type, s + n * esz)) return -1;
        n++;
        if (n > UINT32_MAX - 1) return fail(ps, ps->p, "array too long");
    }
    ps->p++;
    out->count = (uint32_t)n;
    ps->depth--;
    if (n * esz <= 32 && ps->last_small[type].data && ps->last_small[type].flags == out->flags &&
        ps->last_small[type].count == n && !memcmp(ps->last_small[type].data, ps->scr, n * esz)) {
        out->data = ps->last_small[type].data; /* values are immutable: share */
        return 0;
    }
    void *d = pusd__ar_alloc(&ps->l->arena, n ? n * esz : 1);
    if (!d) return oom(ps);
    if (n) memcpy(d, ps->scr, n * esz);
    out->data = d;
    if (n * esz <= 32) ps->last_small[type] = *out;
    return 0;
}

/* ---- generic values (unregistered metadata), kept as raw text --------------------- */

static int skip_atom_or_group(P *ps) {
    if (++ps->depth > MAX_DEPTH) return fail(ps, ps->p, "values nested too deeply");
    const char *p = ps->p, *e = ps->end;
    if (p >= e) return expected(ps, "a value");
    char c = *p;
    if (c == '"' || c == '\'') {
        if (read_string_sb(ps)) return -1;
    } else if (c == '@') {
        if (!read_asset(ps)) return -1;
    } else if (c == '<') {
        if (!read_path(ps, false, "")) return -1;
    } else if (c == '(' || c == '[' || c == '{') {
        char close = c == '(' ? ')' : c == '[' ? ']' : '}';
        ps->p++;
        for (;;) {
            skip_ws(ps);
            if (ps->failed) return -1;
            if (ps->p >= ps->end) return fail(ps, p, "missing '%c' to close '%c'", close, c);
            if (*ps->p == close) {
                ps->p++;
                break;
            }
            if (*ps->p == ',' || *ps->p == ';' || *ps->p == ':' || *ps->p == '=') {
                ps->p++;
                continue;
            }
            if (*ps->p == ')' || *ps->p == ']' || *ps->p == '}') return fail(ps, ps->p, "mismatched '%c' (expected '%c')", *ps->p, close);
            if (skip_atom_or_group(ps)) return -1;
        }
    } else if (c == '-' || c == '.' || (c >= '0' && c <= '9')) {
        double d;
        const char *q = pusd__parse_double_fast(p, e, &d);
        if (!q) return expected(ps, "a value");
        ps->p = q;
    } else if (is_id0((unsigned char)c)) {
        const char *s;
        if (!read_nsident(ps, &s)) return fail(ps, p, "invalid UTF-8 in an identifier");
        if (ps->p + 1 < e && ps->p[0] == '[' && ps->p[1] == ']') ps->p += 2;
    } else
        return expected(ps, "a value");
    ps->depth--;
    return 0;
}

/* Raw value: one atom/group, or a sequence like `float[] x = 1` inside
 * groups. Captures text verbatim. */
static int parse_raw(P *ps, pusd_value *out) {
    const char *s = ps->p;
    if (skip_atom_or_group(ps)) return -1;
    if (memchr(s, 0, (size_t)(ps->p - s))) return fail(ps, s, "NUL byte in a metadata value");
    const char **t = pusd__ar_alloc(&ps->l->arena, sizeof *t);
    if (!t) return oom(ps);
    *t = pusd__ar_strndup(&ps->l->arena, s, (size_t)(ps->p - s));
    if (!*t) return oom(ps);
    out->type = PUSD_T_RAW;
    out->flags = 0;
    out->count = 1;
    out->data = t;
    return 0;
}

/* ---- dictionaries ---------------------------------------------------------------------- */

static int parse_dict(P *ps, pusd_value *out) {
    const char *open = ps->p;
    if (expect_char(ps, '{', "'{' starting a dictionary")) return -1;
    if (++ps->depth > MAX_DEPTH) return fail(ps, open, "dictionaries nested too deeply");
    /* entries collected in a linked list then copied: dictionaries are small */
    typedef struct ent { pusd_dict_entry e; struct ent *next; } ent;
    ent *head = NULL, **tail = &head;
    uint32_t n = 0;
    for (;;) {
        skip_ws(ps);
        if (ps->failed) return -1;
        if (ps->p >= ps->end) return fail(ps, open, "missing '}' to close this dictionary");
        if (*ps->p == '}') {
            ps->p++;
            break;
        }
        const char *ts;
        const char *tstart = ps->p;
        size_t tn = read_ident(ps, &ts);
        if (!tn) return expected(ps, "a value type name (e.g. string, int, dictionary) or '}'");
        while (ps->p + 2 < ps->end && ps->p[0] == ':' && ps->p[1] == ':') { /* Foo::Bar */
            ps->p += 2;
            const char *x;
            read_ident(ps, &x);
            tn = (size_t)(ps->p - ts);
        }
        bool arr = false;
        if (ps->p + 1 < ps->end && ps->p[0] == '[' && ps->p[1] == ']') {
            arr = true;
            ps->p += 2;
        }
        int type;
        if (word_is(ts, tn, "dictionary") && !arr) type = PUSD_T_DICTIONARY;
        else {
            type = pusd__type_from_name_n(ts, tn < 60 ? tn : 60);
            if (type == PUSD_T_INVALID || type == PUSD_T_OPAQUE || type == PUSD_T_GROUP)
                return fail(ps, tstart, "unrecognized value type name '%.*s' for dictionary entry", (int)(tn < 60 ? tn : 60), ts);
        }
        skip_inline(ps);
        ent *en = pusd__ar_calloc(&ps->l->arena, sizeof *en);
        if (!en) return oom(ps);
        if (ps->p < ps->end && (*ps->p == '"' || *ps->p == '\'')) {
            if (read_string_sb(ps)) return -1;
            en->e.key = pusd__ar_strndup(&ps->l->arena, ps->sb.p, ps->sb.len);
        } else {
            const char *ks;
            size_t kn = read_nsident(ps, &ks);
            if (!kn) return expected(ps, "a dictionary key (identifier or quoted string)");
            en->e.key = pusd__ar_strndup(&ps->l->arena, ks, kn);
        }
        if (!en->e.key) return oom(ps);
        skip_inline(ps);
        if (expect_char(ps, '=', "'=' after the dictionary key")) return -1;
        skip_inline(ps);
        if (type == PUSD_T_DICTIONARY) {
            if (parse_dict(ps, &en->e.value)) return -1;
        } else if (peek_word(ps, "None")) {
            ps->p += 4;
            en->e.value.type = (uint16_t)type;
            en->e.value.flags = PUSD_VF_BLOCKED | (arr ? PUSD_VF_ARRAY : 0);
        } else if (parse_value(ps, type, arr, &en->e.value))
            return -1;
        *tail = en;
        tail = &en->next;
        n++;
        if (end_stmt(ps, '}', "a dictionary entry")) return -1;
    }
    pusd_dict *d = pusd__ar_calloc(&ps->l->arena, sizeof *d);
    if (!d) return oom(ps);
    d->count = n;
    if (n) {
        d->entries = pusd__ar_alloc(&ps->l->arena, n * sizeof *d->entries);
        if (!d->entries) return oom(ps);
        uint32_t i = 0;
        for (ent *e = head; e; e = e->next) d->entries[i++] = e->e;
    }
    out->type = PUSD_T_DICTIONARY;
    out->flags = 0;
    out->count = 1;
    out->data = d;
    ps->depth--;
    return 0;
}

/* ---- list ops -------------------------------------------------------------------------- */

static int listop_kind(const char *s, size_t n) {
    if (word_is(s, n, "add")) return PUSD_LISTOP_ADD;
    if (word_is(s, n, "prepend")) return PUSD_LISTOP_PREPEND;
    if (word_is(s, n, "append")) return PUSD_LISTOP_APPEND;
    if (word_is(s, n, "delete")) return PUSD_LISTOP_DELETE;
    if (word_is(s, n, "reorder")) return PUSD_LISTOP_ORDER;
    return -1;
}

static int parse_layer_offset(P *ps, double *off, double *scale, const pusd_dict **cd, bool allow_cd) {
    /* ( offset = N ; scale = N ; customData = {...} ) */
    ps->p++;
    for (;;) {
        skip_ws(ps);
        if (ps->failed) return -1;
        if (ps->p < ps->end && *ps->p == ')') {
            ps->p++;
            return 0;
        }
        const char *ks = ps->p, *k;
        size_t kn = read_ident(ps, &k);
        skip_inline(ps);
        if (expect_char(ps, '=', "'=' in a layer offset")) return -1;
        skip_inline(ps);
        if (word_is(k, kn, "offset") || word_is(k, kn, "scale")) {
            double d;
            const char *q = pusd__parse_double_fast(ps->p, ps->end, &d);
            if (!q) return expected(ps, "a number");
            ps->p = q;
            if (k[0] == 'o') *off = d;
            else *scale = d;
        } else if (allow_cd && word_is(k, kn, "customData")) {
            pusd_value v;
            if (parse_dict(ps, &v)) return -1;
            *cd = v.data;
        } else
            return fail(ps, ks, "expected 'offset', 'scale'%s in this list item's parentheses", allow_cd ? " or 'customData'" : "");
        skip_inline(ps);
        if (ps->p < ps->end && (*ps->p == ';' || *ps->p == '\n' || *ps->p == ',')) ps->p++;
    }
}

static int parse_listop_item(P *ps, int lt, void *dst) {
    if (lt == PUSD_T_REFERENCE_LISTOP || lt == PUSD_T_PAYLOAD_LISTOP) {
        pusd_reference *r = dst;
        memset(r, 0, sizeof *r);
        r->scale = 1;
        r->asset_path = "";
        r->prim_path = "";
        const char *what = lt == PUSD_T_REFERENCE_LISTOP ? "reference" : "payload";
        if (ps->p < ps->end && *ps->p == '@') {
            if (!(r->asset_path = read_asset(ps))) return -1;
        } else if (ps->p >= ps->end || *ps->p != '<')
            return fail(ps, ps->p, "expected an asset path @...@ or a prim path <...> for this %s", what);
        if (ps->p < ps->end && *ps->p == '<') {
            const char *at = ps->p;
            if (!(r->prim_path = read_path(ps, true, what))) return -1;
            if (strchr(r->prim_path, '.')) return fail(ps, at, "%s targets must be prim paths, not property paths", what);
        }
        skip_inline(ps);
        if (ps->p < ps->end && *ps->p == '(')
            return parse_layer_offset(ps, &r->offset, &r->scale, &r->custom_data, lt == PUSD_T_REFERENCE_LISTOP);
        return 0;
    }
    const char *s;
    if (lt == PUSD_T_PATH_LISTOP) s = read_path(ps, true, "inherits/specializes");
    else s = read_string(ps, lt == PUSD_T_TOKEN_LISTOP);
    if (!s) return -1;
    *(const char **)dst = s;
    return 0;
}

/* Parses `None | item | [items]` into op k of listop lo. */
static int parse_listop_value(P *ps, int lt, pusd_listop *lo, int k) {
    size_t isz = (lt == PUSD_T_REFERENCE_LISTOP || lt == PUSD_T_PAYLOAD_LISTOP) ? sizeof(pusd_reference) : sizeof(char *);
    if (peek_word(ps, "None")) {
        ps->p += 4;
        if (k != PUSD_LISTOP_EXPLICIT) return fail(ps, ps->p - 4, "None is only allowed for an explicit list (without prepend/append/...)");
        lo->is_explicit = true;
        lo->count[k] = 0;
        for (int j = 0; j < PUSD_LISTOP_NOPS; j++) lo->count[j] = 0;
        return 0;
    }
    size_t n = 0;
    void *items;
    if (ps->p < ps->end && *ps->p == '[') {
        ps->p++;
        /* items may themselves contain nested dictionaries: parse into a local list */
        size_t cap = 4;
        char *tmp = malloc(cap * isz);
        if (!tmp) return oom(ps);
        for (;;) {
            skip_ws(ps);
            if (ps->failed) {
                free(tmp);
                return -1;
            }
            if (ps->p < ps->end && *ps->p == ']') break;
            if (n) {
                if (expect_char(ps, ',', "',' or ']' in list")) {
                    free(tmp);
                    return -1;
                }
                skip_ws(ps);
                if (ps->p < ps->end && *ps->p == ']') break;
            }
            if (n == cap) {
                char *nt = realloc(tmp, (cap *= 2) * isz);
                if (!nt) {
                    free(tmp);
                    return oom(ps);
                }
                tmp = nt;
            }
            if (parse_listop_item(ps, lt, tmp + n * isz)) {
                free(tmp);
                return -1;
            }
            n++;
        }
        ps->p++;
        items = pusd__ar_alloc(&ps->l->arena, n * isz + 1);
        if (!items) {
            free(tmp);
            return oom(ps);
        }
        if (n) memcpy(items, tmp, n * isz);
        free(tmp);
    } else {
        items = pusd__ar_alloc(&ps->l->arena, isz);
        if (!items) return oom(ps);
        if (parse_listop_item(ps, lt, items)) return -1;
        n = 1;
    }
    if (k == PUSD_LISTOP_EXPLICIT) {
        lo->is_explicit = true;
        for (int j = 0; j < PUSD_LISTOP_NOPS; j++) lo->count[j] = 0;
    }
    lo->count[k] = (uint32_t)n;
    lo->items[k] = items;
    return 0;
}

/* ---- metadata blocks ---------------------------------------------------------------------- */

typedef struct meta_ctx {
    int where;
    meta_list *meta;
    pusd_primspec *prim; /* for prims */
} meta_ctx;

static int parse_sublayers(P *ps) {
    pusd_layer *l = ps->l;
    if (expect_char(ps, '[', "'[' starting the subLayers list")) return -1;
    l->n_sublayers = 0;
    for (;;) {
        skip_ws(ps);
        if (ps->failed) return -1;
        if (ps->p < ps->end && *ps->p == ']') {
            ps->p++;
            return 0;
        }
        if (l->n_sublayers) {
            if (expect_char(ps, ',', "',' or ']' in subLayers")) return -1;
            skip_ws(ps);
            if (ps->p < ps->end && *ps->p == ']') continue;
        }
        sublayer_ref r = {0};
        r.scale = 1;
        if (!(r.asset = read_asset(ps))) return -1;
        skip_inline(ps);
        if (ps->p < ps->end && *ps->p == '(') {
            if (parse_layer_offset(ps, &r.offset, &r.scale, NULL, false)) return -1;
            r.has_offset = r.offset != 0;
            r.has_scale = r.scale != 1;
        }
        if (pusd_layer_add_sublayer(l, r.asset, r.offset, r.scale)) return oom(ps);
    }
}

static int parse_meta_item(P *ps, meta_ctx *mc) {
    pusd_layer *l = ps->l;
    const char *st = ps->p;
    if (st < ps->end && (*st == '"' || *st == '\'')) {
        const char *s = read_string(ps, false);
        if (!s) return -1;
        meta_entry *me = pusd__meta_set(l, mc->meta, pusd__intern(&l->strings, &l->arena, "comment", 7));
        if (!me) return oom(ps);
        const char **t = pusd__ar_alloc(&l->arena, sizeof *t);
        if (!t) return oom(ps);
        *t = s;
        me->value = (pusd_value){PUSD_T_STRING, 0, 1, t};
        return 0;
    }
    const char *ks;
    size_t kn = read_ident(ps, &ks);
    if (!kn) return expected(ps, "a metadata key, a doc string or ')'");
    int op = listop_kind(ks, kn);
    if (op >= 0) {
        skip_inline(ps);
        kn = read_ident(ps, &ks);
        if (!kn) return expected(ps, "a metadata key after the list operator");
    } else
        op = PUSD_LISTOP_EXPLICIT;
    const char *kstart = ks;
    /* namespaced keys (rare): a:b */
    while (ps->p + 1 < ps->end && *ps->p == ':' && is_id0((unsigned char)ps->p[1])) {
        ps->p++;
        const char *x;
        read_ident(ps, &x);
        kn = (size_t)(ps->p - ks);
    }
    skip_inline(ps);
    if (expect_char(ps, '=', "'=' after the metadata key")) return -1;
    skip_inline(ps);
    if (mc->where == META_LAYER && word_is(ks, kn, "subLayers")) {
        if (op != PUSD_LISTOP_EXPLICIT) return fail(ps, st, "subLayers cannot be list-edited");
        return parse_sublayers(ps);
    }
    const char *key = pusd__intern(&l->strings, &l->arena, ks, kn);
    if (!key) return oom(ps);
    bool ident_form = false;
    int ft = pusd__meta_field_type(mc->where, key, &ident_form);
    bool is_listop = ft >= PUSD_T_TOKEN_LISTOP && ft <= PUSD_T_PAYLOAD_LISTOP;
    meta_entry *me;
    if (is_listop) {
        me = pusd__meta_set(l, mc->meta, key);
        if (!me) return oom(ps);
        if (me->value.type != ft || !me->value.data) {
            pusd_listop *lo = pusd__ar_calloc(&l->arena, sizeof *lo);
            if (!lo) return oom(ps);
            me->value = (pusd_value){(uint16_t)ft, 0, 1, lo};
        }
        int lt = ft;
        if (word_is(ks, kn, "variantSets") && ps->p < ps->end && *ps->p != '[' && !peek_word(ps, "None")) lt = PUSD_T_STRING_LISTOP;
        return parse_listop_value(ps, lt, (pusd_listop *)me->value.data, op);
    }
    pusd_value v = {0};
    if (ft == PUSD_T_RAW) {
        if (parse_raw(ps, &v)) return -1;
        me = pusd__meta_set(l, mc->meta, key);
        if (!me) return oom(ps);
        me->value = v;
        ME_SET_OP(me, op == PUSD_LISTOP_EXPLICIT ? 0 : op + 1);
        return 0;
    }
    if (op != PUSD_LISTOP_EXPLICIT) return fail(ps, kstart, "'%s' cannot be list-edited (no prepend/append/delete/add/reorder)", key);
    int type = ft & 0xff;
    bool arr = (ft & 0x100) != 0;
    if (peek_word(ps, "None")) {
        ps->p += 4;
        v.type = (uint16_t)type;
        v.flags = PUSD_VF_BLOCKED | (arr ? PUSD_VF_ARRAY : 0);
    } else if (type == PUSD_T_DICTIONARY) {
        if (parse_dict(ps, &v)) return -1;
    } else if (ident_form && ps->p < ps->end && is_id0((unsigned char)*ps->p)) {
        const char *s;
        size_t n = read_nsident(ps, &s);
        const char **t = pusd__ar_alloc(&l->arena, sizeof *t);
        if (!t || !(*t = pusd__intern(&l->strings, &l->arena, s, n))) return oom(ps);
        v = (pusd_value){PUSD_T_TOKEN, 0, 1, t};
    } else if (type == PUSD_T_PATH) {
        const char **t = pusd__ar_alloc(&l->arena, sizeof *t);
        if (!t) return oom(ps);
        if (!(*t = read_path(ps, false, ""))) return -1;
        v = (pusd_value){PUSD_T_PATH, 0, 1, t};
    } else {
        if ((type == PUSD_T_TOKEN || type == PUSD_T_STRING) && ps->p < ps->end && *ps->p != '"' && *ps->p != '\'' && !arr)
            return fail(ps, ps->p, "expected a quoted string for '%s'", key);
        if (parse_value(ps, type, arr, &v)) return -1;
    }
    me = pusd__meta_set(l, mc->meta, key);
    if (!me) return oom(ps);
    me->value = v;
    return 0;
}

static int parse_meta_block(P *ps, meta_ctx *mc) {
    const char *open = ps->p;
    ps->p++; /* ( */
    for (;;) {
        skip_ws(ps);
        if (ps->failed) return -1;
        if (ps->p >= ps->end) return fail(ps, open, "missing ')' to close this metadata block");
        if (*ps->p == ')') {
            ps->p++;
            return 0;
        }
        if (parse_meta_item(ps, mc)) return -1;
        if (end_stmt(ps, ')', "a metadata entry")) return -1;
    }
}

/* ---- properties ------------------------------------------------------------------------------ */

static int parse_prim_body(P *ps, pusd_primspec *prim);

static int parse_targets(P *ps, prop_spec *pr, int op, bool connect) {
    prop_extra *x = pusd__prop_x(ps->l, pr);
    if (!x) return oom(ps);
    if (!x->targets) {
        x->targets = pusd__ar_calloc(&ps->l->arena, sizeof *x->targets);
        if (!x->targets) return oom(ps);
    }
    (void)connect;
    return parse_listop_value(ps, PUSD_T_PATH_LISTOP, x->targets, op);
}

static int parse_time_samples(P *ps, prop_spec *pr, int type, bool arr) {
    const char *open = ps->p;
    if (expect_char(ps, '{', "'{' starting timeSamples")) return -1;
    prop_extra *x = pusd__prop_x(ps->l, pr);
    if (!x) return oom(ps);
    size_t n = 0, cap = 0;
    time_sample *ts = NULL;
    for (;;) {
        skip_ws(ps);
        if (ps->failed) goto bad;
        if (ps->p >= ps->end) {
            fail(ps, open, "missing '}' to close timeSamples");
            goto bad;
        }
        if (*ps->p == '}') {
            ps->p++;
            break;
        }
        if (n) {
            if (expect_char(ps, ',', "',' or '}' between time samples")) goto bad;
            skip_ws(ps);
            if (ps->p < ps->end && *ps->p == '}') {
                ps->p++;
                break;
            }
        }
        if (n == cap) {
            time_sample *nt = realloc(ts, (cap = cap ? cap * 2 : 8) * sizeof *ts);
            if (!nt) {
                oom(ps);
                goto bad;
            }
            ts = nt;
        }
        double t;
        const char *q = pusd__parse_double_fast(ps->p, ps->end, &t);
        if (!q) {
            expected(ps, "a time code (number)");
            goto bad;
        }
        ps->p = q;
        skip_inline(ps);
        if (expect_char(ps, ':', "':' after the time code")) goto bad;
        skip_ws(ps);
        ts[n].time = t;
        memset(&ts[n].value, 0, sizeof ts[n].value);
        if (peek_word(ps, "None")) {
            ps->p += 4;
            ts[n].value.type = (uint16_t)type;
            ts[n].value.flags = PUSD_VF_BLOCKED | (arr ? PUSD_VF_ARRAY : 0);
        } else if (parse_value(ps, type, arr, &ts[n].value))
            goto bad;
        n++;
    }
    /* sort by time (stable insertion sort; files are nearly always sorted);
     * a repeated time keeps the later value */
    for (size_t i = 1; i < n; i++) {
        time_sample t = ts[i];
        size_t j = i;
        while (j > 0 && ts[j - 1].time > t.time) {
            ts[j] = ts[j - 1];
            j--;
        }
        ts[j] = t;
    }
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (m && ts[m - 1].time == ts[i].time) ts[m - 1] = ts[i];
        else ts[m++] = ts[i];
    }
    x->samples = pusd__ar_alloc(&ps->l->arena, (m ? m : 1) * sizeof *ts);
    if (!x->samples) {
        oom(ps);
        goto bad;
    }
    if (m) memcpy(x->samples, ts, m * sizeof *ts);
    x->nsamples = (uint32_t)m;
    x->has_samples = true;
    free(ts);
    return 0;
bad:
    free(ts);
    return -1;
}

/* The optional `( ... )` metadata block after a property (attribute or
 * relationship). */
static int parse_prop_meta(P *ps, prop_spec *pr) {
    if (ps->p >= ps->end || *ps->p != '(')
        return 0;
    prop_extra *x = pusd__prop_x(ps->l, pr);
    if (!x) return oom(ps);
    meta_ctx mc = {META_PROP, &x->meta, NULL};
    return parse_meta_block(ps, &mc) ? -1 : 0;
}

static int parse_property(P *ps, pusd_primspec *prim) {
    pusd_layer *l = ps->l;
    const char *st = ps->p, *w;
    size_t wn = read_ident(ps, &w);
    int op = listop_kind(w, wn);
    const char *opat = st;
    if (op >= 0) {
        skip_inline(ps);
        wn = read_ident(ps, &w);
    } else
        op = -1;
    bool custom = false;
    int variability = 0;
    bool varying_kw = false;
    if (word_is(w, wn, "custom")) {
        custom = true;
        skip_inline(ps);
        wn = read_ident(ps, &w);
    }
    if (word_is(w, wn, "uniform") || word_is(w, wn, "config") || word_is(w, wn, "varying")) {
        variability = w[0] == 'u' ? 1 : w[0] == 'c' ? 2 : 0;
        varying_kw = w[0] == 'v';
        skip_inline(ps);
        wn = read_ident(ps, &w);
    }
    if (!wn) return expected(ps, "a property type name, 'rel', or a prim ('def', 'over', 'class')");
    if (word_is(w, wn, "rel")) {
        if (variability == 1 || variability == 2) return fail(ps, st, "relationships cannot be uniform or config");
        skip_inline(ps);
        const char *ns;
        const char *nat = ps->p;
        size_t nn = read_nsident(ps, &ns);
        if (!nn) return expected(ps, "a relationship name");
        const char *name = pusd__intern(&l->strings, &l->arena, ns, nn);
        if (!name) return oom(ps);
        prop_spec *pr = pusd__prim_prop(prim, name);
        if (pr && !PS_IS_REL(pr)) return fail(ps, nat, "'%s' is already declared as an attribute in this prim", name);
        if (!pr) {
            if (!(pr = pusd__prim_new_prop(l, prim, name))) return oom(ps);
            PS_SET(pr, PB_REL, 1);
            PS_SET(pr, PB_CUSTOM, custom);
            PS_SET(pr, PB_VARYING, varying_kw);
        }
        if (ps->p < ps->end && *ps->p == '.') {
            ps->p++;
            const char *sfx;
            size_t sn = read_ident(ps, &sfx);
            if (!word_is(sfx, sn, "default")) return fail(ps, sfx, "expected 'default' after 'rel %s.'", name);
            skip_inline(ps);
            if (expect_char(ps, '=', "'='")) return -1;
            skip_inline(ps);
            prop_extra *x = pusd__prop_x(l, pr);
            if (!x || !(x->default_target = read_path(ps, false, ""))) return -1;
            return 0;
        }
        skip_inline(ps);
        if (ps->p < ps->end && *ps->p == '=') {
            ps->p++;
            skip_inline(ps);
            if (parse_targets(ps, pr, op < 0 ? PUSD_LISTOP_EXPLICIT : op, false)) return -1;
        } else if (op >= 0)
            return fail(ps, opat, "a list-edited relationship needs '= <targets>'");
        skip_inline(ps);
        return parse_prop_meta(ps, pr);
    }
    /* attribute: type name */
    const char *tstart = w;
    while (ps->p + 2 < ps->end && ps->p[0] == ':' && ps->p[1] == ':') {
        ps->p += 2;
        const char *x;
        if (!read_ident(ps, &x)) return expected(ps, "an identifier after '::'");
        wn = (size_t)(ps->p - w);
    }
    bool arr = false;
    if (ps->p + 1 < ps->end && ps->p[0] == '[' && ps->p[1] == ']') {
        arr = true;
        ps->p += 2;
    }
    char tname[128];
    size_t tnl = wn < 120 ? wn : 120;
    memcpy(tname, w, tnl);
    tname[tnl] = 0;
    int type = pusd__type_from_name_n(tname, tnl);
    if (type == PUSD_T_INVALID) type = PUSD_T_UNKNOWN;
    skip_inline(ps);
    const char *ns, *nat = ps->p;
    size_t nn = read_nsident(ps, &ns);
    if (!nn) {
        if (type == PUSD_T_UNKNOWN && ps->p < ps->end && *ps->p != '\n')
            return fail(ps, tstart, "unknown property type '%s' (expected a value type such as float, token[], point3f[] or 'rel')", tname);
        return expected(ps, "an attribute name");
    }
    const char *name = pusd__intern(&l->strings, &l->arena, ns, nn);
    const char *full_tn = pusd__intern(&l->strings, &l->arena, tstart, (size_t)(ps->p - tstart) > 0 ? (size_t)(wn + (arr ? 2 : 0)) : 0);
    if (!name || !full_tn) return oom(ps);
    prop_spec *pr = pusd__prim_prop(prim, name);
    if (pr) {
        if (PS_IS_REL(pr)) return fail(ps, nat, "'%s' is already declared as a relationship in this prim", name);
        if (strcmp(pusd__prop_type_name(pr), full_tn))
            return fail(ps, tstart, "attribute '%s' redeclared with type '%s' (first declared as '%s')", name, full_tn, pusd__prop_type_name(pr));
        if (PS_VARIABILITY(pr) != variability)
            return fail(ps, st, "attribute '%s' redeclared with a different variability (uniform/varying)", name);
    } else {
        if (!(pr = pusd__prim_new_prop(l, prim, name))) return oom(ps);
        pr->dflt.type = (uint16_t)type;
        pr->dflt.flags = arr ? PUSD_VF_ARRAY : 0;
        if (type == PUSD_T_UNKNOWN) {
            prop_extra *x = pusd__prop_x(l, pr);
            if (!x) return oom(ps);
            x->type_name = full_tn;
        }
        PS_SET(pr, PB_CUSTOM, custom);
        PS_SET(pr, PB_UNIFORM, variability == 1);
        PS_SET(pr, PB_CONFIG, variability == 2);
        PS_SET(pr, PB_VARYING, varying_kw);
    }
    if (custom) PS_SET(pr, PB_CUSTOM, 1);
    if (ps->p < ps->end && *ps->p == '.') {
        const char *dot = ps->p++;
        const char *sfx;
        size_t sn = read_ident(ps, &sfx);
        skip_inline(ps);
        if (expect_char(ps, '=', "'='")) return -1;
        skip_ws(ps);
        if (word_is(sfx, sn, "connect")) return parse_targets(ps, pr, op < 0 ? PUSD_LISTOP_EXPLICIT : op, true);
        if (op >= 0) return fail(ps, opat, "list operators are only allowed on relationships and .connect");
        if (word_is(sfx, sn, "timeSamples")) {
            if (type == PUSD_T_UNKNOWN) return fail(ps, tstart, "unknown value type '%s'", tname);
            return parse_time_samples(ps, pr, type, arr);
        }
        if (word_is(sfx, sn, "spline")) return fail(ps, sfx, ".spline values are not supported yet (see docs/usd.md)");
        return fail(ps, dot, "expected '.timeSamples' or '.connect' after the attribute name");
    }
    if (op >= 0) return fail(ps, opat, "list operators are only allowed on relationships and .connect");
    skip_inline(ps);
    if (ps->p < ps->end && *ps->p == '=') {
        ps->p++;
        skip_inline(ps);
        if (peek_word(ps, "None")) {
            ps->p += 4;
            pr->dflt.flags = (uint16_t)((pr->dflt.flags & 0xff00u) | PUSD_VF_BLOCKED | (arr ? PUSD_VF_ARRAY : 0));
            pr->dflt.data = NULL;
            pr->dflt.count = 0;
        } else {
            if (type == PUSD_T_UNKNOWN) return fail(ps, tstart, "unknown value type '%s' (a typo? known types include float, double3, token[], point3f[])", tname);
            if (type == PUSD_T_OPAQUE || type == PUSD_T_GROUP)
                return fail(ps, tstart, "%s attributes cannot have an authored value", tname);
            uint16_t bits = pr->dflt.flags & 0xff00u;
            if (parse_value(ps, type, arr, &pr->dflt)) return -1;
            pr->dflt.flags |= bits;
        }
        skip_inline(ps);
    }
    return parse_prop_meta(ps, pr);
}

/* ---- prims --------------------------------------------------------------------------------- */

static int parse_name_list(P *ps, const char ***out, uint32_t *nout) {
    if (expect_char(ps, '[', "'[' starting a name list")) return -1;
    size_t n = 0, cap = 0;
    const char **v = NULL;
    for (;;) {
        skip_ws(ps);
        if (ps->failed) break;
        if (ps->p < ps->end && *ps->p == ']') {
            ps->p++;
            const char **a = pusd__ar_alloc(&ps->l->arena, (n ? n : 1) * sizeof *a);
            if (!a) break;
            if (n) memcpy(a, v, n * sizeof *a);
            free(v);
            *out = a;
            *nout = (uint32_t)n;
            return 0;
        }
        if (n && expect_char(ps, ',', "',' or ']'")) break;
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == ']') continue;
        if (n == cap) {
            const char **nv = realloc(v, (cap = cap ? cap * 2 : 8) * sizeof *v);
            if (!nv) {
                oom(ps);
                break;
            }
            v = nv;
        }
        if (!(v[n] = read_string(ps, true))) break;
        n++;
    }
    free(v);
    return -1;
}

static int parse_reorder(P *ps, pusd_primspec *prim, bool root) {
    ps->p += 7;
    skip_inline(ps);
    const char *w, *at = ps->p;
    size_t wn = read_ident(ps, &w);
    skip_inline(ps);
    if (expect_char(ps, '=', "'='")) return -1;
    skip_inline(ps);
    if (root) {
        if (!word_is(w, wn, "rootPrims")) return fail(ps, at, "expected 'rootPrims' after 'reorder' at layer level");
        return parse_name_list(ps, &ps->l->reorder_root, &ps->l->n_reorder_root);
    }
    prim_ext *ext = pusd__prim_x(ps->l, prim);
    if (!ext) return oom(ps);
    if (word_is(w, wn, "nameChildren")) return parse_name_list(ps, &ext->reorder_children, &ext->n_reorder_children);
    if (word_is(w, wn, "properties")) return parse_name_list(ps, &ext->reorder_props, &ext->n_reorder_props);
    return fail(ps, at, "expected 'nameChildren' or 'properties' after 'reorder'");
}

static bool valid_prim_name(const char *s, size_t n) {
    if (!n || !is_id0((unsigned char)s[0])) return false;
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x80) {
            int k = utf8_len(s + i, s + n);
            if (!k) return false;
            i += (size_t)k;
        } else if (is_id1(c))
            i++;
        else
            return false;
    }
    return true;
}

static void maybe_release(P *ps) {
    if (!ps->can_release) return;
    size_t done = (size_t)(ps->p - ps->rel_base);
    if (done < ps->rel_done + (1u << 20)) return;
    size_t upto = (done - (256u << 10)) & ~(size_t)0xffff; /* keep the last 256 KB mapped */
    if (upto > ps->rel_done) {
        madvise((void *)(ps->rel_base + ps->rel_done), upto - ps->rel_done, MADV_DONTNEED);
        ps->rel_done = upto;
    }
}

static int parse_prim(P *ps, pusd_primspec *parent) {
    pusd_layer *l = ps->l;
    const char *st = ps->p, *w;
    size_t wn = read_ident(ps, &w);
    char spec = w[0] == 'd' ? 'd' : w[0] == 'o' ? 'o' : 'c';
    skip_inline(ps);
    const char *type = NULL;
    if (ps->p < ps->end && is_id0((unsigned char)*ps->p)) {
        const char *ts, *tat = ps->p;
        read_ident(ps, &ts);
        while (ps->p + 2 < ps->end && ps->p[0] == ':' && ps->p[1] == ':') {
            ps->p += 2;
            const char *x;
            if (!read_ident(ps, &x)) return expected(ps, "an identifier after '::'");
        }
        size_t tn = (size_t)(ps->p - ts);
        static const char *const kw[] = {"def", "over", "class", "variantSet", "rel", "custom", "uniform", "None", "None"};
        for (size_t i = 0; i < sizeof kw / sizeof kw[0]; i++)
            if (word_is(ts, tn, kw[i])) return fail(ps, tat, "'%s' is a keyword and cannot be a prim type name", kw[i]);
        if (!(type = pusd__intern(&l->strings, &l->arena, ts, tn))) return oom(ps);
        skip_inline(ps);
    }
    (void)wn;
    const char *nat = ps->p;
    if (ps->p >= ps->end || (*ps->p != '"' && *ps->p != '\'')) return expected(ps, "the prim name as a quoted string");
    if (read_string_sb(ps)) return -1;
    if (!valid_prim_name(ps->sb.p, ps->sb.len))
        return fail(ps, nat, "'%s' is not a valid prim name (letters, digits and '_', not starting with a digit)", ps->sb.p);
    if (pusd__layer_child(l, parent, ps->sb.p, ps->sb.len)) return fail(ps, nat, "duplicate prim '%s': a sibling with that name is already defined", ps->sb.p);
    if (++ps->depth > MAX_DEPTH) return fail(ps, st, "prims nested too deeply");
    pusd_primspec *prim = pusd__layer_new_prim(l, parent, ps->sb.p, ps->sb.len, spec, type);
    if (!prim) return oom(ps);
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == '(') {
        meta_ctx mc = {META_PRIM, &prim->meta, prim};
        if (parse_meta_block(ps, &mc)) return -1;
        skip_ws(ps);
    }
    if (ps->p >= ps->end || *ps->p != '{') return expected(ps, "'{' starting the prim body");
    if (parse_prim_body(ps, prim)) return -1;
    ps->depth--;
    return 0;
}

static int parse_variant_set(P *ps, pusd_primspec *prim) {
    pusd_layer *l = ps->l;
    ps->p += 10; /* variantSet */
    skip_inline(ps);
    const char *nm = read_string(ps, true);
    if (!nm) return -1;
    skip_inline(ps);
    if (expect_char(ps, '=', "'=' after the variant set name")) return -1;
    skip_ws(ps);
    const char *open = ps->p;
    if (expect_char(ps, '{', "'{' starting the variant set")) return -1;
    variant_set_spec *vs = pusd__layer_variant_set(l, prim, nm, true);
    if (!vs) return oom(ps);
    for (;;) {
        skip_ws(ps);
        if (ps->failed) return -1;
        if (ps->p >= ps->end) return fail(ps, open, "missing '}' to close variantSet \"%s\"", nm);
        if (*ps->p == '}') {
            ps->p++;
            return 0;
        }
        const char *vat = ps->p;
        if (read_string_sb(ps)) return -1;
        for (size_t i = 0; i < ps->sb.len; i++) {
            char c = ps->sb.p[i];
            if (!(is_id1((unsigned char)c) || c == '|' || c == '-' || (c == '.' && i == 0)))
                return fail(ps, vat, "'%s' is not a valid variant name", ps->sb.p);
        }
        for (pusd_primspec *v = vs->first_variant; v; v = v->next)
            if (!strcmp(v->name, ps->sb.p)) return fail(ps, vat, "duplicate variant \"%s\" in variantSet \"%s\"", v->name, nm);
        pusd_primspec *var = pusd__layer_new_variant(l, prim, vs, ps->sb.p, ps->sb.len);
        if (!var) return oom(ps);
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == '(') {
            meta_ctx mc = {META_PRIM, &var->meta, var};
            if (parse_meta_block(ps, &mc)) return -1;
            skip_ws(ps);
        }
        if (ps->p >= ps->end || *ps->p != '{') return expected(ps, "'{' starting the variant body");
        if (++ps->depth > MAX_DEPTH) return fail(ps, vat, "variants nested too deeply");
        if (parse_prim_body(ps, var)) return -1;
        ps->depth--;
    }
}

static bool reorder_follows(P *ps) {
    const char *q = ps->p + 7;
    while (q < ps->end && (*q == ' ' || *q == '\t')) q++;
    return (ps->end - q >= 12 && !memcmp(q, "nameChildren", 12)) || (ps->end - q >= 10 && !memcmp(q, "properties", 10));
}

static int parse_prim_body(P *ps, pusd_primspec *prim) {
    const char *open = ps->p;
    ps->p++; /* { */
    for (;;) {
        skip_ws(ps);
        if (ps->failed) return -1;
        if (ps->p >= ps->end) return fail(ps, open, "missing '}' to close the body of prim '%s'", prim->name);
        if (*ps->p == '}') {
            ps->p++;
            return 0;
        }
        const char *what;
        if (peek_word(ps, "def") || peek_word(ps, "over") || peek_word(ps, "class")) {
            if (parse_prim(ps, prim)) return -1;
            what = "a prim";
            maybe_release(ps);
        } else if (peek_word(ps, "variantSet")) {
            if (parse_variant_set(ps, prim)) return -1;
            what = "a variantSet";
        } else if (peek_word(ps, "reorder") && reorder_follows(ps)) {
            if (parse_reorder(ps, prim, false)) return -1;
            what = "a reorder statement";
        } else if (ps->p < ps->end && is_id0((unsigned char)*ps->p)) {
            if (parse_property(ps, prim)) return -1;
            what = "a property";
        } else
            return expected(ps, "a property, a prim ('def', 'over', 'class'), 'variantSet', 'reorder' or '}'");
        if (end_stmt(ps, '}', what)) return -1;
    }
}

static int parse_layer_text(P *ps) {
    pusd_layer *l = ps->l;
    const char *p = ps->p;
    if (ps->end - p >= 3 && (unsigned char)p[0] == 0xef && (unsigned char)p[1] == 0xbb && (unsigned char)p[2] == 0xbf) p += 3;
    ps->p = p;
    if (!(ps->end - p >= 5 && !memcmp(p, "#usda", 5)) && !(ps->end - p >= 4 && !memcmp(p, "#sdf", 4)))
        return fail(ps, p, "not a USD text file: the first line must start with '#usda 1.0'");
    const char *h = p;
    while (p < ps->end && *p != '\n' && *p != '\r') p++;
    if (!(l->header = pusd__ar_strndup(&l->arena, h, (size_t)(p - h)))) return oom(ps);
    ps->p = p;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == '(') {
        meta_ctx mc = {META_LAYER, &l->meta, NULL};
        if (parse_meta_block(ps, &mc)) return -1;
        if (end_stmt(ps, 0, "the layer metadata")) return -1;
    }
    for (;;) {
        skip_ws(ps);
        if (ps->failed) return -1;
        if (ps->p >= ps->end) return 0;
        if (peek_word(ps, "def") || peek_word(ps, "over") || peek_word(ps, "class")) {
            if (parse_prim(ps, &l->root)) return -1;
            if (end_stmt(ps, 0, "a prim")) return -1;
            maybe_release(ps);
        } else if (peek_word(ps, "reorder")) {
            if (parse_reorder(ps, &l->root, true)) return -1;
            if (end_stmt(ps, 0, "reorder rootPrims")) return -1;
        } else
            return expected(ps, ps->p == ps->buf ? "'#usda 1.0'" : "'def', 'over', 'class' or 'reorder rootPrims' at layer level");
    }
}

static int parse_into(pusd_layer *l, const char *text, size_t len, pusd_error *err, bool release) {
    P ps = {0};
    ps.buf = ps.p = text;
    ps.end = text + len;
    ps.l = l;
    ps.err = err;
    ps.rel_base = text;
    ps.can_release = release;
    int rc = parse_layer_text(&ps);
    if (!rc && ps.failed) rc = -1;
    free(ps.scr);
    pusd__sb_free(&ps.sb);
    return rc;
}

int pusd_layer_parse(const char *identifier, const char *text, size_t len, pusd_layer **out, pusd_error *err) {
    *out = NULL;
    pusd_layer *l = pusd_layer_new(identifier ? identifier : "anon.usda");
    if (!l) {
        pusd_set_error(err, PUSD_ERR_NOMEM, identifier, 0, 0, "out of memory");
        return PUSD_ERR_NOMEM;
    }
    if (parse_into(l, text ? text : "", text ? len : 0, err, false)) {
        pusd_layer_free(l);
        return err ? (int)err->status : PUSD_ERR_SYNTAX;
    }
    l->dirty = false;
    *out = l;
    return 0;
}

int pusd_layer_open(const char *path, pusd_layer **out, pusd_error *err) {
    *out = NULL;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        pusd_set_error(err, PUSD_ERR_IO, path, 0, 0, "cannot open: %s", strerror(errno));
        return PUSD_ERR_IO;
    }
    struct stat st;
    if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
        close(fd);
        pusd_set_error(err, PUSD_ERR_IO, path, 0, 0, "not a regular file");
        return PUSD_ERR_IO;
    }
    size_t len = (size_t)st.st_size;
    char *map = NULL;
    bool mapped = false;
    if (len) {
        map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
        if (map == MAP_FAILED) {
            map = malloc(len);
            if (!map) {
                close(fd);
                pusd_set_error(err, PUSD_ERR_NOMEM, path, 0, 0, "out of memory reading file");
                return PUSD_ERR_NOMEM;
            }
            size_t got = 0;
            while (got < len) {
                ssize_t r = read(fd, map + got, len - got);
                if (r <= 0) break;
                got += (size_t)r;
            }
            len = got;
        } else {
            mapped = true;
            madvise(map, len, MADV_SEQUENTIAL);
        }
    }
    close(fd);
    pusd_layer *l = pusd_layer_new(path);
    int rc = 0;
    if (!l) {
        pusd_set_error(err, PUSD_ERR_NOMEM, path, 0, 0, "out of memory");
        rc = PUSD_ERR_NOMEM;
    } else if (parse_into(l, map ? map : "", len, err, mapped)) {
        pusd_layer_free(l);
        l = NULL;
        rc = err ? (int)err->status : PUSD_ERR_SYNTAX;
    }
    if (mapped) munmap(map, len);
    else free(map);
    if (l) l->dirty = false;
    *out = l;
    return rc;
}
