/* Re-opens an output layer of the robot arm scene with the usd reader and
 * checks what it recorded:
 *   check_robot_arm position|velocity|torque OUT.usda
 *   check_robot_arm same A.out.usda B.out.usda   (C and Rust runs agree)
 * The end effector is recomputed here from the recorded joint angles with
 * the UR5e's DH table (independently of the module), and compared with the
 * recorded target path. Each link's xformOp:rotateZ must carry its joint's
 * angle. Modes:
 *   position  within 1 mm of the target in every frame from frame 1 on;
 *   velocity  no joint moves more than 180 deg/s (3 deg a frame: two 120 Hz
 *             steps), within 1 mm from frame 120 on;
 *   torque    (a static target away from the home pose) starts > 1 cm away,
 *             torque within its limits, within 1 mm from frame 300 on;
 *   joints    (wasm:jointTargets JOINT_GOAL, velocity mode) the joints move at
 *             most 3 deg a frame and equal the goal from frame 60 on. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <portalis/usd.h>

#include "../check.h"

#define MAXF 4096
static const double DH_A[6] = {0.0, -0.425, -0.3922, 0.0, 0.0, 0.0};
static const double DH_D[6] = {0.1625, 0.0, 0.0, 0.1333, 0.0997, 0.0996};
static const double DH_ALPHA[6] = {M_PI / 2, 0.0, 0.0, M_PI / 2, -M_PI / 2, 0.0};

typedef struct {
    size_t n;
    double q[MAXF][6], target[MAXF][3], effector[MAXF][3], torque[MAXF];
} run;

/* Flange position by 4x4 products of Rz(q) Tz(d) Tx(a) Rx(alpha). */
static void fk(const double q[6], double p[3]) {
    double m[4][4] = {{1, 0, 0, 0}, {0, 1, 0, 0}, {0, 0, 1, 0}, {0, 0, 0, 1}};
    for (int i = 0; i < 6; i++) {
        double c = cos(q[i]), s = sin(q[i]), ca = cos(DH_ALPHA[i]), sa = sin(DH_ALPHA[i]);
        double t[4][4] = {{c, -s * ca, s * sa, DH_A[i] * c},
                          {s, c * ca, -c * sa, DH_A[i] * s},
                          {0, sa, ca, DH_D[i]},
                          {0, 0, 0, 1}};
        double r[4][4];
        for (int a = 0; a < 4; a++)
            for (int b = 0; b < 4; b++)
                r[a][b] = m[a][0] * t[0][b] + m[a][1] * t[1][b] + m[a][2] * t[2][b] + m[a][3] * t[3][b];
        memcpy(m, r, sizeof m);
    }
    p[0] = m[0][3], p[1] = m[1][3], p[2] = m[2][3];
}

/* Samples of path.name (ncomp components) into out; returns their count. */
static size_t samples(pusd_stage *st, const char *path, const char *name, int ncomp, double *out, int stride) {
    pusd_prim *p = pusd_stage_prim_at_path(st, path);
    CHECK(p != NULL, "no prim %s", path);
    if (!p)
        return 0;
    const double *times;
    size_t n = pusd_prim_attr_sample_times(p, name, &times);
    for (size_t k = 0; k < n && k < MAXF; k++) {
        pusd_value v;
        if (pusd_prim_get_attr(p, name, times[k], &v) || fabs(times[k] - (double)k) > 0) {
            CHECK(0, "%s.%s: sample %zu at time %g unreadable or not at frame %zu", path, name, k, times[k], k);
            return 0;
        }
        for (int c = 0; c < ncomp; c++)
            out[k * (size_t)stride + (size_t)c] = pusd_value_get_double(&v, 0, c);
    }
    return n < MAXF ? n : MAXF;
}

static const char *JOINT_XFORM[6] = {
    "/World/Arm/Joint1",
    "/World/Arm/Joint1/Frame1/Joint2",
    "/World/Arm/Joint1/Frame1/Joint2/Frame2/Joint3",
    "/World/Arm/Joint1/Frame1/Joint2/Frame2/Joint3/Frame3/Joint4",
    "/World/Arm/Joint1/Frame1/Joint2/Frame2/Joint3/Frame3/Joint4/Frame4/Joint5",
    "/World/Arm/Joint1/Frame1/Joint2/Frame2/Joint3/Frame3/Joint4/Frame4/Joint5/Frame5/Joint6",
};

static int load(const char *file, run *r) {
    pusd_stage *st = NULL;
    pusd_error err = {0};
    if (pusd_stage_open(file, &st, &err)) {
        CHECK(0, "%s does not re-open: %s", file, err.message);
        return 0;
    }
    static double xf[MAXF][6];
    size_t n = samples(st, "/World/TargetPath", "outputs:position", 3, &r->target[0][0], 3);
    CHECK(n >= 300, "%s: %zu target samples", file, n);
    r->n = n;
    for (int j = 0; j < 6; j++) {
        char name[32];
        snprintf(name, sizeof name, "outputs:joint%d", j + 1);
        CHECK(samples(st, "/World/Controller", name, 1, &r->q[0][j], 6) == n, "%s: %s samples", file, name);
        CHECK(samples(st, JOINT_XFORM[j], "xformOp:rotateZ", 1, &xf[0][j], 6) == n, "%s: rotateZ samples", file);
        for (size_t k = 0; k < n; k++)
            if (fabs(xf[k][j] - r->q[k][j]) > 1e-9) {
                CHECK(0, "%s: frame %zu: %s rotateZ %g, joint%d %g", file, k, JOINT_XFORM[j], xf[k][j], j + 1,
                      r->q[k][j]);
                break;
            }
    }
    CHECK(samples(st, "/World/Controller", "outputs:endEffector", 3, &r->effector[0][0], 3) == n, "effector");
    CHECK(samples(st, "/World/Controller", "outputs:peakTorqueRatio", 1, r->torque, 1) == n, "torque samples");
    for (size_t k = 0; k < n; k++)
        for (int j = 0; j < 6; j++)
            r->q[k][j] *= M_PI / 180.0;
    pusd_stage_free(st);
    return check_failed == 0;
}

static double tracking_error(const run *r, size_t k) {
    double p[3];
    fk(r->q[k], p);
    return sqrt((p[0] - r->target[k][0]) * (p[0] - r->target[k][0]) +
                (p[1] - r->target[k][1]) * (p[1] - r->target[k][1]) +
                (p[2] - r->target[k][2]) * (p[2] - r->target[k][2]));
}

/* Largest tracking error from frame `from` on, and the limit checks. */
static double check_common(const run *r, size_t from, const char *mode) {
    double worst = 0;
    for (size_t k = 0; k < r->n; k++) {
        for (int j = 0; j < 6; j++)
            if (!(fabs(r->q[k][j]) <= 2 * M_PI + 1e-12)) {
                CHECK(0, "%s: frame %zu joint %d = %g rad, outside +-2 pi", mode, k, j + 1, r->q[k][j]);
                return INFINITY;
            }
        if (k >= from)
            worst = fmax(worst, tracking_error(r, k));
    }
    CHECK(worst <= 1e-3, "%s: end effector %.3g m from the target after frame %zu (<= 1 mm)", mode, worst, from);
    printf("%s: %zu frames, end effector within %.3g m of the target from frame %zu on\n", mode, r->n, worst,
           from);
    return worst;
}

static run ra, rb;
static const double JOINT_GOAL[6] = {0.5, -1.25, 1.5, -0.25, 0.75, 0.125};

static double largest_step(const run *r) {
    double step = 0;
    for (size_t k = 1; k < r->n; k++)
        for (int j = 0; j < 6; j++)
            step = fmax(step, fabs(r->q[k][j] - r->q[k - 1][j]));
    return step;
}

int main(int argc, char **argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: check_robot_arm position|velocity|torque|joints OUT.usda | same A.usda B.usda\n");
        return 2;
    }
    if (!load(argv[2], &ra))
        return CHECK_REPORT();
    if (!strcmp(argv[1], "position")) {
        check_common(&ra, 1, "position");
    } else if (!strcmp(argv[1], "velocity")) {
        double step = largest_step(&ra), bound = 2 * M_PI / 120.0 + 1e-9;
        CHECK(step <= bound, "velocity: a joint moved %.6g rad in one frame (limit %.6g)", step, bound);
        printf("velocity: largest joint step per frame %.5f rad (limit %.5f)\n", step, bound);
        check_common(&ra, 120, "velocity");
    } else if (!strcmp(argv[1], "torque")) {
        double peak = 0;
        for (size_t k = 0; k < ra.n; k++)
            peak = fmax(peak, ra.torque[k]);
        CHECK(tracking_error(&ra, 0) > 0.01, "torque: frame 0 already at the target (%g m)",
              tracking_error(&ra, 0));
        CHECK(peak <= 1.0 && peak > 0.1, "torque: peak |tau|/limit %g", peak);
        printf("torque: frame 0 %.3f m from the target, peak |tau|/limit %.3f\n", tracking_error(&ra, 0), peak);
        check_common(&ra, 300, "torque");
    } else if (!strcmp(argv[1], "joints")) {
        double step = largest_step(&ra), bound = 2 * M_PI / 120.0 + 1e-9, worst = 0;
        for (size_t k = 60; k < ra.n; k++)
            for (int j = 0; j < 6; j++)
                worst = fmax(worst, fabs(ra.q[k][j] - JOINT_GOAL[j]));
        CHECK(step <= bound && step > bound / 2, "joints: largest joint step per frame %.6g (limit %.6g)", step,
              bound);
        CHECK(worst <= 1e-9, "joints: %.3g rad from wasm:jointTargets after frame 60", worst);
        printf("joints: largest step %.5f rad a frame, at wasm:jointTargets to %.3g rad from frame 60\n", step,
               worst);
    } else if (!strcmp(argv[1], "same") && argc == 4) {
        if (load(argv[3], &rb)) {
            double worst = 0;
            CHECK(ra.n == rb.n, "frame counts %zu and %zu", ra.n, rb.n);
            for (size_t k = 0; k < ra.n && k < rb.n; k++)
                for (int j = 0; j < 6; j++)
                    worst = fmax(worst, fabs(ra.q[k][j] - rb.q[k][j]));
            CHECK(worst <= 1e-9, "joint angles differ by %.3g rad (<= 1e-9)", worst);
            printf("same: %zu frames, joint angles agree to %.3g rad\n", ra.n, worst);
        }
    } else {
        fprintf(stderr, "check_robot_arm: unknown mode '%s'\n", argv[1]);
        return 2;
    }
    return CHECK_REPORT();
}
