/* Authoring through the stage into its edit target: define/over prims,
 * attributes, relationship targets, metadata, apiSchemas, references; save. */
#include <math.h>
#include <stdlib.h>
#include <unistd.h>

#include "stage_internal.h"

static bool valid_ident(const char *s, size_t n, bool ns) {
    if (!n || !(s[0] == '_' || (unsigned)((s[0] | 32) - 'a') < 26u || (unsigned char)s[0] >= 0x80)) return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!(c == '_' || (unsigned)((c | 32) - 'a') < 26u || (c >= '0' && c <= '9') || c >= 0x80 ||
              (ns && c == ':' && i + 1 < n && s[i + 1] != ':')))
            return false;
    }
    return true;
}

/* Finds or creates the spec chain for path in the edit target. */
static pusd_primspec *author_prim(pusd_stage *s, const char *path, char spec, const char *type, bool set_spec,
                                  pusd_error *err) {
    pusd_layer *l = s->edit;
    if (!path || path[0] != '/' || !path[1]) {
        pusd_set_error(err, PUSD_ERR_INVALID, l->identifier, 0, 0, "'%s' is not an absolute prim path like /World/Cube",
                       path ? path : "(null)");
        return NULL;
    }
    pusd_primspec *cur = &l->root;
    const char *p = path + 1;
    while (*p) {
        const char *e = strchr(p, '/');
        if (!e) e = p + strlen(p);
        size_t n = (size_t)(e - p);
        if (!valid_ident(p, n, false)) {
            pusd_set_error(err, PUSD_ERR_INVALID, l->identifier, 0, 0, "'%.*s' in path '%s' is not a valid prim name",
                           (int)n, p, path);
            return NULL;
        }
        bool last = *e == 0;
        pusd_primspec *c = pusd__layer_child(l, cur, p, n);
        if (!c) {
            c = pusd__layer_new_prim(l, cur, p, n, last ? spec : (spec == 'o' ? 'o' : 'd'), NULL);
            if (!c) {
                pusd_set_error(err, PUSD_ERR_NOMEM, l->identifier, 0, 0, "out of memory");
                return NULL;
            }
            s->dirty = true;
        }
        if (last && set_spec) {
            if (c->specifier != spec && spec != 'o') {
                c->specifier = spec;
                s->dirty = true;
            }
            if (type && type[0] && (!c->type_name || strcmp(c->type_name, type))) {
                c->type_name = pusd__intern(&l->strings, &l->arena, type, strlen(type));
                s->dirty = true;
            }
        }
        cur = c;
        p = last ? e : e + 1;
    }
    l->dirty = true;
    return cur;
}

int pusd_stage_define_prim(pusd_stage *s, const char *path, const char *type, pusd_error *err) {
    return author_prim(s, path, 'd', type, true, err) ? 0 : (err ? (int)err->status : PUSD_ERR_INVALID);
}

int pusd_stage_over_prim(pusd_stage *s, const char *path, pusd_error *err) {
    return author_prim(s, path, 'o', NULL, true, err) ? 0 : (err ? (int)err->status : PUSD_ERR_INVALID);
}

int pusd_stage_set_attr(pusd_stage *s, const char *path, const char *name, const char *type_name, bool uniform,
                        double time, const pusd_value *v, pusd_error *err) {
    pusd_layer *l = s->edit;
    if (!name || !valid_ident(name, strlen(name), true)) {
        pusd_set_error(err, PUSD_ERR_INVALID, l->identifier, 0, 0, "'%s' is not a valid attribute name",
                       name ? name : "(null)");
        return PUSD_ERR_INVALID;
    }
    bool arr;
    int type = pusd_type_parse(type_name, &arr);
    if (type == PUSD_T_INVALID || type == PUSD_T_OPAQUE || type == PUSD_T_GROUP) {
        pusd_set_error(err, PUSD_ERR_TYPE, l->identifier, 0, 0, "unknown value type '%s' for attribute '%s'",
                       type_name ? type_name : "(null)", name);
        return PUSD_ERR_TYPE;
    }
    if (v && !(v->flags & PUSD_VF_BLOCKED) &&
        (v->type != type || ((v->flags & PUSD_VF_ARRAY) != 0) != arr || !v->data)) {
        pusd_set_error(err, PUSD_ERR_TYPE, l->identifier, 0, 0, "value of type %s%s does not match attribute type '%s'",
                       pusd_tinfo(v->type)->name, (v->flags & PUSD_VF_ARRAY) ? "[]" : "", type_name);
        return PUSD_ERR_TYPE;
    }
    pusd_primspec *sp = pusd_layer_prim(l, path);
    if (!sp || sp == &l->root) {
        sp = author_prim(s, path, 'o', NULL, false, err);
        if (!sp) return err ? (int)err->status : PUSD_ERR_INVALID;
    }
    const char *nm = pusd__intern(&l->strings, &l->arena, name, strlen(name));
    const char *tn = pusd__intern(&l->strings, &l->arena, type_name, strlen(type_name));
    if (!nm || !tn) return PUSD_ERR_NOMEM;
    prop_spec *ps = pusd__prim_prop(sp, nm);
    if (ps && (PS_IS_REL(ps) || strcmp(pusd__prop_type_name(ps), tn))) {
        pusd_set_error(err, PUSD_ERR_TYPE, l->identifier, 0, 0, "'%s' on <%s> is already declared as %s", name, path,
                       PS_IS_REL(ps) ? "a relationship" : pusd__prop_type_name(ps));
        return PUSD_ERR_TYPE;
    }
    if (!ps) {
        if (!(ps = pusd__prim_new_prop(l, sp, nm))) return PUSD_ERR_NOMEM;
        ps->dflt.type = (uint16_t)type;
        ps->dflt.flags = arr ? PUSD_VF_ARRAY : 0;
        PS_SET(ps, PB_UNIFORM, uniform);
        s->gen++;
    }
    l->dirty = true;
    pusd_value c = {(uint16_t)type, (uint16_t)((arr ? PUSD_VF_ARRAY : 0) | PUSD_VF_BLOCKED), 0, NULL};
    if (v && !(v->flags & PUSD_VF_BLOCKED) && pusd__value_copy(&l->arena, &l->strings, &c, v)) return PUSD_ERR_NOMEM;
    if (time == PUSD_TIME_DEFAULT) {
        uint16_t bits = ps->dflt.flags & 0xff00u;
        ps->dflt = c;
        ps->dflt.flags |= bits;
        return 0;
    }
    prop_extra *x = pusd__prop_x(l, ps);
    if (!x) return PUSD_ERR_NOMEM;
    uint32_t n = x->nsamples, pos = n;
    for (uint32_t i = 0; i < n; i++)
        if (x->samples[i].time >= time) {
            pos = i;
            break;
        }
    if (pos < n && x->samples[pos].time == time) {
        x->samples[pos].value = c;
        return 0;
    }
    /* grow by copying (arena): amortise by doubling capacity stored implicitly as power of two */
    uint32_t cap = 1;
    while (cap < n) cap *= 2;
    time_sample *arr_s = x->samples;
    if (!x->samples || n == cap) {
        arr_s = pusd__ar_alloc(&l->arena, (size_t)(cap * 2) * sizeof *arr_s);
        if (!arr_s) return PUSD_ERR_NOMEM;
        if (n) memcpy(arr_s, x->samples, n * sizeof *arr_s);
    }
    memmove(arr_s + pos + 1, arr_s + pos, (n - pos) * sizeof *arr_s);
    arr_s[pos].time = time;
    arr_s[pos].value = c;
    x->samples = arr_s;
    x->nsamples = n + 1;
    x->has_samples = true;
    return 0;
}

int pusd_stage_set_targets(pusd_stage *s, const char *path, const char *name, bool connections,
                           const char *const *targets, size_t n, pusd_error *err) {
    pusd_layer *l = s->edit;
    if (!name || !valid_ident(name, strlen(name), true)) {
        pusd_set_error(err, PUSD_ERR_INVALID, l->identifier, 0, 0, "'%s' is not a valid property name",
                       name ? name : "(null)");
        return PUSD_ERR_INVALID;
    }
    for (size_t i = 0; i < n; i++)
        if (!targets[i] || !targets[i][0] || strchr(targets[i], '>') || strchr(targets[i], '\n')) {
            pusd_set_error(err, PUSD_ERR_INVALID, l->identifier, 0, 0, "invalid target path '%s'",
                           targets[i] ? targets[i] : "(null)");
            return PUSD_ERR_INVALID;
        }
    pusd_primspec *sp = pusd_layer_prim(l, path);
    if (!sp || sp == &l->root) {
        sp = author_prim(s, path, 'o', NULL, false, err);
        if (!sp) return err ? (int)err->status : PUSD_ERR_INVALID;
    }
    const char *nm = pusd__intern(&l->strings, &l->arena, name, strlen(name));
    if (!nm) return PUSD_ERR_NOMEM;
    prop_spec *ps = pusd__prim_prop(sp, nm);
    if (ps && (bool)PS_IS_REL(ps) == connections) {
        pusd_set_error(err, PUSD_ERR_TYPE, l->identifier, 0, 0, "'%s' on <%s> is %s", name, path,
                       PS_IS_REL(ps) ? "a relationship" : "an attribute");
        return PUSD_ERR_TYPE;
    }
    if (!ps && connections) {
        pusd_set_error(err, PUSD_ERR_NOT_FOUND, l->identifier, 0, 0,
                       "declare attribute '%s' on <%s> before connecting it", name, path);
        return PUSD_ERR_NOT_FOUND;
    }
    if (!ps) {
        if (!(ps = pusd__prim_new_prop(l, sp, nm))) return PUSD_ERR_NOMEM;
        PS_SET(ps, PB_REL, 1);
        s->gen++;
    }
    prop_extra *x = pusd__prop_x(l, ps);
    pusd_listop *lo = x ? pusd__ar_calloc(&l->arena, sizeof *lo) : NULL;
    const char **it = pusd__ar_alloc(&l->arena, (n ? n : 1) * sizeof *it);
    if (!lo || !it) return PUSD_ERR_NOMEM;
    for (size_t i = 0; i < n; i++)
        if (!(it[i] = pusd__ar_strdup(&l->arena, targets[i]))) return PUSD_ERR_NOMEM;
    lo->is_explicit = true;
    lo->count[0] = (uint32_t)n;
    lo->items[0] = it;
    x->targets = lo;
    l->dirty = true;
    return 0;
}

int pusd_stage_set_prim_metadata(pusd_stage *s, const char *path, const char *key, const pusd_value *v,
                                 pusd_error *err) {
    pusd_layer *l = s->edit;
    if (!key || !valid_ident(key, strlen(key), false)) {
        pusd_set_error(err, PUSD_ERR_INVALID, l->identifier, 0, 0, "'%s' is not a valid metadata key",
                       key ? key : "(null)");
        return PUSD_ERR_INVALID;
    }
    pusd_primspec *sp = pusd_layer_prim(l, path);
    if (!sp || sp == &l->root) sp = author_prim(s, path, 'o', NULL, false, err);
    if (!sp) return err ? (int)err->status : PUSD_ERR_INVALID;
    const char *k = pusd__intern(&l->strings, &l->arena, key, strlen(key));
    pusd_value c;
    if (!k || pusd__value_copy(&l->arena, &l->strings, &c, v)) return PUSD_ERR_NOMEM;
    meta_entry *e = pusd__meta_set(l, &sp->meta, k);
    if (!e) return PUSD_ERR_NOMEM;
    e->value = c;
    l->dirty = true;
    s->dirty = true; /* metadata can change composition (active, variants, arcs) */
    return 0;
}

int pusd_stage_apply_api(pusd_stage *s, const char *path, const char *api, pusd_error *err) {
    pusd_layer *l = s->edit;
    if (!api || !valid_ident(api, strlen(api), true)) {
        pusd_set_error(err, PUSD_ERR_INVALID, l->identifier, 0, 0, "'%s' is not a valid API schema name",
                       api ? api : "(null)");
        return PUSD_ERR_INVALID;
    }
    pusd_primspec *sp = pusd_layer_prim(l, path);
    if (!sp || sp == &l->root) sp = author_prim(s, path, 'o', NULL, false, err);
    if (!sp) return err ? (int)err->status : PUSD_ERR_INVALID;
    const char *key = pusd__intern(&l->strings, &l->arena, "apiSchemas", 10);
    const char *tok = pusd__intern(&l->strings, &l->arena, api, strlen(api));
    meta_entry *e = key && tok ? pusd__meta_set(l, &sp->meta, key) : NULL;
    if (!e) return PUSD_ERR_NOMEM;
    pusd_listop *lo = pusd__ar_calloc(&l->arena, sizeof *lo);
    if (!lo) return PUSD_ERR_NOMEM;
    if (e->value.type == PUSD_T_TOKEN_LISTOP && e->value.data) *lo = *(const pusd_listop *)e->value.data;
    int k = lo->is_explicit ? PUSD_LISTOP_EXPLICIT : PUSD_LISTOP_PREPEND;
    uint32_t n = lo->count[k];
    const char *const *old = lo->items[k];
    for (uint32_t i = 0; i < n; i++)
        if (old[i] == tok) return 0;
    const char **it = pusd__ar_alloc(&l->arena, (n + 1) * sizeof *it);
    if (!it) return PUSD_ERR_NOMEM;
    if (n) memcpy(it, old, n * sizeof *it);
    it[n] = tok;
    lo->items[k] = it;
    lo->count[k] = n + 1;
    e->value = (pusd_value){PUSD_T_TOKEN_LISTOP, 0, 1, lo};
    l->dirty = true;
    s->dirty = true;
    return 0;
}

int pusd_stage_add_reference(pusd_stage *s, const char *path, const char *asset, const char *prim_path,
                             pusd_error *err) {
    pusd_layer *l = s->edit;
    pusd_primspec *sp = pusd_layer_prim(l, path);
    if (!sp || sp == &l->root) sp = author_prim(s, path, 'o', NULL, false, err);
    if (!sp) return err ? (int)err->status : PUSD_ERR_INVALID;
    if ((!asset || !asset[0]) && (!prim_path || !prim_path[0])) {
        pusd_set_error(err, PUSD_ERR_INVALID, l->identifier, 0, 0, "a reference needs an asset path or a prim path");
        return PUSD_ERR_INVALID;
    }
    const char *key = pusd__intern(&l->strings, &l->arena, "references", 10);
    meta_entry *e = key ? pusd__meta_set(l, &sp->meta, key) : NULL;
    pusd_listop *lo = pusd__ar_calloc(&l->arena, sizeof *lo);
    if (!e || !lo) return PUSD_ERR_NOMEM;
    if (e->value.type == PUSD_T_REFERENCE_LISTOP && e->value.data) *lo = *(const pusd_listop *)e->value.data;
    int k = lo->is_explicit ? PUSD_LISTOP_EXPLICIT : PUSD_LISTOP_PREPEND;
    uint32_t n = lo->count[k];
    pusd_reference *it = pusd__ar_calloc(&l->arena, (n + 1) * sizeof *it);
    if (!it) return PUSD_ERR_NOMEM;
    if (n) memcpy(it, lo->items[k], n * sizeof *it);
    it[n].asset_path = pusd__ar_strdup(&l->arena, asset ? asset : "");
    it[n].prim_path = pusd__ar_strdup(&l->arena, prim_path ? prim_path : "");
    it[n].scale = 1;
    if (!it[n].asset_path || !it[n].prim_path) return PUSD_ERR_NOMEM;
    lo->items[k] = it;
    lo->count[k] = n + 1;
    e->value = (pusd_value){PUSD_T_REFERENCE_LISTOP, 0, 1, lo};
    l->dirty = true;
    s->dirty = true;
    return 0;
}

int pusd_stage_save(pusd_stage *s, pusd_error *err) {
    pusd__ensure(s);
    reg_entry *re = pusd__reg_of_layer(s, s->root);
    layer_stack *ls = re ? pusd__layer_stack_of(s, re) : NULL;
    if (!ls) return PUSD_ERR_NOMEM;
    for (size_t i = 0; i < ls->n; i++) {
        pusd_layer *l = ls->e[i].layer;
        if (!l->dirty) continue;
        int rc = pusd_layer_save(l, l->identifier, err);
        if (rc) return rc;
    }
    return 0;
}

/* ---- flatten ------------------------------------------------------------------------------------------ */
