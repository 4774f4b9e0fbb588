/* `portalis bench`: benchmarks (benchmarks/README.md).
 *
 *   portalis bench SCENE.usda... [--tier T[,T...]] [--frames N] [--json FILE|-] [--quiet]
 *   portalis bench [--suite] [suite options]
 *
 * With scenes, the measurements are taken here, without Python: each scene
 * on each tier, every frame timed, with the host's load time, module
 * latency and memory, and the specification's targets. Without scenes the
 * benchmark suite (benchmarks/performance_suite.py: every demo of
 * benchmarks/demos.json with its Python and native C peers, JSON, plots,
 * the target report) runs under python3, found when the command runs; the
 * suite measures through `portalis bench SCENE --json -` itself when the
 * portalis Python package is not installed. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <portalis/base.h>
#include <portalis/host.h>

#include "cli.h"

#ifndef PORTALIS_SOURCE_DIR
#define PORTALIS_SOURCE_DIR ""
#endif

#define MAX_SCENES 64
#define MAX_TIERS 3
#define MAX_BENCH_FRAMES 10000000u

/* The specification's targets ("Performance Benchmarks"; the suite's TARGETS). */
static const double TARGET_FPS = 30, TARGET_LATENCY_MS = 10, TARGET_MEMORY_MB = 100, TARGET_LOAD_S = 5;

typedef struct {
    const char *scenes[MAX_SCENES];
    size_t nscenes;
    pb_tier tiers[MAX_TIERS];
    size_t ntiers;
    uint64_t frames;
    const char *json; /* NULL, "-" (stdout) or a file */
    bool quiet;
    int status; /* the worst run's exit status */
} bench_opts;

typedef struct {
    double mean, median, p99, max, min, stdev;
} frame_stats;

static void bench_usage(FILE *f) {
    fprintf(f, "usage: portalis bench SCENE.usda... [--tier T[,T...]] [--frames N] [--json FILE|-] [--quiet]\n"
               "       portalis bench [--suite] [suite options]\n\n"
               "With scenes: runs each scene on each tier (default interp; interp, native or auto) for N\n"
               "frames (default 60), timing every frame, and prints the frame time (mean, median, p99,\n"
               "max), the FPS equivalent, each module's latency, the modules' memory, the load time and\n"
               "the specification's targets (FPS > 30, latency < 10 ms, memory < 100 MB, load < 5 s).\n"
               "No Python is needed. --json writes the measurements as a JSON array, one object a scene\n"
               "and tier (the tier objects of benchmarks/results.schema.json), to FILE or stdout (-);\n"
               "--quiet leaves out the text report.\n\n"
               "Without scenes: runs the benchmark suite, benchmarks/performance_suite.py (every demo\n"
               "of benchmarks/demos.json on each tier, with the demo's Python and native C peers;\n"
               "results.json, plots and the target report), under $PORTALIS_PYTHON, python3 on PATH or\n"
               "/usr/bin/python3, with --build set to this build. The options are the suite's\n"
               "(--demos, --tiers, --frames, --small, --out, --compare; 'portalis bench --suite --help').\n"
               "When the portalis Python package is not installed the suite measures through this\n"
               "command.\n\n"
               "exit status: 0 measured (targets missed or not), 1 a scene cannot be opened or the suite\n"
               "or python3 is not found, 2 usage, 3 some module failed; the suite's own otherwise.\n");
}

/* ---- the suite ------------------------------------------------------------ */

static bool executable(const char *path) { return path[0] && access(path, X_OK) == 0; }

static bool find_python(char *out, size_t cap) {
    const char *env = getenv("PORTALIS_PYTHON");
    if (env && env[0]) {
        snprintf(out, cap, "%s", env);
        return executable(out);
    }
    const char *path = getenv("PATH");
    while (path && *path) {
        size_t n = strcspn(path, ":");
        if (n > 0 && (size_t)snprintf(out, cap, "%.*s/python3", (int)n, path) < cap && executable(out))
            return true;
        path += n + (path[n] == ':');
    }
    snprintf(out, cap, "/usr/bin/python3");
    return executable(out);
}

static bool is_file(const char *p) { return access(p, R_OK) == 0; }

/* exe's folder without its last part: the build tree of build/bin/portalis,
 * the prefix of PREFIX/bin/portalis. */
static void exe_root(const char *exe, char *out, size_t cap) {
    snprintf(out, cap, "%s", exe);
    for (int up = 0; up < 2; up++) {
        char *slash = strrchr(out, '/');
        if (slash)
            *slash = 0;
    }
}

static int run_suite(int argc, char **argv) {
    char exe[PATH_MAX], root[PATH_MAX], suite[PATH_MAX + 64], python[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = 0;
    exe_root(exe, root, sizeof root);
    snprintf(suite, sizeof suite, "%s/share/portalis/benchmarks/performance_suite.py", root);
    if (!is_file(suite))
        snprintf(suite, sizeof suite, "%s/benchmarks/performance_suite.py", PORTALIS_SOURCE_DIR);
    if (!PORTALIS_SOURCE_DIR[0] || !is_file(suite)) {
        fprintf(stderr, "portalis bench: the benchmark suite (benchmarks/performance_suite.py) is not found; "
                        "give scene files to measure them without it: portalis bench SCENE.usda\n");
        return CLI_EXIT_LOAD;
    }
    if (!find_python(python, sizeof python)) {
        fprintf(stderr, "portalis bench: the benchmark suite needs python3 (not found as $PORTALIS_PYTHON, on "
                        "PATH or /usr/bin/python3; Debian: python3); give scene files to measure them without "
                        "it: portalis bench SCENE.usda\n");
        return CLI_EXIT_LOAD;
    }
    char **av = calloc((size_t)argc + 8, sizeof *av);
    if (!av)
        return CLI_EXIT_LOAD;
    size_t k = 0;
    av[k++] = python, av[k++] = suite, av[k++] = "--build", av[k++] = root, av[k++] = "--portalis", av[k++] = exe;
    for (int i = 1; i < argc; i++) /* the user's options come last: they win */
        if (strcmp(argv[i], "--suite"))
            av[k++] = argv[i];
    fflush(NULL);
    execv(python, av);
    fprintf(stderr, "portalis bench: cannot run %s: %s\n", python, strerror(errno));
    free(av);
    return CLI_EXIT_LOAD;
}

/* ---- one scene on one tier --------------------------------------------------- */

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The suite's summary(): p99 is the ceil(0.99 n)-th smallest. */
static frame_stats summarise(const double *ms, size_t n) {
    double *s = malloc(n * sizeof *s);
    frame_stats f = {0};
    if (!s)
        return f;
    memcpy(s, ms, n * sizeof *s);
    qsort(s, n, sizeof *s, cmp_double);
    double sum = 0, sq = 0;
    for (size_t i = 0; i < n; i++)
        sum += s[i];
    f.mean = sum / (double)n;
    for (size_t i = 0; i < n; i++)
        sq += (s[i] - f.mean) * (s[i] - f.mean);
    size_t p99 = (size_t)ceil(0.99 * (double)n);
    f.median = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    f.p99 = s[(p99 > 0 ? p99 - 1 : 0) < n - 1 ? (p99 > 0 ? p99 - 1 : 0) : n - 1];
    f.max = s[n - 1];
    f.min = s[0];
    f.stdev = n > 1 ? sqrt(sq / (double)(n - 1)) : 0;
    free(s);
    return f;
}

static double hist_ms(const pb_histogram *h, double q) { return h ? pb_histogram_quantile(h, q) / 1e6 : 0; }

static void json_stats(pbase_json *j, const frame_stats *f, size_t n) {
    pbase_json_begin_object(j);
    const char *keys[] = {"mean_ms", "median_ms", "p99_ms", "max_ms", "min_ms", "stdev_ms"};
    double v[] = {f->mean, f->median, f->p99, f->max, f->min, f->stdev};
    for (size_t i = 0; i < 6; i++) {
        pbase_json_key(j, keys[i]);
        pbase_json_double(j, v[i]);
    }
    pbase_json_key(j, "fps_equivalent");
    pbase_json_double(j, f->mean > 0 ? 1000.0 / f->mean : 0);
    pbase_json_key(j, "samples");
    pbase_json_uint(j, n);
    pbase_json_end_object(j);
}

static void json_module(pbase_json *j, const ph_module_info *m) {
    pbase_json_begin_object(j);
    const char *keys[] = {"prim_path", "schema", "state", "tier", "last_error"};
    const char *v[] = {m->prim_path, m->schema, ph_mod_state_name(m->state), m->tier ? m->tier : "",
                       m->last_error};
    for (size_t i = 0; i < 5; i++) {
        pbase_json_key(j, keys[i]);
        pbase_json_str(j, v[i]);
    }
    pbase_json_key(j, "steps");
    pbase_json_uint(j, m->steps);
    pbase_json_key(j, "memory_mb");
    pbase_json_double(j, (double)m->memory_bytes / (1 << 20));
    pbase_json_key(j, "latency_ms");
    pbase_json_begin_object(j);
    const char *lk[] = {"mean_ms", "median_ms", "p99_ms", "max_ms"};
    double lv[] = {m->latency ? pb_histogram_mean(m->latency) / 1e6 : 0, hist_ms(m->latency, 0.5),
                   hist_ms(m->latency, 0.99), hist_ms(m->latency, 1.0)};
    for (size_t i = 0; i < 4; i++) {
        pbase_json_key(j, lk[i]);
        pbase_json_double(j, lv[i]);
    }
    pbase_json_end_object(j);
    pbase_json_end_object(j);
}

typedef struct {
    const char *scene;
    const char *tier;
    double *ms;
    size_t frames;
    frame_stats st;
    double load_ms, memory_mb;
    size_t failed;
} bench_run;

static void json_run(pbase_json *j, const bench_run *r, ph_host *h) {
    pbase_json_begin_object(j);
    pbase_json_key(j, "scene");
    pbase_json_str(j, r->scene);
    pbase_json_key(j, "tier");
    pbase_json_str(j, r->tier);
    pbase_json_key(j, "load_ms");
    pbase_json_double(j, r->load_ms);
    pbase_json_key(j, "frame_time");
    json_stats(j, &r->st, r->frames);
    pbase_json_key(j, "frame_times_ms");
    pbase_json_begin_array(j);
    for (size_t i = 0; i < r->frames; i++)
        pbase_json_double(j, r->ms[i]);
    pbase_json_end_array(j);
    pbase_json_key(j, "module_memory_mb");
    pbase_json_double(j, r->memory_mb);
    pbase_json_key(j, "modules");
    pbase_json_begin_array(j);
    for (size_t i = 0; i < ph_host_module_count(h); i++) {
        ph_module_info m;
        if (ph_host_module_info(h, i, &m) == 0)
            json_module(j, &m);
    }
    pbase_json_end_array(j);
    pbase_json_key(j, "failed_modules");
    pbase_json_uint(j, r->failed);
    pbase_json_end_object(j);
}

static void target_line(double value, bool above, double target, const char *name, const char *unit, bool *all) {
    bool met = above ? value > target : value < target;
    *all = *all && met;
    bool fps = !strcmp(unit, "FPS");
    printf("  %s %s: %.*f %s (%s%g%s target)\n", met ? "\u2713" : "\u2717", name, fps ? (value < 10 ? 2 : 0) : 3,
           value, unit, above ? ">" : "<", target, fps ? "" : unit);
}

static void text_run(const bench_run *r, ph_host *h) {
    printf("Benchmark: %s [%s]\n==================================================\n", r->scene, r->tier);
    double fps = r->st.mean > 0 ? 1000.0 / r->st.mean : 0;
    printf("TIMING (%zu frames):\n  Average:      %.3f ms\n  Median:       %.3f ms\n  P99:          %.3f ms\n"
           "  Max:          %.3f ms\n  FPS equiv:    %.*f FPS\n\nMODULE LATENCY:\n",
           r->frames, r->st.mean, r->st.median, r->st.p99, r->st.max, fps < 10 ? 2 : 0, fps);
    for (size_t i = 0; i < ph_host_module_count(h); i++) {
        ph_module_info m;
        if (ph_host_module_info(h, i, &m) == 0)
            printf("  %s: p50 %.3f ms, p99 %.3f ms (%s, %s)%s%s\n", m.prim_path, hist_ms(m.latency, 0.5),
                   hist_ms(m.latency, 0.99), ph_mod_state_name(m.state), m.tier && m.tier[0] ? m.tier : "-",
                   m.last_error ? ": " : "", m.last_error ? m.last_error : "");
    }
    printf("\nMEMORY:\n  Modules:      %.1f MB\n\nLOAD:\n  Load time:    %.1f ms\n\nTARGETS:\n", r->memory_mb,
           r->load_ms);
    bool all = r->failed == 0;
    target_line(fps, true, TARGET_FPS, "FPS Target", "FPS", &all);
    target_line(r->st.mean, false, TARGET_LATENCY_MS, "Latency", "ms", &all);
    target_line(r->memory_mb, false, TARGET_MEMORY_MB, "Memory", "MB", &all);
    target_line(r->load_ms / 1000, false, TARGET_LOAD_S, "Load", "s", &all);
    if (r->failed)
        printf("  \u2717 Modules run: %zu failed\n", r->failed);
    printf("  %s\n\n", all ? "\u2713 ALL TARGETS MET" : "\u2717 SOME TARGETS MISSED");
}

/* Opens scene on tier, runs o->frames frames timing each, reports. Returns
 * the exit status of this run. */
static const char *tier_word(pb_tier t) {
    return t == PB_TIER_NATIVE ? "native" : t == PB_TIER_AUTO ? "auto" : "interp";
}

static int bench_one(const bench_opts *o, const char *scene, pb_tier tier, pbase_json *j) {
    ph_config c = ph_config_default();
    c.tier = tier;
    c.record = false; /* measure the modules, not the output layer */
    ph_host *h;
    char err[1024] = "";
    if (ph_host_open(scene, &c, &h, err, sizeof err)) {
        fprintf(stderr, "portalis bench: %s\n", err[0] ? err : scene);
        return CLI_EXIT_LOAD;
    }
    bench_run r = {.scene = scene, .tier = tier_word(tier), .frames = (size_t)o->frames};
    r.ms = malloc(r.frames * sizeof *r.ms);
    if (!r.ms) {
        ph_host_free(h);
        fprintf(stderr, "portalis bench: out of memory\n");
        return CLI_EXIT_LOAD;
    }
    for (size_t i = 0; i < r.frames; i++) {
        uint64_t t0 = pbase_now_ns();
        ph_host_step(h);
        r.ms[i] = (double)(pbase_now_ns() - t0) / 1e6;
    }
    r.st = summarise(r.ms, r.frames);
    ph_report rep;
    ph_host_report(h, &rep);
    r.load_ms = (double)rep.load_ns / 1e6;
    r.failed = rep.failed_modules;
    for (size_t i = 0; i < ph_host_module_count(h); i++) {
        ph_module_info m;
        if (ph_host_module_info(h, i, &m) == 0)
            r.memory_mb += (double)m.memory_bytes / (1 << 20);
    }
    if (!o->quiet)
        text_run(&r, h);
    if (j)
        json_run(j, &r, h);
    ph_host_free(h);
    free(r.ms);
    return r.failed ? CLI_EXIT_MODULE : CLI_EXIT_OK;
}

/* ---- the command ------------------------------------------------------------------ */

static bool parse_tiers(const char *v, bench_opts *o) {
    char buf[64];
    snprintf(buf, sizeof buf, "%s", v);
    o->ntiers = 0;
    for (char *save, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (o->ntiers == MAX_TIERS || !pb_tier_parse(t, &o->tiers[o->ntiers]))
            return false;
        o->ntiers++;
    }
    return o->ntiers > 0;
}

/* 0 parsed, else the exit status. */
static int parse_bench(int argc, char **argv, bench_opts *o) {
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        bool takes =
            !strcmp(a, "--tier") || !strcmp(a, "--tiers") || !strcmp(a, "--frames") || !strcmp(a, "--json");
        if (takes && !v) {
            fprintf(stderr, "portalis bench: %s needs a value\n", a);
            return CLI_EXIT_USAGE;
        }
        if (!strcmp(a, "--tier") || !strcmp(a, "--tiers")) {
            if (!parse_tiers(v, o)) {
                fprintf(stderr,
                        "portalis bench: bad value for %s: '%s' (expected interp, native or auto, "
                        "comma-separated)\n",
                        a, v);
                return CLI_EXIT_USAGE;
            }
        } else if (!strcmp(a, "--frames")) {
            if (!cli_parse_u64(v, 1, MAX_BENCH_FRAMES, &o->frames)) {
                fprintf(stderr, "portalis bench: bad value for --frames: '%s' (expected 1 to %u)\n", v,
                        MAX_BENCH_FRAMES);
                return CLI_EXIT_USAGE;
            }
        } else if (!strcmp(a, "--json")) {
            o->json = v;
        } else if (!strcmp(a, "--quiet")) {
            o->quiet = true;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr,
                    "portalis bench: unknown option '%s' with scenes (the suite's options go without "
                    "scenes)\n",
                    a);
            return CLI_EXIT_USAGE;
        } else if (o->nscenes == MAX_SCENES) {
            fprintf(stderr, "portalis bench: at most %d scenes\n", MAX_SCENES);
            return CLI_EXIT_USAGE;
        } else {
            o->scenes[o->nscenes++] = a;
        }
        i += takes;
    }
    return 0;
}

/* Scenes given: any argument that is neither an option nor an option's value. */
static bool has_scene(int argc, char **argv) {
    static const char *const valued[] = {"--tier",  "--tiers",    "--frames",     "--json",
                                         "--out",   "--demos",    "--demos-file", "--compare",
                                         "--build", "--portalis", "--backend"};
    for (int i = 1; i < argc; i++) {
        if (argv[i][0] != '-')
            return true;
        for (size_t k = 0; k < sizeof valued / sizeof valued[0]; k++)
            if (!strcmp(argv[i], valued[k])) {
                i++;
                break;
            }
    }
    return false;
}

static int write_json_to(FILE *out, void *ctx);

int cmd_bench(int argc, char **argv) {
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--suite"))
            return run_suite(argc, argv);
    if (argc > 1 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
        bench_usage(stdout);
        return CLI_EXIT_OK;
    }
    if (!has_scene(argc, argv))
        return run_suite(argc, argv);
    bench_opts o = {.tiers = {PB_TIER_INTERP}, .ntiers = 1, .frames = 60};
    int rc = parse_bench(argc, argv, &o);
    if (rc)
        return rc;
    if (o.json && !strcmp(o.json, "-"))
        return write_json_to(stdout, &o) ? CLI_EXIT_LOAD : o.status;
    if (o.json)
        return cli_write_file("bench", o.json, write_json_to, &o) ? CLI_EXIT_LOAD : o.status;
    for (size_t s = 0; s < o.nscenes; s++)
        for (size_t t = 0; t < o.ntiers; t++) {
            int r = bench_one(&o, o.scenes[s], o.tiers[t], NULL);
            o.status = r > o.status ? r : o.status;
        }
    return o.status;
}

/* With --json the runs happen inside the file's writer (ctx: the options);
 * the text report, unless --quiet, goes to stdout, or nowhere when the JSON
 * does. Non-zero: some scene did not open. */
static int write_json_to(FILE *out, void *ctx) {
    bench_opts *o = ctx;
    if (out == stdout)
        o->quiet = true;
    pbase_json j;
    pbase_json_init(&j, out);
    pbase_json_begin_array(&j);
    for (size_t s = 0; s < o->nscenes; s++)
        for (size_t t = 0; t < o->ntiers; t++) {
            int r = bench_one(o, o->scenes[s], o->tiers[t], &j);
            if (r == CLI_EXIT_LOAD)
                return 1;
            o->status = r > o->status ? r : o->status;
        }
    pbase_json_end_array(&j);
    fputc('\n', out);
    return 0;
}
