/* Internal declarations of the host layer, shared by its files:
 *
 *   diag.c      diagnostics, module error text, the event queue (no deps)
 *   channels.c  channels: the values flowing between modules and the stage
 *   abi.c       the "portalis" import module seen by tick modules
 *   module.c    binding a module's entry function, running one step, failure policy
 *   timing.c    the run's time settings (scene defaults, options override)
 *   scan.c      scanning the scene: module prims, connections, order, EF graph
 *   record.c    recording channels as time samples (with the spill file)
 *   output.c    writing the output layer through the usd sample writer
 *   host.c      the public API: open, frames, queries, report
 *
 * Each file uses only those above it in this list (host.c uses all).
 */
#ifndef PORTALIS_HOST_INTERNAL_H
#define PORTALIS_HOST_INTERNAL_H

#include <portalis/host.h>

#include <pthread.h>
#include <stdarg.h>
#include <sys/types.h>
#include <time.h>

/* Recorded time samples of one channel, stored compactly in the attribute's
 * own element type (float for point3f[], double for double3, ...): one
 * record per frame, appended every frame and streamed to the output file by
 * ph_host_save (no intermediate layer). A record is a REC_HEADER-byte
 * header holding its number of values (an array output may change size
 * from frame to frame) followed by the values, padded to 8 bytes.
 * Records stay in memory (no per-frame system calls) until all channels
 * together hold cfg.record_memory_bytes (default REC_MEMORY_BUDGET); from then
 * on every channel appends its oldest in-memory records to the host's spill
 * file (an unlinked temporary file) in chunks of about REC_CHUNK_BYTES, at
 * most two chunks per channel per frame (small writes: no latency spike),
 * and reuses its buffer once it is drained, so memory stays bounded however
 * long the run. */
#define REC_MEMORY_BUDGET ((size_t)8 << 20)
#define REC_CHUNK_BYTES ((size_t)64 << 10)
#define REC_HEADER ((size_t)8)
typedef struct recchunk {
    off_t off; /* in the spill file */
    size_t bytes, frames;
} recchunk;
typedef struct recbuf {
    unsigned char *data; /* bytes head .. used hold the records not spilled */
    size_t head, used, cap;
    size_t frames;  /* frames recorded (spilled + in memory) */
    size_t spilled; /* frames in the spill file, in chunks */
    pusd_type type; /* element type (the attribute type without []) */
    pusd_elem elem;
    size_t esz; /* bytes per element; 0 until the first frame */
    recchunk *chunks;
    size_t nchunks, capchunks;
} recbuf;

typedef struct motion {
    double first[3], last[3], lo[3], hi[3];
    size_t elements;
    uint64_t frames;
} motion;

/* One attribute of another prim feeding a module input (docs/abi.md (d)). */
typedef struct feed {
    char *prim, *attr;
    pusd_prim *sprim; /* looked up once (valid until the stage is rebuilt) */
} feed;

typedef struct chan {
    char *prim, *attr;
    char type_name[40]; /* USD type of the attribute, "double3", "point3f[]" */
    pusd_type type;     /* its value type (without []) */
    int ncomp;          /* components per element */
    bool is_array;
    double v[16]; /* scalar/vector value */
    double *arr;  /* array value: count * ncomp */
    size_t count, cap;
    int src;          /* connected source channel, or -1 */
    uint64_t version; /* bumped whenever the value changes */
    bool is_output;   /* a module output (written by a module) */
    bool is_target;   /* a non-module attribute fed by a connection */
    bool animated;    /* unconnected input with time samples (or fed by some): read every frame */
    feed *feeds;      /* module input connected to attributes of other prims: their values, in order */
    size_t nfeeds;
    pusd_prim *sprim; /* the stage prim, looked up once (valid until the stage is rebuilt) */
    bool record;      /* recorded as time samples (outputs unless wasm:OUTPUT:record = false; targets) */
    size_t capacity;  /* array output: elements the module may write per call (wasm:OUTPUT:capacity); 0 =
                       * the element count of the binding's first input array */
    recbuf rec;       /* recorded samples (one per frame) */
    motion motion;    /* 3-component channels: extent over the run */
} chan;

typedef enum { P_TIME, P_DT, P_FRAME, P_SCALAR, P_ARRAY, P_COUNT, P_OUT_ARRAY } param_kind;
typedef struct param {
    param_kind kind; /* P_COUNT of an output array: its capacity */
    int chan;
    pw_valkind vk;
    uint32_t mem; /* linear memory offset of the array buffer */
    size_t mem_cap;
    uint64_t copied_version;
} param;

/* wasm:executionMode */
typedef enum { MODE_CONTINUOUS = 0, MODE_ON_DEMAND, MODE_EVENT_DRIVEN } exec_mode;

/* A uniform/config attribute of the module prim a module may read once
 * (portalis.config_*, docs/abi.md). */
typedef struct config_attr {
    char *name;
    double *v; /* numeric values (components of every element) */
    size_t n;
    char *str; /* token/string/asset value, else NULL */
} config_attr;

typedef struct hmod {
    struct ph_host *h;
    char *path, *schema, *wasm_path, *entry, *mode_name;
    exec_mode mode;
    bool pure;
    int stage, order_key;
    double rate;
    ph_mod_state state;
    pb_module_id id;
    pb_tier tier; /* asked for: wasm:tier, else the run's */
    pb_func fn;
    pw_memory *mem;
    pb_func alloc;
    bool has_alloc;
    param *params;
    size_t nparams;
    int *results; /* channels; for "count:outputs:X", -1 - the channel */
    size_t nresults;
    int *inputs; /* channels of inputs:* (own) */
    size_t ninputs;
    char **events;
    size_t nevents;
    config_attr *config;
    size_t nconfig;
    uint64_t *seen_versions; /* per input: source version when last run */
    double last_run_time;
    bool ever_ran, trigger;
    bool paused; /* ph_host_set_module_paused */
    /* this frame: set by the steps, folded into the statistics after it */
    bool ran_frame, failed_frame;
    uint32_t frame_steps;
    uint64_t frame_ns;
    uint32_t consecutive_overruns;
    uint64_t last_fuel; /* fuel the last call used (metered runs only) */
    uint64_t runs, steps, skipped, overruns, traps, load_ns;
    pb_histogram lat;
    char *last_error;
} hmod;

struct ph_host {
    ph_config cfg;
    char *scene_path;
    struct timespec scene_mtime;
    pusd_stage *stage;
    pusd_schema_registry *reg;
    pb_bridge *bridge;
    ef_graph *graph;
    ef_sim_pipeline *sim;
    ef_registry *passes;
    ef_pass_pipeline *pp;
    ef_pool *pool;
    ef_context *ctx;
    hmod **mods;
    size_t nmods;
    chan *ch;
    size_t nch, capch;
    char **diag;
    size_t ndiag, capdiag;
    pthread_mutex_t lock;
    char **events_now, **events_next;
    size_t nevents_now, nevents_next;
    uint64_t frame;
    double t;     /* time of the current frame, s since the start */
    ph_time time; /* time settings in effect (scene defaults, options override) */
    bool frame_failed;
    uint64_t rec_frames;
    pb_histogram frame_lat;
    double wall_s;
    uint64_t load_ns, scene_ns;
    int spill_fd;  /* recorded chunks (see recbuf); -1 until needed */
    bool spilling; /* the recorded samples reached the memory budget */
    off_t spill_end;
    bool spill_failed;
};

/* diag.c */
char *ph__xstrdup(const char *s);
void ph__diag(ph_host *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ph__set_error(hmod *m, const char *msg);
void ph__load_failed(hmod *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ph__free_strs(char **a, size_t n);
int ph__events_post(ph_host *h, const char *name);
void ph__events_deliver(ph_host *h); /* events posted before this frame become current */

/* channels.c */
int ph__find_chan(const ph_host *h, const char *prim, const char *attr);
int ph__chan_read_stage(ph_host *h, chan *c, double time);
int ph__add_chan(ph_host *h, const char *prim, const char *attr, const char *type_name);
chan *ph__resolve_chan(ph_host *h, int i);
size_t ph__chan_width(const chan *c);
const double *ph__chan_data(const chan *c);
void ph__chan_set(chan *c, const double *v, size_t n);
int64_t ph__sat_i64(double d);
uint64_t ph__sat_u64(double d);
int32_t ph__sat_i32(double d);
uint32_t ph__sat_u32(double d);
int ph__read_tokens(pusd_prim *p, const char *name, char ***out, size_t *n);
void ph__free_chans(ph_host *h);
void ph__chan_free_fields(chan *c); /* what a channel owns (not its recorded samples' buffers if moved) */
pusd_type ph__type_info(const char *type_name, int *ncomp, bool *is_array);
/* Connects module input c to the attributes named by targets (docs/abi.md (d)). */
void ph__connect_feeds(ph_host *h, chan *c, const char *const *targets, size_t n);

/* abi.c */
#define ABI_MAX_IMPORTS 24
size_t ph__make_imports(hmod *m, pb_import *im);
/* Snapshots the prim's schema and configuration attributes (authored value,
 * else the schema fallback) for portalis.config_*. 0, or -1 when out of memory. */
int ph__read_config(hmod *m, pusd_prim *p);
void ph__free_config(hmod *m);

/* module.c */
ef_status ph__module_exec(ef_task *task, void *user);
int ph__bind_pure(ph_host *h, hmod *m, pusd_prim *p);
int ph__bind_tick(hmod *m);

/* scan.c */
int ph__scan(ph_host *h, char *err, size_t errcap);
void ph__teardown(ph_host *h);
hmod *ph__mod_of_prim(ph_host *h, const char *prim);

/* timing.c */
int ph__time_settings(ph_host *h, char *err, size_t errcap);

/* record.c */
void ph__record_frame(ph_host *h);
size_t ph__rec_size(const recbuf *r, const unsigned char *rec); /* bytes of the record at rec */

#endif
