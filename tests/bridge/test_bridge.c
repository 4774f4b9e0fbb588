/* Bridge tests: load errors, argument checking messages, cache, handles,
 * statistics, unload, and the C and Rust projectile modules against the
 * Python reference to 1e-12 relative. Prints "N passed, M failed". */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <portalis/bridge.h>

#include "../check.h"

static pw_val f64(double d) { return (pw_val){.kind = PW_F64, .of.f64 = d}; }

/* (module (func (export "div") (param i32 i32) (result i32) local.get 0 local.get 1 i32.div_s)) */
static const uint8_t DIV[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x07, 0x01, 0x60, 0x02, 0x7f,
                              0x7f, 0x01, 0x7f, 0x03, 0x02, 0x01, 0x00, 0x07, 0x07, 0x01, 0x03, 0x64, 0x69, 0x76,
                              0x00, 0x00, 0x0a, 0x09, 0x01, 0x07, 0x00, 0x20, 0x00, 0x20, 0x01, 0x6d, 0x0b};

static void test_errors(void) {
    pb_bridge *b = pb_bridge_new(NULL);
    pb_error e = {0};
    pb_module_id id = 0;
    CHECK(pb_load_module_file(b, "/nonexistent/x.wasm", NULL, &id, &e) == PB_ERR_IO &&
              strstr(e.message, "/nonexistent/x.wasm"),
          "missing file: %s", e.message);
    uint8_t junk[] = {0, 'a', 's', 'x', 1, 0, 0, 0};
    CHECK(pb_load_module_bytes(b, junk, sizeof junk, NULL, &id, &e) == PB_ERR_MODULE, "malformed: %s", e.message);
    pb_load_options o = {.name = "div", .run_initialize = true};
    CHECK(pb_load_module_bytes(b, DIV, sizeof DIV, &o, &id, &e) == 0 && id, "load div: %s", e.message);
    pw_val a[2] = {{.kind = PW_I32, .of.i32 = 7}, {.kind = PW_I32, .of.i32 = 2}}, r[1];
    CHECK(pb_call(b, id, "div", a, 2, r, 1, &e) == 0 && r[0].of.i32 == 3, "7/2 = 3");
    CHECK(pb_call(b, id, "mul", a, 2, r, 1, &e) == PB_ERR_NO_EXPORT &&
              !strcmp(e.message, "module 'div' has no export 'mul' (exported functions: div)"),
          "no export lists the exports that exist: %s", e.message);
    CHECK(pb_call(b, id, "div", a, 1, r, 1, &e) == PB_ERR_ARGS &&
              strstr(e.message, "expected 2 arguments (i32, i32), got 1"),
          "arg count: %s", e.message);
    pw_val bad[2] = {f64(1), a[1]};
    CHECK(pb_call(b, id, "div", bad, 2, r, 1, &e) == PB_ERR_ARGS &&
              strstr(e.message, "argument 1 is f64, expected i32"),
          "arg type: %s", e.message);
    CHECK(pb_call(b, id, "div", a, 2, r, 2, &e) == PB_ERR_ARGS, "result count: %s", e.message);
    pw_val z[2] = {a[0], {.kind = PW_I32, .of.i32 = 0}};
    CHECK(pb_call(b, id, "div", z, 2, r, 1, &e) == PB_ERR_TRAP && e.trap == PW_TRAP_DIV_BY_ZERO &&
              strstr(e.message, "module 'div'"),
          "trap: %s", e.message);
    CHECK(pb_call(b, id, "div", a, 2, r, 1, &e) == 0, "usable after a trap");
    pb_module_id id2;
    CHECK(pb_load_module_bytes(b, DIV, sizeof DIV, &o, &id2, &e) == 0 && id2 != id, "second load");
    uint64_t hits, misses;
    pb_cache_counts(b, &hits, &misses);
    CHECK(hits == 1 && misses == 2, "cache: 1 hit, 2 misses (junk, div) (%llu, %llu)", (unsigned long long)hits,
          (unsigned long long)misses);
    pb_module_stats ms;
    CHECK(pb_get_module_stats(b, id, &ms) == 0 && ms.all.calls == 3 && ms.all.errors == 1, "stats: %llu calls",
          (unsigned long long)ms.all.calls);
    CHECK(pb_get_module_stats(b, id2, &ms) == 0 && ms.cache_hit, "second load is a cache hit");
    CHECK(pb_unload_module(b, id) == 0, "unload");
    CHECK(pb_call(b, id, "div", a, 2, r, 1, &e) == PB_ERR_NO_MODULE, "call after unload: %s", e.message);
    /* imports the host does not provide */
    static const uint8_t IMP[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01,
                                  0x04, 0x01, 0x60, 0x00, 0x00, 0x02, 0x0b, 0x01, 0x03,
                                  'e',  'n',  'v',  0x03, 'f',  'o',  'o',  0x00, 0x00};
    CHECK(pb_load_module_bytes(b, IMP, sizeof IMP, NULL, &id, &e) == PB_ERR_LINK && strstr(e.message, "env.foo"),
          "link error: %s", e.message);
    pb_bridge_free(b);
}

static void test_histogram(void) {
    pb_histogram *h = calloc(1, sizeof *h);
    for (uint64_t i = 1; i <= 10000; i++)
        pb_histogram_record(h, i * 100);
    double p50 = pb_histogram_quantile(h, 0.5), p99 = pb_histogram_quantile(h, 0.99);
    CHECK(fabs(p50 - 500000) / 500000 < 0.011 && fabs(p99 - 990000) / 990000 < 0.011, "quantiles %g %g", p50,
          p99);
    CHECK(h->max == 1000000 && fabs(pb_histogram_mean(h) - 500050) < 1e-6, "max/mean");
    free(h);
}

static void test_projectile(const char *file, const char *lang) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", PROJECTILE_MODULES, file);
    if (access(path, R_OK)) {
        printf("skip %s: %s not built\n", lang, path);
        return;
    }
    pb_bridge *b = pb_bridge_new(NULL);
    pb_error e = {0};
    pb_module_id id;
    CHECK(pb_load_module_file(b, path, NULL, &id, &e) == 0, "load %s: %s", path, e.message);
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "python3 %s/demos/projectile/python/projectile.py --table", PORTALIS_SOURCE_DIR);
    FILE *py = popen(cmd, "r");
    CHECK(py != NULL, "python3");
    if (!py) {
        pb_bridge_free(b);
        return;
    }
    pb_func traj, mh, rg;
    pb_func_lookup(b, id, "calculate_trajectory", &traj, &e);
    pb_func_lookup(b, id, "calculate_max_height", &mh, &e);
    pb_func_lookup(b, id, "calculate_range", &rg, &e);
    pw_memory *mem = pb_module_memory(b, id);
    double row[8], worst = 0;
    int rows = 0;
    while (fscanf(py, "%lf %lf %lf %lf %lf %lf %lf %lf", &row[0], &row[1], &row[2], &row[3], &row[4], &row[5],
                  &row[6], &row[7]) == 8) {
        pw_val a[3] = {f64(row[0]), f64(row[1]), f64(row[2])}, r[1];
        if (pb_func_call(&traj, a, 3, r, 1, &e))
            break;
        double pos[3];
        pw_memory_read(mem, (uint32_t)r[0].of.i32, pos, sizeof pos);
        double scale = row[0] * row[0] / 9.81; /* natural length scale of the flight */
        for (int k = 0; k < 3; k++)
            worst = fmax(worst, fabs(pos[k] - row[3 + k]) / fmax(fabs(row[3 + k]), scale));
        pb_func_call(&mh, a, 2, r, 1, &e);
        worst = fmax(worst, fabs(r[0].of.f64 - row[6]) / fmax(fabs(row[6]), scale));
        pb_func_call(&rg, a, 2, r, 1, &e);
        worst = fmax(worst, fabs(r[0].of.f64 - row[7]) / fmax(fabs(row[7]), scale));
        rows++;
    }
    pclose(py);
    CHECK(rows == 1800, "%s: %d reference rows", lang, rows);
    CHECK(worst <= 1e-12, "%s vs Python: worst relative difference %.3g (<= 1e-12)", lang, worst);
    printf("%s: %d points x 5 values, worst relative difference %.3g\n", lang, rows, worst);
    /* call overhead, by name and by handle (reported; targets in docs/host.md) */
    pb_config nc = pb_config_default();
    nc.collect_stats = false;
    pb_bridge *fb = pb_bridge_new(&nc);
    pb_module_id fid;
    pb_load_module_file(fb, path, NULL, &fid, &e);
    pb_func h;
    pb_func_lookup(fb, fid, "calculate_trajectory", &h, &e);
    /* Timing is only asserted in optimised builds without sanitizers or
     * valgrind-style instrumentation (PORTALIS_NO_TIMING=1 turns it off). */
#if defined(__OPTIMIZE__) && !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
    const bool timed = !getenv("PORTALIS_NO_TIMING");
    const int N = timed ? 1000000 : 20000;
#else
    const bool timed = false;
    const int N = 20000;
#endif
    pw_val a[3] = {f64(20), f64(45), f64(1)}, r[1];
    uint64_t t0 = pb_now_ns();
    for (int i = 0; i < N; i++)
        pb_call(fb, fid, "calculate_trajectory", a, 3, r, 1, &e);
    uint64_t t1 = pb_now_ns();
    for (int i = 0; i < N; i++) {
        uint64_t s[3];
        double v = 20, an = 45, t = 1;
        memcpy(&s[0], &v, 8);
        memcpy(&s[1], &an, 8);
        memcpy(&s[2], &t, 8);
        pb_func_call_slots(&h, s, &e);
    }
    uint64_t t2 = pb_now_ns();
    printf("%s: calculate_trajectory by name %.1f ns/call, by handle %.1f ns/call (incl. the function itself)\n",
           lang, (double)(t1 - t0) / N, (double)(t2 - t1) / N);
    (void)timed; /* a figure, not a test: speed targets live in bench/projectile */
    pb_bridge_free(fb);
    pb_module_stats ms;
    pb_get_module_stats(b, id, &ms);
    CHECK(ms.all.calls == 3u * 1800 && ms.memory_bytes >= 65536 && ms.all.p99_ns > 0, "stats %llu calls",
          (unsigned long long)ms.all.calls);
    pb_bridge_free(b);
}

/* Module files are read only when regular, and without blocking: a FIFO
 * (no writer) and a device are refused at once instead of hanging or
 * reading without end. */
static void test_non_regular_files(void) {
    pb_bridge *b = pb_bridge_new(NULL);
    pb_error e = {0};
    pb_module_id id = 0;
    char fifo[] = "/tmp/portalis_bridge_fifo_XXXXXX";
    int fd = mkstemp(fifo);
    if (fd >= 0) {
        close(fd);
        unlink(fifo);
    }
    bool made = fd >= 0 && mkfifo(fifo, 0600) == 0;
    CHECK(made, "mkfifo");
    if (made) {
        CHECK(pb_load_module_file(b, fifo, NULL, &id, &e) == PB_ERR_IO && strstr(e.message, "not a regular file"),
              "FIFO refused: %s", e.message);
        unlink(fifo);
    }
    CHECK(pb_load_module_file(b, "/dev/zero", NULL, &id, &e) == PB_ERR_IO &&
              strstr(e.message, "not a regular file"),
          "/dev/zero refused: %s", e.message);
    CHECK(pb_load_module_file(b, "/tmp", NULL, &id, &e) == PB_ERR_IO, "a directory refused: %s", e.message);
    pb_bridge_free(b);
}

/* An _initialize that traps: one readable message. */
static void test_initialize_trap(void) {
    /* (module (func (export "_initialize") unreachable)) */
    static const uint8_t INIT_TRAP[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01,
                                        0x60, 0x00, 0x00, 0x03, 0x02, 0x01, 0x00, 0x07, 0x0f, 0x01, 0x0b,
                                        0x5f, 0x69, 0x6e, 0x69, 0x74, 0x69, 0x61, 0x6c, 0x69, 0x7a, 0x65,
                                        0x00, 0x00, 0x0a, 0x05, 0x01, 0x03, 0x00, 0x00, 0x0b};
    pb_bridge *b = pb_bridge_new(NULL);
    pb_error e = {0};
    pb_module_id id = 0;
    pb_load_options o = {.name = "it", .run_initialize = true};
    CHECK(pb_load_module_bytes(b, INIT_TRAP, sizeof INIT_TRAP, &o, &id, &e) == PB_ERR_TRAP &&
              strstr(e.message, "module 'it': _initialize trapped: ") && !strstr(e.message, "budget"),
          "_initialize trap message: %s", e.message);
    pb_bridge_free(b);
}

int main(void) {
    test_errors();
    test_non_regular_files();
    test_initialize_trap();
    test_histogram();
    test_projectile("projectile_c.wasm", "c");
    test_projectile("projectile_rust.wasm", "rust");
    return CHECK_REPORT();
}
