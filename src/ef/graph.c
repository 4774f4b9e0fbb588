/* The execution graph: one top definition and the global topology stamp. */
#include "ef_internal.h"

ef_graph *ef_graph_create(const char *top_name, const ef_executor_desc *desc) {
    ef_graph *g = calloc(1, sizeof *g);
    if (!g) return NULL;
    g->top = ef_def_graph(top_name ? top_name : "portalis.def.execution", desc);
    if (!g->top) {
        free(g);
        return NULL;
    }
    atomic_init(&g->stamp, 1);
    ef_topo_link_graph(g->top->topo, g);
    return g;
}

void ef_graph_free(ef_graph *g) {
    if (!g) return;
    ef_def_release(g->top);
    free(g);
}

ef_def *ef_graph_top(const ef_graph *g) { return g->top; }
uint64_t ef_graph_stamp(const ef_graph *g) { return atomic_load(&((ef_graph *)g)->stamp); }
