/* The reader's values: numbers, typed scalars, tuples and arrays stored
 * straight into contiguous buffers, raw metadata text, dictionaries and
 * list ops (references, payloads, paths, tokens). */
#include <errno.h>
#include <math.h>
#include <stdlib.h>

#include "parse_internal.h"

/* ---- numbers -------------------------------------------------------------------------- */

static int parse_int(P *ps, int elem, int type, void *dst) {
    const char *p = ps->p, *e = ps->end;
    bool neg = false;
    if (p < e && *p == '-') neg = true, p++;
    if (p >= e || *p < '0' || *p > '9') return pusd__expected(ps, "an integer");
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
        if (!q || d != floor(d) || fabs(d) > 9.2e18)
            return pusd__fail(ps, ps->p, "expected an integer value for %s, found a fractional number",
                              pusd_tinfo(type)->name);
        p = q;
        neg = d < 0;
        v = (uint64_t)fabs(d);
    }
    const char *name = pusd_tinfo(type)->name;
    if (type == PUSD_T_BOOL) {
        if (neg || v > 1) return pusd__fail(ps, ps->p, "expected a bool (true, false, 1 or 0)");
        *(uint8_t *)dst = (uint8_t)v;
        ps->p = p;
        return 0;
    }
    switch (elem) {
    case PUSD_E_U8:
        if (ovf || neg || v > 255) return pusd__fail(ps, ps->p, "value out of range for %s (0..255)", name);
        *(uint8_t *)dst = (uint8_t)v;
        break;
    case PUSD_E_I32:
        if (ovf || (neg ? v > 2147483648ull : v > 2147483647ull))
            return pusd__fail(ps, ps->p, "value out of range for %s (32-bit signed)", name);
        *(int32_t *)dst = neg ? (int32_t)(-(int64_t)v) : (int32_t)v;
        break;
    case PUSD_E_U32:
        if (ovf || (neg && v) || v > 4294967295ull)
            return pusd__fail(ps, ps->p, "value out of range for %s (32-bit unsigned)", name);
        *(uint32_t *)dst = (uint32_t)v;
        break;
    case PUSD_E_I64:
        if (ovf || (neg ? v > 9223372036854775808ull : v > 9223372036854775807ull))
            return pusd__fail(ps, ps->p, "value out of range for %s (64-bit signed)", name);
        *(int64_t *)dst = neg ? (int64_t)(0 - v) : (int64_t)v;
        break;
    case PUSD_E_U64:
        if (ovf || (neg && v)) return pusd__fail(ps, ps->p, "value out of range for %s (64-bit unsigned)", name);
        *(uint64_t *)dst = v;
        break;
    default: return pusd__fail(ps, ps->p, "internal: bad integer kind");
    }
    ps->p = p;
    return 0;
}

static int parse_real(P *ps, int elem, void *dst) {
    const char *q;
    if (elem == PUSD_E_FLOAT)
        q = pusd__parse_float_fast(ps->p, ps->end, dst);
    else {
        double d;
        q = pusd__parse_double_fast(ps->p, ps->end, &d);
        if (q) {
            if (elem == PUSD_E_DOUBLE)
                *(double *)dst = d;
            else
                *(uint16_t *)dst = pusd_float_to_half((float)d);
        }
    }
    if (!q) return pusd__expected(ps, "a number");
    ps->p = q;
    return 0;
}

static int parse_bool(P *ps, uint8_t *dst) {
    const char *s = ps->p;
    if (s < ps->end && (*s == '-' || (*s >= '0' && *s <= '9'))) return parse_int(ps, PUSD_E_U8, PUSD_T_BOOL, dst);
    size_t n = pusd__read_ident(ps, &s);
    if (n == 4 && !strncasecmp(s, "true", 4))
        *dst = 1;
    else if (n == 3 && !strncasecmp(s, "yes", 3))
        *dst = 1;
    else if (n == 5 && !strncasecmp(s, "false", 5))
        *dst = 0;
    else if (n == 2 && !strncasecmp(s, "no", 2))
        *dst = 0;
    else {
        ps->p = s;
        return pusd__expected(ps, "a bool (true, false, 1 or 0)");
    }
    return 0;
}

/* ---- typed values ---------------------------------------------------------------------- */

static int parse_scalar_comp(P *ps, int type, int elem, void *dst) {
    switch (elem) {
    case PUSD_E_U8:
        if (type == PUSD_T_BOOL) return parse_bool(ps, dst);
        /* fallthrough */
    case PUSD_E_I32:
    case PUSD_E_U32:
    case PUSD_E_I64:
    case PUSD_E_U64: return parse_int(ps, elem, type, dst);
    case PUSD_E_HALF:
    case PUSD_E_FLOAT:
    case PUSD_E_DOUBLE: return parse_real(ps, elem, dst);
    case PUSD_E_STR: {
        const char *s;
        if (type == PUSD_T_ASSET) {
            if (ps->p < ps->end && *ps->p != '@') return pusd__expected(ps, "an asset path @...@");
            s = pusd__read_asset(ps);
        } else
            s = pusd__read_string(ps, type == PUSD_T_TOKEN);
        if (!s) return -1;
        *(const char **)dst = s;
        return 0;
    }
    default: return pusd__fail(ps, ps->p, "%s values cannot be authored", pusd_tinfo(type)->name);
    }
}

/* One element (scalar, tuple or matrix) into dst. */
static int parse_elem(P *ps, int type, void *dst) {
    const type_info *ti = pusd_tinfo(type);
    if (ti->shape == 0) return parse_scalar_comp(ps, type, ti->elem, dst);
    size_t es = pusd_elem_size(ti->elem);
    char *d = dst;
    const char *open = ps->p;
    if (pusd__expect_char(ps, '(', ti->shape == 2 ? "'(' starting a matrix" : "'(' starting a tuple")) return -1;
    if (ti->shape == 2) {
        for (int r = 0; r < ti->dim; r++) {
            skip_ws(ps);
            if (r) {
                if (ps->p < ps->end && *ps->p == ')')
                    return pusd__fail(ps, open, "%s needs %d rows", ti->name, ti->dim);
                if (pusd__expect_char(ps, ',', "',' between matrix rows")) return -1;
                skip_ws(ps);
            }
            const char *ro = ps->p;
            if (pusd__expect_char(ps, '(', "'(' starting a matrix row")) return -1;
            for (int c = 0; c < ti->dim; c++) {
                skip_ws(ps);
                if (c) {
                    if (ps->p < ps->end && *ps->p == ')')
                        return pusd__fail(ps, ro, "%s rows need %d values", ti->name, ti->dim);
                    if (pusd__expect_char(ps, ',', "','")) return -1;
                    skip_ws(ps);
                }
                if (parse_real(ps, ti->elem, d + es * (size_t)(r * ti->dim + c))) return -1;
            }
            skip_ws(ps);
            if (ps->p < ps->end && *ps->p == ',') {
                ps->p++;
                skip_ws(ps);
            }
            if (ps->p < ps->end && *ps->p != ')')
                return pusd__fail(ps, ro, "%s rows need %d values", ti->name, ti->dim);
            ps->p++;
        }
    } else {
        for (int c = 0; c < ti->ncomp; c++) {
            skip_ws(ps);
            if (c) {
                if (ps->p < ps->end && *ps->p == ')')
                    return pusd__fail(ps, open, "%s needs %d components, found %d", ti->name, ti->ncomp, c);
                if (pusd__expect_char(ps, ',', "','")) return -1;
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
        return pusd__fail(ps, open, "%s needs %d %s; found more or a missing ')'", ti->name,
                          ti->shape == 2 ? ti->dim : ti->ncomp, ti->shape == 2 ? "rows" : "components");
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
int pusd__parse_value(P *ps, int type, bool is_array, pusd_value *out) {
    const type_info *ti = pusd_tinfo(type);
    size_t esz = pusd_elem_size(ti->elem) * ti->ncomp;
    out->type = (uint16_t)type;
    out->flags = is_array ? PUSD_VF_ARRAY : 0;
    if (!esz) return pusd__fail(ps, ps->p, "%s attributes cannot have an authored value", ti->name);
    if (++ps->depth > MAX_DEPTH) return pusd__fail(ps, ps->p, "values nested too deeply");
    if (!is_array) {
        size_t es1 = pusd_elem_size(ti->elem);
        void *d = pusd__ar_alloc_al(&ps->l->arena, esz, es1 < 8 ? es1 : 8);
        if (!d) return pusd__oom(ps);
        if (parse_elem(ps, type, d)) return -1;
        out->count = 1;
        out->data = d;
        ps->depth--;
        dedupe(ps, out, esz);
        return 0;
    }
    if (ps->p >= ps->end || *ps->p != '[')
        return pusd__fail(ps, ps->p, "expected '[' starting a %s[] array, found %s", ti->name,
                          ps->p >= ps->end ? "end of file" : (char[]){'\'', *ps->p, '\'', 0});
    ps->p++;
    size_t n = 0;
    for (;;) {
        skip_ws(ps);
        if (ps->failed) return -1;
        if (ps->p < ps->end && *ps->p == ']') break;
        if (n) {
            if (pusd__expect_char(ps, ',', "',' or ']' in array")) return -1;
            skip_ws(ps);
            if (ps->p < ps->end && *ps->p == ']') break;
        }
        char *s = pusd__scratch(ps, (n + 1) * esz);
        if (!s) return pusd__oom(ps);
        if (parse_elem(ps, type, s + n * esz)) return -1;
        n++;
        if (n > UINT32_MAX - 1) return pusd__fail(ps, ps->p, "array too long");
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
    if (!d) return pusd__oom(ps);
    if (n) memcpy(d, ps->scr, n * esz);
    out->data = d;
    if (n * esz <= 32) ps->last_small[type] = *out;
    return 0;
}

/* ---- generic values (unregistered metadata), kept as raw text --------------------- */

static int skip_atom_or_group(P *ps) {
    if (++ps->depth > MAX_DEPTH) return pusd__fail(ps, ps->p, "values nested too deeply");
    const char *p = ps->p, *e = ps->end;
    if (p >= e) return pusd__expected(ps, "a value");
    char c = *p;
    if (c == '"' || c == '\'') {
        if (pusd__read_string_sb(ps)) return -1;
    } else if (c == '@') {
        if (!pusd__read_asset(ps)) return -1;
    } else if (c == '<') {
        if (!pusd__read_path(ps, false, "")) return -1;
    } else if (c == '(' || c == '[' || c == '{') {
        char close = c == '(' ? ')' : c == '[' ? ']' : '}';
        ps->p++;
        for (;;) {
            skip_ws(ps);
            if (ps->failed) return -1;
            if (ps->p >= ps->end) return pusd__fail(ps, p, "missing '%c' to close '%c'", close, c);
            if (*ps->p == close) {
                ps->p++;
                break;
            }
            if (*ps->p == ',' || *ps->p == ';' || *ps->p == ':' || *ps->p == '=' || *ps->p == '&') { /* & in splines */
                ps->p++;
                continue;
            }
            if (*ps->p == ')' || *ps->p == ']' || *ps->p == '}')
                return pusd__fail(ps, ps->p, "mismatched '%c' (expected '%c')", *ps->p, close);
            if (skip_atom_or_group(ps)) return -1;
        }
    } else if (c == '-' || c == '.' || (c >= '0' && c <= '9')) {
        double d;
        const char *q = pusd__parse_double_fast(p, e, &d);
        if (!q) return pusd__expected(ps, "a value");
        ps->p = q;
    } else if (is_id0((unsigned char)c)) {
        const char *s;
        if (!pusd__read_nsident(ps, &s)) return pusd__fail(ps, p, "invalid UTF-8 in an identifier");
        if (ps->p + 1 < e && ps->p[0] == '[' && ps->p[1] == ']') ps->p += 2;
    } else
        return pusd__expected(ps, "a value");
    ps->depth--;
    return 0;
}

/* Raw value: one atom/group, or a sequence like `float[] x = 1` inside
 * groups. Captures text verbatim. */
int pusd__parse_raw(P *ps, pusd_value *out) {
    const char *s = ps->p;
    if (skip_atom_or_group(ps)) return -1;
    if (memchr(s, 0, (size_t)(ps->p - s))) return pusd__fail(ps, s, "NUL byte in a metadata value");
    const char **t = pusd__ar_alloc(&ps->l->arena, sizeof *t);
    if (!t) return pusd__oom(ps);
    *t = pusd__ar_strndup(&ps->l->arena, s, (size_t)(ps->p - s));
    if (!*t) return pusd__oom(ps);
    out->type = PUSD_T_RAW;
    out->flags = 0;
    out->count = 1;
    out->data = t;
    return 0;
}

/* ---- dictionaries ---------------------------------------------------------------------- */

int pusd__parse_dict(P *ps, pusd_value *out) {
    const char *open = ps->p;
    if (pusd__expect_char(ps, '{', "'{' starting a dictionary")) return -1;
    if (++ps->depth > MAX_DEPTH) return pusd__fail(ps, open, "dictionaries nested too deeply");
    /* entries collected in a linked list then copied: dictionaries are small */
    typedef struct ent {
        pusd_dict_entry e;
        struct ent *next;
    } ent;
    ent *head = NULL, **tail = &head;
    uint32_t n = 0;
    for (;;) {
        skip_ws(ps);
        if (ps->failed) return -1;
        if (ps->p >= ps->end) return pusd__fail(ps, open, "missing '}' to close this dictionary");
        if (*ps->p == '}') {
            ps->p++;
            break;
        }
        const char *ts;
        const char *tstart = ps->p;
        size_t tn = pusd__read_ident(ps, &ts);
        if (!tn) return pusd__expected(ps, "a value type name (e.g. string, int, dictionary) or '}'");
        while (ps->p + 2 < ps->end && ps->p[0] == ':' && ps->p[1] == ':') { /* Foo::Bar */
            ps->p += 2;
            const char *x;
            pusd__read_ident(ps, &x);
            tn = (size_t)(ps->p - ts);
        }
        bool arr = false;
        if (ps->p + 1 < ps->end && ps->p[0] == '[' && ps->p[1] == ']') {
            arr = true;
            ps->p += 2;
        }
        int type;
        if (pusd__word_is(ts, tn, "dictionary") && !arr)
            type = PUSD_T_DICTIONARY;
        else {
            type = pusd__type_from_name_n(ts, tn < 60 ? tn : 60);
            if (type == PUSD_T_INVALID || type == PUSD_T_OPAQUE || type == PUSD_T_GROUP)
                return pusd__fail(ps, tstart, "unrecognized value type name '%.*s' for dictionary entry",
                                  (int)(tn < 60 ? tn : 60), ts);
        }
        skip_inline(ps);
        ent *en = pusd__ar_calloc(&ps->l->arena, sizeof *en);
        if (!en) return pusd__oom(ps);
        if (ps->p < ps->end && (*ps->p == '"' || *ps->p == '\'')) {
            if (pusd__read_string_sb(ps)) return -1;
            en->e.key = pusd__ar_strndup(&ps->l->arena, ps->sb.p, ps->sb.len);
        } else {
            const char *ks;
            size_t kn = pusd__read_nsident(ps, &ks);
            if (!kn) return pusd__expected(ps, "a dictionary key (identifier or quoted string)");
            en->e.key = pusd__ar_strndup(&ps->l->arena, ks, kn);
        }
        if (!en->e.key) return pusd__oom(ps);
        skip_inline(ps);
        if (pusd__expect_char(ps, '=', "'=' after the dictionary key")) return -1;
        skip_inline(ps);
        if (type == PUSD_T_DICTIONARY) {
            if (pusd__parse_dict(ps, &en->e.value)) return -1;
        } else if (pusd__peek_word(ps, "None")) {
            ps->p += 4;
            en->e.value.type = (uint16_t)type;
            en->e.value.flags = PUSD_VF_BLOCKED | (arr ? PUSD_VF_ARRAY : 0);
        } else if (pusd__parse_value(ps, type, arr, &en->e.value))
            return -1;
        *tail = en;
        tail = &en->next;
        n++;
        if (pusd__end_stmt(ps, '}', "a dictionary entry")) return -1;
    }
    pusd_dict *d = pusd__ar_calloc(&ps->l->arena, sizeof *d);
    if (!d) return pusd__oom(ps);
    d->count = n;
    if (n) {
        d->entries = pusd__ar_alloc(&ps->l->arena, n * sizeof *d->entries);
        if (!d->entries) return pusd__oom(ps);
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

int pusd__parse_layer_offset(P *ps, double *off, double *scale, const pusd_dict **cd, bool allow_cd) {
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
        size_t kn = pusd__read_ident(ps, &k);
        skip_inline(ps);
        if (pusd__expect_char(ps, '=', "'=' in a layer offset")) return -1;
        skip_inline(ps);
        if (pusd__word_is(k, kn, "offset") || pusd__word_is(k, kn, "scale")) {
            double d;
            const char *q = pusd__parse_double_fast(ps->p, ps->end, &d);
            if (!q) return pusd__expected(ps, "a number");
            ps->p = q;
            if (k[0] == 'o')
                *off = d;
            else
                *scale = d;
        } else if (allow_cd && pusd__word_is(k, kn, "customData")) {
            pusd_value v;
            if (pusd__parse_dict(ps, &v)) return -1;
            *cd = v.data;
        } else
            return pusd__fail(ps, ks, "expected 'offset', 'scale'%s in this list item's parentheses",
                              allow_cd ? " or 'customData'" : "");
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
            if (!(r->asset_path = pusd__read_asset(ps))) return -1;
        } else if (ps->p >= ps->end || *ps->p != '<')
            return pusd__fail(ps, ps->p, "expected an asset path @...@ or a prim path <...> for this %s", what);
        if (ps->p < ps->end && *ps->p == '<') {
            const char *at = ps->p;
            if (!(r->prim_path = pusd__read_path(ps, true, what))) return -1;
            if (strchr(r->prim_path, '.'))
                return pusd__fail(ps, at, "%s targets must be prim paths, not property paths", what);
        }
        skip_inline(ps);
        if (ps->p < ps->end && *ps->p == '(')
            return pusd__parse_layer_offset(ps, &r->offset, &r->scale, &r->custom_data, lt == PUSD_T_REFERENCE_LISTOP);
        return 0;
    }
    const char *s;
    if (lt == PUSD_T_PATH_LISTOP)
        s = pusd__read_path(ps, true, "inherits/specializes");
    else
        s = pusd__read_string(ps, lt == PUSD_T_TOKEN_LISTOP);
    if (!s) return -1;
    *(const char **)dst = s;
    return 0;
}

/* Parses `None | item | [items]` into op k of listop lo. */
int pusd__parse_listop_value(P *ps, int lt, pusd_listop *lo, int k) {
    size_t isz =
        (lt == PUSD_T_REFERENCE_LISTOP || lt == PUSD_T_PAYLOAD_LISTOP) ? sizeof(pusd_reference) : sizeof(char *);
    if (pusd__peek_word(ps, "None")) {
        ps->p += 4;
        if (k != PUSD_LISTOP_EXPLICIT)
            return pusd__fail(ps, ps->p - 4, "None is only allowed for an explicit list (without prepend/append/...)");
        lo->is_explicit = true;
        lo->count[k] = 0;
        for (int j = 0; j < PUSD_LISTOP_NOPS; j++) lo->count[j] = 0;
        return 0;
    }
    if (k != PUSD_LISTOP_EXPLICIT && lo->is_explicit) { /* an edit after an explicit list: SdfListOp drops it */
        lo->is_explicit = false;
        for (int j = 0; j < PUSD_LISTOP_NOPS; j++) lo->count[j] = 0;
    }
    size_t n = 0;
    void *items;
    if (ps->p < ps->end && *ps->p == '[') {
        ps->p++;
        /* items may themselves contain nested dictionaries: parse into a local list */
        size_t cap = 4;
        char *tmp = malloc(cap * isz);
        if (!tmp) return pusd__oom(ps);
        for (;;) {
            skip_ws(ps);
            if (ps->failed) {
                free(tmp);
                return -1;
            }
            if (ps->p < ps->end && *ps->p == ']') break;
            if (n) {
                if (pusd__expect_char(ps, ',', "',' or ']' in list")) {
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
                    return pusd__oom(ps);
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
            return pusd__oom(ps);
        }
        if (n) memcpy(items, tmp, n * isz);
        free(tmp);
    } else {
        items = pusd__ar_alloc(&ps->l->arena, isz);
        if (!items) return pusd__oom(ps);
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
