/* The reader's lexical layer: error positions and messages, whitespace and
 * comments, identifiers, strings with escapes, asset paths and scene paths. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "parse_internal.h"

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
        if (n == 1 && !(((unsigned char)at[0] >= 0x80) || (at[0] >= 'a' && at[0] <= 'z') ||
                        (at[0] >= 'A' && at[0] <= 'Z') || at[0] == '_' || (at[0] >= '0' && at[0] <= '9')))
            break;
        if (!(((unsigned char)q[-1] >= 0x80) || (q[-1] >= 'a' && q[-1] <= 'z') || (q[-1] >= 'A' && q[-1] <= 'Z') ||
              q[-1] == '_' || (q[-1] >= '0' && q[-1] <= '9') || q[-1] == ':' || q[-1] == '.'))
            break;
        if (q < ps->end && !(((unsigned char)*q >= 0x80) || (*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') ||
                             *q == '_' || (*q >= '0' && *q <= '9') || *q == ':' || *q == '.'))
            break;
    }
    snprintf(buf, size, "'%.*s'", (int)n, at);
    return buf;
}

int pusd__fail(P *ps, const char *at, const char *fmt, ...) {
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

void pusd__warn(P *ps, const char *at, const char *fmt, ...) {
    pusd_layer *l = ps->l;
    if (l->nwarnings >= PUSD_MAX_WARNINGS || !PBASE_RESERVE(l->warnings, l->capwarnings, l->nwarnings + 1)) return;
    pusd_error *w = &l->warnings[l->nwarnings++];
    memset(w, 0, sizeof *w);
    pos_of(ps, at, &w->line, &w->column);
    snprintf(w->file, sizeof w->file, "%s", l->identifier);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->message, sizeof w->message, fmt, ap);
    va_end(ap);
}

int pusd__expected(P *ps, const char *what) {
    char b[64];
    return pusd__fail(ps, ps->p, "expected %s, found %s", what, describe(ps, ps->p, b, sizeof b));
}

int pusd__oom(P *ps) { return pusd__fail(ps, ps->p, "out of memory"); }

/* ---- lexical helpers ----------------------------------------------------------- */

/* Identifiers follow OpenUSD: '_' or XID_Start first, then XID_Continue.
 * No token of the grammar starts with a byte >= 0x80 except an identifier,
 * so a non-ASCII character that cannot be part of one is an error here. */
static const char *scan_ident(P *ps, const char *p) {
    const char *e = ps->end, *s = p;
    while (p < e) {
        unsigned char c = (unsigned char)*p;
        if (c < 0x80) {
            if (!is_id1(c) || (p == s && c >= '0' && c <= '9')) break;
            p++;
            continue;
        }
        uint32_t cp;
        int n = pusd__utf8_decode(p, e, &cp);
        if (!n) {
            pusd__fail(ps, p, "invalid UTF-8 in an identifier");
            return p;
        }
        if (!(p == s ? pusd__xid_start(cp) : pusd__xid_continue(cp))) {
            pusd__fail(ps, p, "U+%04X cannot %s an identifier (OpenUSD follows the Unicode XID rules)", (unsigned)cp,
                       p == s ? "start" : "be part of");
            return p;
        }
        p += n;
    }
    return p;
}

/* Reads an identifier; returns length (0 if none). */
size_t pusd__read_ident(P *ps, const char **s) {
    const char *q = scan_ident(ps, ps->p);
    *s = ps->p;
    size_t n = (size_t)(q - ps->p);
    ps->p = q;
    return n;
}

/* Namespaced identifier a:b:c */
size_t pusd__read_nsident(P *ps, const char **s) {
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

/* The rest of pusd__end_stmt (parse_internal.h): end of input, ';', the closing delimiter or an error. */
int pusd__end_stmt_slow(P *ps, char close, const char *what) {
    if (ps->failed) return -1;
    if (ps->p >= ps->end) return 0;
    if (*ps->p == '\n' || *ps->p == ';') {
        ps->p++;
        return 0;
    }
    if (close && *ps->p == close) return 0;
    char b[64];
    return pusd__fail(ps, ps->p, "expected a newline or ';' after %s, found %s", what,
                      describe(ps, ps->p, b, sizeof b));
}

void *pusd__scratch(P *ps, size_t bytes) {
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
int pusd__read_string_sb(P *ps) {
    const char *p = ps->p, *e = ps->end;
    if (p >= e || (*p != '"' && *p != '\'')) return pusd__expected(ps, "a quoted string");
    char q = *p;
    bool triple = e - p >= 3 && p[1] == q && p[2] == q;
    p += triple ? 3 : 1;
    ps->sb.len = 0;
    if (ps->sb.p) ps->sb.p[0] = 0;
    const char *run = p;
    for (;;) {
        if (p >= e) {
            ps->p = p;
            return pusd__fail(ps, ps->p, "unterminated string (started with %s)",
                              triple ? (q == '"' ? "\"\"\"" : "'''") : (q == '"' ? "\"" : "'"));
        }
        char c = *p;
        if (c == q && (!triple || (e - p >= 3 && p[1] == q && p[2] == q))) {
            pusd__sb_put(&ps->sb, run, (size_t)(p - run));
            p += triple ? 3 : 1;
            break;
        }
        if (c == '\n' && !triple) {
            ps->p = p;
            return pusd__fail(ps, p,
                              "newline in a single-quoted string; use \"\"\" for multi-line strings or write \\n");
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
                    return pusd__fail(ps, p - 2, "\\x escape needs 1 or 2 hex digits");
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
    if (ps->sb.oom) return pusd__oom(ps);
    if (!ps->sb.p) pusd__sb_put(&ps->sb, "", 0);
    return 0;
}

const char *pusd__read_string(P *ps, bool interned) {
    if (pusd__read_string_sb(ps)) return NULL;
    const char *s = interned ? pusd__intern(&ps->l->strings, &ps->l->arena, ps->sb.p, ps->sb.len)
                             : pusd__ar_strndup(&ps->l->arena, ps->sb.p, ps->sb.len);
    if (!s) pusd__oom(ps);
    return s;
}

const char *pusd__read_asset(P *ps) {
    const char *p = ps->p, *e = ps->end;
    if (p >= e || *p != '@') {
        pusd__expected(ps, "an asset path @...@");
        return NULL;
    }
    ps->sb.len = 0;
    if (e - p >= 3 && p[1] == '@' && p[2] == '@') {
        p += 3;
        for (;;) {
            if (p >= e || *p == '\n' || *p == 0) {
                pusd__fail(ps, ps->p, "unterminated asset path @@@ (asset paths cannot span lines or contain NUL)");
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
                    pusd__fail(ps, p, "too many '@' closing an @@@ asset path");
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
            pusd__fail(ps, ps->p, "unterminated asset path (missing closing '@')");
            return NULL;
        }
        pusd__sb_put(&ps->sb, s, (size_t)(p - s));
        p++;
    }
    ps->p = p;
    if (!ps->sb.p) pusd__sb_put(&ps->sb, "", 0);
    const char *r = pusd__ar_strndup(&ps->l->arena, ps->sb.p, ps->sb.len);
    if (!r) pusd__oom(ps);
    return r;
}

/* Reads <path>. no_variant: variant selections are an error here. */
const char *pusd__read_path(P *ps, bool no_variant, const char *what) {
    const char *p = ps->p, *e = ps->end;
    if (p >= e || *p != '<') {
        pusd__expected(ps, "a path <...>");
        return NULL;
    }
    const char *s = ++p;
    while (p < e && *p != '>' && *p != '\n') p++;
    if (p >= e || *p != '>') {
        pusd__fail(ps, ps->p, "unterminated path (missing closing '>')");
        return NULL;
    }
    for (const char *q = s; q < p; q++) {
        if (*q == '{' && no_variant) {
            pusd__fail(ps, q, "variant selections are not allowed in %s paths", what);
            return NULL;
        }
        if (*q == ' ' || *q == '\t') {
            pusd__fail(ps, q, "whitespace is not allowed inside a path");
            return NULL;
        }
    }
    const char *r = pusd__ar_strndup(&ps->l->arena, s, (size_t)(p - s));
    if (!r) pusd__oom(ps);
    ps->p = p + 1;
    return r;
}
