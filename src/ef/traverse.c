/* Traversal helpers: depth-first or breadth-first walks of one topology
 * with the VisitFirst / VisitLast / VisitAll policies. VisitLast subtracts
 * cycle parents, so it is a topological order even when cycles exist. */
#include "ef_internal.h"

long ef_traverse(const ef_def *g, ef_traverse_order order, ef_traverse_mode mode, ef_traverse_fn cb, void *user) {
    if (!ef_def_is_graph(g)) return -1;
    ef_topology *t = g->topo;
    uint32_t n = t->bound;
    uint32_t *seen = calloc(n, sizeof *seen); /* visits over non-cycle edges */
    uint8_t *expanded = calloc(n, 1);
    ef_node **work = malloc((size_t)(n + 1) * sizeof *work);
    if (!seen || !expanded || !work) {
        free(seen);
        free(expanded);
        free(work);
        return -1;
    }
    long calls = 0;
    size_t head = 0, tail = 0; /* BFS: queue [head, tail); DFS: stack [0, tail) */
    work[tail++] = t->root;
    expanded[0] = 1;
    while (order == EF_TRAVERSE_BFS ? head < tail : tail > 0) {
        ef_node *p = order == EF_TRAVERSE_BFS ? work[head++] : work[--tail];
        /* DFS pushes children in reverse so the first child is walked first */
        uint32_t cnt = p->children.n;
        for (uint32_t i = 0; i < cnt; i++) {
            uint32_t k = order == EF_TRAVERSE_BFS ? i : cnt - 1 - i;
            const ef_edge *e = &p->children.v[k];
            ef_node *c = e->node;
            unsigned kind = 0;
            if (e->cycle) {
                kind = EF_EDGE_CYCLE;
            } else {
                uint32_t v = ++seen[c->index];
                if (v == 1) kind |= EF_EDGE_FIRST;
                uint32_t need = c->parents.n - c->cycle_parents;
                if (v == need) kind |= EF_EDGE_LAST;
            }
            int visit = mode == EF_VISIT_ALL || (mode == EF_VISIT_FIRST && (kind & EF_EDGE_FIRST)) ||
                        (mode == EF_VISIT_LAST && (kind & EF_EDGE_LAST));
            if (visit && cb) {
                cb(c, p, kind, user);
                calls++;
            }
            int expand = mode == EF_VISIT_LAST ? (kind & EF_EDGE_LAST) != 0 : (kind & EF_EDGE_FIRST) != 0;
            if (expand && !expanded[c->index] && tail < (size_t)n + 1) {
                expanded[c->index] = 1;
                work[tail++] = c;
            }
        }
    }
    free(seen);
    free(expanded);
    free(work);
    return calls;
}
