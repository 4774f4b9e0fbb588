/* Variable expressions (`...` in asset paths and variant selections), evaluated
 * as OpenUSD's SdfVariableExpression evaluates them (24.x, from its
 * documentation and tests): `${VAR}` values from an expressionVariables
 * dictionary, quoted strings with ${VAR} substitution, integers, booleans,
 * None, lists of one scalar type, and the functions if, eq, neq, lt, leq,
 * gt, geq, and, or, not, contains, at, len and defined. Parsing and
 * evaluation are one recursive-descent pass: every argument is evaluated
 * (as OpenUSD evaluates both branches of if), so the first error found is
 * the one reported. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "internal.h"

enum { XV_NONE, XV_STR, XV_INT, XV_BOOL, XV_LIST };

typedef struct xval {
    uint8_t kind;
    uint8_t elem; /* XV_LIST: kind of the items (XV_NONE: the empty list) */
    int64_t i;    /* XV_INT, XV_BOOL */
    char *s;      /* XV_STR, malloc'ed */
    struct xval *items;
    size_t n;
} xval;

#define MAX_VAR_DEPTH 32

typedef struct xctx {
    const pusd_dict *vars;
    const char *stack[MAX_VAR_DEPTH]; /* variables being expanded, for cycles */
    int depth;
    int nest; /* values being parsed (function arguments nest): bounds the recursion */
    bool failed;
    char err[256];
} xctx;

typedef struct xin {
    const char *p, *end;
    xctx *c;
} xin;

static void xfree(xval *v) {
    free(v->s);
    for (size_t k = 0; k < v->n; k++) xfree(&v->items[k]);
    free(v->items);
    *v = (xval){0};
}

static bool xerr(xctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool xerr(xctx *c, const char *fmt, ...) {
    if (!c->failed) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->err, sizeof c->err, fmt, ap);
        va_end(ap);
        c->failed = true;
    }
    return false;
}

static const char *kind_name(const xval *v) {
    static const char *const names[] = {"None", "string", "int", "bool", "list"};
    return names[v->kind];
}

static bool same_type(const xval *a, const xval *b) {
    return a->kind == b->kind && (a->kind != XV_LIST || a->elem == b->elem);
}

static bool is_ident_start(char ch) { return ch == '_' || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z'); }
static bool is_ident(char ch) { return is_ident_start(ch) || (ch >= '0' && ch <= '9'); }

static size_t ident_len(const xin *in) {
    size_t n = 0;
    if (in->p < in->end && is_ident_start(*in->p))
        while (in->p + n < in->end && is_ident(in->p[n])) n++;
    return n;
}

static void skip_spaces(xin *in) {
    while (in->p < in->end && *in->p == ' ') in->p++;
}

static bool xstrdup_n(xval *v, const char *s, size_t n) {
    *v = (xval){.kind = XV_STR, .s = malloc(n + 1)};
    if (!v->s) return false;
    memcpy(v->s, s, n);
    v->s[n] = 0;
    return true;
}

/* ---- variables -------------------------------------------------------------------------------- */

static bool eval_text(xctx *c, const char *text, size_t n, xval *out);

static const pusd_value *var_lookup(const xctx *c, const char *name, size_t n) {
    for (uint32_t i = 0; c->vars && i < c->vars->count; i++)
        if (strlen(c->vars->entries[i].key) == n && !memcmp(c->vars->entries[i].key, name, n))
            return &c->vars->entries[i].value;
    return NULL;
}

static bool scalar_from(const pusd_value *v, size_t k, xval *out) {
    const void *d = v->data;
    switch (v->type) {
    case PUSD_T_STRING: return xstrdup_n(out, ((const char *const *)d)[k], strlen(((const char *const *)d)[k]));
    case PUSD_T_INT: *out = (xval){.kind = XV_INT, .i = ((const int32_t *)d)[k]}; return true;
    case PUSD_T_INT64: *out = (xval){.kind = XV_INT, .i = ((const int64_t *)d)[k]}; return true;
    case PUSD_T_BOOL: *out = (xval){.kind = XV_BOOL, .i = ((const uint8_t *)d)[k] != 0}; return true;
    default: return false;
    }
}

/* A dictionary value as an expression value: string, int (int32 widened), int64, bool, or an
 * array of them (a list). */
static bool value_from(xctx *c, const char *name, const pusd_value *v, xval *out) {
    bool ok_type =
        v->type == PUSD_T_STRING || v->type == PUSD_T_INT || v->type == PUSD_T_INT64 || v->type == PUSD_T_BOOL;
    if (!ok_type || !v->data) {
        const char *tn = pusd_type_name((pusd_type)v->type);
        return xerr(c, "Variable '%s' has unsupported type %s%s", name, tn && *tn ? tn : "value",
                    v->flags & PUSD_VF_ARRAY ? "[]" : "");
    }
    if (!(v->flags & PUSD_VF_ARRAY)) return scalar_from(v, 0, out) || xerr(c, "out of memory");
    *out = (xval){.kind = XV_LIST, .elem = XV_NONE, .items = calloc(v->count ? v->count : 1, sizeof(xval))};
    if (!out->items) return xerr(c, "out of memory");
    for (uint32_t k = 0; k < v->count; k++, out->n++)
        if (!scalar_from(v, k, &out->items[k])) return xerr(c, "out of memory");
    out->elem = v->type == PUSD_T_STRING ? XV_STR : v->type == PUSD_T_BOOL ? XV_BOOL : XV_INT;
    return true;
}

/* The value of variable name[0..n): *found = false when the dictionary has no such key. A string
 * value that is itself an expression is evaluated (cycles are errors). */
static bool get_var(xctx *c, const char *name, size_t n, xval *out, bool *found) {
    char nm[128];
    snprintf(nm, sizeof nm, "%.*s", (int)(n < 127 ? n : 127), name);
    for (int k = 0; k < c->depth; k++)
        if (!strcmp(c->stack[k], nm)) return xerr(c, "Encountered circular variable substitutions ending in '%s'", nm);
    const pusd_value *v = var_lookup(c, name, n);
    *found = v != NULL;
    *out = (xval){0};
    if (!v) return true;
    if (!value_from(c, nm, v, out)) return false;
    size_t len = out->kind == XV_STR ? strlen(out->s) : 0;
    if (len < 2 || out->s[0] != '`' || out->s[len - 1] != '`') return true;
    if (c->depth == MAX_VAR_DEPTH) return xerr(c, "variable expressions nested too deeply at '%s'", nm);
    char *text = out->s;
    out->s = NULL;
    c->stack[c->depth++] = nm;
    bool ok = eval_text(c, text, len, out);
    c->depth--;
    free(text);
    if (!ok && c->failed && !strstr(c->err, " (in variable ")) {
        size_t e = strlen(c->err);
        snprintf(c->err + e, sizeof c->err - e, " (in variable '%s')", nm);
    }
    return ok;
}

/* ---- scalars ---------------------------------------------------------------------------------- */

static bool parse_value(xin *in, xval *out, bool list_ok);

/* ${NAME}: the variable's value; a missing variable is an error. */
static bool parse_variable(xin *in, const char **name, size_t *n) {
    in->p += 2;
    *n = ident_len(in);
    *name = in->p;
    if (!*n) return xerr(in->c, "Variables must be a C identifier");
    in->p += *n;
    if (in->p >= in->end || *in->p != '}') return xerr(in->c, "Missing ending '}'");
    in->p++;
    return true;
}

static bool append(char **buf, size_t *len, size_t *cap, const char *s, size_t n) {
    if (*len + n + 1 > *cap) {
        size_t nc = (*len + n + 1) * 2;
        char *t = realloc(*buf, nc);
        if (!t) return false;
        *buf = t;
        *cap = nc;
    }
    memcpy(*buf + *len, s, n);
    *len += n;
    (*buf)[*len] = 0;
    return true;
}

/* An escape in a quoted string's text: C escapes, \xHH, octal, else the character itself. */
static size_t unescape(const char *p, const char *end, char *ch) {
    static const char from[] = "abfnrtv", to[] = "\a\b\f\n\r\t\v";
    const char *f = p < end ? strchr(from, *p) : NULL;
    if (f && *p) return *ch = to[f - from], 1;
    if (p < end && *p == 'x') {
        int v = 0;
        size_t k = 1;
        for (; k < 3 && p + k < end && strchr("0123456789abcdefABCDEF", p[k]) && p[k]; k++)
            v = v * 16 + (p[k] <= '9' ? p[k] - '0' : (p[k] | 0x20) - 'a' + 10);
        if (k > 1) return *ch = (char)v, k;
    }
    if (p < end && *p >= '0' && *p <= '7') {
        int v = 0;
        size_t k = 0;
        for (; k < 3 && p + k < end && p[k] >= '0' && p[k] <= '7'; k++) v = v * 8 + (p[k] - '0');
        return *ch = (char)v, k;
    }
    return *ch = *p, 1;
}

/* A quoted string: the text between the quotes with C escapes applied (\` \$ \\ and an escaped
 * quote stand for themselves) and ${VAR} replaced by the variable's string value (None gives "";
 * a variable the dictionary lacks leaves its bare name, as OpenUSD 24.x does). */
static bool parse_string(xin *in, xval *out) {
    char q = *in->p++, *buf = NULL;
    size_t len = 0, cap = 0;
    bool ok = append(&buf, &len, &cap, "", 0);
    while (ok && in->p < in->end && *in->p != q) {
        if (*in->p == '\\' && in->p + 1 < in->end) {
            char ch;
            in->p += 1 + unescape(in->p + 1, in->end, &ch);
            ok = append(&buf, &len, &cap, &ch, 1);
        } else if (*in->p == '$' && in->p + 1 < in->end && in->p[1] == '{') {
            const char *name;
            size_t n;
            xval v = {0};
            bool found = false;
            ok = parse_variable(in, &name, &n) && get_var(in->c, name, n, &v, &found);
            if (ok && found && v.kind != XV_STR && v.kind != XV_NONE)
                ok = xerr(in->c, "String value required for substituting variable '%.*s', got %s.", (int)n, name,
                          kind_name(&v));
            if (ok)
                ok = !found ? append(&buf, &len, &cap, name, n)
                            : append(&buf, &len, &cap, v.s ? v.s : "", v.s ? strlen(v.s) : 0);
            xfree(&v);
        } else
            ok = append(&buf, &len, &cap, in->p++, 1);
    }
    if (ok && (in->p >= in->end || *in->p != q)) ok = xerr(in->c, "Missing ending quote (%c) or an invalid escape", q);
    if (!ok) {
        free(buf);
        return buf ? false : xerr(in->c, "out of memory");
    }
    in->p++;
    *out = (xval){.kind = XV_STR, .s = buf};
    return true;
}

static bool parse_integer(xin *in, xval *out) {
    const char *s = in->p;
    if (in->p < in->end && *in->p == '-') in->p++;
    while (in->p < in->end && *in->p >= '0' && *in->p <= '9') in->p++;
    if (in->p < in->end && is_ident(*in->p)) return xerr(in->c, "Invalid integer '%.*s'", (int)(in->p - s + 1), s);
    char t[32];
    if (in->p - s > 30) return xerr(in->c, "Integer %.*s out of range.", (int)(in->p - s), s);
    snprintf(t, sizeof t, "%.*s", (int)(in->p - s), s);
    errno = 0;
    long long v = strtoll(t, NULL, 10);
    if (errno == ERANGE) return xerr(in->c, "Integer %s out of range.", t);
    *out = (xval){.kind = XV_INT, .i = v};
    return true;
}

/* ---- functions -------------------------------------------------------------------------------- */

#define MAX_ARGS 64

static bool want_bool(xctx *c, const char *fn, const xval *v, size_t i) {
    return v->kind == XV_BOOL || xerr(c, "%s: Invalid type %s for argument %zu", fn, kind_name(v), i);
}

static int scalar_cmp(const xval *a, const xval *b) {
    if (a->kind == XV_STR) return strcmp(a->s, b->s);
    return (a->i > b->i) - (a->i < b->i);
}

static bool fn_compare(xctx *c, const char *fn, xval *a, xval *out) {
    if (!same_type(&a[0], &a[1]))
        return xerr(c, "%s: Cannot compare values of type %s and %s", fn, kind_name(&a[0]), kind_name(&a[1]));
    bool eq = !strcmp(fn, "eq"), neq = !strcmp(fn, "neq");
    if (a[0].kind == XV_NONE) {
        if (!eq && !neq) return xerr(c, "%s: Comparison operation not supported for None", fn);
        *out = (xval){.kind = XV_BOOL, .i = eq};
        return true;
    }
    if (a[0].kind == XV_LIST) return xerr(c, "%s: Unsupported type for comparison", fn);
    int r = scalar_cmp(&a[0], &a[1]);
    bool v = eq                   ? r == 0
             : neq                ? r != 0
             : !strcmp(fn, "lt")  ? r < 0
             : !strcmp(fn, "leq") ? r <= 0
             : !strcmp(fn, "gt")  ? r > 0
                                  : r >= 0;
    *out = (xval){.kind = XV_BOOL, .i = v};
    return true;
}

static bool fn_logic(xctx *c, const char *fn, xval *a, size_t n, xval *out) {
    bool is_and = !strcmp(fn, "and"), v = is_and;
    for (size_t i = 0; i < n; i++) {
        if (!want_bool(c, fn, &a[i], i)) return false;
        v = is_and ? v && a[i].i : v || a[i].i;
    }
    *out = (xval){.kind = XV_BOOL, .i = v};
    return true;
}

static bool fn_if(xctx *c, xval *a, size_t n, xval *out) {
    if (a[0].kind != XV_BOOL) return xerr(c, "if: Condition must be a boolean value");
    if (n == 3 && !same_type(&a[1], &a[2]) && a[1].kind != XV_NONE && a[2].kind != XV_NONE)
        return xerr(c, "if: if-value and else-value must evaluate to the same type or None.");
    size_t k = a[0].i ? 1 : 2;
    if (k < n) {
        *out = a[k];
        a[k] = (xval){0};
    }
    return true;
}

static bool fn_contains(xctx *c, xval *a, xval *out) {
    bool v = false;
    if (a[0].kind == XV_STR) {
        if (a[1].kind != XV_STR) return xerr(c, "contains: Invalid search value");
        v = strstr(a[0].s, a[1].s) != NULL;
    } else if (a[0].kind == XV_LIST) {
        if (a[0].elem != XV_NONE && a[1].kind != a[0].elem) return xerr(c, "contains: Invalid search value");
        for (size_t k = 0; k < a[0].n && !v; k++) v = !scalar_cmp(&a[0].items[k], &a[1]);
    } else
        return xerr(c, "contains: Value to search must be a list or string");
    *out = (xval){.kind = XV_BOOL, .i = v};
    return true;
}

static bool fn_at(xctx *c, xval *a, xval *out) {
    if (a[1].kind != XV_INT) return xerr(c, "at: Index must be an integer");
    if (a[0].kind != XV_STR && a[0].kind != XV_LIST) return xerr(c, "at: Only supported for lists or strings");
    int64_t size = a[0].kind == XV_STR ? (int64_t)strlen(a[0].s) : (int64_t)a[0].n, i = a[1].i;
    if (i < 0) i += size;
    if (i < 0 || i >= size) return xerr(c, "at: Index out of range");
    if (a[0].kind == XV_STR) return xstrdup_n(out, a[0].s + i, 1) || xerr(c, "out of memory");
    *out = a[0].items[i];
    a[0].items[i] = (xval){0};
    return true;
}

static bool fn_defined(xctx *c, xval *a, size_t n, xval *out) {
    bool v = true;
    for (size_t i = 0; i < n; i++) {
        if (a[i].kind != XV_STR) return xerr(c, "defined: Invalid type %s for argument %zu", kind_name(&a[i]), i);
        v = v && var_lookup(c, a[i].s, strlen(a[i].s)) != NULL;
    }
    *out = (xval){.kind = XV_BOOL, .i = v};
    return true;
}

/* Calls function name[0..nn) on its evaluated arguments: the arity first (OpenUSD's messages),
 * then each function's type rules. */
static bool call(xctx *c, const char *name, size_t nn, xval *a, size_t n, xval *out) {
    static const struct {
        const char *name;
        uint8_t min, max; /* max 0: any number from min */
    } fns[] = {{"if", 2, 3},       {"eq", 2, 2},  {"neq", 2, 2}, {"lt", 2, 2},     {"leq", 2, 2},
               {"gt", 2, 2},       {"geq", 2, 2}, {"and", 2, 0}, {"or", 2, 0},     {"not", 1, 1},
               {"contains", 2, 2}, {"at", 2, 2},  {"len", 1, 1}, {"defined", 1, 0}};
    char fn[16];
    snprintf(fn, sizeof fn, "%.*s", (int)(nn < 15 ? nn : 15), name);
    size_t k = 0;
    while (k < sizeof fns / sizeof *fns && (strlen(fns[k].name) != nn || memcmp(fns[k].name, name, nn))) k++;
    if (k == sizeof fns / sizeof *fns) return xerr(c, "Unknown function %.*s", (int)nn, name);
    if (n < fns[k].min && !fns[k].max && fns[k].min != fns[k].max)
        return xerr(c, "Function '%s' requires at least %u arguments.", fn, fns[k].min);
    if (n < fns[k].min || (fns[k].max && n > fns[k].max))
        return xerr(c, "Function '%s' does not take %zu arguments.", fn, n);
    if (!strcmp(fn, "if")) return fn_if(c, a, n, out);
    if (!strcmp(fn, "and") || !strcmp(fn, "or")) return fn_logic(c, fn, a, n, out);
    if (!strcmp(fn, "not")) {
        if (a[0].kind != XV_BOOL) return xerr(c, "not: Invalid type %s for argument", kind_name(&a[0]));
        *out = (xval){.kind = XV_BOOL, .i = !a[0].i};
        return true;
    }
    if (!strcmp(fn, "contains")) return fn_contains(c, a, out);
    if (!strcmp(fn, "at")) return fn_at(c, a, out);
    if (!strcmp(fn, "defined")) return fn_defined(c, a, n, out);
    if (!strcmp(fn, "len")) {
        if (a[0].kind != XV_STR && a[0].kind != XV_LIST) return xerr(c, "len: Unsupported type");
        *out = (xval){.kind = XV_INT, .i = a[0].kind == XV_STR ? (int64_t)strlen(a[0].s) : (int64_t)a[0].n};
        return true;
    }
    return fn_compare(c, fn, a, out);
}

/* name( args ): spaces may pad the parentheses and the commas. */
static bool parse_call(xin *in, size_t nn, xval *out) {
    const char *name = in->p;
    in->p += nn;
    skip_spaces(in);
    in->p++; /* '(' */
    skip_spaces(in);
    xval a[MAX_ARGS];
    size_t n = 0;
    bool ok = true;
    if (in->p < in->end && *in->p != ')') {
        for (;;) {
            if (n == MAX_ARGS) {
                ok = xerr(in->c, "too many arguments to %.*s", (int)nn, name);
                break;
            }
            a[n] = (xval){0};
            if (!(ok = parse_value(in, &a[n++], true))) break;
            skip_spaces(in);
            if (in->p >= in->end || *in->p != ',') break;
            in->p++;
            skip_spaces(in);
        }
    }
    if (ok && (in->p >= in->end || *in->p != ')'))
        ok = xerr(in->c, "Missing ')' after the arguments of %.*s", (int)nn, name);
    if (ok) {
        in->p++;
        skip_spaces(in);
        ok = call(in->c, name, nn, a, n, out);
    }
    for (size_t k = 0; k < n; k++) xfree(&a[k]);
    return ok;
}

/* [a, b, ...]: scalars of one type (not None); [] is the empty list. */
static bool parse_list(xin *in, xval *out) {
    in->p++;
    *out = (xval){.kind = XV_LIST, .elem = XV_NONE};
    size_t cap = 0;
    if (in->p < in->end && *in->p == ' ') {
        skip_spaces(in);
        if (in->p >= in->end || *in->p != ']') return xerr(in->c, "Missing ']' at the end of a list");
    }
    while (in->p < in->end && *in->p != ']') {
        xval v = {0};
        if (!parse_value(in, &v, false)) return xfree(&v), false;
        if (v.kind == XV_NONE || v.kind == XV_LIST || (out->elem != XV_NONE && v.kind != out->elem)) {
            xerr(in->c, "Unexpected value of type %s in list at element %zu", kind_name(&v), out->n);
            return xfree(&v), false;
        }
        if (v.kind != XV_NONE) {
            if (out->n == cap && !PBASE_RESERVE(out->items, cap, out->n + 1))
                return xfree(&v), xerr(in->c, "out of memory");
            out->elem = v.kind;
            out->items[out->n++] = v;
        }
        skip_spaces(in);
        if (in->p < in->end && *in->p == ',') {
            in->p++;
            skip_spaces(in);
        } else if (in->p >= in->end || *in->p != ']')
            return xerr(in->c, "Missing ']' or ',' in a list");
    }
    if (in->p >= in->end) return xerr(in->c, "Missing ']' at the end of a list");
    in->p++;
    return true;
}

static bool parse_value_in(xin *in, xval *out, bool list_ok);

#define MAX_NEST 64

static bool parse_value(xin *in, xval *out, bool list_ok) {
    *out = (xval){0};
    if (in->c->nest >= MAX_NEST) return xerr(in->c, "expression nested more than %d levels deep", MAX_NEST);
    in->c->nest++;
    bool ok = parse_value_in(in, out, list_ok);
    in->c->nest--;
    return ok;
}

static bool parse_value_in(xin *in, xval *out, bool list_ok) {
    if (in->p >= in->end) return xerr(in->c, "Expected a value");
    char ch = *in->p;
    if (ch == '$' && in->p + 1 < in->end && in->p[1] == '{') {
        const char *name;
        size_t n;
        bool found = false;
        if (!parse_variable(in, &name, &n) || !get_var(in->c, name, n, out, &found)) return false;
        return found || xerr(in->c, "No value for variable '%.*s'", (int)n, name);
    }
    if (ch == '"' || ch == '\'') return parse_string(in, out);
    if (ch == '-' || (ch >= '0' && ch <= '9')) return parse_integer(in, out);
    if (ch == '[') return list_ok ? parse_list(in, out) : xerr(in->c, "a list cannot hold a list");
    size_t nn = ident_len(in);
    if (!nn) return xerr(in->c, "Unexpected '%c' where a value was expected", ch);
    const char *w = in->p;
    const char *after = w + nn;
    while (after < in->end && *after == ' ') after++;
    if (after < in->end && *after == '(') return parse_call(in, nn, out);
    in->p += nn;
#define WORD(s) (nn == sizeof s - 1 && !memcmp(w, s, nn))
    if (WORD("true") || WORD("True") || WORD("false") || WORD("False")) {
        *out = (xval){.kind = XV_BOOL, .i = w[0] == 't' || w[0] == 'T'};
        return true;
    }
    if (WORD("None") || WORD("none")) return true;
#undef WORD
    return xerr(in->c, "Unexpected '%.*s' where a value was expected", (int)nn, w);
}

/* text[0..n) is `body`: evaluates the body. */
static bool eval_text(xctx *c, const char *text, size_t n, xval *out) {
    xin in = {text + 1, text + n - 1, c};
    if (!parse_value(&in, out, true)) return false;
    if (in.p != in.end) return xerr(c, "Unexpected text '%.*s' after the expression", (int)(in.end - in.p), in.p);
    return true;
}

bool pusd_is_variable_expression(const char *s) {
    size_t n = s ? strlen(s) : 0;
    return n >= 2 && s[0] == '`' && s[n - 1] == '`';
}

int pusd_variable_expression_eval(const char *expr, const pusd_value *vars, char **out, char *err, size_t errcap) {
    xctx c = {.vars = vars && vars->type == PUSD_T_DICTIONARY ? vars->data : NULL};
    xval v = {0};
    *out = NULL;
    bool ok = pusd_is_variable_expression(expr) ? eval_text(&c, expr, strlen(expr), &v)
                                                : xerr(&c, "an expression is text between backticks (`)");
    if (ok && v.kind != XV_STR && v.kind != XV_NONE)
        ok = xerr(&c, "Expression evaluated to '%s' but expected 'string'", kind_name(&v));
    if (ok && v.kind == XV_STR) {
        *out = v.s;
        v.s = NULL;
    }
    xfree(&v);
    if (!ok && err && errcap) snprintf(err, errcap, "%s", c.err);
    return ok ? 0 : -1;
}
