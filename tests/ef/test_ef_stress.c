/* Randomized stress test: thousands of random DAGs (random edges, random
 * hints, some nested graph definitions with serial or parallel executors)
 * on the parallel executor. Checks that every node runs exactly once per
 * execution, every ordering edge is respected (parent ends before child
 * starts; nested nodes run inside their graph node), serial nodes never
 * overlap each other and isolate nodes never overlap anything.
 * Deterministic seed; no timing assertions. EF_STRESS_DAGS overrides the
 * number of DAGs (default 3000), EF_STRESS_SEED the random seed. */
#include "ef_test.h"

static atomic_long g_clock;

typedef struct {
    atomic_int running, serial_running, iso_active, violations;
} gate_env;

typedef struct {
    trec r;
    gate_env *env;
    ef_hint hint;
} node_rec;

typedef struct {
    int a, b;
    int inside; /* 0: a ends before b starts; 1: b runs within graph node a */
} edge_rec;

typedef struct {
    node_rec *recs;
    int n, cap;
    edge_rec *edges;
    int ne, ecap;
} dag;

static ef_status rec_fn(ef_task *t, void *u) {
    node_rec *n = u;
    gate_env *e = n->env;
    if (n->hint == EF_HINT_ISOLATE) {
        atomic_store(&e->iso_active, 1);
        if (atomic_load(&e->running) != 0)
            atomic_fetch_add(&e->violations, 1);
        trec_fn(t, &n->r);
        spin_work(200);
        if (atomic_load(&e->running) != 0)
            atomic_fetch_add(&e->violations, 1);
        atomic_store(&e->iso_active, 0);
        return EF_SUCCESS;
    }
    atomic_fetch_add(&e->running, 1);
    if (atomic_load(&e->iso_active))
        atomic_fetch_add(&e->violations, 1);
    if (n->hint == EF_HINT_SERIAL && atomic_fetch_add(&e->serial_running, 1) != 0)
        atomic_fetch_add(&e->violations, 1);
    trec_fn(t, &n->r);
    spin_work(100);
    if (n->hint == EF_HINT_SERIAL)
        atomic_fetch_sub(&e->serial_running, 1);
    if (atomic_load(&e->iso_active))
        atomic_fetch_add(&e->violations, 1);
    atomic_fetch_sub(&e->running, 1);
    return EF_SUCCESS;
}

/* graph nodes: pre records the start, post the end */
static ef_status pre_fn(ef_task *t, void *u) {
    (void)t;
    node_rec *n = u;
    atomic_store(&n->r.start, atomic_fetch_add(&g_clock, 1) + 1);
    atomic_fetch_add(&n->r.runs, 1);
    return EF_SUCCESS;
}
static ef_status post_fn(ef_task *t, void *u) {
    (void)t;
    node_rec *n = u;
    atomic_store(&n->r.end, atomic_fetch_add(&g_clock, 1) + 1);
    return EF_SUCCESS;
}

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint32_t rnd(uint32_t n) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (uint32_t)(rng_state % n);
}

static void add_edge(dag *d, int a, int b, int inside) {
    if (d->ne == d->ecap) {
        d->ecap = d->ecap ? d->ecap * 2 : 256;
        d->edges = realloc(d->edges, (size_t)d->ecap * sizeof *d->edges);
    }
    d->edges[d->ne++] = (edge_rec){a, b, inside};
}

static const ef_executor_desc PAR = {EF_VISIT_ALL_PARENTS, EF_SCHED_PARALLEL, 0, NULL, NULL};

/* Fills graph definition g with a random DAG of n nodes; `owner` is the
 * record index of the graph node instancing g (-1 for the top). */
static void random_dag(dag *d, ef_def *g, int n, int depth, int owner, gate_env *env) {
    ef_builder *b = ef_builder_begin(g, 1);
    ef_node **nodes = malloc((size_t)n * sizeof *nodes);
    int *ids = malloc((size_t)n * sizeof *ids);
    uint32_t p_edge = 5 + rnd(30); /* percent */
    for (int i = 0; i < n; i++) {
        int id = d->n++;
        ids[i] = id;
        node_rec *r = &d->recs[id];
        r->r.clock = &g_clock;
        r->env = env;
        uint32_t k = rnd(100);
        ef_def *def;
        if (k < 8 && depth < 2 && d->n + 8 < d->cap) {
            def = ef_def_graph("nested", rnd(4) ? &PAR : NULL);
            ef_def_set_hooks(def, pre_fn, post_fn, r);
            r->hint = EF_HINT_PARALLEL;
            random_dag(d, def, 1 + (int)rnd(6), depth + 1, id, env);
        } else {
            r->hint = k < 70   ? EF_HINT_PARALLEL
                      : k < 82 ? EF_HINT_SERIAL
                      : k < 94 ? EF_HINT_BYPASS
                               : EF_HINT_ISOLATE;
            def = ef_def_opaque("leaf", rec_fn, r, r->hint);
        }
        if (owner >= 0)
            add_edge(d, owner, id, 1);
        char name[16];
        snprintf(name, sizeof name, "n%d", i);
        nodes[i] = ef_builder_add(b, name, def);
        ef_def_release(def);
        int parents = 0;
        for (int j = 0; j < i; j++)
            if (rnd(100) < p_edge) {
                ef_builder_connect(b, nodes[j], nodes[i]);
                add_edge(d, ids[j], id, 0);
                parents++;
            }
        if (!parents)
            ef_builder_connect(b, ef_builder_root(b), nodes[i]);
    }
    ef_builder_end(b);
    free(nodes);
    free(ids);
}

int main(void) {
    const char *env_n = getenv("EF_STRESS_DAGS");
    int dags = env_n ? atoi(env_n) : 3000;
    const char *env_seed = getenv("EF_STRESS_SEED");
    if (env_seed && strtoull(env_seed, NULL, 0))
        rng_state = strtoull(env_seed, NULL, 0);
    ef_pool *pool = ef_pool_create(2);
    CHECK(pool != NULL);
    long edges_checked = 0, nodes_run = 0;
    int order_bad = 0, runs_bad = 0, status_bad = 0, violations = 0;
    for (int it = 0; it < dags; it++) {
        gate_env env;
        memset(&env, 0, sizeof env);
        int bad_before = order_bad + runs_bad + status_bad + violations;
        dag d = {0};
        d.cap = 400;
        d.recs = calloc((size_t)d.cap, sizeof *d.recs);
        ef_graph *g = ef_graph_create("top", rnd(8) ? &PAR : NULL);
        random_dag(&d, ef_graph_top(g), 1 + (int)rnd(40), 0, -1, &env);
        ef_context *ctx = ef_context_create(g, pool);
        int frames = 1 + (int)rnd(2);
        for (int f = 0; f < frames; f++) {
            if (ef_context_execute(ctx) != EF_SUCCESS)
                status_bad++;
            for (int i = 0; i < d.n; i++)
                if (atomic_load(&d.recs[i].r.runs) != f + 1)
                    runs_bad++;
            for (int k = 0; k < d.ne; k++) {
                trec *a = &d.recs[d.edges[k].a].r, *b = &d.recs[d.edges[k].b].r;
                int ok = d.edges[k].inside ? (a->start < b->start && b->end < a->end) : (a->end < b->start);
                if (!ok)
                    order_bad++;
            }
            edges_checked += d.ne;
        }
        nodes_run += (long)d.n * frames;
        violations += atomic_load(&env.violations);
        CHECK(order_bad + runs_bad + status_bad + violations == bad_before); /* one check per DAG */
        ef_context_free(ctx);
        ef_graph_free(g);
        free(d.recs);
        free(d.edges);
    }
    ef_pool_free(pool);
    CHECK_EQ_INT(runs_bad, 0);
    CHECK_EQ_INT(status_bad, 0);
    CHECK_EQ_INT(violations, 0);
    CHECK_EQ_INT(order_bad, 0);
    CHECK(edges_checked > 0);
    fprintf(stderr, "stress: %d DAGs, %ld node runs, %ld edges checked\n", dags, nodes_run, edges_checked);
    TEST_END();
}
