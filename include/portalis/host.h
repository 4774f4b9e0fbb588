/* Portalis host: the update loop that runs the WebAssembly modules declared
 * in a USD scene, on the execution framework, and records their results as
 * time samples in an output layer.
 *
 * This header is the public surface of the `host` layer (prefix ph_). It
 * uses the usd, ef and bridge layers. See docs/host.md for the rules
 * (pipeline stage placement, execution modes, failure policy) and
 * docs/abi.md for what modules see.
 *
 * Threads: a ph_host is used by one thread at a time. With threads > 1 the
 * host runs independent module nodes of one stage in parallel on its own
 * pool; each module has its own store, so that is safe.
 * Errors are values; the library never exits the process.
 */
#ifndef PORTALIS_HOST_H
#define PORTALIS_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <portalis/bridge.h>
#include <portalis/ef.h>
#include <portalis/usd.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ph_host ph_host;

typedef struct ph_config {
    double fps;                   /* frames per second; 0 (default) = the scene's framesPerSecond, else its
                                   * timeCodesPerSecond, else 60 (docs/host.md, Time) */
    bool realtime;                /* pace frames to wall-clock time (default: as fast as possible) */
    unsigned threads;             /* 1 (default) = serial; N = a pool of N-1 workers + caller */
    uint64_t call_budget_ns;      /* deadline per module call (default 100 ms); 0 = none */
    uint64_t call_fuel;           /* fuel per module call; 0 (default) = unlimited */
    uint32_t max_memory_mb;       /* linear memory cap per module (default PW_DEFAULT_MEMORY_CAP, 1 GiB) */
    uint32_t max_substeps;        /* continuous mode: most steps per frame (default 8) */
    uint32_t max_overruns;        /* consecutive budget overruns before disabling (default 3) */
    bool record;                  /* record outputs as time samples (default true) */
    uint64_t record_memory_bytes; /* recorded samples kept in memory; past it they are
                                   * spilled to a temporary file (default 8 MB; docs/host.md) */
    pb_tier tier;                 /* tier of modules whose prim authors no wasm:tier (docs/host.md, Tiers);
                                   * PB_TIER_DEFAULT (default) = the interpreter */
    const char *module_path;      /* ':'-separated folders searched, in order, for a relative wasm:path that
                                   * is not next to the layer authoring it (docs/host.md, Module search
                                   * path); NULL (default) = none. Not copied: it must outlive the host */
} ph_config;

ph_config ph_config_default(void);

/* Module states (failure policy, docs/host.md). */
typedef enum {
    PH_MOD_ACTIVE = 0,
    PH_MOD_DISABLED_BY_SCENE, /* wasm:enabled = false */
    PH_MOD_LOAD_FAILED,       /* missing file, bad binary, link error, bad binding: never runs */
    PH_MOD_TRAPPED,           /* trapped: disabled for the rest of the run */
    PH_MOD_OVER_BUDGET,       /* max_overruns consecutive overruns: disabled */
} ph_mod_state;

const char *ph_mod_state_name(ph_mod_state s);

typedef struct ph_module_info {
    const char *prim_path;
    const char *schema;    /* WasmModule, WasmPhysics, ... */
    const char *wasm_path; /* resolved absolute path */
    const char *entry;     /* entry function */
    const char *binding;   /* "pure" or "tick" */
    const char *mode;      /* continuous | on_demand | event_driven */
    int stage;             /* EF_STAGE_* */
    int order_key;
    double update_rate;
    ph_mod_state state;
    uint64_t runs;          /* frames in which it ran */
    uint64_t steps;         /* calls of its entry function */
    uint64_t skipped_steps; /* continuous: steps dropped past max_substeps */
    uint64_t overruns, traps;
    uint64_t load_ns;
    uint64_t memory_bytes;
    const pb_histogram *latency; /* per frame in which it ran, ns */
    const char *last_error;      /* NULL when none */
    const char *tier;            /* who runs its next calls: "interp" or "native" ("" when not loaded) */
    const char *tier_note;       /* wasm:tier auto staying on the interpreter: why; else NULL */
    bool paused;                 /* turned off by ph_host_set_module_paused */
    uint64_t last_fuel;          /* fuel its last call used (all of it when it ran out); 0 when the run
                                  * meters none (ph_config.call_fuel 0) */
} ph_module_info;

/* Opens the scene, scans it for Wasm schema prims, loads their modules and
 * builds the execution graph. Module problems do not fail the open (they are
 * diagnostics and the module is marked LOAD_FAILED); a scene that cannot be
 * read does (err gets file:line:column: message). */
int ph_host_open(const char *scene_path, const ph_config *cfg, ph_host **out, char *err, size_t errcap);
void ph_host_free(ph_host *h);

/* Runs one frame at the current frame index, then advances it. Returns 0,
 * or 1 if some module failed during this frame (see diagnostics). */
int ph_host_step(ph_host *h);
/* Runs n frames (paced when realtime). progress may be NULL. */
typedef void (*ph_progress_fn)(uint64_t done, uint64_t total, void *user);
int ph_host_run(ph_host *h, uint64_t frames, ph_progress_fn progress, void *user);
uint64_t ph_host_frame(const ph_host *h);
double ph_host_time(const ph_host *h); /* simulation time of the next frame, s */

/* The time settings of the run (docs/host.md, Time): the scene's layer
 * metadata are the defaults, ph_config.fps overrides the frame rate. Frame k
 * runs at time k / fps seconds and is recorded at time code
 * start_time_code + k * time_codes_per_second / fps. */
typedef struct ph_time {
    double fps;                   /* frames per second of the run */
    double time_codes_per_second; /* the scene's (or fps when it authors none) */
    double start_time_code;       /* the scene's, or 0 */
    double end_time_code;         /* the scene's, or NAN when it authors none */
    uint64_t frames;              /* frames from start to end at fps; 0 without an end */
} ph_time;
void ph_host_time_settings(const ph_host *h, ph_time *out);
/* Time code of frame k. */
double ph_host_time_code(const ph_host *h, uint64_t frame);

/* on_demand: run the module at prim_path once in the next frame.
 * Returns 0, or -1 if there is no such module. */
int ph_host_trigger(ph_host *h, const char *prim_path);
/* Turns the module at prim_path off (paused: its node is skipped, its
 * outputs keep their last values, its store and statistics are kept) or
 * back on, from the next frame; a live viewer's toggle. A rescan or a new
 * host starts with every module on. Returns 0, or -1 if there is no such
 * module. */
int ph_host_set_module_paused(ph_host *h, const char *prim_path, bool paused);
/* Fuel (wasm instructions) for each of the next calls of the module at
 * prim_path, in place of the run's ph_config.call_fuel; 0 = the run's again
 * (docs/host.md, Failure policy). Fuel is counted only in a run that meters
 * it, so ph_config.call_fuel must not be 0. A call that runs out is an
 * overrun like any other. For a test that interrupts one call and lets the
 * module's catch-up call, which may cost far more, run in full; kept until a
 * rescan. Returns 0, or -1 if there is no such loaded module or the run
 * meters no fuel. */
int ph_host_set_module_fuel(ph_host *h, const char *prim_path, uint64_t fuel);
/* event_driven: post a named event; modules listing it in wasm:events run in
 * the next frame. */
int ph_host_post_event(ph_host *h, const char *name);
/* Re-reads the scene file and rebuilds modules and graph if it changed on
 * disk (or if force). Returns 1 if rebuilt, 0 if unchanged, -1 on error
 * (the previous scene keeps running). Recorded samples are kept. */
int ph_host_rescan(ph_host *h, bool force, char *err, size_t errcap);

/* Writes the output layer: over specs with one time sample per recorded
 * frame for every module output and connected target, layer metadata
 * startTimeCode/endTimeCode/timeCodesPerSecond, and the input scene as a
 * sublayer (relative path). Saved atomically. */
int ph_host_save(ph_host *h, const char *out_path, char *err, size_t errcap);

/* 0 if writing path cannot destroy an input of the run; -1 (err says which)
 * when it resolves (symlinks, "..", hard links) to the scene, a layer it
 * uses or a module it loads, or is a directory. Devices and FIFOs are fine
 * (written in place). Call before running, for every file the run writes. */
int ph_host_check_output_path(const ph_host *h, const char *path, char *err, size_t errcap);

/* Current value of a channel (module output or input, or a connected target
 * "prim.attr"); n components/elements copied. Returns the number of doubles
 * available, or -1 if unknown. */
long ph_host_get_value(ph_host *h, const char *prim_path, const char *attr, double *out, size_t n);

/* What the simulation did: the extent over the run of every recorded
 * 3-component attribute (positions, translates; every element of an array),
 * in recording order. */
typedef struct ph_motion {
    const char *prim, *attr;
    size_t elements; /* 1, or the array's element count */
    uint64_t frames;
    double first[3], last[3]; /* of element 0 */
    double lo[3], hi[3];      /* over all elements and frames */
} ph_motion;
size_t ph_host_motion_count(const ph_host *h);
int ph_host_motion(const ph_host *h, size_t i, ph_motion *out);

size_t ph_host_module_count(const ph_host *h);
int ph_host_module_info(const ph_host *h, size_t i, ph_module_info *out);

/* Diagnostics in the order they happened: "prim /World/X: ...". */
size_t ph_host_diagnostic_count(const ph_host *h);
const char *ph_host_diagnostic(const ph_host *h, size_t i);

typedef struct ph_report {
    uint64_t frames;
    double wall_s;                     /* time spent in frames (excluding pacing sleeps) */
    const pb_histogram *frame_latency; /* ns per frame */
    uint64_t load_ns;                  /* open: scene parse + scan + module loads + graph build */
    uint64_t scene_ns;                 /* of which: scene parse and compose */
    size_t modules, failed_modules;
    size_t loaded_modules;      /* modules that loaded (active, trapped or over budget) */
    size_t recorded_attributes; /* attributes with time samples in the output layer */
} ph_report;
void ph_host_report(const ph_host *h, ph_report *out);

ef_graph *ph_host_graph(ph_host *h);
pb_bridge *ph_host_bridge(ph_host *h);
pusd_stage *ph_host_stage(ph_host *h);

#ifdef __cplusplus
}
#endif
#endif
