/* UR5e position inverse kinematics and joint control as a WebAssembly module:
 * the C version of ../python/ik_solver.py (algorithm, tolerances and
 * unreachable targets are documented there and in ../README.md). Every
 * expression is evaluated in the reference's order, so results agree with
 * it and with ../rust/ik_solver.rs to rounding.
 *
 * Pure functions (docs/abi.md (b)); a vector result is a pointer to f64s,
 * valid until the next call:
 *   forward_kinematics(q1..q6) -> 12 f64: x y z, row-major 3x3 rotation
 *   clamp_angles(q1..q6) -> 6 f64
 *   ik_solve_from(x, y, z, q1..q6) -> 9 f64: q1..q6, reached (0/1), error m, iterations
 *   solve_ik(x, y, z) -> 6 f64, warm-started from the previous solution
 * Tick module (a WasmRobotics prim without wasm:params): update(time, dt)
 * runs one control step of the prim's wasm:controlMode toward the IK
 * solution for the end-effector target (or toward wasm:jointTargets);
 * channels and attributes in ../README.md. */
#include <math.h>
#include <stdint.h>

#include <portalis/guest/portalis.h>

static const double DH_A[6] = {0.0, -0.425, -0.3922, 0.0, 0.0, 0.0};
static const double DH_D[6] = {0.1625, 0.0, 0.0, 0.1333, 0.0997, 0.0996};
static const double SIN_ALPHA[6] = {1.0, 0.0, 0.0, 1.0, -1.0, 0.0};
static const double COS_ALPHA[6] = {0.0, 1.0, 1.0, 0.0, 0.0, 1.0};
#define JOINT_LIMIT 6.283185307179586
#define VELOCITY_LIMIT 3.141592653589793
#define HALF_PI 1.5707963267948966
static const double HOME[6] = {0.0, -HALF_PI, HALF_PI, -HALF_PI, -HALF_PI, 0.0};
static const double RESTARTS[4][6] = {{0.0, -HALF_PI, HALF_PI, 0.0, 0.0, 0.0},
                                      {HALF_PI, -HALF_PI, -HALF_PI, 0.0, 0.0, 0.0},
                                      {3.141592653589793, -HALF_PI, HALF_PI, 0.0, 0.0, 0.0},
                                      {-HALF_PI, -HALF_PI, -HALF_PI, 0.0, 0.0, 0.0}};
#define STOP_TOL 1e-10
#define REACH_TOL 1e-6
#define MAX_ITER 100
#define LAMBDA0 1e-3
#define LAMBDA_MIN 1e-12
#define LAMBDA_MAX 1e8

/* Origins and z axes of frames 0..6, and the flange rotation. */
typedef struct {
    double o[7][3], z[7][3], r[3][3];
} frames;

static double clamp1(double q) {
    if (q != q)
        return 0.0;
    return q < -JOINT_LIMIT ? -JOINT_LIMIT : q > JOINT_LIMIT ? JOINT_LIMIT : q;
}

static void compute_frames(const double q[6], frames *f) {
    double r[3][3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}}, p[3] = {0, 0, 0};
    for (int k = 0; k < 3; k++)
        f->o[0][k] = 0.0, f->z[0][k] = k == 2 ? 1.0 : 0.0;
    for (int i = 0; i < 6; i++) {
        double c = cos(q[i]), s = sin(q[i]), ca = COS_ALPHA[i], sa = SIN_ALPHA[i];
        double lr[3][3] = {{c, -s * ca, s * sa}, {s, c * ca, -c * sa}, {0.0, sa, ca}};
        double lp[3] = {DH_A[i] * c, DH_A[i] * s, DH_D[i]};
        double nr[3][3], np[3];
        for (int k = 0; k < 3; k++) {
            for (int j = 0; j < 3; j++)
                nr[k][j] = r[k][0] * lr[0][j] + r[k][1] * lr[1][j] + r[k][2] * lr[2][j];
            np[k] = r[k][0] * lp[0] + r[k][1] * lp[1] + r[k][2] * lp[2] + p[k];
        }
        for (int k = 0; k < 3; k++) {
            for (int j = 0; j < 3; j++)
                r[k][j] = nr[k][j];
            p[k] = np[k];
            f->o[i + 1][k] = p[k];
        }
        for (int k = 0; k < 3; k++)
            f->z[i + 1][k] = r[k][2];
    }
    for (int k = 0; k < 3; k++)
        for (int j = 0; j < 3; j++)
            f->r[k][j] = r[k][j];
}

static double error_of(const double t[3], const double p[3], double e[3]) {
    e[0] = t[0] - p[0], e[1] = t[1] - p[1], e[2] = t[2] - p[2];
    return sqrt(e[0] * e[0] + e[1] * e[1] + e[2] * e[2]);
}

/* dq = J^T (J J^T + lam I)^-1 e; 0 when the 3x3 system is singular. */
static int lm_step(const frames *f, const double e[3], double lam, double dq[6]) {
    double jac[6][3], a[3][3];
    const double *pe = f->o[6];
    for (int i = 0; i < 6; i++) {
        const double *z = f->z[i];
        double v[3] = {pe[0] - f->o[i][0], pe[1] - f->o[i][1], pe[2] - f->o[i][2]};
        jac[i][0] = z[1] * v[2] - z[2] * v[1];
        jac[i][1] = z[2] * v[0] - z[0] * v[2];
        jac[i][2] = z[0] * v[1] - z[1] * v[0];
    }
    for (int r = 0; r < 3; r++) {
        for (int c = 0; c < 3; c++) {
            double acc = 0.0;
            for (int i = 0; i < 6; i++)
                acc += jac[i][r] * jac[i][c];
            a[r][c] = acc;
        }
        a[r][r] += lam;
    }
    double m0 = a[1][1] * a[2][2] - a[1][2] * a[2][1];
    double m1 = a[1][0] * a[2][2] - a[1][2] * a[2][0];
    double m2 = a[1][0] * a[2][1] - a[1][1] * a[2][0];
    double det = a[0][0] * m0 - a[0][1] * m1 + a[0][2] * m2;
    if (!(det > 0.0) || det == INFINITY)
        return 0;
    double y0 =
        (e[0] * m0 - a[0][1] * (e[1] * a[2][2] - a[1][2] * e[2]) + a[0][2] * (e[1] * a[2][1] - a[1][1] * e[2])) /
        det;
    double y1 =
        (a[0][0] * (e[1] * a[2][2] - a[1][2] * e[2]) - e[0] * m1 + a[0][2] * (a[1][0] * e[2] - e[1] * a[2][0])) /
        det;
    double y2 =
        (a[0][0] * (a[1][1] * e[2] - e[1] * a[2][1]) - a[0][1] * (a[1][0] * e[2] - e[1] * a[2][0]) + e[0] * m2) /
        det;
    for (int i = 0; i < 6; i++)
        dq[i] = jac[i][0] * y0 + jac[i][1] * y1 + jac[i][2] * y2;
    return 1;
}

/* One LM run from start into q; returns the error, adds the iterations. */
static double descend(const double t[3], const double start[6], double q[6], int *iters) {
    frames f, fn;
    double e[3], en[3], qn[6], dq[6], lam = LAMBDA0;
    for (int i = 0; i < 6; i++)
        q[i] = clamp1(start[i]);
    compute_frames(q, &f);
    double err = error_of(t, f.o[6], e);
    int it = 0;
    while (it < MAX_ITER && err > STOP_TOL) {
        it++;
        if (lm_step(&f, e, lam, dq)) {
            for (int i = 0; i < 6; i++)
                qn[i] = clamp1(q[i] + dq[i]);
            compute_frames(qn, &fn);
            double errn = error_of(t, fn.o[6], en);
            if (errn < err) {
                for (int i = 0; i < 6; i++)
                    q[i] = qn[i];
                f = fn, err = errn;
                e[0] = en[0], e[1] = en[1], e[2] = en[2];
                lam = lam * 0.1 > LAMBDA_MIN ? lam * 0.1 : LAMBDA_MIN;
                continue;
            }
        }
        lam = lam * 10.0;
        if (lam > LAMBDA_MAX)
            break;
    }
    *iters += it;
    return err;
}

/* The full solve of the reference's solve_ik_from: out = q1..q6, reached, error, iterations. */
static void solve_from(const double t[3], const double start[6], double out[9]) {
    int it = 0;
    double q[6], qs[6], err;
    if (!isfinite(t[0]) || !isfinite(t[1]) || !isfinite(t[2])) {
        for (int i = 0; i < 6; i++)
            out[i] = clamp1(start[i]);
        out[6] = 0.0, out[7] = INFINITY, out[8] = 0.0;
        return;
    }
    err = descend(t, start, q, &it);
    for (int s = 0; s < 4 && err > REACH_TOL; s++) {
        double errs = descend(t, RESTARTS[s], qs, &it);
        if (errs < err) {
            err = errs;
            for (int i = 0; i < 6; i++)
                q[i] = qs[i];
        }
    }
    for (int i = 0; i < 6; i++)
        out[i] = q[i];
    out[6] = err <= REACH_TOL ? 1.0 : 0.0, out[7] = err, out[8] = (double)it;
}

static double result[12];

PORTALIS_EXPORT("forward_kinematics")
double *forward_kinematics(double q1, double q2, double q3, double q4, double q5, double q6) {
    const double q[6] = {q1, q2, q3, q4, q5, q6};
    frames f;
    compute_frames(q, &f);
    for (int k = 0; k < 3; k++) {
        result[k] = f.o[6][k];
        for (int j = 0; j < 3; j++)
            result[3 + 3 * k + j] = f.r[k][j];
    }
    return result;
}

PORTALIS_EXPORT("clamp_angles")
double *clamp_angles(double q1, double q2, double q3, double q4, double q5, double q6) {
    const double q[6] = {q1, q2, q3, q4, q5, q6};
    for (int i = 0; i < 6; i++)
        result[i] = clamp1(q[i]);
    return result;
}

PORTALIS_EXPORT("ik_solve_from")
double *ik_solve_from(double x, double y, double z, double q1, double q2, double q3, double q4, double q5,
                      double q6) {
    const double t[3] = {x, y, z}, q[6] = {q1, q2, q3, q4, q5, q6};
    solve_from(t, q, result);
    return result;
}

static double current[6] = {0.0, -HALF_PI, HALF_PI, -HALF_PI, -HALF_PI, 0.0};

PORTALIS_EXPORT("solve_ik") double *solve_ik(double x, double y, double z) {
    const double t[3] = {x, y, z};
    solve_from(t, current, result);
    for (int i = 0; i < 6; i++)
        current[i] = result[i];
    return result;
}

/* ---- Tick module: control modes (../README.md, "Control modes") ---- */

enum { MODE_POSITION = 0, MODE_VELOCITY = 1, MODE_TORQUE = 2 };
/* Simple joint dynamics: I qdd = tau - B qd, each joint independent (no
 * gravity, no coupling); PD gains place both poles at -OMEGA (critical damping). */
static const double INERTIA[6] = {2.0, 2.0, 1.0, 0.2, 0.2, 0.1};
static const double TORQUE_LIMIT[6] = {150.0, 150.0, 150.0, 28.0, 28.0, 28.0};
#define FRICTION 0.1
#define OMEGA 25.0

typedef struct {
    portalis_attr_t target, joint[6], effector, reached, error, torque;
    double q[6], qd[6], goal[6], fixed_target[3];
    int ready, mode, joint_space;
} arm_state;

static arm_state arm;

static int token_is(const char *buf, int32_t n, const char *want) {
    int32_t i = 0;
    while (i < n && want[i] && buf[i] == want[i])
        i++;
    return i == n && want[i] == 0;
}

/* The WasmRobotics attributes (read once, docs/abi.md "Configuration
 * attributes"): wasm:controlMode picks the mode; six wasm:jointTargets make
 * the goal a fixed joint configuration (no IK); wasm:endEffectorTarget is the
 * target when the prim has no inputs:endEffectorTarget channel;
 * wasm:kinematicsFunction must name this module's IK export. */
static void read_config(void) {
    char buf[32];
    int32_t n = PORTALIS_CONFIG_STR("wasm:controlMode", buf, (int32_t)sizeof buf);
    arm.mode = MODE_POSITION;
    if (n >= 0 && token_is(buf, n, "velocity"))
        arm.mode = MODE_VELOCITY;
    else if (n >= 0 && token_is(buf, n, "torque"))
        arm.mode = MODE_TORQUE;
    else if (n >= 0 && !token_is(buf, n, "position"))
        PORTALIS_LOG("wasm:controlMode is not position, velocity or torque; using position");
    n = PORTALIS_CONFIG_STR("wasm:kinematicsFunction", buf, (int32_t)sizeof buf);
    if (n >= 0 && !token_is(buf, n, "solve_ik") && !token_is(buf, n, "ik_solve_from"))
        PORTALIS_LOG("wasm:kinematicsFunction names an export this module lacks (solve_ik, ik_solve_from)");
    n = PORTALIS_CONFIG_COUNT("wasm:jointTargets");
    arm.joint_space = n == 6;
    for (int i = 0; i < 6 && arm.joint_space; i++)
        arm.goal[i] = clamp1(PORTALIS_CONFIG_F64("wasm:jointTargets", i));
    if (n > 0 && n != 6)
        PORTALIS_LOG("wasm:jointTargets needs 6 values (radians), one per joint; ignored");
    for (int k = 0; k < 3; k++)
        arm.fixed_target[k] = PORTALIS_CONFIG_F64("wasm:endEffectorTarget", k);
}

static void arm_setup(void) {
    static const char *names[6] = {"outputs:joint1", "outputs:joint2", "outputs:joint3",
                                   "outputs:joint4", "outputs:joint5", "outputs:joint6"};
    arm.target = PORTALIS_ATTR("inputs:endEffectorTarget");
    for (int i = 0; i < 6; i++) {
        int32_t n = 0;
        while (names[i][n])
            n++;
        arm.joint[i] = portalis_attr(names[i], n);
    }
    arm.effector = PORTALIS_ATTR("outputs:endEffector");
    arm.reached = PORTALIS_ATTR("outputs:reached");
    arm.error = PORTALIS_ATTR("outputs:ikError");
    arm.torque = PORTALIS_ATTR("outputs:peakTorqueRatio");
    for (int i = 0; i < 6; i++)
        arm.q[i] = HOME[i], arm.goal[i] = HOME[i], arm.qd[i] = 0.0;
    read_config();
    arm.ready = 1;
}

/* Advances the joints one control step toward the goal; returns the largest |tau|/limit. */
static double control_step(int mode, double dt) {
    double peak = 0.0;
    for (int i = 0; i < 6; i++) {
        double diff = arm.goal[i] - arm.q[i];
        if (mode == MODE_VELOCITY) {
            double m = VELOCITY_LIMIT * dt;
            arm.q[i] += diff < -m ? -m : diff > m ? m : diff;
        } else if (mode == MODE_TORQUE) {
            double kp = INERTIA[i] * OMEGA * OMEGA, kd = 2.0 * INERTIA[i] * OMEGA - FRICTION;
            double tau = kp * diff - kd * arm.qd[i];
            tau = tau < -TORQUE_LIMIT[i] ? -TORQUE_LIMIT[i] : tau > TORQUE_LIMIT[i] ? TORQUE_LIMIT[i] : tau;
            peak = fmax(peak, fabs(tau) / TORQUE_LIMIT[i]);
            arm.qd[i] += dt * (tau - FRICTION * arm.qd[i]) / INERTIA[i];
            arm.q[i] = clamp1(arm.q[i] + dt * arm.qd[i]);
        } else {
            arm.q[i] = arm.goal[i];
        }
    }
    return peak;
}

PORTALIS_EXPORT("update") void update(double time, double dt) {
    (void)time;
    if (!arm.ready)
        arm_setup();
    double t[3] = {arm.fixed_target[0], arm.fixed_target[1], arm.fixed_target[2]}, out[9];
    if (arm.target >= 0)
        portalis_get_vec3(arm.target, t);
    if (arm.joint_space) {
        for (int i = 0; i < 6; i++)
            out[i] = arm.goal[i];
        out[6] = 1.0, out[7] = 0.0;
    } else {
        solve_from(t, arm.goal, out);
        for (int i = 0; i < 6; i++)
            arm.goal[i] = out[i];
    }
    double peak = control_step(arm.mode, dt > 0.0 ? dt : 0.0);
    frames f;
    compute_frames(arm.q, &f);
    for (int i = 0; i < 6; i++)
        portalis_set_f64(arm.joint[i], arm.q[i] * (180.0 / 3.141592653589793));
    portalis_set_vec3(arm.effector, f.o[6][0], f.o[6][1], f.o[6][2]);
    portalis_set_f64(arm.reached, out[6]);
    portalis_set_f64(arm.error, out[7]);
    if (arm.torque >= 0)
        portalis_set_f64(arm.torque, peak);
}
