/* Topology: the nodes of one graph definition, their dense indices, and the
 * Stamp/SyncStamp validity pair. */
#include "ef_internal.h"

static ef_node *node_new(const char *name, ef_def *def) {
    ef_node *n = calloc(1, sizeof *n);
    if (!n) return NULL;
    n->name = ef_strdup(name);
    if (!n->name) {
        free(n);
        return NULL;
    }
    n->def = ef_def_retain(def);
    return n;
}

static void node_free(ef_node *n) {
    ef_def_release(n->def);
    free(n->parents.v);
    free(n->children.v);
    free(n->name);
    free(n);
}

ef_topology *ef_topo_create(ef_def *owner) {
    ef_topology *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->owner = owner;
    t->cap = 8;
    t->nodes = calloc(t->cap, sizeof *t->nodes);
    t->root = node_new("root", NULL);
    if (!t->nodes || !t->root) {
        free(t->nodes);
        if (t->root) node_free(t->root);
        free(t);
        return NULL;
    }
    t->root->is_root = true;
    t->root->topo = t;
    t->nodes[0] = t->root;
    t->bound = 1;
    /* A new topology is invalid until its first build. */
    atomic_init(&t->stamp, 1);
    atomic_init(&t->sync_stamp, 0);
    atomic_init(&t->graph, NULL);
    return t;
}

void ef_topo_clear(ef_topology *t) {
    for (uint32_t i = 1; i < t->bound; i++)
        if (t->nodes[i]) node_free(t->nodes[i]);
    t->root->children.n = 0;
    t->bound = 1;
    t->live = 0;
}

void ef_topo_free(ef_topology *t) {
    ef_topo_clear(t);
    node_free(t->root);
    free(t->nodes);
    free(t);
}

int ef_topo_attach(ef_topology *t, ef_node *n) {
    if (!PBASE_RESERVE(t->nodes, t->cap, (size_t)t->bound + 1)) return -1;
    n->topo = t;
    n->index = t->bound;
    t->nodes[t->bound++] = n;
    t->live++;
    return 0;
}

ef_node *ef_topo_add(ef_topology *t, const char *name, ef_def *def) {
    ef_node *n = node_new(name, def);
    if (!n) return NULL;
    if (ef_topo_attach(t, n)) {
        node_free(n);
        return NULL;
    }
    return n;
}

void ef_topo_remove(ef_topology *t, ef_node *n) {
    for (uint32_t i = 0; i < n->parents.n; i++) ef_edges_del(&n->parents.v[i].node->children, n);
    for (uint32_t i = 0; i < n->children.n; i++) ef_edges_del(&n->children.v[i].node->parents, n);
    t->nodes[n->index] = NULL;
    t->live--;
    node_free(n);
}

int ef_edges_add(ef_edges *e, ef_node *n) {
    if (!PBASE_RESERVE(e->v, e->cap, (size_t)e->n + 1)) return -1;
    e->v[e->n].node = n;
    e->v[e->n].cycle = 0;
    e->n++;
    return 0;
}

int ef_edges_del(ef_edges *e, const ef_node *n) {
    for (uint32_t i = 0; i < e->n; i++)
        if (e->v[i].node == n) {
            memmove(&e->v[i], &e->v[i + 1], (e->n - i - 1) * sizeof e->v[0]);
            e->n--;
            return 0;
        }
    return -1;
}

int ef_edges_has(const ef_edges *e, const ef_node *n) {
    for (uint32_t i = 0; i < e->n; i++)
        if (e->v[i].node == n) return 1;
    return 0;
}

void ef_topo_touch(ef_topology *t) {
    ef_graph *g = atomic_load(&t->graph);
    if (g) atomic_fetch_add(&g->stamp, 1);
}

void ef_topo_link_graph(ef_topology *t, ef_graph *g) {
    if (atomic_load(&t->graph) == g) return;
    atomic_store(&t->graph, g);
    for (uint32_t i = 1; i < t->bound; i++) {
        ef_node *n = t->nodes[i];
        if (n && n->def && n->def->kind == EF_DEF_GRAPH && n->def->topo != t) ef_topo_link_graph(n->def->topo, g);
    }
}

void ef_topo_finalize(ef_topology *t) {
    t->cycles = ef_detect_cycles(t->owner);
    for (uint32_t i = 1; i < t->bound; i++) {
        ef_node *n = t->nodes[i];
        if (!n) continue;
        uint32_t req = 0;
        for (uint32_t k = 0; k < n->parents.n; k++)
            if (!n->parents.v[k].node->is_root && !n->parents.v[k].cycle) req++;
        n->required = req;
    }
}
