/* Execution context: per-path state persisting across frames, whole-graph
 * execution, on-demand execution of one instance, instance iteration,
 * cancellation and failure payloads. */
#include "ef_internal.h"

#include <stdio.h>

ef_context *ef_context_create(ef_graph *g, ef_pool *pool) {
    if (!g) return NULL;
    ef_context *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    c->graph = g;
    c->pool = pool;
    ef_statemap_init(&c->states);
    atomic_init(&c->exec_stamp, 0);
    atomic_init(&c->cancel, 0);
    atomic_init(&c->profiling, 0);
    atomic_init(&c->tracing, 0);
    pthread_mutex_init(&c->err_mu, NULL);
    pthread_mutex_init(&c->inst_mu, NULL);
    pthread_mutex_init(&c->trace_mu, NULL);
    c->frame_dt = 1.0 / 60.0;
    c->t0_ns = pbase_now_ns();
    return c;
}

void ef_context_free(ef_context *c) {
    if (!c) return;
    ef_statemap_destroy(&c->states);
    free(c->err.message);
    free(c->err.path);
    free(c->inst);
    for (size_t i = 0; i < c->trace_n; i++) {
        free((char *)c->trace[i].name);
        free(c->trace[i].path);
    }
    free(c->trace);
    pthread_mutex_destroy(&c->err_mu);
    pthread_mutex_destroy(&c->inst_mu);
    pthread_mutex_destroy(&c->trace_mu);
    free(c);
}

ef_graph *ef_context_graph(const ef_context *c) { return c->graph; }
void ef_context_cancel(ef_context *c) { atomic_store(&c->cancel, 1); }
void ef_context_set_stop_on_failure(ef_context *c, int on) { c->stop_on_failure = on; }
void ef_context_set_force_serial(ef_context *c, int on) { c->force_serial = on; }
void ef_context_set_frame_dt(ef_context *c, double dt) { c->frame_dt = dt; }
double ef_context_frame_dt(const ef_context *c) { return c->frame_dt; }
void ef_context_set_frame_time(ef_context *c, double t) { c->frame_time = t; }
double ef_context_frame_time(const ef_context *c) { return c->frame_time; }
uint64_t ef_context_stamp(const ef_context *c) { return atomic_load(&((ef_context *)c)->exec_stamp); }

const ef_error *ef_context_error(const ef_context *c) { return c->has_err ? &c->err : NULL; }
const char *ef_error_message(const ef_error *e) { return e ? e->message : NULL; }
const char *ef_error_path(const ef_error *e) { return e ? e->path : NULL; }
uint32_t ef_error_count(const ef_error *e) { return e ? e->count : 0; }

void ef_context_record_failure(ef_context *c, const ef_path *up, const ef_node *n, const char *msg) {
    char path[1024];
    ef_path p;
    ef_path_copy(&p, up);
    if (n) ef_path_push(&p, n);
    ef_path_format(&p, path, sizeof path);
    pthread_mutex_lock(&c->err_mu);
    c->err.count++;
    if (!c->has_err) {
        c->err.message = ef_strdup(msg);
        c->err.path = ef_strdup(path);
        c->has_err = true;
    }
    pthread_mutex_unlock(&c->err_mu);
}

static void reset_error(ef_context *c) {
    pthread_mutex_lock(&c->err_mu);
    free(c->err.message);
    free(c->err.path);
    memset(&c->err, 0, sizeof c->err);
    c->has_err = false;
    pthread_mutex_unlock(&c->err_mu);
}

/* ---- instances ---- */

static int inst_add(ef_context *c, const ef_path *p, ef_node *n) {
    if (!PBASE_RESERVE(c->inst, c->inst_cap, c->inst_n + 1)) return -1;
    ef_path_copy(&c->inst[c->inst_n].path, p);
    c->inst[c->inst_n].node = n;
    c->inst_n++;
    return 0;
}

/* Depth-first from the root, children in edge order; each node once per
 * instance of its topology. */
static int collect(ef_context *c, ef_def *d, ef_path *p) {
    ef_topology *t = d->topo;
    for (uint32_t i = 1; i < t->bound; i++) {
        ef_node *n = t->nodes[i];
        if (!n) continue;
        if (ef_path_push(p, n)) return -1;
        int bad = inst_add(c, p, n);
        if (!bad && n->def && n->def->kind == EF_DEF_GRAPH) bad = collect(c, n->def, p);
        p->len--;
        /* recompute hash lazily: paths are copied whole, see below */
        if (bad) return -1;
    }
    return 0;
}

void ef_context_refresh_instances(ef_context *c) {
    uint64_t stamp = ef_graph_stamp(c->graph);
    if (c->inst_valid && c->inst_stamp == stamp) return;
    c->inst_n = 0;
    ef_path p;
    ef_path_init(&p);
    collect(c, c->graph->top, &p);
    /* collect() pops by length only; rebuild hashes from scratch. */
    for (size_t i = 0; i < c->inst_n; i++) {
        ef_path q;
        ef_path_init(&q);
        for (uint32_t k = 0; k < c->inst[i].path.len; k++) ef_path_push(&q, c->inst[i].path.nodes[k]);
        c->inst[i].path = q;
    }
    /* Drop state of instances that no longer exist. */
    ef_statemap_mark_all(&c->states, false);
    for (size_t i = 0; i < c->inst_n; i++) {
        ef_state *s = ef_statemap_get(&c->states, &c->inst[i].path, 0);
        if (s) s->live = true;
    }
    {
        ef_path root;
        ef_path_init(&root);
        ef_state *s = ef_statemap_get(&c->states, &root, 0);
        if (s) s->live = true;
    }
    ef_statemap_prune(&c->states);
    c->inst_stamp = stamp;
    c->inst_valid = true;
}

size_t ef_context_for_each_instance(ef_context *c, const ef_def *d, ef_instance_fn cb, void *user) {
    pthread_mutex_lock(&c->inst_mu);
    ef_context_refresh_instances(c);
    size_t count = 0;
    for (size_t i = 0; i < c->inst_n; i++) {
        if (c->inst[i].node->def != d) continue;
        count++;
        if (cb) cb(&c->inst[i].path, c->inst[i].node, user);
    }
    pthread_mutex_unlock(&c->inst_mu);
    return count;
}

ef_state *ef_context_state(ef_context *c, const ef_path *path) { return ef_statemap_get(&c->states, path, 1); }

/* ---- execution ---- */

ef_status ef_context_execute(ef_context *c) {
    ef_def *top = c->graph->top;
    if (top->topo->building) return EF_FAILURE;
    atomic_fetch_add(&c->exec_stamp, 1);
    atomic_store(&c->cancel, 0);
    reset_error(c);
    pthread_mutex_lock(&c->inst_mu);
    ef_context_refresh_instances(c);
    pthread_mutex_unlock(&c->inst_mu);
    ef_path root;
    ef_path_init(&root);
    ef_task t = {NULL, &root, c, NULL, NULL, c->frame_dt, 0, false, c->frame_time};
    ef_current save;
    ef_current_swap(&save, &t, NULL);
    ef_status st = ef_run_graph_task(&t, top);
    ef_current_restore(&save);
    if (st & EF_FAILURE && !c->has_err) ef_context_record_failure(c, &root, NULL, "top definition failed");
    return st;
}

ef_status ef_context_execute_node(ef_context *c, const ef_path *path) {
    if (!path || path->len == 0) return EF_FAILURE;
    /* The path must follow the graph: each node lives in the definition of
     * the node before it (the first in the top definition). */
    const ef_def *owner_expected = c->graph->top;
    for (uint32_t i = 0; i < path->len; i++) {
        const ef_node *n = path->nodes[i];
        if (!n || !owner_expected || n->topo->owner != owner_expected) return EF_FAILURE;
        owner_expected = n->def && n->def->kind == EF_DEF_GRAPH ? n->def : NULL;
    }
    ef_path up;
    ef_path_init(&up);
    for (uint32_t i = 0; i + 1 < path->len; i++) ef_path_push(&up, path->nodes[i]);
    ef_node *n = (ef_node *)path->nodes[path->len - 1];
    ef_def *owner = n->topo->owner;
    return ef_exec_single(c, owner, &up, n);
}
