/* IK solve time of the robot arm modules (demos/robot_arm) through the
 * bridge, by pre-resolved handle, on the interpreter:
 *   robot_arm_bench MODULE.wasm TARGETS_OUT [N]
 * "cold": N reachable targets (forward kinematics of random in-limit angles,
 * the test's seed) each solved from the home pose, the same targets
 * KDL solves (written to TARGETS_OUT as "x y z" lines for kdl_ik);
 * "warm": the scene's case, 1200 steps of the figure-eight at 120 Hz, each
 * warm-started from the previous solution (solve_ik). Prints one JSON object. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <portalis/bridge.h>

#include "../../demos/robot_arm/portalis_stubs.h"

#define LIMIT 6.283185307179586
static const double HOME[6] = {
    0.0, -1.5707963267948966, 1.5707963267948966, -1.5707963267948966, -1.5707963267948966, 0.0};

static double uniform(uint64_t *s, double lo, double hi) {
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return lo + (hi - lo) * ((double)(z >> 11) / 9007199254740992.0);
}

typedef struct {
    pb_func f;
    pw_memory *mem;
} fn;

/* Calls f, returns the time in ns, copies nout f64 of the result. */
static uint64_t timed_call(fn *f, const double *args, int n, double *out, int nout) {
    uint64_t slots[9];
    for (int i = 0; i < n; i++)
        memcpy(&slots[i], &args[i], sizeof(double));
    pb_error e = {0};
    uint64_t t0 = pbase_now_ns();
    int rc = pb_func_call_slots(&f->f, slots, &e);
    uint64_t dt = pbase_now_ns() - t0;
    if (rc) {
        fprintf(stderr, "robot_arm_bench: %s\n", e.message);
        exit(1);
    }
    pw_memory_read(f->mem, (uint32_t)slots[0], out, sizeof(double) * (size_t)nout);
    return dt;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: robot_arm_bench MODULE.wasm TARGETS_OUT [N [interp|native]]\n");
        return 2;
    }
    int n = argc > 3 ? atoi(argv[3]) : 10000;
    pb_config cfg = pb_config_default();
    cfg.collect_stats = false;
    if (argc > 4 && !pb_tier_parse(argv[4], &cfg.tier)) {
        fprintf(stderr, "robot_arm_bench: tier '%s': expected interp, native or auto\n", argv[4]);
        return 2;
    }
    pb_bridge *b = pb_bridge_new(&cfg);
    pb_error e = {0};
    pb_module_id id;
    pb_load_options o = {.imports = ROBOT_ARM_STUBS, .nimports = ROBOT_ARM_NSTUBS, .run_initialize = true};
    if (pb_load_module_file(b, argv[1], &o, &id, &e)) {
        fprintf(stderr, "robot_arm_bench: %s\n", e.message);
        return 1;
    }
    fn fk = {.mem = pb_module_memory(b, id)}, ik = fk, warm = fk;
    if (pb_func_lookup(b, id, "forward_kinematics", &fk.f, &e) ||
        pb_func_lookup(b, id, "ik_solve_from", &ik.f, &e) || pb_func_lookup(b, id, "solve_ik", &warm.f, &e)) {
        fprintf(stderr, "robot_arm_bench: %s\n", e.message);
        return 1;
    }
    FILE *tf = fopen(argv[2], "w");
    if (!tf) {
        perror(argv[2]);
        return 1;
    }
    pbase_hist *cold_h = calloc(1, sizeof *cold_h), *warm_h = calloc(1, sizeof *warm_h);
    uint64_t seed = 20261206, cold_sum = 0, warm_sum = 0;
    int reached = 0;
    double iters = 0;
    for (int i = 0; i < n; i++) {
        double q[6], p[12], a[9], s[9];
        for (int j = 0; j < 6; j++)
            q[j] = uniform(&seed, -LIMIT, LIMIT);
        timed_call(&fk, q, 6, p, 12);
        fprintf(tf, "%.17g %.17g %.17g\n", p[0], p[1], p[2]);
        memcpy(a, p, 3 * sizeof(double));
        memcpy(a + 3, HOME, sizeof HOME);
        uint64_t dt = timed_call(&ik, a, 9, s, 9);
        pbase_hist_record(cold_h, dt);
        cold_sum += dt;
        reached += s[6] == 1.0;
        iters += s[8];
    }
    fclose(tf);
    const int steps = 1200;
    for (int k = 0; k < steps; k++) {
        double t = k / 120.0, w = 2 * 3.141592653589793 / 6;
        double a[3] = {-0.45, -0.1333 + 0.2 * sin(w * t), 0.45 + 0.1 * sin(2 * w * t)}, s[6];
        uint64_t dt = timed_call(&warm, a, 3, s, 6);
        pbase_hist_record(warm_h, dt);
        warm_sum += dt;
    }
    printf("{\"module\": \"%s\", \"n\": %d, \"reached\": %d, \"mean_iterations\": %.2f, "
           "\"cold_mean_ns\": %.1f, \"cold_p50_ns\": %.1f, \"cold_p99_ns\": %.1f, "
           "\"warm_steps\": %d, \"warm_mean_ns\": %.1f, \"warm_p50_ns\": %.1f, \"warm_p99_ns\": %.1f}\n",
           argv[1], n, reached, iters / n, (double)cold_sum / n, pbase_hist_quantile(cold_h, 0.5),
           pbase_hist_quantile(cold_h, 0.99), steps, (double)warm_sum / steps, pbase_hist_quantile(warm_h, 0.5),
           pbase_hist_quantile(warm_h, 0.99));
    free(cold_h);
    free(warm_h);
    pb_bridge_free(b);
    return 0;
}
