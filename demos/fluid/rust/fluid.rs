//! The fluid demonstration's WasmFluid module in Rust: the same solver,
//! exports and bit-identical results as ../c/fluid*.c (the same operations
//! in the same order; Rust never contracts into fused multiply-add). Built with
//!   rustc --target wasm32-unknown-unknown -O --crate-type cdylib -C strip=symbols fluid.rs
//! Module ABI v1, bulk arrays (docs/abi.md (c)); see ../README.md.

#[link(wasm_import_module = "portalis")]
extern "C" {
    fn config_count(name: *const u8, len: i32) -> i32;
    fn config_f64(name: *const u8, len: i32, i: i32) -> f64;
    fn config_str(name: *const u8, len: i32, buf: *mut u8, cap: i32) -> i32;
    fn log(msg: *const u8, len: i32);
}

mod fluid_periodic;
use fluid_periodic::*;

const MAX_LEVELS: usize = 8;
const COARSE_SWEEPS: usize = 8;
const SMOOTH: usize = 2;

#[derive(Clone, Copy)]
struct Params {
    open: bool,     // wasm:boundaryMode "open": outflow walls (pressure 0 beyond), else closed
    periodic: bool, // wasm:boundaryMode "periodic": the box wraps; face n of an axis is a copy of face 0
    n: [usize; 3],
    h: f64,
    step: f64,
    viscosity: f64,
    diffusion: f64,
    max_iterations: i32,
    tolerance: f64,
    buoyancy: f64,
    inflow: [f64; 3],
    source: [f64; 4],
    obstacle: [f64; 4],
    taylor_green: f64,
}

struct Level {
    n: [usize; 3],
    wx: Vec<f64>,
    wy: Vec<f64>,
    wz: Vec<f64>,
    wall: Vec<f64>, // weight of the cell's open walls (in the diagonal only: pressure 0 beyond)
    diag: Vec<f64>,
    // the V-cycle's vectors, single precision (../c/fluid_vcycle.c)
    inv: Vec<f32>, // 1 / diag, 0 where diag is 0
    r: Vec<f32>,
    z: Vec<f32>, // padded by pad() on each side
    wfull: f64,
    full: Vec<u8>, // 1: the six faces weigh wfull (fast path); 2 (periodic): on the box, neighbours wrap
    periodic: bool,
}

impl Level {
    fn pad(&self) -> usize {
        self.n[0] * self.n[1] + 1
    }
}

struct Fluid {
    p: Params,
    nc: usize,
    u: Vec<f64>,
    v: Vec<f64>,
    w: Vec<f64>,
    u0: Vec<f64>,
    v0: Vec<f64>,
    w0: Vec<f64>,
    d: Vec<f64>,
    d0: Vec<f64>,
    phi: Vec<f64>, // padded
    b: Vec<f64>,
    cg_p: Vec<f64>, // padded
    cg_q: Vec<f64>,
    cg_r: Vec<f64>,
    cg_z: Vec<f64>,
    solid: Vec<bool>,
    src: Vec<u8>, // SRC_*: what the source sets in a cell and on its low faces
    lv: Vec<Level>,
    stats: [f64; 4],
}

const SRC_CELL: u8 = 1;
const SRC_X: u8 = 2;
const SRC_Y: u8 = 4;
const SRC_Z: u8 = 8;

fn clampd(x: f64, lo: f64, hi: f64) -> f64 {
    if x < lo {
        lo
    } else if x > hi {
        hi
    } else {
        x
    }
}

fn inside(s: &[f64; 4], x: f64, y: f64, z: f64) -> bool {
    let (dx, dy, dz) = (x - s[0], y - s[1], z - s[2]);
    s[3] > 0.0 && dx * dx + dy * dy + dz * dz < s[3] * s[3]
}

fn max_abs(a: &[f64]) -> f64 {
    let mut m = 0.0;
    for &x in a {
        if x.abs() > m {
            m = x.abs();
        }
    }
    m
}

// ---------------------------------------------------------------- pressure

/// Sum over the six faces of cell c of weight * x_neighbour; x is padded
/// (o = pad + c), the box's faces weigh 0.
#[inline(always)]
fn nb_sum(l: &Level, x: &[f64], o: usize, c: usize, fx: usize, fy: usize) -> f64 {
    let nx = l.n[0];
    let sxy = nx * l.n[1];
    if l.full[c] == 1 {
        return l.wfull * (((x[o - 1] + x[o + 1]) + (x[o - nx] + x[o + nx])) + (x[o - sxy] + x[o + sxy]));
    }
    if l.full[c] == 2 {
        return nb_sum_wrap(l, x, o - c, c, |w| w);
    }
    (l.wx[fx] * x[o - 1] + l.wx[fx + 1] * x[o + 1]) + (l.wy[fy] * x[o - nx] + l.wy[fy + nx] * x[o + nx])
        + (l.wz[c] * x[o - sxy] + l.wz[c + sxy] * x[o + sxy])
}

/// y = A x; returns x . y.
fn apply_a(l: &Level, x: &[f64], pad: usize, y: &mut [f64]) -> f64 {
    let [nx, ny, nz] = l.n;
    let mut s = 0.0;
    for k in 0..nz {
        for j in 0..ny {
            for i in 0..nx {
                let c = i + nx * (j + ny * k);
                y[c] = l.diag[c] * x[pad + c] - nb_sum(l, x, pad + c, c, i + (nx + 1) * (j + ny * k), i + nx * (j + (ny + 1) * k));
                s += x[pad + c] * y[c];
            }
        }
    }
    s
}

/// The V-cycle's stencil, in single precision, at cell (i, j, k): as
/// nb_sum, but a neighbour beyond the box is 0 (its face weighs 0), as the
/// zero halo of ../c/fluid_vcycle.c.
#[inline(always)]
fn nb_vc(l: &Level, z: &[f32], pad: usize, i: usize, j: usize, k: usize) -> f32 {
    let [nx, ny, nz] = l.n;
    let (c, sxy) = (i + nx * (j + ny * k), nx * ny);
    if l.full[c] == 2 {
        return nb_sum_wrap(l, z, pad, c, |w| w as f32);
    }
    let o = pad + c;
    let xm = if i > 0 { z[o - 1] } else { 0.0 };
    let xp = if i + 1 < nx { z[o + 1] } else { 0.0 };
    let ym = if j > 0 { z[o - nx] } else { 0.0 };
    let yp = if j + 1 < ny { z[o + nx] } else { 0.0 };
    let zm = if k > 0 { z[o - sxy] } else { 0.0 };
    let zp = if k + 1 < nz { z[o + sxy] } else { 0.0 };
    if l.full[c] == 1 {
        return l.wfull as f32 * (((xm + xp) + (ym + yp)) + (zm + zp));
    }
    let (fx, fy) = (i + (nx + 1) * (j + ny * k), i + nx * (j + (ny + 1) * k));
    (l.wx[fx] as f32 * xm + l.wx[fx + 1] as f32 * xp) + (l.wy[fy] as f32 * ym + l.wy[fy + nx] as f32 * yp)
        + (l.wz[c] as f32 * zm + l.wz[c + sxy] as f32 * zp)
}

fn sweep(l: &mut Level, colour: usize) {
    let [nx, ny, nz] = l.n;
    let pad = l.pad();
    let mut z = std::mem::take(&mut l.z);
    for k in 0..nz {
        for j in 0..ny {
            let mut i = (colour + j + k) & 1;
            while i < nx {
                let c = i + nx * (j + ny * k);
                z[pad + c] = (l.r[c] + nb_vc(l, &z, pad, i, j, k)) * l.inv[c];
                i += 2;
            }
        }
    }
    l.z = z;
}

/// The first red sweep from z = 0 (z = r / diag on red cells; the black
/// sweep after it writes every black cell, so z needs no clearing).
fn sweep_first(l: &mut Level) {
    let [nx, ny, nz] = l.n;
    let pad = l.pad();
    for k in 0..nz {
        for j in 0..ny {
            let mut i = (j + k) & 1;
            while i < nx {
                let c = i + nx * (j + ny * k);
                l.z[pad + c] = l.r[c] * l.inv[c];
                i += 2;
            }
        }
    }
}

fn restrict_residual(f: &Level, c: &mut Level) {
    let (nx, ny) = (f.n[0], f.n[1]);
    let [cx, cy, cz] = c.n;
    let pad = f.pad();
    for k in 0..cz {
        for j in 0..cy {
            for i in 0..cx {
                // only the red children: the black sweep leaves the black residuals 0
                let mut s = 0.0f32;
                for [di, dj, dk] in [[0, 0, 0], [1, 1, 0], [1, 0, 1], [0, 1, 1]] {
                    let (fi, fj, fk) = (2 * i + di, 2 * j + dj, 2 * k + dk);
                    let q = fi + nx * (fj + ny * fk);
                    s += f.r[q] - (f.diag[q] as f32 * f.z[pad + q] - nb_vc(f, &f.z, pad, fi, fj, fk));
                }
                c.r[i + cx * (j + cy * k)] = s;
            }
        }
    }
}

fn prolong_add(f: &mut Level, c: &Level) {
    let [nx, ny, nz] = f.n;
    let (cx, cy) = (c.n[0], c.n[1]);
    let (pf, pc) = (f.pad(), c.pad());
    for k in 0..nz {
        for j in 0..ny {
            for i in 0..nx {
                f.z[pf + i + nx * (j + ny * k)] += c.z[pc + i / 2 + cx * (j / 2 + cy * (k / 2))];
            }
        }
    }
}

fn vcycle(lv: &mut [Level], l: usize) {
    let last = l == lv.len() - 1;
    let pre = if last { COARSE_SWEEPS } else { SMOOTH };
    sweep_first(&mut lv[l]);
    sweep(&mut lv[l], 1);
    for _ in 1..pre {
        sweep(&mut lv[l], 0);
        sweep(&mut lv[l], 1);
    }
    if !last {
        {
            let (a, b) = lv.split_at_mut(l + 1);
            restrict_residual(&a[l], &mut b[0]);
        }
        vcycle(lv, l + 1);
        let (a, b) = lv.split_at_mut(l + 1);
        prolong_add(&mut a[l], &b[0]);
    }
    for _ in 0..pre {
        sweep(&mut lv[l], 1);
        sweep(&mut lv[l], 0);
    }
}

/// z = one V-cycle applied to r: r rounded to single precision, z back in double.
fn precondition(lv: &mut [Level], r: &[f64], z: &mut [f64]) {
    let pad = lv[0].pad();
    for c in 0..r.len() {
        lv[0].r[c] = r[c] as f32;
    }
    vcycle(lv, 0);
    for c in 0..z.len() {
        z[c] = lv[0].z[pad + c] as f64;
    }
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut s = 0.0;
    for i in 0..a.len() {
        s += a[i] * b[i];
    }
    s
}

fn remove_mean(l: &Level, x: &mut [f64]) {
    let (mut s, mut m) = (0.0, 0.0);
    for c in 0..x.len() {
        if l.diag[c] > 0.0 {
            s += x[c];
            m += 1.0;
        }
    }
    if m == 0.0 {
        return;
    }
    let mean = s / m;
    for c in 0..x.len() {
        x[c] = if l.diag[c] > 0.0 { x[c] - mean } else { 0.0 };
    }
}

impl Fluid {
    fn pad(&self) -> usize {
        self.p.n[0] * self.p.n[1] + 1
    }

    fn solve(&mut self, threshold: f64) -> i32 {
        let n = self.nc;
        let pad = self.pad();
        apply_a(&self.lv[0], &self.phi, pad, &mut self.cg_q);
        for c in 0..n {
            self.cg_r[c] = self.b[c] - self.cg_q[c];
        }
        if max_abs(&self.cg_r) <= threshold {
            return 0;
        }
        precondition(&mut self.lv, &self.cg_r, &mut self.cg_z);
        self.cg_p[pad..pad + n].copy_from_slice(&self.cg_z);
        let mut rho = dot(&self.cg_r, &self.cg_z);
        let mut it = 0;
        while it < self.p.max_iterations && rho != 0.0 {
            let pq = apply_a(&self.lv[0], &self.cg_p, pad, &mut self.cg_q);
            if !(pq > 0.0) {
                break;
            }
            let alpha = rho / pq;
            let mut m = 0.0;
            for c in 0..n {
                self.phi[pad + c] += alpha * self.cg_p[pad + c];
                let r = &mut self.cg_r[c];
                *r -= alpha * self.cg_q[c];
                if r.abs() > m {
                    m = r.abs();
                }
            }
            it += 1;
            if m <= threshold {
                break;
            }
            precondition(&mut self.lv, &self.cg_r, &mut self.cg_z);
            let rho1 = dot(&self.cg_r, &self.cg_z);
            let beta = rho1 / rho;
            rho = rho1;
            for c in 0..n {
                self.cg_p[pad + c] = self.cg_z[c] + beta * self.cg_p[pad + c];
            }
        }
        it
    }

    fn max_face_speed(&self) -> f64 {
        let (a, b, c) = (max_abs(&self.u), max_abs(&self.v), max_abs(&self.w));
        if a > b {
            if a > c { a } else { c }
        } else if b > c {
            b
        } else {
            c
        }
    }

    fn divergence(&self, i: usize, j: usize, k: usize) -> f64 {
        let (nx, ny) = (self.p.n[0], self.p.n[1]);
        let c = i + nx * (j + ny * k);
        let (fx, fy) = (i + (nx + 1) * (j + ny * k), i + nx * (j + (ny + 1) * k));
        (self.u[fx + 1] - self.u[fx]) + (self.v[fy + nx] - self.v[fy]) + (self.w[c + nx * ny] - self.w[c])
    }

    /// The faces on the box of the fluid cells (open walls): phi is 0 beyond.
    fn subtract_gradient_walls(&mut self) {
        let [nx, ny, nz] = self.p.n;
        let pad = self.pad();
        let (phi, solid) = (&self.phi, &self.solid);
        for k in 0..nz {
            for j in 0..ny {
                let (c, fx) = (nx * (j + ny * k), (nx + 1) * (j + ny * k));
                if !solid[c] {
                    self.u[fx] -= phi[pad + c];
                }
                if !solid[c + nx - 1] {
                    self.u[fx + nx] += phi[pad + c + nx - 1];
                }
            }
        }
        for k in 0..nz {
            for i in 0..nx {
                let (c, fy) = (i + nx * ny * k, i + nx * (ny + 1) * k);
                if !solid[c] {
                    self.v[fy] -= phi[pad + c];
                }
                if !solid[c + nx * (ny - 1)] {
                    self.v[fy + nx * ny] += phi[pad + c + nx * (ny - 1)];
                }
            }
        }
        for j in 0..ny {
            for i in 0..nx {
                let c = i + nx * j;
                let top = c + nx * ny * (nz - 1);
                if !solid[c] {
                    self.w[c] -= phi[pad + c];
                }
                if !solid[top] {
                    self.w[top + nx * ny] += phi[pad + top];
                }
            }
        }
    }

    fn subtract_gradient(&mut self) {
        if self.p.open {
            self.subtract_gradient_walls();
        }
        let [nx, ny, nz] = self.p.n;
        let pad = self.pad();
        let l = &self.lv[0];
        for k in 0..nz {
            for j in 0..ny {
                for i in 0..nx {
                    let c = i + nx * (j + ny * k);
                    let (fx, fy) = (i + (nx + 1) * (j + ny * k), i + nx * (j + (ny + 1) * k));
                    let q = pad + c;
                    // the faces at index 0 are closed but when periodic (below)
                    if i > 0 && l.wx[fx] > 0.0 {
                        self.u[fx] -= self.phi[q] - self.phi[q - 1];
                    }
                    if j > 0 && l.wy[fy] > 0.0 {
                        self.v[fy] -= self.phi[q] - self.phi[q - nx];
                    }
                    if k > 0 && l.wz[c] > 0.0 {
                        self.w[c] -= self.phi[q] - self.phi[q - nx * ny];
                    }
                }
            }
        }
        if self.p.periodic {
            self.periodic_gradient();
        }
    }

    fn project(&mut self) {
        let [nx, ny, nz] = self.p.n;
        let umax = self.max_face_speed();
        self.stats[2] = 0.0;
        self.stats[0] = 0.0;
        if umax == 0.0 {
            return;
        }
        for k in 0..nz {
            for j in 0..ny {
                for i in 0..nx {
                    let c = i + nx * (j + ny * k);
                    self.b[c] = if self.solid[c] { 0.0 } else { -self.divergence(i, j, k) };
                }
            }
        }
        if !self.p.open {
            let mut b = std::mem::take(&mut self.b);
            remove_mean(&self.lv[0], &mut b);
            self.b = b;
        }
        self.stats[2] = self.solve(self.p.tolerance * umax) as f64;
        self.subtract_gradient();
        let mut m = 0.0;
        for k in 0..nz {
            for j in 0..ny {
                for i in 0..nx {
                    if !self.solid[i + nx * (j + ny * k)] {
                        let dv = self.divergence(i, j, k).abs();
                        if dv > m {
                            m = dv;
                        }
                    }
                }
            }
        }
        self.stats[0] = m / umax;
    }
}

fn new_level(n: [usize; 3], wfull: f64) -> Level {
    let [x, y, z] = n;
    let c = x * y * z;
    Level {
        n,
        wx: vec![0.0; (x + 1) * y * z],
        wy: vec![0.0; x * (y + 1) * z],
        wz: vec![0.0; x * y * (z + 1)],
        wall: vec![0.0; c],
        diag: vec![0.0; c],
        inv: vec![0.0; c],
        r: vec![0.0; c],
        z: vec![0.0; c + 2 * (x * y + 1)],
        wfull,
        full: vec![0; c],
        periodic: false,
    }
}

fn coarse_weights(f: &Level, c: &mut Level) {
    let (nx, ny) = (f.n[0], f.n[1]);
    let [cx, cy, cz] = c.n;
    for k in 0..cz {
        for j in 0..cy {
            for i in 0..cx {
                let (mut sx, mut sy, mut sz) = (0.0, 0.0, 0.0);
                for a in 0..2 {
                    for b in 0..2 {
                        sx += f.wx[2 * i + (nx + 1) * (2 * j + a + ny * (2 * k + b))];
                        sy += f.wy[2 * i + a + nx * (2 * j + (ny + 1) * (2 * k + b))];
                        sz += f.wz[2 * i + a + nx * (2 * j + b + ny * 2 * k)];
                    }
                }
                c.wx[i + (cx + 1) * (j + cy * k)] = 0.5 * sx;
                c.wy[i + cx * (j + (cy + 1) * k)] = 0.5 * sy;
                c.wz[i + cx * (j + cy * k)] = 0.5 * sz;
                let mut sw = 0.0;
                for dk in 0..2 {
                    for dj in 0..2 {
                        for di in 0..2 {
                            sw += f.wall[2 * i + di + nx * (2 * j + dj + ny * (2 * k + dk))];
                        }
                    }
                }
                c.wall[i + cx * (j + cy * k)] = 0.5 * sw;
            }
        }
    }
}

fn diagonal(l: &mut Level) {
    let [nx, ny, nz] = l.n;
    let w = l.wfull;
    for k in 0..nz {
        for j in 0..ny {
            for i in 0..nx {
                let c = i + nx * (j + ny * k);
                let (fx, fy) = (i + (nx + 1) * (j + ny * k), i + nx * (j + (ny + 1) * k));
                l.diag[c] = ((l.wx[fx] + l.wx[fx + 1]) + (l.wy[fy] + l.wy[fy + nx]) + (l.wz[c] + l.wz[c + nx * ny])) + l.wall[c];
                l.inv[c] = if l.diag[c] > 0.0 { (1.0 / l.diag[c]) as f32 } else { 0.0 };
                l.full[c] = (l.wx[fx] == w && l.wx[fx + 1] == w && l.wy[fy] == w && l.wy[fy + nx] == w
                    && l.wz[c] == w && l.wz[c + nx * ny] == w) as u8;
                if l.periodic && (i == 0 || j == 0 || k == 0 || i == nx - 1 || j == ny - 1 || k == nz - 1) {
                    l.full[c] = 2;
                }
            }
        }
    }
}

fn levels(p: &Params, solid: &[bool]) -> Vec<Level> {
    let mut lv: Vec<Level> = Vec::new();
    let mut n = p.n;
    for l in 0..MAX_LEVELS {
        let wfull = if l == 0 { 1.0 } else { 2.0 * lv[l - 1].wfull };
        let mut lev = new_level(n, wfull);
        lev.periodic = p.periodic;
        if l == 0 {
            let [nx, ny, nz] = n;
            for k in 0..nz {
                for j in 0..ny {
                    for i in 0..nx {
                        let c = i + nx * (j + ny * k);
                        let (fx, fy) = (i + (nx + 1) * (j + ny * k), i + nx * (j + (ny + 1) * k));
                        let xm = if i > 0 { c - 1 } else { c + nx - 1 };
                        let ym = if j > 0 { c - nx } else { c + nx * (ny - 1) };
                        let zm = if k > 0 { c - nx * ny } else { c + nx * ny * (nz - 1) };
                        lev.wx[fx] = ((i > 0 || p.periodic) && !solid[c] && !solid[xm]) as i32 as f64;
                        lev.wy[fy] = ((j > 0 || p.periodic) && !solid[c] && !solid[ym]) as i32 as f64;
                        lev.wz[c] = ((k > 0 || p.periodic) && !solid[c] && !solid[zm]) as i32 as f64;
                        if p.open && !solid[c] {
                            let count = (((i == 0) as i32 + (i == nx - 1) as i32) + ((j == 0) as i32 + (j == ny - 1) as i32))
                                + ((k == 0) as i32 + (k == nz - 1) as i32);
                            lev.wall[c] = count as f64;
                        }
                    }
                }
            }
        } else {
            coarse_weights(&lv[l - 1], &mut lev);
        }
        if p.periodic {
            copy_layers(&mut lev.wx, &mut lev.wy, &mut lev.wz, n);
        }
        diagonal(&mut lev);
        lv.push(lev);
        if n[0] % 2 != 0 || n[1] % 2 != 0 || n[2] % 2 != 0 || n[0] < 4 || n[1] < 4 || n[2] < 4 {
            break;
        }
        // periodic red-black sweeps need an even n (the colours alternate across the wrap)
        if p.periodic && (n[0] / 2 % 2 != 0 || n[1] / 2 % 2 != 0 || n[2] / 2 % 2 != 0) {
            break;
        }
        n = [n[0] / 2, n[1] / 2, n[2] / 2];
    }
    lv
}

// ---------------------------------------------------------------- the step

/// Trilinear sample at grid point (gx, gy, gz), clamped to the field
/// (clamped first, so truncation is the floor).
#[inline(always)]
fn sample(a: &[f64], sx: usize, sy: usize, sz: usize, gx: f64, gy: f64, gz: f64) -> f64 {
    let gx = clampd(gx, 0.0, (sx - 1) as f64);
    let gy = clampd(gy, 0.0, (sy - 1) as f64);
    let gz = clampd(gz, 0.0, (sz - 1) as f64);
    let (i, j, k) = ((gx as usize).min(sx - 2), (gy as usize).min(sy - 2), (gz as usize).min(sz - 2));
    let (tx, ty, tz) = (gx - i as f64, gy - j as f64, gz - k as f64);
    let (c, dy, dz) = (i + sx * (j + sy * k), sx, sx * sy);
    let a00 = a[c] + tx * (a[c + 1] - a[c]);
    let a10 = a[c + dy] + tx * (a[c + dy + 1] - a[c + dy]);
    let a01 = a[c + dz] + tx * (a[c + dz + 1] - a[c + dz]);
    let a11 = a[c + dy + dz] + tx * (a[c + dy + dz + 1] - a[c + dy + dz]);
    let (b0, b1) = (a00 + ty * (a10 - a00), a01 + ty * (a11 - a01));
    b0 + tz * (b1 - b0)
}

/// Through an open wall: what flows out carries the cell's density, what flows in none; no diffusion.
fn wall_flux(vel: f64, lo: f64, hi: f64, c: f64) -> f64 {
    c * vel * (if vel > 0.0 { lo } else { hi })
}

#[inline(always)]
fn flux(vel: f64, lo: f64, hi: f64, c: f64, coef: f64) -> f64 {
    c * vel * (if vel > 0.0 { lo } else { hi }) + coef * (lo - hi)
}

fn pos(x: f64) -> f64 {
    if x > 0.0 {
        x
    } else {
        0.0
    }
}

fn avg4(a: f64, b: f64, c: f64, d: f64) -> f64 {
    0.25 * ((a + b) + (c + d))
}

fn substeps(rate: f64) -> i32 {
    if rate > 0.0 {
        (rate * 8.0).ceil() as i32
    } else {
        0
    }
}

/// Open faces smoothed, the others copied (so that a and a0 can be swapped).
fn diffuse_faces(a: &mut [f64], a0: &[f64], wt: &[f64], sx: usize, sy: usize, sz: usize, coef: f64) {
    for k in 0..sz {
        for j in 0..sy {
            for i in 0..sx {
                let c = i + sx * (j + sy * k);
                let o = a0[c];
                if !(wt[c] > 0.0) {
                    a[c] = o;
                    continue;
                }
                let xm = if i > 0 { a0[c - 1] } else { o };
                let xp = if i + 1 < sx { a0[c + 1] } else { o };
                let ym = if j > 0 { a0[c - sx] } else { o };
                let yp = if j + 1 < sy { a0[c + sx] } else { o };
                let zm = if k > 0 { a0[c - sx * sy] } else { o };
                let zp = if k + 1 < sz { a0[c + sx * sy] } else { o };
                a[c] = o + coef * (((xm - o) + (xp - o)) + ((ym - o) + (yp - o)) + ((zm - o) + (zp - o)));
            }
        }
    }
}

impl Fluid {
    fn velocity_at(&self, p: &[f64]) -> [f64; 3] {
        let [nx, ny, nz] = self.p.n;
        let h = self.p.h;
        if self.p.periodic {
            let per = [nx, ny, nz];
            let x = wrap_position(p[0], nx as f64 * h);
            let y = wrap_position(p[1], ny as f64 * h);
            let z = wrap_position(p[2], nz as f64 * h);
            return [
                sample_wrap(&self.u, [nx + 1, ny, nz], per, x / h, y / h - 0.5, z / h - 0.5),
                sample_wrap(&self.v, [nx, ny + 1, nz], per, x / h - 0.5, y / h, z / h - 0.5),
                sample_wrap(&self.w, [nx, ny, nz + 1], per, x / h - 0.5, y / h - 0.5, z / h),
            ];
        }
        let x = clampd(p[0], 0.0, nx as f64 * h);
        let y = clampd(p[1], 0.0, ny as f64 * h);
        let z = clampd(p[2], 0.0, nz as f64 * h);
        [
            sample(&self.u, nx + 1, ny, nz, x / h, y / h - 0.5, z / h - 0.5),
            sample(&self.v, nx, ny + 1, nz, x / h - 0.5, y / h, z / h - 0.5),
            sample(&self.w, nx, ny, nz + 1, x / h - 0.5, y / h - 0.5, z / h),
        ]
    }

    fn forces(&mut self, dt: f64) {
        let p = self.p;
        let [nx, ny, nz] = p.n;
        let l = &self.lv[0];
        let g = dt * p.buoyancy;
        for k in 0..nz {
            for j in 0..ny {
                for i in 0..nx {
                    let c = i + nx * (j + ny * k);
                    let m = self.src[c];
                    if m != 0 {
                        let (fx, fy) = (i + (nx + 1) * (j + ny * k), i + nx * (j + (ny + 1) * k));
                        if m & SRC_CELL != 0 {
                            self.d[c] = 1.0;
                        }
                        if m & SRC_X != 0 {
                            self.u[fx] = p.inflow[0];
                        }
                        if m & SRC_Y != 0 {
                            self.v[fy] = p.inflow[1];
                        }
                        if m & SRC_Z != 0 {
                            self.w[c] = p.inflow[2];
                        }
                    }
                    if k > 0 && l.wz[c] > 0.0 {
                        self.w[c] += g * (0.5 * (self.d[c - nx * ny] + self.d[c]));
                    }
                }
            }
        }
        if p.periodic {
            // the z-faces at 0, between the top and the bottom layer, once every source cell is set
            let top = nx * ny * (nz - 1);
            for c in 0..nx * ny {
                if self.lv[0].wz[c] > 0.0 {
                    self.w[c] += g * (0.5 * (self.d[c + top] + self.d[c]));
                }
            }
            self.copy_faces();
        }
    }

    fn advect_velocity(&mut self, dt: f64) {
        self.u0.copy_from_slice(&self.u);
        self.v0.copy_from_slice(&self.v);
        self.w0.copy_from_slice(&self.w);
        if self.p.periodic {
            return self.advect_periodic(dt);
        }
        let [nx, ny, nz] = self.p.n;
        let cu = dt / self.p.h;
        let (bx_, by_, bz_) = (nx as f64, ny as f64, nz as f64);
        let (u, v, w) = (&self.u0, &self.v0, &self.w0);
        let l = &self.lv[0];
        let (vy, wz) = (nx, nx * ny);
        for k in 0..nz {
            for j in 0..ny {
                for i in 0..nx {
                    let c = i + nx * (j + ny * k);
                    let (fx, fy) = (i + (nx + 1) * (j + ny * k), i + nx * (j + (ny + 1) * k));
                    let (x, y, z) = (i as f64 + 0.5, j as f64 + 0.5, k as f64 + 0.5);
                    if l.wx[fx] > 0.0 {
                        let vv = avg4(v[fy - 1], v[fy], v[fy - 1 + vy], v[fy + vy]);
                        let ww = avg4(w[c - 1], w[c], w[c - 1 + wz], w[c + wz]);
                        let bx = clampd(i as f64 - cu * u[fx], 0.0, bx_);
                        let by = clampd(y - cu * vv, 0.0, by_);
                        let bz = clampd(z - cu * ww, 0.0, bz_);
                        self.u[fx] = sample(u, nx + 1, ny, nz, bx, by - 0.5, bz - 0.5);
                    }
                    if l.wy[fy] > 0.0 {
                        let uu = avg4(u[fx - (nx + 1)], u[fx], u[fx - (nx + 1) + 1], u[fx + 1]);
                        let ww = avg4(w[c - nx], w[c], w[c - nx + wz], w[c + wz]);
                        let bx = clampd(x - cu * uu, 0.0, bx_);
                        let by = clampd(j as f64 - cu * v[fy], 0.0, by_);
                        let bz = clampd(z - cu * ww, 0.0, bz_);
                        self.v[fy] = sample(v, nx, ny + 1, nz, bx - 0.5, by, bz - 0.5);
                    }
                    if l.wz[c] > 0.0 {
                        let (ux, vz) = (fx - (nx + 1) * ny, fy - nx * (ny + 1));
                        let uu = avg4(u[ux], u[fx], u[ux + 1], u[fx + 1]);
                        let vv = avg4(v[vz], v[fy], v[vz + vy], v[fy + vy]);
                        let bx = clampd(x - cu * uu, 0.0, bx_);
                        let by = clampd(y - cu * vv, 0.0, by_);
                        let bz = clampd(k as f64 - cu * w[c], 0.0, bz_);
                        self.w[c] = sample(w, nx, ny, nz + 1, bx - 0.5, by - 0.5, bz);
                    }
                }
            }
        }
    }

    fn viscosity(&mut self, dt: f64) {
        let [nx, ny, nz] = self.p.n;
        let rate = self.p.viscosity * dt / (self.p.h * self.p.h);
        let n = substeps(rate);
        for _ in 0..n {
            std::mem::swap(&mut self.u, &mut self.u0);
            std::mem::swap(&mut self.v, &mut self.v0);
            std::mem::swap(&mut self.w, &mut self.w0);
            let l = &self.lv[0];
            if self.p.periodic {
                diffuse_wrap(&mut self.u, &self.u0, &l.wx, self.p.n, 0, rate / n as f64);
                diffuse_wrap(&mut self.v, &self.v0, &l.wy, self.p.n, 1, rate / n as f64);
                diffuse_wrap(&mut self.w, &self.w0, &l.wz, self.p.n, 2, rate / n as f64);
                self.copy_faces();
                continue;
            }
            diffuse_faces(&mut self.u, &self.u0, &l.wx, nx + 1, ny, nz, rate / n as f64);
            diffuse_faces(&mut self.v, &self.v0, &l.wy, nx, ny + 1, nz, rate / n as f64);
            diffuse_faces(&mut self.w, &self.w0, &l.wz, nx, ny, nz + 1, rate / n as f64);
        }
    }

    fn transport(&mut self, c: f64, coef: f64) {
        let [nx, ny, nz] = self.p.n;
        let l = &self.lv[0];
        let (a0, a) = (&self.d0, &mut self.d);
        let (u, v, w) = (&self.u, &self.v, &self.w);
        let (open, solid) = (self.p.open, &self.solid);
        let sxy = nx * ny;
        for k in 0..nz {
            for j in 0..ny {
                for i in 0..nx {
                    let q = i + nx * (j + ny * k);
                    let (fx, fy, fz) = (i + (nx + 1) * (j + ny * k), i + nx * (j + (ny + 1) * k), q);
                    let mut fl = [0.0f64; 6];
                    if l.full[q] == 1 {
                        fl = [
                            flux(u[fx], a0[q - 1], a0[q], c, coef),
                            flux(u[fx + 1], a0[q], a0[q + 1], c, coef),
                            flux(v[fy], a0[q - nx], a0[q], c, coef),
                            flux(v[fy + nx], a0[q], a0[q + nx], c, coef),
                            flux(w[fz], a0[q - sxy], a0[q], c, coef),
                            flux(w[fz + sxy], a0[q], a0[q + sxy], c, coef),
                        ];
                    } else {
                        // the neighbours wrap: on the box only a periodic face is open
                        let nc = nx * ny * nz;
                        let xm = if i > 0 { q - 1 } else { q + nx - 1 };
                        let xp = if i + 1 < nx { q + 1 } else { q + 1 - nx };
                        let ym = if j > 0 { q - nx } else { q + sxy - nx };
                        let yp = if j + 1 < ny { q + nx } else { q + nx - sxy };
                        let zm = if k > 0 { q - sxy } else { q + nc - sxy };
                        let zp = if k + 1 < nz { q + sxy } else { q + sxy - nc };
                        if l.wx[fx] > 0.0 {
                            fl[0] = flux(u[fx], a0[xm], a0[q], c, coef);
                        }
                        if l.wx[fx + 1] > 0.0 {
                            fl[1] = flux(u[fx + 1], a0[q], a0[xp], c, coef);
                        }
                        if l.wy[fy] > 0.0 {
                            fl[2] = flux(v[fy], a0[ym], a0[q], c, coef);
                        }
                        if l.wy[fy + nx] > 0.0 {
                            fl[3] = flux(v[fy + nx], a0[q], a0[yp], c, coef);
                        }
                        if l.wz[fz] > 0.0 {
                            fl[4] = flux(w[fz], a0[zm], a0[q], c, coef);
                        }
                        if l.wz[fz + sxy] > 0.0 {
                            fl[5] = flux(w[fz + sxy], a0[q], a0[zp], c, coef);
                        }
                        if open && !solid[q] {
                            if i == 0 {
                                fl[0] = wall_flux(u[fx], 0.0, a0[q], c);
                            }
                            if i == nx - 1 {
                                fl[1] = wall_flux(u[fx + 1], a0[q], 0.0, c);
                            }
                            if j == 0 {
                                fl[2] = wall_flux(v[fy], 0.0, a0[q], c);
                            }
                            if j == ny - 1 {
                                fl[3] = wall_flux(v[fy + nx], a0[q], 0.0, c);
                            }
                            if k == 0 {
                                fl[4] = wall_flux(w[fz], 0.0, a0[q], c);
                            }
                            if k == nz - 1 {
                                fl[5] = wall_flux(w[fz + sxy], a0[q], 0.0, c);
                            }
                        }
                    }
                    a[q] = a0[q] + (((fl[0] - fl[1]) + (fl[2] - fl[3])) + (fl[4] - fl[5]));
                }
            }
        }
    }

    /// The largest sum over a cell's faces of the velocity leaving it.
    fn max_outflow(&self) -> f64 {
        let [nx, ny, nz] = self.p.n;
        let (u, v, w) = (&self.u, &self.v, &self.w);
        let mut m = 0.0;
        for k in 0..nz {
            for j in 0..ny {
                for i in 0..nx {
                    let c = i + nx * (j + ny * k);
                    let (fx, fy) = (i + (nx + 1) * (j + ny * k), i + nx * (j + (ny + 1) * k));
                    let o = ((pos(-u[fx]) + pos(u[fx + 1])) + (pos(-v[fy]) + pos(v[fy + nx])))
                        + (pos(-w[c]) + pos(w[c + nx * ny]));
                    if o > m {
                        m = o;
                    }
                }
            }
        }
        m
    }

    /// Sub-steps keep 2 c outflow + 8 coef <= 1: no density goes negative.
    fn scalars(&mut self, dt: f64) {
        let h = self.p.h;
        let (cu, rate) = (dt / h, self.p.diffusion * dt / (h * h));
        // c outflow + 6 coef < 1 per sub-step: no density goes negative
        let n = (cu * self.max_outflow() + 6.0 * rate).floor() as i32 + 1;
        let (c, coef) = (cu / n as f64, rate / n as f64);
        for _ in 0..n {
            std::mem::swap(&mut self.d, &mut self.d0);
            self.transport(c, coef);
        }
    }

    fn measure(&mut self) {
        let h3 = self.p.h * self.p.h * self.p.h;
        let (mut m, mut e) = (0.0, 0.0);
        for &x in &self.d {
            m += x;
        }
        // periodic: the copies (face n of each axis) are left out
        let [nx, ny, _] = self.p.n;
        let per = self.p.periodic;
        for (c, &x) in self.u.iter().enumerate() {
            if !per || c % (nx + 1) != nx {
                e += x * x;
            }
        }
        for (c, &x) in self.v.iter().enumerate() {
            if !per || c / nx % (ny + 1) != ny {
                e += x * x;
            }
        }
        let nw = if per { self.nc } else { self.w.len() };
        for &x in &self.w[..nw] {
            e += x * x;
        }
        self.stats[1] = m * h3;
        self.stats[3] = 0.5 * e * h3;
    }

    /// Open walls: each face on the box of a fluid cell takes the velocity of the face behind it.
    fn extrapolate_walls(&mut self) {
        let [nx, ny, nz] = self.p.n;
        let solid = &self.solid;
        for k in 0..nz {
            for j in 0..ny {
                let (c, fx) = (nx * (j + ny * k), (nx + 1) * (j + ny * k));
                if !solid[c] {
                    self.u[fx] = self.u[fx + 1];
                }
                if !solid[c + nx - 1] {
                    self.u[fx + nx] = self.u[fx + nx - 1];
                }
            }
        }
        for k in 0..nz {
            for i in 0..nx {
                let (c, fy) = (i + nx * ny * k, i + nx * (ny + 1) * k);
                if !solid[c] {
                    self.v[fy] = self.v[fy + nx];
                }
                if !solid[c + nx * (ny - 1)] {
                    self.v[fy + nx * ny] = self.v[fy + nx * (ny - 1)];
                }
            }
        }
        for j in 0..ny {
            for i in 0..nx {
                let c = i + nx * j;
                let top = c + nx * ny * nz;
                if !solid[c] {
                    self.w[c] = self.w[c + nx * ny];
                }
                if !solid[top - nx * ny] {
                    self.w[top] = self.w[top - nx * ny];
                }
            }
        }
    }

    fn step(&mut self, dt: f64) {
        self.forces(dt);
        self.advect_velocity(dt);
        self.viscosity(dt);
        if self.p.open {
            self.extrapolate_walls();
        }
        self.project();
        self.scalars(dt);
        self.measure();
    }

    fn advance(&mut self, dt: f64) {
        if !(dt > 0.0) {
            return;
        }
        let mut n = (dt / self.p.step - 1e-9).ceil() as i32;
        if n < 1 {
            n = 1;
        }
        for _ in 0..n {
            self.step(dt / n as f64);
        }
    }

    fn move_points(&self, pts: &mut [f64], dt: f64) {
        let h = self.p.h;
        let top = [self.p.n[0] as f64 * h, self.p.n[1] as f64 * h, self.p.n[2] as f64 * h];
        for p in pts.chunks_exact_mut(3) {
            let v = self.velocity_at(p);
            let mut mid = [0.0; 3];
            let keep = |x: f64, t: f64| if self.p.periodic { wrap_position(x, t) } else { clampd(x, 0.0, t) };
            for a in 0..3 {
                mid[a] = keep(p[a] + 0.5 * dt * v[a], top[a]);
            }
            let v = self.velocity_at(&mid);
            for a in 0..3 {
                p[a] = keep(p[a] + dt * v[a], top[a]);
            }
        }
    }
}

// ---------------------------------------------------------------- creation

fn sin_poly(mut x: f64) -> f64 {
    let pi = 3.141592653589793;
    while x > pi {
        x -= 2.0 * pi;
    }
    while x < -pi {
        x += 2.0 * pi;
    }
    if x > pi / 2.0 {
        x = pi - x;
    }
    if x < -pi / 2.0 {
        x = -pi - x;
    }
    let x2 = x * x;
    let mut s = -1.0 / 1307674368000.0;
    for c in [1.0 / 6227020800.0, -1.0 / 39916800.0, 1.0 / 362880.0, -1.0 / 5040.0, 1.0 / 120.0, -1.0 / 6.0, 1.0] {
        s = c + x2 * s;
    }
    x * s
}

fn cos_poly(x: f64) -> f64 {
    sin_poly(x + 3.141592653589793 / 2.0)
}

fn check(p: &Params) -> Option<&'static str> {
    for a in 0..3 {
        if p.n[a] < 2 || p.n[a] > 1024 {
            return Some("grid resolution: each axis needs 2 to 1024 cells");
        }
    }
    if (p.n[0] * p.n[1] * p.n[2]) as f64 > 64.0 * 1024.0 * 1024.0 {
        return Some("grid resolution: more than 2^26 cells");
    }
    if !(p.h > 0.0) {
        return Some("cell size must be > 0");
    }
    if !(p.step > 0.0) {
        return Some("time step must be > 0");
    }
    if !(p.viscosity >= 0.0) || !(p.diffusion >= 0.0) {
        return Some("viscosity and diffusion must be >= 0");
    }
    if p.periodic && (p.n[0] % 2 != 0 || p.n[1] % 2 != 0 || p.n[2] % 2 != 0) {
        return Some("a periodic grid needs an even number of cells on every axis");
    }
    if p.max_iterations < 1 {
        return Some("solver iterations must be >= 1");
    }
    if !(p.tolerance >= 0.0) {
        return Some("tolerance must be >= 0");
    }
    None
}

/// SRC_* per cell: fluid cells inside the source, open faces whose centres are inside it.
fn source_marks(p: &Params, solid: &[bool], l: &Level) -> Vec<u8> {
    let [nx, ny, nz] = p.n;
    let h = p.h;
    let mut src = vec![0u8; nx * ny * nz];
    for k in 0..nz {
        for j in 0..ny {
            for i in 0..nx {
                let c = i + nx * (j + ny * k);
                let (fx, fy) = (i + (nx + 1) * (j + ny * k), i + nx * (j + (ny + 1) * k));
                let (x, y, z) = ((i as f64 + 0.5) * h, (j as f64 + 0.5) * h, (k as f64 + 0.5) * h);
                let mut m = 0;
                if !solid[c] && inside(&p.source, x, y, z) {
                    m |= SRC_CELL;
                }
                if l.wx[fx] > 0.0 && inside(&p.source, i as f64 * h, y, z) {
                    m |= SRC_X;
                }
                if l.wy[fy] > 0.0 && inside(&p.source, x, j as f64 * h, z) {
                    m |= SRC_Y;
                }
                if l.wz[c] > 0.0 && inside(&p.source, x, y, k as f64 * h) {
                    m |= SRC_Z;
                }
                src[c] = m;
            }
        }
    }
    src
}

fn new_fluid(p: Params) -> Fluid {
    let [nx, ny, nz] = p.n;
    let nc = nx * ny * nz;
    let pad = nx * ny + 1;
    let h = p.h;
    let o = p.obstacle;
    let mut solid = vec![false; nc];
    for k in 0..nz {
        for j in 0..ny {
            for i in 0..nx {
                let (dx, dy, dz) = ((i as f64 + 0.5) * h - o[0], (j as f64 + 0.5) * h - o[1], (k as f64 + 0.5) * h - o[2]);
                solid[i + nx * (j + ny * k)] = o[3] > 0.0 && dx * dx + dy * dy + dz * dz < o[3] * o[3];
            }
        }
    }
    let lv = levels(&p, &solid);
    let src = source_marks(&p, &solid, &lv[0]);
    let (nu, nv, nw) = ((nx + 1) * ny * nz, nx * (ny + 1) * nz, nx * ny * (nz + 1));
    let mut f = Fluid {
        p,
        nc,
        u: vec![0.0; nu],
        v: vec![0.0; nv],
        w: vec![0.0; nw],
        u0: vec![0.0; nu],
        v0: vec![0.0; nv],
        w0: vec![0.0; nw],
        d: vec![0.0; nc],
        d0: vec![0.0; nc],
        phi: vec![0.0; nc + 2 * pad],
        b: vec![0.0; nc],
        cg_p: vec![0.0; nc + 2 * pad],
        cg_q: vec![0.0; nc],
        cg_r: vec![0.0; nc],
        cg_z: vec![0.0; nc],
        solid,
        src,
        lv,
        stats: [0.0; 4],
    };
    if p.taylor_green != 0.0 {
        // one period across a periodic box, half of one between closed walls
        let pi = if p.periodic { 2.0 * 3.141592653589793 } else { 3.141592653589793 };
        let k = pi / (nx as f64 * h);
        let uu = p.taylor_green;
        for kk in 0..nz {
            for j in 0..=ny {
                for i in 0..=nx {
                    let (x, y) = (i as f64 * h, j as f64 * h);
                    let (xc, yc) = (x + 0.5 * h, y + 0.5 * h);
                    if j < ny {
                        f.u[i + (nx + 1) * (j + ny * kk)] = uu * sin_poly(k * x) * cos_poly(k * yc);
                    }
                    if i < nx {
                        f.v[i + nx * (j + (ny + 1) * kk)] = -uu * cos_poly(k * xc) * sin_poly(k * y);
                    }
                }
            }
        }
        for c in 0..nu {
            if !(f.lv[0].wx[c] > 0.0) {
                f.u[c] = 0.0;
            }
        }
        for c in 0..nv {
            if !(f.lv[0].wy[c] > 0.0) {
                f.v[c] = 0.0;
            }
        }
        if p.periodic {
            f.copy_faces();
        }
    }
    f
}

// ---------------------------------------------------------------- exports

struct State {
    f: Fluid,
    points: Vec<f64>,
}

static mut STATE: Option<State> = None;
static mut STATS: [f64; 4] = [0.0; 4];

fn cfg(name: &str, i: i32, fallback: f64) -> f64 {
    unsafe {
        if config_count(name.as_ptr(), name.len() as i32) > i {
            config_f64(name.as_ptr(), name.len() as i32, i)
        } else {
            fallback
        }
    }
}

fn fail(a: &str, b: &str) -> ! {
    let msg = format!("{}{}", a, b);
    unsafe { log(msg.as_ptr(), msg.len() as i32) };
    std::arch::wasm32::unreachable()
}

fn create() -> Fluid {
    let mut mode = [0u8; 32];
    let name = "wasm:boundaryMode";
    let len = unsafe { config_str(name.as_ptr(), name.len() as i32, mode.as_mut_ptr(), 31) };
    let (mut open, mut periodic) = (false, false);
    if len >= 0 {
        let m = &mode[..(len as usize).min(31)];
        open = m == b"open";
        periodic = m == b"periodic";
        if !open && !periodic && m != b"closed" {
            fail("wasm:boundaryMode: \"closed\", \"open\" or \"periodic\", not ", &String::from_utf8_lossy(m));
        }
    }
    let mut p = Params {
        open,
        periodic,
        n: [
            cfg("wasm:gridResolution", 0, 64.0) as i32 as usize,
            cfg("wasm:gridResolution", 1, 64.0) as i32 as usize,
            cfg("wasm:gridResolution", 2, 64.0) as i32 as usize,
        ],
        h: cfg("wasm:cellSize", 0, 1.0 / 64.0),
        step: cfg("wasm:timeStep", 0, 1.0 / 60.0),
        viscosity: cfg("wasm:viscosity", 0, 0.0),
        diffusion: cfg("wasm:diffusion", 0, 0.0),
        max_iterations: cfg("wasm:solverIterations", 0, 20.0) as i32,
        tolerance: cfg("fluid:tolerance", 0, 1e-5),
        buoyancy: cfg("fluid:buoyancy", 0, 0.0),
        inflow: [0.0; 3],
        source: [0.0; 4],
        obstacle: [0.0; 4],
        taylor_green: cfg("fluid:taylorGreen", 0, 0.0),
    };
    for i in 0..3 {
        p.inflow[i] = cfg("wasm:inflowVelocity", i as i32, 0.0);
    }
    for i in 0..4 {
        p.source[i] = cfg("fluid:source", i as i32, 0.0);
        p.obstacle[i] = cfg("fluid:obstacle", i as i32, 0.0);
    }
    if let Some(why) = check(&p) {
        fail("cannot create the solver: ", why);
    }
    new_fluid(p)
}

unsafe fn finish(s: &State) -> *const f64 {
    STATS = [s.f.stats[0], s.f.stats[1], s.f.stats[2], s.f.stats[3]];
    std::ptr::addr_of!(STATS) as *const f64
}

/// fluid_step(dt, n, seeds, npix, slice, mip, tracers) -> stats (see ../c/fluid.c).
#[no_mangle]
pub unsafe extern "C" fn fluid_step(dt: f64, n: i32, seeds: *const f64, npix: i32, slice: *mut f64, mip: *mut f64,
                                    tracers: *mut f64) -> *const f64 {
    let st = &mut *std::ptr::addr_of_mut!(STATE);
    if st.is_none() {
        let f = create();
        if npix < 0 || npix as usize != f.p.n[0] * f.p.n[2] {
            fail("outputs:slice and outputs:mip need a capacity (wasm:outputs:slice:capacity) of nx * nz", "");
        }
        if n < 0 {
            fail("no tracer seeds", "");
        }
        let points = std::slice::from_raw_parts(seeds, 3 * n as usize).to_vec();
        *st = Some(State { f, points });
    }
    let s = st.as_mut().unwrap();
    s.f.advance(dt);
    s.f.move_points(&mut s.points, dt);
    let [nx, ny, nz] = s.f.p.n;
    let sl = std::slice::from_raw_parts_mut(slice, nx * nz);
    let mp = std::slice::from_raw_parts_mut(mip, nx * nz);
    let j = ny / 2;
    for k in 0..nz {
        for i in 0..nx {
            sl[i + nx * k] = s.f.d[i + nx * (j + ny * k)];
            let mut m = 0.0;
            for jj in 0..ny {
                let x = s.f.d[i + nx * (jj + ny * k)];
                if x > m {
                    m = x;
                }
            }
            mp[i + nx * k] = m;
        }
    }
    std::slice::from_raw_parts_mut(tracers, s.points.len()).copy_from_slice(&s.points);
    finish(s)
}

/// fluid_step_volume(dt, n, density0, density, tracers) -> stats (see ../c/fluid.c).
#[no_mangle]
pub unsafe extern "C" fn fluid_step_volume(dt: f64, n: i32, density0: *const f64, density: *mut f64,
                                           tracers: *mut f64) -> *const f64 {
    let st = &mut *std::ptr::addr_of_mut!(STATE);
    if st.is_none() {
        let mut f = create();
        if n < 0 || n as usize != f.nc {
            fail("inputs:density0 needs one value per cell (nx * ny * nz)", "");
        }
        let d0 = std::slice::from_raw_parts(density0, f.nc);
        let (nx, ny, h) = (f.p.n[0], f.p.n[1], f.p.h);
        let mut points = vec![0.0; 3 * f.nc];
        for c in 0..f.nc {
            f.d[c] = if f.solid[c] { 0.0 } else { d0[c] };
            points[3 * c] = ((c % nx) as f64 + 0.5) * h;
            points[3 * c + 1] = ((c / nx % ny) as f64 + 0.5) * h;
            points[3 * c + 2] = ((c / (nx * ny)) as f64 + 0.5) * h;
        }
        *st = Some(State { f, points });
    }
    let s = st.as_mut().unwrap();
    s.f.advance(dt);
    s.f.move_points(&mut s.points, dt);
    std::slice::from_raw_parts_mut(density, s.f.nc).copy_from_slice(&s.f.d);
    std::slice::from_raw_parts_mut(tracers, s.points.len()).copy_from_slice(&s.points);
    finish(s)
}

/// Host buffers for the bulk arrays (never freed: the host keeps them).
#[no_mangle]
pub extern "C" fn portalis_alloc(bytes: i32) -> *mut u8 {
    let mut v: Vec<u64> = Vec::with_capacity((bytes.max(0) as usize + 7) / 8);
    let p = v.as_mut_ptr() as *mut u8;
    std::mem::forget(v);
    p
}
