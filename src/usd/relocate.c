/* Relocates (`relocates = { </Src>: </Dst> }` layer metadata), applied per
 * layer stack as Pcp applies them: at every node of a layer stack that authors
 * relocates, the prim at Src (brought in by an ancestral arc) moves to Dst
 * with its arcs' opinions; Src and its subtree no longer exist there and
 * opinions at Src in that layer stack are ignored; opinions at Dst are
 * stronger than the moved ones; paths mapped across an arc from that layer
 * stack (targets, connections authored below it) follow the move. The
 * stronger layer's entry wins for one source. An empty Dst (`</Src>: <>`)
 * deletes Src. The root layer stack's relocates also map every stage path. */
#include <stdlib.h>

#include "stage_internal.h"

typedef struct reloc_vec {
    reloc **v;
    size_t *n, *cap;
} reloc_vec;

static int add_reloc(pusd_stage *s, reloc_vec t, const pusd_layer *l, const char *src, size_t ns, const char *dst,
                     size_t nd) {
    for (size_t i = 0; i < *t.n; i++)
        if (strlen((*t.v)[i].src) == ns && !strncmp((*t.v)[i].src, src, ns)) return 0; /* a stronger layer's */
    char *a = pusd__ar_alloc(&s->comp, ns + 1), *b = pusd__ar_alloc(&s->comp, nd + 1);
    if (!a || !b) return -1;
    memcpy(a, src, ns);
    a[ns] = 0;
    memcpy(b, dst, nd);
    b[nd] = 0;
    if (!PBASE_RESERVE(*t.v, *t.cap, *t.n + 1)) return -1;
    (*t.v)[(*t.n)++] = (reloc){a, b, l};
    return 0;
}

/* The next <path> in text: its start and length (without the brackets), or NULL. */
static const char *next_path(const char *t, size_t *n, const char **end) {
    const char *a = strchr(t, '<'), *b = a ? strchr(a, '>') : NULL;
    if (!b) return NULL;
    *n = (size_t)(b - a - 1);
    *end = b + 1;
    return a + 1;
}

static bool valid_prim_path(const char *p, size_t n) {
    if (n < 2 || p[0] != '/' || p[n - 1] == '/') return false;
    for (size_t i = 0; i < n; i++)
        if (p[i] == '.' || p[i] == '{' || p[i] == '[' || (p[i] == '/' && p[i + 1] == '/')) return false;
    return true;
}

/* One layer's relocates (kept as raw text by the reader): pairs of absolute prim paths. */
static void layer_relocs(pusd_stage *s, pusd_layer *l, reloc_vec out) {
    pusd_value v;
    if (pusd_layer_get_metadata(l, "relocates", &v) || v.type != PUSD_T_RAW || !v.data) return;
    const char *t = ((const char *const *)v.data)[0], *e1, *e2;
    size_t n1, n2;
    for (const char *a; (a = next_path(t, &n1, &e1));) {
        const char *b = next_path(e1, &n2, &e2);
        if (!b) break;
        t = e2;
        /* an empty target deletes the source (Pcp's relocates to <>) */
        if (!valid_prim_path(a, n1) || (n2 && !valid_prim_path(b, n2))) {
            pusd__diag(s, l->identifier, "relocates: <%.*s>: <%.*s> must map an absolute prim path to another; ignored",
                       (int)n1, a, (int)n2, b);
            continue;
        }
        if (!memchr(a + 1, '/', n1 - 1)) { /* its parent, the pseudo root, has no arcs to move it from */
            pusd__diag(s, l->identifier,
                       "relocates: <%.*s>: <%.*s>: root prims cannot be the source of a relocate; ignored", (int)n1, a,
                       (int)n2, b);
            continue;
        }
        if (n2 && ((n1 <= n2 && !strncmp(a, b, n1) && (n1 == n2 || b[n1] == '/')) ||
                   (n2 < n1 && !strncmp(a, b, n2) && a[n2] == '/'))) {
            pusd__diag(s, l->identifier,
                       "relocates: <%.*s> to <%.*s> moves a prim onto itself, an ancestor or a "
                       "descendant; ignored",
                       (int)n1, a, (int)n2, b);
            continue;
        }
        if (add_reloc(s, out, l, a, n1, b, n2)) return;
    }
}

/* The index of the relocate whose source is path (n bytes), or -1. */
static long source_at(const reloc *r, size_t nr, const char *path, size_t n) {
    for (size_t i = 0; i < nr; i++)
        if (strlen(r[i].src) == n && !strncmp(r[i].src, path, n)) return (long)i;
    return -1;
}

/* The relocate (index) whose source is a proper ancestor of path, root prims excepted when
 * below_root, or -1. */
static long source_above(const reloc *r, size_t nr, const char *path, bool below_root) {
    size_t e = strlen(path);
    while (e > 1) {
        while (e > 0 && path[--e] != '/') {}
        if (!e || (below_root && !memchr(path + 1, '/', e - 1))) break;
        long j = source_at(r, nr, path, e);
        if (j >= 0) return j;
    }
    return -1;
}

static void report(pusd_stage *s, const reloc *a, const reloc *b, const char *why) {
    pusd__diag(s, a->layer->identifier, "relocates: <%s>: <%s> conflicts with <%s>: <%s> (%s); ignored", a->src, a->dst,
               b->src, b->dst, why);
}

/* Drops the relocates that are invalid together, as PcpLayerStack does in USD (errors
 * InvalidSameTargetRelocations and InvalidConflictingRelocation): two sources with one target
 * (both), a target that is another relocate's source (both: a chain or a cycle), a target below
 * another relocate's source, a source below another relocate's source (not counting root prims). */
static void drop_conflicts(pusd_stage *s, reloc *r, size_t *nr) {
    size_t n = *nr, k = 0;
    bool *bad = calloc(n ? n : 1, sizeof *bad);
    if (!bad) return;
    for (size_t i = 0; i < n; i++) {
        const char *t = r[i].dst;
        for (size_t j = 0; t[0] && j < n; j++)
            if (j != i && !strcmp(r[j].dst, t)) {
                if (!bad[i]) report(s, &r[i], &r[j], "another relocate has the same target");
                bad[i] = bad[j] = true;
            }
        long j = t[0] ? source_at(r, n, t, strlen(t)) : -1;
        if (j >= 0) {
            report(s, &r[i], &r[j], "the target is the other's source");
            bad[i] = bad[j] = true;
        }
        if (t[0] && (j = source_above(r, n, t, false)) >= 0) {
            report(s, &r[i], &r[j], "the target is below the other's source");
            bad[i] = true;
        }
        if ((j = source_above(r, n, r[i].src, true)) >= 0) {
            report(s, &r[i], &r[j], "the source is below the other's source");
            bad[i] = true;
        }
    }
    for (size_t i = 0; i < n; i++)
        if (!bad[i]) r[k++] = r[i];
    *nr = k;
    free(bad);
}

void pusd__relocs_build(pusd_stage *s) {
    s->nreloc = 0;
    reloc_vec t = {&s->reloc, &s->nreloc, &s->capreloc};
    for (size_t i = 0; s->root_ls && i < s->root_ls->n; i++) layer_relocs(s, s->root_ls->e[i].layer, t);
    drop_conflicts(s, s->reloc, &s->nreloc);
}

const reloc *pusd__ls_relocs(pusd_stage *s, layer_stack *ls, size_t *n) {
    if (ls == s->root_ls) {
        *n = s->nreloc;
        return s->reloc;
    }
    if (!ls->reloc_built) { /* once per layer stack and composition: its diagnostics come once */
        ls->reloc_built = true;
        reloc_vec t = {&ls->reloc, &ls->nreloc, &ls->capreloc};
        for (size_t i = 0; i < ls->n; i++) layer_relocs(s, ls->e[i].layer, t);
        drop_conflicts(s, ls->reloc, &ls->nreloc);
    }
    *n = ls->nreloc;
    return ls->reloc;
}

static bool is_child(const char *path, const char *parent, const char *name) {
    size_t np = strlen(parent);
    if (np == 1) np = 0; /* the pseudo root */
    return !strncmp(path, parent, np) && path[np] == '/' && !strcmp(path + np + 1, name);
}

const char *pusd__reloc_source(const reloc *r, size_t nr, const char *parent, const char *name) {
    for (size_t i = 0; i < nr; i++)
        if (r[i].dst[0] && is_child(r[i].dst, parent, name)) return r[i].src;
    return NULL;
}

static const reloc *source_entry(const reloc *r, size_t nr, const char *parent, const char *name) {
    for (size_t i = 0; i < nr; i++)
        if (is_child(r[i].src, parent, name)) return &r[i];
    return NULL;
}

bool pusd__reloc_is_source(const reloc *r, size_t nr, const char *parent, const char *name) {
    return source_entry(r, nr, parent, name) != NULL;
}

/* Whether path's parent is parent ("/" for root prims). */
static bool parent_is(const char *path, const char *parent) {
    const char *slash = strrchr(path, '/');
    size_t np = strcmp(parent, "/") ? strlen(parent) : 0;
    return slash && (size_t)(slash - path) == np && !strncmp(path, parent, np);
}

static bool listed(const char *const *names, size_t n, const char *name) {
    for (size_t i = 0; i < n; i++)
        if (!strcmp(names[i], name)) return true;
    return false;
}

static int cmp_name(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

/* Pcp's relocation step when composing the child names of parent, applied to the names the nodes
 * weaker than the root layer stack's gave (PcpPrimIndex composes names weakest node first and
 * applies a layer stack's relocates at its node, before that node's own names): a source renamed
 * within parent keeps its place under the new name (dropped if that name is already there), a
 * source moved elsewhere or to <> is removed, and the targets moved in from elsewhere are appended
 * in lexicographic order unless already present. */
size_t pusd__reloc_child_names(const reloc *rv, size_t nr, const char *parent, const char ***names, size_t n,
                               size_t *cap) {
    const char **v = *names;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const reloc *r = source_entry(rv, nr, parent, v[i]);
        if (!r) {
            v[k++] = v[i];
            continue;
        }
        if (!r->dst[0] || !parent_is(r->dst, parent)) continue;
        const char *nn = strrchr(r->dst, '/') + 1;
        bool there = listed(v, k, nn);
        for (size_t j = i + 1; j < n && !there; j++) there = !strcmp(v[j], nn) && !source_entry(rv, nr, parent, v[j]);
        if (!there) v[k++] = nn;
    }
    size_t first = k;
    for (size_t i = 0; i < nr; i++) {
        const reloc *r = &rv[i];
        if (!r->dst[0] || !parent_is(r->dst, parent) || parent_is(r->src, parent)) continue;
        const char *nn = strrchr(r->dst, '/') + 1;
        if (listed(*names, k, nn)) continue;
        if (k == *cap && !PBASE_RESERVE(*names, *cap, k + 1)) break;
        (*names)[k++] = nn;
    }
    if (k > first + 1) qsort(*names + first, k - first, sizeof **names, cmp_name);
    return k;
}

/* Whether path is p or below it (a prim, property or target path). */
static size_t under(const char *path, const char *p) {
    size_t n = strlen(p);
    return !strncmp(path, p, n) && (!path[n] || path[n] == '/' || path[n] == '.' || path[n] == '[') ? n : 0;
}

/* path with prefix `from` (n bytes) replaced by `to`, then by `rest`: scratch memory. */
static const char *replaced(pusd_stage *s, const char *to, const char *rest) {
    char *r = pusd__ar_alloc(&s->scratch, strlen(to) + strlen(rest) + 1);
    if (r) sprintf(r, "%s%s", to, rest);
    return r;
}

const char *pusd__reloc_map(pusd_stage *s, const char *path) {
    for (size_t i = 0; i < s->nreloc; i++) {
        if (!s->reloc[i].dst[0]) continue; /* a deleted prim: paths to it stay as authored, as Pcp keeps them */
        size_t n = under(path, s->reloc[i].src);
        if (!n) continue;
        const char *r = replaced(s, s->reloc[i].dst, path + n);
        return r ? r : path;
    }
    return path;
}

/* A stage path mapped by the relocates of the layer stack of site c, which maps that layer
 * stack's paths to stage paths by replacing the prefix map_from with map_to. */
static const char *map_by_site(pusd_stage *s, const site *c, const char *path) {
    size_t nr, nf = c->map_from ? strlen(c->map_from) : 0;
    const reloc *r = pusd__ls_relocs(s, c->ls, &nr);
    for (size_t i = 0; nf && i < nr; i++) {
        if (!r[i].dst[0] || !under(r[i].src, c->map_from) || !under(r[i].dst, c->map_from)) continue;
        const char *src = replaced(s, c->map_to, r[i].src + nf), *dst = replaced(s, c->map_to, r[i].dst + nf);
        size_t n = src && dst ? under(path, src) : 0;
        if (!n) continue;
        const char *m = replaced(s, dst, path + n);
        return m ? m : path;
    }
    return path;
}

const char *pusd__reloc_map_chain(pusd_stage *s, const site *sites, const site *st, const char *path) {
    const layer_stack *last = st->ls;
    for (uint32_t u = st->up; u; u = sites[u - 1].up) {
        const site *c = &sites[u - 1];
        if (c->ls != s->root_ls && c->ls != last) path = map_by_site(s, c, path);
        last = c->ls;
    }
    return s->nreloc ? pusd__reloc_map(s, path) : path;
}
