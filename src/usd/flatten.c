/* Flattening a composed stage into one layer without arcs or variants. */
#include <math.h>
#include <stdlib.h>
#include <unistd.h>

#include "stage_internal.h"

/* A prototype of the flattened layer: the instances whose arcs have the same key share it. */
typedef struct proto {
    char *key;
    pusd_prim *source; /* the first instance found: its children are the prototype's */
    const char *path;  /* /Flattened_Prototype_N */
} proto;

typedef struct flat {
    pusd_stage *s;
    pusd_layer *out;
    proto *v;
    size_t n, cap, next_id;
    const char *from, *to; /* while writing a prototype: the source instance's path and the prototype's */
} flat;

static bool arc_key(const char *k) {
    return !strcmp(k, "references") || !strcmp(k, "payload") || !strcmp(k, "inherits") || !strcmp(k, "specializes") ||
           !strcmp(k, "variantSets") || !strcmp(k, "variants") || !strcmp(k, "apiSchemas") || !strcmp(k, "clips") ||
           !strcmp(k, "clipSets"); /* clip metadata is private to UsdStage::Flatten */
}

/* A dictionary entry m already taken from a stronger opinion takes a weaker one's keys under its own. */
static int meta_under(pusd_layer *out, meta_entry *m, const meta_entry *weak, const node *from) {
    return m->value.type == PUSD_T_DICTIONARY
               ? pusd__flat_dict_under(out, &m->value, &weak->value, from->layer, from->site->vars)
               : 0;
}

/* The kind bits and value type of a flattened property, as UsdStage composes them: an attribute
 * its prim's type or an applied API schema declares takes the declared variability, is not custom,
 * and takes the declared type when that only changes the role (float3[] -> point3f[]); any other
 * attribute keeps the strongest spec's type and the weakest spec's variability and custom flag
 * (every spec authors both). Legacy `config` is uniform, and `varying` is the default. */
static void prop_kind(const pusd_prim *p, const char *name, const prop_spec *src, uint16_t *type, uint16_t *bits) {
    *type = src->dflt.type;
    *bits = src->dflt.flags & (PB_REL | PB_CUSTOM | PB_UNIFORM | PB_CONFIG | PB_VARYING);
    if (PS_IS_REL(src)) return;
    const prop_spec *weakest = src;
    for (uint32_t k = p->nnodes; k-- > 0;) {
        const prop_spec *ps = pusd__prim_prop(p->nodes[k].spec, name);
        if (ps && !PS_IS_REL(ps)) {
            weakest = ps;
            break;
        }
    }
    *bits = (uint16_t)((weakest->dflt.flags & PB_CUSTOM) |
                       ((weakest->dflt.flags & (PB_UNIFORM | PB_CONFIG)) ? PB_UNIFORM : 0));
    const char *declared;
    bool uniform, array;
    if ((src->x && src->x->type_name) || !pusd__declared_attr(p->type_name, p->api, p->napi, name, &declared, &uniform))
        return;
    *bits = uniform ? PB_UNIFORM : 0;
    int t = pusd_type_parse(declared, &array);
    if (t == PUSD_T_INVALID || array != ((src->dflt.flags & PUSD_VF_ARRAY) != 0)) return;
    const type_info *a = pusd_tinfo(t), *b = pusd_tinfo(src->dflt.type);
    if (a && b && a->elem == b->elem && a->ncomp == b->ncomp && a->shape == b->shape) *type = (uint16_t)t;
}

static int remap_sample_copy(pusd_layer *out, prop_spec *dst, const prop_spec *src, const node *n) {
    prop_extra *x = pusd__prop_x(out, dst);
    if (!x) return -1;
    x->samples = pusd__ar_alloc(&out->arena, (src->x->nsamples ? src->x->nsamples : 1) * sizeof *x->samples);
    if (!x->samples) return -1;
    for (uint32_t i = 0; i < src->x->nsamples; i++) {
        x->samples[i].time = n->offset + n->scale * src->x->samples[i].time;
        if (pusd__flat_copy(out, &x->samples[i].value, &src->x->samples[i].value, n->layer, n->site->vars)) return -1;
    }
    x->nsamples = src->x->nsamples;
    x->has_samples = true;
    return 0;
}

static int flatten_prop(flat *f, pusd_primspec *sp, pusd_prim *p, const char *name);
static int flatten_prim(flat *f, pusd_primspec *parent, pusd_prim *p);
static int clip_sample_copy(flat *f, pusd_prim *p, const char *name, prop_spec *dst, uint16_t type);
/* The instancing key of instance p: its arcs' opinions (every node but the local ones), which is
 * what its prototype is composed from. */
static char *instance_key(const pusd_prim *p) {
    sbuf b = {0};
    char path[4096];
    for (uint32_t i = 0; i < p->nnodes; i++) {
        const node *n = &p->nodes[i];
        if (n->tag == ARC_LOCAL) continue;
        pusd__layer_prim_path(n->spec, path, sizeof path);
        pusd__sb_printf(&b, "%s\x01%s\x01%.17g\x01%.17g\x02", n->layer->identifier, path, n->offset, n->scale);
    }
    pusd__sb_putc(&b, 0);
    if (b.oom) {
        free(b.p);
        return NULL;
    }
    return b.p;
}

static proto *proto_of(flat *f, const pusd_prim *p) {
    char *key = instance_key(p);
    if (!key) return NULL;
    for (size_t i = 0; i < f->n; i++)
        if (!strcmp(f->v[i].key, key)) {
            free(key);
            return &f->v[i];
        }
    free(key);
    return NULL;
}

/* Finds the instances below p (p included; not below an instance) and gives each new instancing
 * key a prototype, named as UsdStage::Flatten names them (skipping names the stage uses). */
static int collect(flat *f, pusd_prim *p) {
    if (!p->active) return 0;
    if (p->instance) {
        if (proto_of(f, p)) return 0;
        char name[64], *key = instance_key(p);
        do snprintf(name, sizeof name, "/Flattened_Prototype_%zu", ++f->next_id);
        while (pusd_stage_prim_at_path(f->s, name));
        const char *path = pusd__ar_strdup(&f->out->arena, name);
        if (!key || !path || !PBASE_RESERVE(f->v, f->cap, f->n + 1)) {
            free(key);
            return -1;
        }
        f->v[f->n++] = (proto){key, p, path};
        return 0;
    }
    for (uint32_t i = 0; i < p->nchildren; i++) {
        pusd_prim *c = pusd__kid(p, i);
        if (c && collect(f, c)) return -1;
    }
    return 0;
}

/* An instance refers to its prototype by an internal reference, as UsdStage::Flatten adds it. */
static int instance_ref(flat *f, pusd_primspec *sp, const pusd_prim *p) {
    const proto *pr = proto_of(f, p);
    pusd_listop *lo = pusd__ar_calloc(&f->out->arena, sizeof *lo);
    pusd_reference *r = pusd__ar_calloc(&f->out->arena, sizeof *r);
    const char *k = pusd__intern(&f->out->strings, &f->out->arena, "references", 10);
    meta_entry *me = k ? pusd__meta_set(f->out, &sp->meta, k) : NULL;
    if (!pr || !lo || !r || !me) return -1;
    *r = (pusd_reference){"", pr->path, 0, 1, NULL};
    lo->count[PUSD_LISTOP_ADD] = 1;
    lo->items[PUSD_LISTOP_ADD] = r;
    me->value = (pusd_value){PUSD_T_REFERENCE_LISTOP, 0, 1, lo};
    return 0;
}

/* Each prototype: a typeless def at the root holding the source instance's children, written
 * before the stage's prims (as UsdStage::Flatten writes them). Nested instances found inside a
 * prototype get prototypes after it. */
static int write_prototypes(flat *f) {
    for (size_t i = 0; i < f->n; i++) {
        pusd_prim *src = f->v[i].source;
        for (uint32_t k = 0; k < src->nchildren; k++) {
            pusd_prim *c = pusd__kid(src, k);
            if (c && collect(f, c)) return -1;
        }
    }
    for (size_t i = 0; i < f->n; i++) {
        const char *name = f->v[i].path + 1;
        pusd_primspec *sp = pusd__layer_new_prim(f->out, &f->out->root, name, strlen(name), 'd', NULL);
        if (!sp) return -1;
        f->from = f->v[i].source->path;
        f->to = f->v[i].path;
        for (uint32_t k = 0; k < f->v[i].source->nchildren; k++) {
            pusd_prim *c = pusd__kid(f->v[i].source, k);
            if (c && flatten_prim(f, sp, c)) return -1;
        }
        f->from = f->to = NULL;
    }
    return 0;
}

/* names copied into out's arena (interned), for reorder statements */
static const char **copy_names(pusd_layer *out, const char *const *src, uint32_t n) {
    const char **v = pusd__ar_alloc(&out->arena, (n ? n : 1) * sizeof *v);
    for (uint32_t k = 0; v && k < n; k++)
        if (!(v[k] = pusd__intern(&out->strings, &out->arena, src[k], strlen(src[k])))) return NULL;
    return v;
}

/* propertyOrder and primOrder are metadata UsdStage::Flatten copies (the strongest opinion of
 * each), so the flattened prim writes them back as `reorder` statements */
static int copy_reorders(pusd_layer *out, pusd_primspec *sp, const pusd_prim *p) {
    const prim_ext *props = NULL, *kids = NULL;
    for (uint32_t i = 0; i < p->nnodes; i++) {
        const prim_ext *x = p->nodes[i].spec->ext;
        if (x && x->n_reorder_props && !props) props = x;
        if (x && x->n_reorder_children && !kids) kids = x;
    }
    if (!props && !kids) return 0;
    prim_ext *d = pusd__prim_x(out, sp);
    if (!d) return -1;
    if (props && !(d->reorder_props = copy_names(out, props->reorder_props, props->n_reorder_props))) return -1;
    if (kids && !(d->reorder_children = copy_names(out, kids->reorder_children, kids->n_reorder_children))) return -1;
    d->n_reorder_props = props ? props->n_reorder_props : 0;
    d->n_reorder_children = kids ? kids->n_reorder_children : 0;
    return 0;
}

/* The properties flatten writes, in UsdPrim::GetProperties order: the authored ones, and the
 * built-in attributes no spec authors that value clips give values to (UsdStage::Flatten copies
 * a property that is authored or has an authored value, and clips give one). Malloc'ed. */
static size_t flat_prop_names(pusd_prim *p, const char ***out) {
    size_t np = pusd_prim_property_count(p), n = 0, cap = np + 1;
    const char **v = malloc(cap * sizeof *v), **decl = NULL;
    *out = v;
    if (!v) return 0;
    for (size_t i = 0; i < np; i++) v[n++] = pusd_prim_property_name(p, i);
    if (!pusd__stage_has_clips(p->stage)) return n;
    size_t nd = pusd__declared_attr_names(p->type_name, p->api, p->napi, &decl);
    for (size_t i = 0; i < nd; i++) {
        uint32_t pos;
        clip_src *c = pusd__strongest_prop(p, decl[i], NULL) ? NULL : pusd__clips_find(p, decl[i], &pos);
        pusd__clips_free(c);
        if (c && PBASE_RESERVE(v, cap, n + 1)) v[n++] = decl[i];
    }
    free(decl);
    if (n > np) pusd__order_props(p, v, n);
    *out = v;
    return n;
}

/* A built-in attribute that no spec authors and clips give values to, created as
 * SdfAttributeSpec::New creates it (the declared type, varying, not custom) with the clips'
 * samples. */
static int flatten_clip_builtin(flat *f, pusd_primspec *sp, pusd_prim *p, const char *name) {
    const char *declared;
    bool uniform, array;
    if (!pusd__declared_attr(p->type_name, p->api, p->napi, name, &declared, &uniform)) return 0;
    int t = pusd_type_parse(declared, &array);
    if (t == PUSD_T_INVALID) return 0;
    prop_spec *dst =
        pusd__prim_new_prop(f->out, sp, pusd__intern(&f->out->strings, &f->out->arena, name, strlen(name)));
    if (!dst || !dst->name) return -1;
    dst->dflt.type = (uint16_t)t;
    dst->dflt.flags = array ? PUSD_VF_ARRAY : 0;
    return clip_sample_copy(f, p, name, dst, (uint16_t)t);
}

static int flatten_prim(flat *f, pusd_primspec *parent, pusd_prim *p) {
    if (!p->active) return 0; /* UsdStage::Flatten copies active prims only */
    pusd_layer *out = f->out;
    const char *tn = p->type_name ? pusd__intern(&out->strings, &out->arena, p->type_name, strlen(p->type_name)) : NULL;
    pusd_primspec *sp = pusd__layer_new_prim(out, parent, p->name, strlen(p->name), p->specifier, tn);
    if (!sp) return -1;
    /* metadata: strongest opinion per key (all of its list operations); arcs are gone after flattening */
    for (uint32_t i = 0; i < p->nnodes; i++) {
        meta_entry *stronger = NULL; /* the last entry taken from stronger nodes */
        for (meta_entry *m = sp->meta.head; m; m = m->next) stronger = m;
        for (const meta_entry *e = p->nodes[i].spec->meta.head; e; e = e->next) {
            if (arc_key(e->key) || !strcmp(e->key, "apiSchemas")) continue;
            const char *k = pusd__intern(&out->strings, &out->arena, e->key, strlen(e->key));
            if (!k) return -1;
            meta_entry *taken = NULL;
            for (meta_entry *m = stronger ? sp->meta.head : NULL; m && !taken; m = m == stronger ? NULL : m->next)
                if (m->key == k) taken = m;
            if (taken) {
                if (meta_under(out, taken, e, &p->nodes[i])) return -1;
                continue;
            }
            meta_entry *me = pusd__meta_set_op(out, &sp->meta, k, ME_OP(e));
            if (!me || pusd__flat_copy(out, &me->value, &e->value, p->nodes[i].layer, p->nodes[i].site->vars))
                return -1;
            ME_SET_OP(me, ME_OP(e));
        }
    }
    if (p->napi) {
        pusd_listop *lo = pusd__ar_calloc(&out->arena, sizeof *lo);
        const char **it = pusd__ar_alloc(&out->arena, p->napi * sizeof *it);
        const char *k = pusd__intern(&out->strings, &out->arena, "apiSchemas", 10);
        if (!lo || !it || !k) return -1;
        for (uint32_t i = 0; i < p->napi; i++)
            it[i] = pusd__intern(&out->strings, &out->arena, p->api[i], strlen(p->api[i]));
        lo->is_explicit = true; /* the composed list, explicit, as usdcat --flatten writes it */
        lo->count[PUSD_LISTOP_EXPLICIT] = p->napi;
        lo->items[PUSD_LISTOP_EXPLICIT] = it;
        meta_entry *me = pusd__meta_set(out, &sp->meta, k);
        if (!me) return -1;
        me->value = (pusd_value){PUSD_T_TOKEN_LISTOP, 0, 1, lo};
    }
    if (copy_reorders(out, sp, p)) return -1;
    const char **names;
    size_t np = flat_prop_names(p, &names);
    for (size_t i = 0; i < np; i++)
        if (flatten_prop(f, sp, p, names[i])) return free(names), -1;
    free(names);
    if (p->instance) return instance_ref(f, sp, p); /* its children are the prototype's */
    for (uint32_t i = 0; i < p->nchildren; i++) {
        pusd_prim *c = pusd__kid(p, i);
        if (c && flatten_prim(f, sp, c)) return -1;
    }
    return 0;
}

/* A target path as the flattened layer writes it: inside a prototype, paths below the source
 * instance become paths below the prototype. */
static const char *flat_target(flat *f, const char *t) {
    size_t n = f->from ? strlen(f->from) : 0;
    if (!n || strncmp(t, f->from, n) || (t[n] && t[n] != '/' && t[n] != '.' && t[n] != '[')) return t;
    char *r = pusd__ar_alloc(&f->out->arena, strlen(f->to) + strlen(t + n) + 1);
    if (r) sprintf(r, "%s%s", f->to, t + n);
    return r;
}

/* Whether value clips give the attribute's time samples: a clip set declares it and no node
 * stronger than the clips has samples or a default for it. */
static bool clip_samples_win(pusd_prim *p, const char *name) {
    uint32_t pos;
    clip_src *c = pusd__clips_find(p, name, &pos);
    pusd__clips_free(c);
    if (!c) return false;
    for (uint32_t k = 0; k < pos; k++) {
        const prop_spec *ps = pusd__prim_prop(p->nodes[k].spec, name);
        if (ps &&
            ((ps->x && ps->x->has_samples && ps->x->nsamples) || ps->dflt.data || (ps->dflt.flags & PUSD_VF_BLOCKED)))
            return false;
    }
    return true;
}

/* The clips' samples as UsdStage::Flatten writes them: the value at each of the attribute's
 * time samples (UsdAttribute::GetTimeSamples over the clip set). */
static int clip_sample_copy(flat *f, pusd_prim *p, const char *name, prop_spec *dst, uint16_t type) {
    uint32_t pos;
    clip_src *c = pusd__clips_find(p, name, &pos);
    double *t = NULL;
    size_t n = c ? pusd__clips_times(c, name, &t) : 0;
    prop_extra *x = pusd__prop_x(f->out, dst);
    int rc = x ? 0 : -1;
    if (x && n && !(x->samples = pusd__ar_alloc(&f->out->arena, n * sizeof *x->samples))) rc = -1;
    for (size_t i = 0; !rc && i < n; i++) {
        pusd_value v;
        x->samples[i].time = t[i];
        if (pusd__clips_value(p->stage, c, name, t[i], &v) ||
            pusd__flat_copy(f->out, &x->samples[i].value, &v, NULL, NULL))
            rc = -1;
        else
            x->samples[i].value.type = type;
    }
    if (!rc && x) {
        x->nsamples = (uint32_t)n;
        x->has_samples = true;
    }
    free(t);
    pusd__clips_free(c);
    return rc;
}

static int flatten_prop(flat *f, pusd_primspec *sp, pusd_prim *p, const char *name) {
    pusd_layer *out = f->out;
    uint32_t ni;
    const prop_spec *src = pusd__strongest_prop(p, name, &ni);
    if (!src) return flatten_clip_builtin(f, sp, p, name);
    prop_spec *dst = pusd__prim_new_prop(out, sp, pusd__intern(&out->strings, &out->arena, name, strlen(name)));
    if (!dst || !dst->name) return -1;
    uint16_t bits, type;
    prop_kind(p, name, src, &type, &bits);
    dst->dflt.type = type;
    dst->dflt.flags = (uint16_t)(bits | (src->dflt.flags & PUSD_VF_ARRAY));
    if (src->x && src->x->type_name) {
        prop_extra *x = pusd__prop_x(out, dst);
        if (!x ||
            !(x->type_name = pusd__intern(&out->strings, &out->arena, src->x->type_name, strlen(src->x->type_name))))
            return -1;
    }
    /* the default is the strongest default; time samples only come from a spec stronger than
     * every default (or the one holding it): value resolution stops at the strongest spec with
     * any opinion, so a stronger default hides a weaker layer's samples */
    bool got_default = false, got_samples = clip_samples_win(p, name), samples_hidden = false;
    if (got_samples && clip_sample_copy(f, p, name, dst, type)) return -1;
    for (uint32_t k = ni; k < p->nnodes; k++) {
        const prop_spec *ps = pusd__prim_prop(p->nodes[k].spec, name);
        if (!ps) continue;
        if (!got_samples && !samples_hidden && ps->x && ps->x->has_samples) {
            if (remap_sample_copy(out, dst, ps, &p->nodes[k])) return -1;
            for (uint32_t j = 0; j < dst->x->nsamples; j++)
                if (dst->x->samples[j].value.type == ps->dflt.type) dst->x->samples[j].value.type = type;
            got_samples = true;
        }
        if (ps->dflt.data || (ps->dflt.flags & PUSD_VF_BLOCKED)) {
            samples_hidden = true;
            if (!got_default) {
                if (pusd__flat_copy(out, &dst->dflt, &ps->dflt, p->nodes[k].layer, p->nodes[k].site->vars)) return -1;
                dst->dflt.flags = (uint16_t)(bits | (dst->dflt.flags & 0xffu));
                dst->dflt.type = type;
                got_default = true;
            }
        }
        if (ps->x)
            for (const meta_entry *e = ps->x->meta.head; e; e = e->next) {
                prop_extra *x = pusd__prop_x(out, dst);
                const char *key = pusd__intern(&out->strings, &out->arena, e->key, strlen(e->key));
                if (!x || !key) return -1;
                meta_entry *taken = pusd__meta_find(&x->meta, key);
                if (taken) {
                    if (meta_under(out, taken, e, &p->nodes[k])) return -1;
                    continue;
                }
                meta_entry *me = pusd__meta_set(out, &x->meta, key);
                if (!me || pusd__flat_copy(out, &me->value, &e->value, p->nodes[k].layer, p->nodes[k].site->vars))
                    return -1;
            }
    }
    const char **t;
    size_t nt = pusd_prim_targets(p, name, !PS_IS_REL(src), &t);
    bool any_targets = false;
    for (uint32_t k = 0; k < p->nnodes; k++) {
        const prop_spec *ps = pusd__prim_prop(p->nodes[k].spec, name);
        if (ps && ps->x && ps->x->targets) any_targets = true;
    }
    if (any_targets) {
        prop_extra *x = pusd__prop_x(out, dst);
        pusd_listop *lo = pusd__ar_calloc(&out->arena, sizeof *lo);
        const char **it = pusd__ar_alloc(&out->arena, (nt ? nt : 1) * sizeof *it);
        if (!x || !lo || !it) return -1;
        for (size_t k = 0; k < nt; k++)
            if (!(it[k] = pusd__ar_strdup(&out->arena, flat_target(f, t[k])))) return -1;
        lo->is_explicit = true;
        lo->count[0] = (uint32_t)nt;
        lo->items[0] = it;
        x->targets = lo;
    }
    return 0;
}

static void free_protos(flat *f) {
    for (size_t i = 0; i < f->n; i++) free(f->v[i].key);
    free(f->v);
}

pusd_layer *pusd_stage_flatten(pusd_stage *s, pusd_error *err) {
    pusd__ensure(s);
    pusd_layer *out = pusd_layer_new(s->root->identifier);
    flat f = {s, out, NULL, 0, 0, 0, NULL, NULL};
    if (!out) goto nomem;
    /* layer metadata of the root layer, minus sublayers (flattened) */
    for (const meta_entry *e = s->root->meta.head; e; e = e->next) {
        if (!strcmp(e->key, "relocates")) continue; /* layer relocates are private to UsdStage::Flatten */
        const char *k = pusd__intern(&out->strings, &out->arena, e->key, strlen(e->key));
        meta_entry *me = k ? pusd__meta_set(out, &out->meta, k) : NULL;
        if (!me || pusd__flat_copy(out, &me->value, &e->value, s->root, pusd__layer_vars(s->root))) goto nomem;
        ME_SET_OP(me, ME_OP(e));
    }
    if (s->root->n_reorder_root) { /* the pseudo root's primOrder comes from the root layer */
        if (!(out->reorder_root = copy_names(out, s->root->reorder_root, s->root->n_reorder_root))) goto nomem;
        out->n_reorder_root = s->root->n_reorder_root;
    }
    if (collect(&f, s->pseudo) || write_prototypes(&f)) goto nomem;
    for (uint32_t i = 0; i < s->pseudo->nchildren; i++) {
        pusd_prim *c = pusd__kid(s->pseudo, i);
        if (c && flatten_prim(&f, &out->root, c)) goto nomem;
    }
    free_protos(&f);
    return out;
nomem:
    free_protos(&f);
    pusd_layer_free(out);
    pusd_set_error(err, PUSD_ERR_NOMEM, s->root->identifier, 0, 0, "out of memory while flattening");
    return NULL;
}

int pusd_stage_export(pusd_stage *s, const char *path, pusd_error *err) {
    pusd_layer *l = pusd_stage_flatten(s, err);
    if (!l) return PUSD_ERR_NOMEM;
    int rc = pusd_layer_save(l, path, err);
    pusd_layer_free(l);
    return rc;
}
