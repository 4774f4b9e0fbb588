/* ef benchmark (a program, not a test). Reports:
 *   1. serial executor overhead per node (empty nodes; target <= 100 ns)
 *   2. parallel speed-up for 10 000 independent nodes of ~20 us
 *      (target >= 1.85x on a 2-core machine)
 *   3. chain-heavy graphs on the parallel executor versus serial
 *      (target: no slowdown beyond 10 %)
 * Usage: ef_bench [workers]   (default: cores - 1; the calling thread also
 * runs work). Each figure is the best of several repetitions. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <portalis/base.h>
#include "portalis/ef.h"

static double now_s(void) { return (double)pbase_now_ns() * 1e-9; }

static unsigned long iters_per_us = 100;

static void spin(unsigned long iters) {
    volatile unsigned long x = 0;
    for (unsigned long i = 0; i < iters; i++)
        x += i;
    (void)x;
}

static void calibrate(void) {
    unsigned long n = 2000000;
    double best = 1e9;
    for (int r = 0; r < 5; r++) {
        double t0 = now_s();
        spin(n);
        double t = now_s() - t0;
        if (t < best)
            best = t;
    }
    iters_per_us = (unsigned long)((double)n / (best * 1e6));
    if (!iters_per_us)
        iters_per_us = 1;
}

/* Machine baseline: the same total work split over raw pthreads, to show
 * what speed-up the (possibly shared, noisy) machine allows right now. */
typedef struct {
    int n;
    unsigned long iters;
} raw_job;

static void *raw_thread(void *arg) {
    raw_job *j = arg;
    for (int i = 0; i < j->n; i++)
        spin(j->iters);
    return NULL;
}

static double raw_speedup(int threads, int n, unsigned long iters, int reps) {
    double ts = 1e99, tp = 1e99;
    for (int r = 0; r < reps; r++) {
        raw_job one = {n, iters};
        double t0 = now_s();
        raw_thread(&one);
        double t = now_s() - t0;
        if (t < ts)
            ts = t;
        pthread_t th[64];
        raw_job part = {n / threads, iters};
        t0 = now_s();
        for (int i = 1; i < threads; i++)
            pthread_create(&th[i], NULL, raw_thread, &part);
        raw_thread(&part);
        for (int i = 1; i < threads; i++)
            pthread_join(th[i], NULL);
        t = now_s() - t0;
        if (t < tp)
            tp = t;
    }
    return ts / tp;
}

static ef_status empty_fn(ef_task *t, void *u) {
    (void)t;
    (void)u;
    return EF_SUCCESS;
}

/* Which thread ran the work: evidence of parallelism independent of how
 * busy the machine is. */
static pthread_t main_thread;
static atomic_long ran_on_caller, ran_on_workers;

static ef_status work_fn(ef_task *t, void *u) {
    (void)t;
    spin((unsigned long)(uintptr_t)u);
    if (pthread_equal(pthread_self(), main_thread))
        atomic_fetch_add_explicit(&ran_on_caller, 1, memory_order_relaxed);
    else
        atomic_fetch_add_explicit(&ran_on_workers, 1, memory_order_relaxed);
    return EF_SUCCESS;
}

/* shape 0: independent; 1: one chain; 2: `chains` parallel chains */
static ef_graph *make_graph(int n, int shape, int chains, ef_sched_kind sched, ef_def *def) {
    ef_executor_desc desc = {EF_VISIT_ALL_PARENTS, sched, 0, NULL, NULL};
    ef_graph *g = ef_graph_create("bench", &desc);
    ef_builder *b = ef_builder_begin(ef_graph_top(g), 1);
    ef_node **nodes = malloc((size_t)n * sizeof *nodes);
    for (int i = 0; i < n; i++) {
        nodes[i] = ef_builder_add(b, "n", def);
        ef_node *parent = ef_builder_root(b);
        if (shape == 1 && i > 0)
            parent = nodes[i - 1];
        if (shape == 2 && i >= chains)
            parent = nodes[i - chains];
        ef_builder_connect(b, parent, nodes[i]);
    }
    ef_builder_end(b);
    free(nodes);
    return g;
}

/* Alternates serial and parallel runs (best of reps each), so both see
 * similar machine conditions. */
static void compare(ef_graph *gs, ef_graph *gp, ef_pool *pool, int reps, double *ts, double *tp) {
    ef_context *cs = ef_context_create(gs, NULL), *cp = ef_context_create(gp, pool);
    ef_context_execute(cs);
    ef_context_execute(cp);
    *ts = *tp = 1e99;
    for (int r = 0; r < reps; r++) {
        double t0 = now_s();
        ef_context_execute(cs);
        double t = now_s() - t0;
        if (t < *ts)
            *ts = t;
        t0 = now_s();
        ef_context_execute(cp);
        t = now_s() - t0;
        if (t < *tp)
            *tp = t;
    }
    ef_context_free(cs);
    ef_context_free(cp);
}

static double run(ef_graph *g, ef_pool *pool, int frames, int reps) {
    ef_context *ctx = ef_context_create(g, pool);
    ef_context_execute(ctx); /* warm up */
    double best = 1e99;
    for (int r = 0; r < reps; r++) {
        double t0 = now_s();
        for (int f = 0; f < frames; f++)
            ef_context_execute(ctx);
        double t = (now_s() - t0) / frames;
        if (t < best)
            best = t;
    }
    ef_context_free(ctx);
    return best;
}

int main(int argc, char **argv) {
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    unsigned workers = argc > 1 ? (unsigned)atoi(argv[1]) : (unsigned)(cores > 1 ? cores - 1 : 0);
    main_thread = pthread_self();
    calibrate();
    ef_pool *pool = ef_pool_create(workers);
    printf("ef_bench: %ld cores, pool of %u workers + the calling thread, %lu spin iterations/us\n\n", cores,
           ef_pool_workers(pool), iters_per_us);

    /* 1. serial overhead */
    ef_def *empty = ef_def_opaque("empty", empty_fn, NULL, EF_HINT_PARALLEL);
    const int N = 10000;
    for (int shape = 0; shape < 2; shape++) {
        ef_graph *g = make_graph(N, shape, 1, EF_SCHED_SERIAL, empty);
        double t = run(g, NULL, 50, 5);
        printf("serial overhead per node (%s, %d empty nodes): %.1f ns  [target <= 100 ns]\n",
               shape ? "chain" : "independent", N, t / N * 1e9);
        ef_graph_free(g);
    }
    {
        ef_graph *g = make_graph(N, 0, 1, EF_SCHED_PARALLEL, empty);
        double t = run(g, pool, 20, 5);
        printf("parallel executor overhead per node (independent, empty): %.1f ns\n", t / N * 1e9);
        ef_graph_free(g);
    }
    ef_def_release(empty);

    /* 2. speed-up, 10 000 independent nodes of ~20 us */
    ef_def *w20 = ef_def_opaque("work20", work_fn, (void *)(uintptr_t)(20 * iters_per_us), EF_HINT_PARALLEL);
    {
        ef_graph *gs = make_graph(N, 0, 1, EF_SCHED_SERIAL, w20);
        ef_graph *gp = make_graph(N, 0, 1, EF_SCHED_PARALLEL, w20);
        double ts, tp;
        compare(gs, gp, pool, 5, &ts, &tp);
        /* one more parallel frame to see who ran the nodes */
        ef_context *cp = ef_context_create(gp, pool);
        atomic_store(&ran_on_caller, 0);
        atomic_store(&ran_on_workers, 0);
        ef_context_execute(cp);
        ef_context_free(cp);
        long on_caller = atomic_load(&ran_on_caller), on_workers = atomic_load(&ran_on_workers);
        printf("\nmachine baseline: raw pthreads, same work over %u threads: speed-up %.2fx\n",
               ef_pool_workers(pool) + 1, raw_speedup((int)ef_pool_workers(pool) + 1, N, 20 * iters_per_us, 3));
        printf("10000 independent nodes x ~20 us: serial %.1f ms, parallel %.1f ms, speed-up %.2fx  [target >= "
               "1.85x]\n",
               ts * 1e3, tp * 1e3, ts / tp);
        printf("  measured node duration (serial run): %.1f us; work split in a parallel frame: calling thread "
               "%ld nodes,"
               " pool workers %ld nodes\n",
               ts / N * 1e6, on_caller, on_workers);
        ef_graph_free(gs);
        ef_graph_free(gp);
    }

    /* 3. chain-heavy graphs */
    struct {
        const char *name;
        int n, chains;
        unsigned us;
    } cases[] = {
        {"1 chain x 10000 nodes x ~20 us", 10000, 1, 20},
        {"1 chain x 10000 nodes x ~2 us", 10000, 1, 2},
        {"2 chains x 5000 nodes x ~20 us", 10000, 2, 20},
        {"8 chains x 1250 nodes x ~20 us", 10000, 8, 20},
    };
    printf("\n");
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        ef_def *w =
            ef_def_opaque("work", work_fn, (void *)(uintptr_t)(cases[c].us * iters_per_us), EF_HINT_PARALLEL);
        ef_graph *gs = make_graph(cases[c].n, 2, cases[c].chains, EF_SCHED_SERIAL, w);
        ef_graph *gp = make_graph(cases[c].n, 2, cases[c].chains, EF_SCHED_PARALLEL, w);
        double ts, tp;
        compare(gs, gp, pool, 5, &ts, &tp);
        printf("chain-heavy %-32s serial %7.1f ms, parallel %7.1f ms, parallel/serial %.3f  [target <= 1.10]\n",
               cases[c].name, ts * 1e3, tp * 1e3, tp / ts);
        ef_graph_free(gs);
        ef_graph_free(gp);
        ef_def_release(w);
    }
    ef_def_release(w20);
    ef_pool_free(pool);
    return 0;
}
