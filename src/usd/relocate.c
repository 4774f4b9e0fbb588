/* Relocates (`relocates = { </Src>: </Dst> }` layer metadata of the root layer
 * stack), applied as Pcp applies them: the prim at Src (brought in by an
 * ancestral arc) moves to Dst with its arcs' opinions; Src and its subtree no
 * longer exist and local opinions there are ignored; local opinions at Dst
 * are stronger than the moved ones; paths to Src (targets, connections) are
 * mapped to Dst. The stronger layer's entry wins for one source. An empty
 * Dst (`</Src>: <>`) deletes Src. */
#include <stdlib.h>

#include "stage_internal.h"

static int add_reloc(pusd_stage *s, const char *src, size_t ns, const char *dst, size_t nd) {
    for (size_t i = 0; i < s->nreloc; i++)
        if (strlen(s->reloc[i].src) == ns && !strncmp(s->reloc[i].src, src, ns)) return 0; /* a stronger layer's */
    char *a = pusd__ar_alloc(&s->comp, ns + 1), *b = pusd__ar_alloc(&s->comp, nd + 1);
    if (!a || !b) return -1;
    memcpy(a, src, ns);
    a[ns] = 0;
    memcpy(b, dst, nd);
    b[nd] = 0;
    if (!PBASE_RESERVE(s->reloc, s->capreloc, s->nreloc + 1)) return -1;
    s->reloc[s->nreloc++] = (reloc){a, b};
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
static void layer_relocs(pusd_stage *s, pusd_layer *l) {
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
        if (add_reloc(s, a, n1, b, n2)) return;
    }
}

void pusd__relocs_build(pusd_stage *s) {
    s->nreloc = 0;
    for (size_t i = 0; s->root_ls && i < s->root_ls->n; i++) layer_relocs(s, s->root_ls->e[i].layer);
}

static bool is_child(const char *path, const char *parent, const char *name) {
    size_t np = strlen(parent);
    if (np == 1) np = 0; /* the pseudo root */
    return !strncmp(path, parent, np) && path[np] == '/' && !strcmp(path + np + 1, name);
}

const char *pusd__reloc_source(const pusd_stage *s, const char *parent, const char *name) {
    for (size_t i = 0; i < s->nreloc; i++)
        if (s->reloc[i].dst[0] && is_child(s->reloc[i].dst, parent, name)) return s->reloc[i].src;
    return NULL;
}

static const reloc *source_entry(const pusd_stage *s, const char *parent, const char *name) {
    for (size_t i = 0; i < s->nreloc; i++)
        if (is_child(s->reloc[i].src, parent, name)) return &s->reloc[i];
    return NULL;
}

bool pusd__reloc_is_source(const pusd_stage *s, const char *parent, const char *name) {
    return source_entry(s, parent, name) != NULL;
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
size_t pusd__reloc_child_names(const pusd_stage *s, const char *parent, const char ***names, size_t n, size_t *cap) {
    const char **v = *names;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const reloc *r = source_entry(s, parent, v[i]);
        if (!r) {
            v[k++] = v[i];
            continue;
        }
        if (!r->dst[0] || !parent_is(r->dst, parent)) continue;
        const char *nn = strrchr(r->dst, '/') + 1;
        bool there = listed(v, k, nn);
        for (size_t j = i + 1; j < n && !there; j++) there = !strcmp(v[j], nn) && !source_entry(s, parent, v[j]);
        if (!there) v[k++] = nn;
    }
    size_t first = k;
    for (size_t i = 0; i < s->nreloc; i++) {
        const reloc *r = &s->reloc[i];
        if (!r->dst[0] || !parent_is(r->dst, parent) || parent_is(r->src, parent)) continue;
        const char *nn = strrchr(r->dst, '/') + 1;
        if (listed(*names, k, nn)) continue;
        if (k == *cap && !PBASE_RESERVE(*names, *cap, k + 1)) break;
        (*names)[k++] = nn;
    }
    if (k > first + 1) qsort(*names + first, k - first, sizeof **names, cmp_name);
    return k;
}

const char *pusd__reloc_map(pusd_stage *s, const char *path) {
    for (size_t i = 0; i < s->nreloc; i++) {
        if (!s->reloc[i].dst[0]) continue; /* a deleted prim: paths to it stay as authored, as Pcp keeps them */
        size_t n = strlen(s->reloc[i].src);
        if (strncmp(path, s->reloc[i].src, n) || (path[n] && path[n] != '/' && path[n] != '.' && path[n] != '['))
            continue;
        char *r = pusd__ar_alloc(&s->scratch, strlen(s->reloc[i].dst) + strlen(path + n) + 1);
        if (r) sprintf(r, "%s%s", s->reloc[i].dst, path + n);
        return r ? r : path;
    }
    return path;
}
