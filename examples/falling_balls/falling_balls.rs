//! Pure functions in Rust (no glue code): the scene binds them with
//! wasm:params / wasm:results (docs/abi.md (b), (c)); see falling_balls.usda.
//!   landing_time(height, radius, gravity) -> f64
//!   drop_positions(n, x[], height[], radius, gravity, time, out[])
//!       every ball at once; the host copies the arrays in and out of linear
//!       memory through buffers it gets from `portalis_alloc`.
//! Balls are dropped at time 0 and stop when they reach the ground.
//! Build and run: docs/modules.md.
#![no_std]

use portalis::math::sqrt;

portalis::export_alloc!();

/// Seconds until a ball whose centre starts at `height` touches the ground
/// (its centre at `radius`).
#[no_mangle]
pub extern "C" fn landing_time(height: f64, radius: f64, gravity: f64) -> f64 {
    sqrt(2.0 * (height - radius) / gravity)
}

/// Centre height of a ball dropped from `height`, `time` seconds later.
fn fall(height: f64, radius: f64, gravity: f64, time: f64) -> f64 {
    let z = height - 0.5 * gravity * time * time;
    if z > radius {
        z
    } else {
        radius
    }
}

/// Positions (x, 0, z) of n balls; `x` and `height` hold n values, `out` 3n.
///
/// # Safety
/// The host passes pointers to buffers of those sizes in linear memory.
#[no_mangle]
pub unsafe extern "C" fn drop_positions(
    n: i32,
    x: *const f64,
    height: *const f64,
    radius: f64,
    gravity: f64,
    time: f64,
    out: *mut f64,
) {
    let n = if n < 0 { 0 } else { n as usize };
    let x = core::slice::from_raw_parts(x, n);
    let height = core::slice::from_raw_parts(height, n);
    let out = core::slice::from_raw_parts_mut(out, 3 * n);
    for i in 0..n {
        out[3 * i] = x[i];
        out[3 * i + 1] = 0.0;
        out[3 * i + 2] = fall(height[i], radius, gravity, time);
    }
}
