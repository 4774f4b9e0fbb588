/* ef parallel tests: the work-stealing pool and parallel executors, each
 * scheduling hint (isolate really excludes everything else), nested
 * executors without deadlock, dynamic work, concurrent contexts and
 * determinism across thread counts. No timing assertions. */
#include "ef_test.h"

#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

static atomic_long g_clock;

static long tid(void) { return (long)syscall(SYS_gettid); }

static ef_executor_desc PAR = {EF_VISIT_ALL_PARENTS, EF_SCHED_PARALLEL, 0, NULL, NULL};

/* ---- gate checks shared by several tests ---- */

typedef struct {
    atomic_int running; /* user code of any node */
    atomic_int serial_running;
    atomic_int iso_active;
    atomic_int violations;
    atomic_int runs;
    atomic_int max_running;
    atomic_int iso_graph; /* an isolate graph node is running */
} gate_env;

static void note_running(gate_env *e, int now) {
    int m = atomic_load(&e->max_running);
    while (now > m && !atomic_compare_exchange_weak(&e->max_running, &m, now)) {}
}

static ef_status par_fn(ef_task *t, void *u) {
    (void)t;
    gate_env *e = u;
    note_running(e, atomic_fetch_add(&e->running, 1) + 1);
    if (atomic_load(&e->iso_active) || atomic_load(&e->iso_graph))
        atomic_fetch_add(&e->violations, 1);
    spin_work(20000);
    if (atomic_load(&e->iso_active) || atomic_load(&e->iso_graph))
        atomic_fetch_add(&e->violations, 1);
    atomic_fetch_sub(&e->running, 1);
    atomic_fetch_add(&e->runs, 1);
    return EF_SUCCESS;
}

/* an isolate graph node: pre/post see nothing else running; its own inner
 * nodes (inner_fn) may run, but no outer node may (par_fn checks) */
static ef_status isog_pre(ef_task *t, void *u) {
    (void)t;
    gate_env *e = u;
    if (atomic_load(&e->running) != 0)
        atomic_fetch_add(&e->violations, 1);
    atomic_store(&e->iso_graph, 1);
    return EF_SUCCESS;
}
static ef_status isog_post(ef_task *t, void *u) {
    (void)t;
    gate_env *e = u;
    atomic_store(&e->iso_graph, 0);
    if (atomic_load(&e->running) != 0)
        atomic_fetch_add(&e->violations, 1);
    atomic_fetch_add(&e->runs, 1);
    return EF_SUCCESS;
}
static ef_status inner_fn(ef_task *t, void *u) {
    (void)t;
    gate_env *e = u;
    if (!atomic_load(&e->iso_graph))
        atomic_fetch_add(&e->violations, 1);
    spin_work(5000);
    atomic_fetch_add(&e->runs, 1);
    return EF_SUCCESS;
}

static ef_status serial_fn(ef_task *t, void *u) {
    (void)t;
    gate_env *e = u;
    atomic_fetch_add(&e->running, 1);
    if (atomic_fetch_add(&e->serial_running, 1) != 0)
        atomic_fetch_add(&e->violations, 1);
    if (atomic_load(&e->iso_active))
        atomic_fetch_add(&e->violations, 1);
    spin_work(2000);
    atomic_fetch_sub(&e->serial_running, 1);
    atomic_fetch_sub(&e->running, 1);
    atomic_fetch_add(&e->runs, 1);
    return EF_SUCCESS;
}

static ef_status iso_fn(ef_task *t, void *u) {
    (void)t;
    gate_env *e = u;
    atomic_store(&e->iso_active, 1);
    for (int i = 0; i < 20; i++) {
        if (atomic_load(&e->running) != 0)
            atomic_fetch_add(&e->violations, 1);
        spin_work(500);
    }
    atomic_store(&e->iso_active, 0);
    atomic_fetch_add(&e->runs, 1);
    return EF_SUCCESS;
}

/* ---- tests ---- */

static void test_parallel_order(ef_pool *pool) {
    /* 8 layers of 16 nodes, every node depends on 3 nodes of the layer above */
    enum { L = 8, W = 16 };
    ef_graph *g = ef_graph_create("top", &PAR);
    trec *r = calloc(L * W, sizeof *r);
    ef_def *d = NULL;
    ef_node *nodes[L * W];
    ef_builder *b = ef_builder_begin(ef_graph_top(g), 1);
    for (int i = 0; i < L * W; i++) {
        r[i].clock = &g_clock;
        d = ef_def_opaque("rec", trec_fn, &r[i], EF_HINT_PARALLEL);
        char name[16];
        snprintf(name, sizeof name, "n%d", i);
        nodes[i] = ef_builder_add(b, name, d);
        ef_def_release(d);
        if (i < W)
            ef_builder_connect(b, ef_builder_root(b), nodes[i]);
        else
            for (int k = 0; k < 3; k++)
                ef_builder_connect(b, nodes[(i / W - 1) * W + (i * 7 + k * 5) % W], nodes[i]);
    }
    ef_builder_end(b);
    ef_context *ctx = ef_context_create(g, pool);
    for (int frame = 0; frame < 20; frame++) {
        CHECK(ef_context_execute(ctx) == EF_SUCCESS);
        int bad = 0;
        for (int i = 0; i < L * W; i++) {
            if (atomic_load(&r[i].runs) != frame + 1)
                bad++;
            for (size_t k = 0; k < ef_node_parent_count(nodes[i]); k++) {
                ef_node *p = ef_node_parent(nodes[i], k);
                if (ef_node_is_root(p))
                    continue;
                if (!(atomic_load(&r[ef_node_index(p) - 1].end) < atomic_load(&r[i].start)))
                    bad++;
            }
        }
        CHECK_EQ_INT(bad, 0);
    }
    ef_context_free(ctx);
    ef_graph_free(g);
    free(r);
}

/* top (parallel): 24 parallel nodes, 4 serial, 3 isolate, and 2 nested
 * parallel graphs each with 8 parallel + 1 isolate + 2 serial */
typedef struct {
    ef_graph *g;
    ef_pool *pool;
    int bad;
} hint_job;

static void *hint_thread(void *arg) {
    hint_job *j = arg;
    ef_context *ctx = ef_context_create(j->g, j->pool);
    for (int frame = 0; frame < 10; frame++)
        if (ef_context_execute(ctx) != EF_SUCCESS)
            j->bad++;
    ef_context_free(ctx);
    return NULL;
}

/* contexts > 1: that many threads run their own context of the graph at
 * once on the same pool; isolation must hold across contexts too */
static void test_hints_n(ef_pool *pool, int contexts) {
    gate_env env;
    memset(&env, 0, sizeof env);
    ef_def *dp = ef_def_opaque("par", par_fn, &env, EF_HINT_PARALLEL);
    ef_def *ds = ef_def_opaque("ser", serial_fn, &env, EF_HINT_SERIAL);
    ef_def *di = ef_def_opaque("iso", iso_fn, &env, EF_HINT_ISOLATE);
    ef_def *nested = ef_def_graph("nested", &PAR);
    ef_builder *b = ef_builder_begin(nested, 1);
    for (int i = 0; i < 11; i++) {
        char name[16];
        snprintf(name, sizeof name, "x%d", i);
        ef_node *n = ef_builder_add(b, name, i == 8 ? di : i > 8 ? ds : dp);
        ef_builder_connect(b, ef_builder_root(b), n);
    }
    ef_builder_end(b);
    /* isolate graph definition: 6 parallel inner nodes in a parallel executor */
    ef_def *dinner = ef_def_opaque("inner", inner_fn, &env, EF_HINT_PARALLEL);
    ef_def *isog = ef_def_graph("isolated_graph", &PAR);
    ef_def_set_hint(isog, EF_HINT_ISOLATE);
    ef_def_set_hooks(isog, isog_pre, isog_post, &env);
    b = ef_builder_begin(isog, 1);
    for (int i = 0; i < 6; i++)
        ef_builder_connect(b, ef_builder_root(b), ef_builder_add(b, "in", dinner));
    ef_builder_end(b);
    /* serial graph definition containing serial and parallel nodes */
    ef_def *serg = ef_def_graph("serial_graph", &PAR);
    ef_def_set_hint(serg, EF_HINT_SERIAL);
    b = ef_builder_begin(serg, 1);
    for (int i = 0; i < 4; i++)
        ef_builder_connect(b, ef_builder_root(b), ef_builder_add(b, "s", i < 2 ? ds : dp));
    ef_builder_end(b);
    ef_graph *g = ef_graph_create("top", &PAR);
    b = ef_builder_begin(ef_graph_top(g), 1);
    int expected = 0;
    for (int i = 0; i < 36; i++) {
        char name[16];
        snprintf(name, sizeof name, "n%d", i);
        ef_def *d = i < 24 ? dp : i < 28 ? ds : i < 31 ? di : i < 33 ? nested : i < 34 ? isog : serg;
        ef_node *n = ef_builder_add(b, name, d);
        ef_builder_connect(b, ef_builder_root(b), n);
        expected += d == nested ? 11 : d == isog ? 7 : d == serg ? 4 : 1;
    }
    ef_builder_end(b);
    ef_def_release(dinner);
    ef_def_release(isog);
    ef_def_release(serg);
    hint_job jobs[4];
    pthread_t th[4];
    for (int i = 0; i < contexts; i++) {
        jobs[i] = (hint_job){g, pool, 0};
        pthread_create(&th[i], NULL, hint_thread, &jobs[i]);
    }
    for (int i = 0; i < contexts; i++) {
        pthread_join(th[i], NULL);
        CHECK_EQ_INT(jobs[i].bad, 0);
    }
    CHECK_EQ_INT(atomic_load(&env.runs), expected * 10 * contexts);
    CHECK_EQ_INT(atomic_load(&env.violations), 0);
    fprintf(stderr, "hints: pool workers %u, max concurrent nodes observed %d\n",
            pool ? ef_pool_workers(pool) : 0, atomic_load(&env.max_running));
    ef_graph_free(g);
    ef_def_release(dp);
    ef_def_release(ds);
    ef_def_release(di);
    ef_def_release(nested);
}

static void test_hints(ef_pool *pool) { test_hints_n(pool, 1); }

/* bypass: runs inline on the thread that made it ready */
typedef struct {
    atomic_long parent_tid, child_tid;
} bypass_env;

static ef_status bp_parent(ef_task *t, void *u) {
    (void)t;
    atomic_store(&((bypass_env *)u)->parent_tid, tid());
    return EF_SUCCESS;
}
static ef_status bp_child(ef_task *t, void *u) {
    (void)t;
    atomic_store(&((bypass_env *)u)->child_tid, tid());
    return EF_SUCCESS;
}

static void test_bypass(ef_pool *pool) {
    enum { N = 16 };
    bypass_env env[N];
    memset(env, 0, sizeof env);
    ef_graph *g = ef_graph_create("top", &PAR);
    ef_builder *b = ef_builder_begin(ef_graph_top(g), 1);
    for (int i = 0; i < N; i++) {
        ef_def *p = ef_def_opaque("p", bp_parent, &env[i], EF_HINT_PARALLEL);
        ef_def *c = ef_def_opaque("c", bp_child, &env[i], EF_HINT_BYPASS);
        ef_node *pn = ef_builder_add(b, "p", p), *cn = ef_builder_add(b, "c", c);
        ef_builder_connect(b, ef_builder_root(b), pn);
        ef_builder_connect(b, pn, cn);
        ef_def_release(p);
        ef_def_release(c);
    }
    ef_builder_end(b);
    ef_context *ctx = ef_context_create(g, pool);
    for (int frame = 0; frame < 5; frame++) {
        CHECK(ef_context_execute(ctx) == EF_SUCCESS);
        int bad = 0;
        for (int i = 0; i < N; i++)
            if (atomic_load(&env[i].parent_tid) != atomic_load(&env[i].child_tid))
                bad++;
        CHECK_EQ_INT(bad, 0);
    }
    ef_context_free(ctx);
    ef_graph_free(g);
}

/* nested executors 4 levels deep on a small pool: no deadlock */
static ef_status leaf_fn(ef_task *t, void *u) {
    (void)t;
    spin_work(300);
    atomic_fetch_add((atomic_int *)u, 1);
    return EF_SUCCESS;
}

static ef_def *level(const char *name, ef_def *child, int n, int chain) {
    ef_def *d = ef_def_graph(name, &PAR);
    ef_builder *b = ef_builder_begin(d, 1);
    ef_node *prev = ef_builder_root(b);
    for (int i = 0; i < n; i++) {
        char nm[16];
        snprintf(nm, sizeof nm, "c%d", i);
        ef_node *x = ef_builder_add(b, nm, child);
        ef_builder_connect(b, chain && (i % 3 == 2) ? prev : ef_builder_root(b), x);
        prev = x;
    }
    ef_builder_end(b);
    return d;
}

static void test_nested(ef_pool *pool) {
    atomic_int leaves = 0;
    ef_def *leaf = ef_def_opaque("leaf", leaf_fn, &leaves, EF_HINT_PARALLEL);
    ef_def *l3 = level("l3", leaf, 8, 1);
    ef_def *l2 = level("l2", l3, 6, 1);
    ef_def *l1 = level("l1", l2, 6, 0);
    ef_graph *g = ef_graph_create("top", &PAR);
    ef_builder *b = ef_builder_begin(ef_graph_top(g), 1);
    for (int i = 0; i < 4; i++) {
        ef_node *x = ef_builder_add(b, "l1", l1);
        ef_builder_connect(b, ef_builder_root(b), x);
    }
    ef_builder_end(b);
    ef_context *ctx = ef_context_create(g, pool);
    for (int f = 0; f < 3; f++)
        CHECK(ef_context_execute(ctx) == EF_SUCCESS);
    CHECK_EQ_INT(atomic_load(&leaves), 3 * 4 * 6 * 6 * 8);
    ef_context_free(ctx);
    ef_graph_free(g);
    ef_def_release(leaf);
    ef_def_release(l3);
    ef_def_release(l2);
    ef_def_release(l1);
}

/* dynamic work in a parallel executor, including work scheduled by dynamic
 * work */
static ef_status dyn_leaf(ef_task *t, void *u) {
    (void)t;
    atomic_fetch_add((atomic_int *)u, 1);
    return EF_SUCCESS;
}
static ef_status dyn_mid(ef_task *t, void *u) {
    for (int i = 0; i < 4; i++)
        ef_executor_schedule(ef_task_executor(t), dyn_leaf, u, EF_HINT_PARALLEL);
    return EF_SUCCESS;
}
static ef_status dyn_root(ef_task *t, void *u) {
    for (int i = 0; i < 25; i++)
        ef_executor_schedule(ef_task_executor(t), dyn_mid, u, i % 5 ? EF_HINT_PARALLEL : EF_HINT_SERIAL);
    return EF_SUCCESS;
}

static void test_dynamic(ef_pool *pool) {
    atomic_int n = 0;
    ef_graph *g = ef_graph_create("top", &PAR);
    ef_def *d = ef_def_opaque("spawn", dyn_root, &n, EF_HINT_PARALLEL);
    ef_builder *b = ef_builder_begin(ef_graph_top(g), 1);
    for (int i = 0; i < 4; i++) {
        ef_node *x = ef_builder_add(b, "spawn", d);
        ef_builder_connect(b, ef_builder_root(b), x);
    }
    ef_builder_end(b);
    ef_context *ctx = ef_context_create(g, pool);
    CHECK(ef_context_execute(ctx) == EF_SUCCESS);
    CHECK_EQ_INT(atomic_load(&n), 4 * 25 * 4);
    ef_context_free(ctx);
    ef_def_release(d);
    ef_graph_free(g);
}

/* several contexts running the same graph at once, sharing the pool */
#define CNT_TYPE 7u
static ef_status count_fn(ef_task *t, void *u) {
    (void)u;
    ef_state *s = ef_task_state(t);
    long *c = ef_state_data(s, CNT_TYPE);
    if (!c) {
        c = calloc(1, sizeof *c);
        ef_state_set_data(s, CNT_TYPE, c, free);
    }
    (*c)++;
    spin_work(200);
    return EF_SUCCESS;
}

typedef struct {
    ef_graph *g;
    ef_pool *pool;
    int frames;
    int bad;
} ctx_job;

static void *ctx_thread(void *arg) {
    ctx_job *j = arg;
    ef_context *ctx = ef_context_create(j->g, j->pool);
    for (int f = 0; f < j->frames; f++)
        if (ef_context_execute(ctx) != EF_SUCCESS)
            j->bad++;
    ef_path p;
    const char *paths[] = {"/a/x", "/a/y", "/b/x", "/b/y", "/c"};
    for (int i = 0; i < 5; i++) {
        ef_path_parse(j->g, paths[i], &p);
        long *c = ef_state_data(ef_context_state(ctx, &p), CNT_TYPE);
        if (!c || *c != j->frames)
            j->bad++;
    }
    ef_context_free(ctx);
    return NULL;
}

static void test_contexts(ef_pool *pool) {
    ef_def *cnt = ef_def_opaque("count", count_fn, NULL, EF_HINT_PARALLEL);
    ef_def *sub = ef_def_graph("sub", &PAR);
    ef_builder *b = ef_builder_begin(sub, 1);
    ef_node *x = ef_builder_add(b, "x", cnt), *y = ef_builder_add(b, "y", cnt);
    ef_builder_connect(b, ef_builder_root(b), x);
    ef_builder_connect(b, x, y);
    ef_builder_end(b);
    ef_graph *g = ef_graph_create("top", &PAR);
    b = ef_builder_begin(ef_graph_top(g), 1);
    ef_node *a = ef_builder_add(b, "a", sub), *bb = ef_builder_add(b, "b", sub), *c = ef_builder_add(b, "c", cnt);
    ef_builder_connect(b, ef_builder_root(b), a);
    ef_builder_connect(b, ef_builder_root(b), bb);
    ef_builder_connect(b, a, c);
    ef_builder_end(b);
    ctx_job jobs[3];
    pthread_t th[3];
    for (int i = 0; i < 3; i++) {
        jobs[i] = (ctx_job){g, pool, 30, 0};
        pthread_create(&th[i], NULL, ctx_thread, &jobs[i]);
    }
    for (int i = 0; i < 3; i++) {
        pthread_join(th[i], NULL);
        CHECK_EQ_INT(jobs[i].bad, 0);
    }
    ef_graph_free(g);
    ef_def_release(cnt);
    ef_def_release(sub);
}

/* determinism: node values computed from ordered inputs do not depend on
 * the number of threads */
typedef struct {
    uint64_t *vals;
    int idx;
    int *parents;
    int np;
} det_node;

static ef_status det_fn(ef_task *t, void *u) {
    (void)t;
    det_node *d = u;
    uint64_t h = 1469598103934665603ull ^ (uint64_t)d->idx;
    for (int k = 0; k < d->np; k++)
        h = (h ^ d->vals[d->parents[k]]) * 1099511628211ull;
    d->vals[d->idx] = h;
    return EF_SUCCESS;
}

static void det_run(ef_pool *pool, int force_serial, uint64_t *out) {
    enum { N = 200 };
    static det_node dn[N];
    static int parents[N][4];
    ef_graph *g = ef_graph_create("top", &PAR);
    ef_builder *b = ef_builder_begin(ef_graph_top(g), 1);
    ef_node *nodes[N];
    uint32_t seed = 12345;
    for (int i = 0; i < N; i++) {
        dn[i] = (det_node){out, i, parents[i], 0};
        ef_def *d = ef_def_opaque("det", det_fn, &dn[i], EF_HINT_PARALLEL);
        nodes[i] = ef_builder_add(b, "det", d);
        ef_def_release(d);
        for (int k = 0; k < 4 && i > 0; k++) {
            seed = seed * 1103515245u + 12345u;
            int p = (int)((seed >> 8) % (uint32_t)i);
            if (ef_node_child_count(nodes[p]) && k > 1)
                continue;
            int dup = 0;
            for (int q = 0; q < dn[i].np; q++)
                dup |= parents[i][q] == p;
            if (dup)
                continue;
            parents[i][dn[i].np++] = p;
            ef_builder_connect(b, nodes[p], nodes[i]);
        }
        if (!dn[i].np)
            ef_builder_connect(b, ef_builder_root(b), nodes[i]);
    }
    ef_builder_end(b);
    ef_context *ctx = ef_context_create(g, pool);
    ef_context_set_force_serial(ctx, force_serial);
    ef_context_execute(ctx);
    ef_context_free(ctx);
    ef_graph_free(g);
}

static void test_determinism(ef_pool **pools, int npools) {
    uint64_t ref[200], got[200];
    det_run(NULL, 1, ref);
    for (int i = 0; i < npools; i++) {
        memset(got, 0, sizeof got);
        det_run(pools[i], 0, got);
        CHECK(memcmp(ref, got, sizeof ref) == 0);
    }
}

static ef_status fail_late(ef_task *t, void *u) {
    (void)u;
    return ef_task_fail(t, "late failure");
}

static void test_stop_parallel(ef_pool *pool) {
    gate_env env;
    memset(&env, 0, sizeof env);
    ef_def *dp = ef_def_opaque("par", par_fn, &env, EF_HINT_PARALLEL);
    ef_def *df = ef_def_opaque("fail", fail_late, NULL, EF_HINT_PARALLEL);
    ef_executor_desc d = PAR;
    d.stop_on_failure = 1;
    ef_graph *g = ef_graph_create("top", &d);
    ef_builder *b = ef_builder_begin(ef_graph_top(g), 1);
    ef_node *f = ef_builder_add(b, "f", df);
    ef_builder_connect(b, ef_builder_root(b), f);
    ef_node *prev = f;
    for (int i = 0; i < 50; i++) {
        ef_node *x = ef_builder_add(b, "p", dp);
        ef_builder_connect(b, prev, x);
        prev = x;
    }
    ef_builder_end(b);
    ef_context *ctx = ef_context_create(g, pool);
    ef_status st = ef_context_execute(ctx);
    CHECK((st & EF_FAILURE) && (st & EF_CANCELLED));
    CHECK_EQ_INT(atomic_load(&env.runs), 0);
    CHECK(ef_context_error(ctx) && !strcmp(ef_error_path(ef_context_error(ctx)), "/f"));
    ef_context_free(ctx);
    ef_graph_free(g);
    ef_def_release(dp);
    ef_def_release(df);
}

int main(void) {
    ef_pool *pools[3] = {ef_pool_create(0), ef_pool_create(1), ef_pool_create(3)};
    for (int i = 0; i < 3; i++)
        CHECK(pools[i] != NULL);
    for (int i = 0; i < 3; i++) {
        test_parallel_order(pools[i]);
        test_hints(pools[i]);
        test_bypass(pools[i]);
        test_nested(pools[i]);
        test_dynamic(pools[i]);
        test_contexts(pools[i]);
        test_stop_parallel(pools[i]);
        test_hints_n(pools[i], 3);
    }
    test_hints(NULL);
    test_determinism(pools, 3);
    for (int i = 0; i < 3; i++)
        ef_pool_free(pools[i]);
    TEST_END();
}
