/* Queries of the composed stage: prim lookup, traversal (lazy subtrees
 * counted straight from their specs), metadata, properties, value
 * resolution with time-sample interpolation, targets, asset resolution. */
#include <math.h>
#include <stdlib.h>
#include <unistd.h>

#include "stage_internal.h"

/* ---- prim queries -------------------------------------------------------------------------------------- */

pusd_prim *pusd_stage_pseudo_root(pusd_stage *s) {
    pusd__ensure(s);
    return s->pseudo;
}

pusd_prim *pusd_stage_prim_at_path(pusd_stage *s, const char *path) {
    pusd__ensure(s);
    if (!path || !s->hash_cap) return NULL;
    size_t j = pusd_hash(path, strlen(path)) & (s->hash_cap - 1);
    for (pusd_prim *p = s->hash[j]; p; p = p->hnext)
        if (!strcmp(p->path, path)) return p;
    /* not composed yet (or no such prim): walk down from the pseudo root, composing the way */
    if (path[0] != '/' || !s->pseudo) return NULL;
    pusd_prim *cur = s->pseudo;
    const char *q = path + 1;
    while (*q) {
        const char *e = strchr(q, '/');
        if (!e) e = q + strlen(q);
        long i = pusd__kid_find(cur, q, (size_t)(e - q));
        if (i < 0 || !(cur = pusd__kid(cur, (uint32_t)i))) return NULL;
        if (!*e) break;
        q = e + 1;
    }
    return strcmp(cur->path, path) ? NULL : cur;
}

pusd_prim *pusd_stage_default_prim(pusd_stage *s) {
    pusd_value v;
    if (pusd_layer_get_metadata(s->root, "defaultPrim", &v) || !v.data) return NULL;
    char buf[1024];
    snprintf(buf, sizeof buf, "/%s", ((const char *const *)v.data)[0]);
    return pusd_stage_prim_at_path(s, buf);
}

const char *pusd_prim_path(const pusd_prim *p) { return p->path; }
const char *pusd_prim_name(const pusd_prim *p) { return p->name; }
const char *pusd_prim_type_name(const pusd_prim *p) { return p->type_name ? p->type_name : ""; }
char pusd_prim_specifier(const pusd_prim *p) { return p->specifier; }
bool pusd_prim_is_active(const pusd_prim *p) { return p->active; }
bool pusd_prim_is_defined(const pusd_prim *p) { return p->specifier != 'o'; }
pusd_prim *pusd_prim_parent(const pusd_prim *p) { return p->parent; }
bool pusd_prim_is_instance(const pusd_prim *p) { return p->instance; }
bool pusd_prim_is_instance_proxy(const pusd_prim *p) { return p->in_instance; }
size_t pusd_prim_child_count(const pusd_prim *p) { return p->nchildren; }
pusd_prim *pusd_prim_child(const pusd_prim *p, size_t i) {
    return i < p->nchildren ? pusd__kid((pusd_prim *)p, (uint32_t)i) : NULL;
}
size_t pusd_prim_api_schema_count(const pusd_prim *p) { return p->napi; }
const char *pusd_prim_api_schema(const pusd_prim *p, size_t i) { return i < p->napi ? p->api[i] : NULL; }
bool pusd_prim_has_api(const pusd_prim *p, const char *api) {
    for (uint32_t i = 0; i < p->napi; i++)
        if (!strcmp(p->api[i], api)) return true;
    return false;
}

static bool matches(const pusd_prim *p, const pusd_filter *f) {
    if (!f) return p->active && p->specifier == 'd';
    if (!(f->flags & PUSD_TRAVERSE_ALL) && !(p->active && p->specifier == 'd')) return false;
    if (f->type_name && strcmp(pusd_prim_type_name(p), f->type_name)) return false;
    if (f->api_schema && !pusd_prim_has_api(p, f->api_schema)) return false;
    return true;
}

/* Traversal of an uncomposed (lazy) prim straight from its specs, for counting traversals: the same
 * answers finish_prim and build_kids would give, without composing anything. */
static void vinfo(const node *n, uint32_t nn, char *specifier, bool *active, const char **type) {
    *specifier = 'o';
    *type = NULL;
    *active = true;
    for (uint32_t i = 0; i < nn; i++) {
        if (!*type && n[i].spec->type_name) *type = n[i].spec->type_name;
        if (*specifier == 'o' && n[i].spec->specifier != 'o') *specifier = n[i].spec->specifier;
    }
    for (uint32_t i = 0; i < nn; i++) {
        const meta_entry *e = pusd__meta_find(&n[i].spec->meta, "active");
        if (e && e->value.type == PUSD_T_BOOL && e->value.data) {
            *active = ((const uint8_t *)e->value.data)[0] != 0;
            break;
        }
    }
}

static bool vhas_api(const node *n, uint32_t nn, const char *api) {
    const char **list = NULL;
    size_t cnt = 0, cap = 0;
    for (uint32_t i = nn; i-- > 0;) {
        const meta_entry *e = pusd__meta_find(&n[i].spec->meta, "apiSchemas");
        if (e && e->value.type == PUSD_T_TOKEN_LISTOP && e->value.data)
            pusd__listop_apply_strings(e->value.data, &list, &cnt, &cap);
    }
    bool r = false;
    for (size_t i = 0; i < cnt && !r; i++) r = !strcmp(list[i], api);
    free(list);
    return r;
}

static void vtrav_kids(const node *n, uint32_t nn, int depth, const pusd_filter *f, size_t *calls);

static void vvisit(const node *n, uint32_t nn, int depth, const pusd_filter *f, size_t *calls) {
    char spec;
    bool active;
    const char *type;
    vinfo(n, nn, &spec, &active, &type);
    bool all = f && (f->flags & PUSD_TRAVERSE_ALL);
    if (!all && !(active && spec == 'd')) return;
    bool m = true;
    if (f && f->type_name && strcmp(type ? type : "", f->type_name)) m = false;
    if (m && f && f->api_schema && !vhas_api(n, nn, f->api_schema)) m = false;
    if (m) (*calls)++;
    if (active) vtrav_kids(n, nn, depth, f, calls);
}

static void vtrav_kids(const node *n, uint32_t nn, int depth, const pusd_filter *f, size_t *calls) {
    if (depth > 400) return;
    if (nn == 1 && !pusd__has_reorder(n)) {
        for (pusd_primspec *c = n->spec->first_child; c; c = c->next) {
            node k = *n;
            k.spec = c;
            vvisit(&k, 1, depth + 1, f, calls);
        }
        return;
    }
    const char **names;
    size_t cnt = pusd__kid_names(n, nn, &names);
    node *kn = malloc(nn * sizeof *kn);
    for (size_t i = 0; kn && i < cnt; i++) {
        uint32_t k = pusd__local_kid_nodes(n, nn, names[i], kn);
        if (k) vvisit(kn, k, depth + 1, f, calls);
    }
    free(kn);
    free(names);
}

static bool trav(pusd_prim *p, const pusd_filter *f, bool (*fn)(pusd_prim *, void *), void *ctx, size_t *calls) {
    node stackbuf[8], *kn = NULL;
    for (uint32_t i = 0; i < p->nchildren; i++) {
        pusd_prim *c = p->children[i];
        bool relocated =
            p->stage->nreloc && pusd__reloc_source(p->stage->reloc, p->stage->nreloc, p->path, p->kid_names[i]);
        if (!c && !fn && p->local && !relocated) { /* counting only: no need to compose the lazy subtree */
            if (!kn) kn = p->nnodes <= 8 ? stackbuf : malloc(p->nnodes * sizeof *kn);
            if (kn) {
                uint32_t k = pusd__local_kid_nodes(p->nodes, p->nnodes, p->kid_names[i], kn);
                if (k) vvisit(kn, k, p->depth + 1, f, calls);
                continue;
            }
        }
        if (!c && !(c = pusd__kid(p, i))) continue;
        bool all = f && (f->flags & PUSD_TRAVERSE_ALL);
        if (!all && !(c->active && c->specifier == 'd')) continue; /* prune like UsdPrimDefaultPredicate */
        if (matches(c, f)) {
            (*calls)++;
            if (fn && !fn(c, ctx)) {
                if (kn != stackbuf) free(kn);
                return false;
            }
        }
        bool proxies = f && (f->flags & PUSD_TRAVERSE_INSTANCE_PROXIES);
        if ((!c->instance || proxies) && !trav(c, f, fn, ctx, calls)) {
            if (kn != stackbuf) free(kn);
            return false;
        }
    }
    if (kn != stackbuf) free(kn);
    return true;
}

size_t pusd_stage_traverse(pusd_stage *s, const pusd_filter *f, bool (*fn)(pusd_prim *, void *), void *ctx) {
    pusd__ensure(s);
    size_t calls = 0;
    if (s->pseudo) trav(s->pseudo, f, fn, ctx, &calls);
    return calls;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

size_t pusd_prim_metadata_keys(pusd_prim *p, const char ***keys) {
    size_t n = 0;
    for (uint32_t i = 0; i < p->nnodes; i++)
        for (const meta_entry *e = p->nodes[i].spec->meta.head; e; e = e->next) n++;
    const char **v = pusd__ar_alloc(&p->stage->scratch, (n ? n : 1) * sizeof *v);
    if (!v) {
        *keys = NULL;
        return 0;
    }
    size_t k = 0;
    for (uint32_t i = 0; i < p->nnodes; i++)
        for (const meta_entry *e = p->nodes[i].spec->meta.head; e; e = e->next) {
            size_t j = 0;
            while (j < k && strcmp(v[j], e->key)) j++;
            if (j == k) v[k++] = e->key;
        }
    qsort(v, k, sizeof *v, cmp_str);
    *keys = v;
    return k;
}

/* The strongest opinion; a dictionary merges the weaker ones' keys under its own (stage memory). */
int pusd_prim_get_metadata(const pusd_prim *p, const char *key, pusd_value *out) {
    uint32_t i = 0;
    const meta_entry *e = NULL;
    while (i < p->nnodes && !(e = pusd__meta_find(&p->nodes[i].spec->meta, key))) i++;
    if (!e) return PUSD_ERR_NOT_FOUND;
    *out = e->value;
    out->flags &= 0xffu;
    if (out->type != PUSD_T_DICTIONARY) return 0;
    pusd_stage *s = p->stage;
    pusd_value merged;
    if (pusd__flat_copy_in(&s->scratch, &s->scratch_strings, &merged, &e->value, NULL, NULL)) return 0;
    for (uint32_t k = i + 1; k < p->nnodes; k++) {
        const meta_entry *w = pusd__meta_find(&p->nodes[k].spec->meta, key);
        if (w && pusd__dict_under_in(&s->scratch, &s->scratch_strings, &merged, &w->value, NULL, NULL)) return 0;
    }
    *out = merged;
    out->flags &= 0xffu;
    return 0;
}

const char *pusd_prim_variant_selection(const pusd_prim *p, const char *set) {
    for (uint32_t i = 0; i < p->nnodes; i++) {
        const char *sel = pusd__meta_variant(&p->nodes[i].spec->meta, set);
        if (sel) return sel;
    }
    return "";
}

void pusd__order_props(const pusd_prim *p, const char **v, size_t n) {
    pusd__sort_names(v, n);
    for (uint32_t i = 0; i < p->nnodes; i++) {
        const prim_ext *x = p->nodes[i].spec->ext;
        if (x && x->n_reorder_props) {
            pusd__order_front(v, n, x->reorder_props, x->n_reorder_props);
            break;
        }
    }
}

static void compute_props(pusd_prim *p) {
    if (p->props && p->props_gen == p->stage->gen) return;
    const char **v = NULL;
    size_t n = 0, cap = 0;
    for (uint32_t i = 0; i < p->nnodes; i++)
        for (const prop_spec *ps = p->nodes[i].spec->first_prop; ps; ps = ps->next) {
            bool seen = false;
            for (size_t k = 0; k < n && !seen; k++) seen = !strcmp(v[k], ps->name);
            if (seen) continue;
            if (!PBASE_RESERVE(v, cap, n + 1)) break;
            v[n++] = ps->name;
        }
    pusd__order_props(p, v, n);
    p->props = pusd__ar_alloc(&p->stage->scratch, (n ? n : 1) * sizeof *p->props);
    if (p->props) {
        if (n) memcpy(p->props, v, n * sizeof *v);
        p->nprops = (uint32_t)n;
        p->props_gen = p->stage->gen;
    }
    free(v);
}

size_t pusd_prim_property_count(const pusd_prim *cp) {
    pusd_prim *p = (pusd_prim *)cp;
    compute_props(p);
    return p->nprops;
}

const char *pusd_prim_property_name(const pusd_prim *cp, size_t i) {
    pusd_prim *p = (pusd_prim *)cp;
    compute_props(p);
    return i < p->nprops ? p->props[i] : NULL;
}

const prop_spec *pusd__strongest_prop(const pusd_prim *p, const char *name, uint32_t *node_idx) {
    for (uint32_t i = 0; i < p->nnodes; i++) {
        const prop_spec *ps = pusd__prim_prop(p->nodes[i].spec, name);
        if (ps) {
            if (node_idx) *node_idx = i;
            return ps;
        }
    }
    return NULL;
}

bool pusd_prim_is_relationship(const pusd_prim *p, const char *name) {
    const prop_spec *ps = pusd__strongest_prop(p, name, NULL);
    return ps && PS_IS_REL(ps);
}

const char *pusd_prim_attr_type_name(const pusd_prim *p, const char *name) {
    const prop_spec *ps = pusd__strongest_prop(p, name, NULL);
    return ps && !PS_IS_REL(ps) ? pusd__prop_type_name(ps) : NULL;
}

/* ---- value resolution --------------------------------------------------------------------------------- */

static void quat_slerp(double *out, const double *a, const double *b, double t) {
    /* quaternions stored (w, x, y, z) */
    double d = a[0] * b[0] + a[1] * b[1] + a[2] * b[2] + a[3] * b[3];
    double bb[4] = {b[0], b[1], b[2], b[3]};
    if (d < 0) {
        d = -d;
        for (int i = 0; i < 4; i++) bb[i] = -bb[i];
    }
    double ka, kb;
    if (d > 0.9995) {
        ka = 1 - t;
        kb = t;
    } else {
        double th = acos(d), sn = sin(th);
        ka = sin((1 - t) * th) / sn;
        kb = sin(t * th) / sn;
    }
    double len = 0;
    for (int i = 0; i < 4; i++) {
        out[i] = ka * a[i] + kb * bb[i];
        len += out[i] * out[i];
    }
    len = sqrt(len);
    if (len > 0)
        for (int i = 0; i < 4; i++) out[i] /= len;
}

int pusd__interpolate(pusd_stage *s, const pusd_value *a, const pusd_value *b, double t, pusd_value *out) {
    const type_info *ti = pusd_tinfo(a->type);
    if (!pusd_type_interpolates(a->type) || !a->data || !b->data || a->count != b->count ||
        (a->flags | b->flags) & PUSD_VF_BLOCKED) {
        *out = *a;
        return 0;
    }
    size_t nel = a->count, nc = ti->ncomp;
    void *d = pusd__ar_alloc(&s->scratch, nel * nc * pusd_elem_size(ti->elem) + 8);
    if (!d) return PUSD_ERR_NOMEM;
    for (size_t e = 0; e < nel; e++) {
        double va[16], vb[16], r[16];
        for (size_t c = 0; c < nc; c++) {
            va[c] = pusd_value_get_double(a, e, (int)c);
            vb[c] = pusd_value_get_double(b, e, (int)c);
            r[c] = va[c] + (vb[c] - va[c]) * t;
        }
        if (ti->shape == 3) quat_slerp(r, va, vb, t);
        for (size_t c = 0; c < nc; c++) {
            size_t k = e * nc + c;
            if (ti->elem == PUSD_E_DOUBLE)
                ((double *)d)[k] = r[c];
            else if (ti->elem == PUSD_E_FLOAT)
                ((float *)d)[k] = (float)r[c];
            else
                ((uint16_t *)d)[k] = pusd_float_to_half((float)r[c]);
        }
    }
    *out = *a;
    out->data = d;
    return 0;
}

int pusd__samples_at(pusd_stage *s, const prop_extra *x, double lt, pusd_value *out) {
    const time_sample *smp = x->samples;
    uint32_t n = x->nsamples;
    if (lt <= smp[0].time) {
        *out = smp[0].value;
        return 0;
    }
    if (lt >= smp[n - 1].time) {
        *out = smp[n - 1].value;
        return 0;
    }
    uint32_t lo = 0, hi = n - 1;
    while (hi - lo > 1) {
        uint32_t mid = (lo + hi) / 2;
        if (smp[mid].time <= lt)
            lo = mid;
        else
            hi = mid;
    }
    if (smp[lo].time == lt) {
        *out = smp[lo].value;
        return 0;
    }
    double f = (lt - smp[lo].time) / (smp[hi].time - smp[lo].time);
    return pusd__interpolate(s, &smp[lo].value, &smp[hi].value, f, out);
}

/* Value clips sit among the nodes (just below their anchor layer) and only answer time queries. */
int pusd_prim_get_attr(pusd_prim *p, const char *name, double time, pusd_value *out) {
    uint32_t cpos = 0;
    clip_src *clips = time != PUSD_TIME_DEFAULT ? pusd__clips_find(p, name, &cpos) : NULL;
    for (uint32_t i = 0; i <= p->nnodes; i++) {
        if (clips && i == cpos) {
            int rc = pusd__clips_value(p->stage, clips, name, time, out);
            pusd__clips_free(clips);
            return rc;
        }
        if (i == p->nnodes) break;
        const prop_spec *ps = pusd__prim_prop(p->nodes[i].spec, name);
        if (!ps || PS_IS_REL(ps)) continue;
        const prop_extra *x = ps->x;
        if (time != PUSD_TIME_DEFAULT && x && x->has_samples && x->nsamples) {
            double off = p->nodes[i].offset, sc = p->nodes[i].scale ? p->nodes[i].scale : 1;
            pusd__clips_free(clips);
            return pusd__samples_at(p->stage, x, (time - off) / sc, out);
        }
        if (ps->dflt.data || (ps->dflt.flags & PUSD_VF_BLOCKED)) {
            *out = ps->dflt;
            out->flags &= 0xffu;
            pusd__clips_free(clips);
            return 0;
        }
    }
    memset(out, 0, sizeof *out);
    return PUSD_ERR_NOT_FOUND;
}

size_t pusd_prim_attr_sample_times(pusd_prim *p, const char *name, const double **times) {
    *times = NULL;
    uint32_t cpos = 0;
    clip_src *clips = pusd__clips_find(p, name, &cpos);
    for (uint32_t i = 0; i <= p->nnodes; i++) {
        if (clips && i == cpos) {
            double *v;
            size_t n = pusd__clips_times(clips, name, &v);
            pusd__clips_free(clips);
            double *t = n ? pusd__ar_alloc(&p->stage->scratch, n * sizeof *t) : NULL;
            if (t) memcpy(t, v, n * sizeof *t);
            free(v);
            *times = t;
            return t ? n : 0;
        }
        if (i == p->nnodes) break;
        const prop_spec *ps = pusd__prim_prop(p->nodes[i].spec, name);
        if (!ps || PS_IS_REL(ps)) continue;
        if (ps->x && ps->x->has_samples) {
            pusd__clips_free(clips);
            double *t = pusd__ar_alloc(&p->stage->scratch, (ps->x->nsamples + 1) * sizeof *t);
            if (!t) return 0;
            for (uint32_t k = 0; k < ps->x->nsamples; k++)
                t[k] = p->nodes[i].offset + p->nodes[i].scale * ps->x->samples[k].time;
            *times = t;
            return ps->x->nsamples;
        }
        if (ps->dflt.data || (ps->dflt.flags & PUSD_VF_BLOCKED)) break;
    }
    pusd__clips_free(clips);
    return 0;
}

/* Absolute stage path for a target authored in node n's namespace by the spec at spec_path. */
static const char *map_target(pusd_stage *s, const pusd_prim *p, const node *n, const char *target) {
    char spec_path[2048];
    pusd__layer_prim_path(n->spec, spec_path, sizeof spec_path);
    const char *anchor = pusd__strip_variants(s, spec_path);
    char buf[4096];
    if (target[0] == '/')
        snprintf(buf, sizeof buf, "%s", target);
    else {
        /* relative: "../X", ".foo", "X" */
        snprintf(buf, sizeof buf, "%s", anchor);
        const char *t = target;
        while (!strncmp(t, "../", 3) || !strcmp(t, "..")) {
            char *sl = strrchr(buf, '/');
            if (sl && sl != buf)
                *sl = 0;
            else
                strcpy(buf, "/");
            t += t[2] ? 3 : 2;
        }
        if (!strcmp(t, ".")) t = "";
        size_t bl = strlen(buf);
        if (t[0] == '.')
            snprintf(buf + bl, sizeof buf - bl, "%s", t);
        else if (t[0])
            snprintf(buf + bl, sizeof buf - bl, "%s%s", bl == 1 ? "" : "/", t);
    }
    const site *st = n->site;
    if (st && st->map_from && st->map_to && strcmp(st->map_from, st->map_to)) {
        size_t fl = strlen(st->map_from);
        if (!strncmp(buf, st->map_from, fl) && (buf[fl] == 0 || buf[fl] == '/' || buf[fl] == '.')) {
            char out[4096];
            snprintf(out, sizeof out, "%s%s", st->map_to, buf + fl);
            const char *r = pusd__reloc_map_chain(s, p->sites, st, out);
            return pusd__intern(&s->scratch_strings, &s->scratch, r, strlen(r));
        }
    }
    const char *r = st ? pusd__reloc_map_chain(s, p->sites, st, buf) : buf;
    return pusd__intern(&s->scratch_strings, &s->scratch, r, strlen(r));
}

size_t pusd_prim_targets(pusd_prim *p, const char *name, bool connections, const char ***paths) {
    pusd_stage *s = p->stage;
    const char **list = NULL;
    size_t n = 0, cap = 0;
    for (uint32_t i = p->nnodes; i-- > 0;) {
        const prop_spec *ps = pusd__prim_prop(p->nodes[i].spec, name);
        if (!ps || !ps->x || !ps->x->targets || (bool)PS_IS_REL(ps) == connections) continue;
        /* map every item of the op into stage paths, then apply */
        const pusd_listop *lo = ps->x->targets;
        pusd_listop m = *lo;
        for (int k = 0; k < PUSD_LISTOP_NOPS; k++) {
            if (!lo->count[k]) continue;
            const char **it = pusd__ar_alloc(&s->scratch, lo->count[k] * sizeof *it);
            if (!it) continue;
            for (uint32_t j = 0; j < lo->count[k]; j++)
                it[j] = map_target(s, p, &p->nodes[i], ((const char *const *)lo->items[k])[j]);
            m.items[k] = it;
        }
        pusd__listop_apply_strings(&m, &list, &n, &cap);
    }
    const char **out = pusd__ar_alloc(&s->scratch, (n ? n : 1) * sizeof *out);
    if (out && n) memcpy(out, list, n * sizeof *out);
    free(list);
    *paths = out;
    return out ? n : 0;
}

const char *pusd_prim_resolve_asset(pusd_prim *p, const char *name) {
    for (uint32_t i = 0; i < p->nnodes; i++) {
        const prop_spec *ps = pusd__prim_prop(p->nodes[i].spec, name);
        if (!ps || PS_IS_REL(ps)) continue;
        const pusd_value *v = NULL;
        if (ps->dflt.data)
            v = &ps->dflt;
        else if (ps->x && ps->x->has_samples && ps->x->nsamples && ps->x->samples[0].value.data)
            v = &ps->x->samples[0].value;
        if (!v) continue;
        if ((v->type != PUSD_T_ASSET && v->type != PUSD_T_STRING) || (v->flags & PUSD_VF_ARRAY)) return NULL;
        const char *a = ((const char *const *)v->data)[0];
        if (pusd_is_variable_expression(a)) { /* evaluated with the authoring layer stack's variables */
            pusd_value vars = {PUSD_T_DICTIONARY, 0, 1, p->nodes[i].site->vars};
            char *ev = NULL, err[8];
            if (pusd_variable_expression_eval(a, p->nodes[i].site->vars ? &vars : NULL, &ev, err, sizeof err) || !ev)
                return NULL;
            a = pusd__intern(&p->stage->scratch_strings, &p->stage->scratch, ev, strlen(ev));
            free(ev);
        }
        char *abs = a ? pusd__layer_resolve_asset(p->nodes[i].layer, a) : NULL;
        if (!abs) return NULL;
        const char *r = pusd__intern(&p->stage->scratch_strings, &p->stage->scratch, abs, strlen(abs));
        free(abs);
        return r;
    }
    return NULL;
}

/* ---- authoring ------------------------------------------------------------------------------------- */
