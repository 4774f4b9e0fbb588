/* Internal declarations shared by the files of the .usda reader: the parser
 * state, the lexical helpers inlined into every hot loop, and the readers of
 * text, values and list ops. */
#ifndef PUSD_PARSE_INTERNAL_H
#define PUSD_PARSE_INTERNAL_H

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
    sbuf sb;                              /* scratch for strings */
    pusd_value last_small[PUSD_T_COUNT_]; /* dedupe of repeated small values */
    const char *rel_base;                 /* mmap release bookkeeping */
    size_t rel_done;
    int can_release;
} P;

int pusd__fail(P *ps, const char *at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* A warning kept in the layer (pusd_layer_warning); parsing goes on. */
void pusd__warn(P *ps, const char *at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

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
                pusd__fail(ps, p, "unterminated /* comment");
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

static inline bool is_id0(unsigned char c) {
    return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
}

static inline bool is_id1(unsigned char c) { return is_id0(c) || (c >= '0' && c <= '9'); }

/* parse_lex.c: errors ("expected X, found Y"), identifiers, strings, asset paths, paths. */
int pusd__expected(P *ps, const char *what);
int pusd__oom(P *ps);
size_t pusd__read_ident(P *ps, const char **s);
size_t pusd__read_nsident(P *ps, const char **s); /* namespaced: a:b:c */
int pusd__read_string_sb(P *ps);                  /* into ps->sb */
const char *pusd__read_string(P *ps, bool interned);
const char *pusd__read_asset(P *ps);
const char *pusd__read_path(P *ps, bool no_variant, const char *what);
void *pusd__scratch(P *ps, size_t bytes); /* the reused array buffer */

/* parse_value.c: values, raw metadata text, dictionaries, list ops, layer offsets. */
int pusd__parse_value(P *ps, int type, bool is_array, pusd_value *out);
int pusd__parse_raw(P *ps, pusd_value *out);
int pusd__parse_dict(P *ps, pusd_value *out);
int pusd__parse_listop_value(P *ps, int lt, pusd_listop *lo, int k);
int pusd__parse_layer_offset(P *ps, double *off, double *scale, const pusd_dict **cd, bool allow_cd);

/* Small helpers called for every token: inline, so constant words fold. */
static inline bool pusd__word_is(const char *s, size_t n, const char *w) { return strlen(w) == n && !memcmp(s, w, n); }

static inline bool pusd__peek_word(P *ps, const char *w) {
    size_t n = strlen(w);
    return (size_t)(ps->end - ps->p) >= n && !memcmp(ps->p, w, n) &&
           (ps->p + n == ps->end || !is_id1((unsigned char)ps->p[n]));
}

static inline int pusd__expect_char(P *ps, char c, const char *what) {
    if (ps->p < ps->end && *ps->p == c) {
        ps->p++;
        return 0;
    }
    return pusd__expected(ps, what);
}

static inline int pusd__listop_kind(const char *s, size_t n) {
    if (pusd__word_is(s, n, "add")) return PUSD_LISTOP_ADD;
    if (pusd__word_is(s, n, "prepend")) return PUSD_LISTOP_PREPEND;
    if (pusd__word_is(s, n, "append")) return PUSD_LISTOP_APPEND;
    if (pusd__word_is(s, n, "delete")) return PUSD_LISTOP_DELETE;
    if (pusd__word_is(s, n, "reorder")) return PUSD_LISTOP_ORDER;
    return -1;
}

int pusd__end_stmt_slow(P *ps, char close, const char *what);

/* After a statement: newline or ';' (or the closing delimiter) must follow. */
static inline int pusd__end_stmt(P *ps, char close, const char *what) {
    skip_inline(ps);
    if (!ps->failed && ps->p < ps->end && *ps->p == '\n') {
        ps->p++;
        return 0;
    }
    return pusd__end_stmt_slow(ps, close, what);
}

#endif
