//! Guest kernels for the SIMD test (tests/simd), in Rust: loops LLVM
//! vectorises with `-C target-feature=+simd128`, and `core::arch::wasm32`
//! intrinsics behind `cfg(target_feature = "simd128")` with a scalar twin.
//! `run` must return the same checksum from the SIMD and the scalar build.
#![no_std]

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    loop {}
}

const N: usize = 1024;

struct State {
    fx: [f32; N],
    fy: [f32; N],
    ia: [i32; N],
    ib: [i32; N],
    pa: [u8; N],
    pb: [u8; N],
    rng: u32,
}

static mut S: State = State { fx: [0.0; N], fy: [0.0; N], ia: [0; N], ib: [0; N], pa: [0; N], pb: [0; N], rng: 99 };

fn next(s: &mut State) -> u32 {
    s.rng = s.rng.wrapping_mul(1664525).wrapping_add(1013904223);
    s.rng
}

fn fill(s: &mut State) {
    for i in 0..N {
        s.fx[i] = (next(s) >> 8) as i32 as f32 / 65536.0;
        s.fy[i] = (next(s) >> 9) as f32 / 4096.0 - 100.0;
        s.ia[i] = next(s) as i32;
        s.ib[i] = (next(s) >> 3) as i32 - (1 << 27);
        s.pa[i] = next(s) as u8;
        s.pb[i] = (next(s) >> 24) as u8;
    }
}

fn step(s: &mut State, a: f32) {
    for i in 0..N {
        s.fy[i] = a * s.fx[i] + s.fy[i];
    }
    for i in 0..N {
        s.fx[i] = if s.fy[i] < 0.0 { -s.fy[i] } else { s.fy[i] * 0.25 };
    }
    for i in 0..N {
        s.ia[i] = s.ia[i].wrapping_mul(s.ib[i]).wrapping_add(s.ia[i] >> 7).max(s.ib[i]);
    }
    for i in 0..N {
        s.pa[i] = s.pa[i].saturating_add(s.pb[i]) ^ s.pb[i];
    }
}

#[cfg(target_feature = "simd128")]
fn lanes(s: &State) -> u64 {
    use core::arch::wasm32::*;
    let mut h = 0u64;
    let mut i = 0;
    while i + 4 <= N {
        unsafe {
            let a = v128_load(s.ia.as_ptr().add(i) as *const v128);
            let b = v128_load(s.ib.as_ptr().add(i) as *const v128);
            let f = v128_load(s.fx.as_ptr().add(i) as *const v128);
            let d = i32x4_dot_i16x8(a, b);
            let t = i32x4_trunc_sat_f32x4(f64x2_promote_low_f32x4(f) as v128);
            let m = i32x4_bitmask(i32x4_lt(a, b)) as u64;
            h = h.wrapping_mul(131).wrapping_add(m).wrapping_add(i32x4_extract_lane::<2>(d) as u32 as u64)
                .wrapping_add(u64x2_extract_lane::<0>(t));
        }
        i += 4;
    }
    h
}

#[cfg(not(target_feature = "simd128"))]
fn lanes(s: &State) -> u64 {
    let mut h = 0u64;
    let mut i = 0;
    while i + 4 <= N {
        let a = &s.ia[i..i + 4];
        let b = &s.ib[i..i + 4];
        // dot of the 16-bit halves of lane 2
        let (a2, b2) = (a[2], b[2]);
        let d2 = ((a2 as i16 as i32).wrapping_mul(b2 as i16 as i32))
            .wrapping_add(((a2 >> 16) as i16 as i32).wrapping_mul((b2 >> 16) as i16 as i32));
        // the f64 bits of fx[i] promoted, read as four i32 lanes and truncated with saturation
        let bits = (s.fx[i] as f64).to_bits();
        let sat = |x: f32| -> u32 {
            if x.is_nan() { 0 } else if x >= 2147483648.0 { i32::MAX as u32 } else if x < -2147483648.0 { i32::MIN as u32 } else { x as i32 as u32 }
        };
        let t0 = sat(f32::from_bits(bits as u32)) as u64 | (sat(f32::from_bits((bits >> 32) as u32)) as u64) << 32;
        let mut m = 0u64;
        for k in 0..4 {
            if a[k] < b[k] {
                m |= 1 << k;
            }
        }
        h = h.wrapping_mul(131).wrapping_add(m).wrapping_add(d2 as u32 as u64).wrapping_add(t0);
        i += 4;
    }
    h
}

fn mix(mut h: u64, b: &[u8]) -> u64 {
    for &x in b {
        h = (h ^ x as u64).wrapping_mul(0x100000001b3);
    }
    h
}

#[no_mangle]
pub extern "C" fn run(iters: i32) -> u64 {
    let s = unsafe { &mut S };
    fill(s);
    let mut h = 0xcbf29ce484222325u64;
    for k in 0..iters {
        step(s, 0.5 + k as f32 / 16.0);
        h = h.wrapping_mul(0x9e3779b97f4a7c15).wrapping_add(lanes(s));
    }
    let f = unsafe { core::slice::from_raw_parts(s.fx.as_ptr() as *const u8, N * 4) };
    let g = unsafe { core::slice::from_raw_parts(s.fy.as_ptr() as *const u8, N * 4) };
    let ia = unsafe { core::slice::from_raw_parts(s.ia.as_ptr() as *const u8, N * 4) };
    mix(mix(mix(mix(h, f), g), ia), &s.pa)
}
