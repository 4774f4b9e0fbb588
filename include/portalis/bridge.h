/* Portalis bridge: load WebAssembly modules and call their functions with
 * typed, checked arguments, per-module limits and performance statistics.
 *
 * This header is the public surface of the `bridge` layer (prefix pb_). It
 * sits on the engine (portalis/engine.h) and, when enabled, WASI
 * (portalis/wasi.h). It knows nothing about USD or the execution framework.
 *
 * Objects
 *   pb_bridge   one engine, a content-hash module cache and a table of loaded
 *               modules. Each loaded module gets its own store (its own
 *               linear memory cap, deadline, fuel and call-depth limits), so a
 *               trap or a runaway loop in one module never affects another.
 *   pb_module_id  small integer naming a loaded module; 0 is never valid. Ids
 *               are not reused while the bridge lives.
 *   pb_func     a pre-resolved function handle (fast path): no name lookup,
 *               no type check, no allocation per call.
 *
 * Errors are values: every fallible call returns 0 on success or a nonzero
 * pb_status and, when err is not NULL, writes a one-line message that names
 * the module and what to do about it, e.g.
 *   "module 'projectile' has no export 'calculate_trajectry'"
 *   "calculate_trajectory: expected 3 arguments (f64, f64, f64), got 2"
 *
 * Thread safety
 *   A bridge is NOT internally locked. Loading, unloading and reading the
 *   statistics must not overlap any other call on the same bridge. Calls into
 *   *different* modules of one bridge may run concurrently from different
 *   threads (each module owns its store and its statistics), provided no
 *   load/unload happens at the same time. Calls into the same module must be
 *   serialised by the caller (a module's store is single-threaded). The
 *   engine's deadline watchdog is the only thread the bridge starts.
 */
#ifndef PORTALIS_BRIDGE_H
#define PORTALIS_BRIDGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <portalis/base.h>
#include <portalis/engine.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pb_bridge pb_bridge;
typedef uint32_t pb_module_id;

typedef enum {
    PB_OK = 0,
    PB_ERR_IO,        /* module file missing or unreadable */
    PB_ERR_MODULE,    /* malformed or invalid binary */
    PB_ERR_LINK,      /* an import cannot be satisfied */
    PB_ERR_NO_MODULE, /* unknown or unloaded module id */
    PB_ERR_NO_EXPORT, /* no exported function of that name */
    PB_ERR_ARGS,      /* wrong number or types of arguments/results */
    PB_ERR_TRAP,      /* the call trapped (see pb_error.trap) */
    PB_ERR_BUDGET,    /* deadline or fuel exhausted (a trap of those kinds) */
    PB_ERR_NOMEM,
} pb_status;

typedef struct pb_error {
    pb_status status;
    pw_trap_kind trap; /* PW_TRAP_NONE unless status is TRAP/BUDGET */
    char message[512];
} pb_error;

/* Who runs a module's code (docs/aot.md): the interpreter, native code
 * compiled through the system C compiler (loading fails without one), or
 * auto (the interpreter at once, native code from the next call after a
 * background compile; stays interpreted with a note if there is no
 * compiler). PB_TIER_DEFAULT: in pb_load_options the bridge's pb_config
 * tier, in pb_config the interpreter. */
typedef enum { PB_TIER_DEFAULT = 0, PB_TIER_INTERP, PB_TIER_NATIVE, PB_TIER_AUTO } pb_tier;
/* "interp", "native", "auto" (a scene's `wasm:tier` token); false otherwise. */
bool pb_tier_parse(const char *token, pb_tier *out);

typedef struct pb_config {
    uint32_t max_memory_mb;    /* linear memory cap per module; 0 = engine default (4 GiB) */
    bool enable_wasi;          /* link wasi_snapshot_preview1 for modules that import it */
    bool cache_enabled;        /* share decoded modules by content hash (FNV-1a 64 + length + bytes) */
    uint64_t call_deadline_ns; /* wall-clock budget per outermost call; 0 = none */
    uint64_t call_fuel;        /* fuel per call (instructions); 0 = unlimited (no fuel metering) */
    uint32_t max_call_depth;   /* 0 = engine default */
    bool collect_stats;        /* time every call (rdtsc; ~10 ns) for get_performance_stats */
    pb_tier tier;              /* default tier of loaded modules */
} pb_config;

/* max_memory_mb 256, WASI on, cache on, no deadline, no fuel, stats on. */
pb_config pb_config_default(void);

/* NULL only when out of memory. cfg may be NULL (defaults). */
pb_bridge *pb_bridge_new(const pb_config *cfg);
void pb_bridge_free(pb_bridge *b);
const pb_config *pb_bridge_config(const pb_bridge *b);
pw_engine *pb_bridge_engine(pb_bridge *b);

/* Host imports supplied by the embedder (e.g. the update loop's "portalis"
 * import module). Imports are matched by module and name; signatures must
 * match exactly. */
typedef struct pb_import {
    const char *module;
    const char *name;
    const pw_valkind *params;
    uint32_t nparams;
    const pw_valkind *results;
    uint32_t nresults;
    pw_host_fn fn;
    void *user;
} pb_import;

typedef struct pb_load_options {
    const char *name; /* display name in errors and stats (default: file stem or "module") */
    const pb_import *imports;
    size_t nimports;
    bool run_initialize; /* call an exported _initialize (reactor) once; default true via NULL options */
    pb_tier tier;        /* PB_TIER_DEFAULT: pb_config.tier */
} pb_load_options;

/* pb_load_module_file reads regular files only (a FIFO or a device is
 * refused, never waited on) of at most this many bytes (the engine's
 * module size limit, 1 GiB). */
#define PB_MAX_MODULE_BYTES PW_LIMIT_MODULE_BYTES

/* Loads (decode, validate, instantiate) a module and returns its id. opts may
 * be NULL. With the cache enabled, loading the same bytes again reuses the
 * decoded module and only instantiates (a fresh store and memory). */
int pb_load_module_file(pb_bridge *b, const char *path, const pb_load_options *opts, pb_module_id *out,
                        pb_error *err);
int pb_load_module_bytes(pb_bridge *b, const uint8_t *bytes, size_t len, const pb_load_options *opts,
                         pb_module_id *out, pb_error *err);
/* Frees the module's instance and store; its id becomes invalid. */
int pb_unload_module(pb_bridge *b, pb_module_id id);
const char *pb_module_name(const pb_bridge *b, pb_module_id id);
pw_instance *pb_module_instance(pb_bridge *b, pb_module_id id);
pw_store *pb_module_store(pb_bridge *b, pb_module_id id);
/* The tier running the module's next calls (PW_TIER_INTERP or
 * PW_TIER_NATIVE, see pw_module_tier) and, for an auto module that stays
 * interpreted, why (*note, may be NULL; valid while the module is loaded). */
pw_tier_kind pb_module_tier(const pb_bridge *b, pb_module_id id, const char **note);
/* The exported memory "memory" (or the first exported memory), or NULL. */
pw_memory *pb_module_memory(pb_bridge *b, pb_module_id id);
/* Counts of cache lookups that hit / missed (tests, diagnostics). */
void pb_cache_counts(const pb_bridge *b, uint64_t *hits, uint64_t *misses);

/* Calls export `name` with nargs arguments whose kinds must match its
 * parameters exactly, and receives exactly nresults results. */
int pb_call(pb_bridge *b, pb_module_id id, const char *name, const pw_val *args, size_t nargs, pw_val *results,
            size_t nresults, pb_error *err);

/* ---- fast path: pre-resolved handles ---------------------------------------- */

typedef struct pb_fn_stats pb_fn_stats; /* opaque, owned by the module */

typedef struct pb_func {
    pw_store *store;
    pw_func *func;
    pb_fn_stats *stats; /* NULL when stats are off */
    const pb_bridge *bridge;
    pb_module_id module;
    uint32_t nparams, nresults;
    const pw_valkind *params, *results;
    const char *name;
    uint64_t fuel; /* fuel of each call through this handle; 0 (what pb_func_lookup sets) = the bridge's
                    * call_fuel. Metered only when the bridge's call_fuel is not 0 (its engine then counts) */
} pb_func;

/* Resolves export `name` of module id into h (valid until the module is
 * unloaded). */
int pb_func_lookup(pb_bridge *b, pb_module_id id, const char *name, pb_func *h, pb_error *err);
/* Checked call through a handle (kinds checked, no lookup). */
int pb_func_call(const pb_func *h, const pw_val *args, size_t nargs, pw_val *results, size_t nresults,
                 pb_error *err);
/* Unchecked call through a handle: slots holds the arguments and receives
 * the results, in as many cells as the larger needs (see
 * pw_func_call_unchecked; a v128 takes two). The fastest way to call; no
 * allocation. */
int pb_func_call_slots(const pb_func *h, uint64_t *slots, pb_error *err);

/* ---- performance statistics --------------------------------------------------- */

/* Percentiles come from a log-bucketed histogram (64 buckets per power of two
 * between 1 ns and ~70 s; relative bucket error < 1.1%), so memory per
 * function is fixed whatever the number of calls. */
typedef struct pb_call_stats {
    const char *function; /* owned by the bridge */
    uint64_t calls;
    uint64_t errors; /* traps and budget overruns */
    double mean_ns, median_ns, p99_ns;
    uint64_t max_ns;
    uint64_t total_ns;
} pb_call_stats;

typedef struct pb_module_stats {
    const char *name;
    uint64_t load_ns; /* read + decode (or cache hit) + instantiate + _initialize */
    bool cache_hit;
    uint64_t memory_bytes; /* current linear memory size */
    pb_call_stats all;     /* every call of the module (function = "*") */
    size_t nfunctions;     /* functions called at least once (or looked up) */
} pb_module_stats;

int pb_get_module_stats(pb_bridge *b, pb_module_id id, pb_module_stats *out);
/* The i-th function's statistics of module id (0 <= i < nfunctions). */
int pb_get_function_stats(pb_bridge *b, pb_module_id id, size_t i, pb_call_stats *out);
/* Ids of loaded modules, in load order: returns the count, writes up to cap. */
size_t pb_module_ids(const pb_bridge *b, pb_module_id *ids, size_t cap);
/* Writes {"modules":[{name, load_ns, memory_bytes, functions:[...]}, ...]}. */
int pb_write_stats_json(pb_bridge *b, FILE *out);

/* A fixed-size latency histogram (also used by the update loop for frame
 * times): the base layer's (portalis/base.h). Zero-initialise, then record. */
typedef pbase_hist pb_histogram;
static inline void pb_histogram_record(pb_histogram *h, uint64_t ns) { pbase_hist_record(h, ns); }
/* q in [0,1]; returns an upper-bound estimate within 1.1% (0 if empty). */
static inline double pb_histogram_quantile(const pb_histogram *h, double q) { return pbase_hist_quantile(h, q); }
static inline double pb_histogram_mean(const pb_histogram *h) { return pbase_hist_mean(h); }

/* Monotonic nanoseconds (CLOCK_MONOTONIC). */
static inline uint64_t pb_now_ns(void) { return pbase_now_ns(); }

#ifdef __cplusplus
}
#endif
#endif
