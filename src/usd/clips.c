/* Value clips (the `clips` prim metadata), resolved as OpenUSD's Usd_ClipSet
 * resolves them (from valueClips.dox and the clip sources, no code taken):
 * a clip set authored on a prim gives time samples to the attributes of the
 * prim and its descendants that its manifest declares; its strength is just
 * below the layer where its assetPaths (or templateAssetPath) are authored;
 * `active` picks the clip for a stage time ([t_k, t_k+1), the first clip
 * also before, the last after), `times` maps stage time to clip time
 * (piecewise linear, held outside, a repeated stage time is a jump), and the
 * value is read (and interpolated) inside the active clip at the attribute's
 * path with the clip prim's path replaced by `primPath`. A clip without
 * samples for a declared attribute gives the manifest's default, else a
 * blocked value. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "stage_internal.h"

typedef struct tmap {
    double ext, in;
    bool jump; /* the left side of a jump discontinuity */
} tmap;

struct clip_src {
    pusd_layer **clip;      /* per active entry: the clip layer (NULL when it failed to open) */
    double *start, *end;    /* per active entry, sorted: the clip's active range [start, end) */
    double *authored_start; /* the authored start of each active entry */
    size_t nclips;
    tmap *times; /* sorted, with a sentinel copy at each end; NULL: identity */
    size_t ntimes;
    pusd_layer *manifest; /* NULL: generated (declared = has samples in a clip) */
    char *clip_path;      /* the attribute's path inside the clips */
    double off, sc;       /* the anchoring layer's offset to the stage, on stage times of active/times */
    bool interp;          /* interpolateMissingClipValues */
};

static const pusd_value *dict_get(const pusd_dict *d, const char *key) {
    for (uint32_t i = 0; d && i < d->count; i++)
        if (!strcmp(d->entries[i].key, key)) return &d->entries[i].value;
    return NULL;
}

static double dict_num(const pusd_dict *d, const char *key, double dflt) {
    const pusd_value *v = dict_get(d, key);
    return v && v->data && !(v->flags & PUSD_VF_ARRAY) ? pusd_value_get_double(v, 0, 0) : dflt;
}

static const char *dict_str(const pusd_dict *d, const char *key) {
    const pusd_value *v = dict_get(d, key);
    return v && v->data && !(v->flags & PUSD_VF_ARRAY) && (v->type == PUSD_T_STRING || v->type == PUSD_T_ASSET)
               ? ((const char *const *)v->data)[0]
               : NULL;
}

/* Where a layer identifier's file format arguments start (`clip.usda:SDF_FORMAT_ARGS:a=b`, as
 * SdfLayer::SplitIdentifier splits them), or its end. The text format takes no arguments, so the
 * file is opened without them. */
static size_t format_args_at(const char *a) {
    const char *f = strstr(a, ":SDF_FORMAT_ARGS:");
    return f ? (size_t)(f - a) : strlen(a);
}

/* The clip layer for asset path a, authored in layer from. */
static pusd_layer *open_clip(pusd_stage *s, const pusd_layer *from, const char *a) {
    char *file = a ? strndup(a, format_args_at(a)) : NULL;
    char *abs = file && file[0] ? pusd__layer_resolve_asset(from, file) : NULL;
    free(file);
    if (!abs) return NULL;
    reg_entry *e = access(abs, F_OK) ? NULL : pusd__open_layer(s, abs, from->identifier);
    free(abs);
    return e ? e->layer : NULL;
}

/* The attribute `name` of prim spec path `path` in layer l (composition arcs inside clips are
 * ignored, as OpenUSD ignores them). */
static const prop_spec *layer_attr(const pusd_layer *l, const char *path, const char *name) {
    pusd_primspec *sp = l ? pusd_layer_prim((pusd_layer *)l, path) : NULL;
    const prop_spec *ps = sp ? pusd__prim_prop(sp, name) : NULL;
    return ps && !PS_IS_REL(ps) ? ps : NULL;
}

static int cmp_tmap(const void *a, const void *b) {
    const tmap *x = a, *y = b;
    return (x->ext > y->ext) - (x->ext < y->ext);
}

/* The time mapping from n (stage time, clip time) pairs, the stage times already offset: sorted by
 * stage time keeping the given order of equal times (a jump), the left side of each jump marked,
 * and a sentinel copy of the first and last entries. */
static int set_times(clip_src *c, const tmap *pairs, size_t n) {
    if (!n) return 0;
    c->times = calloc(n + 2, sizeof *c->times);
    if (!c->times) return -1;
    memcpy(c->times + 1, pairs, n * sizeof *pairs);
    for (size_t k = 1; k < n; k++) /* insertion sort: stable */
        for (size_t j = k + 1; j > 1 && cmp_tmap(&c->times[j - 1], &c->times[j]) > 0; j--) {
            tmap t = c->times[j];
            c->times[j] = c->times[j - 1];
            c->times[j - 1] = t;
        }
    for (size_t k = 1; k < n; k++) /* the left side of a jump ends just before its stage time */
        if (c->times[k].ext == c->times[k + 1].ext) {
            c->times[k].ext = nextafter(c->times[k].ext, -INFINITY);
            c->times[k].jump = true;
        }
    c->times[0] = c->times[1];
    c->times[n + 1] = c->times[n];
    c->ntimes = n + 2;
    return 0;
}

/* The authored `times` (double2[] of (stage time, clip time)). */
static int build_times(clip_src *c, const pusd_value *v) {
    if (!v || v->type != PUSD_T_DOUBLE2 || !(v->flags & PUSD_VF_ARRAY) || !v->count) return 0;
    tmap *p = malloc(v->count * sizeof *p);
    if (!p) return -1;
    for (size_t k = 0; k < v->count; k++)
        p[k] = (tmap){c->off + c->sc * pusd_value_get_double(v, k, 0), pusd_value_get_double(v, k, 1), false};
    int rc = set_times(c, p, v->count);
    free(p);
    return rc;
}

/* Stage time t in the clips' time (OpenUSD's mapping, jumps included). */
static double to_internal(const clip_src *c, double t) {
    if (!c->times) return t;
    size_t n = c->ntimes, i2;
    if (t <= c->times[0].ext)
        i2 = 1;
    else if (t >= c->times[n - 1].ext)
        i2 = n - 1;
    else
        for (i2 = 1; i2 < n - 1 && c->times[i2].ext < t; i2++) {}
    tmap m1 = c->times[i2 - 1], m2 = c->times[i2];
    if (m2.jump && i2 + 1 < n) m2.ext = c->times[i2 + 1].ext; /* the left side ends at the jump's time */
    if (m1.ext == m2.ext || t == m1.ext) return m1.in;
    if (t == m2.ext) return m2.in;
    return (m2.in - m1.in) / (m2.ext - m1.ext) * (t - m1.ext) + m1.in;
}

static double to_external(const clip_src *c, double in, size_t i1) {
    tmap m1 = c->times[i1], m2 = c->times[i1 + 1];
    if (m2.jump && i1 + 2 < c->ntimes) m2.ext = c->times[i1 + 2].ext;
    if (m1.in == m2.in || in == m1.in) return m1.ext;
    if (in == m2.in) return m2.ext;
    return (m2.ext - m1.ext) / (m2.in - m1.in) * (in - m1.in) + m1.ext;
}

void pusd__clips_free(clip_src *c) {
    if (!c) return;
    free(c->clip);
    free(c->start);
    free(c->end);
    free(c->authored_start);
    free(c->times);
    free(c->clip_path);
    free(c);
}

static int add_clip(clip_src *c, pusd_layer *l, double start) {
    size_t n = c->nclips + 1;
    pusd_layer **cl = realloc(c->clip, n * sizeof *cl);
    if (cl) c->clip = cl;
    double *s = realloc(c->start, n * sizeof *s);
    if (s) c->start = s;
    double *e = realloc(c->end, n * sizeof *e);
    if (e) c->end = e;
    double *a = realloc(c->authored_start, n * sizeof *a);
    if (a) c->authored_start = a;
    if (!cl || !s || !e || !a) return -1;
    size_t k = c->nclips; /* keep the entries sorted by start time */
    while (k > 0 && c->start[k - 1] > start) {
        c->clip[k] = c->clip[k - 1];
        c->start[k] = c->start[k - 1];
        k--;
    }
    c->clip[k] = l;
    c->start[k] = start;
    c->nclips = n;
    return 0;
}

/* Each clip is active from its start to the next one's; the first also before, the last after. */
static void finish_ranges(clip_src *c) {
    for (size_t k = 0; k < c->nclips; k++) {
        c->authored_start[k] = c->start[k];
        c->end[k] = k + 1 < c->nclips ? c->start[k + 1] : INFINITY;
    }
    if (c->nclips) c->start[0] = -INFINITY;
}

/* The explicit form: assetPaths and active ((stage time, clip index) pairs). */
static int explicit_clips(pusd_stage *s, clip_src *c, const pusd_dict *set, const pusd_layer *anchor) {
    const pusd_value *ap = dict_get(set, "assetPaths"), *act = dict_get(set, "active");
    if (!ap || ap->type != PUSD_T_ASSET || !act || act->type != PUSD_T_DOUBLE2 || !(act->flags & PUSD_VF_ARRAY))
        return 0;
    for (uint32_t k = 0; k < act->count; k++) {
        double idx = pusd_value_get_double(act, k, 1);
        if (!(idx >= 0 && idx < ap->count && idx == floor(idx))) continue;
        pusd_layer *l = open_clip(s, anchor, ((const char *const *)ap->data)[(size_t)idx]);
        if (add_clip(c, l, c->off + c->sc * pusd_value_get_double(act, k, 0))) return -1;
    }
    finish_ranges(c);
    return build_times(c, dict_get(set, "times"));
}

/* A template's file name for clip time t (UsdClipsAPI's templateAssetPath rules): the basename's
 * dot-separated tokens, one of all '#' (the integer part of t, truncated, zero padded to their
 * count) optionally followed by a second (the digits after the point of t printed with that many
 * decimals: `###.###`). ig/dg: the token indices of the groups (dg < 0: none). */
static bool template_name(const char *tp, int ig, int dg, double t, char *out, size_t cap) {
    const char *base = strrchr(tp, '/');
    base = base ? base + 1 : tp;
    size_t o = (size_t)snprintf(out, cap, "%.*s", (int)(base - tp), tp);
    int tok = 0;
    for (const char *p = base; *p && o < cap;) {
        size_t n = strcspn(p, ".");
        if (n) {
            const char *sep = tok ? "." : "";
            if (tok == ig)
                o += (size_t)snprintf(out + o, cap - o, "%s%0*d", sep, (int)n, (int)t);
            else if (tok == dg) {
                char f[64];
                snprintf(f, sizeof f, "%.*f", (int)n, t);
                const char *dot = strchr(f, '.');
                o += (size_t)snprintf(out + o, cap - o, "%s%s", sep, dot ? dot + 1 : "");
            } else
                o += (size_t)snprintf(out + o, cap - o, "%s%.*s", sep, (int)n, p);
            tok++;
        }
        p += n + (p[n] == '.');
    }
    return o < cap;
}

/* The '#' groups of a template's basename: one, or two adjacent (integer and decimal part). */
static bool template_groups(const char *tp, int *ig, int *dg) {
    const char *base = strrchr(tp, '/');
    base = base ? base + 1 : tp;
    int tok = 0, ngroups = 0;
    *ig = *dg = -1;
    for (const char *p = base; *p;) {
        size_t n = strcspn(p, ".");
        if (n) {
            if (strspn(p, "#") >= n) {
                ngroups++;
                if (*ig < 0)
                    *ig = tok;
                else
                    *dg = tok;
            }
            tok++;
        }
        p += n + (p[n] == '.');
    }
    return ngroups == 1 || (ngroups == 2 && *dg == *ig + 1);
}

/* The template form, as Usd derives explicit clips from it: for each time t from templateStartTime
 * to templateEndTime by templateStride (stepped in units of 1/10000 as Usd steps them), the file
 * named for t, if it exists, is a clip active from t (from t + templateActiveOffset when one is
 * given) with times (t, t); an active offset adds the knots (start - |offset|) and (end +
 * |offset|) to times. A stride <= 0, |offset| > stride, a start after the end or a malformed
 * template gives no clips. */
static int template_clips_of(pusd_stage *s, clip_src *c, const pusd_dict *set, const pusd_layer *anchor,
                             const char *tp) {
    const double P = 10000;
    double t0 = dict_num(set, "templateStartTime", NAN), t1 = dict_num(set, "templateEndTime", NAN);
    double stride = dict_num(set, "templateStride", NAN), aoff = dict_num(set, "templateActiveOffset", NAN);
    bool has_off = !isnan(aoff);
    int ig, dg;
    if (!tp || !(stride > 0) || (has_off && fabs(aoff) > stride) || !(t1 >= t0) || (t1 - t0) / stride > 100000 ||
        !template_groups(tp, &ig, &dg))
        return 0;
    size_t nt = 0, cap = (size_t)((t1 - t0) / stride) + 4;
    tmap *tt = malloc(cap * sizeof *tt);
    if (!tt) return -1;
    if (has_off) {
        double k = (t0 * P - fabs(aoff) * P) / P;
        tt[nt++] = (tmap){c->off + c->sc * k, k, false};
    }
    for (double t = t0 * P; t <= t1 * P && nt + 1 < cap; t += stride * P) {
        double ct = t / P;
        char path[2048];
        pusd_layer *l = template_name(tp, ig, dg, ct, path, sizeof path) ? open_clip(s, anchor, path) : NULL;
        if (!l) continue;
        double act = has_off ? (t + aoff * P) / P : ct;
        if (add_clip(c, l, c->off + c->sc * act)) return free(tt), -1;
        tt[nt++] = (tmap){c->off + c->sc * ct, ct, false};
    }
    if (has_off) {
        double k = (t1 * P + fabs(aoff) * P) / P;
        tt[nt++] = (tmap){c->off + c->sc * k, k, false};
    }
    finish_ranges(c);
    int rc = c->nclips ? set_times(c, tt, nt) : 0;
    free(tt);
    return rc;
}

/* The template's file format arguments (`clip.#.usda:SDF_FORMAT_ARGS:a=b`) are split off before
 * its basename is read, as clipSetDefinition.cpp splits them (each clip is opened with them; the
 * text format takes none). */
static int template_clips(pusd_stage *s, clip_src *c, const pusd_dict *set, const pusd_layer *anchor) {
    const char *tp = dict_str(set, "templateAssetPath");
    if (!tp) return 0;
    char *path = strndup(tp, format_args_at(tp));
    int rc = path ? template_clips_of(s, c, set, anchor, path) : -1;
    free(path);
    return rc;
}

/* Whether the clip set declares attribute name: in its manifest, or (no manifest) when a clip
 * has time samples for it (the manifest OpenUSD generates). */
static bool declares(const clip_src *c, const char *name) {
    if (c->manifest) { /* a uniform attribute has no time samples to take from clips */
        const prop_spec *mf = layer_attr(c->manifest, c->clip_path, name);
        return mf && !(mf->dflt.flags & (PB_UNIFORM | PB_CONFIG));
    }
    for (size_t k = 0; k < c->nclips; k++) {
        const prop_spec *ps = layer_attr(c->clip[k], c->clip_path, name);
        if (ps && ps->x && ps->x->has_samples && ps->x->nsamples) return true;
    }
    return false;
}

/* ---- which clip set applies --------------------------------------------------------------------- */

static bool spec_has_clips(const pusd_primspec *sp, int depth) {
    if (depth > 400) return false;
    if (pusd__meta_find(&sp->meta, "clips")) return true;
    for (const pusd_primspec *c = sp->first_child; c; c = c->next)
        if (spec_has_clips(c, depth + 1)) return true;
    for (const variant_set_spec *vs = PRIM_VSETS(sp); vs; vs = vs->next)
        for (const pusd_primspec *v = vs->first_variant; v; v = v->next)
            if (spec_has_clips(v, depth + 1)) return true;
    return false;
}

/* Whether any layer the stage opened authors `clips` (checked once per composition), so value
 * resolution of clip-free stages never looks for clip sets. */
bool pusd__stage_has_clips(pusd_stage *s) {
    if (s->clips_gen != s->gen) {
        s->clips_gen = s->gen;
        s->has_clips = false;
        for (size_t i = 0; i < s->nreg && !s->has_clips; i++)
            if (s->reg[i].layer) s->has_clips = spec_has_clips(&s->reg[i].layer->root, 0);
    }
    return s->has_clips;
}

static bool path_has_prefix(const char *p, const char *prefix) {
    size_t n = strlen(prefix);
    if (n == 1 && prefix[0] == '/') return p[0] == '/';
    return !strncmp(p, prefix, n) && (p[n] == 0 || p[n] == '/');
}

static size_t layer_index(const layer_stack *ls, const pusd_layer *l) {
    for (size_t i = 0; i < ls->n; i++)
        if (ls->e[i].layer == l) return i;
    return SIZE_MAX;
}

/* Where the clips sit among p's nodes: just after the anchor layer within the layer stack of the
 * anchor node a (p's nodes of that layer stack at or below a's path). *pos = the first node
 * weaker than the clips; false when no node of p is in that layer stack. */
static bool clip_position(const pusd_prim *p, const node *a, uint32_t *pos) {
    pusd_stage *s = p->stage;
    const char *ap = pusd__strip_variants(s, a->site->path);
    size_t ai = layer_index(a->site->ls, a->layer);
    bool any = false;
    for (uint32_t i = 0; i < p->nnodes; i++) {
        const node *n = &p->nodes[i];
        if (n->site->ls != a->site->ls || !path_has_prefix(pusd__strip_variants(s, n->site->path), ap)) {
            if (any) return *pos = i, true;
            continue;
        }
        if (layer_index(n->site->ls, n->layer) > ai) return *pos = i, true;
        any = true;
    }
    *pos = p->nnodes;
    return any;
}

/* The clip set named set of prim q, anchored at the strongest node of q whose own `clips`
 * authors that set's assetPaths or templateAssetPath. */
static const node *anchor_node(const pusd_prim *q, const char *set) {
    for (uint32_t i = 0; i < q->nnodes; i++) {
        const meta_entry *e = pusd__meta_find(&q->nodes[i].spec->meta, "clips");
        const pusd_value *v = e && e->value.type == PUSD_T_DICTIONARY ? dict_get(e->value.data, set) : NULL;
        const pusd_dict *d = v && v->type == PUSD_T_DICTIONARY ? v->data : NULL;
        if (d && (dict_get(d, "assetPaths") || dict_get(d, "templateAssetPath"))) return &q->nodes[i];
    }
    return NULL;
}

static int cmp_key(const void *a, const void *b) {
    return strcmp(((const pusd_dict_entry *)a)->key, ((const pusd_dict_entry *)b)->key);
}

/* Builds clip set `set` (composed dictionary d) of prim q for prim p's attribute name; NULL when
 * it does not declare the attribute or does not apply to p. */
static clip_src *try_set(pusd_prim *p, const pusd_prim *q, const char *set, const pusd_dict *d, const char *name,
                         uint32_t *pos) {
    const node *a = anchor_node(q, set);
    const char *pp = dict_str(d, "primPath");
    if (!a || !pp || pp[0] != '/' || !clip_position(p, a, pos)) return NULL;
    clip_src *c = calloc(1, sizeof *c);
    const char *rel = p->path + strlen(q->path);
    if (!c || !(c->clip_path = malloc(strlen(pp) + strlen(rel) + 2))) return pusd__clips_free(c), NULL;
    const pusd_value *iv = dict_get(d, "interpolateMissingClipValues");
    c->interp = iv && iv->type == PUSD_T_BOOL && iv->data && !(iv->flags & PUSD_VF_ARRAY) && *(const uint8_t *)iv->data;
    c->off = a->offset; /* the anchoring layer's offset and scale (sublayers, references) */
    c->sc = a->scale ? a->scale : 1;
    sprintf(c->clip_path, "%s%s", pp, rel);
    int rc =
        dict_get(d, "assetPaths") ? explicit_clips(p->stage, c, d, a->layer) : template_clips(p->stage, c, d, a->layer);
    const char *mp = dict_str(d, "manifestAssetPath");
    if (mp) c->manifest = open_clip(p->stage, a->layer, mp);
    if (rc || !c->nclips || (mp && !c->manifest) || !declares(c, name)) return pusd__clips_free(c), NULL;
    return c;
}

/* The clip sets of prim q in strength order: by name, then the `clipSets` list ops of its specs
 * applied weakest first (reordering, or removing a set from consideration). Malloc'ed. */
static const char **set_order(const pusd_prim *q, const pusd_dict *all, size_t *n) {
    pusd_dict_entry *sets = malloc((all->count ? all->count : 1) * sizeof *sets);
    size_t cap = all->count;
    const char **names = malloc((cap ? cap : 1) * sizeof *names);
    *n = 0;
    if (!sets || !names) {
        free(sets);
        free(names);
        return NULL;
    }
    memcpy(sets, all->entries, all->count * sizeof *sets);
    qsort(sets, all->count, sizeof *sets, cmp_key);
    for (uint32_t k = 0; k < all->count; k++) names[(*n)++] = sets[k].key;
    free(sets);
    for (uint32_t i = q->nnodes; i-- > 0;) {
        const meta_entry *e = pusd__meta_find(&q->nodes[i].spec->meta, "clipSets");
        if (e && e->value.type == PUSD_T_STRING_LISTOP && e->value.data)
            pusd__listop_apply_strings(e->value.data, &names, n, &cap);
    }
    return names;
}

/* Clips define no attribute: they give values to one some spec on the stage authors or that the
 * prim's schemas declare (a built-in attribute, UsdPrim::GetProperties lists it). */
static bool attr_exists(const pusd_prim *p, const char *name) {
    const char *type;
    bool uniform;
    return pusd__strongest_prop(p, name, NULL) ||
           pusd__declared_attr(p->type_name, p->api, p->napi, name, &type, &uniform);
}

clip_src *pusd__clips_find(pusd_prim *p, const char *name, uint32_t *pos) {
    if (!pusd__stage_has_clips(p->stage) || !attr_exists(p, name)) return NULL;
    for (const pusd_prim *q = p; q && q->parent; q = q->parent) { /* nearest prim first */
        bool authored = false;
        for (uint32_t i = 0; i < q->nnodes && !authored; i++)
            authored = pusd__meta_find(&q->nodes[i].spec->meta, "clips") != NULL;
        pusd_value v;
        if (!authored || pusd_prim_get_metadata(q, "clips", &v) || v.type != PUSD_T_DICTIONARY || !v.data) continue;
        const pusd_dict *all = v.data;
        size_t n = 0;
        const char **order = set_order(q, all, &n);
        clip_src *c = NULL;
        for (size_t k = 0; k < n && !c; k++) {
            const pusd_value *d = dict_get(all, order[k]);
            if (d && d->type == PUSD_T_DICTIONARY && d->data) c = try_set(p, q, order[k], d->data, name, pos);
        }
        free(order);
        if (c) return c;
    }
    return NULL;
}

/* ---- values and sample times ------------------------------------------------------------------- */

static const prop_spec *clip_attr(const clip_src *c, size_t k, const char *name) {
    return layer_attr(c->clip[k], c->clip_path, name);
}

static bool clip_has_samples(const clip_src *c, size_t k, const char *name) {
    const prop_spec *ps = clip_attr(c, k, name);
    return ps && ps->x && ps->x->has_samples && ps->x->nsamples;
}

/* Whether the manifest blocks the attribute at stage time t: a `None` time sample authored at
 * exactly t (the manifest's times are stage times: it has no time mapping). */
static bool manifest_blocked_at(const clip_src *c, const char *name, double t) {
    const prop_spec *mf = c->manifest ? layer_attr(c->manifest, c->clip_path, name) : NULL;
    const prop_extra *x = mf ? mf->x : NULL;
    for (uint32_t i = 0; x && x->has_samples && i < x->nsamples; i++)
        if (x->samples[i].time == t) return (x->samples[i].value.flags & PUSD_VF_BLOCKED) != 0;
    return false;
}

/* Whether clip k gives the attribute values (Usd_ClipSet's _ClipContributesValue): always, unless
 * the set interpolates missing values; then when the clip has samples for it and the manifest
 * does not block it at the clip's authored start (a manifest declaring that the clip has none),
 * or when the manifest authors a default (a value or None) for it. */
static bool contributes(const clip_src *c, size_t k, const char *name) {
    if (!c->interp) return true;
    if (clip_has_samples(c, k, name) && !manifest_blocked_at(c, name, c->authored_start[k])) return true;
    const prop_spec *mf = c->manifest ? layer_attr(c->manifest, c->clip_path, name) : NULL;
    return mf && (mf->dflt.data || (mf->dflt.flags & PUSD_VF_BLOCKED));
}

static size_t active_clip(const clip_src *c, double t) {
    size_t k = 0;
    while (k + 1 < c->nclips && c->start[k + 1] <= t) k++;
    return k;
}

/* The value the clip active at stage time t gives (Usd_ClipSet::QueryTimeSample): its samples at
 * the mapped time, interpolated inside the clip; a gap: the manifest's default, else blocked. */
static int query(pusd_stage *s, const clip_src *c, const char *name, double t, pusd_value *out) {
    size_t k = active_clip(c, t);
    const prop_spec *ps = clip_attr(c, k, name);
    if (ps && ps->x && ps->x->has_samples && ps->x->nsamples) return pusd__samples_at(s, ps->x, to_internal(c, t), out);
    const prop_spec *mf = c->manifest ? layer_attr(c->manifest, c->clip_path, name) : NULL;
    if (mf && mf->dflt.data) {
        *out = mf->dflt;
        out->flags &= 0xffu;
        return 0;
    }
    *out = (pusd_value){ps ? ps->dflt.type : PUSD_T_INVALID, PUSD_VF_BLOCKED, 0, NULL};
    if (mf) out->type = mf->dflt.type;
    return 0;
}

static int clip_samples(const clip_src *c, size_t k, const prop_extra *x, double **v, size_t *n, size_t *cap);
static int push_time(double **v, size_t *n, size_t *cap, double t);

/* Clip k's time samples in stage time (Usd_Clip::ListTimeSamplesForPath): its samples through the
 * time mapping, the stage times of `times` and its authored start, within its active range.
 * Unsorted, malloc'ed; -1 when out of memory. */
static long clip_times(const clip_src *c, size_t k, const char *name, double **v) {
    size_t n = 0, cap = 0;
    *v = NULL;
    const prop_spec *ps = clip_attr(c, k, name);
    if (ps && ps->x && ps->x->has_samples && clip_samples(c, k, ps->x, v, &n, &cap)) return -1;
    for (size_t i = 1; c->times && i + 1 < c->ntimes; i++)
        if (c->times[i].ext >= c->start[k] && c->times[i].ext < c->end[k] && push_time(v, &n, &cap, c->times[i].ext))
            return -1;
    if (push_time(v, &n, &cap, c->authored_start[k])) return -1;
    return (long)n;
}

/* Clip k's samples bracketing t (Usd_Clip::GetBracketingTimeSamplesForPath): t itself when it is
 * a sample, the nearest ones around it, the first or last one when t lies outside them. */
static bool clip_bracket(const clip_src *c, size_t k, const char *name, double t, double *lo, double *hi) {
    double *v;
    long n = clip_times(c, k, name, &v);
    if (n <= 0) return free(v), false;
    double below = -INFINITY, above = INFINITY, first = INFINITY, last = -INFINITY;
    for (long i = 0; i < n; i++) {
        first = fmin(first, v[i]);
        last = fmax(last, v[i]);
        if (v[i] <= t) below = fmax(below, v[i]);
        if (v[i] >= t) above = fmin(above, v[i]);
    }
    free(v);
    *lo = t <= first ? first : t >= last ? last : below;
    *hi = t <= first ? first : t >= last ? last : above;
    return true;
}

/* The value at stage time t, resolved as Usd resolves a clip set: the samples bracketing t (those
 * of the active clip; after its last sample the next contributing clip's start; with
 * interpolateMissingClipValues, a clip without values is bridged from the last sample of the
 * previous contributing clip), then the value at the lower one, or interpolated between the
 * values at both (Usd_GetOrInterpolateValue). */
int pusd__clips_value(pusd_stage *s, const clip_src *c, const char *name, double t, pusd_value *out) {
    size_t k = active_clip(c, t);
    double lo = 0, hi = 0, a, b;
    bool flo = false, fhi = false;
    if (contributes(c, k, name) && clip_bracket(c, k, name, t, &lo, &hi)) {
        flo = true;
        fhi = !(lo == hi && t > hi);
    }
    for (size_t i = k; !flo && i-- > 0;)
        if (contributes(c, i, name) && clip_bracket(c, i, name, t, &a, &b)) {
            lo = b;
            flo = true;
        }
    for (size_t j = k + 1; !fhi && j < c->nclips; j++)
        if (contributes(c, j, name)) {
            hi = c->start[j];
            fhi = true;
        }
    if (flo && !fhi)
        hi = lo;
    else if (!flo && fhi)
        lo = hi;
    else if (!flo && !fhi)
        lo = hi = c->authored_start[0];
    if (fabs(hi - lo) <= 1e-6) return query(s, c, name, lo, out);
    pusd_value vl, vh;
    int rc = query(s, c, name, lo, &vl);
    if (!rc) rc = query(s, c, name, hi, &vh);
    if (rc) return rc;
    if (vh.flags & PUSD_VF_BLOCKED) {
        *out = vl;
        return 0;
    }
    return pusd__interpolate(s, &vl, &vh, (t - lo) / (hi - lo), out);
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int push_time(double **v, size_t *n, size_t *cap, double t) {
    if (!PBASE_RESERVE(*v, *cap, *n + 1)) return -1;
    (*v)[(*n)++] = t;
    return 0;
}

/* Clip k's samples in stage time: each clip-time sample through every segment of the time
 * mapping that overlaps the clip's active range (not through a jump). */
static int clip_samples(const clip_src *c, size_t k, const prop_extra *x, double **v, size_t *n, size_t *cap) {
    double lo = c->start[k], hi = c->end[k];
    for (uint32_t j = 0; j < x->nsamples; j++) {
        double in = x->samples[j].time;
        if (!c->times) {
            if (in >= lo && in < hi && push_time(v, n, cap, in)) return -1;
            continue;
        }
        for (size_t i = 0; i + 1 < c->ntimes; i++) {
            tmap m1 = c->times[i], m2 = c->times[i + 1];
            if (!(m1.ext < hi && m2.ext >= lo) || m1.jump) continue;
            if (in < fmin(m1.in, m2.in) || in > fmax(m1.in, m2.in)) continue;
            if (m1.in == m2.in) {
                if (m1.ext >= lo && m1.ext < hi && push_time(v, n, cap, m1.ext)) return -1;
                if (m2.ext >= lo && m2.ext < hi && push_time(v, n, cap, m2.ext)) return -1;
            } else {
                double e = to_external(c, in, i);
                if (e >= lo && e < hi && push_time(v, n, cap, e)) return -1;
            }
        }
    }
    return 0;
}

/* The clip set's time samples for the attribute (UsdAttribute::GetTimeSamples): every clip's
 * samples in stage time within its active range, the stage times of `times` within it, and
 * each clip's authored start. Sorted, unique, malloc'ed. */
size_t pusd__clips_times(const clip_src *c, const char *name, double **out) {
    double *v = NULL;
    size_t n = 0, cap = 0;
    for (size_t k = 0; k < c->nclips; k++) {
        if (!contributes(c, k, name)) continue;
        double *ck;
        long m = clip_times(c, k, name, &ck);
        for (long i = 0; i < m; i++)
            if (push_time(&v, &n, &cap, ck[i])) break;
        free(ck);
    }
    if (!n && c->nclips) push_time(&v, &n, &cap, c->authored_start[0]); /* no clip contributes */
    if (n) qsort(v, n, sizeof *v, cmp_double);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (!m || v[m - 1] != v[i]) v[m++] = v[i];
    *out = v;
    return m;
}
