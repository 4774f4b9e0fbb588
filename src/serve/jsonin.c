/* Request bodies: a strict JSON reader (RFC 8259) into a flat array of
 * tokens that point into the text. It replaces cJSON on the request path
 * for two reasons (docs/serve.md, Numbers): integers are read exactly from
 * their digits (INT64/UINT64 tensors keep every bit past 2^53; cJSON keeps
 * only a double), and reading the small inference request takes about a
 * tenth of cJSON's instructions (no allocation per value, numbers without
 * strtod when they are exact in a double). Nothing is recursive: the
 * nesting depth of hostile input only costs a bounded stack of indices. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "serve_internal.h"

#define MAX_DEPTH 64

static bool is_ws(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
static bool is_digit(char c) { return c >= '0' && c <= '9'; }

static size_t skip_ws(const char *s, size_t len, size_t p) {
    while (p < len && is_ws(s[p]))
        p++;
    return p;
}

static int hex4(const char *s) {
    int v = 0;
    for (int i = 0; i < 4; i++) {
        char c = s[i];
        int d = is_digit(c)            ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

/* A string starting after its quote: the position of the closing quote,
 * or 0 when it is malformed (p is never 0 there). */
static size_t scan_string(const char *s, size_t len, size_t p, bool *escaped) {
    while (p < len) {
        unsigned char c = (unsigned char)s[p];
        if (c == '"')
            return p;
        if (c < 0x20)
            return 0;
        if (c != '\\') {
            p++;
            continue;
        }
        *escaped = true;
        if (p + 1 >= len)
            return 0;
        char e = s[p + 1];
        if (e == 'u') {
            if (p + 6 > len || hex4(s + p + 2) < 0)
                return 0;
            p += 6;
        } else if (strchr("\"\\/bfnrt", e) && e) {
            p += 2;
        } else {
            return 0;
        }
    }
    return 0;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? : the end, or 0. */
static size_t scan_number(const char *s, size_t len, size_t p) {
    if (p < len && s[p] == '-')
        p++;
    if (p >= len || !is_digit(s[p]))
        return 0;
    if (s[p] == '0')
        p++;
    else
        while (p < len && is_digit(s[p]))
            p++;
    if (p < len && s[p] == '.') {
        if (++p >= len || !is_digit(s[p]))
            return 0;
        while (p < len && is_digit(s[p]))
            p++;
    }
    if (p < len && (s[p] == 'e' || s[p] == 'E')) {
        if (++p < len && (s[p] == '+' || s[p] == '-'))
            p++;
        if (p >= len || !is_digit(s[p]))
            return 0;
        while (p < len && is_digit(s[p]))
            p++;
    }
    return p;
}

static int add_token(psv_jdoc *d, psv_jtype type, size_t start, size_t len) {
    if (d->n >= INT32_MAX || !PBASE_RESERVE(d->t, d->cap, d->n + 1))
        return -1;
    d->t[d->n] = (psv_jtok){
        .start = (uint32_t)start, .len = (uint32_t)len, .next = (uint32_t)d->n + 1, .type = (uint8_t)type};
    return (int)d->n++;
}

/* One scalar or the opening of a container at p: the position after it
 * (after the bracket for a container, pushed on the stack), or 0. */
static size_t scan_value(psv_jdoc *d, size_t p, int *stack, int *depth) {
    const char *s = d->text;
    size_t len = d->len;
    if (p >= len)
        return 0;
    char c = s[p];
    if (c == '{' || c == '[') {
        int i = add_token(d, c == '{' ? PSV_JOBJ : PSV_JARR, p, 0);
        if (i < 0 || *depth == MAX_DEPTH)
            return 0;
        stack[(*depth)++] = i;
        return p + 1;
    }
    if (c == '"') {
        bool esc = false;
        size_t end = scan_string(s, len, p + 1, &esc);
        int i = end ? add_token(d, PSV_JSTR, p + 1, end - p - 1) : -1;
        if (i < 0)
            return 0;
        d->t[i].escaped = esc;
        return end + 1;
    }
    const char *word = c == 't' ? "true" : c == 'f' ? "false" : c == 'n' ? "null" : NULL;
    if (word) {
        size_t wl = c == 'f' ? 5 : 4;
        psv_jtype type = c == 't' ? PSV_JTRUE : c == 'f' ? PSV_JFALSE : PSV_JNULL;
        return len - p >= wl && !memcmp(s + p, word, wl) && add_token(d, type, p, wl) >= 0 ? p + wl : 0;
    }
    size_t end = scan_number(s, len, p);
    return end && add_token(d, PSV_JNUM, p, end - p) >= 0 ? end : 0;
}

/* A key and its colon at p, in an object: where its value starts, or 0. */
static size_t scan_key(psv_jdoc *d, size_t p, int *stack, int *depth) {
    if (p >= d->len || d->text[p] != '"')
        return 0;
    p = scan_value(d, p, stack, depth);
    p = p ? skip_ws(d->text, d->len, p) : 0;
    if (!p || p >= d->len || d->text[p] != ':')
        return 0;
    return skip_ws(d->text, d->len, p + 1);
}

static void close_container(psv_jdoc *d, size_t p, int *stack, int *depth) {
    psv_jtok *top = &d->t[stack[--*depth]];
    top->len = (uint32_t)(p + 1 - top->start);
    top->next = (uint32_t)d->n;
}

static char closing(const psv_jtok *t) { return t->type == PSV_JOBJ ? '}' : ']'; }

/* After a value (or a container's opening bracket, opened = true): the
 * position of the next value (after a comma and, in an object, its key),
 * *done when the outermost value closed, or 0 when the text is malformed. */
static size_t next_value(psv_jdoc *d, size_t p, bool opened, int *stack, int *depth, bool *done) {
    for (;;) {
        p = skip_ws(d->text, d->len, p);
        if (*depth == 0) {
            *done = true;
            return p;
        }
        if (p >= d->len)
            return 0;
        const psv_jtok *top = &d->t[stack[*depth - 1]];
        if (d->text[p] == closing(top)) {
            close_container(d, p++, stack, depth);
            opened = false;
            continue;
        }
        if (!opened) {
            if (d->text[p] != ',')
                return 0;
            p = skip_ws(d->text, d->len, p + 1);
        }
        return top->type == PSV_JOBJ ? scan_key(d, p, stack, depth) : p;
    }
}

int psv_json_parse(psv_jdoc *d, const char *text, size_t len, size_t *errpos) {
    memset(d, 0, sizeof *d);
    d->text = text;
    d->len = len;
    *errpos = 0;
    if (len >= UINT32_MAX || !PBASE_RESERVE(d->t, d->cap, len / 8 + 8))
        return -1;
    int stack[MAX_DEPTH], depth = 0;
    size_t p = skip_ws(text, len, 0);
    bool done = false;
    while (!done) {
        int before = depth;
        size_t q = scan_value(d, p, stack, &depth);
        if (q)
            q = next_value(d, q, depth > before, stack, &depth, &done);
        if (!q)
            break; /* p: where the value that failed starts */
        p = q;
    }
    if (!done || p != len) { /* malformed: nothing is kept */
        *errpos = p;
        psv_json_free(d);
        return -1;
    }
    return 0;
}

void psv_json_free(psv_jdoc *d) {
    free(d->t);
    d->t = NULL;
    d->n = d->cap = 0;
}

/* ---- reading the tokens -------------------------------------------------- */

bool psv_j_is(const psv_jdoc *d, int i, psv_jtype type) {
    return i >= 0 && (size_t)i < d->n && d->t[i].type == type;
}

int psv_j_first(const psv_jdoc *d, int c) {
    if (c < 0 || (size_t)c >= d->n || d->t[c].type < PSV_JARR || d->t[c].next == (uint32_t)c + 1)
        return -1;
    return c + 1;
}

int psv_j_next(const psv_jdoc *d, int c, int i) {
    uint32_t n = d->t[i].next;
    if (d->t[c].type == PSV_JOBJ && n < d->t[c].next)
        n = d->t[n].next; /* past the value, to the next key */
    return n < d->t[c].next ? (int)n : -1;
}

int psv_j_get(const psv_jdoc *d, int obj, const char *key) {
    if (!psv_j_is(d, obj, PSV_JOBJ))
        return -1;
    for (int k = psv_j_first(d, obj); k >= 0; k = psv_j_next(d, obj, k))
        if (psv_j_streq(d, k, key))
            return k + 1;
    return -1;
}

/* Decodes string token i into buf (cap > 0; cut to fit, always
 * terminated); returns the decoded length. Lone surrogates become U+FFFD. */
size_t psv_j_str(const psv_jdoc *d, int i, char *buf, size_t cap) {
    const char *s = d->text + d->t[i].start, *end = s + d->t[i].len;
    size_t n = 0;
    char tmp[4];
    while (s < end) {
        size_t k = 1;
        if (*s != '\\') {
            tmp[0] = *s++;
        } else {
            char e = s[1];
            s += 2;
            if (e != 'u') {
                const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
                tmp[0] = to[strchr(from, e) - from];
            } else {
                unsigned cp = (unsigned)hex4(s);
                s += 4;
                if (cp >= 0xd800 && cp < 0xdc00 && end - s >= 6 && s[0] == '\\' && s[1] == 'u') {
                    int lo = hex4(s + 2);
                    if (lo >= 0xdc00 && lo < 0xe000) {
                        cp = 0x10000 + ((cp - 0xd800) << 10) + ((unsigned)lo - 0xdc00);
                        s += 6;
                    }
                }
                if (cp >= 0xd800 && cp < 0xe000)
                    cp = 0xfffd;
                if (cp < 0x80) {
                    tmp[0] = (char)cp;
                } else if (cp < 0x800) {
                    tmp[0] = (char)(0xc0 | cp >> 6), tmp[1] = (char)(0x80 | (cp & 0x3f)), k = 2;
                } else if (cp < 0x10000) {
                    tmp[0] = (char)(0xe0 | cp >> 12), tmp[1] = (char)(0x80 | (cp >> 6 & 0x3f));
                    tmp[2] = (char)(0x80 | (cp & 0x3f)), k = 3;
                } else {
                    tmp[0] = (char)(0xf0 | cp >> 18), tmp[1] = (char)(0x80 | (cp >> 12 & 0x3f));
                    tmp[2] = (char)(0x80 | (cp >> 6 & 0x3f)), tmp[3] = (char)(0x80 | (cp & 0x3f)), k = 4;
                }
            }
        }
        for (size_t m = 0; m < k; m++, n++)
            if (n + 1 < cap)
                buf[n] = tmp[m];
    }
    buf[n < cap ? n : cap - 1] = 0;
    return n;
}

bool psv_j_streq(const psv_jdoc *d, int i, const char *s) {
    if (!psv_j_is(d, i, PSV_JSTR))
        return false;
    size_t sl = strlen(s);
    if (!d->t[i].escaped)
        return d->t[i].len == sl && !memcmp(d->text + d->t[i].start, s, sl);
    char buf[256];
    return sl < sizeof buf && psv_j_str(d, i, buf, sizeof buf) == sl && !memcmp(buf, s, sl);
}

char *psv_j_strdup(const psv_jdoc *d, int i) {
    char one;
    size_t n = psv_j_str(d, i, &one, 1);
    char *s = malloc(n + 1);
    if (s)
        psv_j_str(d, i, s, n + 1);
    return s;
}

/* A plain integer literal (no fraction, no exponent): 1 with its sign and
 * magnitude, exactly, when the magnitude fits 64 bits; -1 when it does not;
 * 0 for anything else. */
int psv_j_integer(const psv_jdoc *d, int i, bool *negative, uint64_t *magnitude) {
    if (!psv_j_is(d, i, PSV_JNUM))
        return 0;
    const char *s = d->text + d->t[i].start, *end = s + d->t[i].len;
    *negative = *s == '-';
    s += *negative;
    uint64_t m = 0;
    bool over = false;
    for (; s < end; s++) {
        if (!is_digit(*s))
            return 0;
        over = over || m > (UINT64_MAX - (uint64_t)(*s - '0')) / 10;
        m = m * 10 + (uint64_t)(*s - '0');
    }
    *magnitude = m;
    return over ? -1 : 1;
}

/* Exact powers of ten as doubles (10^22 is the last one). */
static const double pow10_exact[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                     1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* The number as a double: when its digits (at most 15 significant) and its
 * power of ten (at most 22) are both exact in a double, one multiplication
 * or division rounds correctly (Clinger's fast path); otherwise strtod. */
bool psv_j_double(const psv_jdoc *d, int i, double *out) {
    if (!psv_j_is(d, i, PSV_JNUM))
        return false;
    const char *s = d->text + d->t[i].start, *end = s + d->t[i].len, *p = s;
    bool neg = *p == '-';
    p += neg;
    uint64_t m = 0;
    int digits = 0, exp10 = 0;
    for (; p < end && is_digit(*p); p++)
        if (m || *p != '0')
            m = m * 10 + (uint64_t)(*p - '0'), digits++;
    if (p < end && *p == '.')
        for (p++; p < end && is_digit(*p); p++) {
            if (m || *p != '0')
                m = m * 10 + (uint64_t)(*p - '0'), digits++;
            exp10--;
            if (digits > 15)
                break;
        }
    if (p < end && (*p == 'e' || *p == 'E') && digits <= 15) {
        bool eneg = *++p == '-';
        p += *p == '-' || *p == '+';
        int e = 0;
        for (; p < end && e < 1000; p++)
            e = e * 10 + (*p - '0');
        exp10 += eneg ? -e : e;
    }
    if (p == end && digits <= 15 && exp10 >= -22 && exp10 <= 22) {
        double v = (double)m;
        v = exp10 < 0 ? v / pow10_exact[-exp10] : v * pow10_exact[exp10];
        *out = neg ? -v : v;
        return true;
    }
    char small[64], *copy = d->t[i].len < sizeof small ? small : malloc(d->t[i].len + 1);
    if (!copy)
        return false;
    memcpy(copy, s, d->t[i].len);
    copy[d->t[i].len] = 0;
    *out = strtod(copy, NULL);
    if (copy != small)
        free(copy);
    return true;
}
