/* Pass registry and pass pipeline. Populate passes are matched by node name,
 * then by definition name; partition passes run by priority (initialize /
 * run / commit, single-use instances); global passes run last over the
 * whole graph. The pipeline rebuilds exactly the invalid graph definitions
 * reachable from the top, each shared definition once, and does nothing
 * while the graph stamp has not moved. */
#include "ef_internal.h"

typedef struct {
    char *name;
    ef_populate_fn fn;
    void *user;
} populate_entry;

typedef struct {
    char *name;
    int priority;
    size_t seq;
    ef_partition_pass pass;
    void *user;
} partition_entry;

typedef struct {
    char *name;
    ef_global_fn fn;
    void *user;
} global_entry;

struct ef_registry {
    populate_entry *pop;
    size_t npop, cap_pop;
    partition_entry *part;
    size_t npart, cap_part;
    global_entry *glob;
    size_t nglob, cap_glob;
};

struct ef_pass_pipeline {
    ef_registry *reg;
    ef_graph *last_graph;
    uint64_t last_stamp;
};

ef_registry *ef_registry_create(void) { return calloc(1, sizeof(ef_registry)); }

void ef_registry_free(ef_registry *r) {
    if (!r) return;
    for (size_t i = 0; i < r->npop; i++) free(r->pop[i].name);
    for (size_t i = 0; i < r->npart; i++) free(r->part[i].name);
    for (size_t i = 0; i < r->nglob; i++) free(r->glob[i].name);
    free(r->pop);
    free(r->part);
    free(r->glob);
    free(r);
}

#define APPEND(arr, n, cap, item)                                                                                      \
    do {                                                                                                               \
        if (!PBASE_RESERVE(arr, cap, (n) + 1)) {                                                                       \
            free((item).name);                                                                                         \
            return -1;                                                                                                 \
        }                                                                                                              \
        (arr)[(n)++] = (item);                                                                                         \
    } while (0)

int ef_registry_add_populate(ef_registry *r, const char *name, ef_populate_fn fn, void *user) {
    if (!r || !name || !fn) return -1;
    populate_entry e = {ef_strdup(name), fn, user};
    if (!e.name) return -1;
    APPEND(r->pop, r->npop, r->cap_pop, e);
    return 0;
}

int ef_registry_add_partition(ef_registry *r, const char *name, int priority, const ef_partition_pass *pass,
                              void *user) {
    if (!r || !pass || !pass->commit) return -1;
    partition_entry e = {ef_strdup(name), priority, r->npart, *pass, user};
    if (!e.name) return -1;
    APPEND(r->part, r->npart, r->cap_part, e);
    /* keep sorted: priority descending, then registration order */
    for (size_t i = r->npart - 1; i > 0; i--) {
        partition_entry *a = &r->part[i - 1], *b = &r->part[i];
        if (a->priority > b->priority || (a->priority == b->priority && a->seq < b->seq)) break;
        partition_entry t = *a;
        *a = *b;
        *b = t;
    }
    return 0;
}

int ef_registry_add_global(ef_registry *r, const char *name, ef_global_fn fn, void *user) {
    if (!r || !fn) return -1;
    global_entry e = {ef_strdup(name), fn, user};
    if (!e.name) return -1;
    APPEND(r->glob, r->nglob, r->cap_glob, e);
    return 0;
}

ef_pass_pipeline *ef_pass_pipeline_create(ef_registry *r) {
    ef_pass_pipeline *p = calloc(1, sizeof *p);
    if (p) p->reg = r;
    return p;
}

void ef_pass_pipeline_free(ef_pass_pipeline *p) { free(p); }

/* ---- building ---- */

typedef struct {
    ef_def **v;
    size_t n, cap;
} defset;

static int defset_has(defset *s, ef_def *d) {
    for (size_t i = 0; i < s->n; i++)
        if (s->v[i] == d) return 1;
    return 0;
}

static int defset_add(defset *s, ef_def *d) {
    if (!PBASE_RESERVE(s->v, s->cap, s->n + 1)) return -1;
    s->v[s->n++] = d;
    return 0;
}

static const populate_entry *find_populate(ef_registry *r, const ef_node *n) {
    if (!r) return NULL;
    for (size_t i = 0; i < r->npop; i++)
        if (!strcmp(r->pop[i].name, n->name)) return &r->pop[i];
    if (n->def)
        for (size_t i = 0; i < r->npop; i++)
            if (!strcmp(r->pop[i].name, n->def->name)) return &r->pop[i];
    return NULL;
}

/* Nodes of t in depth-first order from the root (children in edge order),
 * then any unreachable ones by index. Returned array owned by caller. */
static ef_node **dfs_order(ef_topology *t, size_t *count) {
    size_t n = t->bound;
    ef_node **out = malloc(n * sizeof *out), **stack = malloc((n + 1) * sizeof *stack);
    uint8_t *seen = calloc(n, 1);
    size_t no = 0, sp = 0;
    if (!out || !stack || !seen) {
        free(out);
        free(stack);
        free(seen);
        *count = 0;
        return NULL;
    }
    seen[0] = 1;
    for (uint32_t k = t->root->children.n; k-- > 0;) {
        ef_node *c = t->root->children.v[k].node;
        if (!seen[c->index]) {
            seen[c->index] = 1;
            stack[sp++] = c;
        }
    }
    while (sp) {
        ef_node *x = stack[--sp];
        out[no++] = x;
        for (uint32_t k = x->children.n; k-- > 0;) {
            ef_node *c = x->children.v[k].node;
            if (!seen[c->index] && sp < n) {
                seen[c->index] = 1;
                stack[sp++] = c;
            }
        }
    }
    for (uint32_t i = 1; i < n; i++)
        if (t->nodes[i] && !seen[i]) out[no++] = t->nodes[i];
    free(stack);
    free(seen);
    *count = no;
    return out;
}

/* Kahn order for partition passes (cycle edges ignored). */
static ef_node **topo_order(ef_topology *t, size_t *count) {
    size_t n = t->bound;
    ef_node **out = malloc(n * sizeof *out);
    uint32_t *left = calloc(n, sizeof *left);
    size_t no = 0, head = 0;
    if (!out || !left) {
        free(out);
        free(left);
        *count = 0;
        return NULL;
    }
    for (uint32_t i = 1; i < n; i++)
        if (t->nodes[i]) left[i] = t->nodes[i]->required;
    for (uint32_t k = 0; k < t->root->children.n; k++) {
        ef_node *c = t->root->children.v[k].node;
        if (left[c->index] == 0) out[no++] = c;
    }
    while (head < no) {
        ef_node *x = out[head++];
        for (uint32_t k = 0; k < x->children.n; k++) {
            if (x->children.v[k].cycle) continue;
            ef_node *c = x->children.v[k].node;
            if (--left[c->index] == 0) out[no++] = c;
        }
    }
    free(left);
    *count = no;
    return out;
}

static int populate_nodes(ef_registry *r, ef_builder *b, ef_topology *t, uint32_t serial) {
    size_t n;
    ef_node **order = dfs_order(t, &n);
    if (!order && t->bound > 1) return -1;
    /* Work on indices: a pass may remove nodes (indices are not reused
     * within a build). Nodes added by a pass are populated on the next
     * round. */
    uint32_t *idx = malloc((n ? n : 1) * sizeof *idx);
    if (!idx) {
        free(order);
        return -1;
    }
    for (size_t i = 0; i < n; i++) idx[i] = order[i]->index;
    free(order);
    int err = 0;
    for (size_t i = 0; i < n && !err; i++) {
        ef_node *x = idx[i] < t->bound ? t->nodes[idx[i]] : NULL;
        if (!x || x->mark == serial) continue;
        x->mark = serial;
        const populate_entry *pe = find_populate(r, x);
        if (pe && pe->fn(b, x, pe->user)) err = -1;
    }
    free(idx);
    return err;
}

static int build_def(ef_pass_pipeline *pp, ef_graph *g, ef_def *d, defset *seen, int *built) {
    if (defset_has(seen, d)) return 0;
    if (defset_add(seen, d)) return -1;
    ef_topology *t = d->topo;
    ef_topo_link_graph(t, g);
    ef_registry *r = pp->reg;
    if (!ef_def_is_valid(d)) {
        ef_builder *b = ef_builder_begin(d, d->build != NULL);
        if (!b) return -1;
        int err = d->build ? d->build(b, d->build_user) : 0;
        uint32_t serial = ++t->serial;
        t->root->mark = serial;
        /* Populate; nodes created by populate passes get populated in the
         * following round (bounded). */
        for (int round = 0; !err && r && r->npop && round < 8; round++) {
            uint32_t before = t->bound;
            err = populate_nodes(r, b, t, serial);
            if (t->bound == before) break;
        }
        if (!err && r && r->npart) {
            uint32_t before = t->bound, live_before = t->live;
            for (size_t i = 0; i < r->npart && !err; i++) {
                const partition_entry *pe = &r->part[i];
                void *inst = pe->pass.create ? pe->pass.create(pe->user) : pe->user;
                ef_topo_finalize(t); /* fresh readiness counts for ordering */
                if (!pe->pass.initialize || pe->pass.initialize(inst, d)) {
                    size_t n;
                    ef_node **order = topo_order(t, &n);
                    if (pe->pass.run)
                        for (size_t k = 0; k < n; k++) pe->pass.run(inst, order[k]);
                    free(order);
                    if (pe->pass.commit(inst, b)) err = -1;
                }
                if (pe->pass.destroy) pe->pass.destroy(inst);
            }
            /* populate the new nodes only */
            if (!err && (t->bound != before || t->live != live_before)) err = populate_nodes(r, b, t, serial);
        }
        ef_builder_end(b);
        if (err) {
            ef_def_invalidate(d);
            return -1;
        }
        (*built)++;
    }
    for (uint32_t i = 1; i < t->bound; i++) {
        ef_node *n = t->nodes[i];
        if (n && n->def && n->def->kind == EF_DEF_GRAPH)
            if (build_def(pp, g, n->def, seen, built)) return -1;
    }
    return 0;
}

int ef_pass_pipeline_run(ef_pass_pipeline *p, ef_graph *g) {
    if (!p || !g) return -1;
    uint64_t stamp = ef_graph_stamp(g);
    if (p->last_graph == g && p->last_stamp == stamp) return 0;
    defset seen = {0};
    int built = 0;
    int err = build_def(p, g, g->top, &seen, &built);
    free(seen.v);
    if (!err && p->reg)
        for (size_t i = 0; i < p->reg->nglob && !err; i++)
            if (p->reg->glob[i].fn(g, p->reg->glob[i].user)) err = -1;
    if (err) return -1;
    p->last_graph = g;
    p->last_stamp = ef_graph_stamp(g);
    return built;
}
