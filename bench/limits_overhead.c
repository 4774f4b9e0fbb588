/* Cost of the engine's limit checks on the bench kernels (not a test).
 *
 *   limits_overhead KERNEL.wasm...   (lib flavour: exports bench() -> i64)
 *
 * Runs bench() on three engines: no checks, interruptible (deadline /
 * interrupt polling at function entries and loop back-edges), and fuel +
 * interruptible (with a budget large enough never to run out). Prints the
 * best of 3 wall times and the slowdowns relative to no checks. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "portalis/engine.h"

static double now_s(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double time_bench(const char *path, pw_engine_config cfg, bool fuel, uint64_t *checksum) {
    pw_engine *e = pw_engine_new_with(&cfg);
    pw_module *m;
    pw_error *err = pw_module_from_file(e, path, &m);
    if (err) {
        fprintf(stderr, "%s: %s\n", path, pw_error_message(err));
        exit(1);
    }
    double best = 1e30;
    for (int rep = 0; rep < 3; rep++) {
        pw_store *s = pw_store_new(e);
        if (fuel)
            pw_store_set_fuel(s, UINT64_MAX / 4);
        pw_instance *inst;
        err = pw_instance_new(s, m, NULL, 0, &inst);
        if (err) {
            fprintf(stderr, "%s: %s\n", path, pw_error_message(err));
            exit(1);
        }
        pw_val r;
        double t0 = now_s();
        err = pw_func_call(s, pw_instance_func(inst, "bench"), NULL, 0, &r, 1);
        double t = now_s() - t0;
        if (err) {
            fprintf(stderr, "%s: %s\n", path, pw_error_message(err));
            exit(1);
        }
        *checksum = (uint64_t)r.of.i64;
        if (t < best)
            best = t;
        pw_store_free(s);
    }
    pw_module_free(m);
    pw_engine_free(e);
    return best;
}

int main(int argc, char **argv) {
    printf("%-40s %9s %9s %9s %8s %8s\n", "kernel", "plain s", "intr s", "fuel s", "intr %", "fuel %");
    for (int i = 1; i < argc; i++) {
        uint64_t c0, c1, c2;
        double t0 = time_bench(argv[i], (pw_engine_config){false, false}, false, &c0);
        double t1 = time_bench(argv[i], (pw_engine_config){false, true}, false, &c1);
        double t2 = time_bench(argv[i], (pw_engine_config){true, true}, true, &c2);
        printf("%-40s %9.3f %9.3f %9.3f %+7.1f%% %+7.1f%%%s\n", argv[i], t0, t1, t2, (t1 / t0 - 1) * 100,
               (t2 / t0 - 1) * 100, c0 == c1 && c1 == c2 ? "" : "  CHECKSUM MISMATCH");
    }
    return 0;
}
