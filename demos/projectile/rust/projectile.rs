//! Projectile motion (no drag) as a WebAssembly module: the Rust version of
//! python/projectile.py. Built with Debian's rustc:
//!   rustc --target wasm32-unknown-unknown -O --crate-type cdylib projectile.rs
//! Exports follow Portalis module ABI v1 (docs/abi.md); see ../c/projectile.c.

const GRAVITY: f64 = 9.81;
const DEG_TO_RAD: f64 = 3.141592653589793 / 180.0;

static mut RESULT: [f64; 3] = [0.0; 3];

#[no_mangle]
pub extern "C" fn calculate_trajectory(v: f64, angle: f64, t: f64) -> *const f64 {
    // Safety: wasm modules are single-threaded; the host reads the result
    // before the next call.
    unsafe {
        RESULT = position(v, angle * DEG_TO_RAD, t);
        RESULT.as_ptr()
    }
}

/// Time the projectile is back on the ground (z = 0), a in radians: from
/// then on it stays where it landed instead of falling through.
fn landing_time(v: f64, a: f64) -> f64 {
    let tf = 2.0 * v * a.sin() / GRAVITY;
    if tf > 0.0 { tf } else { 0.0 }
}

fn position(v: f64, a: f64, t: f64) -> [f64; 3] {
    let tl = landing_time(v, a);
    if t >= tl {
        return [v * a.cos() * tl, 0.0, 0.0];
    }
    [v * a.cos() * t, 0.0, v * a.sin() * t - 0.5 * GRAVITY * t * t]
}

#[no_mangle]
pub extern "C" fn calculate_max_height(v: f64, angle: f64) -> f64 {
    let s = v * (angle * DEG_TO_RAD).sin();
    s * s / (2.0 * GRAVITY)
}

#[no_mangle]
pub extern "C" fn calculate_range(v: f64, angle: f64) -> f64 {
    v * v * (2.0 * (angle * DEG_TO_RAD)).sin() / GRAVITY
}

#[no_mangle]
pub extern "C" fn calculate_flight_time(v: f64, angle: f64) -> f64 {
    2.0 * v * (angle * DEG_TO_RAD).sin() / GRAVITY
}

/// Bulk form: n speeds and angles in, n (x, y, z) triples out.
#[no_mangle]
pub unsafe extern "C" fn trajectory_batch(n: i32, v: *const f64, angle: *const f64, t: f64, out: *mut f64) {
    let n = if n < 0 { 0 } else { n as usize };
    let v = core::slice::from_raw_parts(v, n);
    let angle = core::slice::from_raw_parts(angle, n);
    let out = core::slice::from_raw_parts_mut(out, 3 * n);
    for i in 0..n {
        let p = position(v[i], angle[i] * DEG_TO_RAD, t);
        out[3 * i..3 * i + 3].copy_from_slice(&p);
    }
}

/// Host buffers for bulk data (never freed: the host allocates once per binding).
#[no_mangle]
pub extern "C" fn portalis_alloc(bytes: i32) -> *mut u8 {
    let n = if bytes < 0 { 0 } else { bytes as usize };
    let mut v: Vec<u8> = Vec::with_capacity(n);
    let p = v.as_mut_ptr();
    core::mem::forget(v);
    p
}
