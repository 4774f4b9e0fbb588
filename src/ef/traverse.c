/* Traversal helpers: depth-first or breadth-first walks of one topology
 * with the VisitFirst / VisitLast / VisitAll policies. VisitLast subtracts
 * cycle parents, so it is a topological order even when cycles exist. */
#include "ef_internal.h"

/* Reports edge p -> e->node; returns nonzero if the child is to be expanded. */
static int edge_visit(const ef_edge *e, ef_node *p, uint32_t *seen, ef_traverse_mode mode, ef_traverse_fn cb,
                      void *user, long *calls) {
    ef_node *c = e->node;
    unsigned kind = 0;
    if (e->cycle) {
        kind = EF_EDGE_CYCLE;
    } else {
        uint32_t v = ++seen[c->index];
        if (v == 1) kind |= EF_EDGE_FIRST;
        if (v == c->parents.n - c->cycle_parents) kind |= EF_EDGE_LAST;
    }
    int visit = mode == EF_VISIT_ALL || (mode == EF_VISIT_FIRST && (kind & EF_EDGE_FIRST)) ||
                (mode == EF_VISIT_LAST && (kind & EF_EDGE_LAST));
    if (visit && cb) {
        cb(c, p, kind, user);
        (*calls)++;
    }
    return mode == EF_VISIT_LAST ? (kind & EF_EDGE_LAST) != 0 : (kind & EF_EDGE_FIRST) != 0;
}

long ef_traverse(const ef_def *g, ef_traverse_order order, ef_traverse_mode mode, ef_traverse_fn cb, void *user) {
    if (!ef_def_is_graph(g)) return -1;
    ef_topology *t = g->topo;
    uint32_t n = t->bound;
    uint32_t *seen = calloc(n, sizeof *seen); /* visits over non-cycle edges */
    uint32_t *next = calloc(n, sizeof *next); /* DFS: next child to look at */
    uint8_t *expanded = calloc(n, 1);
    ef_node **work = malloc((size_t)(n + 1) * sizeof *work);
    long calls = 0;
    if (!seen || !next || !expanded || !work) {
        calls = -1;
        goto out;
    }
    size_t head = 0, tail = 0;
    work[tail++] = t->root;
    expanded[0] = 1;
    if (order == EF_TRAVERSE_BFS) {
        while (head < tail) {
            ef_node *p = work[head++];
            for (uint32_t k = 0; k < p->children.n; k++) {
                ef_node *c = p->children.v[k].node;
                if (edge_visit(&p->children.v[k], p, seen, mode, cb, user, &calls) && !expanded[c->index]) {
                    expanded[c->index] = 1;
                    work[tail++] = c;
                }
            }
        }
    } else {
        while (tail) { /* work[0..tail) is the current depth-first path */
            ef_node *p = work[tail - 1];
            if (next[p->index] >= p->children.n) {
                tail--;
                continue;
            }
            const ef_edge *e = &p->children.v[next[p->index]++];
            ef_node *c = e->node;
            if (edge_visit(e, p, seen, mode, cb, user, &calls) && !expanded[c->index]) {
                expanded[c->index] = 1;
                work[tail++] = c;
            }
        }
    }
out:
    free(seen);
    free(next);
    free(expanded);
    free(work);
    return calls;
}
