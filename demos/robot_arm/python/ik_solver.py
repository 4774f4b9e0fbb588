#!/usr/bin/env python3
"""Inverse kinematics of a Universal Robots UR5e arm: the plain-Python
reference of the robot arm demonstration (demos/robot_arm/README.md).

The C (../c/ik_solver.c) and Rust (../rust/ik_solver.rs) modules compute the
same expressions in the same order, so their results agree with this file to
rounding (the tests require 1e-9).

Kinematics: the UR5e's published standard Denavit-Hartenberg parameters
(a, d, alpha per joint, metres and radians) and joint limits (+-360 degrees on
every joint; 180 degrees/s each). Joint i's transform is
Rz(theta_i) * Tz(d_i) * Tx(a_i) * Rx(alpha_i).

Position IK (3 equations, 6 unknowns) by Levenberg-Marquardt with box limits:
  e = target - p(q); J = dp/dq (3x6, z_{i-1} x (p - o_{i-1}));
  dq = J^T (J J^T + lambda I)^-1 e   (damped least squares, 3x3 solve);
  q' = clamp(q + dq); accept when |e(q')| < |e(q)| and divide lambda by 10,
  else reject and multiply lambda by 10 (projected LM).
It starts from the current angles (warm start: continuous motion, 1-3
iterations per control step) and stops when |e| <= STOP_TOL (1e-10 m), after
MAX_ITER accepted-or-rejected iterations, or when lambda exceeds LAMBDA_MAX
(no step improves: a local minimum of the distance). The result is "reached"
when |e| <= REACH_TOL (1e-6 m). For an unreachable target the iteration
minimises the distance, so it ends at the closest reachable point it finds
with reached = False; angles are never NaN (non-finite targets return the
clamped start angles, reached False, error = inf).

Run as a program: `ik_solver.py --batch` reads lines "x y z q1..q6" (target,
start angles) and prints "q1..q6 reached error iterations" per line.
"""
import math
import sys

DH_A = (0.0, -0.425, -0.3922, 0.0, 0.0, 0.0)
DH_D = (0.1625, 0.0, 0.0, 0.1333, 0.0997, 0.0996)
# alpha = (pi/2, 0, 0, pi/2, -pi/2, 0): exact sines and cosines.
SIN_ALPHA = (1.0, 0.0, 0.0, 1.0, -1.0, 0.0)
COS_ALPHA = (0.0, 1.0, 1.0, 0.0, 0.0, 1.0)
JOINT_LIMIT = 6.283185307179586  # +-2 pi on every joint
VELOCITY_LIMIT = 3.141592653589793  # rad/s on every joint
HOME = (0.0, -1.5707963267948966, 1.5707963267948966, -1.5707963267948966, -1.5707963267948966, 0.0)
# Restart configurations tried in turn when a run from the start angles ends
# unreached (a joint stuck at its limit, or a local minimum): elbow up and
# down with the base turned to each quadrant.
RESTARTS = (
    (0.0, -1.5707963267948966, 1.5707963267948966, 0.0, 0.0, 0.0),
    (1.5707963267948966, -1.5707963267948966, -1.5707963267948966, 0.0, 0.0, 0.0),
    (3.141592653589793, -1.5707963267948966, 1.5707963267948966, 0.0, 0.0, 0.0),
    (-1.5707963267948966, -1.5707963267948966, -1.5707963267948966, 0.0, 0.0, 0.0),
)

STOP_TOL = 1e-10
REACH_TOL = 1e-6
MAX_ITER = 100
LAMBDA0 = 1e-3
LAMBDA_MIN = 1e-12
LAMBDA_MAX = 1e8


def clamp_angles(angles):
    """Joint angles limited to [-JOINT_LIMIT, JOINT_LIMIT]; NaN becomes 0."""
    out = []
    for q in angles:
        if q != q:
            q = 0.0
        out.append(-JOINT_LIMIT if q < -JOINT_LIMIT else JOINT_LIMIT if q > JOINT_LIMIT else q)
    return out


def _frames(q):
    """Origins and z axes of frames 0..6 (frame 0: base), and the last rotation."""
    r = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    p = [0.0, 0.0, 0.0]
    origins = [p]
    axes = [[0.0, 0.0, 1.0]]
    for i in range(6):
        c = math.cos(q[i])
        s = math.sin(q[i])
        ca = COS_ALPHA[i]
        sa = SIN_ALPHA[i]
        lr = ((c, -s * ca, s * sa), (s, c * ca, -c * sa), (0.0, sa, ca))
        lp = (DH_A[i] * c, DH_A[i] * s, DH_D[i])
        nr = [[r[k][0] * lr[0][j] + r[k][1] * lr[1][j] + r[k][2] * lr[2][j] for j in range(3)] for k in range(3)]
        p = [r[k][0] * lp[0] + r[k][1] * lp[1] + r[k][2] * lp[2] + p[k] for k in range(3)]
        r = nr
        origins.append(p)
        axes.append([r[0][2], r[1][2], r[2][2]])
    return origins, axes, r


def forward_kinematics(angles):
    """End-effector (flange) position (x, y, z) in metres and orientation as a
    row-major 3x3 rotation matrix (9 values), base frame."""
    origins, _, r = _frames(angles)
    return tuple(origins[6]), (r[0][0], r[0][1], r[0][2], r[1][0], r[1][1], r[1][2], r[2][0], r[2][1], r[2][2])


def _error(target, p):
    e = (target[0] - p[0], target[1] - p[1], target[2] - p[2])
    return e, math.sqrt(e[0] * e[0] + e[1] * e[1] + e[2] * e[2])


def _step(origins, axes, e, lam):
    """dq = J^T (J J^T + lam I)^-1 e, or None when the system is singular."""
    pe = origins[6]
    jac = []
    for i in range(6):
        z = axes[i]
        v = (pe[0] - origins[i][0], pe[1] - origins[i][1], pe[2] - origins[i][2])
        jac.append((z[1] * v[2] - z[2] * v[1], z[2] * v[0] - z[0] * v[2], z[0] * v[1] - z[1] * v[0]))
    a = [[0.0] * 3 for _ in range(3)]
    for r in range(3):
        for c in range(3):
            acc = 0.0
            for i in range(6):
                acc += jac[i][r] * jac[i][c]
            a[r][c] = acc
        a[r][r] += lam
    m0 = a[1][1] * a[2][2] - a[1][2] * a[2][1]
    m1 = a[1][0] * a[2][2] - a[1][2] * a[2][0]
    m2 = a[1][0] * a[2][1] - a[1][1] * a[2][0]
    det = a[0][0] * m0 - a[0][1] * m1 + a[0][2] * m2
    if not det > 0.0 or det == math.inf:
        return None
    y0 = (e[0] * m0 - a[0][1] * (e[1] * a[2][2] - a[1][2] * e[2]) + a[0][2] * (e[1] * a[2][1] - a[1][1] * e[2])) / det
    y1 = (a[0][0] * (e[1] * a[2][2] - a[1][2] * e[2]) - e[0] * m1 + a[0][2] * (a[1][0] * e[2] - e[1] * a[2][0])) / det
    y2 = (a[0][0] * (a[1][1] * e[2] - e[1] * a[2][1]) - a[0][1] * (a[1][0] * e[2] - e[1] * a[2][0]) + e[0] * m2) / det
    return [jac[i][0] * y0 + jac[i][1] * y1 + jac[i][2] * y2 for i in range(6)]


def _descend(target, start):
    """One LM run from start: (angles, error_m, iterations)."""
    q = clamp_angles(start)
    origins, axes, _ = _frames(q)
    e, err = _error(target, origins[6])
    lam = LAMBDA0
    it = 0
    while it < MAX_ITER and err > STOP_TOL:
        it += 1
        dq = _step(origins, axes, e, lam)
        if dq is not None:
            qn = clamp_angles([q[i] + dq[i] for i in range(6)])
            on, an, _ = _frames(qn)
            en, errn = _error(target, on[6])
            if errn < err:
                q, origins, axes, e, err = qn, on, an, en, errn
                lam = lam * 0.1 if lam * 0.1 > LAMBDA_MIN else LAMBDA_MIN
                continue
        lam = lam * 10.0
        if lam > LAMBDA_MAX:
            break
    return q, err, it


def solve_ik_from(target, start):
    """Position IK from the start angles: (angles, reached, error_m,
    iterations). When the run from start ends unreached, each RESTARTS
    configuration is tried in turn; the closest result is returned."""
    if not all(math.isfinite(t) for t in target):
        return clamp_angles(start), False, math.inf, 0
    q, err, it = _descend(target, start)
    for seed in RESTARTS:
        if err <= REACH_TOL:
            break
        qs, errs, its = _descend(target, seed)
        it += its
        if errs < err:
            q, err = qs, errs
    return q, err <= REACH_TOL, err, it


_current = list(HOME)


def solve_ik(target_x, target_y, target_z):
    """Joint angles reaching (x, y, z), warm-started from the previous
    solution (initially HOME); the solution becomes the current angles."""
    global _current
    q, _, _, _ = solve_ik_from((target_x, target_y, target_z), _current)
    _current = q
    return q


def main():
    if sys.argv[1:] != ["--batch"]:
        print("usage: ik_solver.py --batch < 'x y z q1..q6' lines", file=sys.stderr)
        return 2
    out = []
    for line in sys.stdin:
        v = [float(x) for x in line.split()]
        if len(v) != 9:
            continue
        q, ok, err, it = solve_ik_from(v[0:3], v[3:9])
        out.append(" ".join("%.17g" % x for x in q) + " %d %.17g %d" % (1 if ok else 0, err, it))
    sys.stdout.write("\n".join(out) + ("\n" if out else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
