/* Time per frame of the warehouse fleet module (demos/warehouse) on an
 * engine tier, the way a scene calls it (docs/abi.md (c): one fleet_step
 * call a frame with the host's array buffers), without the rest of the
 * scene runner:
 *
 *   warehouse_bench MODULE.wasm MAP ROBOTS FRAMES interp|native [SEED]
 *
 * The module's "portalis" imports are served here: config_str("fleet:map")
 * gives the map's text, config_f64("fleet:seed") the seed; the others trap.
 * Each call is timed in thread CPU time (the machine is shared: wall time
 * counts other jobs) and in wall time. Prints the distribution and what the
 * run did (tasks completed, a hash of the final positions: equal on every
 * tier and in both languages). */
#define _POSIX_C_SOURCE 200809L
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <portalis/base.h>
#include <portalis/engine.h>

#include "stats.h"

typedef struct {
    char *map;
    size_t map_len;
    double seed;
} config;

/* The attribute name passed by the guest (name_ptr, name_len). */
static int name_is(pw_caller *c, const pw_val *a, const char *want) {
    size_t n = strlen(want);
    char buf[64];
    if ((size_t)a[1].of.i32 != n || n >= sizeof buf)
        return 0;
    pw_memory *m = pw_caller_memory(c);
    return m && pw_memory_read(m, (uint32_t)a[0].of.i32, buf, n) && !memcmp(buf, want, n);
}

static pw_error *imp_config_count(pw_caller *c, void *u, const pw_val *a, pw_val *r) {
    (void)u;
    r[0].kind = PW_I32;
    r[0].of.i32 = name_is(c, a, "fleet:seed") ? 1 : -1;
    return NULL;
}

static pw_error *imp_config_f64(pw_caller *c, void *u, const pw_val *a, pw_val *r) {
    r[0].kind = PW_F64;
    r[0].of.f64 = name_is(c, a, "fleet:seed") ? ((config *)u)->seed : 0;
    return NULL;
}

static pw_error *imp_config_str(pw_caller *c, void *u, const pw_val *a, pw_val *r) {
    config *cf = u;
    r[0].kind = PW_I32;
    r[0].of.i32 = -1;
    if (!name_is(c, a, "fleet:map"))
        return NULL;
    size_t cap = (uint32_t)a[3].of.i32, n = cf->map_len < cap ? cf->map_len : cap;
    if (n && !pw_memory_write(pw_caller_memory(c), (uint32_t)a[2].of.i32, cf->map, n))
        return pw_trap_new("config_str: buffer out of bounds");
    r[0].of.i32 = (int32_t)cf->map_len;
    return NULL;
}

static pw_error *imp_log(pw_caller *c, void *u, const pw_val *a, pw_val *r) {
    (void)u, (void)r;
    char buf[512];
    size_t n = (uint32_t)a[1].of.i32 < sizeof buf - 1 ? (uint32_t)a[1].of.i32 : sizeof buf - 1;
    if (pw_memory_read(pw_caller_memory(c), (uint32_t)a[0].of.i32, buf, n)) {
        buf[n] = 0;
        fprintf(stderr, "module: log: %s\n", buf);
    }
    return NULL;
}

static pw_error *imp_other(pw_caller *c, void *u, const pw_val *a, pw_val *r) {
    (void)c, (void)a, (void)r;
    return pw_trap_new("portalis.%s is not served by warehouse_bench", (const char *)u);
}

static int fail(const char *what, pw_error *e) {
    fprintf(stderr, "warehouse_bench: %s: %s\n", what, e ? pw_error_message(e) : "failed");
    return 1;
}

/* Creates the module's imports: the config ones served, the rest trapping. */
static int make_imports(pw_store *st, pw_module *m, config *cf, pw_extern *im) {
    size_t n = pw_module_import_count(m);
    for (size_t i = 0; i < n; i++) {
        const char *mod, *name;
        pw_externtype ty;
        if (!pw_module_import(m, i, &mod, &name, &ty) || ty.kind != PW_EXTERN_FUNC)
            return -1;
        pw_host_fn fn = !strcmp(name, "config_str")     ? imp_config_str
                        : !strcmp(name, "config_f64")   ? imp_config_f64
                        : !strcmp(name, "config_count") ? imp_config_count
                        : !strcmp(name, "log")          ? imp_log
                                                        : imp_other;
        void *user = fn == imp_other ? (void *)name : (void *)cf;
        im[i].kind = PW_EXTERN_FUNC;
        im[i].of.func =
            pw_func_new(st, ty.func.params, ty.func.nparams, ty.func.results, ty.func.nresults, fn, user, NULL);
    }
    return 0;
}

/* Calls portalis_alloc(bytes). */
static uint32_t alloc(pw_store *st, pw_func *fa, uint32_t bytes) {
    uint64_t slot = bytes;
    return pw_func_call_unchecked(st, fa, &slot) ? 0 : (uint32_t)slot;
}

/* Calls fleet_step for frames 0..frames, timing frames 1..frames. */
static int run(pw_store *st, pw_func *step, const uint32_t buf[9], int32_t n, long frames, const char *label,
               uint64_t *cpu, uint64_t *wall, double *completed) {
    for (long f = 0; f <= frames; f++) {
        uint64_t slots[11] = {(uint64_t)f, (uint64_t)n};
        for (int i = 0; i < 9; i++)
            slots[2 + i] = buf[i];
        uint64_t c0 = now_ns(CLOCK_THREAD_CPUTIME_ID), w0 = now_ns(CLOCK_MONOTONIC);
        pw_error *e = pw_func_call_unchecked(st, step, slots);
        if (e)
            return fail("fleet_step", e);
        if (f) {
            cpu[f - 1] = now_ns(CLOCK_THREAD_CPUTIME_ID) - c0;
            wall[f - 1] = now_ns(CLOCK_MONOTONIC) - w0;
        } else { /* frame 0 builds the fleet: reported apart */
            printf("%s; fleet setup (frame 0) %.2f ms CPU\n", label,
                   (double)(now_ns(CLOCK_THREAD_CPUTIME_ID) - c0) / 1e6);
        }
        memcpy(completed, &slots[0], sizeof *completed);
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 6 || (strcmp(argv[5], "interp") && strcmp(argv[5], "native"))) {
        fprintf(stderr, "usage: warehouse_bench MODULE.wasm MAP ROBOTS FRAMES interp|native [SEED]\n");
        return 2;
    }
    config cf = {.seed = argc > 6 ? atof(argv[6]) : 1};
    int32_t n = atoi(argv[3]);
    long frames = atol(argv[4]);
    pbase_error perr = {0};
    if (pbase_read_file(argv[2], 1 << 24, &cf.map, &cf.map_len, &perr) || n < 1 || frames < 1) {
        fprintf(stderr, "warehouse_bench: %s\n", perr.message[0] ? perr.message : "bad robot or frame count");
        return 1;
    }
    pw_engine_config ec = {.tier = strcmp(argv[5], "native") ? PW_TIER_INTERP : PW_TIER_NATIVE};
    pw_engine *eng = pw_engine_new_with(&ec);
    pw_module *m;
    uint64_t t0 = now_ns(CLOCK_MONOTONIC);
    pw_error *e = pw_module_from_file(eng, argv[1], &m);
    if (e)
        return fail(argv[1], e);
    double load_ms = (double)(now_ns(CLOCK_MONOTONIC) - t0) / 1e6;
    pw_store *st = pw_store_new(eng);
    pw_extern im[32];
    if (pw_module_import_count(m) > 32 || make_imports(st, m, &cf, im))
        return fail("imports", NULL);
    pw_instance *inst;
    if ((e = pw_instance_new(st, m, im, pw_module_import_count(m), &inst)))
        return fail("instantiate", e);
    pw_func *step = pw_instance_func(inst, "fleet_step"), *fa = pw_instance_func(inst, "portalis_alloc");
    pw_extern mem;
    if (!step || !fa || !pw_instance_export(inst, "memory", &mem))
        return fail("exports fleet_step, portalis_alloc, memory", NULL);
    /* the host's buffers: robots (start cells, -1 = random), then 8 outputs */
    uint32_t buf[9];
    for (int i = 0; i < 9; i++)
        buf[i] = alloc(st, fa, (uint32_t)(sizeof(double) * (size_t)n * (i == 1 ? 3 : 1)));
    double *starts = malloc(sizeof *starts * (size_t)n), *pos = malloc(sizeof *pos * 3 * (size_t)n);
    for (int32_t i = 0; i < n; i++)
        starts[i] = -1;
    pw_memory_write(mem.of.memory, buf[0], starts, sizeof *starts * (size_t)n);
    uint64_t *cpu = malloc(sizeof *cpu * (size_t)frames), *wall = malloc(sizeof *wall * (size_t)frames);
    double completed = 0;
    char label[600];
    snprintf(label, sizeof label, "%s tier, %s: %d robots, %ld frames; module load %.1f ms", argv[5], argv[2],
             (int)n, frames, load_ms);
    if (run(st, step, buf, n, frames, label, cpu, wall, &completed))
        return 1;
    pw_memory_read(mem.of.memory, buf[1], pos, sizeof *pos * 3 * (size_t)n);
    report("CPU", cpu, frames);
    report("wall", wall, frames);
    summary(completed, frames, positions_hash(pos, n));
    return 0;
}
