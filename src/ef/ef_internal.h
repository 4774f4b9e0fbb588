/* Internal structures of the execution framework. Not installed. */
#ifndef PORTALIS_EF_INTERNAL_H
#define PORTALIS_EF_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "portalis/base.h"
#include "portalis/ef.h"

/* ---- topology, nodes, definitions (topology.c, def.c) ------------------- */

typedef struct ef_edge_s {
    ef_node *node;
    uint8_t cycle; /* this edge closes a cycle: ignored for readiness */
} ef_edge;

typedef struct {
    ef_edge *v;
    uint32_t n;
    size_t cap;
} ef_edges;

struct ef_node {
    char *name;
    struct ef_topology *topo;
    ef_def *def;
    ef_edges parents, children;
    uint32_t index;
    uint32_t cycle_parents;
    uint32_t required; /* parents that must report: non-root, non-cycle */
    uint32_t mark;     /* scratch for passes (populate serial, dfs state) */
    bool is_root;
};

typedef struct ef_topology {
    ef_def *owner;
    ef_node *root;
    ef_node **nodes; /* by index; NULL for removed */
    uint32_t bound;
    size_t cap;
    uint32_t live;
    _Atomic uint64_t stamp;      /* moves on invalidate */
    _Atomic uint64_t sync_stamp; /* == stamp when valid */
    _Atomic(struct ef_graph *) graph;
    uint64_t builds;
    uint32_t cycles;
    uint32_t serial; /* scratch serial for passes */
    bool building;
} ef_topology;

typedef enum { EF_DEF_OPAQUE = 0, EF_DEF_GRAPH } ef_def_kind;

struct ef_def {
    _Atomic uint32_t refs;
    ef_def_kind kind;
    ef_hint hint;
    char *name;
    ef_exec_fn fn; /* opaque */
    void *user;
    void (*user_free)(void *);
    /* graph */
    ef_topology *topo;
    ef_executor_desc desc;
    ef_exec_fn pre, post, run;
    void *hook_user, *run_user;
    int (*build)(ef_builder *, void *);
    void *build_user;
};

struct ef_graph {
    ef_def *top;
    _Atomic uint64_t stamp;
};

ef_topology *ef_topo_create(ef_def *owner);
void ef_topo_free(ef_topology *t);
void ef_topo_clear(ef_topology *t);
ef_node *ef_topo_add(ef_topology *t, const char *name, ef_def *def);
/* Appends n (created, or moved from another topology) to t's nodes. */
int ef_topo_attach(ef_topology *t, ef_node *n);
void ef_topo_remove(ef_topology *t, ef_node *n);
int ef_edges_add(ef_edges *e, ef_node *n);
int ef_edges_del(ef_edges *e, const ef_node *n);
int ef_edges_has(const ef_edges *e, const ef_node *n);
void ef_topo_touch(ef_topology *t); /* move the graph stamp (structure changed) */
void ef_topo_link_graph(ef_topology *t, struct ef_graph *g);
void ef_topo_finalize(ef_topology *t); /* cycles + required counts */

/* ---- path (path.c) -------------------------------------------------------- */

uint64_t ef_path_mix(uint64_t h, const ef_node *n);
void ef_path_copy(ef_path *dst, const ef_path *src);

/* ---- state (state.c) -------------------------------------------------------- */

struct ef_state {
    ef_path path;
    atomic_int dirty;
    uint32_t type;
    void *data;
    void (*data_free)(void *);
    _Atomic uint64_t t_count, t_total, t_max;
    bool live; /* seen in the current instance list */
};

typedef struct {
    pthread_mutex_t mu;
    ef_state **slots;
    size_t cap, count;
} ef_statemap;

void ef_statemap_init(ef_statemap *m);
void ef_statemap_destroy(ef_statemap *m);
ef_state *ef_statemap_get(ef_statemap *m, const ef_path *p, int create);
/* Drops states whose path is not marked live (see ef_state.live). */
void ef_statemap_prune(ef_statemap *m);
void ef_statemap_mark_all(ef_statemap *m, bool live);

/* ---- errors and trace (context.c, profile.c) --------------------------------- */

struct ef_error {
    char *message;
    char *path;
    uint32_t count;
};

typedef struct {
    const char *name; /* node name copy */
    char *path;
    uint64_t ts_ns, dur_ns;
    uint32_t tid;
} ef_trace_event;

typedef struct {
    ef_path path;
    ef_node *node;
} ef_instance;

struct ef_context {
    ef_graph *graph;
    ef_pool *pool;
    ef_statemap states;
    _Atomic uint64_t exec_stamp;
    atomic_int cancel;
    int stop_on_failure;
    int force_serial;
    double frame_dt, frame_time;
    atomic_int profiling, tracing;
    pthread_mutex_t err_mu;
    ef_error err;
    bool has_err;
    /* instance cache */
    pthread_mutex_t inst_mu;
    ef_instance *inst;
    size_t inst_n, inst_cap;
    uint64_t inst_stamp;
    bool inst_valid;
    /* trace */
    pthread_mutex_t trace_mu;
    ef_trace_event *trace;
    size_t trace_n, trace_cap;
    uint64_t t0_ns;
};

void ef_context_record_failure(ef_context *c, const ef_path *path, const ef_node *n, const char *msg);
void ef_context_refresh_instances(ef_context *c);

/* profile.c */
void ef_profile_record(ef_context *c, const ef_path *up, ef_node *n, uint64_t t0, uint64_t t1);

/* ---- executor, scheduling (executor.c, sched_serial.c, pool.c) --------------- */

typedef struct ef_job {
    ef_executor *exec;
    ef_node *node; /* NULL: dynamic work */
    ef_exec_fn fn; /* dynamic work */
    void *user;
    uint8_t hint;
} ef_job;

typedef struct {
    atomic_uint count;
    atomic_uint flags;
} ef_nodedata;

typedef enum { EF_V_WAIT = 0, EF_V_RUN, EF_V_PASS } ef_visit_result;
ef_visit_result ef_visit(ef_executor *e, const ef_node *parent, ef_status st, const struct ef_edge_s *edge,
                         ef_status *pass_status);

#define EF_ND_ANY_SUCCESS 1u
#define EF_ND_DEFERRED 2u
#define EF_ND_PARENTS_STATUS_SHIFT 8u

struct ef_task {
    ef_node *node;
    const ef_path *upstream;
    ef_context *ctx;
    ef_executor *exec; /* owning executor; NULL for the top definition */
    ef_def *gdef;      /* graph definition being run by this task, if any */
    double dt;
    uint32_t runs; /* ef_task_run_graph calls so far */
    bool failed_recorded;
    double time; /* simulation time of this step */
};

typedef struct {
    ef_job *v;
    size_t head, n, cap;
} ef_fifo;

struct ef_executor {
    ef_context *ctx;
    ef_def *def;
    ef_topology *topo;
    ef_path path;
    ef_executor_desc desc;
    ef_pool *pool; /* NULL => serial scheduling */
    double dt, time;
    uint32_t step;
    ef_nodedata *nd;
    ef_nodedata nd_small[32];
    uint32_t nd_n;
    _Atomic ef_status status;
    atomic_int failed;
    atomic_long pending; /* parallel: scheduled but unfinished jobs */
    ef_fifo fifo;        /* serial scheduler */
    ef_job fifo_small[32];
};

/* Runs the sub-graph of graph definition d once, as the instance at `path`
 * (a fresh executor), with step dt / step number. */
ef_status ef_executor_run(ef_context *c, ef_def *d, const ef_path *path, double time, double dt, uint32_t step);
/* Dispatches a graph-definition task: pre, run (or the sub-graph), post. */
ef_status ef_run_graph_task(ef_task *t, ef_def *d);
/* Runs one node inside executor e without continuing (on-demand). */
ef_status ef_exec_single(ef_context *c, ef_def *owner, const ef_path *upstream, ef_node *n);
/* Runs a job and its downstream continuation. Used by the pool. */
void ef_job_run(ef_job *j);

/* serial scheduler: a ring of jobs (also the pool's queues, under their mutex) */
int ef_fifo_push(ef_fifo *f, ef_job *small, size_t small_cap, const ef_job *j);
int ef_fifo_pop(ef_fifo *f, ef_job *out);
void ef_fifo_free(ef_fifo *f, ef_job *small);

/* pool */
int ef_pool_push(ef_pool *p, const ef_job *j);
/* Helps run work until *pending reaches 0. */
void ef_pool_wait(ef_pool *p, atomic_long *pending);
/* Gate around user code (isolation and serial hints). */
typedef struct {
    int entered;
    int serial;
    int isolated;
    int was_counted;
} ef_gate_ticket;
void ef_gate_enter(ef_pool *p, ef_hint h, ef_gate_ticket *t);
void ef_gate_leave(ef_pool *p, ef_gate_ticket *t);
int ef_pool_is_isolated(void);
uint32_t ef_thread_id(void);
void ef_pool_notify(ef_pool *p);

/* thread-locals (tls.c) */
typedef struct {
    ef_task *task;
    ef_executor *exec;
} ef_current;
void ef_current_swap(ef_current *save, ef_task *t, ef_executor *e);
void ef_current_restore(const ef_current *save);

char *ef_strdup(const char *s);

#endif
