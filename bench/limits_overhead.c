/* Cost of the engine's limit checks on the bench kernels (not a test).
 *
 *   limits_overhead [--reps N] KERNEL.wasm...   (lib flavour: exports bench() -> i64)
 *   limits_overhead --only plain|intr|fuel KERNEL.wasm   (one run, for callgrind)
 *
 * Runs bench() on three engines: no checks, interruptible (deadline /
 * interrupt polling at function entries and loop back-edges), and fuel +
 * interruptible (with a budget large enough never to run out). Prints the
 * best of N (default 5) wall times and the slowdowns relative to no checks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <portalis/base.h>
#include "portalis/engine.h"

static double now_s(void) { return (double)pbase_now_ns() * 1e-9; }

/* One timed call of bench() on a fresh store of engine e. */
static double run_once(pw_engine *e, pw_module *m, bool fuel, uint64_t *checksum, const char *path) {
    pw_store *s = pw_store_new(e);
    if (fuel)
        pw_store_set_fuel(s, UINT64_MAX / 4);
    pw_instance *inst;
    pw_error *err = pw_instance_new(s, m, NULL, 0, &inst);
    pw_val r;
    double t0 = now_s();
    if (!err)
        err = pw_func_call(s, pw_instance_func(inst, "bench"), NULL, 0, &r, 1);
    double t = now_s() - t0;
    if (err) {
        fprintf(stderr, "%s: %s\n", path, pw_error_message(err));
        exit(1);
    }
    *checksum = (uint64_t)r.of.i64;
    pw_store_free(s);
    return t;
}

int main(int argc, char **argv) {
    int reps = 5;
    int first = 1;
    if (argc > 2 && !strcmp(argv[1], "--reps")) {
        reps = atoi(argv[2]);
        first = 3;
    }
    if (argc > 3 && !strcmp(argv[1], "--only")) {
        /* One run of one configuration (plain, intr or fuel), for counting
         * instructions under valgrind --tool=callgrind, which is immune to
         * the noise of a shared machine. */
        /* canon: an engine that canonicalises arithmetic NaNs (its cost). */
        int k = !strcmp(argv[2], "fuel") ? 2 : !strcmp(argv[2], "intr") ? 1 : 0;
        pw_engine_config cfg = {.consume_fuel = k == 2,
                                .interruptible = k >= 1,
                                .tier = PW_TIER_INTERP,
                                .canonicalize_nans = !strcmp(argv[2], "canon")};
        pw_engine *e = pw_engine_new_with(&cfg);
        pw_module *m;
        pw_error *err = pw_module_from_file(e, argv[3], &m);
        if (err) {
            fprintf(stderr, "%s: %s\n", argv[3], pw_error_message(err));
            return 1;
        }
        uint64_t sum;
        double t = run_once(e, m, k == 2, &sum, argv[3]);
        printf("%s %s %.3f s checksum %016llx\n", argv[3], argv[2], t, (unsigned long long)sum);
        pw_module_free(m);
        pw_engine_free(e);
        return 0;
    }
    /* The three configurations run interleaved, and each figure is the
     * minimum over the repetitions, so load from other processes on a shared
     * machine affects them alike and mostly drops out. */
    printf("%-40s %9s %9s %9s %8s %8s\n", "kernel", "plain s", "intr s", "fuel s", "intr %", "fuel %");
    for (int i = first; i < argc; i++) {
        pw_engine_config cfgs[3] = {{.tier = PW_TIER_INTERP},
                                    {.interruptible = true, .tier = PW_TIER_INTERP},
                                    {.consume_fuel = true, .interruptible = true, .tier = PW_TIER_INTERP}};
        pw_engine *e[3];
        pw_module *m[3];
        double best[3] = {1e30, 1e30, 1e30};
        uint64_t sum[3] = {0, 0, 0};
        for (int k = 0; k < 3; k++) {
            e[k] = pw_engine_new_with(&cfgs[k]);
            pw_error *err = pw_module_from_file(e[k], argv[i], &m[k]);
            if (err) {
                fprintf(stderr, "%s: %s\n", argv[i], pw_error_message(err));
                return 1;
            }
        }
        for (int r = 0; r < reps; r++)
            for (int k = 0; k < 3; k++) {
                double t = run_once(e[k], m[k], k == 2, &sum[k], argv[i]);
                if (t < best[k])
                    best[k] = t;
            }
        printf("%-40s %9.3f %9.3f %9.3f %+7.1f%% %+7.1f%%%s\n", argv[i], best[0], best[1], best[2],
               (best[1] / best[0] - 1) * 100, (best[2] / best[0] - 1) * 100,
               sum[0] == sum[1] && sum[1] == sum[2] ? "" : "  CHECKSUM MISMATCH");
        fflush(stdout);
        for (int k = 0; k < 3; k++) {
            pw_module_free(m[k]);
            pw_engine_free(e[k]);
        }
    }
    return 0;
}
