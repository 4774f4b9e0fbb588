/* Composition of prims (LIVRPS): sites and nodes from sublayers, inherits,
 * variants, references, payloads and specializes; list-op composition;
 * lazily composed children. */
#include <math.h>
#include <stdlib.h>
#include <unistd.h>

#include "stage_internal.h"

/* ---- composition -------------------------------------------------------------------------------- */

typedef struct builder {
    pusd_stage *s;
    site *sites;
    size_t nsites, capsites;
    node *nodes;
    size_t nnodes, capnodes;
} builder;

static const char *comp_str(pusd_stage *s, const char *a, const char *b) {
    size_t na = strlen(a), nb = b ? strlen(b) : 0;
    char *r = pusd__ar_alloc(&s->comp, na + nb + 1);
    if (!r) return NULL;
    memcpy(r, a, na);
    if (nb) memcpy(r + na, b, nb);
    r[na + nb] = 0;
    return r;
}

static const char *child_path(pusd_stage *s, const char *parent, const char *name) {
    size_t np = strlen(parent);
    if (np == 1 && parent[0] == '/') return comp_str(s, "/", name);
    if (np && parent[np - 1] == '}') return comp_str(s, parent, name);
    char *t = pusd__ar_alloc(&s->comp, np + strlen(name) + 2);
    if (!t) return NULL;
    sprintf(t, "%s/%s", parent, name);
    return t;
}

static size_t expand_site(builder *b, site st);

static int add_node(builder *b, node n) {
    if (!PBASE_RESERVE(b->nodes, b->capnodes, b->nnodes + 1)) return -1;
    b->nodes[b->nnodes++] = n;
    return 0;
}

static int tl_find(titem *v, size_t n, const char *k) {
    for (size_t i = 0; i < n; i++)
        if (!strcmp(v[i].key, k)) return (int)i;
    return -1;
}

static int tl_push(titem **v, size_t *n, size_t *cap, titem t) {
    if (!PBASE_RESERVE(*v, *cap, *n + 1)) return -1;
    (*v)[(*n)++] = t;
    return 0;
}

const char *pusd__item_key(pusd_stage *s, int type, const void *it) {
    if (type == PUSD_T_REFERENCE_LISTOP || type == PUSD_T_PAYLOAD_LISTOP) {
        const pusd_reference *r = it;
        char *k = pusd__ar_alloc(&s->comp, strlen(r->asset_path) + strlen(r->prim_path) + 2);
        if (k) sprintf(k, "%s\x01%s", r->asset_path, r->prim_path);
        return k;
    }
    return *(const char *const *)it;
}

void pusd__tl_apply(pusd_stage *s, int type, const pusd_listop *op, pusd_layer *layer, titem **v, size_t *n,
                    size_t *cap) {
    size_t isz =
        (type == PUSD_T_REFERENCE_LISTOP || type == PUSD_T_PAYLOAD_LISTOP) ? sizeof(pusd_reference) : sizeof(char *);
#define ITEM(k, i) ((const char *)op->items[k] + (i)*isz)
    if (op->is_explicit) {
        *n = 0;
        for (uint32_t i = 0; i < op->count[0]; i++) {
            const char *k = pusd__item_key(s, type, ITEM(0, i));
            if (k && tl_find(*v, *n, k) < 0) tl_push(v, n, cap, (titem){k, ITEM(0, i), layer});
        }
        return;
    }
    for (uint32_t i = 0; i < op->count[PUSD_LISTOP_DELETE]; i++) {
        const char *k = pusd__item_key(s, type, ITEM(PUSD_LISTOP_DELETE, i));
        int f = k ? tl_find(*v, *n, k) : -1;
        if (f >= 0) memmove(*v + f, *v + f + 1, (--(*n) - (size_t)f) * sizeof **v);
    }
    for (uint32_t i = 0; i < op->count[PUSD_LISTOP_ADD]; i++) {
        const char *k = pusd__item_key(s, type, ITEM(PUSD_LISTOP_ADD, i));
        if (k && tl_find(*v, *n, k) < 0) tl_push(v, n, cap, (titem){k, ITEM(PUSD_LISTOP_ADD, i), layer});
    }
    for (uint32_t i = op->count[PUSD_LISTOP_PREPEND]; i-- > 0;) {
        const char *k = pusd__item_key(s, type, ITEM(PUSD_LISTOP_PREPEND, i));
        if (!k) continue;
        int f = tl_find(*v, *n, k);
        if (f >= 0) memmove(*v + f, *v + f + 1, (--(*n) - (size_t)f) * sizeof **v);
        if (tl_push(v, n, cap, (titem){k, NULL, NULL})) continue;
        memmove(*v + 1, *v, (*n - 1) * sizeof **v);
        (*v)[0] = (titem){k, ITEM(PUSD_LISTOP_PREPEND, i), layer};
    }
    for (uint32_t i = 0; i < op->count[PUSD_LISTOP_APPEND]; i++) {
        const char *k = pusd__item_key(s, type, ITEM(PUSD_LISTOP_APPEND, i));
        if (!k) continue;
        int f = tl_find(*v, *n, k);
        if (f >= 0) memmove(*v + f, *v + f + 1, (--(*n) - (size_t)f) * sizeof **v);
        tl_push(v, n, cap, (titem){k, ITEM(PUSD_LISTOP_APPEND, i), layer});
    }
    if (op->count[PUSD_LISTOP_ORDER] && *n) {
        titem *tmp = malloc(*n * sizeof *tmp);
        if (!tmp) return;
        size_t m = 0;
        for (uint32_t i = 0; i < op->count[PUSD_LISTOP_ORDER]; i++) {
            const char *k = pusd__item_key(s, type, ITEM(PUSD_LISTOP_ORDER, i));
            int f = k ? tl_find(*v, *n, k) : -1;
            if (f >= 0 && tl_find(tmp, m, k) < 0) tmp[m++] = (*v)[f];
        }
        for (size_t i = 0; i < *n; i++)
            if (tl_find(tmp, m, (*v)[i].key) < 0) tmp[m++] = (*v)[i];
        memcpy(*v, tmp, m * sizeof *tmp);
        free(tmp);
    }
#undef ITEM
}

/* Composes list op `key` over nodes [from, to) (strongest first) -> tagged items. */
static size_t compose_listop(pusd_stage *s, const node *nodes, size_t from, size_t to, const char *key, int type,
                             titem **out) {
    titem *v = NULL;
    size_t n = 0, cap = 0;
    for (size_t i = to; i-- > from;) {
        const meta_entry *e = pusd__meta_find(&nodes[i].spec->meta, key);
        if (e && e->value.type == type && e->value.data)
            pusd__tl_apply(s, type, e->value.data, nodes[i].layer, &v, &n, &cap);
    }
    *out = v;
    return n;
}

/* How path a relates to path b in namespace: 0 unrelated, 1 the same, 2 a is an ancestor of b,
 * 3 a is a descendant of b. */
static int path_relation(const char *a, const char *b) {
    size_t na = strlen(a), nb = strlen(b);
    if (na == nb) return !strcmp(a, b);
    const char *sh = na < nb ? a : b, *lo = na < nb ? b : a;
    size_t ns = na < nb ? na : nb;
    if (strncmp(sh, lo, ns) || (lo[ns] != '/' && strcmp(sh, "/"))) return 0;
    return na < nb ? 2 : 3;
}

/* The site (1 + index) in the arc chain from the prim's root site to site `from` (the sites each
 * arc came from, ancestral ones included) whose path in layer stack ls is path, an ancestor or a
 * descendant of it: Pcp's arc cycle. An arc to an ancestor or descendant would nest the prim
 * inside itself, so namespace would recurse without end. *rel gets path_relation(path, site). */
static size_t chain_conflict(builder *b, size_t from, const layer_stack *ls, const char *path, int *rel) {
    for (size_t i = from + 1; i; i = b->sites[i - 1].up) {
        const site *c = &b->sites[i - 1];
        if (c->ls != ls) continue;
        *rel = path_relation(path, pusd__strip_variants(b->s, c->path));
        if (*rel) return i;
    }
    return 0;
}

const char *pusd__strip_variants(pusd_stage *s, const char *p) {
    if (!strchr(p, '{')) return p;
    char *r = pusd__ar_alloc(&s->comp, strlen(p) + 1);
    if (!r) return p;
    size_t n = 0;
    for (const char *q = p; *q; q++) {
        if (*q == '{') {
            while (*q && *q != '}') q++;
            if (!*q) break;
            if (q[1] && q[1] != '/') r[n++] = '/';
            continue;
        }
        r[n++] = *q;
    }
    r[n] = 0;
    return r;
}

static void arc_to(builder *b, size_t from_idx, layer_stack *ls, const pusd_dict *vars, const char *path, uint8_t arc,
                   double off, double sc, const char *what, const char *file) {
    int rel = 0;
    size_t hit = chain_conflict(b, from_idx, ls, path, &rel);
    const site *from = &b->sites[from_idx];
    const char *fp = pusd__strip_variants(b->s, from->path);
    if (hit) {
        static const char *const how[] = {"", "leads back to itself", "targets an ancestor of",
                                          "targets a descendant of"};
        const char *cp = pusd__strip_variants(b->s, b->sites[hit - 1].path);
        pusd__diag(b->s, file, "composition cycle: %s arc from <%s> to <%s> %s%s%s%s; arc ignored", what, fp, path,
                   how[rel], rel > 1 ? " <" : "", rel > 1 ? cp : "", rel > 1 ? ">" : "");
        return;
    }
    if (from->depth + 1 >= MAX_ARC_DEPTH) {
        pusd__diag(b->s, file, "composition: %s arc from <%s> to <%s> is more than %d arcs deep; arc ignored", what, fp,
                   path, MAX_ARC_DEPTH);
        return;
    }
    site st;
    st.up = (uint32_t)from_idx + 1;
    st.depth = (uint8_t)(from->depth + 1);
    st.ls = ls;
    st.vars = vars;
    st.path = path;
    st.tag = from->tag == ARC_LOCAL || arc == ARC_SPECIALIZE ? arc : from->tag;
    st.inherit = from->inherit || arc == ARC_INHERIT;
    st.offset = from->offset + from->scale * off;
    st.scale = from->scale * sc;
    /* stage path of `path` = mapped path of the arc's source prim */
    st.map_from = pusd__strip_variants(b->s, path);
    const char *src = fp;
    if (from->map_from && !strncmp(src, from->map_from, strlen(from->map_from)))
        st.map_to = comp_str(b->s, from->map_to, src + strlen(from->map_from));
    else
        st.map_to = src;
    if (!st.map_to) return;
    expand_site(b, st);
}

/* path of site c's layer stack mapped to a stage path by c's namespace mapping (unchanged when
 * outside it: a global class), or back from a stage path (inverse). */
static const char *map_prefix(pusd_stage *s, const char *path, const char *from, const char *to) {
    size_t nf = from ? strlen(from) : 0;
    if (!nf || !to || strncmp(path, from, nf) || (path[nf] != '/' && path[nf])) return path;
    return comp_str(s, to, path + nf);
}

/* Moves the nodes from index n0 on (an implied arc's, just added) to follow the nodes of the sites
 * up to site c: in the expansion order that orders nodes within an arc class, they come right
 * after site c's own specs, stronger than the arcs c's layer stack reaches below it (Pcp adds an
 * implied class arc as a child of the node that authored the arc it crossed). */
static void nodes_after_site(builder *b, size_t n0, size_t c) {
    size_t p = 0, n1 = b->nnodes;
    while (p < n0 && (size_t)(uintptr_t)b->nodes[p].site - 1 <= c) p++;
    if (p == n0 || n1 == n0) return;
    node *tmp = malloc((n1 - n0) * sizeof *tmp);
    if (!tmp) return;
    memcpy(tmp, b->nodes + n0, (n1 - n0) * sizeof *tmp);
    memmove(b->nodes + p + (n1 - n0), b->nodes + p, (n0 - p) * sizeof *tmp);
    memcpy(b->nodes + p, tmp, (n1 - n0) * sizeof *tmp);
    free(tmp);
}

/* An inherit or specialize arc from site si, and its implied copies (Pcp's implied inherits): a
 * class arc found across a reference or payload also applies from every layer stack the arc chain
 * crossed on its way to si (the site there that authored the crossing arc), up to the root layer
 * stack, its path mapped into that layer stack's namespace (a path outside the arc's namespace, a
 * global class, stays as it is), so class opinions authored where an asset is used (a set over
 * its chairs, the stage over the set) reach every prim of it that inherits the class. */
static void class_arc(builder *b, size_t si, const char *path, uint8_t arc, const char *what, const char *file) {
    site st = b->sites[si];
    arc_to(b, si, st.ls, st.vars, path, arc, 0, 1, what, file);
    layer_stack *root = b->s->root_ls;
    if (!root || st.ls == root) return;
    size_t top = si;
    while (b->sites[top].up) top = b->sites[top].up - 1;
    const char *staged = map_prefix(b->s, path, st.map_from, st.map_to);
    const layer_stack *last = st.ls;
    for (size_t c = st.up; c && staged; c = b->sites[c - 1].up) {
        const site cs = b->sites[c - 1];
        if (cs.ls == last) continue;
        last = cs.ls;
        size_t from = cs.ls == root ? top : c - 1; /* the root's implied arc comes from the prim's own site */
        if (b->sites[from].ls != cs.ls) continue;
        const char *implied = map_prefix(b->s, staged, cs.map_to, cs.map_from);
        bool dup = !implied;
        for (size_t i = 0; i < b->nsites && !dup; i++)
            dup = b->sites[i].ls == cs.ls && !strcmp(b->sites[i].path, implied);
        if (dup) continue;
        size_t n0 = b->nnodes;
        arc_to(b, from, cs.ls, cs.vars, implied, arc, 0, 1, what, file);
        if (cs.ls != root) nodes_after_site(b, n0, c - 1);
        if (cs.ls == root) break;
    }
}

/* The strongest selection for set; an expression is evaluated with the variables of the layer
 * stack that authored it, and one that fails is skipped for the next weaker opinion (as Pcp). */
static const char *variant_selection(builder *b, const char *set) {
    for (size_t i = 0; i < b->nnodes; i++) {
        const char *sel = pusd__meta_variant(&b->nodes[i].spec->meta, set);
        if (sel && pusd_is_variable_expression(sel)) {
            size_t si = (size_t)(uintptr_t)b->nodes[i].site - 1; /* still an index while composing */
            sel = pusd__eval_expr(b->s, sel, b->sites[si].vars, b->nodes[i].layer->identifier, "variant selection");
        }
        if (sel) return sel;
    }
    return NULL;
}

/* Records site st (also when no layer has a spec there: its path stays in the arc chains of the
 * prim's children) and its nodes, then follows the arcs its specs author. Returns the site's
 * index, or SIZE_MAX when out of memory. */
static size_t expand_site(builder *b, site st) {
    pusd_stage *s = b->s;
    if (!PBASE_RESERVE(b->sites, b->capsites, b->nsites + 1)) return SIZE_MAX;
    size_t si = b->nsites++;
    b->sites[si] = st;
    size_t first = b->nnodes;
    for (size_t i = 0; i < st.ls->n; i++) {
        pusd_primspec *sp = pusd_layer_prim(st.ls->e[i].layer, st.path);
        if (!sp) continue;
        node n = {st.ls->e[i].layer,
                  sp,
                  st.offset + st.scale * st.ls->e[i].offset,
                  st.scale * st.ls->e[i].scale,
                  (const site *)(uintptr_t)(si + 1), /* fixed up in finish_prim */
                  st.tag};
        add_node(b, n);
    }
    size_t last = b->nnodes;
    if (first == last) return si;
    const char *file = b->nodes[first].layer->identifier;
    titem *v;
    size_t n;
    /* inherits */
    n = compose_listop(s, b->nodes, first, last, "inherits", PUSD_T_PATH_LISTOP, &v);
    for (size_t i = 0; i < n; i++) class_arc(b, si, *(const char *const *)v[i].item, ARC_INHERIT, "inherits", file);
    free(v);
    /* variants */
    n = compose_listop(s, b->nodes, first, last, "variantSets", PUSD_T_STRING_LISTOP, &v);
    for (size_t i = 0; i < n; i++) {
        const char *set = v[i].key;
        const char *sel = variant_selection(b, set);
        if (!sel || !sel[0]) continue;
        char *vp = pusd__ar_alloc(&s->comp, strlen(st.path) + strlen(set) + strlen(sel) + 4);
        if (!vp) continue;
        sprintf(vp, "%s{%s=%s}", st.path, set, sel);
        if (st.depth + 1 >= MAX_ARC_DEPTH) continue;
        site vs = st;
        vs.path = vp;
        vs.tag = st.tag == ARC_LOCAL ? ARC_VARIANT : st.tag;
        vs.up = (uint32_t)si + 1;
        vs.depth = (uint8_t)(st.depth + 1);
        expand_site(b, vs);
    }
    free(v);
    /* references then payloads */
    for (int pass = 0; pass < 2; pass++) {
        int type = pass ? PUSD_T_PAYLOAD_LISTOP : PUSD_T_REFERENCE_LISTOP;
        n = compose_listop(s, b->nodes, first, last, pass ? "payload" : "references", type, &v);
        for (size_t i = 0; i < n; i++) {
            const pusd_reference *r = v[i].item;
            layer_stack *ls = st.ls;
            const char *target = r->prim_path;
            pusd_layer *tl = v[i].layer;
            const pusd_dict *vars = st.vars;
            const char *asset = r->asset_path;
            if (pusd_is_variable_expression(asset)) {
                /* evaluated with this layer stack's variables; a None result drops the arc quietly
                 * (a conditional reference), as Pcp does */
                asset = pusd__eval_expr(s, asset, st.vars, v[i].layer->identifier, pass ? "payload" : "reference");
                if (!asset || !asset[0]) continue;
            }
            if (asset[0]) {
                char *abs = pusd__layer_resolve_asset(v[i].layer, asset);
                reg_entry *e = abs ? pusd__open_layer(s, abs, v[i].layer->identifier) : NULL;
                free(abs);
                if (!e) continue;
                tl = e->layer;
                /* the referenced layer stack's variables: its root layer's, overridden by ours; they
                 * also pick its expression sublayers (Pcp's expression variables override source) */
                vars = pusd__vars_over(s, st.vars, pusd__layer_vars(tl));
                ls = pusd__layer_stack_vars(s, e, vars);
                if (!ls) continue;
            }
            if (!target[0]) {
                pusd_value dp;
                if (pusd_layer_get_metadata(tl, "defaultPrim", &dp) || !dp.data) {
                    pusd__diag(s, v[i].layer->identifier,
                               "%s to '%s' names no prim and that layer has no defaultPrim; ignored",
                               pass ? "payload" : "reference", r->asset_path[0] ? r->asset_path : tl->identifier);
                    continue;
                }
                target = comp_str(s, "/", ((const char *const *)dp.data)[0]);
                if (!target) continue;
            } else if (target[0] != '/') {
                /* relative to the authoring prim */
                const char *anchor = pusd__strip_variants(s, st.path);
                if (!strcmp(target, "."))
                    target = anchor;
                else
                    target = comp_str(s, anchor, target[0] == '.' && target[1] == '.' ? NULL : NULL);
            }
            bool found = false;
            for (size_t k = 0; k < ls->n && !found; k++) found = pusd_layer_prim(ls->e[k].layer, target) != NULL;
            if (!found) {
                pusd__diag(s, v[i].layer->identifier, "%s target <%s> not found in '%s' (from <%s>)",
                           pass ? "payload" : "reference", target, ls->e[0].layer->identifier,
                           pusd__strip_variants(s, st.path));
                continue;
            }
            arc_to(b, si, ls, vars, target, pass ? ARC_PAYLOAD : ARC_REFERENCE, r->offset, r->scale,
                   pass ? "payload" : "reference", file);
        }
        free(v);
    }
    /* specializes */
    n = compose_listop(s, b->nodes, first, last, "specializes", PUSD_T_PATH_LISTOP, &v);
    for (size_t i = 0; i < n; i++)
        class_arc(b, si, *(const char *const *)v[i].item, ARC_SPECIALIZE, "specializes", file);
    free(v);
    return si;
}

static void hash_prim(pusd_stage *s, pusd_prim *p) {
    if (s->nprims + 1 > s->hash_cap) { /* chains of about one */
        size_t nc = s->hash_cap ? s->hash_cap * 2 : 256;
        pusd_prim **nh = calloc(nc, sizeof *nh);
        if (!nh) return;
        for (size_t i = 0; i < s->hash_cap; i++)
            for (pusd_prim *q = s->hash[i], *nx; q; q = nx) {
                nx = q->hnext;
                size_t j = pusd_hash(q->path, strlen(q->path)) & (nc - 1);
                q->hnext = nh[j];
                nh[j] = q;
            }
        free(s->hash);
        s->hash = nh;
        s->hash_cap = nc;
    }
    size_t j = pusd_hash(p->path, strlen(p->path)) & (s->hash_cap - 1);
    p->hnext = s->hash[j];
    s->hash[j] = p;
    s->nprims++;
}

static void finish_prim(builder *b, pusd_prim *p) {
    pusd_stage *s = b->s;
    /* stable sort by arc class: keep expansion order within a class */
    node *tmp = b->nodes;
    /* insertion sort (few nodes) */
    for (size_t i = 1; i < b->nnodes; i++) {
        node t = tmp[i];
        size_t j = i;
        while (j > 0 && tmp[j - 1].tag > t.tag) {
            tmp[j] = tmp[j - 1];
            j--;
        }
        tmp[j] = t;
    }
    /* a prim whose one site is its own path in the root layer stack shares the pseudo root's site
     * (only the path differs, and that is the prim's path: see compose_prim) */
    const site *b0 = b->nsites == 1 ? &b->sites[0] : NULL;
    bool shared = b0 && s->pseudo && s->pseudo->sites && b0->ls == s->root_ls && b0->tag == ARC_LOCAL &&
                  b0->offset == 0 && b0->scale == 1 && b0->map_from && b0->map_to && !strcmp(b0->map_from, "/") &&
                  !strcmp(b0->map_to, "/") && !strcmp(b0->path, p->path);
    p->sites = shared ? s->pseudo->sites : pusd__ar_alloc(&s->comp, (b->nsites ? b->nsites : 1) * sizeof *p->sites);
    p->nodes = pusd__ar_alloc(&s->comp, (b->nnodes ? b->nnodes : 1) * sizeof *p->nodes);
    if (!p->sites || !p->nodes) return;
    if (!shared) memcpy(p->sites, b->sites, b->nsites * sizeof *p->sites);
    p->nsites = (uint32_t)b->nsites;
    for (size_t i = 0; i < b->nnodes; i++) {
        p->nodes[i] = b->nodes[i];
        p->nodes[i].site = &p->sites[(uintptr_t)b->nodes[i].site - 1];
    }
    p->nnodes = (uint32_t)b->nnodes;
    /* the strongest def or class, a class reached through an inherit arc counting below any def
     * (UsdStage composes the specifier so: inheriting a class does not make a prim a class) */
    p->specifier = 'o';
    bool settled = false;
    for (uint32_t i = 0; i < p->nnodes; i++) {
        const node *n = &p->nodes[i];
        if (!p->type_name && n->spec->type_name) p->type_name = n->spec->type_name;
        char c = n->spec->specifier;
        if (settled || c == 'o') continue;
        p->specifier = c;
        settled = c == 'd' || !n->site->inherit;
    }
    p->active = true;
    for (uint32_t i = 0; i < p->nnodes; i++) {
        const meta_entry *e = pusd__meta_find(&p->nodes[i].spec->meta, "active");
        if (e && e->value.type == PUSD_T_BOOL && e->value.data) {
            p->active = ((const uint8_t *)e->value.data)[0] != 0;
            break;
        }
    }
    /* an instance: instanceable, with an arc to share (UsdPrim::IsInstance) */
    const meta_entry *inst = NULL;
    bool arcs = false;
    for (uint32_t i = 0; i < p->nnodes; i++) {
        if (!inst) inst = pusd__meta_find(&p->nodes[i].spec->meta, "instanceable");
        arcs |= p->nodes[i].tag != ARC_LOCAL;
    }
    p->instance =
        arcs && inst && inst->value.type == PUSD_T_BOOL && inst->value.data && ((const uint8_t *)inst->value.data)[0];
    /* apiSchemas */
    const char **list = NULL;
    size_t n = 0, cap = 0;
    for (uint32_t i = p->nnodes; i-- > 0;) {
        const meta_entry *e = pusd__meta_find(&p->nodes[i].spec->meta, "apiSchemas");
        if (e && e->value.type == PUSD_T_TOKEN_LISTOP && e->value.data)
            pusd__listop_apply_strings(e->value.data, &list, &n, &cap);
    }
    if (n) {
        p->api = pusd__ar_alloc(&s->comp, n * sizeof *p->api);
        if (p->api) {
            memcpy(p->api, list, n * sizeof *list);
            p->napi = (uint32_t)n;
        }
    }
    free(list);
}

static pusd_prim *compose_prim(pusd_stage *s, pusd_prim *parent, const char *name, const site *psites, uint32_t npsites,
                               int depth);
static pusd_prim *compose_relocated(pusd_prim *parent, const char *name, const char *src);

/* ---- lazy composition ---------------------------------------------------------------------------
 * A prim whose only site is its own path in the root layer stack (no arcs above it changed the
 * namespace) is "local". A child of a local prim whose specs in the root layer stack author no arcs
 * anywhere in their subtree composes to exactly those specs and can raise no diagnostic, so it is
 * left uncomposed (a NULL slot in its parent's children) until someone asks for it. Everything else
 * is composed eagerly when the stage opens, as before, so diagnostics are complete after open.
 * Counting traversals walk uncomposed subtrees straight on the specs. */

static bool arc_meta_key(const char *k) {
    switch (k[0]) {
    case 'i': return !strcmp(k, "inherits");
    case 'p': return !strcmp(k, "payload");
    case 'r': return !strcmp(k, "references");
    case 's': return !strcmp(k, "specializes");
    case 'v': return !strcmp(k, "variantSets") || !strcmp(k, "variants");
    default: return false;
    }
}

/* depth: of the spec's prim in namespace (pseudo root 0). Prims deeper than build_kids allows are
 * marked too, so the "namespace too deep" diagnostic comes at open as before. */
static unsigned mark_arcs(pusd_primspec *sp, int depth) {
    unsigned a = 0, sub = depth > 400;
    for (const meta_entry *e = sp->meta.head; e; e = e->next)
        if (arc_meta_key(e->key)) {
            a = SPEC_ARCS_SELF;
            break;
        }
    for (pusd_primspec *c = sp->first_child; c; c = c->next) sub |= mark_arcs(c, depth + 1);
    for (variant_set_spec *vs = PRIM_VSETS(sp); vs; vs = vs->next)
        for (pusd_primspec *v = vs->first_variant; v; v = v->next) sub |= mark_arcs(v, depth + 1);
    sp->arcs = (uint8_t)(a | ((a || sub) ? SPEC_ARCS_SUBTREE : 0));
    return sp->arcs ? 1u : 0u;
}

/* Children names of a prim with nodes [0, nn) (strongest first), as Pcp composes them: from the
 * weakest node to the strongest, each spec's children not seen yet are appended and then the spec's
 * own `reorder nameChildren` (`reorder rootPrims` at the root) is applied to the names so far.
 * Returns a malloc'ed array (NULL when empty). */
size_t pusd__kid_names(const node *nodes, uint32_t nn, const char ***out) {
    const char **names = NULL;
    size_t n = 0, cap = 0;
    for (uint32_t i = nn; i-- > 0;)
        if (pusd__spec_add_children(nodes[i].spec, nodes[i].layer, &names, &n, &cap)) break;
    *out = names;
    return n;
}

bool pusd__has_reorder(const node *n) {
    return n->spec->parent ? (n->spec->ext && n->spec->ext->n_reorder_children) : n->layer->n_reorder_root != 0;
}

/* The nodes of child `name` of a local prim (nodes of a local prim are its root-layer-stack specs). */
uint32_t pusd__local_kid_nodes(const node *pn, uint32_t npn, const char *name, node *out) {
    uint32_t k = 0;
    size_t len = strlen(name);
    for (uint32_t i = 0; i < npn; i++) {
        pusd_primspec *c = pusd__layer_child(pn[i].layer, pn[i].spec, name, len);
        if (c) out[k++] = (node){pn[i].layer, c, pn[i].offset, pn[i].scale, pn[i].site, ARC_LOCAL};
    }
    return k;
}

static bool kids_lazy(const node *kn, uint32_t nkn) {
    for (uint32_t i = 0; i < nkn; i++)
        if (kn[i].spec->arcs) return false;
    return nkn > 0;
}

/* A malloc'ed copy of nodes without the local (root layer stack) ones; *n updated. */
static node *local_free(const node *nodes, uint32_t *n) {
    node *r = malloc((*n ? *n : 1) * sizeof *r);
    uint32_t k = 0;
    for (uint32_t i = 0; r && i < *n; i++)
        if (nodes[i].tag != ARC_LOCAL) r[k++] = nodes[i];
    *n = k;
    return r;
}

static bool root_local(const pusd_stage *s, const node *n) { return n->site->ls == s->root_ls && n->tag == ARC_LOCAL; }

/* Whether some site of p is in a layer stack that authors relocates. */
static bool sites_relocate(pusd_stage *s, const pusd_prim *p) {
    size_t nr = 0;
    for (uint32_t i = 0; i < p->nsites && !nr; i++) pusd__ls_relocs(s, p->sites[i].ls, &nr);
    return nr != 0;
}

static int cmp_site_strength(const void *a, const void *b) {
    const site *x = *(const site *const *)a, *y = *(const site *const *)b;
    return x->tag != y->tag ? (x->tag > y->tag) - (x->tag < y->tag) : (x > y) - (x < y);
}

static int push_name(const char ***v, size_t *n, size_t *cap, const char *name) {
    if (!PBASE_RESERVE(*v, *cap, *n + 1)) return -1;
    (*v)[(*n)++] = name;
    return 0;
}

/* The relocation step of site st (relocate.c) on names, and the names its relocates prohibit
 * (sources moved away from below it) added to *ban. */
static size_t site_reloc_step(pusd_stage *s, const site *st, const char ***names, size_t n, size_t *cap,
                              const char ***ban, size_t *nban, size_t *capban) {
    size_t nr;
    const reloc *r = pusd__ls_relocs(s, st->ls, &nr);
    if (!nr) return n;
    const char *sp = pusd__strip_variants(s, st->path);
    n = pusd__reloc_child_names(r, nr, sp, names, n, cap);
    for (size_t i = 0; i < nr; i++) {
        const char *slash = strrchr(r[i].src, '/');
        size_t np = (size_t)(slash - r[i].src), ns = strlen(sp);
        if ((np == ns || (ns == 1 && !np)) && !strncmp(r[i].src, sp, np)) push_name(ban, nban, capban, slash + 1);
    }
    return n;
}

/* Child names under relocates, composed as PcpPrimIndex composes them: site by site from the
 * weakest (by arc class, then expansion order, as the nodes are ordered), each site's relocation
 * step (for a layer stack with relocates) and then its specs' names and reorders, weakest layer
 * first; a relocation source of any site is never a child (Pcp's prohibited names; a root layer
 * stack opinion there is reported and ignored, Pcp's "opinion at relocation source"). */
static size_t reloc_kid_names(pusd_stage *s, const pusd_prim *p, const node *kn, uint32_t nn, const char ***out) {
    const char **names = NULL, **ban = NULL;
    size_t n = 0, cap = 0, nban = 0, capban = 0;
    const site **order = malloc((p->nsites ? p->nsites : 1) * sizeof *order);
    bool oom = !order;
    for (uint32_t i = 0; order && i < p->nsites; i++) order[i] = &p->sites[i];
    if (order) qsort(order, p->nsites, sizeof *order, cmp_site_strength);
    for (uint32_t k = p->nsites; k-- > 0 && !oom;) {
        n = site_reloc_step(s, order[k], &names, n, &cap, &ban, &nban, &capban);
        for (uint32_t i = nn; i-- > 0 && !oom;)
            if (kn[i].site == order[k]) oom = pusd__spec_add_children(kn[i].spec, kn[i].layer, &names, &n, &cap) != 0;
    }
    free(order);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        bool banned = false;
        for (size_t j = 0; j < nban && !banned; j++) banned = !strcmp(ban[j], names[i]);
        if (!banned) {
            names[k++] = names[i];
            continue;
        }
        for (uint32_t j = 0; j < nn; j++)
            if (root_local(s, &kn[j]) && pusd__reloc_is_source(s->reloc, s->nreloc, p->path, names[i]) &&
                pusd__layer_child(kn[j].layer, kn[j].spec, names[i], strlen(names[i])))
                pusd__diag(s, kn[j].layer->identifier,
                           "opinion at the relocation source <%s%s%s> is ignored (the prim was relocated)",
                           strcmp(p->path, "/") ? p->path : "", "/", names[i]);
    }
    free(ban);
    *out = names;
    return k;
}

/* Composes the children list of p: names and slots; children that need composition work (arcs in
 * their subtree, or p not local) are composed now, the others on first access. */
static void build_kids(pusd_stage *s, pusd_prim *p, int depth) {
    p->depth = depth;
    if (!p->active && p->parent) return;
    if (depth > 400) {
        pusd__diag(s, s->root->identifier, "namespace too deep below <%s>", p->path);
        return;
    }
    const char **names = NULL;
    size_t n = 0;
    bool relocs = s->nreloc || (!p->local && sites_relocate(s, p));
    bool fast = p->local && p->nnodes == 1 && !pusd__has_reorder(&p->nodes[0]) && !relocs;
    if (fast) {
        for (const pusd_primspec *c = p->nodes[0].spec->first_child; c; c = c->next) n++;
        if (!n) return;
        names = pusd__ar_alloc(&s->comp, n * sizeof *names);
        if (!names) return;
        size_t i = 0;
        for (const pusd_primspec *c = p->nodes[0].spec->first_child; c; c = c->next) names[i++] = c->name;
    } else {
        const char **tmp = NULL;
        /* an instance's children are its prototype's: its local opinions on them do not count */
        uint32_t nn = p->nnodes;
        node *kn = p->instance ? local_free(p->nodes, &nn) : p->nodes;
        if (!kn)
            n = 0;
        else if (relocs)
            n = reloc_kid_names(s, p, kn, nn, &tmp);
        else
            n = pusd__kid_names(kn, nn, &tmp);
        if (kn != p->nodes) free(kn);
        if (n) {
            names = pusd__ar_alloc(&s->comp, n * sizeof *names);
            if (names) memcpy(names, tmp, n * sizeof *names);
        }
        free(tmp);
        if (!names) return;
    }
    p->children = pusd__ar_calloc(&s->comp, n * sizeof *p->children);
    if (!p->children) return;
    p->kid_names = names;
    p->nchildren = (uint32_t)n;
    node stackbuf[8], *kn = p->nnodes <= 8 ? stackbuf : malloc(p->nnodes * sizeof *kn);
    const pusd_primspec *c = fast ? p->nodes[0].spec->first_child : NULL;
    for (size_t i = 0; i < n; i++) {
        bool lazy = false;
        if (fast) {
            lazy = !c->arcs;
            c = c->next;
        } else if (p->local && kn)
            lazy = kids_lazy(kn, pusd__local_kid_nodes(p->nodes, p->nnodes, names[i], kn));
        /* a relocation target is composed on first access, once the stage's namespace is whole */
        if (s->nreloc && pusd__reloc_source(s->reloc, s->nreloc, p->path, names[i])) lazy = true;
        if (!lazy && !p->children[i]) p->children[i] = compose_prim(s, p, names[i], p->sites, p->nsites, depth + 1);
    }
    if (kn != stackbuf) free(kn);
}

/* Child i of p, composed on first access. */
pusd_prim *pusd__kid(pusd_prim *p, uint32_t i) {
    if (i >= p->nchildren) return NULL;
    pusd_stage *s = p->stage;
    const char *src = s->nreloc ? pusd__reloc_source(s->reloc, s->nreloc, p->path, p->kid_names[i]) : NULL;
    if (!p->children[i] && src) p->children[i] = compose_relocated(p, p->kid_names[i], src);
    if (!p->children[i]) p->children[i] = compose_prim(s, p, p->kid_names[i], p->sites, p->nsites, p->depth + 1);
    return p->children[i];
}

/* Index of child `name` (n bytes) of p, or -1. Large child lists get a hash index on first use. */
long pusd__kid_find(pusd_prim *p, const char *name, size_t n) {
    if (p->nchildren <= 16) {
        for (uint32_t i = 0; i < p->nchildren; i++)
            if (!strncmp(p->kid_names[i], name, n) && !p->kid_names[i][n]) return i;
        return -1;
    }
    if (!p->kidx) {
        uint32_t cap = 32;
        while (cap < p->nchildren * 2u) cap *= 2;
        uint32_t *ix = pusd__ar_calloc(&p->stage->comp, cap * sizeof *ix);
        if (!ix) return -1;
        for (uint32_t i = 0; i < p->nchildren; i++) {
            uint32_t j = pusd_hash(p->kid_names[i], strlen(p->kid_names[i])) & (cap - 1);
            while (ix[j]) j = (j + 1) & (cap - 1);
            ix[j] = i + 1;
        }
        p->kidx = ix;
        p->kidx_cap = cap;
    }
    for (uint32_t j = pusd_hash(name, n) & (p->kidx_cap - 1); p->kidx[j]; j = (j + 1) & (p->kidx_cap - 1)) {
        const char *k = p->kid_names[p->kidx[j] - 1];
        if (!strncmp(k, name, n) && !k[n]) return (long)p->kidx[j] - 1;
    }
    return -1;
}

static pusd_prim *compose_sites(pusd_stage *s, pusd_prim *parent, const char *name, const site *psites,
                                uint32_t npsites, int depth, bool given);

static pusd_prim *compose_prim(pusd_stage *s, pusd_prim *parent, const char *name, const site *psites, uint32_t npsites,
                               int depth) {
    return compose_sites(s, parent, name, psites, npsites, depth, false);
}

/* A relocated prim: local opinions at its own path, then the sites the source prim would have
 * (below the source's parent), minus the source's local ones, mapped to the new path. */
static pusd_prim *compose_relocated(pusd_prim *parent, const char *name, const char *src) {
    pusd_stage *s = parent->stage;
    const char *slash = strrchr(src, '/');
    /* the source's parent may lie below another relocation target: bounded, as relocates that
     * need each other to resolve are a cycle */
    char *pp = s->reloc_depth <= s->nreloc ? strndup(src, slash == src ? 1 : (size_t)(slash - src)) : NULL;
    s->reloc_depth++;
    pusd_prim *sp = pp ? pusd_stage_prim_at_path(s, pp) : NULL;
    s->reloc_depth--;
    free(pp);
    const char *path = child_path(s, parent->path, name);
    site *v = path ? malloc((1 + (sp ? sp->nsites : 0)) * sizeof *v) : NULL;
    if (!v) return NULL;
    uint32_t n = 0;
    v[n++] = (site){s->root_ls, path, path, path, 0, 1, ARC_LOCAL, 0, 0, s->pseudo->sites[0].vars, false};
    for (uint32_t i = 0; sp && i < sp->nsites; i++) {
        if (sp->sites[i].ls == s->root_ls && sp->sites[i].tag == ARC_LOCAL) continue;
        site st = sp->sites[i];
        st.path = child_path(s, st.path, slash + 1);
        st.map_from = st.path ? pusd__strip_variants(s, st.path) : NULL;
        st.map_to = path;
        st.up = 0;
        if (st.path && st.map_from) v[n++] = st;
    }
    pusd_prim *p = compose_sites(s, parent, name, v, n, parent->depth + 1, true);
    free(v);
    return p;
}

/* The sites of prim path `path` of the namespace of st's layer stack (its variables), as a prim
 * index rooted there has them: from the layer stack's pseudo root down, each level's sites
 * followed through the arcs their specs author and the layer stack's relocation arcs. Malloc'ed;
 * what a relocation source in a layer stack other than the root's brings along. */
static void reloc_source_arc(builder *b, size_t k, const char *src, const char *p);
static const char *reloc_target_source(pusd_stage *s, site *st);

static size_t ls_prim_sites(pusd_stage *s, const site *st, const char *path, site **out) {
    site *cur = malloc(sizeof *cur);
    size_t n = cur ? 1 : 0;
    if (cur) cur[0] = (site){st->ls, "/", "/", "/", 0, 1, ARC_LOCAL, 0, 0, st->vars, false};
    for (const char *c = path + 1; *c && n;) {
        size_t len = strcspn(c, "/");
        const char *name = pusd__intern(&s->scratch_strings, &s->scratch, c, len);
        builder b = {0};
        b.s = s;
        size_t *map = malloc(n * sizeof *map);
        for (size_t i = 0; name && map && i < n; i++) {
            site t = cur[i];
            t.path = child_path(s, cur[i].path, name);
            t.up = t.up && map[t.up - 1] != SIZE_MAX ? (uint32_t)map[t.up - 1] + 1 : 0;
            map[i] = t.path ? expand_site(&b, t) : SIZE_MAX;
        }
        free(map);
        /* a relocation target of the layer stack on the way (a source below another relocation's
         * target) takes its source's sites, as in a prim index */
        const char *src = b.nsites && b.sites[0].tag == ARC_LOCAL ? reloc_target_source(s, &b.sites[0]) : NULL;
        if (src && src[0]) reloc_source_arc(&b, 0, src, pusd__strip_variants(s, b.sites[0].path));
        free(b.nodes);
        free(cur);
        cur = b.sites;
        n = name ? b.nsites : 0;
        c += len + (c[len] == '/');
    }
    *out = cur;
    return n;
}

/* Pcp's relocation arc at site k of a prim being built (a relocation target in a layer stack
 * other than the root's): the sites the source has in that layer stack through its ancestors'
 * arcs (not its own specs, which Pcp's relocation source node does not contribute), mapped to
 * the target: the prim's path p, and site k's offset. */
static void reloc_source_arc(builder *b, size_t k, const char *src, const char *p) {
    pusd_stage *s = b->s;
    const char *slash = strrchr(src, '/');
    char *parent = strndup(src, slash == src ? 1 : (size_t)(slash - src));
    site *v = NULL, K = b->sites[k];
    size_t n = parent && K.depth + 1 < MAX_ARC_DEPTH ? ls_prim_sites(s, &K, parent, &v) : 0;
    free(parent);
    for (size_t i = 0; i < n; i++) {
        if (v[i].ls == K.ls && v[i].tag == ARC_LOCAL) continue;
        site st = v[i];
        st.path = child_path(s, v[i].path, slash + 1);
        st.map_from = st.path ? pusd__strip_variants(s, st.path) : NULL;
        st.map_to = p;
        st.offset = K.offset + K.scale * v[i].offset;
        st.scale = K.scale * v[i].scale;
        st.tag = K.tag == ARC_LOCAL ? v[i].tag : K.tag;
        st.up = (uint32_t)k + 1;
        st.depth = (uint8_t)(K.depth + 1);
        if (st.path && st.map_from) expand_site(b, st);
    }
    free(v);
}

/* Whether ancestral site i (of the parent's sites) is superseded by a relocation: an arc below a
 * relocation target (relocated[j]) other than a variant of it (Pcp elides the target's ancestral
 * references, payloads, inherits, specializes and relocations; variants may override). */
static bool elided(const site *ps, const bool *relocated, uint32_t i) {
    for (uint32_t u = ps[i].up, from = i; u; from = u - 1, u = ps[u - 1].up)
        if (relocated[u - 1]) return !(from == i && ps[i].ls == ps[u - 1].ls && strchr(ps[i].path, '{'));
    return false;
}

/* The source of site st's path when its layer stack (not the root's) relocates a prim there. */
static const char *reloc_target_source(pusd_stage *s, site *st) {
    size_t nr;
    const reloc *r = st->ls != s->root_ls ? pusd__ls_relocs(s, st->ls, &nr) : NULL;
    if (!r || !nr) return NULL;
    const char *sp = pusd__strip_variants(s, st->path), *slash = strrchr(sp, '/');
    if (!slash || !slash[1]) return NULL;
    char *parent = strndup(sp, slash == sp ? 1 : (size_t)(slash - sp));
    const char *src = parent ? pusd__reloc_source(r, nr, parent, slash + 1) : NULL;
    free(parent);
    return src;
}

/* Composes prim name below parent from the parent's sites (their children), or from the
 * prim's own sites when given. */
static pusd_prim *compose_sites(pusd_stage *s, pusd_prim *parent, const char *name, const site *psites,
                                uint32_t npsites, int depth, bool given) {
    pusd_prim *p = pusd__ar_calloc(&s->comp, sizeof *p);
    if (!p) return NULL;
    p->stage = s;
    p->parent = parent;
    p->name = name;
    p->path = child_path(s, parent->path, name);
    if (!p->path) return NULL;
    builder b = {0};
    b.s = s;
    /* each of the parent's sites gives an ancestral site here, linked to the one its parent site
     * came from (ancestral sites keep their place in the arc chains) */
    size_t stackmap[8], *map = npsites <= 8 ? stackmap : malloc(npsites * sizeof *map);
    bool stackrel[8], *relocated = npsites <= 8 ? stackrel : calloc(npsites, sizeof *relocated);
    for (uint32_t i = 0; map && relocated && i < npsites; i++) {
        site st = psites[i];
        relocated[i] = false;
        if (!given) st.path = parent->local ? p->path : child_path(s, psites[i].path, name);
        st.up = st.up && map[st.up - 1] != SIZE_MAX ? (uint32_t)map[st.up - 1] + 1 : 0;
        if (!parent->local && elided(psites, relocated, i)) {
            map[i] = SIZE_MAX;
            continue;
        }
        const char *src = st.path && !parent->local ? reloc_target_source(s, &st) : NULL;
        map[i] = st.path ? expand_site(&b, st) : SIZE_MAX;
        if (src && src[0] && map[i] != SIZE_MAX) {
            relocated[i] = true;
            reloc_source_arc(&b, map[i], src, p->path);
        }
    }
    if (map != stackmap) free(map);
    if (relocated != stackrel) free(relocated);
    /* below an instance only the prototype's opinions apply (Pcp ignores local opinions there) */
    p->in_instance = parent->instance || parent->in_instance;
    if (p->in_instance) {
        size_t k = 0;
        for (size_t i = 0; i < b.nnodes; i++)
            if (b.nodes[i].tag != ARC_LOCAL) b.nodes[k++] = b.nodes[i];
        b.nnodes = k;
    }
    finish_prim(&b, p);
    free(b.sites);
    free(b.nodes);
    p->local = p->nsites == 1 && p->sites[0].ls == s->root_ls && p->sites[0].tag == ARC_LOCAL && p->sites[0].map_from &&
               p->sites[0].map_to && !strcmp(p->sites[0].map_from, p->sites[0].map_to);
    hash_prim(s, p);
    build_kids(s, p, depth);
    return p;
}

void pusd__compose(pusd_stage *s) {
    pusd__ar_free_all(&s->comp);
    free(s->hash);
    s->hash = NULL;
    s->hash_cap = s->nprims = 0;
    pusd__free_layer_stacks(s);
    s->root_ls = NULL;
    /* every diagnostic comes from composition: reset */
    s->ndiags = 0;
    s->dirty = false;
    s->gen++;
    pusd_prim *pr = pusd__ar_calloc(&s->comp, sizeof *pr);
    s->pseudo = pr;
    if (!pr) return;
    pr->stage = s;
    pr->name = "";
    pr->path = "/";
    pr->specifier = 'd';
    pr->active = true;
    reg_entry *re = pusd__reg_of_layer(s, s->root);
    layer_stack *ls = re ? pusd__layer_stack_of(s, re) : NULL;
    if (!ls) return;
    s->root_ls = ls;
    pusd__relocs_build(s);
    for (size_t i = 0; i < ls->n; i++) mark_arcs(&ls->e[i].layer->root, 0);
    pr->sites = pusd__ar_alloc(&s->comp, sizeof *pr->sites);
    if (!pr->sites) return;
    pr->sites[0] = (site){ls, "/", "/", "/", 0, 1, ARC_LOCAL, 0, 0, pusd__layer_vars(s->root), false};
    pr->nsites = 1;
    pr->nodes = pusd__ar_alloc(&s->comp, ls->n * sizeof *pr->nodes);
    if (!pr->nodes) return;
    for (size_t i = 0; i < ls->n; i++)
        pr->nodes[pr->nnodes++] =
            (node){ls->e[i].layer, &ls->e[i].layer->root, ls->e[i].offset, ls->e[i].scale, &pr->sites[0], 0};
    pr->local = true;
    hash_prim(s, pr);
    build_kids(s, pr, 0);
}
