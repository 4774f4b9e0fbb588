/* `portalis run SCENE.usda` and `portalis graph SCENE.usda`: the scene runner.
 *
 *   portalis run SCENE.usda [--frames N] [--fps HZ] [--realtime] [-o OUT.usda]
 *                           [--threads N] [--report report.json]
 *                           [--budget-ms MS] [--fuel N] [--max-memory-mb N]
 *                           [--trigger PRIM@FRAME] [--event NAME@FRAME]
 *                           [--target NAME=VALUE] [--quiet]
 *   portalis graph SCENE.usda [--dot OUT.dot]
 *
 * Exit status: 0 success; 1 the scene cannot be opened or an output (layer
 * or report) cannot be written; 2 usage; 3 the run completed but some module
 * failed (load failure, trap, budget) - see the report. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <portalis/base.h>
#include <portalis/host.h>

#include "cli.h"

#define MAX_FRAMES 1000000000000ull /* 1e12 */
#define MAX_TRIGGERS 64

typedef struct {
    char name[512];
    uint64_t frame;
    int is_event;
} trigger;

/* Performance targets: from the scene's customLayerData portalis dictionary
 * or --target; without any, the report prints figures only. */
enum { T_FRAME_P99_US, T_PEAK_RSS_MB, T_LOAD_MS, T_FPS, T_COUNT };
static const struct {
    const char *option, *scene_key, *what;
    bool at_least; /* the value must reach the target (else stay under it) */
} TARGETS[T_COUNT] = {
    {"frame_p99_us", "targetFrameP99Us", "frame p99 (us)", false},
    {"peak_rss_mb", "targetPeakRssMb", "peak resident memory (MB)", false},
    {"load_ms", "targetLoadMs", "load time (ms)", false},
    {"fps", "targetFps", "frame rate (fps equivalent)", true},
};

typedef struct {
    const char *scene, *out, *report;
    ph_config cfg;
    uint64_t frames;
    bool frames_set, quiet;
    trigger trig[MAX_TRIGGERS];
    size_t ntrig;
    double target[T_COUNT]; /* NAN = none */
    char outbuf[4096];
} scene_opts;

static void scene_usage(FILE *f) {
    fprintf(f, "usage: portalis run SCENE.usda [--frames N] [--fps HZ] [--realtime] [-o OUT.usda]\n"
               "                               [--threads N] [--report report.json] [--budget-ms MS]\n"
               "                               [--fuel N] [--max-memory-mb N] [--trigger PRIM@FRAME]\n"
               "                               [--event NAME@FRAME] [--target NAME=VALUE] [--quiet]\n"
               "                               [--tier interp|native|auto]\n\n"
               "Runs the WebAssembly modules declared in the scene (WasmModule, WasmPhysics, ... prims)\n"
               "and writes OUT.usda (default SCENE.out.usda): a layer that sublayers the scene and holds\n"
               "one time sample per frame for every module output and connected attribute. The scene's\n"
               "startTimeCode/endTimeCode, timeCodesPerSecond and framesPerSecond give the defaults\n"
               "(without them: 120 frames at 60 Hz); --frames and --fps override them. Prints a report\n"
               "(frame rate, latency per frame and per module, peak memory, load time, what the\n"
               "simulation did); --report also writes it as JSON.\n"
               "  --budget-ms MS      time budget per module call (default 100); over budget = step skipped\n"
               "  --fuel N            instruction budget per module call (default unlimited)\n"
               "  --max-memory-mb N   linear memory cap per module (default 1024)\n"
               "  --tier T            who runs modules whose prim sets no wasm:tier: interp (default),\n"
               "                      native (compiled through the system C compiler) or auto\n"
               "  --trigger P@F       run on_demand module P at frame F (repeatable)\n"
               "  --event E@F         post event E before frame F (event_driven modules; repeatable)\n"
               "  --target NAME=V     check a target: frame_p99_us, peak_rss_mb, load_ms (at most V) or\n"
               "                      fps (at least V); the scene may set them in customLayerData =\n"
               "                      { dictionary portalis = { double targetFrameP99Us = 20 } } (docs/host.md)\n"
               "exit status: 0 ok, 1 scene/output error, 2 usage, 3 some module failed (see report)\n");
}

/* ---- options ----------------------------------------------------------------------- */

static int bad_value(const char *opt, const char *v, const char *why) {
    fprintf(stderr, "portalis run: bad value for %s: '%s' (%s)\n", opt, v, why);
    return 2;
}

/* cli_parse_u64 with the message that names the option and the range. */
static int parse_u64(const char *opt, const char *v, uint64_t lo, uint64_t hi, uint64_t *out) {
    if (!cli_parse_u64(v, lo, hi, out)) {
        char why[96];
        snprintf(why, sizeof why, "expected a whole number from %llu to %llu", (unsigned long long)lo,
                 (unsigned long long)hi);
        return bad_value(opt, v, why);
    }
    return 0;
}

/* cli_parse_double in [lo, hi], or (lo, hi] when lo_open. */
static int parse_double(const char *opt, const char *v, double lo, double hi, bool lo_open, double *out) {
    double d;
    if (!cli_parse_double(v, lo, hi, &d) || (lo_open && d == lo)) {
        char why[96];
        snprintf(why, sizeof why, "expected a number %s %g and at most %g", lo_open ? "above" : "from", lo, hi);
        return bad_value(opt, v, why);
    }
    *out = d;
    return 0;
}

static int parse_trigger(scene_opts *o, const char *opt, const char *v) {
    const char *at = strrchr(v, '@');
    if (!at || at == v || (size_t)(at - v) >= sizeof o->trig[0].name)
        return bad_value(opt, v, "expected NAME@FRAME, e.g. /World/X@10");
    if (o->ntrig == MAX_TRIGGERS)
        return bad_value(opt, v, "at most 64 triggers and events");
    trigger *t = &o->trig[o->ntrig];
    if (parse_u64(opt, at + 1, 0, MAX_FRAMES, &t->frame))
        return 2;
    snprintf(t->name, sizeof t->name, "%.*s", (int)(at - v), v);
    t->is_event = !strcmp(opt, "--event");
    o->ntrig++;
    return 0;
}

static int parse_target(scene_opts *o, const char *v) {
    const char *eq = strchr(v, '=');
    for (int k = 0; eq && k < T_COUNT; k++)
        if (strlen(TARGETS[k].option) == (size_t)(eq - v) && !strncmp(v, TARGETS[k].option, (size_t)(eq - v)))
            return parse_double("--target", eq + 1, 0, 1e12, true, &o->target[k]);
    return bad_value("--target", v, "expected frame_p99_us=V, peak_rss_mb=V, load_ms=V or fps=V");
}

static int parse_valued(scene_opts *o, const char *a, const char *v) {
    uint64_t n;
    double d;
    if (!strcmp(a, "--frames")) {
        o->frames_set = true;
        return parse_u64(a, v, 0, MAX_FRAMES, &o->frames);
    }
    if (!strcmp(a, "--fps"))
        return parse_double(a, v, 0, 1e6, true, &o->cfg.fps);
    if (!strcmp(a, "-o") || !strcmp(a, "--output"))
        return o->out = v, 0;
    if (!strcmp(a, "--report"))
        return o->report = v, 0;
    if (!strcmp(a, "--threads"))
        return parse_u64(a, v, 1, 1024, &n) ? 2 : (o->cfg.threads = (unsigned)n, 0);
    if (!strcmp(a, "--budget-ms"))
        return parse_double(a, v, 0, 1e7, false, &d) ? 2 : (o->cfg.call_budget_ns = (uint64_t)(d * 1e6), 0);
    if (!strcmp(a, "--fuel"))
        return parse_u64(a, v, 0, UINT64_MAX, &o->cfg.call_fuel);
    if (!strcmp(a, "--max-memory-mb"))
        return parse_u64(a, v, 1, 65536, &n) ? 2 : (o->cfg.max_memory_mb = (uint32_t)n, 0);
    if (!strcmp(a, "--target"))
        return parse_target(o, v);
    if (!strcmp(a, "--tier"))
        return pb_tier_parse(v, &o->cfg.tier) ? 0 : bad_value(a, v, "expected interp, native or auto");
    return parse_trigger(o, a, v); /* --trigger, --event */
}

/* Returns -1 to go on, or the exit status. */
static int parse_options(scene_opts *o, int argc, char **argv) {
    for (int k = 0; k < T_COUNT; k++)
        o->target[k] = NAN;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            scene_usage(stdout);
            return 0;
        }
        if (!strcmp(a, "--realtime") || !strcmp(a, "--quiet")) {
            if (a[2] == 'r')
                o->cfg.realtime = true;
            else
                o->quiet = true;
            continue;
        }
        if (a[0] != '-' || !a[1]) {
            if (o->scene) {
                fprintf(stderr,
                        "portalis run: unexpected argument '%s' (one scene per run; see portalis run "
                        "SCENE.usda --help)\n",
                        a);
                return 2;
            }
            o->scene = a;
            continue;
        }
        static const char *const valued[] = {"--frames",  "--fps",       "-o",      "--output", "--threads",
                                             "--report",  "--budget-ms", "--fuel",  "--tier",   "--max-memory-mb",
                                             "--trigger", "--event",     "--target"};
        bool known = false;
        for (size_t k = 0; k < sizeof valued / sizeof valued[0]; k++)
            known = known || !strcmp(a, valued[k]);
        if (!known) {
            fprintf(stderr, "portalis run: unknown option '%s' (see portalis run SCENE.usda --help)\n", a);
            return 2;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "portalis run: %s needs a value (see portalis run SCENE.usda --help)\n", a);
            return 2;
        }
        int rc = parse_valued(o, a, argv[++i]);
        if (rc)
            return rc;
    }
    if (!o->scene) {
        fprintf(stderr, "portalis run: no scene given\n");
        scene_usage(stderr);
        return 2;
    }
    if (!o->out) { /* SCENE.usda -> SCENE.out.usda */
        cli_output_name(o->scene, ".out.usda", o->outbuf, sizeof o->outbuf);
        o->out = o->outbuf;
    }
    return -1;
}

/* ---- checks before the run ------------------------------------------------------- */

/* The report file must be writable before anything runs: its folder exists
 * and it is not a directory. */
static int check_report_path(const char *path, char *err, size_t cap) {
    struct stat st;
    if (stat(path, &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            snprintf(err, cap, "--report %s: is a directory", path);
            return -1;
        }
        if (!S_ISCHR(st.st_mode) && !S_ISFIFO(st.st_mode) && access(path, W_OK)) {
            snprintf(err, cap, "--report %s: %s", path, strerror(errno));
            return -1;
        }
        return 0;
    }
    char dir[4096];
    const char *sl = strrchr(path, '/');
    snprintf(dir, sizeof dir, "%.*s", sl ? (int)(sl == path ? 1 : sl - path) : 1, sl ? path : ".");
    errno = 0;
    if (stat(dir, &st) || !S_ISDIR(st.st_mode) || access(dir, W_OK)) {
        int e = errno;
        snprintf(err, cap, "--report %s: cannot create a file in its folder (%s)", path,
                 e ? strerror(e) : "not a directory");
        return -1;
    }
    return 0;
}

static int check_outputs(ph_host *h, const scene_opts *o) {
    char err[1200];
    if (ph_host_check_output_path(h, o->out, err, sizeof err)) {
        fprintf(stderr, "portalis run: %s\n", err);
        return 1;
    }
    if (o->report) {
        struct stat a, b;
        if (!strcmp(o->report, o->out) ||
            (!stat(o->report, &a) && !stat(o->out, &b) && a.st_dev == b.st_dev && a.st_ino == b.st_ino)) {
            fprintf(stderr, "portalis run: --report %s is the output layer too; choose another path\n",
                    o->report);
            return 1;
        }
        if (ph_host_check_output_path(h, o->report, err, sizeof err) ||
            check_report_path(o->report, err, sizeof err)) {
            fprintf(stderr, "portalis run: %s\n", err);
            return 1;
        }
    }
    return 0;
}

static bool is_module_prim(ph_host *h, const char *prim) {
    for (size_t i = 0; i < ph_host_module_count(h); i++) {
        ph_module_info mi;
        ph_host_module_info(h, i, &mi);
        if (!strcmp(mi.prim_path, prim))
            return true;
    }
    return false;
}

static int check_triggers(ph_host *h, const scene_opts *o) {
    for (size_t k = 0; k < o->ntrig; k++)
        if (!o->trig[k].is_event && !is_module_prim(h, o->trig[k].name)) {
            fprintf(stderr, "portalis run: --trigger %s@%llu: the scene has no module prim %s\n", o->trig[k].name,
                    (unsigned long long)o->trig[k].frame, o->trig[k].name);
            return 2;
        }
    return 0;
}

/* Targets the scene sets in customLayerData = { dictionary portalis = {...} }
 * (options given on the command line win). */
static void scene_targets(ph_host *h, scene_opts *o) {
    pusd_value v;
    if (pusd_layer_get_metadata(pusd_stage_root_layer(ph_host_stage(h)), "customLayerData", &v) ||
        v.type != PUSD_T_DICTIONARY || !v.data)
        return;
    const pusd_dict *d = v.data, *p = NULL;
    for (uint32_t i = 0; i < d->count; i++)
        if (!strcmp(d->entries[i].key, "portalis") && d->entries[i].value.type == PUSD_T_DICTIONARY)
            p = d->entries[i].value.data;
    for (uint32_t i = 0; p && i < p->count; i++)
        for (int k = 0; k < T_COUNT; k++)
            if (!strcmp(p->entries[i].key, TARGETS[k].scene_key) && isnan(o->target[k])) {
                double t = pusd_value_get_double(&p->entries[i].value, 0, 0);
                if (t > 0)
                    o->target[k] = t;
            }
}

/* ---- the run ------------------------------------------------------------------------ */

typedef struct {
    int tty;
    uint64_t last;
} progress_state;

static void progress(uint64_t done, uint64_t total, void *u) {
    progress_state *p = u;
    if (!p->tty || total < 2)
        return;
    uint64_t pct = done * 100 / total;
    if (pct == p->last && done != total)
        return;
    p->last = pct;
    int bar = (int)(done * 40 / total);
    fprintf(stderr, "\r[%.*s%*s] %3llu%% frame %llu/%llu", bar,
            "========================================", 40 - bar, "", (unsigned long long)pct,
            (unsigned long long)done, (unsigned long long)total);
    if (done == total)
        fprintf(stderr, "\r%*s\r", 70, "");
    fflush(stderr);
}

static void run_frames(ph_host *h, const scene_opts *o, size_t *shown) {
    progress_state ps = {isatty(2) && !o->quiet, 101};
    /* triggers and events need frame-exact delivery: step frame by frame */
    for (uint64_t f = 0; f < o->frames; f++) {
        for (size_t k = 0; k < o->ntrig; k++)
            if (o->trig[k].frame == f) {
                if (o->trig[k].is_event)
                    ph_host_post_event(h, o->trig[k].name);
                else
                    ph_host_trigger(h, o->trig[k].name);
            }
        ph_host_run(h, 1, NULL, NULL);
        progress(f + 1, o->frames, &ps);
        for (; *shown < ph_host_diagnostic_count(h); (*shown)++)
            fprintf(stderr, "%sportalis run: %s\n", ps.tty ? "\r" : "", ph_host_diagnostic(h, *shown));
    }
}

/* ---- the report ------------------------------------------------------------------- */

typedef struct {
    ph_report r;
    double p99, rss, load_ms, fps_eq;
    double value[T_COUNT];
    char up; /* the scene's up axis: 'Y' (USD's default) or 'Z' */
} figures;

static double peak_rss_mb(void) {
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru))
        return 0;
    return (double)ru.ru_maxrss / 1024.0;
}

static void gather(ph_host *h, figures *g) {
    ph_host_report(h, &g->r);
    g->rss = peak_rss_mb();
    g->p99 = pbase_hist_quantile(g->r.frame_latency, 0.99);
    g->load_ms = (double)g->r.load_ns / 1e6;
    g->fps_eq = g->r.wall_s > 0 ? (double)g->r.frames / g->r.wall_s : 0;
    g->value[T_FRAME_P99_US] = g->p99 / 1e3;
    g->value[T_PEAK_RSS_MB] = g->rss;
    g->value[T_LOAD_MS] = g->load_ms;
    g->value[T_FPS] = g->fps_eq;
    pusd_value v;
    g->up = 'Y';
    if (!pusd_layer_get_metadata(pusd_stage_root_layer(ph_host_stage(h)), "upAxis", &v) && v.count) {
        const char *s = pusd_value_get_string(&v, 0);
        if (s && (s[0] == 'Z' || s[0] == 'z'))
            g->up = 'Z';
    }
}

static bool target_met(const scene_opts *o, const figures *g, int k) {
    return TARGETS[k].at_least ? g->value[k] >= o->target[k] : g->value[k] <= o->target[k];
}

static void print_target(const scene_opts *o, const figures *g, int k) {
    if (isnan(o->target[k]))
        return;
    printf("   target %s %g %s", TARGETS[k].at_least ? ">=" : "<=", o->target[k],
           target_met(o, g, k) ? "\xe2\x9c\x93" : "\xe2\x9c\x97");
}

/* What the simulation did, for each recorded 3-component attribute:
 * highest point along the up axis and horizontal reach. */
static void print_motion(ph_host *h, const figures *g) {
    int up = g->up == 'Z' ? 2 : 1, h1 = 0, h2 = up == 2 ? 1 : 2;
    for (size_t i = 0; i < ph_host_motion_count(h); i++) {
        ph_motion m;
        ph_host_motion(h, i, &m);
        double reach = fmax(m.hi[h1] - m.lo[h1], m.hi[h2] - m.lo[h2]);
        printf("  %s.%s%s: highest %c %.4g, lowest %c %.4g, horizontal reach %.4g", m.prim, m.attr,
               m.elements > 1 ? " (all elements)" : "", g->up, m.hi[up], g->up, m.lo[up], reach);
        if (m.elements == 1)
            printf(", from (%.4g, %.4g, %.4g) to (%.4g, %.4g, %.4g)", m.first[0], m.first[1], m.first[2],
                   m.last[0], m.last[1], m.last[2]);
        printf("\n");
    }
}

static void print_report(ph_host *h, const scene_opts *o, const figures *g, int save_rc) {
    const ph_report *r = &g->r;
    ph_time tm;
    ph_host_time_settings(h, &tm);
    printf("portalis run %s: %llu frames at %g Hz (%.2f s simulated%s), %zu module%s (%zu failed)\n", o->scene,
           (unsigned long long)r->frames, tm.fps, (double)r->frames / tm.fps,
           o->cfg.realtime ? ", paced in real time" : "", r->modules, r->modules == 1 ? "" : "s",
           r->failed_modules);
    printf("  %-28s %12s %12s %12s %12s\n", "frame latency (us)", "mean", "p50", "p99", "max");
    printf("  %-28s %12.2f %12.2f %12.2f %12.2f", "frame", pbase_hist_mean(r->frame_latency) / 1e3,
           pbase_hist_quantile(r->frame_latency, 0.5) / 1e3, g->p99 / 1e3, (double)r->frame_latency->max / 1e3);
    print_target(o, g, T_FRAME_P99_US);
    printf("\n");
    for (size_t i = 0; i < ph_host_module_count(h); i++) {
        ph_module_info mi;
        ph_host_module_info(h, i, &mi);
        printf("  %-28.28s %12.2f %12.2f %12.2f %12.2f   %s, %s, %s, %llu steps%s\n", mi.prim_path,
               pbase_hist_mean(mi.latency) / 1e3, pbase_hist_quantile(mi.latency, 0.5) / 1e3,
               pbase_hist_quantile(mi.latency, 0.99) / 1e3, (double)mi.latency->max / 1e3,
               ph_mod_state_name(mi.state), mi.binding, *mi.tier ? mi.tier : "-", (unsigned long long)mi.steps,
               mi.last_error ? " (see diagnostics)" : "");
    }
    printf("  frame rate (fps equivalent)  %12.0f", g->fps_eq);
    print_target(o, g, T_FPS);
    printf("\n  peak resident memory         %9.1f MB", g->rss);
    print_target(o, g, T_PEAK_RSS_MB);
    printf("\n  load time (scene + modules)  %9.2f ms (scene %.2f ms)", g->load_ms, (double)r->scene_ns / 1e6);
    print_target(o, g, T_LOAD_MS);
    printf("\n");
    print_motion(h, g);
    if (!save_rc)
        printf("wrote %s: %zu animated attribute%s x %llu time samples, over the scene (a sublayer; the input "
               "is unchanged)\n",
               o->out, r->recorded_attributes, r->recorded_attributes == 1 ? "" : "s",
               (unsigned long long)r->frames);
    if (r->failed_modules)
        printf("%zu module%s failed: see the 'prim ...' messages above (exit status 3)\n", r->failed_modules,
               r->failed_modules == 1 ? "" : "s");
}

static void json_vec(pbase_json *j, const char *key, const double *v) {
    pbase_json_key(j, key);
    pbase_json_begin_array(j);
    for (int i = 0; i < 3; i++)
        pbase_json_double(j, v[i]);
    pbase_json_end_array(j);
}

/* {"mean": ..., "p50": ..., "p99": ..., "max": ...} of a latency histogram (ns). */
static void json_latency(pbase_json *j, const char *key, const pbase_hist *lat) {
    pbase_json_key(j, key);
    pbase_json_begin_object(j);
    pbase_json_key(j, "mean");
    pbase_json_double(j, pbase_hist_mean(lat));
    pbase_json_key(j, "p50");
    pbase_json_double(j, pbase_hist_quantile(lat, 0.5));
    pbase_json_key(j, "p99");
    pbase_json_double(j, pbase_hist_quantile(lat, 0.99));
    pbase_json_key(j, "max");
    pbase_json_uint(j, lat->max);
    pbase_json_end_object(j);
}

static void json_module(pbase_json *j, ph_host *h, size_t i) {
    ph_module_info mi;
    ph_host_module_info(h, i, &mi);
    pbase_json_begin_object(j);
    pbase_json_kv_str(j, "prim", mi.prim_path);
    pbase_json_kv_str(j, "wasm", mi.wasm_path);
    pbase_json_kv_str(j, "state", ph_mod_state_name(mi.state));
    pbase_json_kv_str(j, "binding", mi.binding);
    pbase_json_kv_str(j, "tier", mi.tier);
    pbase_json_kv_str(j, "mode", mi.mode);
    pbase_json_kv_uint(j, "runs", mi.runs);
    pbase_json_kv_uint(j, "steps", mi.steps);
    pbase_json_kv_uint(j, "overruns", mi.overruns);
    pbase_json_kv_uint(j, "traps", mi.traps);
    pbase_json_kv_double(j, "load_ms", (double)mi.load_ns / 1e6);
    pbase_json_kv_uint(j, "memory_bytes", mi.memory_bytes);
    json_latency(j, "latency_ns", mi.latency);
    pbase_json_end_object(j);
}

static void json_motion(pbase_json *j, ph_host *h, size_t i) {
    ph_motion m;
    ph_host_motion(h, i, &m);
    pbase_json_begin_object(j);
    pbase_json_kv_str(j, "prim", m.prim);
    pbase_json_kv_str(j, "attr", m.attr);
    pbase_json_kv_uint(j, "elements", m.elements);
    json_vec(j, "first", m.first);
    json_vec(j, "last", m.last);
    json_vec(j, "min", m.lo);
    json_vec(j, "max", m.hi);
    pbase_json_end_object(j);
}

static void json_diagnostic(pbase_json *j, ph_host *h, size_t i) { pbase_json_str(j, ph_host_diagnostic(h, i)); }

/* "key": [item 0, ..., item n-1], one item a line. */
static void json_list(pbase_json *j, const char *key, ph_host *h, size_t n,
                      void (*item)(pbase_json *, ph_host *, size_t)) {
    pbase_json_newline(j);
    pbase_json_key(j, key);
    pbase_json_begin_array(j);
    for (size_t i = 0; i < n; i++) {
        pbase_json_newline(j);
        item(j, h, i);
    }
    pbase_json_end_array(j);
}

static void json_targets(pbase_json *j, const scene_opts *o, const figures *g) {
    pbase_json_key(j, "targets");
    pbase_json_begin_array(j);
    for (int k = 0; k < T_COUNT; k++) {
        if (isnan(o->target[k]))
            continue;
        pbase_json_begin_object(j);
        pbase_json_kv_str(j, "name", TARGETS[k].option);
        pbase_json_kv_double(j, "target", o->target[k]);
        pbase_json_key(j, "at_least");
        pbase_json_bool(j, TARGETS[k].at_least);
        pbase_json_kv_double(j, "value", g->value[k]);
        pbase_json_key(j, "ok");
        pbase_json_bool(j, target_met(o, g, k));
        pbase_json_end_object(j);
    }
    pbase_json_end_array(j);
}

static void json_body(FILE *f, ph_host *h, const scene_opts *o, const figures *g) {
    const ph_report *r = &g->r;
    ph_time tm;
    ph_host_time_settings(h, &tm);
    pbase_json j;
    pbase_json_init(&j, f);
    pbase_json_begin_object(&j);
    pbase_json_newline(&j); /* newlines are cosmetic: a report a reader can scan */
    pbase_json_kv_str(&j, "scene", o->scene);
    pbase_json_kv_str(&j, "output", o->out);
    pbase_json_kv_uint(&j, "frames", r->frames);
    pbase_json_kv_double(&j, "fps", tm.fps);
    pbase_json_kv_double(&j, "time_codes_per_second", tm.time_codes_per_second);
    pbase_json_kv_double(&j, "start_time_code", tm.start_time_code);
    pbase_json_newline(&j);
    json_latency(&j, "frame_latency_ns", r->frame_latency);
    pbase_json_newline(&j);
    pbase_json_kv_double(&j, "fps_equivalent", g->fps_eq);
    pbase_json_kv_double(&j, "peak_rss_mb", g->rss);
    pbase_json_kv_double(&j, "load_ms", g->load_ms);
    pbase_json_kv_double(&j, "scene_ms", (double)r->scene_ns / 1e6);
    pbase_json_newline(&j);
    json_targets(&j, o, g);
    json_list(&j, "modules", h, ph_host_module_count(h), json_module);
    json_list(&j, "motion", h, ph_host_motion_count(h), json_motion);
    json_list(&j, "diagnostics", h, ph_host_diagnostic_count(h), json_diagnostic);
    pbase_json_newline(&j);
    pbase_json_end_object(&j);
    fputc('\n', f);
}

/* Written atomically; any write error (a full disk, /dev/full) fails the
 * command, and a FIFO nobody reads is an error, not a hang (pbase_afile). */
static int write_report(ph_host *h, const scene_opts *o, const figures *g) {
    pbase_afile a;
    pbase_error e;
    if (pbase_afile_open(&a, o->report, &e)) {
        fprintf(stderr, "portalis run: the report: %s\n", e.message);
        return 1;
    }
    json_body(a.f, h, o, g);
    if (pbase_afile_commit(&a, &e)) {
        fprintf(stderr, "portalis run: the report: %s\n", e.message);
        return 1;
    }
    return 0;
}

/* Opens the scene and checks everything the run depends on; returns -1 to
 * run, or the exit status. */
static int prepare(scene_opts *o, ph_host **hp, size_t *shown) {
    char err[1024];
    if (ph_host_open(o->scene, &o->cfg, hp, err, sizeof err)) {
        fprintf(stderr, "portalis run: %s\n", err);
        return 1;
    }
    ph_host *h = *hp;
    for (; *shown < ph_host_diagnostic_count(h); (*shown)++)
        fprintf(stderr, "portalis run: %s\n", ph_host_diagnostic(h, *shown));
    ph_report r0;
    ph_host_report(h, &r0);
    if (!r0.modules) {
        fprintf(stderr,
                "portalis run: %s: the scene declares no WebAssembly module prims (WasmModule, WasmPhysics, "
                "WasmSensor, ...); nothing to run\n",
                o->scene);
        return 1;
    }
    /* every module failed to load: the diagnostics above say why; running would only write an empty layer */
    if (!r0.loaded_modules && r0.failed_modules)
        return 3;
    int rc = check_triggers(h, o);
    rc = rc ? rc : check_outputs(h, o);
    if (rc)
        return rc;
    if (!o->frames_set) {
        ph_time tm;
        ph_host_time_settings(h, &tm);
        o->frames = tm.frames ? tm.frames : 120;
    }
    scene_targets(h, o);
    return -1;
}

/* Where a module not found next to its scene is looked for: the folders of
 * $PORTALIS_MODULE_PATH, then <prefix>/share/portalis beside this program,
 * where demo modules are installed (and staged in the build tree, so
 * `build/bin/portalis run demos/projectile/projectile.usda` runs). */
static const char *module_path(char *buf, size_t cap) {
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = 0;
    char *slash = strrchr(exe, '/');
    if (slash)
        *slash = 0;
    const char *env = getenv("PORTALIS_MODULE_PATH");
    snprintf(buf, cap, "%s%s%s/../share/portalis", env ? env : "", env && *env ? ":" : "", exe);
    return buf;
}

int cmd_scene_run(int argc, char **argv) {
    char mpath[8192];
    scene_opts o = {.cfg = ph_config_default()};
    o.cfg.module_path = module_path(mpath, sizeof mpath);
    int rc = parse_options(&o, argc, argv);
    if (rc >= 0)
        return rc;
    ph_host *h = NULL;
    size_t shown = 0;
    rc = prepare(&o, &h, &shown);
    if (rc >= 0) {
        ph_host_free(h);
        return rc;
    }
    run_frames(h, &o, &shown);
    char err[1024];
    bool tty = isatty(2) && !o.quiet;
    if (tty) {
        fprintf(stderr, "writing %s ...", o.out);
        fflush(stderr);
    }
    int save_rc = ph_host_save(h, o.out, err, sizeof err);
    if (tty)
        fprintf(stderr, "\r%*s\r", (int)strlen(o.out) + 12, "");
    rc = 0;
    if (save_rc) {
        fprintf(stderr, "portalis run: %s\n", err);
        rc = 1;
    }
    figures g;
    gather(h, &g);
    if (!o.quiet)
        print_report(h, &o, &g, save_rc);
    if (o.report && write_report(h, &o, &g))
        rc = 1;
    if (!rc && g.r.failed_modules)
        rc = 3;
    ph_host_free(h);
    return rc;
}

int cmd_scene_graph(int argc, char **argv) {
    const char *scene = NULL, *dot = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--dot") && i + 1 < argc)
            dot = argv[++i];
        else if (!scene)
            scene = argv[i];
        else {
            fprintf(stderr, "portalis graph: unexpected argument '%s'\n", argv[i]);
            return 2;
        }
    }
    if (!scene) {
        fprintf(stderr, "portalis graph: no scene given\n");
        return 2;
    }
    char dotbuf[4096];
    if (!dot) {
        cli_output_name(scene, ".dot", dotbuf, sizeof dotbuf);
        dot = dotbuf;
    }
    char mpath[8192];
    ph_config cfg = ph_config_default();
    cfg.record = false;
    cfg.module_path = module_path(mpath, sizeof mpath);
    char err[1024];
    ph_host *h;
    if (ph_host_open(scene, &cfg, &h, err, sizeof err)) {
        fprintf(stderr, "portalis graph: %s\n", err);
        return 1;
    }
    for (size_t i = 0; i < ph_host_diagnostic_count(h); i++)
        fprintf(stderr, "portalis graph: %s\n", ph_host_diagnostic(h, i));
    if (ph_host_check_output_path(h, dot, err, sizeof err)) {
        fprintf(stderr, "portalis graph: %s\n", err);
        ph_host_free(h);
        return 1;
    }
    int rc = ef_dump_text(ph_host_graph(h), stdout) ? 1 : 0;
    static const char *stages[] = {"pre_simulation", "simulation", "post_simulation"};
    printf("\nMODULES\n");
    for (size_t i = 0; i < ph_host_module_count(h); i++) {
        ph_module_info mi;
        ph_host_module_info(h, i, &mi);
        printf("  %s | %s %s stage=%s order=%d mode=%s entry=%s state=%s\n", mi.prim_path, mi.schema, mi.binding,
               stages[mi.stage], mi.order_key, mi.mode, mi.entry, ph_mod_state_name(mi.state));
    }
    if (cli_write_dot(dot, ph_host_graph(h)))
        rc = 1;
    ph_host_free(h);
    return rc;
}
