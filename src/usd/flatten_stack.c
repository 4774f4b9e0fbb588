/* Flattening the root layer stack (the root layer and its sublayers) into
 * one layer, as OpenUSD's UsdUtilsFlattenLayerStack does: composition arcs
 * (references, payloads, inherits, specializes, variants) are kept, not
 * composed. Specs at the same path merge strongest first; sublayer offsets
 * are applied to time samples; relative asset paths are anchored to the
 * layer that authored them (made absolute), since the result no longer
 * lives where each sublayer did. */
#include <stdlib.h>

#include "stage_internal.h"

typedef struct fsrc {
    pusd_layer *layer;
    const pusd_primspec *spec;
    double offset, scale;
} fsrc;

typedef struct fstack {
    pusd_stage *s;
    pusd_layer *out;
} fstack;

static const char *out_str(fstack *f, const char *s) {
    return pusd__intern(&f->out->strings, &f->out->arena, s, strlen(s));
}

/* asset authored in layer as the merged layer writes it: anchored as OpenUSD's resolver anchors
 * it (pusd__anchor_asset), or kept as authored. */
static const char *anchored(fstack *f, const pusd_layer *layer, const char *asset) {
    char *abs;
    if (pusd__anchor_asset(layer, asset, &abs)) return NULL;
    if (!abs) return asset;
    const char *r = out_str(f, abs);
    free(abs);
    return r;
}

/* Anchors the asset paths of a value copied into out (asset scalars and arrays). */
static int anchor_value(fstack *f, const pusd_layer *layer, pusd_value *v) {
    if (v->type != PUSD_T_ASSET || !v->data) return 0;
    const char **items = (const char **)v->data;
    for (uint32_t i = 0; i < v->count; i++)
        if (!(items[i] = anchored(f, layer, items[i]))) return -1;
    return 0;
}

static bool is_listop(int type) { return type >= PUSD_T_TOKEN_LISTOP && type <= PUSD_T_PAYLOAD_LISTOP; }
static bool is_ref_listop(int type) { return type == PUSD_T_REFERENCE_LISTOP || type == PUSD_T_PAYLOAD_LISTOP; }

/* Items of one operation of a combined list op, tagged with the authoring layer. */
typedef struct tlist {
    titem *v;
    size_t n, cap;
} tlist;

static bool tl_has(const tlist *l, const char *key) {
    for (size_t i = 0; i < l->n; i++)
        if (!strcmp(l->v[i].key, key)) return true;
    return false;
}

static int tl_add(tlist *l, titem t) {
    if (!PBASE_RESERVE(l->v, l->cap, l->n + 1)) return -1;
    l->v[l->n++] = t;
    return 0;
}

/* The items of operation k of op as tagged items. */
static int tl_of(fstack *f, int type, const pusd_listop *op, int k, pusd_layer *layer, tlist *out) {
    size_t isz = is_ref_listop(type) ? sizeof(pusd_reference) : sizeof(char *);
    for (uint32_t i = 0; i < op->count[k]; i++) {
        const void *it = (const char *)op->items[k] + i * isz;
        const char *key = pusd__item_key(f->s, type, it);
        if (!key || tl_add(out, (titem){key, it, layer})) return -1;
    }
    return 0;
}

/* Keeps the items of in that the stronger operations s0, s1, s2 do not mention (appending to out). */
static int tl_keep(const tlist *in, const tlist *s0, const tlist *s1, const tlist *s2, tlist *out) {
    for (size_t i = 0; i < in->n; i++)
        if (!tl_has(s0, in->v[i].key) && !tl_has(s1, in->v[i].key) && !tl_has(s2, in->v[i].key) &&
            tl_add(out, in->v[i]))
            return -1;
    return 0;
}

/* Puts a combined op's tagged items into a list op value in out (anchoring reference assets). */
static int emit_listop(fstack *f, int type, bool is_explicit, tlist *ops, pusd_value *out) {
    size_t isz = is_ref_listop(type) ? sizeof(pusd_reference) : sizeof(char *);
    pusd_listop lo = {.is_explicit = is_explicit};
    char *bufs[PUSD_LISTOP_NOPS] = {0};
    int rc = 0;
    for (int k = 0; k < PUSD_LISTOP_NOPS && !rc; k++) {
        if (!ops[k].n) continue;
        if (!(bufs[k] = malloc(ops[k].n * isz))) rc = -1;
        for (size_t i = 0; !rc && i < ops[k].n; i++) memcpy(bufs[k] + i * isz, ops[k].v[i].item, isz);
        lo.count[k] = (uint32_t)ops[k].n;
        lo.items[k] = bufs[k];
    }
    pusd_value src = {(uint16_t)type, 0, 1, &lo};
    if (!rc) rc = pusd__value_copy(&f->out->arena, &f->out->strings, out, &src);
    for (int k = 0; !rc && is_ref_listop(type) && k < PUSD_LISTOP_NOPS; k++) {
        pusd_reference *refs = (pusd_reference *)((const pusd_listop *)out->data)->items[k];
        for (size_t i = 0; i < ops[k].n && !rc; i++)
            if (!(refs[i].asset_path = anchored(f, ops[k].v[i].layer, refs[i].asset_path))) rc = -1;
    }
    for (int k = 0; k < PUSD_LISTOP_NOPS; k++) free(bufs[k]);
    return rc;
}

/* Non-explicit list ops using only prepend, append and delete combine into
 * one such op (as SdfListOp::ApplyOperations does): a stronger op's items
 * come first among prepends and last among appends, and drop the weaker
 * mentions of the same items. Returns 1 when the ops do not combine. */
static int combine_listops(fstack *f, int type, const pusd_listop *const *ops, pusd_layer *const *layers, size_t n,
                           pusd_value *out) {
    for (size_t i = 0; i < n; i++)
        if (ops[i]->is_explicit || ops[i]->count[PUSD_LISTOP_ADD] || ops[i]->count[PUSD_LISTOP_ORDER]) return 1;
    enum { PRE = PUSD_LISTOP_PREPEND, APP = PUSD_LISTOP_APPEND, DEL = PUSD_LISTOP_DELETE };
    tlist c[PUSD_LISTOP_NOPS] = {{0}};
    int rc = 0;
    for (size_t i = n; i-- > 0 && !rc;) {
        tlist s[PUSD_LISTOP_NOPS] = {{0}}, nc[PUSD_LISTOP_NOPS] = {{0}};
        rc = tl_of(f, type, ops[i], PRE, layers[i], &s[PRE]) || tl_of(f, type, ops[i], APP, layers[i], &s[APP]) ||
             tl_of(f, type, ops[i], DEL, layers[i], &s[DEL]);
        /* prepends: the stronger op's, then the weaker ones it leaves alone; appends the other way round */
        for (size_t k = 0; !rc && k < s[PRE].n; k++) rc = tl_add(&nc[PRE], s[PRE].v[k]);
        if (!rc)
            rc = tl_keep(&c[PRE], &s[PRE], &s[APP], &s[DEL], &nc[PRE]) ||
                 tl_keep(&c[APP], &s[PRE], &s[APP], &s[DEL], &nc[APP]);
        for (size_t k = 0; !rc && k < s[APP].n; k++) rc = tl_add(&nc[APP], s[APP].v[k]);
        /* deletes accumulate; a delete runs before the prepends and appends that may bring an item back */
        if (!rc) rc = tl_keep(&c[DEL], &s[DEL], &s[DEL], &s[DEL], &nc[DEL]);
        for (size_t k = 0; !rc && k < s[DEL].n; k++) rc = tl_add(&nc[DEL], s[DEL].v[k]);
        for (int k = 0; k < PUSD_LISTOP_NOPS; k++) {
            free(s[k].v);
            free(c[k].v);
            c[k] = nc[k];
        }
    }
    if (!rc) rc = emit_listop(f, type, false, c, out);
    for (int k = 0; k < PUSD_LISTOP_NOPS; k++) free(c[k].v);
    return rc ? -1 : 0;
}

/* The list ops of several layers for one key: combined where they can be
 * (see combine_listops), otherwise one explicit list op with the composed
 * items, which means the same for this layer stack. References and payloads
 * get their asset paths anchored to the layer that authored them. */
static int compose_listops(fstack *f, int type, const pusd_listop *const *ops, pusd_layer *const *layers, size_t n,
                           pusd_value *out) {
    int rc = combine_listops(f, type, ops, layers, n, out);
    if (rc <= 0) return rc;
    tlist ex[PUSD_LISTOP_NOPS] = {{0}};
    for (size_t i = n; i-- > 0;) pusd__tl_apply(f->s, type, ops[i], layers[i], &ex[0].v, &ex[0].n, &ex[0].cap);
    rc = emit_listop(f, type, true, ex, out);
    free(ex[0].v);
    return rc;
}

/* Copies one layer's list op, anchoring reference/payload asset paths. */
static int copy_listop(fstack *f, const pusd_layer *layer, const pusd_value *src, pusd_value *out) {
    if (pusd__value_copy(&f->out->arena, &f->out->strings, out, src)) return -1;
    if (!is_ref_listop(src->type) || !out->data) return 0;
    const pusd_listop *lo = out->data;
    for (int k = 0; k < PUSD_LISTOP_NOPS; k++) {
        pusd_reference *refs = (pusd_reference *)lo->items[k];
        for (uint32_t i = 0; i < lo->count[k]; i++)
            if (!(refs[i].asset_path = anchored(f, layer, refs[i].asset_path))) return -1;
    }
    return 0;
}

/* Metadata of specs: strongest opinion per key; list ops of several layers composed. */
static int merge_meta(fstack *f, meta_list *dst, const meta_list *const *srcs, pusd_layer *const *layers, size_t n) {
    const pusd_listop *ops[MAX_ARC_DEPTH];
    pusd_layer *opl[MAX_ARC_DEPTH];
    for (size_t i = 0; i < n; i++)
        for (const meta_entry *e = srcs[i]->head; e; e = e->next) {
            const char *k = out_str(f, e->key);
            if (!k) return -1;
            if (pusd__meta_find(dst, k)) continue;
            meta_entry *me = pusd__meta_set(f->out, dst, k);
            if (!me) return -1;
            size_t nops = 0;
            if (is_listop(e->value.type) && e->value.data)
                for (size_t j = i; j < n && nops < MAX_ARC_DEPTH; j++) {
                    const meta_entry *w = pusd__meta_find(srcs[j], e->key);
                    if (w && w->value.type == e->value.type && w->value.data) {
                        ops[nops] = w->value.data;
                        opl[nops++] = layers[j];
                    }
                }
            int rc = nops > 1 ? compose_listops(f, e->value.type, ops, opl, nops, &me->value)
                     : is_listop(e->value.type)
                         ? copy_listop(f, layers[i], &e->value, &me->value)
                         : pusd__value_copy(&f->out->arena, &f->out->strings, &me->value, &e->value) ||
                               anchor_value(f, layers[i], &me->value);
            if (rc) return -1;
            ME_SET_OP(me, ME_OP(e));
        }
    return 0;
}

static int copy_samples(fstack *f, prop_spec *dst, const prop_spec *src, const fsrc *from) {
    prop_extra *x = pusd__prop_x(f->out, dst);
    if (!x) return -1;
    uint32_t n = src->x->nsamples;
    x->samples = pusd__ar_alloc(&f->out->arena, (n ? n : 1) * sizeof *x->samples);
    if (!x->samples) return -1;
    for (uint32_t i = 0; i < n; i++) {
        x->samples[i].time = from->offset + from->scale * src->x->samples[i].time;
        if (pusd__value_copy(&f->out->arena, &f->out->strings, &x->samples[i].value, &src->x->samples[i].value) ||
            anchor_value(f, from->layer, &x->samples[i].value))
            return -1;
    }
    x->nsamples = n;
    x->has_samples = true;
    return 0;
}

/* Relationship targets / connections: one layer's list op copied, several composed. */
static int merge_targets(fstack *f, prop_spec *dst, const prop_spec *const *ps, pusd_layer *const *layers, size_t n) {
    const pusd_listop *ops[MAX_ARC_DEPTH];
    pusd_layer *opl[MAX_ARC_DEPTH];
    size_t nops = 0;
    for (size_t i = 0; i < n && nops < MAX_ARC_DEPTH; i++)
        if (ps[i]->x && ps[i]->x->targets) {
            ops[nops] = ps[i]->x->targets;
            opl[nops++] = layers[i];
        }
    if (!nops) return 0;
    prop_extra *x = pusd__prop_x(f->out, dst);
    if (!x) return -1;
    pusd_value v;
    pusd_value src = {PUSD_T_PATH_LISTOP, 0, 1, ops[0]};
    int rc = nops > 1 ? compose_listops(f, PUSD_T_PATH_LISTOP, ops, opl, nops, &v)
                      : pusd__value_copy(&f->out->arena, &f->out->strings, &v, &src);
    if (rc) return -1;
    x->targets = (pusd_listop *)v.data;
    return 0;
}

/* One property across the specs that author it (strongest first). */
static int merge_prop(fstack *f, pusd_primspec *dst, const char *name, const fsrc *src, size_t n) {
    if (n > MAX_ARC_DEPTH) n = MAX_ARC_DEPTH; /* opinions beyond the 64 strongest layers are not merged */
    const prop_spec *ps[MAX_ARC_DEPTH];
    pusd_layer *layers[MAX_ARC_DEPTH];
    const meta_list *metas[MAX_ARC_DEPTH];
    const fsrc *from[MAX_ARC_DEPTH];
    size_t m = 0, nm = 0;
    for (size_t i = 0; i < n; i++) {
        const prop_spec *p = pusd__prim_prop(src[i].spec, name);
        if (!p) continue;
        ps[m] = p;
        from[m] = &src[i];
        layers[m++] = src[i].layer;
        if (p->x) metas[nm++] = &p->x->meta;
    }
    const prop_spec *top = ps[0];
    prop_spec *d = pusd__prim_new_prop(f->out, dst, out_str(f, name));
    if (!d || !d->name) return -1;
    uint16_t bits = top->dflt.flags & 0xff00u;
    d->dflt.type = top->dflt.type;
    d->dflt.flags = (uint16_t)(bits | (top->dflt.flags & PUSD_VF_ARRAY));
    if (top->x && top->x->type_name) {
        prop_extra *x = pusd__prop_x(f->out, d);
        if (!x || !(x->type_name = out_str(f, top->x->type_name))) return -1;
    }
    if (top->x && top->x->default_target) {
        prop_extra *x = pusd__prop_x(f->out, d);
        if (!x || !(x->default_target = out_str(f, top->x->default_target))) return -1;
    }
    bool got_default = false, got_samples = false;
    for (size_t i = 0; i < m; i++) {
        if (!got_default && (ps[i]->dflt.data || (ps[i]->dflt.flags & PUSD_VF_BLOCKED))) {
            if (pusd__value_copy(&f->out->arena, &f->out->strings, &d->dflt, &ps[i]->dflt) ||
                anchor_value(f, layers[i], &d->dflt))
                return -1;
            d->dflt.flags = (uint16_t)(bits | (d->dflt.flags & 0xffu));
            got_default = true;
        }
        if (!got_samples && ps[i]->x && ps[i]->x->has_samples) {
            if (copy_samples(f, d, ps[i], from[i])) return -1;
            got_samples = true;
        }
    }
    if (nm) {
        prop_extra *x = pusd__prop_x(f->out, d);
        pusd_layer *ml[MAX_ARC_DEPTH];
        for (size_t i = 0, k = 0; i < m; i++)
            if (ps[i]->x) ml[k++] = layers[i];
        if (!x || merge_meta(f, &x->meta, metas, ml, nm)) return -1;
    }
    return merge_targets(f, d, ps, layers, m);
}

static int merge_spec(fstack *f, pusd_primspec *dst, const fsrc *src, size_t n, int depth);

/* Specs named name among the children (or variants) of src, strongest first. */
typedef const pusd_primspec *(*child_fn)(const fsrc *s, const void *arg, const char *name);

static const pusd_primspec *named_child(const fsrc *s, const void *arg, const char *name) {
    (void)arg;
    for (const pusd_primspec *c = s->spec->first_child; c; c = c->next)
        if (!strcmp(c->name, name)) return c;
    return NULL;
}

static const pusd_primspec *named_variant(const fsrc *s, const void *set, const char *name) {
    for (const variant_set_spec *vs = PRIM_VSETS(s->spec); vs; vs = vs->next)
        if (!strcmp(vs->name, set))
            for (const pusd_primspec *v = vs->first_variant; v; v = v->next)
                if (!strcmp(v->name, name)) return v;
    return NULL;
}

static int merge_named(fstack *f, pusd_primspec *dst, const fsrc *src, size_t n, child_fn get, const void *arg,
                       variant_set_spec *vs, const char *name, int depth) {
    fsrc *kids = malloc((n ? n : 1) * sizeof *kids);
    if (!kids) return -1;
    size_t k = 0;
    char spec = 'o';
    const char *type = NULL;
    for (size_t i = 0; i < n; i++) {
        const pusd_primspec *c = get(&src[i], arg, name);
        if (!c) continue;
        kids[k] = src[i];
        kids[k++].spec = c;
        if (spec == 'o' && c->specifier != 'o') spec = c->specifier;
        if (!type && c->type_name) type = c->type_name;
    }
    pusd_primspec *d = vs ? pusd__layer_new_variant(f->out, dst, vs, name, strlen(name))
                          : pusd__layer_new_prim(f->out, dst, name, strlen(name), spec, type ? out_str(f, type) : NULL);
    int rc = d ? merge_spec(f, d, kids, k, depth + 1) : -1;
    free(kids);
    return rc;
}

/* The children names of src[0..n) (strongest first) in the order Pcp composes them: weakest spec
 * first, new names appended, each spec's `reorder nameChildren` (a layer's `reorder rootPrims` at
 * the root) applied as it comes. malloc'ed; NULL when empty. */
static size_t child_order(const fsrc *src, size_t n, const char ***out) {
    const char **names = NULL;
    size_t m = 0, cap = 0;
    for (size_t i = n; i-- > 0;)
        if (pusd__spec_add_children(src[i].spec, src[i].layer, &names, &m, &cap)) break;
    *out = names;
    return m;
}

static bool seen_variant(const fsrc *src, size_t upto, const char *set, const char *name) {
    for (size_t j = 0; j < upto; j++)
        if (named_variant(&src[j], set, name)) return true;
    return false;
}

static int merge_variant_sets(fstack *f, pusd_primspec *dst, const fsrc *src, size_t n, int depth) {
    for (size_t i = 0; i < n; i++)
        for (const variant_set_spec *vs = PRIM_VSETS(src[i].spec); vs; vs = vs->next) {
            variant_set_spec *dvs = pusd__layer_variant_set(f->out, dst, vs->name, true);
            if (!dvs) return -1;
            for (const pusd_primspec *v = vs->first_variant; v; v = v->next)
                if (!seen_variant(src, i, vs->name, v->name) &&
                    merge_named(f, dst, src, n, named_variant, vs->name, dvs, v->name, depth))
                    return -1;
        }
    return 0;
}

static int copy_reorders(fstack *f, pusd_primspec *dst, const fsrc *src, size_t n) {
    for (size_t i = 0; i < n; i++) {
        const prim_ext *e = src[i].spec->ext;
        if (!e || (!e->n_reorder_children && !e->n_reorder_props)) continue;
        prim_ext *d = pusd__prim_x(f->out, dst);
        if (!d) return -1;
        if (e->n_reorder_children && !d->n_reorder_children) {
            if (!(d->reorder_children = pusd__ar_alloc(&f->out->arena, e->n_reorder_children * sizeof(char *))))
                return -1;
            for (uint32_t k = 0; k < e->n_reorder_children; k++)
                d->reorder_children[k] = out_str(f, e->reorder_children[k]);
            d->n_reorder_children = e->n_reorder_children;
        }
        if (e->n_reorder_props && !d->n_reorder_props) {
            if (!(d->reorder_props = pusd__ar_alloc(&f->out->arena, e->n_reorder_props * sizeof(char *)))) return -1;
            for (uint32_t k = 0; k < e->n_reorder_props; k++) d->reorder_props[k] = out_str(f, e->reorder_props[k]);
            d->n_reorder_props = e->n_reorder_props;
        }
    }
    return 0;
}

/* Merges the specs src[0..n) (same path, strongest first) into dst. */
static int merge_spec(fstack *f, pusd_primspec *dst, const fsrc *src, size_t n, int depth) {
    if (depth > 400) return 0; /* deeper than composition allows; such namespaces are reported by the stage */
    const meta_list **metas = calloc(n ? n : 1, sizeof *metas);
    pusd_layer **layers = calloc(n ? n : 1, sizeof *layers);
    for (size_t i = 0; metas && layers && i < n; i++) {
        metas[i] = &src[i].spec->meta;
        layers[i] = src[i].layer;
    }
    int rc = metas && layers ? merge_meta(f, &dst->meta, metas, layers, n) : -1;
    free(metas);
    free(layers);
    if (rc) return -1;
    for (size_t i = 0; i < n; i++)
        for (const prop_spec *p = src[i].spec->first_prop; p; p = p->next)
            if (!pusd__prim_prop(dst, p->name) && merge_prop(f, dst, p->name, src, n)) return -1;
    if (copy_reorders(f, dst, src, n) || merge_variant_sets(f, dst, src, n, depth)) return -1;
    const char **names;
    size_t nk = child_order(src, n, &names);
    for (size_t i = 0; i < nk; i++)
        if (merge_named(f, dst, src, n, named_child, NULL, NULL, names[i], depth)) {
            free(names);
            return -1;
        }
    free(names);
    return 0;
}

pusd_layer *pusd_stage_flatten_layer_stack(pusd_stage *s, pusd_error *err) {
    pusd__ensure(s);
    reg_entry *re = pusd__reg_of_layer(s, s->root);
    layer_stack *ls = re ? pusd__layer_stack_of(s, re) : NULL;
    pusd_layer *out = ls ? pusd_layer_new(s->root->identifier) : NULL;
    if (!out) goto nomem;
    fstack f = {s, out};
    fsrc *src = malloc((ls->n ? ls->n : 1) * sizeof *src);
    if (!src) goto nomem;
    for (size_t i = 0; i < ls->n; i++)
        src[i] = (fsrc){ls->e[i].layer, &ls->e[i].layer->root, ls->e[i].offset, ls->e[i].scale};
    /* layer metadata is the root layer's (subLayers are what gets flattened) */
    const meta_list *rm = &s->root->meta;
    int rc = merge_meta(&f, &out->meta, &rm, &s->root, 1) || merge_spec(&f, &out->root, src, ls->n, 0);
    free(src);
    if (rc) goto nomem;
    if (s->root->n_reorder_root) {
        out->reorder_root = pusd__ar_alloc(&out->arena, s->root->n_reorder_root * sizeof(char *));
        if (!out->reorder_root) goto nomem;
        for (uint32_t i = 0; i < s->root->n_reorder_root; i++)
            out->reorder_root[i] = out_str(&f, s->root->reorder_root[i]);
        out->n_reorder_root = s->root->n_reorder_root;
    }
    return out;
nomem:
    pusd_layer_free(out);
    pusd_set_error(err, PUSD_ERR_NOMEM, s->root->identifier, 0, 0, "out of memory while flattening the layer stack");
    return NULL;
}
