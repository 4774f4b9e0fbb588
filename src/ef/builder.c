/* The graph builder: the only way to edit a topology. */
#include "ef_internal.h"

struct ef_builder {
    ef_def *def;
    ef_topology *topo;
    bool edited;
};

ef_builder *ef_builder_begin(ef_def *g, int reset) {
    if (!ef_def_is_graph(g) || g->topo->building) return NULL;
    ef_builder *b = calloc(1, sizeof *b);
    if (!b) return NULL;
    b->def = g;
    b->topo = g->topo;
    b->topo->building = true;
    if (reset) {
        ef_topo_clear(b->topo);
        b->edited = true;
    }
    return b;
}

ef_def *ef_builder_def(ef_builder *b) { return b->def; }
ef_node *ef_builder_root(ef_builder *b) { return b->topo->root; }

static int mine(ef_builder *b, const ef_node *n) { return n && n->topo == b->topo && b->topo->nodes[n->index] == n; }

ef_node *ef_builder_add(ef_builder *b, const char *name, ef_def *def) {
    if (!b || !name || def == b->def) return NULL;
    ef_node *n = ef_topo_add(b->topo, name, def);
    if (!n) return NULL;
    if (def && def->kind == EF_DEF_GRAPH) {
        ef_graph *g = atomic_load(&b->topo->graph);
        if (g) ef_topo_link_graph(def->topo, g);
    }
    b->edited = true;
    return n;
}

int ef_builder_connect(ef_builder *b, ef_node *from, ef_node *to) {
    if (!mine(b, from) || !mine(b, to) || to->is_root) return -1;
    if (ef_edges_has(&from->children, to)) return 0;
    if (ef_edges_add(&from->children, to)) return -1;
    if (ef_edges_add(&to->parents, from)) {
        ef_edges_del(&from->children, to);
        return -1;
    }
    b->edited = true;
    return 0;
}

int ef_builder_disconnect(ef_builder *b, ef_node *from, ef_node *to) {
    if (!mine(b, from) || !mine(b, to)) return -1;
    if (ef_edges_del(&from->children, to)) return -1;
    ef_edges_del(&to->parents, from);
    b->edited = true;
    return 0;
}

int ef_builder_remove(ef_builder *b, ef_node *n) {
    if (!mine(b, n) || n->is_root) return -1;
    ef_topo_remove(b->topo, n);
    b->edited = true;
    return 0;
}

int ef_builder_set_def(ef_builder *b, ef_node *n, ef_def *def) {
    if (!mine(b, n) || n->is_root || def == b->def) return -1;
    ef_def_retain(def);
    ef_def_release(n->def);
    n->def = def;
    if (def && def->kind == EF_DEF_GRAPH) {
        ef_graph *g = atomic_load(&b->topo->graph);
        if (g) ef_topo_link_graph(def->topo, g);
    }
    b->edited = true;
    return 0;
}

/* Would collapsing the marked set create a cycle? True if some path leaves
 * the set and comes back into it. */
static int collapse_makes_cycle(ef_topology *t, const uint8_t *in) {
    uint32_t n = t->bound;
    uint8_t *seen = calloc(n, 1);
    ef_node **queue = malloc(n * sizeof *queue);
    int bad = 0;
    if (!seen || !queue) {
        bad = 1;
        goto out;
    }
    uint32_t qh = 0, qt = 0;
    for (uint32_t i = 0; i < n; i++) {
        ef_node *x = t->nodes[i];
        if (!x || !in[i]) continue;
        for (uint32_t k = 0; k < x->children.n; k++) {
            ef_node *c = x->children.v[k].node;
            if (!in[c->index] && !seen[c->index]) {
                seen[c->index] = 1;
                queue[qt++] = c;
            }
        }
    }
    while (qh < qt && !bad) {
        ef_node *x = queue[qh++];
        for (uint32_t k = 0; k < x->children.n; k++) {
            ef_node *c = x->children.v[k].node;
            if (in[c->index]) {
                bad = 1;
                break;
            }
            if (!seen[c->index]) {
                seen[c->index] = 1;
                queue[qt++] = c;
            }
        }
    }
out:
    free(seen);
    free(queue);
    return bad;
}

static int move_node(ef_topology *from, ef_topology *to, ef_node *x) {
    uint32_t at = x->index;
    if (ef_topo_attach(to, x)) return -1;
    from->nodes[at] = NULL;
    from->live--;
    return 0;
}

ef_node *ef_builder_replace_partition(ef_builder *b, ef_node *const *nodes, size_t n, const char *name,
                                      const ef_executor_desc *desc) {
    if (!b || !nodes || !n) return NULL;
    ef_topology *t = b->topo;
    uint8_t *in = calloc(t->bound, 1);
    if (!in) return NULL;
    ef_node *result = NULL;
    ef_def *g = NULL;
    for (size_t i = 0; i < n; i++) {
        if (!mine(b, nodes[i]) || nodes[i]->is_root || in[nodes[i]->index]) goto out;
        in[nodes[i]->index] = 1;
    }
    if (collapse_makes_cycle(t, in)) goto out;
    g = ef_def_graph(name, desc);
    if (!g) goto out;
    ef_topology *gt = g->topo;
    ef_node *p = ef_builder_add(b, name, g);
    if (!p) goto out;
    uint32_t outer_bound = t->bound - 1; /* p is the last one */
    /* Rewire external edges. */
    for (uint32_t i = 0; i < outer_bound; i++) {
        ef_node *x = t->nodes[i];
        if (!x || !in[i]) continue;
        for (uint32_t k = 0; k < x->parents.n;) {
            ef_node *par = x->parents.v[k].node;
            if (par->index < outer_bound && in[par->index] && par->topo == t) {
                k++;
                continue;
            }
            /* external (or root) parent */
            ef_edges_del(&par->children, x);
            if (par->is_root) {
                if (!ef_edges_has(&t->root->children, p)) {
                    ef_edges_add(&t->root->children, p);
                    ef_edges_add(&p->parents, t->root);
                }
            } else if (!ef_edges_has(&par->children, p)) {
                ef_edges_add(&par->children, p);
                ef_edges_add(&p->parents, par);
            }
            memmove(&x->parents.v[k], &x->parents.v[k + 1], (x->parents.n - k - 1) * sizeof(ef_edge));
            x->parents.n--;
        }
        for (uint32_t k = 0; k < x->children.n;) {
            ef_node *c = x->children.v[k].node;
            if (c->topo == t && c->index < outer_bound && in[c->index]) {
                k++;
                continue;
            }
            ef_edges_del(&c->parents, x);
            if (!ef_edges_has(&p->children, c)) {
                ef_edges_add(&p->children, c);
                ef_edges_add(&c->parents, p);
            }
            memmove(&x->children.v[k], &x->children.v[k + 1], (x->children.n - k - 1) * sizeof(ef_edge));
            x->children.n--;
        }
    }
    /* Move the nodes, then connect the inner root to nodes left parentless. */
    for (size_t i = 0; i < n; i++)
        if (move_node(t, gt, nodes[i])) goto out;
    for (size_t i = 0; i < n; i++) {
        ef_node *x = nodes[i];
        if (x->parents.n == 0) {
            ef_edges_add(&gt->root->children, x);
            ef_edges_add(&x->parents, gt->root);
        }
    }
    if (!p->parents.n) {
        ef_edges_add(&t->root->children, p);
        ef_edges_add(&p->parents, t->root);
    }
    ef_graph *gr = atomic_load(&t->graph);
    if (gr) ef_topo_link_graph(gt, gr);
    ef_topo_finalize(gt);
    gt->builds++;
    atomic_store(&gt->sync_stamp, atomic_load(&gt->stamp));
    result = p;
out:
    ef_def_release(g); /* p holds the reference */
    free(in);
    return result;
}

int ef_builder_end(ef_builder *b) {
    if (!b) return -1;
    ef_topology *t = b->topo;
    ef_topo_finalize(t);
    t->builds++;
    t->building = false;
    atomic_store(&t->sync_stamp, atomic_load(&t->stamp));
    if (b->edited) ef_topo_touch(t);
    free(b);
    return 0;
}
