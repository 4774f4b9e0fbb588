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

#include "parse_internal.h"

/* ---- metadata blocks ---------------------------------------------------------------------- */

typedef struct meta_ctx {
    int where;
    meta_list *meta;
    pusd_primspec *prim; /* for prims */
} meta_ctx;

static int parse_sublayers(P *ps) {
    pusd_layer *l = ps->l;
    if (pusd__expect_char(ps, '[', "'[' starting the subLayers list")) return -1;
    l->n_sublayers = 0;
    for (;;) {
        skip_ws(ps);
        if (ps->failed) return -1;
        if (ps->p < ps->end && *ps->p == ']') {
            ps->p++;
            return 0;
        }
        if (l->n_sublayers) {
            if (pusd__expect_char(ps, ',', "',' or ']' in subLayers")) return -1;
            skip_ws(ps);
            if (ps->p < ps->end && *ps->p == ']') continue;
        }
        sublayer_ref r = {0};
        r.scale = 1;
        if (!(r.asset = pusd__read_asset(ps))) return -1;
        skip_inline(ps);
        if (ps->p < ps->end && *ps->p == '(') {
            if (pusd__parse_layer_offset(ps, &r.offset, &r.scale, NULL, false)) return -1;
            r.has_offset = r.offset != 0;
            r.has_scale = r.scale != 1;
        }
        if (pusd_layer_add_sublayer(l, r.asset, r.offset, r.scale)) return pusd__oom(ps);
    }
}

static int parse_meta_item(P *ps, meta_ctx *mc) {
    pusd_layer *l = ps->l;
    const char *st = ps->p;
    if (st < ps->end && (*st == '"' || *st == '\'')) {
        const char *s = pusd__read_string(ps, false);
        if (!s) return -1;
        meta_entry *me = pusd__meta_set(l, mc->meta, pusd__intern(&l->strings, &l->arena, "comment", 7));
        if (!me) return pusd__oom(ps);
        const char **t = pusd__ar_alloc(&l->arena, sizeof *t);
        if (!t) return pusd__oom(ps);
        *t = s;
        me->value = (pusd_value){PUSD_T_STRING, 0, 1, t};
        return 0;
    }
    const char *ks;
    size_t kn = pusd__read_ident(ps, &ks);
    if (!kn) return pusd__expected(ps, "a metadata key, a doc string or ')'");
    int op = pusd__listop_kind(ks, kn);
    if (op >= 0) {
        skip_inline(ps);
        kn = pusd__read_ident(ps, &ks);
        if (!kn) return pusd__expected(ps, "a metadata key after the list operator");
    } else
        op = PUSD_LISTOP_EXPLICIT;
    const char *kstart = ks;
    /* namespaced keys (rare): a:b */
    while (ps->p + 1 < ps->end && *ps->p == ':' && is_id0((unsigned char)ps->p[1])) {
        ps->p++;
        const char *x;
        pusd__read_ident(ps, &x);
        kn = (size_t)(ps->p - ks);
    }
    skip_inline(ps);
    if (pusd__expect_char(ps, '=', "'=' after the metadata key")) return -1;
    skip_inline(ps);
    if (mc->where == META_LAYER && pusd__word_is(ks, kn, "subLayers")) {
        if (op != PUSD_LISTOP_EXPLICIT) return pusd__fail(ps, st, "subLayers cannot be list-edited");
        return parse_sublayers(ps);
    }
    const char *key = pusd__intern(&l->strings, &l->arena, ks, kn);
    if (!key) return pusd__oom(ps);
    bool ident_form = false;
    int ft = pusd__meta_field_type(mc->where, key, &ident_form);
    bool is_listop = ft >= PUSD_T_TOKEN_LISTOP && ft <= PUSD_T_PAYLOAD_LISTOP;
    meta_entry *me;
    if (is_listop) {
        me = pusd__meta_set(l, mc->meta, key);
        if (!me) return pusd__oom(ps);
        if (me->value.type != ft || !me->value.data) {
            pusd_listop *lo = pusd__ar_calloc(&l->arena, sizeof *lo);
            if (!lo) return pusd__oom(ps);
            me->value = (pusd_value){(uint16_t)ft, 0, 1, lo};
        }
        int lt = ft;
        if (pusd__word_is(ks, kn, "variantSets") && ps->p < ps->end && *ps->p != '[' && !pusd__peek_word(ps, "None"))
            lt = PUSD_T_STRING_LISTOP;
        return pusd__parse_listop_value(ps, lt, (pusd_listop *)me->value.data, op);
    }
    pusd_value v = {0};
    if (ft == PUSD_T_RAW) {
        if (pusd__parse_raw(ps, &v)) return -1;
        me = pusd__meta_set_op(l, mc->meta, key, op == PUSD_LISTOP_EXPLICIT ? 0 : op + 1);
        if (!me) return pusd__oom(ps);
        me->value = v;
        ME_SET_OP(me, op == PUSD_LISTOP_EXPLICIT ? 0 : op + 1);
        return 0;
    }
    if (op != PUSD_LISTOP_EXPLICIT)
        return pusd__fail(ps, kstart, "'%s' cannot be list-edited (no prepend/append/delete/add/reorder)", key);
    int type = ft & 0xff;
    bool arr = (ft & 0x100) != 0;
    if (pusd__peek_word(ps, "None")) {
        ps->p += 4;
        v.type = (uint16_t)type;
        v.flags = PUSD_VF_BLOCKED | (arr ? PUSD_VF_ARRAY : 0);
    } else if (type == PUSD_T_DICTIONARY) {
        if (pusd__parse_dict(ps, &v)) return -1;
    } else if (ident_form && ps->p < ps->end && is_id0((unsigned char)*ps->p)) {
        const char *s;
        size_t n = pusd__read_nsident(ps, &s);
        const char **t = pusd__ar_alloc(&l->arena, sizeof *t);
        if (!t || !(*t = pusd__intern(&l->strings, &l->arena, s, n))) return pusd__oom(ps);
        v = (pusd_value){PUSD_T_TOKEN, 0, 1, t};
    } else if (type == PUSD_T_PATH) {
        const char **t = pusd__ar_alloc(&l->arena, sizeof *t);
        if (!t) return pusd__oom(ps);
        if (!(*t = pusd__read_path(ps, false, ""))) return -1;
        v = (pusd_value){PUSD_T_PATH, 0, 1, t};
    } else {
        if ((type == PUSD_T_TOKEN || type == PUSD_T_STRING) && ps->p < ps->end && *ps->p != '"' && *ps->p != '\'' &&
            !arr)
            return pusd__fail(ps, ps->p, "expected a quoted string for '%s'", key);
        if (pusd__parse_value(ps, type, arr, &v)) return -1;
    }
    me = pusd__meta_set(l, mc->meta, key);
    if (!me) return pusd__oom(ps);
    me->value = v;
    return 0;
}

static int parse_meta_block(P *ps, meta_ctx *mc) {
    const char *open = ps->p;
    ps->p++; /* ( */
    for (;;) {
        skip_ws(ps);
        if (ps->failed) return -1;
        if (ps->p >= ps->end) return pusd__fail(ps, open, "missing ')' to close this metadata block");
        if (*ps->p == ')') {
            ps->p++;
            return 0;
        }
        if (parse_meta_item(ps, mc)) return -1;
        if (pusd__end_stmt(ps, ')', "a metadata entry")) return -1;
    }
}

/* ---- properties ------------------------------------------------------------------------------ */

static int parse_prim_body(P *ps, pusd_primspec *prim);

static int parse_targets(P *ps, prop_spec *pr, int op, bool connect) {
    prop_extra *x = pusd__prop_x(ps->l, pr);
    if (!x) return pusd__oom(ps);
    if (!x->targets) {
        x->targets = pusd__ar_calloc(&ps->l->arena, sizeof *x->targets);
        if (!x->targets) return pusd__oom(ps);
    }
    (void)connect;
    return pusd__parse_listop_value(ps, PUSD_T_PATH_LISTOP, x->targets, op);
}

/* A value of an unknown type: kept as its text, as OpenUSD keeps the
 * attribute (the text is written back unchanged). */
static int parse_unknown_value(P *ps, bool arr, pusd_value *out) {
    if (pusd__parse_raw(ps, out)) return -1;
    out->type = PUSD_T_UNKNOWN;
    out->flags = arr ? PUSD_VF_ARRAY : 0;
    return 0;
}

static void warn_unknown_type(P *ps, const char *at, const char *tname, const char *attr) {
    const char *s = pusd__type_suggest(tname);
    pusd__warn(ps, at, "unknown value type '%s' for attribute '%s' (kept as written, as OpenUSD does)%s%s%s", tname,
               attr, s ? "; did you mean '" : "", s ? s : "", s ? "'?" : "");
}

/* `.spline` (OpenUSD 24.11): kept as written and written back; not evaluated. */
static int parse_spline(P *ps, prop_spec *pr) {
    prop_extra *x = pusd__prop_x(ps->l, pr);
    if (!x) return pusd__oom(ps);
    if (ps->p >= ps->end || *ps->p != '{') return pusd__expected(ps, "'{' starting a spline");
    pusd_value v;
    if (pusd__parse_raw(ps, &v)) return -1;
    x->spline = ((const char *const *)v.data)[0];
    return 0;
}

static int parse_time_samples(P *ps, prop_spec *pr, int type, bool arr) {
    const char *open = ps->p;
    if (pusd__expect_char(ps, '{', "'{' starting timeSamples")) return -1;
    prop_extra *x = pusd__prop_x(ps->l, pr);
    if (!x) return pusd__oom(ps);
    size_t n = 0, cap = 0;
    time_sample *ts = NULL;
    for (;;) {
        skip_ws(ps);
        if (ps->failed) goto bad;
        if (ps->p >= ps->end) {
            pusd__fail(ps, open, "missing '}' to close timeSamples");
            goto bad;
        }
        if (*ps->p == '}') {
            ps->p++;
            break;
        }
        if (n) {
            if (pusd__expect_char(ps, ',', "',' or '}' between time samples")) goto bad;
            skip_ws(ps);
            if (ps->p < ps->end && *ps->p == '}') {
                ps->p++;
                break;
            }
        }
        if (!PBASE_RESERVE(ts, cap, n + 1)) {
            pusd__oom(ps);
            goto bad;
        }
        double t;
        const char *q = pusd__parse_double_fast(ps->p, ps->end, &t);
        if (!q) {
            pusd__expected(ps, "a time code (number)");
            goto bad;
        }
        ps->p = q;
        skip_inline(ps);
        if (pusd__expect_char(ps, ':', "':' after the time code")) goto bad;
        skip_ws(ps);
        ts[n].time = t;
        memset(&ts[n].value, 0, sizeof ts[n].value);
        if (pusd__peek_word(ps, "None")) {
            ps->p += 4;
            ts[n].value.type = (uint16_t)type;
            ts[n].value.flags = PUSD_VF_BLOCKED | (arr ? PUSD_VF_ARRAY : 0);
        } else if (type == PUSD_T_UNKNOWN ? parse_unknown_value(ps, arr, &ts[n].value)
                                          : pusd__parse_value(ps, type, arr, &ts[n].value))
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
        if (m && ts[m - 1].time == ts[i].time)
            ts[m - 1] = ts[i];
        else
            ts[m++] = ts[i];
    }
    x->samples = pusd__ar_alloc(&ps->l->arena, (m ? m : 1) * sizeof *ts);
    if (!x->samples) {
        pusd__oom(ps);
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
    if (ps->p >= ps->end || *ps->p != '(') return 0;
    prop_extra *x = pusd__prop_x(ps->l, pr);
    if (!x) return pusd__oom(ps);
    meta_ctx mc = {META_PROP, &x->meta, NULL};
    return parse_meta_block(ps, &mc) ? -1 : 0;
}

/* What precedes a property's type name: `[op] [custom] [uniform|config|varying]`. */
typedef struct prop_head {
    const char *st, *opat; /* start of the statement, of the list operator */
    int op;                /* pusd_listop_kind, or -1 */
    bool custom, varying_kw;
    int variability; /* 0 varying, 1 uniform, 2 config */
} prop_head;

/* `rel name [.default] [= targets] [(meta)]` after the head and `rel`. */
static int parse_rel(P *ps, pusd_primspec *prim, const prop_head *h) {
    pusd_layer *l = ps->l;
    int op = h->op;
    if (h->variability == 1 || h->variability == 2)
        return pusd__fail(ps, h->st, "relationships cannot be uniform or config");
    skip_inline(ps);
    const char *ns;
    const char *nat = ps->p;
    size_t nn = pusd__read_nsident(ps, &ns);
    if (!nn) return pusd__expected(ps, "a relationship name");
    const char *name = pusd__intern(&l->strings, &l->arena, ns, nn);
    if (!name) return pusd__oom(ps);
    prop_spec *pr = pusd__prim_prop(prim, name);
    if (pr && !PS_IS_REL(pr)) return pusd__fail(ps, nat, "'%s' is already declared as an attribute in this prim", name);
    if (!pr) {
        if (!(pr = pusd__prim_new_prop(l, prim, name))) return pusd__oom(ps);
        PS_SET(pr, PB_REL, 1);
        PS_SET(pr, PB_CUSTOM, h->custom);
        PS_SET(pr, PB_VARYING, h->varying_kw);
    }
    if (ps->p < ps->end && *ps->p == '.') {
        ps->p++;
        const char *sfx;
        size_t sn = pusd__read_ident(ps, &sfx);
        if (!pusd__word_is(sfx, sn, "default")) return pusd__fail(ps, sfx, "expected 'default' after 'rel %s.'", name);
        skip_inline(ps);
        if (pusd__expect_char(ps, '=', "'='")) return -1;
        skip_inline(ps);
        prop_extra *x = pusd__prop_x(l, pr);
        if (!x || !(x->default_target = pusd__read_path(ps, false, ""))) return -1;
        return 0;
    }
    skip_inline(ps);
    if (ps->p < ps->end && *ps->p == '=') {
        ps->p++;
        skip_inline(ps);
        const char *vat = ps->p;
        if (parse_targets(ps, pr, op < 0 ? PUSD_LISTOP_EXPLICIT : op, false)) return -1;
        if ((op == PUSD_LISTOP_ADD || op == PUSD_LISTOP_PREPEND || op == PUSD_LISTOP_APPEND) &&
            !pr->x->targets->count[op])
            return pusd__fail(ps, vat,
                              "empty target list for '%s rel %s' (OpenUSD rejects an add/prepend/append "
                              "relationship list op without targets; remove the statement)",
                              op == PUSD_LISTOP_ADD       ? "add"
                              : op == PUSD_LISTOP_PREPEND ? "prepend"
                                                          : "append",
                              name);
    } else if (op >= 0)
        return pusd__fail(ps, h->opat, "a list-edited relationship needs '= <targets>'");
    skip_inline(ps);
    return parse_prop_meta(ps, pr);
}

static int parse_property(P *ps, pusd_primspec *prim) {
    pusd_layer *l = ps->l;
    const char *st = ps->p, *w;
    size_t wn = pusd__read_ident(ps, &w);
    int op = pusd__listop_kind(w, wn);
    const char *opat = st;
    if (op >= 0) {
        skip_inline(ps);
        wn = pusd__read_ident(ps, &w);
    } else
        op = -1;
    bool custom = false;
    int variability = 0;
    bool varying_kw = false;
    if (pusd__word_is(w, wn, "custom")) {
        custom = true;
        skip_inline(ps);
        wn = pusd__read_ident(ps, &w);
    }
    if (pusd__word_is(w, wn, "uniform") || pusd__word_is(w, wn, "config") || pusd__word_is(w, wn, "varying")) {
        variability = w[0] == 'u' ? 1 : w[0] == 'c' ? 2 : 0;
        varying_kw = w[0] == 'v';
        skip_inline(ps);
        wn = pusd__read_ident(ps, &w);
    }
    if (!wn) return pusd__expected(ps, "a property type name, 'rel', or a prim ('def', 'over', 'class')");
    if (pusd__word_is(w, wn, "rel")) {
        prop_head h = {st, opat, op, custom, varying_kw, variability};
        return parse_rel(ps, prim, &h);
    }
    /* attribute: type name */
    const char *tstart = w;
    while (ps->p + 2 < ps->end && ps->p[0] == ':' && ps->p[1] == ':') {
        ps->p += 2;
        const char *x;
        if (!pusd__read_ident(ps, &x)) return pusd__expected(ps, "an identifier after '::'");
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
    size_t nn = pusd__read_nsident(ps, &ns);
    if (!nn) {
        if (type == PUSD_T_UNKNOWN && ps->p < ps->end && *ps->p != '\n')
            return pusd__fail(
                ps, tstart,
                "unknown property type '%s' (expected a value type such as float, token[], point3f[] or 'rel')", tname);
        return pusd__expected(ps, "an attribute name");
    }
    const char *name = pusd__intern(&l->strings, &l->arena, ns, nn);
    const char *full_tn =
        pusd__intern(&l->strings, &l->arena, tstart, (size_t)(ps->p - tstart) > 0 ? (size_t)(wn + (arr ? 2 : 0)) : 0);
    if (!name || !full_tn) return pusd__oom(ps);
    prop_spec *pr = pusd__prim_prop(prim, name);
    if (pr) {
        if (PS_IS_REL(pr)) return pusd__fail(ps, nat, "'%s' is already declared as a relationship in this prim", name);
        if (strcmp(pusd__prop_type_name(pr), full_tn))
            return pusd__fail(ps, tstart, "attribute '%s' redeclared with type '%s' (first declared as '%s')", name,
                              full_tn, pusd__prop_type_name(pr));
        if (PS_VARIABILITY(pr) != variability)
            return pusd__fail(ps, st, "attribute '%s' redeclared with a different variability (uniform/varying)", name);
    } else {
        if (!(pr = pusd__prim_new_prop(l, prim, name))) return pusd__oom(ps);
        pr->dflt.type = (uint16_t)type;
        pr->dflt.flags = arr ? PUSD_VF_ARRAY : 0;
        if (type == PUSD_T_UNKNOWN) {
            prop_extra *x = pusd__prop_x(l, pr);
            if (!x) return pusd__oom(ps);
            x->type_name = full_tn;
            warn_unknown_type(ps, tstart, tname, name);
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
        size_t sn = pusd__read_ident(ps, &sfx);
        skip_inline(ps);
        if (pusd__expect_char(ps, '=', "'='")) return -1;
        skip_ws(ps);
        if (pusd__word_is(sfx, sn, "connect")) return parse_targets(ps, pr, op < 0 ? PUSD_LISTOP_EXPLICIT : op, true);
        if (op >= 0) return pusd__fail(ps, opat, "list operators are only allowed on relationships and .connect");
        if (pusd__word_is(sfx, sn, "timeSamples")) return parse_time_samples(ps, pr, type, arr);
        if (pusd__word_is(sfx, sn, "spline")) return parse_spline(ps, pr);
        return pusd__fail(ps, dot, "expected '.timeSamples' or '.connect' after the attribute name");
    }
    if (op >= 0) return pusd__fail(ps, opat, "list operators are only allowed on relationships and .connect");
    skip_inline(ps);
    if (ps->p < ps->end && *ps->p == '=') {
        ps->p++;
        skip_inline(ps);
        if (pusd__peek_word(ps, "None")) {
            ps->p += 4;
            pr->dflt.flags = (uint16_t)((pr->dflt.flags & 0xff00u) | PUSD_VF_BLOCKED | (arr ? PUSD_VF_ARRAY : 0));
            pr->dflt.data = NULL;
            pr->dflt.count = 0;
        } else {
            if (type == PUSD_T_UNKNOWN) {
                uint16_t bits = pr->dflt.flags & 0xff00u;
                if (parse_unknown_value(ps, arr, &pr->dflt)) return -1;
                pr->dflt.flags |= bits;
            } else if (type == PUSD_T_OPAQUE || type == PUSD_T_GROUP)
                return pusd__fail(ps, tstart, "%s attributes cannot have an authored value", tname);
            else {
                uint16_t bits = pr->dflt.flags & 0xff00u;
                if (pusd__parse_value(ps, type, arr, &pr->dflt)) return -1;
                pr->dflt.flags |= bits;
            }
        }
        skip_inline(ps);
    }
    return parse_prop_meta(ps, pr);
}

/* ---- prims --------------------------------------------------------------------------------- */

static int parse_name_list(P *ps, const char ***out, uint32_t *nout) {
    if (pusd__expect_char(ps, '[', "'[' starting a name list")) return -1;
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
        if (n && pusd__expect_char(ps, ',', "',' or ']'")) break;
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == ']') continue;
        if (!PBASE_RESERVE(v, cap, n + 1)) {
            pusd__oom(ps);
            break;
        }
        if (!(v[n] = pusd__read_string(ps, true))) break;
        n++;
    }
    free(v);
    return -1;
}

static int parse_reorder(P *ps, pusd_primspec *prim, bool root) {
    ps->p += 7;
    skip_inline(ps);
    const char *w, *at = ps->p;
    size_t wn = pusd__read_ident(ps, &w);
    skip_inline(ps);
    if (pusd__expect_char(ps, '=', "'='")) return -1;
    skip_inline(ps);
    if (root) {
        if (!pusd__word_is(w, wn, "rootPrims"))
            return pusd__fail(ps, at, "expected 'rootPrims' after 'reorder' at layer level");
        return parse_name_list(ps, &ps->l->reorder_root, &ps->l->n_reorder_root);
    }
    prim_ext *ext = pusd__prim_x(ps->l, prim);
    if (!ext) return pusd__oom(ps);
    if (pusd__word_is(w, wn, "nameChildren"))
        return parse_name_list(ps, &ext->reorder_children, &ext->n_reorder_children);
    if (pusd__word_is(w, wn, "properties")) return parse_name_list(ps, &ext->reorder_props, &ext->n_reorder_props);
    return pusd__fail(ps, at, "expected 'nameChildren' or 'properties' after 'reorder'");
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
    size_t wn = pusd__read_ident(ps, &w);
    char spec = w[0] == 'd' ? 'd' : w[0] == 'o' ? 'o' : 'c';
    skip_inline(ps);
    const char *type = NULL;
    if (ps->p < ps->end && is_id0((unsigned char)*ps->p)) {
        const char *ts, *tat = ps->p;
        pusd__read_ident(ps, &ts);
        while (ps->p + 2 < ps->end && ps->p[0] == ':' && ps->p[1] == ':') {
            ps->p += 2;
            const char *x;
            if (!pusd__read_ident(ps, &x)) return pusd__expected(ps, "an identifier after '::'");
        }
        size_t tn = (size_t)(ps->p - ts);
        static const char *const kw[] = {"def",    "over",    "class", "variantSet", "rel",
                                         "custom", "uniform", "None",  "None"};
        for (size_t i = 0; i < sizeof kw / sizeof kw[0]; i++)
            if (pusd__word_is(ts, tn, kw[i]))
                return pusd__fail(ps, tat, "'%s' is a keyword and cannot be a prim type name", kw[i]);
        if (!(type = pusd__intern(&l->strings, &l->arena, ts, tn))) return pusd__oom(ps);
        skip_inline(ps);
    }
    (void)wn;
    const char *nat = ps->p;
    if (ps->p >= ps->end || (*ps->p != '"' && *ps->p != '\''))
        return pusd__expected(ps, "the prim name as a quoted string");
    if (pusd__read_string_sb(ps)) return -1;
    if (!pusd__is_identifier(ps->sb.p, ps->sb.len))
        return pusd__fail(ps, nat, "'%s' is not a valid prim name (letters, digits and '_', not starting with a digit)",
                          ps->sb.p);
    if (pusd__layer_child(l, parent, ps->sb.p, ps->sb.len))
        return pusd__fail(ps, nat, "duplicate prim '%s': a sibling with that name is already defined", ps->sb.p);
    if (++ps->depth > MAX_DEPTH) return pusd__fail(ps, st, "prims nested too deeply");
    pusd_primspec *prim = pusd__layer_new_prim(l, parent, ps->sb.p, ps->sb.len, spec, type);
    if (!prim) return pusd__oom(ps);
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == '(') {
        meta_ctx mc = {META_PRIM, &prim->meta, prim};
        if (parse_meta_block(ps, &mc)) return -1;
        skip_ws(ps);
    }
    if (ps->p >= ps->end || *ps->p != '{') return pusd__expected(ps, "'{' starting the prim body");
    if (parse_prim_body(ps, prim)) return -1;
    ps->depth--;
    return 0;
}

static int parse_variant_set(P *ps, pusd_primspec *prim) {
    pusd_layer *l = ps->l;
    ps->p += 10; /* variantSet */
    skip_inline(ps);
    const char *nm = pusd__read_string(ps, true);
    if (!nm) return -1;
    skip_inline(ps);
    if (pusd__expect_char(ps, '=', "'=' after the variant set name")) return -1;
    skip_ws(ps);
    const char *open = ps->p;
    if (pusd__expect_char(ps, '{', "'{' starting the variant set")) return -1;
    variant_set_spec *vs = pusd__layer_variant_set(l, prim, nm, true);
    if (!vs) return pusd__oom(ps);
    for (;;) {
        skip_ws(ps);
        if (ps->failed) return -1;
        if (ps->p >= ps->end) return pusd__fail(ps, open, "missing '}' to close variantSet \"%s\"", nm);
        if (*ps->p == '}') {
            ps->p++;
            return 0;
        }
        const char *vat = ps->p;
        if (pusd__read_string_sb(ps)) return -1;
        for (size_t i = 0; i < ps->sb.len; i++) {
            char c = ps->sb.p[i];
            if (!(is_id1((unsigned char)c) || c == '|' || c == '-' || (c == '.' && i == 0)))
                return pusd__fail(ps, vat, "'%s' is not a valid variant name", ps->sb.p);
        }
        for (pusd_primspec *v = vs->first_variant; v; v = v->next)
            if (!strcmp(v->name, ps->sb.p))
                return pusd__fail(ps, vat, "duplicate variant \"%s\" in variantSet \"%s\"", v->name, nm);
        pusd_primspec *var = pusd__layer_new_variant(l, prim, vs, ps->sb.p, ps->sb.len);
        if (!var) return pusd__oom(ps);
        skip_ws(ps);
        if (ps->p < ps->end && *ps->p == '(') {
            meta_ctx mc = {META_PRIM, &var->meta, var};
            if (parse_meta_block(ps, &mc)) return -1;
            skip_ws(ps);
        }
        if (ps->p >= ps->end || *ps->p != '{') return pusd__expected(ps, "'{' starting the variant body");
        if (++ps->depth > MAX_DEPTH) return pusd__fail(ps, vat, "variants nested too deeply");
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
        if (ps->p >= ps->end) return pusd__fail(ps, open, "missing '}' to close the body of prim '%s'", prim->name);
        if (*ps->p == '}') {
            ps->p++;
            return 0;
        }
        const char *what;
        if (pusd__peek_word(ps, "def") || pusd__peek_word(ps, "over") || pusd__peek_word(ps, "class")) {
            if (parse_prim(ps, prim)) return -1;
            what = "a prim";
            maybe_release(ps);
        } else if (pusd__peek_word(ps, "variantSet")) {
            if (parse_variant_set(ps, prim)) return -1;
            what = "a variantSet";
        } else if (pusd__peek_word(ps, "reorder") && reorder_follows(ps)) {
            if (parse_reorder(ps, prim, false)) return -1;
            what = "a reorder statement";
        } else if (ps->p < ps->end && is_id0((unsigned char)*ps->p)) {
            if (parse_property(ps, prim)) return -1;
            what = "a property";
        } else
            return pusd__expected(ps, "a property, a prim ('def', 'over', 'class'), 'variantSet', 'reorder' or '}'");
        if (pusd__end_stmt(ps, '}', what)) return -1;
    }
}

static int parse_layer_text(P *ps) {
    pusd_layer *l = ps->l;
    const char *p = ps->p;
    if (ps->end - p >= 3 && (unsigned char)p[0] == 0xef && (unsigned char)p[1] == 0xbb && (unsigned char)p[2] == 0xbf)
        p += 3;
    ps->p = p;
    pusd_file_kind kind = pusd_sniff(p, (size_t)(ps->end - p));
    if (kind == PUSD_FILE_USDC) return pusd__fail(ps, p, "%s", PUSD_MSG_CRATE);
    if (kind == PUSD_FILE_USDZ) return pusd__fail(ps, p, "%s", PUSD_MSG_USDZ);
    if (kind != PUSD_FILE_USDA)
        return pusd__fail(ps, p, "not a USD text file: the first line must start with '#usda 1.0'");
    const char *h = p;
    while (p < ps->end && *p != '\n' && *p != '\r') p++;
    if (!(l->header = pusd__ar_strndup(&l->arena, h, (size_t)(p - h)))) return pusd__oom(ps);
    ps->p = p;
    skip_ws(ps);
    if (ps->p < ps->end && *ps->p == '(') {
        meta_ctx mc = {META_LAYER, &l->meta, NULL};
        if (parse_meta_block(ps, &mc)) return -1;
        if (pusd__end_stmt(ps, 0, "the layer metadata")) return -1;
    }
    for (;;) {
        skip_ws(ps);
        if (ps->failed) return -1;
        if (ps->p >= ps->end) return 0;
        if (pusd__peek_word(ps, "def") || pusd__peek_word(ps, "over") || pusd__peek_word(ps, "class")) {
            if (parse_prim(ps, &l->root)) return -1;
            if (pusd__end_stmt(ps, 0, "a prim")) return -1;
            maybe_release(ps);
        } else if (pusd__peek_word(ps, "reorder")) {
            if (parse_reorder(ps, &l->root, true)) return -1;
            if (pusd__end_stmt(ps, 0, "reorder rootPrims")) return -1;
        } else
            return pusd__expected(
                ps, ps->p == ps->buf ? "'#usda 1.0'" : "'def', 'over', 'class' or 'reorder rootPrims' at layer level");
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

/* Maps the file (pages already parsed are released behind the cursor), or
 * reads it when it cannot be mapped. Only regular files: opening never
 * blocks (a FIFO without a writer would), and the size is bounded. */
static int load_text(const char *path, char **text, size_t *len, bool *mapped, pusd_error *err) {
    *text = NULL;
    *len = 0;
    *mapped = false;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        pusd_set_error(err, PUSD_ERR_IO, path, 0, 0, "cannot open: %s", strerror(errno));
        return PUSD_ERR_IO;
    }
    struct stat st;
    if (fstat(fd, &st)) {
        int e = errno;
        close(fd);
        pusd_set_error(err, PUSD_ERR_IO, path, 0, 0, "cannot read: %s", strerror(e));
        return PUSD_ERR_IO;
    }
    if (!S_ISREG(st.st_mode)) {
        bool dir = S_ISDIR(st.st_mode), fifo = S_ISFIFO(st.st_mode);
        close(fd);
        pusd_set_error(err, PUSD_ERR_IO, path, 0, 0, "cannot read a layer from %s: not a regular file",
                       dir    ? "a directory"
                       : fifo ? "a FIFO (pipe)"
                              : "a device or socket");
        return PUSD_ERR_IO;
    }
    if ((uint64_t)st.st_size > PUSD_LAYER_MAX_BYTES) {
        close(fd);
        pusd_set_error(err, PUSD_ERR_IO, path, 0, 0, "the file is %lld bytes, over the limit of %u bytes for a layer",
                       (long long)st.st_size, (unsigned)PUSD_LAYER_MAX_BYTES);
        return PUSD_ERR_IO;
    }
    size_t n = (size_t)st.st_size;
    char *map = n ? mmap(NULL, n, PROT_READ, MAP_PRIVATE, fd, 0) : NULL;
    close(fd);
    if (map && map != MAP_FAILED) {
        madvise(map, n, MADV_SEQUENTIAL);
        *text = map;
        *len = n;
        *mapped = true;
        return 0;
    }
    if (!n) return 0;
    pbase_error be;
    int e = pbase_read_file(path, PUSD_LAYER_MAX_BYTES, text, len, &be);
    if (e) {
        pusd_set_error(err, e == ENOMEM ? PUSD_ERR_NOMEM : PUSD_ERR_IO, path, 0, 0, "%s", be.message);
        return e == ENOMEM ? PUSD_ERR_NOMEM : PUSD_ERR_IO;
    }
    return 0;
}

int pusd_layer_open(const char *path, pusd_layer **out, pusd_error *err) {
    *out = NULL;
    char *text;
    size_t len;
    bool mapped;
    int rc = load_text(path, &text, &len, &mapped, err);
    if (rc) return rc;
    pusd_layer *l = pusd_layer_new(path);
    if (!l) {
        pusd_set_error(err, PUSD_ERR_NOMEM, path, 0, 0, "out of memory");
        rc = PUSD_ERR_NOMEM;
    } else if (parse_into(l, text ? text : "", len, err, mapped)) {
        pusd_layer_free(l);
        l = NULL;
        rc = err ? (int)err->status : PUSD_ERR_SYNTAX;
    }
    if (mapped)
        munmap(text, len);
    else
        free(text);
    if (l) l->dirty = false;
    *out = l;
    return rc;
}
