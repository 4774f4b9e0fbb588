#!/usr/bin/env python3
"""NumPy reference of the fluid demonstration's solver (demos/fluid/README.md).

The same algorithm as ../c/fluid_core.c and ../c/fluid_pressure.c (MAC grid,
closed free-slip walls or open (outflow) ones, sphere obstacle, source, buoyancy, semi-Lagrangian
velocity advection, explicit viscosity, multigrid-preconditioned conjugate
gradients for the pressure, conservative upwind density transport; or a
periodic box), written
with whole-array operations. Arrays are indexed [k, j, i] (z, y, x), so their
flat order is the modules' (x fastest). Sums are taken in another order than
the modules' (NumPy's pairwise sums), so results agree to rounding, not bit
for bit: the check asks for 1e-9.

Usage:
  fluid.py check SCENE.usda OUT.usda [--tol 1e-9]
      re-runs a fluid_step_volume scene (fluid_check.usda) from its
      attributes and compares every recorded density value and tracer with
      this reference; also checks the divergence after each projection
      (recomputed here) against the scene's fluid:tolerance
  fluid.py mass SCENE.usda OUT.usda [--bound 1e-12]
      the density integral of every recorded frame (summed here from the
      recorded field) against the first one; in a periodic box also that a
      quarter of it has crossed the top face into the lower half
  fluid.py outflow SCENE.usda OUT.usda [--bound 0.5]
      open walls (fluid_outflow.usda): the density integral of the recorded
      frames never grows (1e-12 relative), no density is negative, the
      divergence stays within the tolerance, and at least `bound` of the
      initial mass has left through the walls by the last frame
  fluid.py taylor-green SCENE.usda OUT.usda [--bound 0.01]
      the recorded kinetic energy against exp(-4 nu k^2 t), k = pi / width
      (closed walls) or 2 pi / width (periodic box)
"""
import math
import re
import sys

import numpy as np

SMOOTH = 2  # red-black sweeps before and after the coarse correction


def clamp(x, lo, hi):
    return np.minimum(np.maximum(x, lo), hi)


def inside(s, x, y, z):
    if not s[3] > 0:
        return np.zeros(np.broadcast(x, y, z).shape, bool)
    dx, dy, dz = x - s[0], y - s[1], z - s[2]
    return dx * dx + dy * dy + dz * dz < s[3] * s[3]


def sample(a, gx, gy, gz):
    """Trilinear sample of a[k, j, i] at grid point (gx, gy, gz) (value [k, j, i] at (i, j, k)), clamped."""
    sz, sy, sx = a.shape
    gx, gy, gz = clamp(gx, 0, sx - 1), clamp(gy, 0, sy - 1), clamp(gz, 0, sz - 1)
    i = np.minimum(gx.astype(int), sx - 2)
    j = np.minimum(gy.astype(int), sy - 2)
    k = np.minimum(gz.astype(int), sz - 2)
    tx, ty, tz = gx - i, gy - j, gz - k

    def lerp_x(kk, jj):
        a0 = a[kk, jj, i]
        return a0 + tx * (a[kk, jj, i + 1] - a0)

    a00, a10, a01, a11 = lerp_x(k, j), lerp_x(k, j + 1), lerp_x(k + 1, j), lerp_x(k + 1, j + 1)
    b0, b1 = a00 + ty * (a10 - a00), a01 + ty * (a11 - a01)
    return b0 + tz * (b1 - b0)


def wrap_index(g, p):
    """g (within one period of [0, p)) into [0, p)."""
    g = np.where(g < 0, g + p, g)
    return np.where(g >= p, g - p, g)


def wrap_position(x, length):
    x = x - length * np.floor(x / length)
    x = np.where(x < 0, x + length, x)
    return np.where(x >= length, x - length, x)


def sample_wrap(a, gx, gy, gz, per):
    """Trilinear sample of a[k, j, i] with period per = (px, py, pz) (a face
    axis holds p + 1 values, the last a copy of the first)."""
    sz, sy, sx = a.shape
    gx, gy, gz = wrap_index(gx, per[0]), wrap_index(gy, per[1]), wrap_index(gz, per[2])
    i, j, k = gx.astype(int), gy.astype(int), gz.astype(int)
    i1, j1, k1 = np.where(i + 1 < sx, i + 1, 0), np.where(j + 1 < sy, j + 1, 0), np.where(k + 1 < sz, k + 1, 0)
    tx, ty, tz = gx - i, gy - j, gz - k

    def lerp_x(kk, jj):
        a0 = a[kk, jj, i]
        return a0 + tx * (a[kk, jj, i1] - a0)

    a00, a10, a01, a11 = lerp_x(k, j), lerp_x(k, j1), lerp_x(k1, j), lerp_x(k1, j1)
    b0, b1 = a00 + ty * (a10 - a00), a01 + ty * (a11 - a01)
    return b0 + tz * (b1 - b0)


def copy_faces(u, v, w):
    """Periodic: face n of each axis is face 0."""
    u[:, :, -1] = u[:, :, 0]
    v[:, -1, :] = v[:, 0, :]
    w[-1] = w[0]


def seqsum(a):
    """the sum of a's values one after the other, in memory order (the modules' order: the PCG's
    dot products decide the rounding of r to single precision before each V-cycle)"""
    return float(np.cumsum(a, dtype=np.float64)[-1]) if a.size else 0.0


def avg4(a, b, c, d):
    return 0.25 * ((a + b) + (c + d))


def sin_poly(x):
    pi = 3.141592653589793
    while x > pi:
        x -= 2 * pi
    while x < -pi:
        x += 2 * pi
    if x > pi / 2:
        x = pi - x
    if x < -pi / 2:
        x = -pi - x
    x2, s = x * x, -1.0 / 1307674368000.0
    for c in (1.0 / 6227020800.0, -1.0 / 39916800.0, 1.0 / 362880.0, -1.0 / 5040.0, 1.0 / 120.0, -1.0 / 6.0, 1.0):
        s = c + x2 * s
    return x * s


def cos_poly(x):
    return sin_poly(x + 3.141592653589793 / 2)


class Level:
    def __init__(self, wx, wy, wz, wall, periodic=False):
        """wall: weight of each cell's open walls (pressure 0 beyond: in the diagonal only);
        periodic: the neighbours wrap."""
        self.wx, self.wy, self.wz, self.wall, self.periodic = wx, wy, wz, wall, periodic
        self.diag = ((wx[:, :, :-1] + wx[:, :, 1:]) + (wy[:, :-1, :] + wy[:, 1:, :]) + (wz[:-1] + wz[1:])) + wall
        # the V-cycle's operator in single precision (1 / diag rounded from double, as the C and Rust modules)
        self.inv = np.where(self.diag > 0, 1 / np.where(self.diag > 0, self.diag, 1), 0).astype(np.float32)
        self.w32 = (wx.astype(np.float32), wy.astype(np.float32), wz.astype(np.float32))
        self.diag32 = self.diag.astype(np.float32)
        nz, ny, nx = self.diag.shape
        k, j, i = np.meshgrid(np.arange(nz), np.arange(ny), np.arange(nx), indexing="ij")
        self.colour = [((i + j + k) % 2) == c for c in (0, 1)]

    def nb_sum(self, x):
        """sum over the faces of weight * neighbour, in x's precision (float32: the V-cycle)"""
        p = np.pad(x, 1, mode="wrap") if self.periodic else np.pad(x, 1)
        xm, xp = p[1:-1, 1:-1, :-2], p[1:-1, 1:-1, 2:]
        ym, yp = p[1:-1, :-2, 1:-1], p[1:-1, 2:, 1:-1]
        zm, zp = p[:-2, 1:-1, 1:-1], p[2:, 1:-1, 1:-1]
        wx, wy, wz = self.w32 if x.dtype == np.float32 else (self.wx, self.wy, self.wz)
        return ((wx[:, :, :-1] * xm + wx[:, :, 1:] * xp) + (wy[:, :-1, :] * ym + wy[:, 1:, :] * yp) +
                (wz[:-1] * zm + wz[1:] * zp))

    def apply(self, x):
        return self.diag * x - self.nb_sum(x)

    def sweep(self, z, r, colour):
        new = (r + self.nb_sum(z)) * self.inv
        m = self.colour[colour]
        z[m] = new[m]

    def coarser(self):
        nz, ny, nx = self.diag.shape
        if nx % 2 or ny % 2 or nz % 2 or min(nx, ny, nz) < 4:
            return None
        if self.periodic and (nx // 2 % 2 or ny // 2 % 2 or nz // 2 % 2):
            return None  # periodic red-black sweeps need an even n
        fx = self.wx[:, :, ::2].reshape(nz // 2, 2, ny // 2, 2, nx // 2 + 1).sum(axis=(1, 3))
        fy = self.wy[:, ::2, :].reshape(nz // 2, 2, ny // 2 + 1, nx // 2, 2).sum(axis=(1, 4))
        fz = self.wz[::2, :, :].reshape(nz // 2 + 1, ny // 2, 2, nx // 2, 2).sum(axis=(2, 4))
        fw = self.wall.reshape(nz // 2, 2, ny // 2, 2, nx // 2, 2).sum(axis=(1, 3, 5))
        return Level(0.5 * fx, 0.5 * fy, 0.5 * fz, 0.5 * fw, self.periodic)


class Fluid:
    def __init__(self, p):
        self.p = p
        nx, ny, nz = p["n"]
        h = p["h"]
        self.u = np.zeros((nz, ny, nx + 1))
        self.v = np.zeros((nz, ny + 1, nx))
        self.w = np.zeros((nz + 1, ny, nx))
        self.d = np.zeros((nz, ny, nx))
        self.phi = np.zeros((nz, ny, nx))
        self.xc = (np.arange(nx) + 0.5) * h
        self.yc = (np.arange(ny) + 0.5) * h
        self.zc = (np.arange(nz) + 0.5) * h
        self.xf, self.yf, self.zf = np.arange(nx + 1) * h, np.arange(ny + 1) * h, np.arange(nz + 1) * h
        Z, Y, X = np.meshgrid(self.zc, self.yc, self.xc, indexing="ij")
        self.solid = inside(p["obstacle"], X, Y, Z)
        fluid = ~self.solid
        wx, wy, wz = np.zeros(self.u.shape), np.zeros(self.v.shape), np.zeros(self.w.shape)
        wx[:, :, 1:nx] = fluid[:, :, :-1] & fluid[:, :, 1:]
        wy[:, 1:ny, :] = fluid[:, :-1, :] & fluid[:, 1:, :]
        wz[1:nz] = fluid[:-1] & fluid[1:]
        self.open = p["boundary"] == "open"
        self.periodic = p["boundary"] == "periodic"
        if self.periodic:  # the faces at 0 join the last and the first cell; face n is face 0
            wx[:, :, 0] = fluid[:, :, -1] & fluid[:, :, 0]
            wy[:, 0, :] = fluid[:, -1, :] & fluid[:, 0, :]
            wz[0] = fluid[-1] & fluid[0]
            copy_faces(wx, wy, wz)
        wall = np.zeros(self.d.shape)
        if self.open:
            k, j, i = np.meshgrid(np.arange(nz), np.arange(ny), np.arange(nx), indexing="ij")
            count = (((i == 0).astype(float) + (i == nx - 1)) + ((j == 0).astype(float) + (j == ny - 1))) + \
                ((k == 0).astype(float) + (k == nz - 1))
            wall = np.where(fluid, count, 0.0)
        self.levels = [Level(wx, wy, wz, wall, self.periodic)]
        while len(self.levels) < 8:
            c = self.levels[-1].coarser()
            if c is None:
                break
            self.levels.append(c)
        self.stats = [0.0, 0.0, 0.0, 0.0]
        if p["taylor_green"] != 0:
            self.taylor_green()

    def taylor_green(self):
        nx, ny, nz = self.p["n"]
        h, U = self.p["h"], self.p["taylor_green"]
        # one period across a periodic box, half of one between closed walls
        pi = 2 * 3.141592653589793 if self.periodic else 3.141592653589793
        k = pi / (nx * h)
        for j in range(ny + 1):
            for i in range(nx + 1):
                x, y = i * h, j * h
                xc, yc = x + 0.5 * h, y + 0.5 * h
                if j < ny:
                    self.u[:, j, i] = U * sin_poly(k * x) * cos_poly(k * yc)
                if i < nx:
                    self.v[:, j, i] = -U * cos_poly(k * xc) * sin_poly(k * y)
        L = self.levels[0]
        self.u[L.wx == 0] = 0
        self.v[L.wy == 0] = 0
        if self.periodic:
            copy_faces(self.u, self.v, self.w)

    # --- forces ---------------------------------------------------------
    def forces(self, dt):
        p, L = self.p, self.levels[0]
        s = p["source"]
        Z, Y, X = np.meshgrid(self.zc, self.yc, self.xc, indexing="ij")
        self.d[~self.solid & inside(s, X, Y, Z)] = 1
        Z, Y, X = np.meshgrid(self.zc, self.yc, self.xf, indexing="ij")
        self.u[(L.wx > 0) & inside(s, X, Y, Z)] = p["inflow"][0]
        Z, Y, X = np.meshgrid(self.zc, self.yf, self.xc, indexing="ij")
        self.v[(L.wy > 0) & inside(s, X, Y, Z)] = p["inflow"][1]
        Z, Y, X = np.meshgrid(self.zf, self.yc, self.xc, indexing="ij")
        self.w[(L.wz > 0) & inside(s, X, Y, Z)] = p["inflow"][2]
        d = self.d
        acc = (dt * p["buoyancy"]) * (0.5 * (d[:-1] + d[1:]))
        self.w[1:-1] = np.where(L.wz[1:-1] > 0, self.w[1:-1] + acc, self.w[1:-1])
        if self.periodic:  # the z-faces at 0, between the top and the bottom layer
            acc0 = (dt * p["buoyancy"]) * (0.5 * (d[-1] + d[0]))
            self.w[0] = np.where(L.wz[0] > 0, self.w[0] + acc0, self.w[0])
            copy_faces(self.u, self.v, self.w)

    # --- advection ------------------------------------------------------
    def advect_periodic(self, dt):
        """advect_velocity with wrapped neighbours and back-traced points (faces 0 .. n-1, then the copies)."""
        nx, ny, nz = self.p["n"]
        cu = dt / self.p["h"]
        X, Y, Zt = float(nx), float(ny), float(nz)
        u, v, w = self.u.copy(), self.v.copy(), self.w.copy()
        L, per = self.levels[0], (nx, ny, nz)
        ic, jc, kc = np.arange(nx) + 0.5, np.arange(ny) + 0.5, np.arange(nz) + 0.5
        down = lambda a, axis: np.roll(a, 1, axis=axis)  # value at index - 1, wrapped
        # x-faces i = 0 .. nx-1: v(i-1, j), v(i, j), v(i-1, j+1), v(i, j+1); w likewise with k
        vv = avg4(down(v[:, :-1, :], 2), v[:, :-1, :], down(v[:, 1:, :], 2), v[:, 1:, :])
        ww = avg4(down(w[:-1], 2), w[:-1], down(w[1:], 2), w[1:])
        Zc, Yc, Xf = np.meshgrid(kc, jc, np.arange(nx, dtype=float), indexing="ij")
        uc = u[:, :, :nx]
        bx, by, bz = wrap_position(Xf - cu * uc, X), wrap_position(Yc - cu * vv, Y), wrap_position(Zc - cu * ww, Zt)
        self.u[:, :, :nx] = np.where(L.wx[:, :, :nx] > 0, sample_wrap(u, bx, by - 0.5, bz - 0.5, per), uc)
        # y-faces: u(i, j-1), u(i, j), u(i+1, j-1), u(i+1, j); w(i, j-1, k), w(i, j, k), ... k+1
        uu = avg4(down(u[:, :, :-1], 1), u[:, :, :-1], down(u[:, :, 1:], 1), u[:, :, 1:])
        ww = avg4(down(w[:-1], 1), w[:-1], down(w[1:], 1), w[1:])
        Zc, Yf, Xc = np.meshgrid(kc, np.arange(ny, dtype=float), ic, indexing="ij")
        vc = v[:, :ny, :]
        bx, by, bz = wrap_position(Xc - cu * uu, X), wrap_position(Yf - cu * vc, Y), wrap_position(Zc - cu * ww, Zt)
        self.v[:, :ny, :] = np.where(L.wy[:, :ny, :] > 0, sample_wrap(v, bx - 0.5, by, bz - 0.5, per), vc)
        # z-faces: u(i, j, k-1), u(i, j, k), u(i+1, j, k-1), u(i+1, j, k); v likewise with j+1
        uu = avg4(down(u[:, :, :-1], 0), u[:, :, :-1], down(u[:, :, 1:], 0), u[:, :, 1:])
        vv = avg4(down(v[:, :-1, :], 0), v[:, :-1, :], down(v[:, 1:, :], 0), v[:, 1:, :])
        Zf, Yc, Xc = np.meshgrid(np.arange(nz, dtype=float), jc, ic, indexing="ij")
        wc = w[:nz]
        bx, by, bz = wrap_position(Xc - cu * uu, X), wrap_position(Yc - cu * vv, Y), wrap_position(Zf - cu * wc, Zt)
        self.w[:nz] = np.where(L.wz[:nz] > 0, sample_wrap(w, bx - 0.5, by - 0.5, bz, per), wc)
        copy_faces(self.u, self.v, self.w)

    def advect_velocity(self, dt):
        """In cell units (cu = dt / h): the face (i, j, k) of u sits at (i, j + 1/2, k + 1/2)."""
        if self.periodic:
            return self.advect_periodic(dt)
        nx, ny, nz = self.p["n"]
        cu = dt / self.p["h"]
        X, Y, Zt = float(nx), float(ny), float(nz)
        u, v, w = self.u.copy(), self.v.copy(), self.w.copy()
        L = self.levels[0]
        ic, jc, kc = np.arange(nx) + 0.5, np.arange(ny) + 0.5, np.arange(nz) + 0.5
        # x-faces i = 1 .. nx-1
        vv = avg4(v[:, :-1, :-1], v[:, :-1, 1:], v[:, 1:, :-1], v[:, 1:, 1:])
        ww = avg4(w[:-1, :, :-1], w[:-1, :, 1:], w[1:, :, :-1], w[1:, :, 1:])
        Zc, Yc, Xf = np.meshgrid(kc, jc, np.arange(1, nx, dtype=float), indexing="ij")
        uc = u[:, :, 1:nx]
        bx, by, bz = clamp(Xf - cu * uc, 0, X), clamp(Yc - cu * vv, 0, Y), clamp(Zc - cu * ww, 0, Zt)
        new = sample(u, bx, by - 0.5, bz - 0.5)
        self.u[:, :, 1:nx] = np.where(L.wx[:, :, 1:nx] > 0, new, uc)
        # y-faces j = 1 .. ny-1
        uu = avg4(u[:, :-1, :-1], u[:, 1:, :-1], u[:, :-1, 1:], u[:, 1:, 1:])
        ww = avg4(w[:-1, :-1, :], w[:-1, 1:, :], w[1:, :-1, :], w[1:, 1:, :])
        Zc, Yf, Xc = np.meshgrid(kc, np.arange(1, ny, dtype=float), ic, indexing="ij")
        vc = v[:, 1:ny, :]
        bx, by, bz = clamp(Xc - cu * uu, 0, X), clamp(Yf - cu * vc, 0, Y), clamp(Zc - cu * ww, 0, Zt)
        new = sample(v, bx - 0.5, by, bz - 0.5)
        self.v[:, 1:ny, :] = np.where(L.wy[:, 1:ny, :] > 0, new, vc)
        # z-faces k = 1 .. nz-1
        uu = avg4(u[:-1, :, :-1], u[1:, :, :-1], u[:-1, :, 1:], u[1:, :, 1:])
        vv = avg4(v[:-1, :-1, :], v[1:, :-1, :], v[:-1, 1:, :], v[1:, 1:, :])
        Zf, Yc, Xc = np.meshgrid(np.arange(1, nz, dtype=float), jc, ic, indexing="ij")
        wc = w[1:nz]
        bx, by, bz = clamp(Xc - cu * uu, 0, X), clamp(Yc - cu * vv, 0, Y), clamp(Zf - cu * wc, 0, Zt)
        new = sample(w, bx - 0.5, by - 0.5, bz)
        self.w[1:nz] = np.where(L.wz[1:nz] > 0, new, wc)

    # --- viscosity and scalar transport ----------------------------------
    @staticmethod
    def substeps(rate):
        return math.ceil(rate * 8) if rate > 0 else 0

    @staticmethod
    def diffuse_faces(a0, wt, coef):
        p = np.pad(a0, 1, mode="edge")
        o = a0
        xm, xp = p[1:-1, 1:-1, :-2], p[1:-1, 1:-1, 2:]
        ym, yp = p[1:-1, :-2, 1:-1], p[1:-1, 2:, 1:-1]
        zm, zp = p[:-2, 1:-1, 1:-1], p[2:, 1:-1, 1:-1]
        new = o + coef * (((xm - o) + (xp - o)) + ((ym - o) + (yp - o)) + ((zm - o) + (zp - o)))
        return np.where(wt > 0, new, a0)

    @staticmethod
    def diffuse_wrap(a0, wt, coef, axis):
        """diffuse_faces with wrapped neighbours; axis: the array axis of the faces' copy layer."""
        sl = [slice(None)] * 3
        sl[axis] = slice(0, -1)
        sl = tuple(sl)
        o = a0[sl]
        p = np.pad(o, 1, mode="wrap")
        xm, xp = p[1:-1, 1:-1, :-2], p[1:-1, 1:-1, 2:]
        ym, yp = p[1:-1, :-2, 1:-1], p[1:-1, 2:, 1:-1]
        zm, zp = p[:-2, 1:-1, 1:-1], p[2:, 1:-1, 1:-1]
        new = o + coef * (((xm - o) + (xp - o)) + ((ym - o) + (yp - o)) + ((zm - o) + (zp - o)))
        out = a0.copy()
        out[sl] = np.where(wt[sl] > 0, new, o)
        return out

    def viscosity(self, dt):
        h = self.p["h"]
        rate = self.p["viscosity"] * dt / (h * h)
        n = self.substeps(rate)
        L = self.levels[0]
        for _ in range(n):
            if self.periodic:
                self.u = self.diffuse_wrap(self.u, L.wx, rate / n, 2)
                self.v = self.diffuse_wrap(self.v, L.wy, rate / n, 1)
                self.w = self.diffuse_wrap(self.w, L.wz, rate / n, 0)
                copy_faces(self.u, self.v, self.w)
                continue
            self.u = self.diffuse_faces(self.u, L.wx, rate / n)
            self.v = self.diffuse_faces(self.v, L.wy, rate / n)
            self.w = self.diffuse_faces(self.w, L.wz, rate / n)

    def transport(self, a0, c, coef):
        L = self.levels[0]

        def flux(vel, wt, lo, hi):
            up = np.where(vel > 0, lo, hi)
            return np.where(wt > 0, c * vel * up + coef * (lo - hi), 0.0)

        fx = np.zeros(self.u.shape)
        fx[:, :, 1:-1] = flux(self.u[:, :, 1:-1], L.wx[:, :, 1:-1], a0[:, :, :-1], a0[:, :, 1:])
        fy = np.zeros(self.v.shape)
        fy[:, 1:-1, :] = flux(self.v[:, 1:-1, :], L.wy[:, 1:-1, :], a0[:, :-1, :], a0[:, 1:, :])
        fz = np.zeros(self.w.shape)
        fz[1:-1] = flux(self.w[1:-1], L.wz[1:-1], a0[:-1], a0[1:])
        if self.open:
            # out: the cell's density, in: none, no diffusion
            fl = ~self.solid
            fx[:, :, 0] = np.where(fl[:, :, 0], c * self.u[:, :, 0] * np.where(self.u[:, :, 0] > 0, 0.0, a0[:, :, 0]), 0.0)
            fx[:, :, -1] = np.where(fl[:, :, -1], c * self.u[:, :, -1] * np.where(self.u[:, :, -1] > 0, a0[:, :, -1], 0.0), 0.0)
            fy[:, 0, :] = np.where(fl[:, 0, :], c * self.v[:, 0, :] * np.where(self.v[:, 0, :] > 0, 0.0, a0[:, 0, :]), 0.0)
            fy[:, -1, :] = np.where(fl[:, -1, :], c * self.v[:, -1, :] * np.where(self.v[:, -1, :] > 0, a0[:, -1, :], 0.0), 0.0)
            fz[0] = np.where(fl[0], c * self.w[0] * np.where(self.w[0] > 0, 0.0, a0[0]), 0.0)
            fz[-1] = np.where(fl[-1], c * self.w[-1] * np.where(self.w[-1] > 0, a0[-1], 0.0), 0.0)
        if self.periodic:  # the faces at 0 join the last and the first cell; face n is face 0
            fx[:, :, 0] = flux(self.u[:, :, 0], L.wx[:, :, 0], a0[:, :, -1], a0[:, :, 0])
            fy[:, 0, :] = flux(self.v[:, 0, :], L.wy[:, 0, :], a0[:, -1, :], a0[:, 0, :])
            fz[0] = flux(self.w[0], L.wz[0], a0[-1], a0[0])
            copy_faces(fx, fy, fz)
        return a0 + (((fx[:, :, :-1] - fx[:, :, 1:]) + (fy[:, :-1, :] - fy[:, 1:, :])) + (fz[:-1] - fz[1:]))

    def max_outflow(self):
        """The largest sum over a cell's faces of the velocity leaving it."""
        def pos(x):
            return np.where(x > 0, x, 0.0)
        u, v, w = self.u, self.v, self.w
        o = ((pos(-u[:, :, :-1]) + pos(u[:, :, 1:])) + (pos(-v[:, :-1, :]) + pos(v[:, 1:, :]))) + \
            (pos(-w[:-1]) + pos(w[1:]))
        return max(float(o.max()), 0.0)

    def scalars(self, dt):
        h = self.p["h"]
        cu, rate = dt / h, self.p["diffusion"] * dt / (h * h)
        n = math.floor(cu * self.max_outflow() + 6 * rate) + 1  # c outflow + 6 coef < 1: no negative density
        c, coef = cu / n, rate / n
        for _ in range(n):
            self.d = self.transport(self.d, c, coef)

    # --- pressure -------------------------------------------------------
    def vcycle(self, l, r):
        """one V-cycle in single precision (r and the result float32)"""
        L = self.levels[l]
        z = np.zeros(r.shape, np.float32)
        if l == len(self.levels) - 1:
            for _ in range(8):
                L.sweep(z, r, 0)
                L.sweep(z, r, 1)
            for _ in range(8):
                L.sweep(z, r, 1)
                L.sweep(z, r, 0)
            return z
        for _ in range(SMOOTH):
            L.sweep(z, r, 0)
            L.sweep(z, r, 1)
        # the black sweep leaves the black residuals 0 up to rounding: taken as 0
        # the red children summed in the C module's order: (di, dj, dk) = 000, 110, 101, 011
        rr = r - (L.diag32 * z - L.nb_sum(z))
        nz, ny, nx = r.shape
        a = rr.reshape(nz // 2, 2, ny // 2, 2, nx // 2, 2)  # [k, dk, j, dj, i, di]
        rc = np.zeros((nz // 2, ny // 2, nx // 2), np.float32)
        for di, dj, dk in ((0, 0, 0), (1, 1, 0), (1, 0, 1), (0, 1, 1)):
            rc = rc + a[:, dk, :, dj, :, di]
        zc = self.vcycle(l + 1, rc)
        z += np.repeat(np.repeat(np.repeat(zc, 2, 0), 2, 1), 2, 2)
        for _ in range(SMOOTH):
            L.sweep(z, r, 1)
            L.sweep(z, r, 0)
        return z

    def extrapolate_walls(self):
        """Open walls: each face on the box of a fluid cell takes the velocity of the face behind it."""
        fl = ~self.solid
        u, v, w = self.u, self.v, self.w
        u[:, :, 0] = np.where(fl[:, :, 0], u[:, :, 1], u[:, :, 0])
        u[:, :, -1] = np.where(fl[:, :, -1], u[:, :, -2], u[:, :, -1])
        v[:, 0, :] = np.where(fl[:, 0, :], v[:, 1, :], v[:, 0, :])
        v[:, -1, :] = np.where(fl[:, -1, :], v[:, -2, :], v[:, -1, :])
        w[0] = np.where(fl[0], w[1], w[0])
        w[-1] = np.where(fl[-1], w[-2], w[-1])

    def remove_mean(self, x):
        m = self.levels[0].diag > 0
        if m.any():
            x = np.where(m, x - seqsum(x[m]) / m.sum(), 0)
        return x

    def divergence(self):
        return (self.u[:, :, 1:] - self.u[:, :, :-1]) + (self.v[:, 1:, :] - self.v[:, :-1, :]) + (self.w[1:] - self.w[:-1])

    def solve(self, b, threshold):
        L = self.levels[0]
        r = b - L.apply(self.phi)
        if np.abs(r).max() <= threshold:
            return 0
        z = self.vcycle(0, r.astype(np.float32)).astype(np.float64)
        p = z.copy()
        rho = seqsum(r * z)
        it = 0
        while it < self.p["max_iterations"] and rho != 0:
            q = L.apply(p)
            pq = seqsum(p * q)
            if not pq > 0:
                break
            alpha = rho / pq
            self.phi = self.phi + alpha * p
            r = r - alpha * q
            it += 1
            if np.abs(r).max() <= threshold:
                break
            z = self.vcycle(0, r.astype(np.float32)).astype(np.float64)
            rho1 = seqsum(r * z)
            beta = rho1 / rho
            rho = rho1
            p = z + beta * p
        return it

    def project(self):
        L = self.levels[0]
        umax = max(np.abs(self.u).max(), np.abs(self.v).max(), np.abs(self.w).max())
        self.stats[0] = self.stats[2] = 0.0
        if umax == 0:
            return
        b = np.where(self.solid, 0, -self.divergence())
        if not self.open:
            b = self.remove_mean(b)
        self.stats[2] = float(self.solve(b, self.p["tolerance"] * umax))
        phi = self.phi
        self.u[:, :, 1:-1] -= np.where(L.wx[:, :, 1:-1] > 0, phi[:, :, 1:] - phi[:, :, :-1], 0)
        self.v[:, 1:-1, :] -= np.where(L.wy[:, 1:-1, :] > 0, phi[:, 1:, :] - phi[:, :-1, :], 0)
        self.w[1:-1] -= np.where(L.wz[1:-1] > 0, phi[1:] - phi[:-1], 0)
        if self.periodic:
            self.u[:, :, 0] -= np.where(L.wx[:, :, 0] > 0, phi[:, :, 0] - phi[:, :, -1], 0)
            self.v[:, 0, :] -= np.where(L.wy[:, 0, :] > 0, phi[:, 0, :] - phi[:, -1, :], 0)
            self.w[0] -= np.where(L.wz[0] > 0, phi[0] - phi[-1], 0)
            copy_faces(self.u, self.v, self.w)
        if self.open:  # phi is 0 beyond the walls
            fl = ~self.solid
            self.u[:, :, 0] -= np.where(fl[:, :, 0], phi[:, :, 0], 0)
            self.u[:, :, -1] += np.where(fl[:, :, -1], phi[:, :, -1], 0)
            self.v[:, 0, :] -= np.where(fl[:, 0, :], phi[:, 0, :], 0)
            self.v[:, -1, :] += np.where(fl[:, -1, :], phi[:, -1, :], 0)
            self.w[0] -= np.where(fl[0], phi[0], 0)
            self.w[-1] += np.where(fl[-1], phi[-1], 0)
        self.stats[0] = float(np.abs(np.where(self.solid, 0, self.divergence())).max() / umax)

    # --- the step ---------------------------------------------------------
    def step(self, dt):
        self.forces(dt)
        self.advect_velocity(dt)
        self.viscosity(dt)
        if self.open:
            self.extrapolate_walls()
        self.project()
        self.scalars(dt)
        h3 = self.p["h"] ** 3
        self.stats[1] = float(self.d.sum() * h3)
        u, v, w = (self.u[:, :, :-1], self.v[:, :-1, :], self.w[:-1]) if self.periodic else (self.u, self.v, self.w)
        self.stats[3] = float(0.5 * ((u ** 2).sum() + (v ** 2).sum() + (w ** 2).sum()) * h3)

    def advance(self, dt):
        if not dt > 0:
            return
        n = max(math.ceil(dt / self.p["step"] - 1e-9), 1)
        for _ in range(n):
            self.step(dt / n)

    def velocity_at(self, pts):
        nx, ny, nz = self.p["n"]
        h = self.p["h"]
        if self.periodic:
            x, y, z = wrap_position(pts[:, 0], nx * h), wrap_position(pts[:, 1], ny * h), wrap_position(pts[:, 2], nz * h)
            gx, gy, gz, per = x / h, y / h, z / h, (nx, ny, nz)
            return np.stack([sample_wrap(self.u, gx, gy - 0.5, gz - 0.5, per),
                             sample_wrap(self.v, gx - 0.5, gy, gz - 0.5, per),
                             sample_wrap(self.w, gx - 0.5, gy - 0.5, gz, per)], axis=1)
        x, y, z = clamp(pts[:, 0], 0, nx * h), clamp(pts[:, 1], 0, ny * h), clamp(pts[:, 2], 0, nz * h)
        gx, gy, gz = x / h, y / h, z / h
        return np.stack([sample(self.u, gx, gy - 0.5, gz - 0.5), sample(self.v, gx - 0.5, gy, gz - 0.5),
                         sample(self.w, gx - 0.5, gy - 0.5, gz)], axis=1)

    def move_points(self, pts, dt):
        nx, ny, nz = self.p["n"]
        h = self.p["h"]
        top = np.array([nx * h, ny * h, nz * h])
        keep = (lambda x: wrap_position(x, top)) if self.periodic else (lambda x: clamp(x, 0, top))
        mid = keep(pts + 0.5 * dt * self.velocity_at(pts))
        return keep(pts + dt * self.velocity_at(mid))


# --- reading the scene and the output layer --------------------------------
def numbers(text):
    return [float(x) for x in re.findall(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?|[-+]?inf|nan", text)]


def scene_attr(scene, name, default=None):
    """Values of attribute `name` in the scene text (float-typed attributes
    rounded to float32, as the host reads them)."""
    m = re.search(r"^\s*(?:uniform\s+)?(\w+)(\[\])?\s+" + re.escape(name) + r"\s*=\s*(\[[^\]]*\]|\([^)]*\)|[^\n]+)",
                  scene, re.M)
    if not m:
        return default
    vals = numbers(m.group(3))
    if m.group(1).startswith("float") or m.group(1).startswith("point3f"):
        vals = [float(np.float32(v)) for v in vals]
    return vals


def scene_token(scene, name, default):
    m = re.search(r'^\s*(?:uniform\s+)?token\s+' + re.escape(name) + r'\s*=\s*"([^"]*)"', scene, re.M)
    return m.group(1) if m else default


def params_of(scene):
    g = scene_attr(scene, "wasm:gridResolution")
    src = scene_attr(scene, "fluid:source", [0, 0, 0, 0])
    obs = scene_attr(scene, "fluid:obstacle", [0, 0, 0, 0])
    return {
        "n": tuple(int(v) for v in g),
        "h": scene_attr(scene, "wasm:cellSize")[0],
        "step": scene_attr(scene, "wasm:timeStep", [1 / 60])[0],
        "viscosity": scene_attr(scene, "wasm:viscosity", [0])[0],
        "diffusion": scene_attr(scene, "wasm:diffusion", [0])[0],
        "max_iterations": int(scene_attr(scene, "wasm:solverIterations", [20])[0]),
        "tolerance": scene_attr(scene, "fluid:tolerance", [1e-5])[0],
        "buoyancy": scene_attr(scene, "fluid:buoyancy", [0])[0],
        "inflow": scene_attr(scene, "wasm:inflowVelocity", [0, 0, 0]),
        "source": src,
        "obstacle": obs,
        "taylor_green": scene_attr(scene, "fluid:taylorGreen", [0])[0],
        "boundary": scene_token(scene, "wasm:boundaryMode", "closed"),
    }


def time_samples(layer, attr):
    """{time: text} of `attr`'s time samples in an output layer."""
    m = re.search(r"\b" + re.escape(attr) + r"\.timeSamples\s*=\s*\{", layer)
    if not m:
        sys.exit("no time samples of %s in the output layer" % attr)
    out, i = {}, m.end()
    while True:
        t = re.compile(r"\s*(-?[0-9.e+]+)\s*:\s*").match(layer, i)
        if not t:
            break
        j = t.end()
        depth, k = 0, j
        while True:
            ch = layer[k]
            if ch in "[(":
                depth += 1
            elif ch in "])":
                depth -= 1
            if depth == 0 and (ch == "," or ch == "\n" or ch == "}"):
                if ch != "}" or depth == 0:
                    break
            k += 1
        out[float(t.group(1))] = layer[j:k]
        i = k + 1
    return out


def read(path):
    with open(path) as f:
        return f.read()


def replay(scene):
    p = params_of(scene)
    fps = scene_attr(scene, "framesPerSecond", [60])[0]
    f = Fluid(p)
    d0 = np.array(scene_attr(scene, "inputs:density0")).reshape(f.d.shape)
    f.d = np.where(f.solid, 0, d0)
    Z, Y, X = np.meshgrid(f.zc, f.yc, f.xc, indexing="ij")
    pts = np.stack([X.ravel(), Y.ravel(), Z.ravel()], axis=1)
    return f, pts, 1.0 / fps


def cmd_check(scene_path, out_path, tol):
    scene, layer = read(scene_path), read(out_path)
    f, pts, dt = replay(scene)
    dens, trac, stats = (time_samples(layer, "outputs:" + a) for a in ("density", "tracers", "stats"))
    worst_d = worst_t = worst_div = 0.0
    for n, t in enumerate(sorted(dens)):
        f.advance(dt)
        pts = f.move_points(pts, dt)
        got_d = np.array(numbers(dens[t]))
        got_t = np.array(numbers(trac[t])).reshape(-1, 3)
        got_s = numbers(stats[t])
        ed = np.abs(got_d - f.d.ravel()).max()
        et = np.abs(got_t - pts).max()
        worst_d, worst_t, worst_div = max(worst_d, ed), max(worst_t, et), max(worst_div, f.stats[0])
        print("frame %d: max |density - reference| %.3g, max |tracer - reference| %.3g, iterations %d (module %d), "
              "divergence %.3g (module %.3g)" % (n, ed, et, f.stats[2], got_s[2], f.stats[0], got_s[0]))
        if got_s[0] > f.p["tolerance"] or f.stats[0] > f.p["tolerance"]:
            sys.exit("frame %d: relative divergence above the tolerance %g" % (n, f.p["tolerance"]))
    print("%d frames: density within %.3g, tracers within %.3g (tolerance %g); reference divergence <= %.3g"
          % (len(dens), worst_d, worst_t, tol, worst_div))
    if not (worst_d <= tol and worst_t <= tol):
        sys.exit("FAIL: the module and the reference differ by more than %g" % tol)


def cmd_mass(scene_path, out_path, bound):
    scene, layer = read(scene_path), read(out_path)
    f = Fluid(params_of(scene))
    h = f.p["h"]
    d0 = np.array(scene_attr(scene, "inputs:density0"))
    dens = time_samples(layer, "outputs:density")
    m0 = d0[~f.solid.ravel()].sum() * h ** 3  # the module zeroes the density inside the obstacle
    worst = 0.0
    for t in sorted(dens):
        d = np.array(numbers(dens[t]))
        if d.min() < -1e-12:
            sys.exit("time %g: negative density %g" % (t, d.min()))
        worst = max(worst, abs(d.sum() * h ** 3 - m0) / m0)
    print("%d frames: mass %.12g, largest relative change %.3g (bound %g)" % (len(dens), m0, worst, bound))
    if not worst <= bound:
        sys.exit("FAIL: mass not conserved")
    if f.periodic:  # the blob starts in the upper half: what reaches the lower one crossed the top face
        nz = f.p["n"][2]
        low = [np.array(numbers(dens[t])).reshape(f.d.shape)[:nz // 2].sum() for t in (min(dens), max(dens))]
        d0 = d0.reshape(f.d.shape)
        start = d0[:nz // 2].sum() / d0.sum()
        print("periodic: lower half %.1f%% of the mass at the start, %.1f%% after frame 0, %.1f%% at the last frame "
              "(it came through the top face; bound at least 25%%)" % (100 * start, 100 * low[0] * h ** 3 / m0,
                                                                     100 * low[1] * h ** 3 / m0))
        if not (start == 0 and low[1] * h ** 3 >= 0.25 * m0):
            sys.exit("FAIL: the density did not cross the periodic top face")


def cmd_outflow(scene_path, out_path, bound):
    scene, layer = read(scene_path), read(out_path)
    f = Fluid(params_of(scene))
    if not f.open:
        sys.exit("FAIL: %s has no open walls" % scene_path)
    h3 = f.p["h"] ** 3
    d0 = np.array(scene_attr(scene, "inputs:density0"))
    dens, stats = time_samples(layer, "outputs:density"), time_samples(layer, "outputs:stats")
    m0 = prev = d0[~f.solid.ravel()].sum() * h3
    grew = 0.0
    for t in sorted(dens):
        d = np.array(numbers(dens[t]))
        if d.min() < -1e-12:
            sys.exit("time %g: negative density %g" % (t, d.min()))
        if numbers(stats[t])[0] > f.p["tolerance"]:
            sys.exit("time %g: relative divergence %g above the tolerance" % (t, numbers(stats[t])[0]))
        m = d.sum() * h3
        grew = max(grew, (m - prev) / m0)
        if m > prev + 1e-12 * m0:
            sys.exit("FAIL: time %g: the mass grew from %.15g to %.15g with no source" % (t, prev, m))
        prev = m
    left = 1 - prev / m0
    print("%d frames: mass %.12g -> %.12g, never grew (largest step %.3g of m0), %.1f%% left through the walls "
          "(bound %.0f%%)" % (len(dens), m0, prev, grew, 100 * left, 100 * bound))
    if not left >= bound:
        sys.exit("FAIL: less than %g of the mass left through the open walls" % bound)


def cmd_taylor_green(scene_path, out_path, bound):
    scene, layer = read(scene_path), read(out_path)
    p = params_of(scene)
    fps = scene_attr(scene, "framesPerSecond", [60])[0]
    stats = time_samples(layer, "outputs:stats")
    # one period across a periodic box, half of one between closed walls
    k = (2 if p["boundary"] == "periodic" else 1) * math.pi / (p["n"][0] * p["h"])
    nu = p["viscosity"]
    e0 = None
    worst = 0.0
    times = sorted(stats)
    # frame 0 already took one step of 1/fps: the energy before it is
    # U^2/4 * width^2 * depth (mean of sin^2 cos^2 = 1/4, two components)
    width, depth = p["n"][0] * p["h"], p["n"][2] * p["h"]
    e0 = 0.25 * p["taylor_green"] ** 2 * width * width * depth
    for n, t in enumerate(times):
        e = numbers(stats[t])[3]
        exact = e0 * math.exp(-4 * nu * k * k * (n + 1) / fps)
        worst = max(worst, abs(e - exact) / exact)
    rate = -math.log(numbers(stats[times[-1]])[3] / numbers(stats[times[0]])[3]) / ((len(times) - 1) / fps)
    print("%d frames: kinetic energy within %.3g of exp(-4 nu k^2 t) (bound %g); decay rate %.5g, exact %.5g "
          "(%.2f%%)" % (len(times), worst, bound, rate, 4 * nu * k * k, 100 * (rate / (4 * nu * k * k) - 1)))
    if not worst <= bound:
        sys.exit("FAIL: Taylor-Green decay off by more than %g" % bound)


def main(argv):
    if len(argv) < 4 or argv[1] not in ("check", "mass", "outflow", "taylor-green"):
        sys.exit(__doc__)
    opt = float(argv[5]) if len(argv) > 5 else None
    if argv[1] == "check":
        cmd_check(argv[2], argv[3], opt if opt is not None else 1e-9)
    elif argv[1] == "mass":
        cmd_mass(argv[2], argv[3], opt if opt is not None else 1e-12)
    elif argv[1] == "outflow":
        cmd_outflow(argv[2], argv[3], opt if opt is not None else 0.5)
    else:
        cmd_taylor_green(argv[2], argv[3], opt if opt is not None else 0.01)


if __name__ == "__main__":
    main(sys.argv)
