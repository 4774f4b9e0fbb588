/* The robot arm demo's IK solver (demos/robot_arm): the C and Rust wasm
 * modules called through the bridge on 10 000 reachable targets (forward
 * kinematics of random in-limit joint angles, fixed seed), each solved from
 * the home pose:
 *   - reached within 1e-6 m (checked by forward kinematics of the returned
 *     angles, not by the solver's flag) in >= 99.9 % of cases;
 *   - every returned angle finite and within +-2 pi;
 *   - C and Rust agree to 1e-9 on every target, Python (python3 runs
 *     python/ik_solver.py --batch) on the first PY_COUNT;
 * plus unreachable and non-finite targets, clamp_angles and the warm start of
 * solve_ik. Deterministic: no clock, the same seed every run. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <portalis/bridge.h>

#include "../../demos/robot_arm/portalis_stubs.h"
#include "../check.h"

#define N_TARGETS 10000
#define PY_COUNT 1000
#define LIMIT 6.283185307179586
static const double HOME[6] = {
    0.0, -1.5707963267948966, 1.5707963267948966, -1.5707963267948966, -1.5707963267948966, 0.0};

typedef struct {
    pb_bridge *b;
    pb_module_id id;
    pw_memory *mem;
    pb_func fk, ik, clamp, solve;
} arm_module;

static pw_val f64(double d) { return (pw_val){.kind = PW_F64, .of.f64 = d}; }

/* splitmix64: a fixed, portable sequence. */
static double uniform(uint64_t *s, double lo, double hi) {
    uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    return lo + (hi - lo) * ((double)(z >> 11) / 9007199254740992.0);
}

/* 1: loaded, -1: not built (skipped), 0: built but failed to load. */
static int open_module(arm_module *m, const char *file) {
    char path[1024];
    pb_error e = {0};
    pb_load_options opts = {.imports = ROBOT_ARM_STUBS, .nimports = ROBOT_ARM_NSTUBS, .run_initialize = true};
    snprintf(path, sizeof path, "%s/%s", ROBOT_ARM_MODULES, file);
    if (access(path, R_OK)) {
        printf("skip: %s not built (scripts/deps.sh)\n", path);
        return -1;
    }
    m->b = pb_bridge_new(NULL);
    CHECK(pb_load_module_file(m->b, path, &opts, &m->id, &e) == 0, "load %s: %s", path, e.message);
    CHECK(pb_func_lookup(m->b, m->id, "forward_kinematics", &m->fk, &e) == 0, "%s", e.message);
    CHECK(pb_func_lookup(m->b, m->id, "ik_solve_from", &m->ik, &e) == 0, "%s", e.message);
    CHECK(pb_func_lookup(m->b, m->id, "clamp_angles", &m->clamp, &e) == 0, "%s", e.message);
    CHECK(pb_func_lookup(m->b, m->id, "solve_ik", &m->solve, &e) == 0, "%s", e.message);
    m->mem = pb_module_memory(m->b, m->id);
    return check_failed == 0 ? 1 : 0;
}

/* Calls f with n f64 arguments and copies nout f64 from the returned pointer. */
static void call(arm_module *m, pb_func *f, const double *args, int n, double *out, int nout) {
    pw_val a[9], r[1];
    pb_error e = {0};
    for (int i = 0; i < n; i++)
        a[i] = f64(args[i]);
    if (pb_func_call(f, a, (size_t)n, r, 1, &e)) {
        CHECK(0, "call: %s", e.message);
        memset(out, 0, sizeof(double) * (size_t)nout);
        return;
    }
    pw_memory_read(m->mem, (uint32_t)r[0].of.i32, out, sizeof(double) * (size_t)nout);
}

static double distance(const double *a, const double *b) {
    return sqrt((a[0] - b[0]) * (a[0] - b[0]) + (a[1] - b[1]) * (a[1] - b[1]) + (a[2] - b[2]) * (a[2] - b[2]));
}

/* inputs[i] = x y z + HOME; sol[i] = q1..q6 reached error iterations. */
static void solve_all(arm_module *m, const char *lang, double (*in)[9], double (*sol)[9]) {
    int reached = 0, in_limits = 1;
    double iters = 0, worst_limit = 0;
    for (int i = 0; i < N_TARGETS; i++) {
        double p[12];
        call(m, &m->ik, in[i], 9, sol[i], 9);
        call(m, &m->fk, sol[i], 6, p, 12);
        if (distance(p, in[i]) <= 1e-6)
            reached++;
        for (int j = 0; j < 6; j++)
            if (!(fabs(sol[i][j]) <= LIMIT))
                in_limits = 0, worst_limit = sol[i][j];
        iters += sol[i][8];
    }
    double rate = (double)reached / N_TARGETS;
    CHECK(rate >= 0.999, "%s: %d of %d targets reached within 1e-6 m (need 99.9 %%)", lang, reached, N_TARGETS);
    CHECK(in_limits, "%s: an angle outside +-2 pi: %.17g", lang, worst_limit);
    printf("%s: %d of %d random reachable targets within 1e-6 m (%.2f %%), %.2f iterations on average\n", lang,
           reached, N_TARGETS, 100.0 * rate, iters / N_TARGETS);
}

static double max_angle_diff(double (*a)[9], double (*b)[9], int n) {
    double worst = 0;
    for (int i = 0; i < n; i++)
        for (int j = 0; j < 6; j++)
            worst = fmax(worst, fabs(a[i][j] - b[i][j]));
    return worst;
}

static void compare_python(double (*in)[9], double (*sol)[9]) {
    char file[] = "/tmp/robot_ik_XXXXXX", cmd[2048];
    int fd = mkstemp(file);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    CHECK(f != NULL, "temporary file");
    if (!f)
        return;
    for (int i = 0; i < PY_COUNT; i++)
        for (int j = 0; j < 9; j++)
            fprintf(f, "%.17g%c", in[i][j], j == 8 ? '\n' : ' ');
    fclose(f);
    snprintf(cmd, sizeof cmd, "python3 %s/demos/robot_arm/python/ik_solver.py --batch < %s", PORTALIS_SOURCE_DIR,
             file);
    FILE *py = popen(cmd, "r");
    double worst = 0, row[9];
    int rows = 0, flags = 1;
    while (py && rows < PY_COUNT &&
           fscanf(py, "%lf %lf %lf %lf %lf %lf %lf %lf %lf", &row[0], &row[1], &row[2], &row[3], &row[4], &row[5],
                  &row[6], &row[7], &row[8]) == 9) {
        for (int j = 0; j < 6; j++)
            worst = fmax(worst, fabs(row[j] - sol[rows][j]));
        flags &= row[6] == sol[rows][6];
        rows++;
    }
    CHECK(py && pclose(py) == 0, "python3 %s failed", cmd);
    unlink(file);
    CHECK(rows == PY_COUNT, "Python solved %d of %d", rows, PY_COUNT);
    CHECK(worst <= 1e-9 && flags, "C vs Python: largest angle difference %.3g (<= 1e-9), same flags %d", worst,
          flags);
    printf("C vs Python on %d targets: largest angle difference %.3g rad\n", rows, worst);
}

/* Targets out of reach and non-finite ones: the closest point, a flag, never NaN. */
static void test_unreachable(arm_module *m, const char *lang) {
    static const double far[][3] = {{2.0, 0.0, 0.0}, {0.0, 0.0, 3.0}, {-1.0, 1.0, -1.0}};
    for (int k = 0; k < 3; k++) {
        double a[9] = {far[k][0], far[k][1], far[k][2]}, s[9], p[12];
        memcpy(a + 3, HOME, sizeof HOME);
        call(m, &m->ik, a, 9, s, 9);
        call(m, &m->fk, s, 6, p, 12);
        int finite = 1;
        for (int j = 0; j < 6; j++)
            finite &= isfinite(s[j]) && fabs(s[j]) <= LIMIT;
        /* No point of the arm is more than d1+|a2|+|a3|+d4+d5+d6 = 1.2127 m from the base, and it reaches
         * beyond 0.8 m in these directions: the closest point is between |t| - 1.22 and |t| - 0.8 away. */
        double d = distance(p, far[k]),
               t = sqrt(far[k][0] * far[k][0] + far[k][1] * far[k][1] + far[k][2] * far[k][2]);
        CHECK(finite && s[6] == 0.0 && fabs(s[7] - d) <= 1e-12 && d >= t - 1.22 && d <= t - 0.8,
              "%s: unreachable (%g, %g, %g): flag %g error %g distance %g", lang, far[k][0], far[k][1], far[k][2],
              s[6], s[7], d);
    }
    double a[9] = {NAN, 0.2, INFINITY}, s[9];
    memcpy(a + 3, HOME, sizeof HOME);
    a[4] = NAN;
    call(m, &m->ik, a, 9, s, 9);
    CHECK(s[6] == 0.0 && isinf(s[7]) && s[1] == 0.0 && s[0] == 0.0 && s[2] == HOME[2],
          "%s: non-finite target: flag %g error %g q %g %g", lang, s[6], s[7], s[0], s[1]);
    double c[6] = {10.0, -10.0, NAN, 1.0, LIMIT, -LIMIT - 1e-12}, cl[6];
    call(m, &m->clamp, c, 6, cl, 6);
    CHECK(cl[0] == LIMIT && cl[1] == -LIMIT && cl[2] == 0.0 && cl[3] == 1.0 && cl[4] == LIMIT && cl[5] == -LIMIT,
          "%s: clamp_angles %g %g %g %g %g %g", lang, cl[0], cl[1], cl[2], cl[3], cl[4], cl[5]);
}

/* solve_ik warm-starts from its previous solution: 1 mm steps move the joints
 * by little, and every step is reached. */
static void test_warm_start(arm_module *m, const char *lang) {
    double prev[6], q[6], worst = 0;
    int all = 1;
    for (int k = 0; k <= 400; k++) {
        double s = k * 0.001, t[3] = {-0.45, -0.13 + 0.2 * sin(s * 5), 0.45 + 0.1 * sin(s * 10)}, p[12];
        call(m, &m->solve, t, 3, q, 6);
        call(m, &m->fk, q, 6, p, 12);
        all &= distance(p, t) <= 1e-6;
        if (k > 0)
            for (int j = 0; j < 6; j++)
                worst = fmax(worst, fabs(q[j] - prev[j]));
        memcpy(prev, q, sizeof q);
    }
    CHECK(all && worst < 0.05, "%s: warm-started path: all reached %d, largest joint step %g rad", lang, all,
          worst);
    printf("%s: warm-started 401-point path, largest joint step %.4f rad\n", lang, worst);
}

int main(void) {
    static double in[N_TARGETS][9], sol_c[N_TARGETS][9], sol_r[N_TARGETS][9];
    arm_module c = {0}, r = {0};
    int have_c = open_module(&c, "robot_arm_c.wasm"), have_r = open_module(&r, "robot_arm_rust.wasm");
    if (have_c == 0 || have_r == 0) /* built but not loadable: a failure, never a skip */
        return CHECK_REPORT();
    have_c = have_c > 0, have_r = have_r > 0;
    arm_module *ref = have_c ? &c : have_r ? &r : NULL;
    if (!ref) {
        printf("skipped: no module built\n");
        return 77;
    }
    uint64_t seed = 20261206;
    for (int i = 0; i < N_TARGETS; i++) {
        double q[6], p[12];
        for (int j = 0; j < 6; j++)
            q[j] = uniform(&seed, -LIMIT, LIMIT);
        call(ref, &ref->fk, q, 6, p, 12);
        memcpy(in[i], p, 3 * sizeof(double));
        memcpy(in[i] + 3, HOME, sizeof HOME);
    }
    if (have_c) {
        solve_all(&c, "C", in, sol_c);
        test_unreachable(&c, "C");
        test_warm_start(&c, "C");
        compare_python(in, sol_c);
    }
    if (have_r) {
        solve_all(&r, "Rust", in, sol_r);
        test_unreachable(&r, "Rust");
        test_warm_start(&r, "Rust");
    }
    if (have_c && have_r) {
        double d = max_angle_diff(sol_c, sol_r, N_TARGETS);
        CHECK(d <= 1e-9, "C vs Rust: largest angle difference %.3g (<= 1e-9)", d);
        printf("C vs Rust on %d targets: largest angle difference %.3g rad\n", N_TARGETS, d);
    }
    if (c.b)
        pb_bridge_free(c.b);
    if (r.b)
        pb_bridge_free(r.b);
    return CHECK_REPORT();
}
