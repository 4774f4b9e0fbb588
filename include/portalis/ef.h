/* Portalis execution framework (EF): a composable execution graph, built by
 * passes, run by serial and parallel executors through pipeline stages.
 *
 * This header is the whole public surface of the `ef` layer. It does not
 * depend on the wasm or usd layers. See docs/ef.md for the concepts.
 *
 * Objects and ownership
 *   ef_def       a definition: either OPAQUE (a function + user pointer +
 *                scheduling hint) or GRAPH (a nested topology with its own
 *                root and executor choice, plus pre/post hooks). Reference
 *                counted: every create returns one reference, nodes hold one
 *                reference to their definition, ef_def_release drops one.
 *                A definition may be shared by many nodes (instancing).
 *   ef_node      a vertex of exactly one graph definition's topology. Owned by
 *                that topology; created, connected and removed only through
 *                an ef_builder. Nodes hold no execution state.
 *   ef_graph     the top-level container: exactly one top graph definition
 *                and the global topology stamp.
 *   ef_path      a value type naming one instance of a node: the chain of
 *                enclosing nodes from the top definition down to the node.
 *                All per-instance state is keyed by path, never by node.
 *   ef_context   per-path state that persists across frames, plus whole-graph
 *                and single-instance execution. Several contexts may execute
 *                the same graph at the same time.
 *   ef_executor  interprets one instance of a graph definition during one
 *                execution; lives only for that execution (never owned by
 *                the caller). Reachable from a task.
 *   ef_task      a short-lived value handed to execute callbacks; valid only
 *                for the duration of the callback.
 *   ef_pool      a fixed thread pool with work stealing used by parallel
 *                executors. May be shared by many contexts.
 *   ef_registry / ef_pass_pipeline   passes that build and rebuild graphs.
 *   ef_sim_pipeline   pre_simulation -> simulation -> post_simulation stages.
 *
 * Threads: building (ef_builder, ef_pass_pipeline_run) must not overlap any
 * execution of the same graph. A context runs one execution at a time, from
 * any thread; different contexts (of the same graph or not) may execute
 * concurrently and share a pool. States and the pool are thread-safe. Errors
 * are values: nothing in this layer calls exit() or aborts on bad input.
 *
 * Thread-local state: the library keeps, per thread, the current task and
 * executor (ef_current_task/ef_current_executor) and the pool bookkeeping of
 * a worker. There is no other global mutable state.
 */
#ifndef PORTALIS_EF_H
#define PORTALIS_EF_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ef_graph ef_graph;
typedef struct ef_def ef_def;
typedef struct ef_node ef_node;
typedef struct ef_builder ef_builder;
typedef struct ef_context ef_context;
typedef struct ef_state ef_state;
typedef struct ef_task ef_task;
typedef struct ef_executor ef_executor;
typedef struct ef_pool ef_pool;
typedef struct ef_error ef_error;
typedef struct ef_registry ef_registry;
typedef struct ef_pass_pipeline ef_pass_pipeline;
typedef struct ef_sim_pipeline ef_sim_pipeline;

/* ---- status ------------------------------------------------------------ */

/* Status is a set of flags; OR statuses to summarise many results.
 * EF_UNKNOWN (no flag) means "nothing reported". EF_CANCELLED is our
 * addition: set on a result when cancellation or stop-at-first-failure kept
 * some nodes from running (those nodes report EF_SKIP). */
typedef uint32_t ef_status;
#define EF_UNKNOWN 0u
#define EF_SUCCESS 1u
#define EF_SKIP 2u
#define EF_DEFERRED 4u
#define EF_FAILURE 8u
#define EF_IN_PROGRESS 16u
#define EF_CANCELLED 32u

/* Writes a readable form such as "success|skip" into buf (always
 * NUL-terminated when cap > 0); returns buf. */
const char *ef_status_str(ef_status s, char *buf, size_t cap);

/* ---- scheduling hints --------------------------------------------------- */

typedef enum {
    EF_HINT_SERIAL = 0, /* never executes at the same time as another serial
                           task of the same pool; may overlap parallel tasks */
    EF_HINT_PARALLEL,   /* may run on any thread alongside anything */
    EF_HINT_ISOLATE,    /* nothing else runs while it executes */
    EF_HINT_BYPASS      /* runs inline on the thread that made it ready */
} ef_hint;

/* ---- execution path ----------------------------------------------------- */

#define EF_PATH_MAX 16

/* Value type. Fields are readable; modify only through ef_path_* calls.
 * nodes[0] is a node of the top definition, nodes[i+1] a node of the graph
 * definition of nodes[i]. The empty path names the top definition itself. */
typedef struct ef_path {
    uint32_t len;
    uint64_t hash;
    const ef_node *nodes[EF_PATH_MAX];
} ef_path;

void ef_path_init(ef_path *p);
/* Appends a node; returns 0, or -1 when the path is full. */
int ef_path_push(ef_path *p, const ef_node *n);
int ef_path_equal(const ef_path *a, const ef_path *b);
/* "/a/b/c" by node names ("/" for the empty path). Returns the length the
 * full string needs (like snprintf). */
size_t ef_path_format(const ef_path *p, char *buf, size_t cap);
/* Resolves "/a/b/c" (node names) from the graph's top definition. Returns 0,
 * or -1 if some component does not exist. */
int ef_path_parse(ef_graph *g, const char *str, ef_path *out);

/* ---- definitions ---------------------------------------------------------- */

/* Work callback. Returns a status (EF_SUCCESS, EF_SKIP, EF_FAILURE,
 * EF_DEFERRED, ...). Must not unwind (longjmp) out of the library. */
typedef ef_status (*ef_exec_fn)(ef_task *task, void *user);

typedef enum { EF_VISIT_ALL_PARENTS = 0, EF_VISIT_CACHE_CHECK, EF_VISIT_CUSTOM } ef_visit_kind;
typedef enum { EF_SCHED_SERIAL = 0, EF_SCHED_PARALLEL } ef_sched_kind;

/* What a custom visit strategy sees when all of a node's (non-cycle)
 * parents have reported. */
typedef struct {
    ef_status parents; /* OR of the statuses of the parents that reported */
    int dirty;         /* the instance's state needs computing */
    const ef_node *node;
} ef_visit_info;
/* Returns nonzero to run the node, 0 to pass through it (it reports EF_SKIP
 * and its children are visited). */
typedef int (*ef_visit_fn)(const ef_visit_info *info, void *user);

/* How a graph definition executes its sub-graph. Zero-initialised means:
 * "all parents done" visit, serial FIFO scheduler, run to completion.
 *   EF_VISIT_ALL_PARENTS  a node runs once all its non-cycle parents reported
 *                         (their failure or skip does not stop it).
 *   EF_VISIT_CACHE_CHECK  additionally requires a parent that succeeded, or
 *                         a dirty instance (ef_state_needs_compute).
 *   EF_VISIT_CUSTOM       custom_visit decides.
 *   stop_on_failure       after the first EF_FAILURE in this executor, nodes
 *                         not yet started are skipped (EF_SKIP|EF_CANCELLED). */
typedef struct {
    ef_visit_kind visit;
    ef_sched_kind scheduler;
    int stop_on_failure;
    ef_visit_fn custom_visit;
    void *visit_user;
} ef_executor_desc;

/* Creates an opaque definition. name is copied. user is not owned unless
 * ef_def_set_user_free is called. Returns NULL on allocation failure. */
ef_def *ef_def_opaque(const char *name, ef_exec_fn fn, void *user, ef_hint hint);
/* Creates a graph definition with an empty topology (just a root). desc may
 * be NULL (defaults). Graph definitions default to EF_HINT_PARALLEL when used
 * as a node. */
ef_def *ef_def_graph(const char *name, const ef_executor_desc *desc);
ef_def *ef_def_retain(ef_def *d);
void ef_def_release(ef_def *d);
/* free_fn(user) runs when the last reference goes. */
void ef_def_set_user_free(ef_def *d, void (*free_fn)(void *));
const char *ef_def_name(const ef_def *d);
int ef_def_is_graph(const ef_def *d);
ef_hint ef_def_hint(const ef_def *d);
void ef_def_set_hint(ef_def *d, ef_hint h);
/* Graph definitions only. pre/post run around the sub-graph (task node is
 * the instancing node, NULL for the top definition); either may be NULL. */
void ef_def_set_hooks(ef_def *g, ef_exec_fn pre, ef_exec_fn post, void *user);
/* Replaces "run the sub-graph once" by run(task,user), which may call
 * ef_task_run_graph any number of times (fixed-step stages use this). */
void ef_def_set_run(ef_def *g, ef_exec_fn run, void *user);
/* The populate callback of an authoring front end: the pass pipeline calls
 * build(builder,user) on an empty topology whenever the definition is
 * invalid. Returns 0 or an error (-1). */
void ef_def_set_build(ef_def *g, int (*build)(ef_builder *b, void *user), void *user);
const ef_executor_desc *ef_def_executor(const ef_def *g);
void ef_def_set_executor(ef_def *g, const ef_executor_desc *desc);
/* Cheap, thread-safe; does nothing if already invalid. Moves the global stamp
 * of the graph that contains the definition. */
void ef_def_invalidate(ef_def *g);
int ef_def_is_valid(const ef_def *g);
/* Number of builds of this graph definition so far (tests, diagnostics). */
uint64_t ef_def_build_count(const ef_def *g);
ef_node *ef_def_root(const ef_def *g);
/* Index bound: every node's index is below this. */
uint32_t ef_def_index_bound(const ef_def *g);
/* Live nodes excluding the root. */
uint32_t ef_def_node_count(const ef_def *g);
/* By name among direct nodes; NULL if absent. */
ef_node *ef_def_find(const ef_def *g, const char *name);
/* Number of strongly connected components with more than one node (or a
 * self loop) found at the last build. */
uint32_t ef_def_cycle_count(const ef_def *g);

/* ---- nodes (read-only accessors; do not take references) ------------------ */

const char *ef_node_name(const ef_node *n);
ef_def *ef_node_def(const ef_node *n);
ef_def *ef_node_owner(const ef_node *n);
uint32_t ef_node_index(const ef_node *n);
int ef_node_is_root(const ef_node *n);
size_t ef_node_parent_count(const ef_node *n);
size_t ef_node_child_count(const ef_node *n);
ef_node *ef_node_parent(const ef_node *n, size_t i);
ef_node *ef_node_child(const ef_node *n, size_t i);
uint32_t ef_node_cycle_parent_count(const ef_node *n);

/* ---- builder: the only way to edit a topology ---------------------------- */

/* Starts editing graph definition g. reset != 0 drops all nodes and edges
 * first. Returns NULL if g is not a graph definition or is already being
 * built. Not thread-safe for edits. */
ef_builder *ef_builder_begin(ef_def *g, int reset);
ef_def *ef_builder_def(ef_builder *b);
ef_node *ef_builder_root(ef_builder *b);
/* Creates a node (name copied; def may be NULL = a join point, retained).
 * Rejects a def equal to the definition being built. A definition must not
 * contain itself indirectly either: executing it fails at the path-depth
 * limit, and the definitions keep each other alive. NULL on error. */
ef_node *ef_builder_add(ef_builder *b, const char *name, ef_def *def);
/* Ordering edge from -> to (from runs first). Duplicate edges are ignored.
 * Returns 0 or -1 (not in this topology, or to is the root). */
int ef_builder_connect(ef_builder *b, ef_node *from, ef_node *to);
int ef_builder_disconnect(ef_builder *b, ef_node *from, ef_node *to);
/* Removes the node and its edges. */
int ef_builder_remove(ef_builder *b, ef_node *n);
int ef_builder_set_def(ef_builder *b, ef_node *n, ef_def *def);
/* Moves the n nodes into a new graph definition named name (executor desc
 * may be NULL) and replaces them by one node with that definition, keeping
 * all orderings. Fails (NULL) if the collapse would create a cycle. */
ef_node *ef_builder_replace_partition(ef_builder *b, ef_node *const *nodes, size_t n, const char *name,
                                      const ef_executor_desc *desc);
/* Finishes: runs cycle detection (SCC), computes readiness counts, makes
 * the topology valid and frees the builder. Returns 0. */
int ef_builder_end(ef_builder *b);

/* ---- graph ---------------------------------------------------------------- */

/* Creates a graph whose top definition is a new graph definition named
 * top_name with executor desc (may be NULL). */
ef_graph *ef_graph_create(const char *top_name, const ef_executor_desc *desc);
void ef_graph_free(ef_graph *g);
ef_def *ef_graph_top(const ef_graph *g);
/* Global topology stamp: moves whenever a contained topology is invalidated
 * or edited. */
uint64_t ef_graph_stamp(const ef_graph *g);

/* ---- thread pool ---------------------------------------------------------- */

/* A pool of `workers` threads. The thread that waits on a parallel executor
 * also runs work, so workers = cores - 1 uses every core. workers may be 0.
 * NULL on failure. Free only when no execution uses it. */
ef_pool *ef_pool_create(unsigned workers);
void ef_pool_free(ef_pool *p);
unsigned ef_pool_workers(const ef_pool *p);

/* ---- execution context ---------------------------------------------------- */

/* pool may be NULL: parallel executors then run serially. The graph and
 * pool must outlive the context. */
ef_context *ef_context_create(ef_graph *g, ef_pool *pool);
void ef_context_free(ef_context *c);
ef_graph *ef_context_graph(const ef_context *c);
/* Runs the whole graph once (one frame). Returns the OR of every status.
 * Clears the cancellation flag and the previous error first. */
ef_status ef_context_execute(ef_context *c);
/* Runs one node instance on demand (a graph-definition node runs its whole
 * sub-graph); does not continue downstream. path must name a node. */
ef_status ef_context_execute_node(ef_context *c, const ef_path *path);
/* Asks the execution in progress to stop: nodes not yet started are skipped
 * and the result carries EF_CANCELLED. Thread-safe. */
void ef_context_cancel(ef_context *c);
/* Stop-at-first-failure for every executor of this context. */
void ef_context_set_stop_on_failure(ef_context *c, int on);
/* Deterministic debugging mode: every executor uses the serial scheduler. */
void ef_context_set_force_serial(ef_context *c, int on);
void ef_context_set_frame_dt(ef_context *c, double dt);
double ef_context_frame_dt(const ef_context *c);
/* Simulation time of the next execution (default 0); tasks read it, or the
 * time of their step inside a stepped definition, with ef_task_time. */
void ef_context_set_frame_time(ef_context *c, double t);
double ef_context_frame_time(const ef_context *c);
/* Number of ef_context_execute calls started so far. */
uint64_t ef_context_stamp(const ef_context *c);
/* The first failure recorded during the last execution, or NULL. Owned by
 * the context, valid until the next execution. */
const ef_error *ef_context_error(const ef_context *c);
const char *ef_error_message(const ef_error *e);
const char *ef_error_path(const ef_error *e);
/* Number of failures recorded with ef_task_fail in the last execution. */
uint32_t ef_error_count(const ef_error *e);
/* Per-path state, created on demand (NULL only on allocation failure).
 * Owned by the context. */
ef_state *ef_context_state(ef_context *c, const ef_path *path);
/* Calls cb for every instance (path) of definition d in the graph, in
 * depth-first order. Returns the number of instances. */
typedef void (*ef_instance_fn)(const ef_path *path, ef_node *node, void *user);
size_t ef_context_for_each_instance(ef_context *c, const ef_def *d, ef_instance_fn cb, void *user);

/* ---- per-instance state --------------------------------------------------- */

/* Typed user data: ef_state_data returns NULL unless type_id matches.
 * free_fn (may be NULL) runs when replaced or when the context is freed. */
void *ef_state_data(ef_state *s, uint32_t type_id);
void ef_state_set_data(ef_state *s, uint32_t type_id, void *data, void (*free_fn)(void *));
/* A state is dirty when created and after ef_state_mark_dirty; it becomes
 * clean when its node completes with EF_SUCCESS under a cache-check
 * executor (EF_VISIT_CACHE_CHECK). Thread-safe. */
int ef_state_needs_compute(const ef_state *s);
void ef_state_mark_dirty(ef_state *s);
const ef_path *ef_state_path(const ef_state *s);

/* ---- tasks and executors --------------------------------------------------- */

/* The node being run (NULL for the top definition and for dynamic work). */
ef_node *ef_task_node(const ef_task *t);
/* Path of the graph instance that contains the node. */
const ef_path *ef_task_upstream(const ef_task *t);
/* Full path of the task's instance (upstream + node). Returns 0 or -1. */
int ef_task_path(const ef_task *t, ef_path *out);
ef_context *ef_task_context(const ef_task *t);
ef_executor *ef_task_executor(const ef_task *t);
/* State of the task's instance (ef_context_state of its path). */
ef_state *ef_task_state(ef_task *t);
/* Step duration for this run (frame dt, or the fixed dt inside a fixed-step
 * stage) and the step number within the frame. */
double ef_task_dt(const ef_task *t);
/* Simulation time of this step: the frame time, or inside a stepped stage or
 * definition the time its step ends at. */
double ef_task_time(const ef_task *t);
uint32_t ef_task_step(const ef_task *t);
/* Records a failure payload (message + the task's path) in the context and
 * returns EF_FAILURE, so `return ef_task_fail(t, "...")` works. */
ef_status ef_task_fail(ef_task *t, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* From a graph definition's run hook only: runs the sub-graph once more
 * with the given step dt. Returns its status. */
ef_status ef_task_run_graph(ef_task *t, double step_dt);
/* The same at step time `time` (ef_task_time inside). */
ef_status ef_task_run_graph_at(ef_task *t, double time, double step_dt);

/* Adds dynamic work to the executor, from one of its own tasks (or their
 * dynamic work) while it runs. fn is called with a task whose node is NULL;
 * its status is ORed into the executor's result, and the executor waits for
 * it. It is not ordered with respect to the scheduling node's children.
 * EF_HINT_BYPASS runs fn immediately. Returns 0 or -1. */
int ef_executor_schedule(ef_executor *e, ef_exec_fn fn, void *user, ef_hint hint);
const ef_path *ef_executor_path(const ef_executor *e);

/* The task / executor running on this thread (thread-local), or NULL. */
ef_task *ef_current_task(void);
ef_executor *ef_current_executor(void);

/* ---- passes ---------------------------------------------------------------- */

/* Populate pass: run for a node whose name matches, else whose definition's
 * name matches. May edit the containing topology through b (e.g. give the
 * node a new graph definition). Returns 0 or -1 (aborts the build). */
typedef int (*ef_populate_fn)(ef_builder *b, ef_node *node, void *user);

/* Partition pass: an instance is created per use and destroyed after.
 * initialize is read-only and returns 0 to decline; run sees every node in
 * topological order; only commit may edit (ef_builder_replace_partition). */
typedef struct {
    void *(*create)(void *user);
    void (*destroy)(void *inst);
    int (*initialize)(void *inst, const ef_def *g);
    void (*run)(void *inst, ef_node *n);
    int (*commit)(void *inst, ef_builder *b);
} ef_partition_pass;

/* Global pass over the whole graph, after all definitions are built. */
typedef int (*ef_global_fn)(ef_graph *g, void *user);

ef_registry *ef_registry_create(void);
void ef_registry_free(ef_registry *r);
int ef_registry_add_populate(ef_registry *r, const char *name, ef_populate_fn fn, void *user);
/* Higher priority runs first; equal priorities run in registration order. */
int ef_registry_add_partition(ef_registry *r, const char *name, int priority, const ef_partition_pass *pass,
                              void *user);
int ef_registry_add_global(ef_registry *r, const char *name, ef_global_fn fn, void *user);

/* The pass pipeline: rebuilds exactly the invalid graph definitions reachable
 * from the top (each shared definition once), then runs global passes. Does
 * nothing if the graph's stamp has not moved since its last run. The
 * registry must outlive the pipeline. */
ef_pass_pipeline *ef_pass_pipeline_create(ef_registry *r);
void ef_pass_pipeline_free(ef_pass_pipeline *p);
/* Returns the number of definitions rebuilt, or -1 on error. */
int ef_pass_pipeline_run(ef_pass_pipeline *p, ef_graph *g);

/* Returns the number of strongly connected components with a cycle in g's
 * topology and records cycle parents (ef_builder_end calls it). */
uint32_t ef_detect_cycles(ef_def *g);

/* ---- traversal ------------------------------------------------------------- */

typedef enum { EF_TRAVERSE_DFS = 0, EF_TRAVERSE_BFS } ef_traverse_order;
typedef enum {
    EF_VISIT_FIRST = 0, /* a node is visited the first time an edge reaches it */
    EF_VISIT_LAST,      /* ... when its last non-cycle parent reaches it (topological) */
    EF_VISIT_ALL        /* every edge is reported */
} ef_traverse_mode;
/* Edge kinds reported to the callback (EF_VISIT_ALL reports all three). */
#define EF_EDGE_FIRST 1u
#define EF_EDGE_LAST 2u
#define EF_EDGE_CYCLE 4u
/* parent is the node the edge comes from (the root for the first level);
 * kind is a set of EF_EDGE_* flags. */
typedef void (*ef_traverse_fn)(ef_node *node, ef_node *parent, unsigned kind, void *user);
/* Walks g's topology from its root (not recursing into nested definitions),
 * children in edge order. Serial; read-only. Returns the number of
 * callbacks, or -1 on allocation failure. */
long ef_traverse(const ef_def *g, ef_traverse_order order, ef_traverse_mode mode, ef_traverse_fn cb, void *user);

/* ---- simulation pipeline ---------------------------------------------------- */

/* Stage ids of the default execution definition. */
#define EF_STAGE_PRE_SIMULATION 0
#define EF_STAGE_SIMULATION 1
#define EF_STAGE_POST_SIMULATION 2

/* VARIABLE: once per frame. FIXED: steps of exactly fixed_dt,
 * floor(accumulated time / fixed_dt) per frame. RATE: steps of at most
 * fixed_dt (a rate 1/fixed_dt) that end at the frame time: when fixed_dt <=
 * the frame dt, ceil(frame dt / fixed_dt) equal sub-steps per frame (at most
 * max_steps); when longer, one step in the frames where a step k*fixed_dt
 * falls due, with dt = time since the previous step. The first execution is
 * one step at the frame time. Step times come from ef_context_set_frame_time. */
typedef enum { EF_STEP_VARIABLE = 0, EF_STEP_FIXED, EF_STEP_RATE } ef_step_mode;

/* Installs, into g's top definition (reset), node "portalis.customPipeline"
 * then node "portalis.pipeline" whose definition holds the stages
 * pre_simulation -> simulation -> post_simulation. Stage definitions are
 * rebuilt by the pass pipeline when registrations change. Stage executors
 * use desc (may be NULL). The graph must outlive the pipeline. */
ef_sim_pipeline *ef_sim_pipeline_create(ef_graph *g, const ef_executor_desc *stage_desc);
void ef_sim_pipeline_free(ef_sim_pipeline *s);
/* Adds a custom stage (run in creation order, before the default stages).
 * EF_STEP_FIXED runs the stage floor(accumulated time / fixed_dt) times per
 * frame (at most max_steps; excess time is dropped). Returns the stage id. */
int ef_sim_add_stage(ef_sim_pipeline *s, const char *name, ef_step_mode mode, double fixed_dt,
                     unsigned max_steps);
/* Registers a component node into a stage. Nodes run in ascending order_key;
 * equal keys are unordered with respect to each other (may run in parallel).
 * def is retained. Returns 0 or -1 (bad stage, duplicate name). */
int ef_sim_register(ef_sim_pipeline *s, int stage, const char *name, ef_def *def, int order_key);
/* A graph definition running the single node `name` (definition body)
 * stepped like a FIXED or RATE stage, for one component with its own rate.
 * ef_def_set_hooks on it runs around the whole frame's steps. NULL on a bad
 * argument or without memory. */
ef_def *ef_def_stepped(const char *name, ef_def *body, ef_step_mode mode, double step_dt, unsigned max_steps);
int ef_sim_unregister(ef_sim_pipeline *s, int stage, const char *name);
ef_def *ef_sim_stage_def(ef_sim_pipeline *s, int stage);

/* ---- debugging and profiling ------------------------------------------------- */

/* Text dump of the whole graph, every instance expanded:
 *   EXECUTION GRAPH | <top def>(<id>)
 *     <node>(<index>) | <def>(<id>) ... -> <children>
 * ids number definitions in depth-first order (0 = top), so equal ids mean a
 * shared definition. Returns 0 or -1 on write error. */
int ef_dump_text(ef_graph *g, FILE *out);
/* Flattened Graphviz DOT: each graph-definition instance is a cluster
 * labelled "<node>(<index>) | <def>(<id>)", coloured by definition. */
int ef_dump_dot(ef_graph *g, FILE *out);

typedef struct {
    uint64_t count;
    double mean_ns;
    uint64_t max_ns;
    uint64_t total_ns;
} ef_timing;

/* Per-instance timing (count, mean, max) while enabled. */
void ef_context_set_profiling(ef_context *c, int on);
/* Returns 0 and fills out, or -1 if the instance has no timing. */
int ef_context_timing(ef_context *c, const ef_path *path, ef_timing *out);
/* One line per timed instance: path count mean max. */
int ef_context_dump_timing(ef_context *c, FILE *out);
/* Records Chrome trace events (complete events, "ph":"X") while enabled. */
void ef_context_set_tracing(ef_context *c, int on);
/* Writes {"traceEvents":[...]} (chrome://tracing, Perfetto). 0 or -1. */
int ef_context_write_trace(ef_context *c, FILE *out);
size_t ef_context_trace_count(ef_context *c);

/* An example graph with a nested, shared definition (used by
 * `portalis graph --example` and the tests). Caller frees with
 * ef_graph_free. NULL on allocation failure. */
ef_graph *ef_example_graph(void);

#ifdef __cplusplus
}
#endif
#endif
