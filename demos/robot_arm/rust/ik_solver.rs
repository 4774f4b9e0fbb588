//! UR5e position inverse kinematics and joint control as a WebAssembly
//! module: the Rust version of ../python/ik_solver.py, export for export the
//! same as ../c/ik_solver.c (see there and ../README.md). Uses std for
//! sin/cos and the SDK (sdk/rust, built without its panic handler since std
//! has one) for the host imports:
//!   rustc --edition 2021 --target wasm32-unknown-unknown -O --crate-type rlib --crate-name portalis \
//!         -o libportalis.rlib sdk/rust/src/lib.rs
//!   rustc --edition 2021 --target wasm32-unknown-unknown -O --crate-type cdylib -C strip=symbols \
//!         --extern portalis=libportalis.rlib -o robot_arm_rust.wasm ik_solver.rs
use portalis::Attr;
use std::cell::RefCell;

const DH_A: [f64; 6] = [0.0, -0.425, -0.3922, 0.0, 0.0, 0.0];
const DH_D: [f64; 6] = [0.1625, 0.0, 0.0, 0.1333, 0.0997, 0.0996];
const SIN_ALPHA: [f64; 6] = [1.0, 0.0, 0.0, 1.0, -1.0, 0.0];
const COS_ALPHA: [f64; 6] = [0.0, 1.0, 1.0, 0.0, 0.0, 1.0];
const JOINT_LIMIT: f64 = 6.283185307179586;
const VELOCITY_LIMIT: f64 = 3.141592653589793;
const HALF_PI: f64 = 1.5707963267948966;
const HOME: [f64; 6] = [0.0, -HALF_PI, HALF_PI, -HALF_PI, -HALF_PI, 0.0];
const RESTARTS: [[f64; 6]; 4] = [
    [0.0, -HALF_PI, HALF_PI, 0.0, 0.0, 0.0],
    [HALF_PI, -HALF_PI, -HALF_PI, 0.0, 0.0, 0.0],
    [3.141592653589793, -HALF_PI, HALF_PI, 0.0, 0.0, 0.0],
    [-HALF_PI, -HALF_PI, -HALF_PI, 0.0, 0.0, 0.0],
];
const STOP_TOL: f64 = 1e-10;
const REACH_TOL: f64 = 1e-6;
const MAX_ITER: i32 = 100;
const LAMBDA0: f64 = 1e-3;
const LAMBDA_MIN: f64 = 1e-12;
const LAMBDA_MAX: f64 = 1e8;

/// Origins and z axes of frames 0..6, and the flange rotation.
#[derive(Clone, Copy)]
struct Frames {
    o: [[f64; 3]; 7],
    z: [[f64; 3]; 7],
    r: [[f64; 3]; 3],
}

fn clamp1(q: f64) -> f64 {
    if q.is_nan() {
        0.0
    } else if q < -JOINT_LIMIT {
        -JOINT_LIMIT
    } else if q > JOINT_LIMIT {
        JOINT_LIMIT
    } else {
        q
    }
}

fn compute_frames(q: &[f64; 6]) -> Frames {
    let mut f = Frames { o: [[0.0; 3]; 7], z: [[0.0; 3]; 7], r: [[0.0; 3]; 3] };
    let mut r = [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];
    let mut p = [0.0f64; 3];
    f.z[0] = [0.0, 0.0, 1.0];
    for i in 0..6 {
        let (c, s, ca, sa) = (q[i].cos(), q[i].sin(), COS_ALPHA[i], SIN_ALPHA[i]);
        let lr = [[c, -s * ca, s * sa], [s, c * ca, -c * sa], [0.0, sa, ca]];
        let lp = [DH_A[i] * c, DH_A[i] * s, DH_D[i]];
        let mut nr = [[0.0f64; 3]; 3];
        let mut np = [0.0f64; 3];
        for k in 0..3 {
            for j in 0..3 {
                nr[k][j] = r[k][0] * lr[0][j] + r[k][1] * lr[1][j] + r[k][2] * lr[2][j];
            }
            np[k] = r[k][0] * lp[0] + r[k][1] * lp[1] + r[k][2] * lp[2] + p[k];
        }
        r = nr;
        p = np;
        f.o[i + 1] = p;
        f.z[i + 1] = [r[0][2], r[1][2], r[2][2]];
    }
    f.r = r;
    f
}

fn error_of(t: &[f64; 3], p: &[f64; 3], e: &mut [f64; 3]) -> f64 {
    *e = [t[0] - p[0], t[1] - p[1], t[2] - p[2]];
    (e[0] * e[0] + e[1] * e[1] + e[2] * e[2]).sqrt()
}

/// dq = J^T (J J^T + lam I)^-1 e; None when the 3x3 system is singular.
fn lm_step(f: &Frames, e: &[f64; 3], lam: f64) -> Option<[f64; 6]> {
    let pe = f.o[6];
    let mut jac = [[0.0f64; 3]; 6];
    for i in 0..6 {
        let z = f.z[i];
        let v = [pe[0] - f.o[i][0], pe[1] - f.o[i][1], pe[2] - f.o[i][2]];
        jac[i] = [z[1] * v[2] - z[2] * v[1], z[2] * v[0] - z[0] * v[2], z[0] * v[1] - z[1] * v[0]];
    }
    let mut a = [[0.0f64; 3]; 3];
    for r in 0..3 {
        for c in 0..3 {
            let mut acc = 0.0;
            for i in 0..6 {
                acc += jac[i][r] * jac[i][c];
            }
            a[r][c] = acc;
        }
        a[r][r] += lam;
    }
    let m0 = a[1][1] * a[2][2] - a[1][2] * a[2][1];
    let m1 = a[1][0] * a[2][2] - a[1][2] * a[2][0];
    let m2 = a[1][0] * a[2][1] - a[1][1] * a[2][0];
    let det = a[0][0] * m0 - a[0][1] * m1 + a[0][2] * m2;
    if !(det > 0.0) || det == f64::INFINITY {
        return None;
    }
    let y0 = (e[0] * m0 - a[0][1] * (e[1] * a[2][2] - a[1][2] * e[2]) + a[0][2] * (e[1] * a[2][1] - a[1][1] * e[2])) / det;
    let y1 = (a[0][0] * (e[1] * a[2][2] - a[1][2] * e[2]) - e[0] * m1 + a[0][2] * (a[1][0] * e[2] - e[1] * a[2][0])) / det;
    let y2 = (a[0][0] * (a[1][1] * e[2] - e[1] * a[2][1]) - a[0][1] * (a[1][0] * e[2] - e[1] * a[2][0]) + e[0] * m2) / det;
    let mut dq = [0.0f64; 6];
    for i in 0..6 {
        dq[i] = jac[i][0] * y0 + jac[i][1] * y1 + jac[i][2] * y2;
    }
    Some(dq)
}

/// One LM run from start into q; returns the error, adds the iterations.
fn descend(t: &[f64; 3], start: &[f64; 6], q: &mut [f64; 6], iters: &mut i32) -> f64 {
    let mut e = [0.0f64; 3];
    let mut en = [0.0f64; 3];
    let mut lam = LAMBDA0;
    for i in 0..6 {
        q[i] = clamp1(start[i]);
    }
    let mut f = compute_frames(q);
    let mut err = error_of(t, &f.o[6], &mut e);
    let mut it = 0;
    while it < MAX_ITER && err > STOP_TOL {
        it += 1;
        if let Some(dq) = lm_step(&f, &e, lam) {
            let mut qn = [0.0f64; 6];
            for i in 0..6 {
                qn[i] = clamp1(q[i] + dq[i]);
            }
            let fnew = compute_frames(&qn);
            let errn = error_of(t, &fnew.o[6], &mut en);
            if errn < err {
                *q = qn;
                f = fnew;
                err = errn;
                e = en;
                lam = if lam * 0.1 > LAMBDA_MIN { lam * 0.1 } else { LAMBDA_MIN };
                continue;
            }
        }
        lam = lam * 10.0;
        if lam > LAMBDA_MAX {
            break;
        }
    }
    *iters += it;
    err
}

/// The reference's solve_ik_from: q1..q6, reached, error, iterations.
fn solve_from(t: &[f64; 3], start: &[f64; 6]) -> [f64; 9] {
    let mut out = [0.0f64; 9];
    if !(t[0].is_finite() && t[1].is_finite() && t[2].is_finite()) {
        for i in 0..6 {
            out[i] = clamp1(start[i]);
        }
        out[7] = f64::INFINITY;
        return out;
    }
    let mut it = 0;
    let mut q = [0.0f64; 6];
    let mut err = descend(t, start, &mut q, &mut it);
    for seed in RESTARTS.iter() {
        if err <= REACH_TOL {
            break;
        }
        let mut qs = [0.0f64; 6];
        let errs = descend(t, seed, &mut qs, &mut it);
        if errs < err {
            err = errs;
            q = qs;
        }
    }
    out[..6].copy_from_slice(&q);
    out[6] = if err <= REACH_TOL { 1.0 } else { 0.0 };
    out[7] = err;
    out[8] = it as f64;
    out
}

/// Joint dynamics of the torque mode: I qdd = tau - B qd per joint (../README.md).
const INERTIA: [f64; 6] = [2.0, 2.0, 1.0, 0.2, 0.2, 0.1];
const TORQUE_LIMIT: [f64; 6] = [150.0, 150.0, 150.0, 28.0, 28.0, 28.0];
const FRICTION: f64 = 0.1;
const OMEGA: f64 = 25.0;

struct Arm {
    target: Option<Attr>,
    fixed_target: [f64; 3],
    mode: i32,
    joint_space: bool,
    joint: [Attr; 6],
    effector: Attr,
    reached: Attr,
    error: Attr,
    torque: Option<Attr>,
    q: [f64; 6],
    qd: [f64; 6],
    goal: [f64; 6],
}

struct State {
    result: [f64; 12],
    current: [f64; 6],
    arm: Option<Arm>,
}

thread_local! {
    static STATE: RefCell<State> = RefCell::new(State { result: [0.0; 12], current: HOME, arm: None });
}

/// Stores v in the result buffer and returns its address (valid until the next call).
fn publish(v: &[f64]) -> *const f64 {
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        s.result[..v.len()].copy_from_slice(v);
        s.result.as_ptr()
    })
}

#[no_mangle]
pub extern "C" fn forward_kinematics(q1: f64, q2: f64, q3: f64, q4: f64, q5: f64, q6: f64) -> *const f64 {
    let f = compute_frames(&[q1, q2, q3, q4, q5, q6]);
    let mut out = [0.0f64; 12];
    for k in 0..3 {
        out[k] = f.o[6][k];
        for j in 0..3 {
            out[3 + 3 * k + j] = f.r[k][j];
        }
    }
    publish(&out)
}

#[no_mangle]
pub extern "C" fn clamp_angles(q1: f64, q2: f64, q3: f64, q4: f64, q5: f64, q6: f64) -> *const f64 {
    publish(&[q1, q2, q3, q4, q5, q6].map(clamp1))
}

#[no_mangle]
#[allow(clippy::too_many_arguments)]
pub extern "C" fn ik_solve_from(x: f64, y: f64, z: f64, q1: f64, q2: f64, q3: f64, q4: f64, q5: f64, q6: f64) -> *const f64 {
    publish(&solve_from(&[x, y, z], &[q1, q2, q3, q4, q5, q6]))
}

#[no_mangle]
pub extern "C" fn solve_ik(x: f64, y: f64, z: f64) -> *const f64 {
    let start = STATE.with(|s| s.borrow().current);
    let out = solve_from(&[x, y, z], &start);
    STATE.with(|s| s.borrow_mut().current.copy_from_slice(&out[..6]));
    publish(&out[..6])
}

fn must(name: &str) -> Attr {
    Attr::find(name).unwrap_or_else(|| panic!("missing channel {}", name))
}

/// The WasmRobotics attributes (read once, docs/abi.md "Configuration
/// attributes"), as ../c/ik_solver.c's read_config: wasm:controlMode, six
/// wasm:jointTargets (a fixed joint goal, no IK), wasm:endEffectorTarget
/// (the target without an inputs:endEffectorTarget channel),
/// wasm:kinematicsFunction (must name this module's IK export).
fn read_config(arm: &mut Arm) {
    let mut buf = [0u8; 32];
    arm.mode = match portalis::config_str("wasm:controlMode", &mut buf) {
        Some(b"velocity") => 1,
        Some(b"torque") => 2,
        Some(b"position") | None => 0,
        Some(_) => {
            portalis::log("wasm:controlMode is not position, velocity or torque; using position");
            0
        }
    };
    match portalis::config_str("wasm:kinematicsFunction", &mut buf) {
        Some(b"solve_ik") | Some(b"ik_solve_from") | None => {}
        Some(_) => portalis::log("wasm:kinematicsFunction names an export this module lacks (solve_ik, ik_solve_from)"),
    }
    let name = "wasm:jointTargets";
    let n = portalis::config_count(name).unwrap_or(0);
    arm.joint_space = n == 6;
    if arm.joint_space {
        for i in 0..6 {
            arm.goal[i] = clamp1(portalis::config_f64(name, i).unwrap_or(0.0));
        }
    } else if n > 0 {
        portalis::log("wasm:jointTargets needs 6 values (radians), one per joint; ignored");
    }
    for k in 0..3 {
        arm.fixed_target[k] = portalis::config_f64("wasm:endEffectorTarget", k).unwrap_or(0.0);
    }
}

fn arm_setup() -> Arm {
    let names = ["outputs:joint1", "outputs:joint2", "outputs:joint3", "outputs:joint4", "outputs:joint5", "outputs:joint6"];
    let mut arm = Arm {
        target: Attr::find("inputs:endEffectorTarget"),
        fixed_target: [0.0; 3],
        mode: 0,
        joint_space: false,
        joint: names.map(must),
        effector: must("outputs:endEffector"),
        reached: must("outputs:reached"),
        error: must("outputs:ikError"),
        torque: Attr::find("outputs:peakTorqueRatio"),
        q: HOME,
        qd: [0.0; 6],
        goal: HOME,
    };
    read_config(&mut arm);
    arm
}

/// Advances the joints one control step toward the goal; returns the largest |tau|/limit.
fn control_step(arm: &mut Arm, mode: i32, dt: f64) -> f64 {
    let mut peak = 0.0f64;
    for i in 0..6 {
        let diff = arm.goal[i] - arm.q[i];
        if mode == 1 {
            let m = VELOCITY_LIMIT * dt;
            arm.q[i] += if diff < -m { -m } else if diff > m { m } else { diff };
        } else if mode == 2 {
            let kp = INERTIA[i] * OMEGA * OMEGA;
            let kd = 2.0 * INERTIA[i] * OMEGA - FRICTION;
            let mut tau = kp * diff - kd * arm.qd[i];
            tau = if tau < -TORQUE_LIMIT[i] { -TORQUE_LIMIT[i] } else if tau > TORQUE_LIMIT[i] { TORQUE_LIMIT[i] } else { tau };
            peak = peak.max(tau.abs() / TORQUE_LIMIT[i]);
            arm.qd[i] += dt * (tau - FRICTION * arm.qd[i]) / INERTIA[i];
            arm.q[i] = clamp1(arm.q[i] + dt * arm.qd[i]);
        } else {
            arm.q[i] = arm.goal[i];
        }
    }
    peak
}

#[no_mangle]
pub extern "C" fn update(_time: f64, dt: f64) {
    STATE.with(|s| {
        let mut s = s.borrow_mut();
        let arm = s.arm.get_or_insert_with(arm_setup);
        let t = arm.target.map_or(arm.fixed_target, |a| a.get_vec3());
        let mut out = [0.0f64; 9];
        if arm.joint_space {
            out[..6].copy_from_slice(&arm.goal);
            out[6] = 1.0;
        } else {
            out = solve_from(&t, &arm.goal);
            arm.goal.copy_from_slice(&out[..6]);
        }
        let mode = arm.mode;
        let peak = control_step(arm, mode, if dt > 0.0 { dt } else { 0.0 });
        let f = compute_frames(&arm.q);
        for i in 0..6 {
            arm.joint[i].set(arm.q[i] * (180.0 / 3.141592653589793));
        }
        arm.effector.set_vec3(f.o[6]);
        arm.reached.set(out[6]);
        arm.error.set(out[7]);
        if let Some(t) = arm.torque {
            t.set(peak);
        }
    });
}
