/* One step of the smoke solver (../README.md, "The step"); the pressure
 * projection is in fluid_pressure.c. Every update reads the previous
 * values and writes new ones (no in-place sweeps), so the order of the
 * loops does not change the result. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fluid_core.h"

static double clampd(double x, double lo, double hi) { return x < lo ? lo : (x > hi ? hi : x); }

static int inside(const double s[4], double x, double y, double z) {
    double dx = x - s[0], dy = y - s[1], dz = z - s[2];
    return s[3] > 0 && dx * dx + dy * dy + dz * dz < s[3] * s[3];
}

/* Trilinear sample of a field of sx * sy * sz values whose value (0, 0, 0)
 * sits at (ox, oy, oz) * h, at point (x, y, z) clamped to the field. */
static inline double sample(const double *a, size_t sx, size_t sy, size_t sz, double ox, double oy, double oz,
                            double h, double x, double y, double z) {
    double gx = x / h - ox, gy = y / h - oy, gz = z / h - oz;
    double fx = clampd(floor(gx), 0, (double)(sx - 2)), fy = clampd(floor(gy), 0, (double)(sy - 2)),
           fz = clampd(floor(gz), 0, (double)(sz - 2));
    double tx = clampd(gx - fx, 0, 1), ty = clampd(gy - fy, 0, 1), tz = clampd(gz - fz, 0, 1);
    size_t i = (size_t)fx, j = (size_t)fy, k = (size_t)fz, c = i + sx * (j + sy * k), dy = sx, dz = sx * sy;
    double a00 = a[c] + tx * (a[c + 1] - a[c]), a10 = a[c + dy] + tx * (a[c + dy + 1] - a[c + dy]);
    double a01 = a[c + dz] + tx * (a[c + dz + 1] - a[c + dz]);
    double a11 = a[c + dy + dz] + tx * (a[c + dy + dz + 1] - a[c + dy + dz]);
    double b0 = a00 + ty * (a10 - a00), b1 = a01 + ty * (a11 - a01);
    return b0 + tz * (b1 - b0);
}

void fluid_velocity_at(const fluid *f, const double p[3], double out[3]) {
    size_t nx = (size_t)f->p.n[0], ny = (size_t)f->p.n[1], nz = (size_t)f->p.n[2];
    double h = f->p.h;
    double x = clampd(p[0], 0, (double)nx * h), y = clampd(p[1], 0, (double)ny * h),
           z = clampd(p[2], 0, (double)nz * h);
    out[0] = sample(f->u, nx + 1, ny, nz, 0, 0.5, 0.5, h, x, y, z);
    out[1] = sample(f->v, nx, ny + 1, nz, 0.5, 0, 0.5, h, x, y, z);
    out[2] = sample(f->w, nx, ny, nz + 1, 0.5, 0.5, 0, h, x, y, z);
}

/* The source sets density to 1 in its cells and the inflow velocity on its
 * open faces; buoyancy accelerates the open z-faces by buoyancy * density
 * (the mean of the two cells). */
static void forces(fluid *f, double dt) {
    const fluid_params *p = &f->p;
    size_t nx = (size_t)p->n[0], ny = (size_t)p->n[1], nz = (size_t)p->n[2];
    const fluid_level *L = &f->lv[0];
    double h = p->h;
    for (size_t k = 0; k < nz; k++)
        for (size_t j = 0; j < ny; j++)
            for (size_t i = 0; i < nx; i++) {
                size_t c = i + nx * (j + ny * k);
                size_t fx = i + (nx + 1) * (j + ny * k), fy = i + nx * (j + (ny + 1) * k);
                double x = ((double)i + 0.5) * h, y = ((double)j + 0.5) * h, z = ((double)k + 0.5) * h;
                if (!f->solid[c] && inside(p->source, x, y, z))
                    f->d[c] = 1;
                if (L->wx[fx] > 0 && inside(p->source, (double)i * h, y, z))
                    f->u[fx] = p->inflow[0];
                if (L->wy[fy] > 0 && inside(p->source, x, (double)j * h, z))
                    f->v[fy] = p->inflow[1];
                if (L->wz[c] > 0 && inside(p->source, x, y, (double)k * h))
                    f->w[c] = p->inflow[2];
            }
    for (size_t k = 1; k < nz; k++)
        for (size_t j = 0; j < ny; j++)
            for (size_t i = 0; i < nx; i++) {
                size_t c = i + nx * (j + ny * k), b = c - nx * ny;
                if (L->wz[c] > 0)
                    f->w[c] += dt * (p->buoyancy * (0.5 * (f->d[b] + f->d[c])));
            }
}

static double avg4(double a, double b, double c, double d) { return 0.25 * ((a + b) + (c + d)); }

/* Semi-Lagrangian: each open face takes the old field's value at the point
 * one step back along the old velocity (the other two components are the
 * means of the four nearest faces); closed faces stay 0. */
static void advect_velocity(fluid *f, double dt) {
    size_t nx = (size_t)f->p.n[0], ny = (size_t)f->p.n[1], nz = (size_t)f->p.n[2];
    const fluid_level *L = &f->lv[0];
    double h = f->p.h, X = (double)nx * h, Y = (double)ny * h, Z = (double)nz * h;
    memcpy(f->u0, f->u, f->nu * sizeof *f->u);
    memcpy(f->v0, f->v, f->nv * sizeof *f->v);
    memcpy(f->w0, f->w, f->nw * sizeof *f->w);
    const double *u = f->u0, *v = f->v0, *w = f->w0;
    size_t vy = nx, wz = nx * ny;
    for (size_t k = 0; k < nz; k++)
        for (size_t j = 0; j < ny; j++)
            for (size_t i = 0; i < nx; i++) {
                size_t c = i + nx * (j + ny * k);
                size_t fx = i + (nx + 1) * (j + ny * k), fy = i + nx * (j + (ny + 1) * k);
                double x = ((double)i + 0.5) * h, y = ((double)j + 0.5) * h, z = ((double)k + 0.5) * h;
                if (L->wx[fx] > 0) {
                    double vv = avg4(v[fy - 1], v[fy], v[fy - 1 + vy], v[fy + vy]);
                    double ww = avg4(w[c - 1], w[c], w[c - 1 + wz], w[c + wz]);
                    double bx = clampd((double)i * h - dt * u[fx], 0, X), by = clampd(y - dt * vv, 0, Y),
                           bz = clampd(z - dt * ww, 0, Z);
                    f->u[fx] = sample(u, nx + 1, ny, nz, 0, 0.5, 0.5, h, bx, by, bz);
                }
                if (L->wy[fy] > 0) {
                    double uu = avg4(u[fx - (nx + 1)], u[fx], u[fx - (nx + 1) + 1], u[fx + 1]);
                    double ww = avg4(w[c - nx], w[c], w[c - nx + wz], w[c + wz]);
                    double bx = clampd(x - dt * uu, 0, X), by = clampd((double)j * h - dt * v[fy], 0, Y),
                           bz = clampd(z - dt * ww, 0, Z);
                    f->v[fy] = sample(v, nx, ny + 1, nz, 0.5, 0, 0.5, h, bx, by, bz);
                }
                if (L->wz[c] > 0) {
                    size_t ux = fx - (nx + 1) * ny, vz = fy - nx * (ny + 1);
                    double uu = avg4(u[ux], u[fx], u[ux + 1], u[fx + 1]);
                    double vv = avg4(v[vz], v[fy], v[vz + vy], v[fy + vy]);
                    double bx = clampd(x - dt * uu, 0, X), by = clampd(y - dt * vv, 0, Y),
                           bz = clampd((double)k * h - dt * w[c], 0, Z);
                    f->w[c] = sample(w, nx, ny, nz + 1, 0.5, 0.5, 0, h, bx, by, bz);
                }
            }
}

/* Explicit Laplacian smoothing of one face field (a = nu dt / h^2): open
 * faces only; a neighbour outside the box is the face itself (free slip). */
static void diffuse_faces(double *a, const double *a0, const double *wt, size_t sx, size_t sy, size_t sz,
                          double coef) {
    for (size_t k = 0; k < sz; k++)
        for (size_t j = 0; j < sy; j++)
            for (size_t i = 0; i < sx; i++) {
                size_t c = i + sx * (j + sy * k);
                if (!(wt[c] > 0))
                    continue;
                double o = a0[c];
                double xm = i > 0 ? a0[c - 1] : o, xp = i + 1 < sx ? a0[c + 1] : o;
                double ym = j > 0 ? a0[c - sx] : o, yp = j + 1 < sy ? a0[c + sx] : o;
                double zm = k > 0 ? a0[c - sx * sy] : o, zp = k + 1 < sz ? a0[c + sx * sy] : o;
                a[c] = o + coef * (((xm - o) + (xp - o)) + ((ym - o) + (yp - o)) + ((zm - o) + (zp - o)));
            }
}

/* Sub-steps keeping nu dt / h^2 <= 1/8 (explicit limit in 3D: 1/6). */
static int substeps(double rate) { return rate > 0 ? (int)ceil(rate * 8) : 0; }

static void viscosity(fluid *f, double dt) {
    size_t nx = (size_t)f->p.n[0], ny = (size_t)f->p.n[1], nz = (size_t)f->p.n[2];
    double rate = f->p.viscosity * dt / (f->p.h * f->p.h);
    int n = substeps(rate);
    const fluid_level *L = &f->lv[0];
    for (int s = 0; s < n; s++) {
        memcpy(f->u0, f->u, f->nu * sizeof *f->u);
        memcpy(f->v0, f->v, f->nv * sizeof *f->v);
        memcpy(f->w0, f->w, f->nw * sizeof *f->w);
        diffuse_faces(f->u, f->u0, L->wx, nx + 1, ny, nz, rate / n);
        diffuse_faces(f->v, f->v0, L->wy, nx, ny + 1, nz, rate / n);
        diffuse_faces(f->w, f->w0, L->wz, nx, ny, nz + 1, rate / n);
    }
}

/* One conservative update of scalar a (old values in a0): upwind fluxes
 * through the open faces, plus diffusion (coef = kappa dt / h^2) through
 * the same faces; what leaves one cell enters its neighbour, so the sum is
 * kept up to rounding. c = dt / h. */
static void transport(fluid *f, double *a, const double *a0, double c, double coef) {
    size_t nx = (size_t)f->p.n[0], ny = (size_t)f->p.n[1], nz = (size_t)f->p.n[2];
    const fluid_level *L = &f->lv[0];
    for (size_t k = 0; k < nz; k++)
        for (size_t j = 0; j < ny; j++)
            for (size_t i = 0; i < nx; i++) {
                size_t q = i + nx * (j + ny * k);
                size_t fx = i + (nx + 1) * (j + ny * k), fy = i + nx * (j + (ny + 1) * k);
                size_t fz = q, sxy = nx * ny;
                double flux[6] = {0, 0, 0, 0, 0, 0}; /* in through -x, out through +x, ... */
                if (L->wx[fx] > 0)
                    flux[0] = c * f->u[fx] * (f->u[fx] > 0 ? a0[q - 1] : a0[q]) + coef * (a0[q - 1] - a0[q]);
                if (L->wx[fx + 1] > 0)
                    flux[1] =
                        c * f->u[fx + 1] * (f->u[fx + 1] > 0 ? a0[q] : a0[q + 1]) + coef * (a0[q] - a0[q + 1]);
                if (L->wy[fy] > 0)
                    flux[2] = c * f->v[fy] * (f->v[fy] > 0 ? a0[q - nx] : a0[q]) + coef * (a0[q - nx] - a0[q]);
                if (L->wy[fy + nx] > 0)
                    flux[3] = c * f->v[fy + nx] * (f->v[fy + nx] > 0 ? a0[q] : a0[q + nx]) +
                              coef * (a0[q] - a0[q + nx]);
                if (L->wz[fz] > 0)
                    flux[4] = c * f->w[fz] * (f->w[fz] > 0 ? a0[q - sxy] : a0[q]) + coef * (a0[q - sxy] - a0[q]);
                if (L->wz[fz + sxy] > 0)
                    flux[5] = c * f->w[fz + sxy] * (f->w[fz + sxy] > 0 ? a0[q] : a0[q + sxy]) +
                              coef * (a0[q] - a0[q + sxy]);
                a[q] = a0[q] + (((flux[0] - flux[1]) + (flux[2] - flux[3])) + (flux[4] - flux[5]));
            }
}

static double max_abs(const double *a, size_t n) {
    double m = 0;
    for (size_t i = 0; i < n; i++)
        m = fabs(a[i]) > m ? fabs(a[i]) : m;
    return m;
}

/* Sub-steps keep every cell's outflow below its content (Courant sum <= 1/2
 * per axis pair) and the diffusion explicit-stable. */
static void scalars(fluid *f, double dt) {
    double h = f->p.h;
    double courant = dt / h * ((max_abs(f->u, f->nu) + max_abs(f->v, f->nv)) + max_abs(f->w, f->nw));
    int n = (int)ceil(2 * courant);
    int m = substeps(f->p.diffusion * dt / (h * h));
    n = n > m ? n : m;
    n = n < 1 ? 1 : n;
    double c = dt / h / n, coef = f->p.diffusion * dt / (h * h) / n;
    for (int s = 0; s < n; s++) {
        memcpy(f->d0, f->d, f->nc * sizeof *f->d);
        transport(f, f->d, f->d0, c, coef);
    }
}

static void measure(fluid *f) {
    double h3 = f->p.h * f->p.h * f->p.h, m = 0, e = 0;
    for (size_t c = 0; c < f->nc; c++)
        m += f->d[c];
    for (size_t c = 0; c < f->nu; c++)
        e += f->u[c] * f->u[c];
    for (size_t c = 0; c < f->nv; c++)
        e += f->v[c] * f->v[c];
    for (size_t c = 0; c < f->nw; c++)
        e += f->w[c] * f->w[c];
    f->stats.mass = m * h3;
    f->stats.kinetic = 0.5 * e * h3;
}

void fluid_step(fluid *f, double dt) {
    forces(f, dt);
    advect_velocity(f, dt);
    viscosity(f, dt);
    fluid__project(f);
    scalars(f, dt);
    measure(f);
}

void fluid_advance(fluid *f, double dt) {
    if (!(dt > 0))
        return;
    int n = (int)ceil(dt / f->p.step - 1e-9);
    n = n < 1 ? 1 : n;
    for (int s = 0; s < n; s++)
        fluid_step(f, dt / n);
}

void fluid_move_points(const fluid *f, double *pts, int32_t n, double dt) {
    double top[3] = {f->p.n[0] * f->p.h, f->p.n[1] * f->p.h, f->p.n[2] * f->p.h};
    for (int32_t i = 0; i < n; i++) {
        double *p = pts + 3 * i, v[3], mid[3];
        fluid_velocity_at(f, p, v);
        for (int a = 0; a < 3; a++)
            mid[a] = clampd(p[a] + 0.5 * dt * v[a], 0, top[a]);
        fluid_velocity_at(f, mid, v);
        for (int a = 0; a < 3; a++)
            p[a] = clampd(p[a] + dt * v[a], 0, top[a]);
    }
}

void fluid_slice(const fluid *f, double *out) {
    size_t nx = (size_t)f->p.n[0], ny = (size_t)f->p.n[1], nz = (size_t)f->p.n[2], j = ny / 2;
    for (size_t k = 0; k < nz; k++)
        for (size_t i = 0; i < nx; i++)
            out[i + nx * k] = f->d[i + nx * (j + ny * k)];
}

void fluid_mip(const fluid *f, double *out) {
    size_t nx = (size_t)f->p.n[0], ny = (size_t)f->p.n[1], nz = (size_t)f->p.n[2];
    for (size_t k = 0; k < nz; k++)
        for (size_t i = 0; i < nx; i++) {
            double m = 0;
            for (size_t j = 0; j < ny; j++)
                m = f->d[i + nx * (j + ny * k)] > m ? f->d[i + nx * (j + ny * k)] : m;
            out[i + nx * k] = m;
        }
}
