/* Definitions: opaque (function + user data + hint) and graph (nested
 * topology + executor choice + hooks). Reference counted. */
#include "ef_internal.h"

static ef_def *def_new(const char *name, ef_def_kind kind) {
    ef_def *d = calloc(1, sizeof *d);
    if (!d) return NULL;
    d->name = ef_strdup(name);
    if (!d->name) {
        free(d);
        return NULL;
    }
    atomic_init(&d->refs, 1);
    d->kind = kind;
    return d;
}

ef_def *ef_def_opaque(const char *name, ef_exec_fn fn, void *user, ef_hint hint) {
    ef_def *d = def_new(name, EF_DEF_OPAQUE);
    if (!d) return NULL;
    d->fn = fn;
    d->user = user;
    d->hint = hint;
    return d;
}

ef_def *ef_def_graph(const char *name, const ef_executor_desc *desc) {
    ef_def *d = def_new(name, EF_DEF_GRAPH);
    if (!d) return NULL;
    d->hint = EF_HINT_PARALLEL;
    if (desc) d->desc = *desc;
    d->topo = ef_topo_create(d);
    if (!d->topo) {
        free(d->name);
        free(d);
        return NULL;
    }
    return d;
}

ef_def *ef_def_retain(ef_def *d) {
    if (d) atomic_fetch_add_explicit(&d->refs, 1, memory_order_relaxed);
    return d;
}

void ef_def_release(ef_def *d) {
    if (!d) return;
    if (atomic_fetch_sub_explicit(&d->refs, 1, memory_order_acq_rel) != 1) return;
    if (d->topo) ef_topo_free(d->topo);
    if (d->user_free) d->user_free(d->user);
    free(d->name);
    free(d);
}

void ef_def_set_user_free(ef_def *d, void (*free_fn)(void *)) { d->user_free = free_fn; }
const char *ef_def_name(const ef_def *d) { return d->name; }
int ef_def_is_graph(const ef_def *d) { return d && d->kind == EF_DEF_GRAPH; }
ef_hint ef_def_hint(const ef_def *d) { return d->hint; }
void ef_def_set_hint(ef_def *d, ef_hint h) { d->hint = h; }

void ef_def_set_hooks(ef_def *g, ef_exec_fn pre, ef_exec_fn post, void *user) {
    if (!ef_def_is_graph(g)) return;
    g->pre = pre;
    g->post = post;
    g->hook_user = user;
}

void ef_def_set_run(ef_def *g, ef_exec_fn run, void *user) {
    if (!ef_def_is_graph(g)) return;
    g->run = run;
    g->run_user = user;
}

void ef_def_set_build(ef_def *g, int (*build)(ef_builder *, void *), void *user) {
    if (!ef_def_is_graph(g)) return;
    g->build = build;
    g->build_user = user;
    ef_def_invalidate(g);
}

const ef_executor_desc *ef_def_executor(const ef_def *g) { return ef_def_is_graph(g) ? &g->desc : NULL; }

void ef_def_set_executor(ef_def *g, const ef_executor_desc *desc) {
    if (!ef_def_is_graph(g)) return;
    if (desc)
        g->desc = *desc;
    else
        memset(&g->desc, 0, sizeof g->desc);
}

void ef_def_invalidate(ef_def *g) {
    if (!ef_def_is_graph(g)) return;
    ef_topology *t = g->topo;
    uint64_t s = atomic_load(&t->stamp);
    if (atomic_load(&t->sync_stamp) != s) return; /* already invalid */
    if (atomic_compare_exchange_strong(&t->stamp, &s, s + 1)) {
        ef_graph *gr = atomic_load(&t->graph);
        if (gr) atomic_fetch_add(&gr->stamp, 1);
    }
}

int ef_def_is_valid(const ef_def *g) {
    if (!ef_def_is_graph(g)) return 1;
    return atomic_load(&g->topo->stamp) == atomic_load(&g->topo->sync_stamp);
}

uint64_t ef_def_build_count(const ef_def *g) { return ef_def_is_graph(g) ? g->topo->builds : 0; }
ef_node *ef_def_root(const ef_def *g) { return ef_def_is_graph(g) ? g->topo->root : NULL; }
uint32_t ef_def_index_bound(const ef_def *g) { return ef_def_is_graph(g) ? g->topo->bound : 0; }
uint32_t ef_def_node_count(const ef_def *g) { return ef_def_is_graph(g) ? g->topo->live : 0; }
uint32_t ef_def_cycle_count(const ef_def *g) { return ef_def_is_graph(g) ? g->topo->cycles : 0; }

ef_node *ef_def_find(const ef_def *g, const char *name) {
    if (!ef_def_is_graph(g)) return NULL;
    for (uint32_t i = 1; i < g->topo->bound; i++) {
        ef_node *n = g->topo->nodes[i];
        if (n && !strcmp(n->name, name)) return n;
    }
    return NULL;
}

/* ---- nodes ---- */
const char *ef_node_name(const ef_node *n) { return n->name; }
ef_def *ef_node_def(const ef_node *n) { return n->def; }
ef_def *ef_node_owner(const ef_node *n) { return n->topo->owner; }
uint32_t ef_node_index(const ef_node *n) { return n->index; }
int ef_node_is_root(const ef_node *n) { return n->is_root; }
size_t ef_node_parent_count(const ef_node *n) { return n->parents.n; }
size_t ef_node_child_count(const ef_node *n) { return n->children.n; }
ef_node *ef_node_parent(const ef_node *n, size_t i) { return i < n->parents.n ? n->parents.v[i].node : NULL; }
ef_node *ef_node_child(const ef_node *n, size_t i) { return i < n->children.n ? n->children.v[i].node : NULL; }
uint32_t ef_node_cycle_parent_count(const ef_node *n) { return n->cycle_parents; }
