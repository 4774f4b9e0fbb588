/* `portalis run SCENE.usda` and `portalis graph SCENE.usda`: the scene runner.
 *
 *   portalis run SCENE.usda [--frames N] [--fps HZ] [--realtime] [-o OUT.usda]
 *                           [--threads N] [--report report.json]
 *                           [--budget-ms MS] [--fuel N] [--trigger PRIM@FRAME]
 *                           [--event NAME@FRAME] [--quiet]
 *   portalis graph SCENE.usda [--dot OUT.dot]
 *
 * Exit status: 0 success; 1 the scene cannot be opened or the output cannot
 * be written; 2 usage; 3 the run completed but some module failed (load
 * failure, trap, budget) - see the report. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <portalis/host.h>

#include "cli.h"

/* Targets from issue 6. */
#define TARGET_P99_1_NS 20000.0
#define TARGET_P99_1000_NS 1000000.0
#define TARGET_RSS_MB 20.0
#define TARGET_LOAD_MS 50.0

typedef struct {
    const char *prim;
    uint64_t frame;
    int is_event;
} trigger;

static void scene_usage(FILE *f) {
    fprintf(f,
            "usage: portalis run SCENE.usda [--frames N] [--fps HZ] [--realtime] [-o OUT.usda]\n"
            "                               [--threads N] [--report report.json] [--budget-ms MS]\n"
            "                               [--fuel N] [--trigger PRIM@FRAME] [--event NAME@FRAME] [--quiet]\n\n"
            "Runs the WebAssembly modules declared in the scene (WasmModule, WasmPhysics, ... prims)\n"
            "for N frames at HZ frames per second (default: the scene's time range, or 120; 60 Hz),\n"
            "as fast as possible or paced in real time, and writes OUT.usda (default SCENE.out.usda):\n"
            "a layer that sublayers the scene and holds one time sample per frame for every module\n"
            "output and connected attribute. Prints a report (frame rate, latency per frame and per\n"
            "module, peak memory, load time) against the targets; --report also writes it as JSON.\n"
            "  --budget-ms MS   time budget per module call (default 100); over budget = step skipped\n"
            "  --fuel N         instruction budget per module call (default unlimited)\n"
            "  --trigger P@F    run on_demand module P at frame F (repeatable)\n"
            "  --event E@F      post event E before frame F (event_driven modules; repeatable)\n"
            "exit status: 0 ok, 1 scene/output error, 2 usage, 3 some module failed (see report)\n");
}

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
    fprintf(stderr, "\r[%.*s%*s] %3llu%% frame %llu/%llu", bar, "========================================",
            40 - bar, "", (unsigned long long)pct, (unsigned long long)done, (unsigned long long)total);
    if (done == total)
        fprintf(stderr, "\r%*s\r", 70, "");
    fflush(stderr);
}

static double peak_rss_mb(void) {
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru))
        return 0;
    return (double)ru.ru_maxrss / 1024.0;
}

static const char *mark(int ok) { return ok ? "\xe2\x9c\x93" : "\xe2\x9c\x97"; }

static uint64_t scene_frames(ph_host *h) {
    pusd_layer *l = pusd_stage_root_layer(ph_host_stage(h));
    pusd_value a, b;
    if (!pusd_layer_get_metadata(l, "startTimeCode", &a) && !pusd_layer_get_metadata(l, "endTimeCode", &b)) {
        double s = pusd_value_get_double(&a, 0, 0), e = pusd_value_get_double(&b, 0, 0);
        if (e >= s && e - s < 1e7)
            return (uint64_t)(e - s) + 1;
    }
    return 120;
}

int cmd_scene_run(int argc, char **argv) {
    const char *scene = NULL, *out = NULL, *report = NULL;
    ph_config cfg = ph_config_default();
    long long frames = -1;
    int quiet = 0;
    trigger trig[64];
    size_t ntrig = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            scene_usage(stdout);
            return 0;
        }
        if (!strcmp(a, "--realtime")) {
            cfg.realtime = true;
            continue;
        }
        if (!strcmp(a, "--quiet")) {
            quiet = 1;
            continue;
        }
        if (a[0] != '-' || !a[1]) {
            if (scene) {
                fprintf(stderr, "portalis run: unexpected argument '%s' (one scene per run; see portalis run SCENE.usda --help)\n", a);
                return 2;
            }
            scene = a;
            continue;
        }
        static const char *const valued[] = {"--frames", "--fps", "-o", "--output", "--threads", "--report",
                                             "--budget-ms", "--fuel", "--trigger", "--event"};
        bool known = false;
        for (size_t k = 0; k < sizeof valued / sizeof valued[0]; k++)
            known = known || !strcmp(a, valued[k]);
        if (!known) {
            fprintf(stderr, "portalis run: unknown option '%s' (see portalis run SCENE.usda --help)\n", a);
            return 2;
        }
        const char *v = i + 1 < argc ? argv[++i] : NULL;
        if (!v) {
            fprintf(stderr, "portalis run: %s needs a value (see portalis run SCENE.usda --help)\n", a);
            return 2;
        }
        char *end = NULL;
        bool bad = false;
        if (!strcmp(a, "--frames")) {
            frames = strtoll(v, &end, 10);
            bad = frames < 0;
        } else if (!strcmp(a, "--fps")) {
            cfg.fps = strtod(v, &end);
            bad = !(cfg.fps > 0 && cfg.fps < 1e6);
        } else if (!strcmp(a, "-o") || !strcmp(a, "--output")) {
            out = v;
        } else if (!strcmp(a, "--threads")) {
            long t = strtol(v, &end, 10);
            bad = t < 1 || t > 1024;
            cfg.threads = (unsigned)t;
        } else if (!strcmp(a, "--report")) {
            report = v;
        } else if (!strcmp(a, "--budget-ms")) {
            double ms = strtod(v, &end);
            bad = !(ms >= 0 && ms < 1e9);
            cfg.call_budget_ns = (uint64_t)(ms * 1e6);
        } else if (!strcmp(a, "--fuel")) {
            cfg.call_fuel = strtoull(v, &end, 10);
            bad = v[0] == '-';
        } else { /* --trigger / --event NAME@FRAME */
            const char *at = strrchr(v, '@');
            bad = !at || at == v || !at[1];
            if (!bad)
                strtoull(at + 1, &end, 10);
            if (!bad && ntrig < 64)
                trig[ntrig++] = (trigger){v, strtoull(at + 1, NULL, 10), !strcmp(a, "--event")};
        }
        if (bad || (end && (end == v || *end))) {
            fprintf(stderr, "portalis run: bad value for %s: '%s'%s\n", a, v,
                    !strcmp(a, "--trigger") || !strcmp(a, "--event") ? " (expected NAME@FRAME, e.g. /World/X@10)" : "");
            return 2;
        }
    }
    if (!scene) {
        fprintf(stderr, "portalis run: no scene given\n");
        scene_usage(stderr);
        return 2;
    }
    char outbuf[4096];
    if (!out) {
        size_t n = strlen(scene);
        snprintf(outbuf, sizeof outbuf, "%.*s.out.usda", (int)(n > 5 ? n - 5 : n), scene);
        out = outbuf;
    }
    char err[1024];
    ph_host *h;
    if (ph_host_open(scene, &cfg, &h, err, sizeof err)) {
        fprintf(stderr, "portalis run: %s\n", err);
        return 1;
    }
    if (frames < 0)
        frames = (long long)scene_frames(h);
    size_t shown = 0;
    for (; shown < ph_host_diagnostic_count(h); shown++)
        fprintf(stderr, "portalis run: %s\n", ph_host_diagnostic(h, shown));
    {
        ph_report r0;
        ph_host_report(h, &r0);
        if (!r0.modules) {
            fprintf(stderr,
                    "portalis run: %s: the scene declares no WebAssembly module prims (WasmModule, WasmPhysics, "
                    "WasmSensor, ...); nothing to run\n",
                    scene);
            ph_host_free(h);
            return 1;
        }
        if (!r0.loaded_modules && r0.failed_modules) {
            /* every module failed to load: the diagnostics above say why; running would only write an empty layer */
            ph_host_free(h);
            return 3;
        }
    }
    progress_state ps = {isatty(2) && !quiet, 101};
    /* triggers and events need frame-exact delivery: step frame by frame */
    for (long long f = 0; f < frames; f++) {
        for (size_t k = 0; k < ntrig; k++)
            if (trig[k].frame == (uint64_t)f) {
                char name[512];
                const char *at = strrchr(trig[k].prim, '@');
                size_t len = at ? (size_t)(at - trig[k].prim) : strlen(trig[k].prim);
                snprintf(name, sizeof name, "%.*s", (int)len, trig[k].prim);
                if (trig[k].is_event)
                    ph_host_post_event(h, name);
                else if (ph_host_trigger(h, name))
                    fprintf(stderr, "portalis run: --trigger: no module prim %s\n", name);
            }
        ph_host_run(h, 1, NULL, NULL);
        progress((uint64_t)f + 1, (uint64_t)frames, &ps);
        for (; shown < ph_host_diagnostic_count(h); shown++)
            fprintf(stderr, "%sportalis run: %s\n", ps.tty ? "\r" : "", ph_host_diagnostic(h, shown));
    }
    int rc = 0;
    if (ps.tty) {
        fprintf(stderr, "writing %s ...", out);
        fflush(stderr);
    }
    int save_rc = ph_host_save(h, out, err, sizeof err);
    if (ps.tty)
        fprintf(stderr, "\r%*s\r", (int)strlen(out) + 12, "");
    if (save_rc) {
        fprintf(stderr, "portalis run: %s\n", err);
        rc = 1;
    }
    ph_report r;
    ph_host_report(h, &r);
    double rss = peak_rss_mb();
    double p99 = pb_histogram_quantile(r.frame_latency, 0.99);
    double load_ms = (double)r.load_ns / 1e6;
    /* the latency target depends on the scene size: 1 ms for >= 100 driven values */
    size_t nproj = 0;
    for (size_t i = 0; i < ph_host_module_count(h); i++) {
        ph_module_info mi;
        ph_host_module_info(h, i, &mi);
        double tmp[1];
        long w = ph_host_get_value(h, mi.prim_path, "outputs:positions", tmp, 0);
        nproj += w > 0 ? (size_t)w / 3 : 1;
    }
    double p99_target = nproj >= 100 ? TARGET_P99_1000_NS : TARGET_P99_1_NS;
    double fps_eq = r.wall_s > 0 ? (double)r.frames / r.wall_s : 0;
    if (!quiet) {
        printf("portalis run %s: %llu frames at %g Hz (%.2f s simulated%s), %zu module%s (%zu failed)\n", scene,
               (unsigned long long)r.frames, cfg.fps, (double)r.frames / cfg.fps,
               cfg.realtime ? ", paced in real time" : "", r.modules, r.modules == 1 ? "" : "s", r.failed_modules);
        printf("  %-28s %12s %12s %12s %12s\n", "frame latency (us)", "mean", "p50", "p99", "max");
        printf("  %-28s %12.2f %12.2f %12.2f %12.2f   p99 target <= %.0f us %s\n", "frame",
               pb_histogram_mean(r.frame_latency) / 1e3, pb_histogram_quantile(r.frame_latency, 0.5) / 1e3,
               p99 / 1e3, (double)r.frame_latency->max / 1e3, p99_target / 1e3, mark(p99 <= p99_target));
        for (size_t i = 0; i < ph_host_module_count(h); i++) {
            ph_module_info mi;
            ph_host_module_info(h, i, &mi);
            printf("  %-28.28s %12.2f %12.2f %12.2f %12.2f   %s, %s, %llu steps%s\n", mi.prim_path,
                   pb_histogram_mean(mi.latency) / 1e3, pb_histogram_quantile(mi.latency, 0.5) / 1e3,
                   pb_histogram_quantile(mi.latency, 0.99) / 1e3, (double)mi.latency->max / 1e3,
                   ph_mod_state_name(mi.state), mi.binding, (unsigned long long)mi.steps,
                   mi.last_error ? " (see diagnostics)" : "");
        }
        printf("  frame rate (fps equivalent)  %12.0f   (%.0f Hz needed) %s\n", fps_eq, cfg.fps,
               mark(fps_eq >= cfg.fps));
        printf("  peak resident memory         %9.1f MB   target <= %.0f MB %s\n", rss, TARGET_RSS_MB,
               mark(rss <= TARGET_RSS_MB));
        printf("  load time (scene + modules)  %9.2f ms   target <= %.0f ms %s (scene %.2f ms)\n", load_ms,
               TARGET_LOAD_MS, mark(load_ms <= TARGET_LOAD_MS), (double)r.scene_ns / 1e6);
        if (!rc)
            printf("wrote %s: %zu animated attribute%s x %llu time samples, over the scene (a sublayer; the input "
                   "is unchanged)\n",
                   out, r.recorded_attributes, r.recorded_attributes == 1 ? "" : "s", (unsigned long long)r.frames);
        if (r.failed_modules)
            printf("%zu module%s failed: see the 'prim ...' messages above (exit status 3)\n", r.failed_modules,
                   r.failed_modules == 1 ? "" : "s");
    }
    if (report) {
        FILE *f = fopen(report, "w");
        if (!f) {
            fprintf(stderr, "portalis run: cannot write %s\n", report);
            rc = 1;
        } else {
            fprintf(f, "{\n  \"scene\": \"%s\", \"output\": \"%s\", \"frames\": %llu, \"fps\": %g,\n", scene, out,
                    (unsigned long long)r.frames, cfg.fps);
            fprintf(f,
                    "  \"frame_latency_ns\": {\"mean\": %.1f, \"p50\": %.1f, \"p99\": %.1f, \"max\": %llu, "
                    "\"target_p99\": %.0f, \"ok\": %s},\n",
                    pb_histogram_mean(r.frame_latency), pb_histogram_quantile(r.frame_latency, 0.5), p99,
                    (unsigned long long)r.frame_latency->max, p99_target, p99 <= p99_target ? "true" : "false");
            fprintf(f, "  \"fps_equivalent\": %.1f,\n  \"peak_rss_mb\": %.2f, \"rss_ok\": %s,\n", fps_eq, rss,
                    rss <= TARGET_RSS_MB ? "true" : "false");
            fprintf(f, "  \"load_ms\": %.3f, \"scene_ms\": %.3f, \"load_ok\": %s,\n  \"modules\": [", load_ms,
                    (double)r.scene_ns / 1e6, load_ms <= TARGET_LOAD_MS ? "true" : "false");
            for (size_t i = 0; i < ph_host_module_count(h); i++) {
                ph_module_info mi;
                ph_host_module_info(h, i, &mi);
                fprintf(f,
                        "%s\n    {\"prim\": \"%s\", \"wasm\": \"%s\", \"state\": \"%s\", \"binding\": \"%s\", "
                        "\"mode\": \"%s\", \"runs\": %llu, \"steps\": %llu, \"overruns\": %llu, \"traps\": %llu, "
                        "\"load_ms\": %.3f, \"memory_bytes\": %llu, \"latency_ns\": {\"mean\": %.1f, \"p50\": "
                        "%.1f, \"p99\": %.1f, \"max\": %llu}}",
                        i ? "," : "", mi.prim_path, mi.wasm_path, ph_mod_state_name(mi.state), mi.binding, mi.mode,
                        (unsigned long long)mi.runs, (unsigned long long)mi.steps,
                        (unsigned long long)mi.overruns, (unsigned long long)mi.traps, (double)mi.load_ns / 1e6,
                        (unsigned long long)mi.memory_bytes, pb_histogram_mean(mi.latency),
                        pb_histogram_quantile(mi.latency, 0.5), pb_histogram_quantile(mi.latency, 0.99),
                        (unsigned long long)mi.latency->max);
            }
            fprintf(f, "\n  ],\n  \"diagnostics\": %zu\n}\n", ph_host_diagnostic_count(h));
            fclose(f);
        }
    }
    if (!rc && r.failed_modules)
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
    char dotbuf[4096];
    if (!dot) {
        size_t n = strlen(scene);
        snprintf(dotbuf, sizeof dotbuf, "%.*s.dot", (int)(n > 5 ? n - 5 : n), scene);
        dot = dotbuf;
    }
    ph_config cfg = ph_config_default();
    cfg.record = false;
    char err[1024];
    ph_host *h;
    if (ph_host_open(scene, &cfg, &h, err, sizeof err)) {
        fprintf(stderr, "portalis graph: %s\n", err);
        return 1;
    }
    for (size_t i = 0; i < ph_host_diagnostic_count(h); i++)
        fprintf(stderr, "portalis graph: %s\n", ph_host_diagnostic(h, i));
    int rc = ef_dump_text(ph_host_graph(h), stdout) ? 1 : 0;
    static const char *stages[] = {"pre_simulation", "simulation", "post_simulation"};
    printf("\nMODULES\n");
    for (size_t i = 0; i < ph_host_module_count(h); i++) {
        ph_module_info mi;
        ph_host_module_info(h, i, &mi);
        printf("  %s | %s %s stage=%s order=%d mode=%s entry=%s state=%s\n", mi.prim_path, mi.schema, mi.binding,
               stages[mi.stage], mi.order_key, mi.mode, mi.entry, ph_mod_state_name(mi.state));
    }
    FILE *f = fopen(dot, "w");
    if (!f || ef_dump_dot(ph_host_graph(h), f) || fclose(f)) {
        fprintf(stderr, "portalis graph: cannot write %s\n", dot);
        rc = 1;
    } else {
        fprintf(stderr, "wrote %s\n", dot);
    }
    ph_host_free(h);
    return rc;
}
