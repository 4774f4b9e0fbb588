/* Cycle detection: Tarjan's strongly connected components over the
 * topology, from the root, iteratively. Edges that reach a node still on the
 * depth-first path are marked as cycle edges; their count per node is its
 * number of cycle parents, so nodes in a cycle still become ready. */
#include "ef_internal.h"

typedef struct {
    ef_node *node;
    uint32_t next_child;
} frame;

uint32_t ef_detect_cycles(ef_def *g) {
    if (!ef_def_is_graph(g)) return 0;
    ef_topology *t = g->topo;
    uint32_t n = t->bound;
    uint32_t *idx = malloc(n * sizeof *idx), *low = malloc(n * sizeof *low);
    uint8_t *state = calloc(n, 1); /* 0 new, 1 on dfs path, 2 done */
    uint8_t *onstack = calloc(n, 1);
    ef_node **stack = malloc(n * sizeof *stack);
    frame *dfs = malloc(n * sizeof *dfs);
    uint32_t cycles = 0;
    if (!idx || !low || !state || !onstack || !stack || !dfs) goto out;
    for (uint32_t i = 0; i < n; i++) {
        ef_node *x = t->nodes[i];
        if (!x) continue;
        x->cycle_parents = 0;
        for (uint32_t k = 0; k < x->children.n; k++) x->children.v[k].cycle = 0;
        for (uint32_t k = 0; k < x->parents.n; k++) x->parents.v[k].cycle = 0;
    }
    uint32_t counter = 0, sp = 0, dp = 0;
    dfs[dp++] = (frame){t->root, 0};
    idx[0] = low[0] = counter++;
    state[0] = 1;
    onstack[0] = 1;
    stack[sp++] = t->root;
    while (dp) {
        frame *f = &dfs[dp - 1];
        ef_node *v = f->node;
        if (f->next_child < v->children.n) {
            ef_edge *e = &v->children.v[f->next_child++];
            ef_node *w = e->node;
            uint32_t wi = w->index;
            if (state[wi] == 0) {
                idx[wi] = low[wi] = counter++;
                state[wi] = 1;
                onstack[wi] = 1;
                stack[sp++] = w;
                dfs[dp++] = (frame){w, 0};
            } else {
                if (state[wi] == 1) { /* back edge: closes a cycle */
                    e->cycle = 1;
                    for (uint32_t k = 0; k < w->parents.n; k++)
                        if (w->parents.v[k].node == v) w->parents.v[k].cycle = 1;
                    w->cycle_parents++;
                }
                if (onstack[wi] && idx[wi] < low[v->index]) low[v->index] = idx[wi];
            }
            continue;
        }
        /* v finished */
        state[v->index] = 2;
        dp--;
        if (dp) {
            ef_node *u = dfs[dp - 1].node;
            if (low[v->index] < low[u->index]) low[u->index] = low[v->index];
        }
        if (low[v->index] == idx[v->index]) {
            uint32_t size = 0;
            bool selfloop = ef_edges_has(&v->children, v);
            ef_node *w;
            do {
                w = stack[--sp];
                onstack[w->index] = 0;
                size++;
            } while (w != v);
            if (size > 1 || selfloop) cycles++;
        }
    }
out:
    free(idx);
    free(low);
    free(state);
    free(onstack);
    free(stack);
    free(dfs);
    return cycles;
}
