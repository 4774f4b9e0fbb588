/* The generic executor: interprets one instance of a graph definition for
 * one execution. Pluggable visit strategy (visit.c) and scheduler (serial
 * FIFO in sched_serial.c, the work-stealing pool in pool.c); hints come from
 * the definitions. */
#include "ef_internal.h"

#include <stdarg.h>
#include <stdio.h>

static inline ef_hint node_hint(const ef_node *n) { return n->def ? n->def->hint : EF_HINT_BYPASS; }

static inline int stopped(ef_executor *e) {
    return atomic_load_explicit(&e->ctx->cancel, memory_order_relaxed) ||
           (e->desc.stop_on_failure && atomic_load_explicit(&e->failed, memory_order_relaxed));
}

static inline void or_status(ef_executor *e, ef_status st) {
    if ((atomic_load_explicit(&e->status, memory_order_relaxed) & st) != st)
        atomic_fetch_or_explicit(&e->status, st, memory_order_relaxed);
    if (st & EF_FAILURE) atomic_store_explicit(&e->failed, 1, memory_order_relaxed);
}

/* ---- running one node ------------------------------------------------------ */

ef_status ef_run_graph_task(ef_task *t, ef_def *d) {
    ef_status st = 0;
    t->gdef = d;
    if (d->pre) st |= d->pre(t, d->hook_user);
    if (d->run)
        st |= d->run(t, d->run_user);
    else
        st |= ef_task_run_graph_at(t, t->time, t->dt);
    if (d->post) st |= d->post(t, d->hook_user);
    return st;
}

static ef_status run_node(ef_executor *e, ef_node *n) {
    ef_context *c = e->ctx;
    if (stopped(e)) return EF_SKIP | EF_CANCELLED;
    ef_task t = {n, &e->path, c, e, NULL, e->dt, 0, false, e->time};
    ef_gate_ticket gt;
    ef_gate_enter(c->pool, node_hint(n), &gt);
    ef_current save;
    ef_current_swap(&save, &t, e);
    int prof = atomic_load_explicit(&c->profiling, memory_order_relaxed) |
               atomic_load_explicit(&c->tracing, memory_order_relaxed);
    uint64_t t0 = prof ? pbase_now_ns() : 0;
    ef_status st;
    ef_def *d = n->def;
    if (!d)
        st = EF_SUCCESS;
    else if (d->kind == EF_DEF_OPAQUE)
        st = d->fn ? d->fn(&t, d->user) : EF_SUCCESS;
    else
        st = ef_run_graph_task(&t, d);
    if (prof) ef_profile_record(c, &e->path, n, t0, pbase_now_ns());
    ef_current_restore(&save);
    ef_gate_leave(c->pool, &gt);
    if ((st & EF_FAILURE) && !t.failed_recorded && (!d || d->kind == EF_DEF_OPAQUE))
        ef_context_record_failure(c, &e->path, n, "node failed");
    if (e->desc.visit == EF_VISIT_CACHE_CHECK && (st & EF_SUCCESS) && !(st & EF_FAILURE)) {
        ef_path p;
        ef_path_copy(&p, &e->path);
        if (!ef_path_push(&p, n)) {
            ef_state *s = ef_statemap_get(&c->states, &p, 1);
            if (s) atomic_store(&s->dirty, 0);
        }
    }
    return st;
}

static ef_status run_dynamic(ef_executor *e, const ef_job *j) {
    ef_context *c = e->ctx;
    if (stopped(e)) return EF_SKIP | EF_CANCELLED;
    ef_task t = {NULL, &e->path, c, e, NULL, e->dt, 0, false, e->time};
    ef_gate_ticket gt;
    ef_gate_enter(c->pool, (ef_hint)j->hint, &gt);
    ef_current save;
    ef_current_swap(&save, &t, e);
    ef_status st = j->fn(&t, j->user);
    ef_current_restore(&save);
    ef_gate_leave(c->pool, &gt);
    if ((st & EF_FAILURE) && !t.failed_recorded) ef_context_record_failure(c, &e->path, NULL, "dynamic task failed");
    return st;
}

/* ---- continuing after a node reported ------------------------------------------ */

typedef struct {
    ef_node *node;
    ef_status st;
} done_item;

static void schedule_ready(ef_executor *e, ef_node *c, ef_job *cont, int *has_cont) {
    ef_job j = {e, c, NULL, NULL, (uint8_t)node_hint(c)};
    if (!e->pool) {
        if (ef_fifo_push(&e->fifo, e->fifo_small, 32, &j)) {
            /* Out of memory: run it now rather than lose it. */
            ef_status st = run_node(e, c);
            or_status(e, st | EF_FAILURE);
        }
        return;
    }
    atomic_fetch_add_explicit(&e->pending, 1, memory_order_relaxed);
    if (j.hint == EF_HINT_PARALLEL && cont && !*has_cont) {
        *cont = j;
        *has_cont = 1;
        return;
    }
    ef_pool_push(e->pool, &j);
}

/* Reports node n finished with status st: visits its children, passes
 * through nodes that must not run, runs bypass nodes inline, schedules the
 * rest. At most one ready parallel child is returned in *cont (run next on
 * this thread: chains stay on one core). Iterative: no recursion. */
static void finish_node(ef_executor *e, ef_node *n, ef_status st, ef_job *cont, int *has_cont) {
    done_item small[16];
    done_item *stack = small;
    size_t sp = 0, cap = 16;
    stack[sp++] = (done_item){n, st};
    while (sp) {
        done_item it = stack[--sp];
        or_status(e, it.st);
        ef_node *p = it.node;
        for (uint32_t k = 0; k < p->children.n; k++) {
            const ef_edge *edge = &p->children.v[k];
            ef_status pass = 0;
            ef_visit_result r = ef_visit(e, p, it.st, edge, &pass);
            if (r == EF_V_WAIT) continue;
            ef_node *c = edge->node;
            ef_status cst;
            if (r == EF_V_PASS) {
                cst = pass;
            } else if (node_hint(c) == EF_HINT_BYPASS && !ef_pool_is_isolated()) {
                cst = run_node(e, c);
            } else {
                schedule_ready(e, c, cont, has_cont);
                continue;
            }
            if (sp == cap) {
                size_t nc = cap * 2;
                done_item *nv = malloc(nc * sizeof *nv);
                if (!nv) {
                    or_status(e, EF_FAILURE);
                    continue;
                }
                memcpy(nv, stack, sp * sizeof *nv);
                if (stack != small) free(stack);
                stack = nv;
                cap = nc;
            }
            stack[sp++] = (done_item){c, cst};
        }
    }
    if (stack != small) free(stack);
}

/* ---- jobs ------------------------------------------------------------------------ */

void ef_job_run(ef_job *j0) {
    ef_job j = *j0;
    for (;;) {
        ef_executor *e = j.exec;
        ef_pool *pool = e->pool;
        ef_job cont;
        int has_cont = 0;
        if (j.node) {
            ef_status st = run_node(e, j.node);
            finish_node(e, j.node, st, pool ? &cont : NULL, &has_cont);
        } else {
            or_status(e, run_dynamic(e, &j));
        }
        if (pool && atomic_fetch_sub_explicit(&e->pending, 1, memory_order_acq_rel) == 1) ef_pool_notify(pool);
        if (!has_cont) break;
        j = cont;
    }
}

/* ---- executor lifetime ------------------------------------------------------------- */

ef_status ef_executor_run(ef_context *c, ef_def *d, const ef_path *path, double time, double dt, uint32_t step) {
    ef_executor *e = malloc(sizeof *e);
    if (!e) return EF_FAILURE;
    ef_topology *t = d->topo;
    e->ctx = c;
    e->def = d;
    e->topo = t;
    ef_path_copy(&e->path, path);
    e->desc = d->desc;
    if (c->stop_on_failure) e->desc.stop_on_failure = 1;
    e->pool = (e->desc.scheduler == EF_SCHED_PARALLEL && c->pool && !c->force_serial && !ef_pool_is_isolated())
                  ? c->pool
                  : NULL;
    e->dt = dt;
    e->time = time;
    e->step = step;
    e->nd_n = t->bound;
    e->nd = t->bound <= 32 ? e->nd_small : malloc(t->bound * sizeof *e->nd);
    if (!e->nd) {
        free(e);
        return EF_FAILURE;
    }
    for (uint32_t i = 0; i < t->bound; i++) {
        atomic_init(&e->nd[i].count, 0);
        atomic_init(&e->nd[i].flags, 0);
    }
    atomic_init(&e->status, 0);
    atomic_init(&e->failed, 0);
    atomic_init(&e->pending, 0);
    memset(&e->fifo, 0, sizeof e->fifo);

    if (e->pool) {
        ef_job cont;
        int has_cont = 0;
        atomic_fetch_add(&e->pending, 1); /* the start itself */
        finish_node(e, t->root, EF_SUCCESS, &cont, &has_cont);
        if (has_cont) ef_job_run(&cont);
        if (atomic_fetch_sub(&e->pending, 1) != 1) ef_pool_wait(e->pool, &e->pending);
    } else {
        /* Size the FIFO for the whole topology up front (no regrowth). */
        if (t->bound > 32) {
            size_t cap = 64;
            while (cap < t->bound) cap *= 2;
            e->fifo.v = malloc(cap * sizeof *e->fifo.v);
            e->fifo.cap = e->fifo.v ? cap : 0;
        }
        finish_node(e, t->root, EF_SUCCESS, NULL, NULL);
        ef_job j;
        while (ef_fifo_pop(&e->fifo, &j)) ef_job_run(&j);
    }
    ef_status st = atomic_load(&e->status);
    ef_fifo_free(&e->fifo, e->fifo_small);
    if (e->nd != e->nd_small) free(e->nd);
    free(e);
    return st;
}

ef_status ef_exec_single(ef_context *c, ef_def *owner, const ef_path *upstream, ef_node *n) {
    ef_executor *e = calloc(1, sizeof *e);
    if (!e) return EF_FAILURE;
    e->ctx = c;
    e->def = owner;
    e->topo = owner->topo;
    ef_path_copy(&e->path, upstream);
    e->desc = owner->desc;
    e->pool = NULL;
    e->dt = c->frame_dt;
    e->time = c->frame_time;
    ef_status st = run_node(e, n);
    /* Dynamic work scheduled by the node runs before returning. */
    ef_job j;
    while (ef_fifo_pop(&e->fifo, &j)) ef_job_run(&j);
    st |= atomic_load(&e->status);
    ef_fifo_free(&e->fifo, e->fifo_small);
    free(e);
    return st;
}

/* ---- public executor and task API ----------------------------------------------------- */

int ef_executor_schedule(ef_executor *e, ef_exec_fn fn, void *user, ef_hint hint) {
    if (!e || !fn) return -1;
    ef_job j = {e, NULL, fn, user, (uint8_t)hint};
    if (hint == EF_HINT_BYPASS) {
        or_status(e, run_dynamic(e, &j));
        return 0;
    }
    if (!e->pool) return ef_fifo_push(&e->fifo, e->fifo_small, 32, &j);
    atomic_fetch_add(&e->pending, 1);
    return ef_pool_push(e->pool, &j);
}

const ef_path *ef_executor_path(const ef_executor *e) { return &e->path; }

ef_node *ef_task_node(const ef_task *t) { return t->node; }
const ef_path *ef_task_upstream(const ef_task *t) { return t->upstream; }
ef_context *ef_task_context(const ef_task *t) { return t->ctx; }
ef_executor *ef_task_executor(const ef_task *t) { return t->exec; }
double ef_task_dt(const ef_task *t) { return t->dt; }
double ef_task_time(const ef_task *t) { return t->time; }
uint32_t ef_task_step(const ef_task *t) { return t->exec ? t->exec->step : 0; }

int ef_task_path(const ef_task *t, ef_path *out) {
    ef_path_copy(out, t->upstream);
    if (t->node) return ef_path_push(out, t->node);
    return 0;
}

ef_state *ef_task_state(ef_task *t) {
    ef_path p;
    if (ef_task_path(t, &p)) return NULL;
    return ef_statemap_get(&t->ctx->states, &p, 1);
}

ef_status ef_task_fail(ef_task *t, const char *fmt, ...) {
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt ? fmt : "failure", ap);
    va_end(ap);
    ef_context_record_failure(t->ctx, t->upstream, t->node, msg);
    t->failed_recorded = true;
    return EF_FAILURE;
}

ef_status ef_task_run_graph(ef_task *t, double step_dt) { return ef_task_run_graph_at(t, t->time, step_dt); }

ef_status ef_task_run_graph_at(ef_task *t, double time, double step_dt) {
    ef_def *d = t->gdef;
    if (!d) return ef_task_fail(t, "ef_task_run_graph outside a graph definition's run hook");
    ef_path p;
    if (ef_task_path(t, &p))
        return ef_task_fail(t, "execution path deeper than %d (recursive definition?)", EF_PATH_MAX);
    ef_status st = ef_executor_run(t->ctx, d, &p, time, step_dt, t->runs++);
    if (st & EF_FAILURE) t->failed_recorded = true; /* recorded inside */
    return st;
}
