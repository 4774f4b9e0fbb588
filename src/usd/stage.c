/* The stage: composition of a root layer stack with sublayers, references,
 * payloads, inherits, specializes and variant selections (LIVRPS), value
 * resolution with time-sample interpolation, authoring, flattening. */
#include <math.h>
#include <stdlib.h>
#include <unistd.h>

#include "internal.h"

enum { ARC_LOCAL = 0, ARC_INHERIT, ARC_VARIANT, ARC_REFERENCE, ARC_PAYLOAD, ARC_SPECIALIZE };

typedef struct ls_entry {
    pusd_layer *layer;
    double offset, scale;
} ls_entry;

typedef struct layer_stack {
    ls_entry *e;
    size_t n;
} layer_stack;

typedef struct reg_entry {
    char *path;
    pusd_layer *layer;
    layer_stack *ls; /* lazily built */
    bool failed;
} reg_entry;

typedef struct site {
    layer_stack *ls;
    const char *path;     /* spec path in the layer stack's namespace */
    const char *map_from; /* namespace mapping to stage paths */
    const char *map_to;
    double offset, scale;
    uint8_t tag;
} site;

typedef struct node {
    pusd_layer *layer;
    pusd_primspec *spec;
    double offset, scale;
    const site *site;
    uint8_t tag;
} node;

struct pusd_prim { /* pointers, then counts, then flags: no padding holes */
    pusd_stage *stage;
    const char *name, *path;
    pusd_prim *parent, *hnext;
    pusd_prim **children;
    site *sites;
    node *nodes;
    const char *type_name;
    const char **api;
    const char **props;
    const char **kid_names; /* names of the children; children[i] is NULL until composed */
    uint32_t *kidx;         /* hash index into kid_names (large child lists, built on first lookup) */
    uint64_t props_gen;
    uint32_t nchildren, nsites, nnodes, napi, nprops, kidx_cap;
    int depth;
    char specifier;
    bool active;
    bool local; /* one site: its own path in the root layer stack */
};

struct pusd_stage {
    pusd_layer *root;
    reg_entry *reg;
    size_t nreg, capreg;
    pusd_layer *edit;
    pusd_arena comp; /* composed prims; rebuilt on structural edits */
    pusd_arena scratch; /* query results; lives until stage free */
    interner scratch_strings;
    pusd_prim *pseudo;
    pusd_prim **hash;
    size_t hash_cap, nprims;
    layer_stack *root_ls;
    pusd_error *diags;
    size_t ndiags, capdiags;
    bool dirty;
    uint64_t gen;
};

#define MAX_ARC_DEPTH 64

/* ---- diagnostics --------------------------------------------------------------------------- */

__attribute__((format(printf, 3, 4))) static void diag(pusd_stage *s, const char *file, const char *fmt, ...) {
    if (s->ndiags == s->capdiags) {
        size_t nc = s->capdiags ? s->capdiags * 2 : 8;
        pusd_error *n = realloc(s->diags, nc * sizeof *n);
        if (!n) return;
        s->diags = n;
        s->capdiags = nc;
    }
    pusd_error *e = &s->diags[s->ndiags++];
    memset(e, 0, sizeof *e);
    e->status = PUSD_ERR_COMPOSE;
    snprintf(e->file, sizeof e->file, "%s", file ? file : "");
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof e->message, fmt, ap);
    va_end(ap);
}

size_t pusd_stage_diagnostic_count(pusd_stage *s) { return s->ndiags; }
const pusd_error *pusd_stage_diagnostic(pusd_stage *s, size_t i) { return i < s->ndiags ? &s->diags[i] : NULL; }

/* ---- layer registry and layer stacks ------------------------------------------------------------ */

static reg_entry *reg_find(pusd_stage *s, const char *path) {
    for (size_t i = 0; i < s->nreg; i++)
        if (!strcmp(s->reg[i].path, path)) return &s->reg[i];
    return NULL;
}

static reg_entry *reg_add(pusd_stage *s, const char *path, pusd_layer *l) {
    if (s->nreg == s->capreg) {
        size_t nc = s->capreg ? s->capreg * 2 : 8;
        reg_entry *n = realloc(s->reg, nc * sizeof *n);
        if (!n) return NULL;
        s->reg = n;
        s->capreg = nc;
    }
    reg_entry *e = &s->reg[s->nreg];
    memset(e, 0, sizeof *e);
    e->path = strdup(path);
    if (!e->path) return NULL;
    e->layer = l;
    e->failed = l == NULL;
    s->nreg++;
    return e;
}

static reg_entry *open_layer(pusd_stage *s, const char *abs_path, const char *from) {
    reg_entry *e = reg_find(s, abs_path);
    if (e) return e->failed ? NULL : e;
    pusd_layer *l = NULL;
    pusd_error err;
    if (pusd_layer_open(abs_path, &l, &err)) {
        if (err.line) diag(s, err.file, "%d:%d: %s (layer used by %s)", err.line, err.column, err.message, from);
        else diag(s, from, "cannot open layer '%s': %s", abs_path, err.message);
        reg_add(s, abs_path, NULL);
        return NULL;
    }
    e = reg_add(s, abs_path, l);
    if (!e) pusd_layer_free(l);
    return e;
}

static reg_entry *reg_of_layer(pusd_stage *s, pusd_layer *l) {
    for (size_t i = 0; i < s->nreg; i++)
        if (s->reg[i].layer == l) return &s->reg[i];
    return NULL;
}

static int ls_push(layer_stack *ls, size_t *cap, pusd_layer *l, double off, double sc) {
    if (ls->n == *cap) {
        size_t nc = *cap ? *cap * 2 : 4;
        ls_entry *n = realloc(ls->e, nc * sizeof *n);
        if (!n) return -1;
        ls->e = n;
        *cap = nc;
    }
    ls->e[ls->n++] = (ls_entry){l, off, sc};
    return 0;
}

static void ls_collect(pusd_stage *s, layer_stack *ls, size_t *cap, pusd_layer *l, double off, double sc,
                       pusd_layer **chain, int depth) {
    for (int i = 0; i < depth; i++)
        if (chain[i] == l) {
            diag(s, l->identifier, "sublayer cycle: '%s' includes itself (directly or through its sublayers); ignored",
                 l->identifier);
            return;
        }
    if (depth >= MAX_ARC_DEPTH) return;
    if (ls_push(ls, cap, l, off, sc)) return;
    chain[depth] = l;
    for (uint32_t i = 0; i < l->n_sublayers; i++) {
        char *abs = pusd__layer_resolve_asset(l, l->sublayers[i].asset);
        if (!abs) continue;
        reg_entry *e = open_layer(s, abs, l->identifier);
        free(abs);
        if (!e) continue;
        ls_collect(s, ls, cap, e->layer, off + sc * l->sublayers[i].offset, sc * l->sublayers[i].scale, chain, depth + 1);
    }
}

static layer_stack *layer_stack_of(pusd_stage *s, reg_entry *e) {
    if (e->ls) return e->ls;
    layer_stack *ls = calloc(1, sizeof *ls);
    if (!ls) return NULL;
    size_t cap = 0;
    pusd_layer *chain[MAX_ARC_DEPTH];
    pusd_layer *l = e->layer;
    ls_collect(s, ls, &cap, l, 0, 1, chain, 0);
    /* the registry may have moved while collecting */
    e = reg_of_layer(s, l);
    e->ls = ls;
    return ls;
}

static void free_layer_stacks(pusd_stage *s) {
    for (size_t i = 0; i < s->nreg; i++)
        if (s->reg[i].ls) {
            free(s->reg[i].ls->e);
            free(s->reg[i].ls);
            s->reg[i].ls = NULL;
        }
}

/* ---- composition -------------------------------------------------------------------------------- */

typedef struct builder {
    pusd_stage *s;
    site *sites;
    size_t nsites, capsites;
    node *nodes;
    size_t nnodes, capnodes;
    const site *chain[MAX_ARC_DEPTH];
    int depth;
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

static void expand_site(builder *b, site st);

static int add_node(builder *b, node n) {
    if (b->nnodes == b->capnodes) {
        size_t nc = b->capnodes ? b->capnodes * 2 : 8;
        node *nn = realloc(b->nodes, nc * sizeof *nn);
        if (!nn) return -1;
        b->nodes = nn;
        b->capnodes = nc;
    }
    b->nodes[b->nnodes++] = n;
    return 0;
}

/* list-op composition over items tagged with the layer that authored them */
typedef struct titem {
    const char *key;
    const void *item;
    pusd_layer *layer;
} titem;

static int tl_find(titem *v, size_t n, const char *k) {
    for (size_t i = 0; i < n; i++)
        if (!strcmp(v[i].key, k)) return (int)i;
    return -1;
}

static int tl_push(titem **v, size_t *n, size_t *cap, titem t) {
    if (*n == *cap) {
        size_t nc = *cap ? *cap * 2 : 8;
        titem *x = realloc(*v, nc * sizeof *x);
        if (!x) return -1;
        *v = x;
        *cap = nc;
    }
    (*v)[(*n)++] = t;
    return 0;
}

static const char *item_key(pusd_stage *s, int type, const void *it) {
    if (type == PUSD_T_REFERENCE_LISTOP || type == PUSD_T_PAYLOAD_LISTOP) {
        const pusd_reference *r = it;
        char *k = pusd__ar_alloc(&s->comp, strlen(r->asset_path) + strlen(r->prim_path) + 2);
        if (k) sprintf(k, "%s\x01%s", r->asset_path, r->prim_path);
        return k;
    }
    return *(const char *const *)it;
}

static void tl_apply(pusd_stage *s, int type, const pusd_listop *op, pusd_layer *layer, titem **v, size_t *n, size_t *cap) {
    size_t isz = (type == PUSD_T_REFERENCE_LISTOP || type == PUSD_T_PAYLOAD_LISTOP) ? sizeof(pusd_reference) : sizeof(char *);
#define ITEM(k, i) ((const char *)op->items[k] + (i) * isz)
    if (op->is_explicit) {
        *n = 0;
        for (uint32_t i = 0; i < op->count[0]; i++) {
            const char *k = item_key(s, type, ITEM(0, i));
            if (k && tl_find(*v, *n, k) < 0) tl_push(v, n, cap, (titem){k, ITEM(0, i), layer});
        }
        return;
    }
    for (uint32_t i = 0; i < op->count[PUSD_LISTOP_DELETE]; i++) {
        const char *k = item_key(s, type, ITEM(PUSD_LISTOP_DELETE, i));
        int f = k ? tl_find(*v, *n, k) : -1;
        if (f >= 0) memmove(*v + f, *v + f + 1, (--(*n) - (size_t)f) * sizeof **v);
    }
    for (uint32_t i = 0; i < op->count[PUSD_LISTOP_ADD]; i++) {
        const char *k = item_key(s, type, ITEM(PUSD_LISTOP_ADD, i));
        if (k && tl_find(*v, *n, k) < 0) tl_push(v, n, cap, (titem){k, ITEM(PUSD_LISTOP_ADD, i), layer});
    }
    for (uint32_t i = op->count[PUSD_LISTOP_PREPEND]; i-- > 0;) {
        const char *k = item_key(s, type, ITEM(PUSD_LISTOP_PREPEND, i));
        if (!k) continue;
        int f = tl_find(*v, *n, k);
        if (f >= 0) memmove(*v + f, *v + f + 1, (--(*n) - (size_t)f) * sizeof **v);
        if (tl_push(v, n, cap, (titem){k, NULL, NULL})) continue;
        memmove(*v + 1, *v, (*n - 1) * sizeof **v);
        (*v)[0] = (titem){k, ITEM(PUSD_LISTOP_PREPEND, i), layer};
    }
    for (uint32_t i = 0; i < op->count[PUSD_LISTOP_APPEND]; i++) {
        const char *k = item_key(s, type, ITEM(PUSD_LISTOP_APPEND, i));
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
            const char *k = item_key(s, type, ITEM(PUSD_LISTOP_ORDER, i));
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
        if (e && e->value.type == type && e->value.data) tl_apply(s, type, e->value.data, nodes[i].layer, &v, &n, &cap);
    }
    *out = v;
    return n;
}

static bool in_chain(builder *b, const layer_stack *ls, const char *path) {
    for (int i = 0; i < b->depth; i++)
        if (b->chain[i]->ls == ls && !strcmp(b->chain[i]->path, path)) return true;
    return false;
}

static const char *strip_variants(pusd_stage *s, const char *p) {
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

static void arc_to(builder *b, const site *from, layer_stack *ls, const char *path, uint8_t arc, double off, double sc,
                   const char *what, const char *file) {
    if (b->depth >= MAX_ARC_DEPTH || in_chain(b, ls, path)) {
        diag(b->s, file, "composition cycle: %s arc from <%s> to <%s> leads back to itself; arc ignored", what,
             strip_variants(b->s, from->path), path);
        return;
    }
    site st;
    st.ls = ls;
    st.path = path;
    st.tag = from->tag == ARC_LOCAL || arc == ARC_SPECIALIZE ? arc : from->tag;
    st.offset = from->offset + from->scale * off;
    st.scale = from->scale * sc;
    /* stage path of `path` = mapped path of the arc's source prim */
    st.map_from = strip_variants(b->s, path);
    const char *src = strip_variants(b->s, from->path);
    if (from->map_from && !strncmp(src, from->map_from, strlen(from->map_from)))
        st.map_to = comp_str(b->s, from->map_to, src + strlen(from->map_from));
    else
        st.map_to = src;
    if (!st.map_to) return;
    expand_site(b, st);
}

static const char *variant_selection(builder *b, const char *set) {
    for (size_t i = 0; i < b->nnodes; i++) {
        const meta_entry *e = pusd__meta_find(&b->nodes[i].spec->meta, "variants");
        if (!e || e->value.type != PUSD_T_DICTIONARY || !e->value.data) continue;
        const pusd_dict *d = e->value.data;
        for (uint32_t k = 0; k < d->count; k++)
            if (!strcmp(d->entries[k].key, set) && d->entries[k].value.data &&
                pusd_tinfo(d->entries[k].value.type)->elem == PUSD_E_STR)
                return ((const char *const *)d->entries[k].value.data)[0];
    }
    return NULL;
}

static void expand_site(builder *b, site st) {
    pusd_stage *s = b->s;
    size_t first = b->nnodes;
    for (size_t i = 0; i < st.ls->n; i++) {
        pusd_primspec *sp = pusd_layer_prim(st.ls->e[i].layer, st.path);
        if (!sp) continue;
        node n = {st.ls->e[i].layer, sp, st.offset + st.scale * st.ls->e[i].offset, st.scale * st.ls->e[i].scale, NULL, st.tag};
        add_node(b, n);
    }
    size_t last = b->nnodes;
    if (first == last) return;
    /* record the site */
    if (b->nsites == b->capsites) {
        size_t nc = b->capsites ? b->capsites * 2 : 4;
        site *ns = realloc(b->sites, nc * sizeof *ns);
        if (!ns) return;
        b->sites = ns;
        b->capsites = nc;
    }
    size_t si = b->nsites++;
    b->sites[si] = st;
    for (size_t i = first; i < last; i++) b->nodes[i].site = (const site *)(uintptr_t)(si + 1); /* fixed up later */
    if (b->depth >= MAX_ARC_DEPTH) return;
    site cur = st;
    b->chain[b->depth++] = &cur;
    const char *file = b->nodes[first].layer->identifier;
    titem *v;
    size_t n;
    /* inherits */
    n = compose_listop(s, b->nodes, first, last, "inherits", PUSD_T_PATH_LISTOP, &v);
    for (size_t i = 0; i < n; i++) arc_to(b, &cur, st.ls, *(const char *const *)v[i].item, ARC_INHERIT, 0, 1, "inherits", file);
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
        if (in_chain(b, st.ls, vp)) continue;
        site vs = cur;
        vs.path = vp;
        vs.tag = cur.tag == ARC_LOCAL ? ARC_VARIANT : cur.tag;
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
            if (r->asset_path[0]) {
                char *abs = pusd__layer_resolve_asset(v[i].layer, r->asset_path);
                reg_entry *e = abs ? open_layer(s, abs, v[i].layer->identifier) : NULL;
                free(abs);
                if (!e) continue;
                tl = e->layer;
                ls = layer_stack_of(s, e);
                if (!ls) continue;
            }
            if (!target[0]) {
                pusd_value dp;
                if (pusd_layer_get_metadata(tl, "defaultPrim", &dp) || !dp.data) {
                    diag(s, v[i].layer->identifier, "%s to '%s' names no prim and that layer has no defaultPrim; ignored",
                         pass ? "payload" : "reference", r->asset_path[0] ? r->asset_path : tl->identifier);
                    continue;
                }
                target = comp_str(s, "/", ((const char *const *)dp.data)[0]);
                if (!target) continue;
            } else if (target[0] != '/') {
                /* relative to the authoring prim */
                const char *anchor = strip_variants(s, st.path);
                if (!strcmp(target, ".")) target = anchor;
                else target = comp_str(s, anchor, target[0] == '.' && target[1] == '.' ? NULL : NULL);
            }
            bool found = false;
            for (size_t k = 0; k < ls->n && !found; k++) found = pusd_layer_prim(ls->e[k].layer, target) != NULL;
            if (!found) {
                diag(s, v[i].layer->identifier, "%s target <%s> not found in '%s' (from <%s>)", pass ? "payload" : "reference",
                     target, ls->e[0].layer->identifier, strip_variants(s, st.path));
                continue;
            }
            arc_to(b, &cur, ls, target, pass ? ARC_PAYLOAD : ARC_REFERENCE, r->offset, r->scale, pass ? "payload" : "reference", file);
        }
        free(v);
    }
    /* specializes */
    n = compose_listop(s, b->nodes, first, last, "specializes", PUSD_T_PATH_LISTOP, &v);
    for (size_t i = 0; i < n; i++) arc_to(b, &cur, st.ls, *(const char *const *)v[i].item, ARC_SPECIALIZE, 0, 1, "specializes", file);
    free(v);
    b->depth--;
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

static int cmp_tag(const void *a, const void *b) {
    const node *x = a, *y = b;
    if (x->tag != y->tag) return x->tag - y->tag;
    return x < y ? -1 : x > y;
}

static void finish_prim(builder *b, pusd_prim *p) {
    pusd_stage *s = b->s;
    /* stable sort by arc class: keep expansion order within a class */
    node *tmp = b->nodes;
    for (size_t i = 0; i < b->nnodes; i++) tmp[i].offset = tmp[i].offset; /* no-op keeps order */
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
    (void)cmp_tag;
    /* a prim whose one site is its own path in the root layer stack shares the pseudo root's site
     * (only the path differs, and that is the prim's path: see compose_prim) */
    const site *b0 = b->nsites == 1 ? &b->sites[0] : NULL;
    bool shared = b0 && s->pseudo && s->pseudo->sites && b0->ls == s->root_ls && b0->tag == ARC_LOCAL && b0->offset == 0 &&
                  b0->scale == 1 && b0->map_from && b0->map_to && !strcmp(b0->map_from, "/") && !strcmp(b0->map_to, "/") &&
                  !strcmp(b0->path, p->path);
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
    p->specifier = 'o';
    for (uint32_t i = 0; i < p->nnodes; i++) {
        if (!p->type_name && p->nodes[i].spec->type_name) p->type_name = p->nodes[i].spec->type_name;
        if (p->specifier == 'o' && p->nodes[i].spec->specifier != 'o') p->specifier = p->nodes[i].spec->specifier;
    }
    p->active = true;
    for (uint32_t i = 0; i < p->nnodes; i++) {
        const meta_entry *e = pusd__meta_find(&p->nodes[i].spec->meta, "active");
        if (e && e->value.type == PUSD_T_BOOL && e->value.data) {
            p->active = ((const uint8_t *)e->value.data)[0] != 0;
            break;
        }
    }
    /* apiSchemas */
    const char **list = NULL;
    size_t n = 0, cap = 0;
    for (uint32_t i = p->nnodes; i-- > 0;) {
        const meta_entry *e = pusd__meta_find(&p->nodes[i].spec->meta, "apiSchemas");
        if (e && e->value.type == PUSD_T_TOKEN_LISTOP && e->value.data) pusd__listop_apply_strings(e->value.data, &list, &n, &cap);
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

static pusd_prim *compose_prim(pusd_stage *s, pusd_prim *parent, const char *name, const site *psites, uint32_t npsites, int depth);

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

/* Children names of a prim with nodes [0, nn): union over the nodes (strongest first), then the
 * strongest `reorder nameChildren`. Returns a malloc'ed array (NULL when empty). */
static size_t kid_names(const node *nodes, uint32_t nn, const char ***out) {
    const char **names = NULL;
    size_t n = 0, cap = 0;
    for (uint32_t i = 0; i < nn; i++) {
        const pusd_primspec *sp = nodes[i].spec;
        for (const pusd_primspec *c = sp->first_child; c; c = c->next) {
            bool seen = false;
            if (i > 0) /* a spec's children are unique already; only dedupe across nodes */
                for (size_t k = 0; k < n && !seen; k++) seen = !strcmp(names[k], c->name);
            if (seen) continue;
            if (n == cap) {
                const char **nn2 = realloc(names, (cap = cap ? cap * 2 : 16) * sizeof *names);
                if (!nn2) break;
                names = nn2;
            }
            names[n++] = c->name;
        }
    }
    for (uint32_t i = 0; i < nn; i++) {
        const pusd_primspec *sp = nodes[i].spec;
        const char *const *ord = sp->parent ? (sp->ext ? sp->ext->reorder_children : NULL) : nodes[i].layer->reorder_root;
        uint32_t no = sp->parent ? (sp->ext ? sp->ext->n_reorder_children : 0) : nodes[i].layer->n_reorder_root;
        if (!no) continue;
        pusd_listop lo = {0};
        lo.count[PUSD_LISTOP_ORDER] = no;
        lo.items[PUSD_LISTOP_ORDER] = ord;
        pusd__listop_apply_strings(&lo, &names, &n, &cap);
        break;
    }
    *out = names;
    return n;
}

static bool has_reorder(const node *n) {
    return n->spec->parent ? (n->spec->ext && n->spec->ext->n_reorder_children) : n->layer->n_reorder_root != 0;
}

/* The nodes of child `name` of a local prim (nodes of a local prim are its root-layer-stack specs). */
static uint32_t local_kid_nodes(const node *pn, uint32_t npn, const char *name, node *out) {
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

/* Composes the children list of p: names and slots; children that need composition work (arcs in
 * their subtree, or p not local) are composed now, the others on first access. */
static void build_kids(pusd_stage *s, pusd_prim *p, int depth) {
    p->depth = depth;
    if (!p->active && p->parent) return;
    if (depth > 400) {
        diag(s, s->root->identifier, "namespace too deep below <%s>", p->path);
        return;
    }
    const char **names = NULL;
    size_t n = 0;
    bool fast = p->local && p->nnodes == 1 && !has_reorder(&p->nodes[0]);
    if (fast) {
        for (const pusd_primspec *c = p->nodes[0].spec->first_child; c; c = c->next) n++;
        if (!n) return;
        names = pusd__ar_alloc(&s->comp, n * sizeof *names);
        if (!names) return;
        size_t i = 0;
        for (const pusd_primspec *c = p->nodes[0].spec->first_child; c; c = c->next) names[i++] = c->name;
    } else {
        const char **tmp;
        n = kid_names(p->nodes, p->nnodes, &tmp);
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
            lazy = kids_lazy(kn, local_kid_nodes(p->nodes, p->nnodes, names[i], kn));
        if (!lazy) p->children[i] = compose_prim(s, p, names[i], p->sites, p->nsites, depth + 1);
    }
    if (kn != stackbuf) free(kn);
}

/* Child i of p, composed on first access. */
static pusd_prim *kid(pusd_prim *p, uint32_t i) {
    if (i >= p->nchildren) return NULL;
    if (!p->children[i]) p->children[i] = compose_prim(p->stage, p, p->kid_names[i], p->sites, p->nsites, p->depth + 1);
    return p->children[i];
}

/* Index of child `name` (n bytes) of p, or -1. Large child lists get a hash index on first use. */
static long kid_find(pusd_prim *p, const char *name, size_t n) {
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

static pusd_prim *compose_prim(pusd_stage *s, pusd_prim *parent, const char *name, const site *psites, uint32_t npsites, int depth) {
    pusd_prim *p = pusd__ar_calloc(&s->comp, sizeof *p);
    if (!p) return NULL;
    p->stage = s;
    p->parent = parent;
    p->name = name;
    p->path = child_path(s, parent->path, name);
    if (!p->path) return NULL;
    builder b = {0};
    b.s = s;
    for (uint32_t i = 0; i < npsites; i++) {
        site st = psites[i];
        st.path = parent->local ? p->path : child_path(s, psites[i].path, name);
        if (!st.path) continue;
        /* the expansion of an ancestral site restarts arc chains */
        b.depth = 0;
        expand_site(&b, st);
    }
    finish_prim(&b, p);
    free(b.sites);
    free(b.nodes);
    p->local = p->nsites == 1 && p->sites[0].ls == s->root_ls && p->sites[0].tag == ARC_LOCAL &&
               p->sites[0].map_from && p->sites[0].map_to && !strcmp(p->sites[0].map_from, p->sites[0].map_to);
    hash_prim(s, p);
    build_kids(s, p, depth);
    return p;
}

static void compose(pusd_stage *s) {
    pusd__ar_free_all(&s->comp);
    free(s->hash);
    s->hash = NULL;
    s->hash_cap = s->nprims = 0;
    free_layer_stacks(s);
    s->root_ls = NULL;
    /* keep only non-compose diagnostics? all are compose diagnostics: reset */
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
    reg_entry *re = reg_of_layer(s, s->root);
    layer_stack *ls = re ? layer_stack_of(s, re) : NULL;
    if (!ls) return;
    s->root_ls = ls;
    for (size_t i = 0; i < ls->n; i++) mark_arcs(&ls->e[i].layer->root, 0);
    pr->sites = pusd__ar_alloc(&s->comp, sizeof *pr->sites);
    if (!pr->sites) return;
    pr->sites[0] = (site){ls, "/", "/", "/", 0, 1, ARC_LOCAL};
    pr->nsites = 1;
    pr->nodes = pusd__ar_alloc(&s->comp, ls->n * sizeof *pr->nodes);
    if (!pr->nodes) return;
    for (size_t i = 0; i < ls->n; i++)
        pr->nodes[pr->nnodes++] = (node){ls->e[i].layer, &ls->e[i].layer->root, ls->e[i].offset, ls->e[i].scale, &pr->sites[0], 0};
    pr->local = true;
    hash_prim(s, pr);
    build_kids(s, pr, 0);
}

static void ensure(pusd_stage *s) {
    if (s->dirty || !s->pseudo) compose(s);
}

/* ---- stage lifetime ------------------------------------------------------------------------------- */

static pusd_stage *stage_alloc(pusd_layer *root) {
    pusd_stage *s = calloc(1, sizeof *s);
    if (!s) return NULL;
    s->root = root;
    s->edit = root;
    if (!reg_add(s, root->identifier, root)) {
        free(s);
        return NULL;
    }
    return s;
}

int pusd_stage_from_layer(pusd_layer *root, pusd_stage **out, pusd_error *err) {
    *out = stage_alloc(root);
    if (!*out) {
        pusd_set_error(err, PUSD_ERR_NOMEM, root->identifier, 0, 0, "out of memory");
        pusd_layer_free(root);
        return PUSD_ERR_NOMEM;
    }
    compose(*out);
    return 0;
}

int pusd_stage_open(const char *path, pusd_stage **out, pusd_error *err) {
    *out = NULL;
    pusd_layer *l;
    int rc = pusd_layer_open(path, &l, err);
    if (rc) return rc;
    return pusd_stage_from_layer(l, out, err);
}

pusd_stage *pusd_stage_new(const char *identifier) {
    pusd_layer *l = pusd_layer_new(identifier);
    if (!l) return NULL;
    pusd_stage *s;
    if (pusd_stage_from_layer(l, &s, NULL)) return NULL;
    return s;
}

void pusd_stage_free(pusd_stage *s) {
    if (!s) return;
    free_layer_stacks(s);
    for (size_t i = 0; i < s->nreg; i++) {
        pusd_layer_free(s->reg[i].layer);
        free(s->reg[i].path);
    }
    free(s->reg);
    pusd__ar_free_all(&s->comp);
    pusd__ar_free_all(&s->scratch);
    pusd__interner_free(&s->scratch_strings);
    free(s->hash);
    free(s->diags);
    free(s);
}

pusd_layer *pusd_stage_root_layer(pusd_stage *s) { return s->root; }

int pusd_stage_set_edit_target(pusd_stage *s, pusd_layer *l) {
    ensure(s);
    reg_entry *re = reg_of_layer(s, s->root);
    layer_stack *ls = re ? layer_stack_of(s, re) : NULL;
    for (size_t i = 0; ls && i < ls->n; i++)
        if (ls->e[i].layer == l) {
            s->edit = l;
            return 0;
        }
    return PUSD_ERR_INVALID;
}

pusd_layer *pusd_stage_edit_target(pusd_stage *s) { return s->edit; }

pusd_layer *pusd_stage_add_output_sublayer(pusd_stage *s, const char *asset, pusd_error *err) {
    char *abs = pusd__layer_resolve_asset(s->root, asset);
    if (!abs) {
        pusd_set_error(err, PUSD_ERR_INVALID, s->root->identifier, 0, 0, "empty sublayer path");
        return NULL;
    }
    reg_entry *e = reg_find(s, abs);
    pusd_layer *l = e ? e->layer : NULL;
    if (!l) {
        if (access(abs, F_OK) == 0) {
            if (pusd_layer_open(abs, &l, err)) {
                free(abs);
                return NULL;
            }
        } else
            l = pusd_layer_new(abs);
        if (!l || (e ? (e->layer = l, e->failed = false, 0) : !reg_add(s, abs, l))) {
            if (!e) pusd_layer_free(l);
            free(abs);
            pusd_set_error(err, PUSD_ERR_NOMEM, s->root->identifier, 0, 0, "out of memory");
            return NULL;
        }
        l->dirty = true;
    }
    free(abs);
    bool present = false;
    for (uint32_t i = 0; i < s->root->n_sublayers; i++)
        if (!strcmp(s->root->sublayers[i].asset, asset)) present = true;
    if (!present) {
        if (pusd_layer_add_sublayer(s->root, asset, 0, 1)) return NULL;
        sublayer_ref last = s->root->sublayers[s->root->n_sublayers - 1];
        memmove(s->root->sublayers + 1, s->root->sublayers, (s->root->n_sublayers - 1) * sizeof last);
        s->root->sublayers[0] = last;
    }
    s->dirty = true;
    return l;
}

/* ---- prim queries -------------------------------------------------------------------------------------- */

pusd_prim *pusd_stage_pseudo_root(pusd_stage *s) {
    ensure(s);
    return s->pseudo;
}

pusd_prim *pusd_stage_prim_at_path(pusd_stage *s, const char *path) {
    ensure(s);
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
        long i = kid_find(cur, q, (size_t)(e - q));
        if (i < 0 || !(cur = kid(cur, (uint32_t)i))) return NULL;
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
size_t pusd_prim_child_count(const pusd_prim *p) { return p->nchildren; }
pusd_prim *pusd_prim_child(const pusd_prim *p, size_t i) { return i < p->nchildren ? kid((pusd_prim *)p, (uint32_t)i) : NULL; }
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
        if (e && e->value.type == PUSD_T_TOKEN_LISTOP && e->value.data) pusd__listop_apply_strings(e->value.data, &list, &cnt, &cap);
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
    if (nn == 1 && !has_reorder(n)) {
        for (pusd_primspec *c = n->spec->first_child; c; c = c->next) {
            node k = *n;
            k.spec = c;
            vvisit(&k, 1, depth + 1, f, calls);
        }
        return;
    }
    const char **names;
    size_t cnt = kid_names(n, nn, &names);
    node *kn = malloc(nn * sizeof *kn);
    for (size_t i = 0; kn && i < cnt; i++) {
        uint32_t k = local_kid_nodes(n, nn, names[i], kn);
        if (k) vvisit(kn, k, depth + 1, f, calls);
    }
    free(kn);
    free(names);
}

static bool trav(pusd_prim *p, const pusd_filter *f, bool (*fn)(pusd_prim *, void *), void *ctx, size_t *calls) {
    node stackbuf[8], *kn = NULL;
    for (uint32_t i = 0; i < p->nchildren; i++) {
        pusd_prim *c = p->children[i];
        if (!c && !fn && p->local) { /* counting only: no need to compose the lazy subtree */
            if (!kn) kn = p->nnodes <= 8 ? stackbuf : malloc(p->nnodes * sizeof *kn);
            if (kn) {
                uint32_t k = local_kid_nodes(p->nodes, p->nnodes, p->kid_names[i], kn);
                if (k) vvisit(kn, k, p->depth + 1, f, calls);
                continue;
            }
        }
        if (!c && !(c = kid(p, i))) continue;
        bool all = f && (f->flags & PUSD_TRAVERSE_ALL);
        if (!all && !(c->active && c->specifier == 'd')) continue; /* prune like UsdPrimDefaultPredicate */
        if (matches(c, f)) {
            (*calls)++;
            if (fn && !fn(c, ctx)) {
                if (kn != stackbuf) free(kn);
                return false;
            }
        }
        if (!trav(c, f, fn, ctx, calls)) {
            if (kn != stackbuf) free(kn);
            return false;
        }
    }
    if (kn != stackbuf) free(kn);
    return true;
}

size_t pusd_stage_traverse(pusd_stage *s, const pusd_filter *f, bool (*fn)(pusd_prim *, void *), void *ctx) {
    ensure(s);
    size_t calls = 0;
    if (s->pseudo) trav(s->pseudo, f, fn, ctx, &calls);
    return calls;
}

int pusd_prim_get_metadata(const pusd_prim *p, const char *key, pusd_value *out) {
    for (uint32_t i = 0; i < p->nnodes; i++) {
        const meta_entry *e = pusd__meta_find(&p->nodes[i].spec->meta, key);
        if (e) {
            *out = e->value;
            out->flags &= 0xffu;
            return 0;
        }
    }
    return PUSD_ERR_NOT_FOUND;
}

const char *pusd_prim_variant_selection(const pusd_prim *p, const char *set) {
    for (uint32_t i = 0; i < p->nnodes; i++) {
        const meta_entry *e = pusd__meta_find(&p->nodes[i].spec->meta, "variants");
        if (!e || e->value.type != PUSD_T_DICTIONARY || !e->value.data) continue;
        const pusd_dict *d = e->value.data;
        for (uint32_t k = 0; k < d->count; k++)
            if (!strcmp(d->entries[k].key, set) && d->entries[k].value.data && pusd_tinfo(d->entries[k].value.type)->elem == PUSD_E_STR)
                return ((const char *const *)d->entries[k].value.data)[0];
    }
    return "";
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
            if (n == cap) {
                const char **nv = realloc(v, (cap = cap ? cap * 2 : 16) * sizeof *v);
                if (!nv) break;
                v = nv;
            }
            v[n++] = ps->name;
        }
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

static const prop_spec *strongest_prop(const pusd_prim *p, const char *name, uint32_t *node_idx) {
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
    const prop_spec *ps = strongest_prop(p, name, NULL);
    return ps && PS_IS_REL(ps);
}

const char *pusd_prim_attr_type_name(const pusd_prim *p, const char *name) {
    const prop_spec *ps = strongest_prop(p, name, NULL);
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

static int interpolate(pusd_stage *s, const pusd_value *a, const pusd_value *b, double t, pusd_value *out) {
    const type_info *ti = pusd_tinfo(a->type);
    if (!pusd_type_interpolates(a->type) || !a->data || !b->data || a->count != b->count || (a->flags | b->flags) & PUSD_VF_BLOCKED) {
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
            if (ti->elem == PUSD_E_DOUBLE) ((double *)d)[k] = r[c];
            else if (ti->elem == PUSD_E_FLOAT) ((float *)d)[k] = (float)r[c];
            else ((uint16_t *)d)[k] = pusd_float_to_half((float)r[c]);
        }
    }
    *out = *a;
    out->data = d;
    return 0;
}

int pusd_prim_get_attr(pusd_prim *p, const char *name, double time, pusd_value *out) {
    for (uint32_t i = 0; i < p->nnodes; i++) {
        const prop_spec *ps = pusd__prim_prop(p->nodes[i].spec, name);
        if (!ps || PS_IS_REL(ps)) continue;
        const prop_extra *x = ps->x;
        if (time != PUSD_TIME_DEFAULT && x && x->has_samples && x->nsamples) {
            double off = p->nodes[i].offset, sc = p->nodes[i].scale ? p->nodes[i].scale : 1;
            double lt = (time - off) / sc;
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
                if (smp[mid].time <= lt) lo = mid;
                else hi = mid;
            }
            if (smp[lo].time == lt) {
                *out = smp[lo].value;
                return 0;
            }
            double f = (lt - smp[lo].time) / (smp[hi].time - smp[lo].time);
            return interpolate(p->stage, &smp[lo].value, &smp[hi].value, f, out);
        }
        if (ps->dflt.data || (ps->dflt.flags & PUSD_VF_BLOCKED)) {
            *out = ps->dflt;
            out->flags &= 0xffu;
            return 0;
        }
        if (x && x->has_samples && x->nsamples) { /* default requested, only samples: none */
            continue;
        }
    }
    memset(out, 0, sizeof *out);
    return PUSD_ERR_NOT_FOUND;
}

size_t pusd_prim_attr_sample_times(pusd_prim *p, const char *name, const double **times) {
    *times = NULL;
    for (uint32_t i = 0; i < p->nnodes; i++) {
        const prop_spec *ps = pusd__prim_prop(p->nodes[i].spec, name);
        if (!ps || PS_IS_REL(ps)) continue;
        if (ps->x && ps->x->has_samples) {
            double *t = pusd__ar_alloc(&p->stage->scratch, (ps->x->nsamples + 1) * sizeof *t);
            if (!t) return 0;
            for (uint32_t k = 0; k < ps->x->nsamples; k++) t[k] = p->nodes[i].offset + p->nodes[i].scale * ps->x->samples[k].time;
            *times = t;
            return ps->x->nsamples;
        }
        if (ps->dflt.data || (ps->dflt.flags & PUSD_VF_BLOCKED)) return 0;
    }
    return 0;
}

/* Absolute stage path for a target authored in node n's namespace by the spec at spec_path. */
static const char *map_target(pusd_stage *s, const node *n, const char *target) {
    char spec_path[2048];
    pusd__layer_prim_path(n->spec, spec_path, sizeof spec_path);
    const char *anchor = strip_variants(s, spec_path);
    char buf[4096];
    if (target[0] == '/') snprintf(buf, sizeof buf, "%s", target);
    else {
        /* relative: "../X", ".foo", "X" */
        snprintf(buf, sizeof buf, "%s", anchor);
        const char *t = target;
        while (!strncmp(t, "../", 3) || !strcmp(t, "..")) {
            char *sl = strrchr(buf, '/');
            if (sl && sl != buf) *sl = 0;
            else strcpy(buf, "/");
            t += t[2] ? 3 : 2;
        }
        if (!strcmp(t, ".")) t = "";
        size_t bl = strlen(buf);
        if (t[0] == '.') snprintf(buf + bl, sizeof buf - bl, "%s", t);
        else if (t[0]) snprintf(buf + bl, sizeof buf - bl, "%s%s", bl == 1 ? "" : "/", t);
    }
    const site *st = n->site;
    if (st && st->map_from && st->map_to && strcmp(st->map_from, st->map_to)) {
        size_t fl = strlen(st->map_from);
        if (!strncmp(buf, st->map_from, fl) && (buf[fl] == 0 || buf[fl] == '/' || buf[fl] == '.')) {
            char out[4096];
            snprintf(out, sizeof out, "%s%s", st->map_to, buf + fl);
            return pusd__intern(&s->scratch_strings, &s->scratch, out, strlen(out));
        }
    }
    return pusd__intern(&s->scratch_strings, &s->scratch, buf, strlen(buf));
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
            for (uint32_t j = 0; j < lo->count[k]; j++) it[j] = map_target(s, &p->nodes[i], ((const char *const *)lo->items[k])[j]);
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
        if (ps->dflt.data) v = &ps->dflt;
        else if (ps->x && ps->x->has_samples && ps->x->nsamples && ps->x->samples[0].value.data) v = &ps->x->samples[0].value;
        if (!v) continue;
        if ((v->type != PUSD_T_ASSET && v->type != PUSD_T_STRING) || (v->flags & PUSD_VF_ARRAY)) return NULL;
        const char *a = ((const char *const *)v->data)[0];
        char *abs = pusd__layer_resolve_asset(p->nodes[i].layer, a);
        if (!abs) return NULL;
        const char *r = pusd__intern(&p->stage->scratch_strings, &p->stage->scratch, abs, strlen(abs));
        free(abs);
        return r;
    }
    return NULL;
}

/* ---- authoring ------------------------------------------------------------------------------------- */

static bool valid_ident(const char *s, size_t n, bool ns) {
    if (!n || !(s[0] == '_' || (unsigned)((s[0] | 32) - 'a') < 26u || (unsigned char)s[0] >= 0x80)) return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!(c == '_' || (unsigned)((c | 32) - 'a') < 26u || (c >= '0' && c <= '9') || c >= 0x80 || (ns && c == ':' && i + 1 < n && s[i + 1] != ':')))
            return false;
    }
    return true;
}

/* Finds or creates the spec chain for path in the edit target. */
static pusd_primspec *author_prim(pusd_stage *s, const char *path, char spec, const char *type, bool set_spec, pusd_error *err) {
    pusd_layer *l = s->edit;
    if (!path || path[0] != '/' || !path[1]) {
        pusd_set_error(err, PUSD_ERR_INVALID, l->identifier, 0, 0, "'%s' is not an absolute prim path like /World/Cube", path ? path : "(null)");
        return NULL;
    }
    pusd_primspec *cur = &l->root;
    const char *p = path + 1;
    while (*p) {
        const char *e = strchr(p, '/');
        if (!e) e = p + strlen(p);
        size_t n = (size_t)(e - p);
        if (!valid_ident(p, n, false)) {
            pusd_set_error(err, PUSD_ERR_INVALID, l->identifier, 0, 0, "'%.*s' in path '%s' is not a valid prim name", (int)n, p, path);
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

int pusd_stage_set_attr(pusd_stage *s, const char *path, const char *name, const char *type_name, bool uniform, double time,
                        const pusd_value *v, pusd_error *err) {
    pusd_layer *l = s->edit;
    if (!name || !valid_ident(name, strlen(name), true)) {
        pusd_set_error(err, PUSD_ERR_INVALID, l->identifier, 0, 0, "'%s' is not a valid attribute name", name ? name : "(null)");
        return PUSD_ERR_INVALID;
    }
    char base[64];
    snprintf(base, sizeof base, "%s", type_name ? type_name : "");
    size_t bl = strlen(base);
    bool arr = bl > 2 && !strcmp(base + bl - 2, "[]");
    if (arr) base[bl - 2] = 0;
    int type = pusd_type_from_name(base);
    if (type == PUSD_T_INVALID || type == PUSD_T_OPAQUE || type == PUSD_T_GROUP) {
        pusd_set_error(err, PUSD_ERR_TYPE, l->identifier, 0, 0, "unknown value type '%s' for attribute '%s'", type_name ? type_name : "(null)", name);
        return PUSD_ERR_TYPE;
    }
    if (v && !(v->flags & PUSD_VF_BLOCKED) && (v->type != type || ((v->flags & PUSD_VF_ARRAY) != 0) != arr || !v->data)) {
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
        pusd_set_error(err, PUSD_ERR_TYPE, l->identifier, 0, 0, "'%s' on <%s> is already declared as %s", name, path, PS_IS_REL(ps) ? "a relationship" : pusd__prop_type_name(ps));
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

int pusd_stage_set_targets(pusd_stage *s, const char *path, const char *name, bool connections, const char *const *targets,
                           size_t n, pusd_error *err) {
    pusd_layer *l = s->edit;
    if (!name || !valid_ident(name, strlen(name), true)) {
        pusd_set_error(err, PUSD_ERR_INVALID, l->identifier, 0, 0, "'%s' is not a valid property name", name ? name : "(null)");
        return PUSD_ERR_INVALID;
    }
    for (size_t i = 0; i < n; i++)
        if (!targets[i] || !targets[i][0] || strchr(targets[i], '>') || strchr(targets[i], '\n')) {
            pusd_set_error(err, PUSD_ERR_INVALID, l->identifier, 0, 0, "invalid target path '%s'", targets[i] ? targets[i] : "(null)");
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
        pusd_set_error(err, PUSD_ERR_TYPE, l->identifier, 0, 0, "'%s' on <%s> is %s", name, path, PS_IS_REL(ps) ? "a relationship" : "an attribute");
        return PUSD_ERR_TYPE;
    }
    if (!ps && connections) {
        pusd_set_error(err, PUSD_ERR_NOT_FOUND, l->identifier, 0, 0, "declare attribute '%s' on <%s> before connecting it", name, path);
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

int pusd_stage_set_prim_metadata(pusd_stage *s, const char *path, const char *key, const pusd_value *v, pusd_error *err) {
    pusd_layer *l = s->edit;
    if (!key || !valid_ident(key, strlen(key), false)) {
        pusd_set_error(err, PUSD_ERR_INVALID, l->identifier, 0, 0, "'%s' is not a valid metadata key", key ? key : "(null)");
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
        pusd_set_error(err, PUSD_ERR_INVALID, l->identifier, 0, 0, "'%s' is not a valid API schema name", api ? api : "(null)");
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

int pusd_stage_add_reference(pusd_stage *s, const char *path, const char *asset, const char *prim_path, pusd_error *err) {
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
    ensure(s);
    reg_entry *re = reg_of_layer(s, s->root);
    layer_stack *ls = re ? layer_stack_of(s, re) : NULL;
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

static bool arc_key(const char *k) {
    return !strcmp(k, "references") || !strcmp(k, "payload") || !strcmp(k, "inherits") || !strcmp(k, "specializes") ||
           !strcmp(k, "variantSets") || !strcmp(k, "variants") || !strcmp(k, "apiSchemas");
}

static int remap_sample_copy(pusd_layer *out, prop_spec *dst, const prop_spec *src, const node *n) {
    prop_extra *x = pusd__prop_x(out, dst);
    if (!x) return -1;
    x->samples = pusd__ar_alloc(&out->arena, (src->x->nsamples ? src->x->nsamples : 1) * sizeof *x->samples);
    if (!x->samples) return -1;
    for (uint32_t i = 0; i < src->x->nsamples; i++) {
        x->samples[i].time = n->offset + n->scale * src->x->samples[i].time;
        if (pusd__value_copy(&out->arena, &out->strings, &x->samples[i].value, &src->x->samples[i].value)) return -1;
    }
    x->nsamples = src->x->nsamples;
    x->has_samples = true;
    return 0;
}

static int flatten_prim(pusd_stage *s, pusd_layer *out, pusd_primspec *parent, pusd_prim *p) {
    const char *tn = p->type_name ? pusd__intern(&out->strings, &out->arena, p->type_name, strlen(p->type_name)) : NULL;
    pusd_primspec *sp = pusd__layer_new_prim(out, parent, p->name, strlen(p->name), p->specifier, tn);
    if (!sp) return -1;
    /* metadata: strongest opinion per key; arcs are gone after flattening */
    for (uint32_t i = 0; i < p->nnodes; i++)
        for (const meta_entry *e = p->nodes[i].spec->meta.head; e; e = e->next) {
            if (arc_key(e->key)) continue;
            const char *k = pusd__intern(&out->strings, &out->arena, e->key, strlen(e->key));
            if (!k) return -1;
            if (pusd__meta_find(&sp->meta, k)) continue;
            meta_entry *me = pusd__meta_set(out, &sp->meta, k);
            if (!me || pusd__value_copy(&out->arena, &out->strings, &me->value, &e->value)) return -1;
            ME_SET_OP(me, ME_OP(e));
        }
    if (p->napi) {
        pusd_listop *lo = pusd__ar_calloc(&out->arena, sizeof *lo);
        const char **it = pusd__ar_alloc(&out->arena, p->napi * sizeof *it);
        const char *k = pusd__intern(&out->strings, &out->arena, "apiSchemas", 10);
        if (!lo || !it || !k) return -1;
        for (uint32_t i = 0; i < p->napi; i++) it[i] = pusd__intern(&out->strings, &out->arena, p->api[i], strlen(p->api[i]));
        lo->is_explicit = false;
        lo->count[PUSD_LISTOP_PREPEND] = p->napi;
        lo->items[PUSD_LISTOP_PREPEND] = it;
        meta_entry *me = pusd__meta_set(out, &sp->meta, k);
        if (!me) return -1;
        me->value = (pusd_value){PUSD_T_TOKEN_LISTOP, 0, 1, lo};
    }
    size_t np = pusd_prim_property_count(p);
    for (size_t i = 0; i < np; i++) {
        const char *name = pusd_prim_property_name(p, i);
        uint32_t ni;
        const prop_spec *src = strongest_prop(p, name, &ni);
        if (!src) continue;
        prop_spec *dst = pusd__prim_new_prop(out, sp, pusd__intern(&out->strings, &out->arena, name, strlen(name)));
        if (!dst || !dst->name) return -1;
        uint16_t bits = src->dflt.flags & 0xff00u;
        dst->dflt.type = src->dflt.type;
        dst->dflt.flags = (uint16_t)(bits | (src->dflt.flags & PUSD_VF_ARRAY));
        if (src->x && src->x->type_name) {
            prop_extra *x = pusd__prop_x(out, dst);
            if (!x || !(x->type_name = pusd__intern(&out->strings, &out->arena, src->x->type_name, strlen(src->x->type_name)))) return -1;
        }
        bool got_default = false, got_samples = false;
        for (uint32_t k = ni; k < p->nnodes; k++) {
            const prop_spec *ps = pusd__prim_prop(p->nodes[k].spec, name);
            if (!ps) continue;
            if (!got_default && (ps->dflt.data || (ps->dflt.flags & PUSD_VF_BLOCKED))) {
                if (pusd__value_copy(&out->arena, &out->strings, &dst->dflt, &ps->dflt)) return -1;
                dst->dflt.flags = (uint16_t)(bits | (dst->dflt.flags & 0xffu));
                got_default = true;
            }
            if (!got_samples && ps->x && ps->x->has_samples) {
                if (remap_sample_copy(out, dst, ps, &p->nodes[k])) return -1;
                got_samples = true;
            }
            if (ps->x)
                for (const meta_entry *e = ps->x->meta.head; e; e = e->next) {
                    prop_extra *x = pusd__prop_x(out, dst);
                    const char *key = pusd__intern(&out->strings, &out->arena, e->key, strlen(e->key));
                    if (!x || !key) return -1;
                    if (pusd__meta_find(&x->meta, key)) continue;
                    meta_entry *me = pusd__meta_set(out, &x->meta, key);
                    if (!me || pusd__value_copy(&out->arena, &out->strings, &me->value, &e->value)) return -1;
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
            for (size_t k = 0; k < nt; k++) it[k] = pusd__ar_strdup(&out->arena, t[k]);
            lo->is_explicit = true;
            lo->count[0] = (uint32_t)nt;
            lo->items[0] = it;
            x->targets = lo;
        }
    }
    for (uint32_t i = 0; i < p->nchildren; i++) {
        pusd_prim *c = kid(p, i);
        if (c && flatten_prim(s, out, sp, c)) return -1;
    }
    return 0;
}

pusd_layer *pusd_stage_flatten(pusd_stage *s, pusd_error *err) {
    ensure(s);
    pusd_layer *out = pusd_layer_new(s->root->identifier);
    if (!out) goto nomem;
    /* layer metadata of the root layer, minus sublayers (flattened) */
    for (const meta_entry *e = s->root->meta.head; e; e = e->next) {
        const char *k = pusd__intern(&out->strings, &out->arena, e->key, strlen(e->key));
        meta_entry *me = k ? pusd__meta_set(out, &out->meta, k) : NULL;
        if (!me || pusd__value_copy(&out->arena, &out->strings, &me->value, &e->value)) goto nomem;
        ME_SET_OP(me, ME_OP(e));
    }
    for (uint32_t i = 0; i < s->pseudo->nchildren; i++) {
        pusd_prim *c = kid(s->pseudo, i);
        if (c && flatten_prim(s, out, &out->root, c)) goto nomem;
    }
    return out;
nomem:
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

pusd_stage *pusd__prim_stage(pusd_prim *p) { return p->stage; }
const char *pusd__stage_intern(pusd_stage *s, const char *str) { return pusd__intern(&s->scratch_strings, &s->scratch, str, strlen(str)); }
