//! wasm:boundaryMode "periodic" (../README.md, Boundaries): the box wraps on
//! every axis; face n of an axis is a copy of face 0 (copy_faces after every
//! change). What reads across the box wraps here, with the same operations
//! in the same order as ../c/fluid_periodic.c.

use super::*;

pub(super) fn down(i: usize, n: usize) -> usize {
    if i > 0 { i - 1 } else { n - 1 }
}

pub(super) fn up(i: usize, n: usize) -> usize {
    if i + 1 < n { i + 1 } else { 0 }
}

/// nb_sum of a cell on the box of a periodic level: the neighbours wrap.
/// The weights as w(weight) (f64 for the PCG's A, f32 for the V-cycle).
pub(super) fn nb_sum_wrap<T, W>(l: &Level, x: &[T], pad: usize, c: usize, w: W) -> T
where
    T: Copy + std::ops::Add<Output = T> + std::ops::Mul<Output = T>,
    W: Fn(f64) -> T,
{
    let [nx, ny, nz] = l.n;
    let (i, j, k) = (c % nx, c / nx % ny, c / (nx * ny));
    let (fx, fy, sxy) = (i + (nx + 1) * (j + ny * k), i + nx * (j + (ny + 1) * k), nx * ny);
    let (xm, xp) = (c - i + down(i, nx), c - i + up(i, nx));
    let (ym, yp) = (c - nx * j + nx * down(j, ny), c - nx * j + nx * up(j, ny));
    let (zm, zp) = (c - sxy * k + sxy * down(k, nz), c - sxy * k + sxy * up(k, nz));
    (w(l.wx[fx]) * x[pad + xm] + w(l.wx[fx + 1]) * x[pad + xp])
        + (w(l.wy[fy]) * x[pad + ym] + w(l.wy[fy + nx]) * x[pad + yp])
        + (w(l.wz[c]) * x[pad + zm] + w(l.wz[c + sxy]) * x[pad + zp])
}

/// Face n of each axis takes face 0's value (periodic), for u-, v- and w-shaped arrays.
pub(super) fn copy_layers(u: &mut [f64], v: &mut [f64], w: &mut [f64], n: [usize; 3]) {
    let [nx, ny, nz] = n;
    for k in 0..nz {
        for j in 0..ny {
            u[nx + (nx + 1) * (j + ny * k)] = u[(nx + 1) * (j + ny * k)];
        }
    }
    for k in 0..nz {
        for i in 0..nx {
            v[i + nx * (ny + (ny + 1) * k)] = v[i + nx * (ny + 1) * k];
        }
    }
    for c in 0..nx * ny {
        w[c + nx * ny * nz] = w[c];
    }
}

pub(super) fn wrap_position(x: f64, len: f64) -> f64 {
    let x = x - len * (x / len).floor();
    let x = if x < 0.0 { x + len } else { x };
    if x >= len { x - len } else { x }
}

/// g (within one period of [0, p)) into [0, p).
pub(super) fn wrap_index(g: f64, p: f64) -> f64 {
    let g = if g < 0.0 { g + p } else { g };
    if g >= p { g - p } else { g }
}

/// Trilinear sample of a field of s[0] * s[1] * s[2] values with period p[a]
/// on axis a (s[a] = p[a] + 1 on its face axis, whose last layer is the copy of the first).
pub(super) fn sample_wrap(a: &[f64], s: [usize; 3], p: [usize; 3], gx: f64, gy: f64, gz: f64) -> f64 {
    let (gx, gy, gz) = (wrap_index(gx, p[0] as f64), wrap_index(gy, p[1] as f64), wrap_index(gz, p[2] as f64));
    let (i, j, k) = (gx as usize, gy as usize, gz as usize);
    let i1 = if i + 1 < s[0] { i + 1 } else { 0 };
    let j1 = if j + 1 < s[1] { j + 1 } else { 0 };
    let k1 = if k + 1 < s[2] { k + 1 } else { 0 };
    let (tx, ty, tz) = (gx - i as f64, gy - j as f64, gz - k as f64);
    let (sx, sxy) = (s[0], s[0] * s[1]);
    let at = |ii: usize, jj: usize, kk: usize| a[ii + sx * jj + sxy * kk];
    let a00 = at(i, j, k) + tx * (at(i1, j, k) - at(i, j, k));
    let a10 = at(i, j1, k) + tx * (at(i1, j1, k) - at(i, j1, k));
    let a01 = at(i, j, k1) + tx * (at(i1, j, k1) - at(i, j, k1));
    let a11 = at(i, j1, k1) + tx * (at(i1, j1, k1) - at(i, j1, k1));
    let (b0, b1) = (a00 + ty * (a10 - a00), a01 + ty * (a11 - a01));
    b0 + tz * (b1 - b0)
}

/// Periodic diffuse_faces: every neighbour wraps; axis is the field's face axis.
pub(super) fn diffuse_wrap(a: &mut [f64], a0: &[f64], wt: &[f64], n: [usize; 3], axis: usize, coef: f64) {
    let mut s = n;
    s[axis] += 1;
    let st = [1, s[0], s[0] * s[1]];
    for k in 0..n[2] {
        for j in 0..n[1] {
            for i in 0..n[0] {
                let c = i + st[1] * j + st[2] * k;
                let idx = [i, j, k];
                let o = a0[c];
                if !(wt[c] > 0.0) {
                    a[c] = o;
                    continue;
                }
                let mut nb = [0.0; 6];
                for e in 0..3 {
                    nb[2 * e] = a0[c - st[e] * idx[e] + st[e] * down(idx[e], n[e])];
                    nb[2 * e + 1] = a0[c - st[e] * idx[e] + st[e] * up(idx[e], n[e])];
                }
                a[c] = o + coef * (((nb[0] - o) + (nb[1] - o)) + ((nb[2] - o) + (nb[3] - o)) + ((nb[4] - o) + (nb[5] - o)));
            }
        }
    }
}

impl Fluid {
    /// Periodic: the faces at index 0 (between the last and the first cell), then the copies.
    pub(super) fn periodic_gradient(&mut self) {
        let [nx, ny, nz] = self.p.n;
        let pad = self.pad();
        let (l, phi) = (&self.lv[0], &self.phi);
        for k in 0..nz {
            for j in 0..ny {
                let (c, fx) = (nx * (j + ny * k), (nx + 1) * (j + ny * k));
                if l.wx[fx] > 0.0 {
                    self.u[fx] -= phi[pad + c] - phi[pad + c + nx - 1];
                }
            }
        }
        for k in 0..nz {
            for i in 0..nx {
                let (c, fy) = (i + nx * ny * k, i + nx * (ny + 1) * k);
                if l.wy[fy] > 0.0 {
                    self.v[fy] -= phi[pad + c] - phi[pad + c + nx * (ny - 1)];
                }
            }
        }
        for c in 0..nx * ny {
            if l.wz[c] > 0.0 {
                self.w[c] -= phi[pad + c] - phi[pad + c + nx * ny * (nz - 1)];
            }
        }
        self.copy_faces();
    }

    /// Periodic: face n of each axis = face 0.
    pub(super) fn copy_faces(&mut self) {
        let [nx, ny, nz] = self.p.n;
        copy_layers(&mut self.u, &mut self.v, &mut self.w, [nx, ny, nz]);
    }

    /// advect_velocity (which saved the old velocity in u0, v0, w0) with every
    /// neighbour index and back-traced point wrapped.
    pub(super) fn advect_periodic(&mut self, dt: f64) {
        let [nx, ny, nz] = self.p.n;
        let cu = dt / self.p.h;
        let (bx_, by_, bz_) = (nx as f64, ny as f64, nz as f64);
        let (u, v, w) = (&self.u0, &self.v0, &self.w0);
        let l = &self.lv[0];
        let per = [nx, ny, nz];
        let uu_ = |i: usize, j: usize, k: usize| u[i + (nx + 1) * (j + ny * k)];
        let vv_ = |i: usize, j: usize, k: usize| v[i + nx * (j + (ny + 1) * k)];
        let ww_ = |i: usize, j: usize, k: usize| w[i + nx * (j + ny * k)];
        for k in 0..nz {
            for j in 0..ny {
                for i in 0..nx {
                    let c = i + nx * (j + ny * k);
                    let (fx, fy) = (i + (nx + 1) * (j + ny * k), i + nx * (j + (ny + 1) * k));
                    let (im, jm, km) = (down(i, nx), down(j, ny), down(k, nz));
                    let (x, y, z) = (i as f64 + 0.5, j as f64 + 0.5, k as f64 + 0.5);
                    if l.wx[fx] > 0.0 {
                        let vv = avg4(vv_(im, j, k), vv_(i, j, k), vv_(im, j + 1, k), vv_(i, j + 1, k));
                        let ww = avg4(ww_(im, j, k), ww_(i, j, k), ww_(im, j, k + 1), ww_(i, j, k + 1));
                        let bx = wrap_position(i as f64 - cu * u[fx], bx_);
                        let by = wrap_position(y - cu * vv, by_);
                        let bz = wrap_position(z - cu * ww, bz_);
                        self.u[fx] = sample_wrap(u, [nx + 1, ny, nz], per, bx, by - 0.5, bz - 0.5);
                    }
                    if l.wy[fy] > 0.0 {
                        let uu = avg4(uu_(i, jm, k), uu_(i, j, k), uu_(i + 1, jm, k), uu_(i + 1, j, k));
                        let ww = avg4(ww_(i, jm, k), ww_(i, j, k), ww_(i, jm, k + 1), ww_(i, j, k + 1));
                        let bx = wrap_position(x - cu * uu, bx_);
                        let by = wrap_position(j as f64 - cu * v[fy], by_);
                        let bz = wrap_position(z - cu * ww, bz_);
                        self.v[fy] = sample_wrap(v, [nx, ny + 1, nz], per, bx - 0.5, by, bz - 0.5);
                    }
                    if l.wz[c] > 0.0 {
                        let uu = avg4(uu_(i, j, km), uu_(i, j, k), uu_(i + 1, j, km), uu_(i + 1, j, k));
                        let vv = avg4(vv_(i, j, km), vv_(i, j, k), vv_(i, j + 1, km), vv_(i, j + 1, k));
                        let bx = wrap_position(x - cu * uu, bx_);
                        let by = wrap_position(y - cu * vv, by_);
                        let bz = wrap_position(k as f64 - cu * w[c], bz_);
                        self.w[c] = sample_wrap(w, [nx, ny, nz + 1], per, bx - 0.5, by - 0.5, bz);
                    }
                }
            }
        }
        self.copy_faces();
    }
}
