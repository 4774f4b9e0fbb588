/* One step of the smoke solver (../README.md, "The step"); the pressure
 * projection is in fluid_pressure.c. Every update reads the previous
 * values and writes new ones (no in-place sweeps), so the order of the
 * loops does not change the result. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fluid_core.h"

static double clampd(double x, double lo, double hi) { return x < lo ? lo : (x > hi ? hi : x); }

/* Trilinear sample of a field of sx * sy * sz values at grid point
 * (gx, gy, gz) (value (i, j, k) at (i, j, k)), each coordinate already
 * clamped to [0, s - 1] of its axis, so truncation is the floor (no libm
 * call; a signed 32-bit conversion, the cheapest in wasm and on x86). */
static inline double sample_in(const double *a, size_t sx, size_t sy, size_t sz, double gx, double gy,
                               double gz) {
    int32_t i = (int32_t)gx, j = (int32_t)gy, k = (int32_t)gz;
    int32_t mx = (int32_t)sx - 2, my = (int32_t)sy - 2, mz = (int32_t)sz - 2;
    i = i < mx ? i : mx, j = j < my ? j : my, k = k < mz ? k : mz;
    double tx = gx - (double)i, ty = gy - (double)j, tz = gz - (double)k;
    size_t c = (size_t)i + sx * ((size_t)j + sy * (size_t)k), dy = sx, dz = sx * sy;
    /* the corners as four x-pairs; lane by lane the scalar lerps
     * a00 = a[c] + tx (a[c + 1] - a[c]), a10 (+ dy), a01 (+ dz), a11, then
     * b0 = a00 + ty (a10 - a00), b1 = a01 + ty (a11 - a01), b0 + tz (b1 - b0) */
    fluid_v2d p00 = V2(a + c), p10 = V2(a + c + dy), p01 = V2(a + c + dz), p11 = V2(a + c + dy + dz);
    fluid_v2d lo0 = __builtin_shufflevector(p00, p10, 0, 2), hi0 = __builtin_shufflevector(p00, p10, 1, 3);
    fluid_v2d lo1 = __builtin_shufflevector(p01, p11, 0, 2), hi1 = __builtin_shufflevector(p01, p11, 1, 3);
    fluid_v2d x0 = lo0 + tx * (hi0 - lo0), x1 = lo1 + tx * (hi1 - lo1); /* (a00, a10), (a01, a11) */
    fluid_v2d ly = __builtin_shufflevector(x0, x1, 0, 2), hy = __builtin_shufflevector(x0, x1, 1, 3);
    fluid_v2d b = ly + ty * (hy - ly); /* (b0, b1) */
    return b[0] + tz * (b[1] - b[0]);
}

/* The same at any point, clamped to the field. */
static double sample(const double *a, size_t sx, size_t sy, size_t sz, double gx, double gy, double gz) {
    return sample_in(a, sx, sy, sz, clampd(gx, 0, (double)(sx - 1)), clampd(gy, 0, (double)(sy - 1)),
                     clampd(gz, 0, (double)(sz - 1)));
}

void fluid_velocity_at(const fluid *f, const double p[3], double out[3]) {
    if (f->p.boundary == FLUID_PERIODIC) {
        fluid__periodic_velocity_at(f, p, out);
        return;
    }
    size_t nx = (size_t)f->p.n[0], ny = (size_t)f->p.n[1], nz = (size_t)f->p.n[2];
    double h = f->p.h;
    double x = clampd(p[0], 0, (double)nx * h), y = clampd(p[1], 0, (double)ny * h),
           z = clampd(p[2], 0, (double)nz * h);
    out[0] = sample(f->u, nx + 1, ny, nz, x / h, y / h - 0.5, z / h - 0.5);
    out[1] = sample(f->v, nx, ny + 1, nz, x / h - 0.5, y / h, z / h - 0.5);
    out[2] = sample(f->w, nx, ny, nz + 1, x / h - 0.5, y / h - 0.5, z / h);
}

/* The source sets density to 1 in its cells and the inflow velocity on its
 * open faces (f->src, marked at creation); buoyancy accelerates the open
 * z-faces by buoyancy * density (the mean of the two cells, the lower one
 * already set by the source in an earlier iteration). */
static void forces(fluid *f, double dt) {
    const fluid_params *p = &f->p;
    size_t nx = (size_t)p->n[0], ny = (size_t)p->n[1], nz = (size_t)p->n[2];
    const fluid_level *L = &f->lv[0];
    double g = dt * p->buoyancy;
    for (size_t k = 0; k < nz; k++)
        for (size_t j = 0; j < ny; j++)
            for (size_t i = 0; i < nx; i++) {
                size_t c = i + nx * (j + ny * k);
                unsigned m = f->src[c];
                if (m) {
                    size_t fx = i + (nx + 1) * (j + ny * k), fy = i + nx * (j + (ny + 1) * k);
                    if (m & FLUID_SRC_CELL)
                        f->d[c] = 1;
                    if (m & FLUID_SRC_X)
                        f->u[fx] = p->inflow[0];
                    if (m & FLUID_SRC_Y)
                        f->v[fy] = p->inflow[1];
                    if (m & FLUID_SRC_Z)
                        f->w[c] = p->inflow[2];
                }
                if (k > 0 && L->wz[c] > 0)
                    f->w[c] += g * (0.5 * (f->d[c - nx * ny] + f->d[c]));
            }
    if (p->boundary == FLUID_PERIODIC) {
        fluid__periodic_buoyancy(f, g);
        fluid__periodic_copy(f);
    }
}

typedef struct {
    const double *u, *v, *w; /* the old velocity */
    size_t nx, ny, nz;
    double cu, X, Y, Z;
} advect_ctx;

/* The x-faces of row (j, k) (face 0 is closed but for FLUID_PERIODIC, which
 * advects elsewhere). Along the row, the averages' faces at i are those at
 * i - 1 of the next face: loaded once. */
static void advect_u_row(const advect_ctx *a, double *out, const double *wx, size_t j, size_t k) {
    size_t nx = a->nx, ny = a->ny, wz = nx * ny;
    size_t c = nx * (j + ny * k), fx = (nx + 1) * (j + ny * k), fy = nx * (j + (ny + 1) * k);
    const double *u = a->u, *v = a->v + fy, *w = a->w + c;
    double y = (double)j + 0.5, z = (double)k + 0.5, cu = a->cu;
    double va = v[0], vb = v[nx], wa = w[0], wb = w[wz];
    for (size_t i = 1; i < nx; i++) {
        double vc = v[i], vd = v[i + nx], wc = w[i], wd = w[i + wz];
        if (wx[i] > 0) {
            double vv = 0.25 * ((va + vc) + (vb + vd)), ww = 0.25 * ((wa + wc) + (wb + wd));
            double bx = clampd((double)i - cu * u[fx + i], 0, a->X),
                   by = clampd((y - cu * vv) - 0.5, 0, a->Y - 1), bz = clampd((z - cu * ww) - 0.5, 0, a->Z - 1);
            out[fx + i] = sample_in(u, nx + 1, ny, a->nz, bx, by, bz);
        }
        va = vc, vb = vd, wa = wc, wb = wd;
    }
}

/* The y-faces of row (j, k), j > 0: the u pair of face i + 1 is the second one of face i. */
static void advect_v_row(const advect_ctx *a, double *out, const double *wy, size_t j, size_t k) {
    size_t nx = a->nx, ny = a->ny, wz = nx * ny;
    size_t c = nx * (j + ny * k), fx = (nx + 1) * (j + ny * k), fy = nx * (j + (ny + 1) * k);
    const double *u = a->u + fx, *v = a->v, *w = a->w + c;
    double z = (double)k + 0.5, cu = a->cu, yj = (double)j;
    double pa = u[-(ptrdiff_t)(nx + 1)] + u[0];
    for (size_t i = 0; i < nx; i++) {
        double pb = u[i + 1 - (nx + 1)] + u[i + 1];
        if (wy[i] > 0) {
            double uu = 0.25 * (pa + pb), ww = 0.25 * ((w[i - nx] + w[i]) + (w[i - nx + wz] + w[i + wz]));
            double bx = clampd(((double)i + 0.5 - cu * uu) - 0.5, 0, a->X - 1),
                   by = clampd(yj - cu * v[fy + i], 0, a->Y), bz = clampd((z - cu * ww) - 0.5, 0, a->Z - 1);
            out[fy + i] = sample_in(v, nx, ny + 1, a->nz, bx, by, bz);
        }
        pa = pb;
    }
}

/* The z-faces of row (j, k), k > 0: the u pair of face i + 1 is the second one of face i. */
static void advect_w_row(const advect_ctx *a, double *out, const double *wzt, size_t j, size_t k) {
    size_t nx = a->nx, ny = a->ny;
    size_t c = nx * (j + ny * k), fx = (nx + 1) * (j + ny * k), fy = nx * (j + (ny + 1) * k);
    const double *u = a->u + fx, *ul = u - (nx + 1) * ny, *v = a->v + fy, *vl = v - nx * (ny + 1), *w = a->w;
    double y = (double)j + 0.5, cu = a->cu, zk = (double)k;
    double pa = ul[0] + u[0];
    for (size_t i = 0; i < nx; i++) {
        double pb = ul[i + 1] + u[i + 1];
        if (wzt[i] > 0) {
            double uu = 0.25 * (pa + pb), vv = 0.25 * ((vl[i] + v[i]) + (vl[i + nx] + v[i + nx]));
            double bx = clampd(((double)i + 0.5 - cu * uu) - 0.5, 0, a->X - 1),
                   by = clampd((y - cu * vv) - 0.5, 0, a->Y - 1), bz = clampd(zk - cu * w[c + i], 0, a->Z);
            out[c + i] = sample_in(w, nx, ny, a->nz + 1, bx, by, bz);
        }
        pa = pb;
    }
}

/* Semi-Lagrangian: each open face takes the old field's value at the point
 * one step back along the old velocity (the other two components are the
 * means of the four nearest faces), in cell units (cu = dt / h); closed
 * faces stay 0. The point is clamped to the box, then moved to the field's
 * grid (- 0.5 across the face's axis) and clamped to the field: as rounding
 * is monotonic, one clamp of (b - 0.5) to [0, n - 1] is both. Row by row,
 * each component in a loop of its own. */
static void advect_velocity(fluid *f, double dt) {
    memcpy(f->u0, f->u, f->nu * sizeof *f->u);
    memcpy(f->v0, f->v, f->nv * sizeof *f->v);
    memcpy(f->w0, f->w, f->nw * sizeof *f->w);
    if (f->p.boundary == FLUID_PERIODIC) {
        fluid__periodic_advect(f, dt);
        return;
    }
    size_t nx = (size_t)f->p.n[0], ny = (size_t)f->p.n[1], nz = (size_t)f->p.n[2];
    const fluid_level *L = &f->lv[0];
    advect_ctx a = {f->u0, f->v0, f->w0, nx, ny, nz, dt / f->p.h, (double)nx, (double)ny, (double)nz};
    for (size_t k = 0; k < nz; k++)
        for (size_t j = 0; j < ny; j++) {
            advect_u_row(&a, f->u, L->wx + (nx + 1) * (j + ny * k), j, k);
            if (j > 0)
                advect_v_row(&a, f->v, L->wy + nx * (j + (ny + 1) * k), j, k);
            if (k > 0)
                advect_w_row(&a, f->w, L->wz + nx * (j + ny * k), j, k);
        }
}

/* One face of diffuse_faces, any position. */
static void diffuse1(double *a, const double *a0, const double *wt, size_t sx, size_t sy, size_t sz, size_t i,
                     size_t j, size_t k, double coef) {
    size_t c = i + sx * (j + sy * k);
    double o = a0[c];
    if (!(wt[c] > 0)) {
        a[c] = o;
        return;
    }
    double xm = i > 0 ? a0[c - 1] : o, xp = i + 1 < sx ? a0[c + 1] : o;
    double ym = j > 0 ? a0[c - sx] : o, yp = j + 1 < sy ? a0[c + sx] : o;
    double zm = k > 0 ? a0[c - sx * sy] : o, zp = k + 1 < sz ? a0[c + sx * sy] : o;
    a[c] = o + coef * (((xm - o) + (xp - o)) + ((ym - o) + (yp - o)) + ((zm - o) + (zp - o)));
}

/* Explicit Laplacian smoothing of one face field (a = nu dt / h^2): open
 * faces only (the others are copied, so that a and a0 can be swapped); a
 * neighbour outside the box is the face itself (free slip). Two open faces
 * at once away from the box's faces (lane by lane the same operations). */
static void diffuse_faces(double *a, const double *a0, const double *wt, size_t sx, size_t sy, size_t sz,
                          double coef) {
    size_t sxy = sx * sy;
    for (size_t k = 0; k < sz; k++)
        for (size_t j = 0; j < sy; j++) {
            size_t i = 0, row = sx * (j + sy * k);
            if (j > 0 && j + 1 < sy && k > 0 && k + 1 < sz) {
                diffuse1(a, a0, wt, sx, sy, sz, 0, j, k, coef);
                for (i = 1; i + 2 < sx;) {
                    size_t c = row + i;
                    if (!(wt[c] > 0 && wt[c + 1] > 0)) {
                        diffuse1(a, a0, wt, sx, sy, sz, i++, j, k, coef);
                        continue;
                    }
                    fluid_v2d o = V2(a0 + c), d = ((V2(a0 + c - 1) - o) + (V2(a0 + c + 1) - o)) +
                                                  ((V2(a0 + c - sx) - o) + (V2(a0 + c + sx) - o)) +
                                                  ((V2(a0 + c - sxy) - o) + (V2(a0 + c + sxy) - o));
                    *(fluid_v2d *)(a + c) = o + coef * d;
                    i += 2;
                }
            }
            for (; i < sx; i++)
                diffuse1(a, a0, wt, sx, sy, sz, i, j, k, coef);
        }
}

static void swap(double **a, double **b) {
    double *t = *a;
    *a = *b, *b = t;
}

/* Sub-steps keeping nu dt / h^2 <= 1/8 (explicit limit in 3D: 1/6). */
static int substeps(double rate) { return rate > 0 ? (int)ceil(rate * 8) : 0; }

static void viscosity(fluid *f, double dt) {
    size_t nx = (size_t)f->p.n[0], ny = (size_t)f->p.n[1], nz = (size_t)f->p.n[2];
    double rate = f->p.viscosity * dt / (f->p.h * f->p.h);
    int n = substeps(rate);
    const fluid_level *L = &f->lv[0];
    for (int s = 0; s < n; s++) {
        swap(&f->u, &f->u0), swap(&f->v, &f->v0), swap(&f->w, &f->w0);
        if (f->p.boundary == FLUID_PERIODIC) {
            fluid__periodic_diffuse(f, rate / n);
            continue;
        }
        diffuse_faces(f->u, f->u0, L->wx, nx + 1, ny, nz, rate / n);
        diffuse_faces(f->v, f->v0, L->wy, nx, ny + 1, nz, rate / n);
        diffuse_faces(f->w, f->w0, L->wz, nx, ny, nz + 1, rate / n);
    }
}

/* Through an open wall (FLUID_OPEN): what flows out carries the cell's
 * density, what flows in carries none; no diffusion. */
static inline double wall_flux(double vel, double lo, double hi, double c) {
    return c * vel * (vel > 0 ? lo : hi);
}

static inline double flux(double vel, double lo, double hi, double c, double coef) {
    return c * vel * (vel > 0 ? lo : hi) + coef * (lo - hi);
}

/* flux of two faces (vel > 0 ? lo : hi as a bit select; a NaN takes hi, as above) */
static inline fluid_v2d flux2(fluid_v2d vel, fluid_v2d lo, fluid_v2d hi, double c, double coef) {
    fluid_v2i m = vel > 0;
    fluid_v2d up = (fluid_v2d)(((fluid_v2i)lo & m) | ((fluid_v2i)hi & ~m));
    return c * vel * up + coef * (lo - hi);
}

/* transport of cells q and q + 1, both full */
static inline void transport2(const fluid *f, double *a, const double *a0, size_t q, size_t fx, size_t fy,
                              double c, double coef) {
    size_t nx = (size_t)f->p.n[0], sxy = nx * (size_t)f->p.n[1];
    fluid_v2d m = V2(a0 + q);
    fluid_v2d f0 = flux2(V2(f->u + fx), V2(a0 + q - 1), m, c, coef),
              f1 = flux2(V2(f->u + fx + 1), m, V2(a0 + q + 1), c, coef);
    fluid_v2d f2 = flux2(V2(f->v + fy), V2(a0 + q - nx), m, c, coef),
              f3 = flux2(V2(f->v + fy + nx), m, V2(a0 + q + nx), c, coef);
    fluid_v2d f4 = flux2(V2(f->w + q), V2(a0 + q - sxy), m, c, coef),
              f5 = flux2(V2(f->w + q + sxy), m, V2(a0 + q + sxy), c, coef);
    *(fluid_v2d *)(a + q) = m + (((f0 - f1) + (f2 - f3)) + (f4 - f5));
}

/* transport of one cell (i, j, k), any faces */
static void transport1(const fluid *f, double *a, const double *a0, size_t i, size_t j, size_t k, double c,
                       double coef) {
    size_t nx = (size_t)f->p.n[0], ny = (size_t)f->p.n[1], nz = (size_t)f->p.n[2], sxy = nx * ny;
    const fluid_level *L = &f->lv[0];
    const double *u = f->u, *v = f->v, *w = f->w;
    size_t q = i + nx * (j + ny * k);
    size_t fx = i + (nx + 1) * (j + ny * k), fy = i + nx * (j + (ny + 1) * k), fz = q;
    double f0 = 0, f1 = 0, f2 = 0, f3 = 0, f4 = 0, f5 = 0; /* in through -x, out through +x, ... */
    if (L->full[q] == 1) {
        f0 = flux(u[fx], a0[q - 1], a0[q], c, coef), f1 = flux(u[fx + 1], a0[q], a0[q + 1], c, coef);
        f2 = flux(v[fy], a0[q - nx], a0[q], c, coef), f3 = flux(v[fy + nx], a0[q], a0[q + nx], c, coef);
        f4 = flux(w[fz], a0[q - sxy], a0[q], c, coef), f5 = flux(w[fz + sxy], a0[q], a0[q + sxy], c, coef);
    } else {
        size_t xm = q - 1, xp = q + 1, ym = q - nx, yp = q + nx, zm = q - sxy, zp = q + sxy;
        if (f->p.boundary ==
            FLUID_PERIODIC) { /* the neighbours wrap (elsewhere the faces on the box are closed) */
            xm = i > 0 ? xm : q + nx - 1, xp = i + 1 < nx ? xp : q + 1 - nx;
            ym = j > 0 ? ym : q + sxy - nx, yp = j + 1 < ny ? yp : q + nx - sxy;
            zm = k > 0 ? zm : q + f->nc - sxy, zp = k + 1 < nz ? zp : q + sxy - f->nc;
        }
        if (L->wx[fx] > 0)
            f0 = flux(u[fx], a0[xm], a0[q], c, coef);
        if (L->wx[fx + 1] > 0)
            f1 = flux(u[fx + 1], a0[q], a0[xp], c, coef);
        if (L->wy[fy] > 0)
            f2 = flux(v[fy], a0[ym], a0[q], c, coef);
        if (L->wy[fy + nx] > 0)
            f3 = flux(v[fy + nx], a0[q], a0[yp], c, coef);
        if (L->wz[fz] > 0)
            f4 = flux(w[fz], a0[zm], a0[q], c, coef);
        if (L->wz[fz + sxy] > 0)
            f5 = flux(w[fz + sxy], a0[q], a0[zp], c, coef);
        if (f->p.boundary == FLUID_OPEN && !f->solid[q]) {
            f0 = i == 0 ? wall_flux(u[fx], 0, a0[q], c) : f0;
            f1 = i == nx - 1 ? wall_flux(u[fx + 1], a0[q], 0, c) : f1;
            f2 = j == 0 ? wall_flux(v[fy], 0, a0[q], c) : f2;
            f3 = j == ny - 1 ? wall_flux(v[fy + nx], a0[q], 0, c) : f3;
            f4 = k == 0 ? wall_flux(w[fz], 0, a0[q], c) : f4;
            f5 = k == nz - 1 ? wall_flux(w[fz + sxy], a0[q], 0, c) : f5;
        }
    }
    a[q] = a0[q] + (((f0 - f1) + (f2 - f3)) + (f4 - f5));
}

/* One conservative update of scalar a (old values in a0): upwind fluxes
 * through the open faces, plus diffusion (coef = kappa dt / h^2) through
 * the same faces; what leaves one cell enters its neighbour, so the sum is
 * kept up to rounding (closed walls). c = dt / h. Cells whose six faces are
 * open (full) skip the tests, two at a time: in an inner row every pair
 * between its first and its last cell, with no test. */
static void transport(fluid *f, double *a, const double *a0, double c, double coef) {
    size_t nx = (size_t)f->p.n[0], ny = (size_t)f->p.n[1], nz = (size_t)f->p.n[2];
    const fluid_level *L = &f->lv[0];
    for (size_t k = 0; k < nz; k++)
        for (size_t j = 0; j < ny; j++) {
            size_t row = nx * (j + ny * k), fxr = (nx + 1) * (j + ny * k), fyr = nx * (j + (ny + 1) * k), i = 0;
            const uint8_t *full = L->full + row;
            if (L->inner[j + ny * k]) {
                transport1(f, a, a0, 0, j, k, c, coef);
                for (i = 1; i + 2 < nx; i += 2)
                    transport2(f, a, a0, row + i, fxr + i, fyr + i, c, coef);
            }
            while (i < nx)
                if (i + 1 < nx && full[i] == 1 && full[i + 1] == 1) {
                    transport2(f, a, a0, row + i, fxr + i, fyr + i, c, coef);
                    i += 2;
                } else
                    transport1(f, a, a0, i++, j, k, c, coef);
        }
}

/* Sub-steps keep c outflow + 6 coef < 1 (c = dt / h per sub-step), so what
 * leaves a cell by flow and by diffusion through its six faces is less than
 * its content: no density goes negative (the upwind scheme's limit). */
static void scalars(fluid *f, double dt, double outflow) {
    double h = f->p.h, cu = dt / h, rate = f->p.diffusion * dt / (h * h);
    int n = (int)floor(cu * outflow + 6 * rate) + 1;
    double c = cu / n, coef = rate / n;
    for (int s = 0; s < n; s++) {
        swap(&f->d, &f->d0);
        transport(f, f->d, f->d0, c, coef);
    }
}

/* Kinetic energy: FLUID_PERIODIC leaves out the copies (face n of each axis). */
static void measure(fluid *f) {
    double h3 = f->p.h * f->p.h * f->p.h, m = 0, e = 0;
    size_t nx = (size_t)f->p.n[0], ny = (size_t)f->p.n[1], nw = f->nw;
    for (size_t c = 0; c < f->nc; c++)
        m += f->d[c];
    if (f->p.boundary == FLUID_PERIODIC) {
        for (size_t c = 0; c < f->nu; c++)
            e += c % (nx + 1) != nx ? f->u[c] * f->u[c] : 0;
        for (size_t c = 0; c < f->nv; c++)
            e += c / nx % (ny + 1) != ny ? f->v[c] * f->v[c] : 0;
        nw = f->nc;
    } else {
        for (size_t c = 0; c < f->nu; c++)
            e += f->u[c] * f->u[c];
        for (size_t c = 0; c < f->nv; c++)
            e += f->v[c] * f->v[c];
    }
    for (size_t c = 0; c < nw; c++)
        e += f->w[c] * f->w[c];
    f->stats.mass = m * h3;
    f->stats.kinetic = 0.5 * e * h3;
}

/* Open walls (FLUID_OPEN): each face on the box of a fluid cell takes the
 * velocity of the face behind it (zero normal gradient); the projection
 * then corrects them with phi = 0 beyond the wall. */
static void extrapolate_walls(fluid *f) {
    size_t nx = (size_t)f->p.n[0], ny = (size_t)f->p.n[1], nz = (size_t)f->p.n[2];
    for (size_t k = 0; k < nz; k++)
        for (size_t j = 0; j < ny; j++) {
            size_t c = nx * (j + ny * k), fx = (nx + 1) * (j + ny * k);
            if (!f->solid[c])
                f->u[fx] = f->u[fx + 1];
            if (!f->solid[c + nx - 1])
                f->u[fx + nx] = f->u[fx + nx - 1];
        }
    for (size_t k = 0; k < nz; k++)
        for (size_t i = 0; i < nx; i++) {
            size_t c = i + nx * ny * k, fy = i + nx * (ny + 1) * k;
            if (!f->solid[c])
                f->v[fy] = f->v[fy + nx];
            if (!f->solid[c + nx * (ny - 1)])
                f->v[fy + nx * ny] = f->v[fy + nx * (ny - 1)];
        }
    for (size_t j = 0; j < ny; j++)
        for (size_t i = 0; i < nx; i++) {
            size_t c = i + nx * j, top = c + nx * ny * nz;
            if (!f->solid[c])
                f->w[c] = f->w[c + nx * ny];
            if (!f->solid[top - nx * ny])
                f->w[top] = f->w[top - nx * ny];
        }
}

void fluid_step(fluid *f, double dt) {
    forces(f, dt);
    advect_velocity(f, dt);
    viscosity(f, dt);
    if (f->p.boundary == FLUID_OPEN)
        extrapolate_walls(f);
    double outflow = fluid__project(f);
    scalars(f, dt, outflow);
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

/* Clamped to the box, or wrapped (FLUID_PERIODIC). */
static double keep_in(double x, double top, int periodic) {
    return periodic ? fluid__wrap_position(x, top) : clampd(x, 0, top);
}

void fluid_move_points(const fluid *f, double *pts, int32_t n, double dt) {
    double top[3] = {f->p.n[0] * f->p.h, f->p.n[1] * f->p.h, f->p.n[2] * f->p.h};
    int per = f->p.boundary == FLUID_PERIODIC;
    for (int32_t i = 0; i < n; i++) {
        double *p = pts + 3 * i, v[3], mid[3];
        fluid_velocity_at(f, p, v);
        for (int a = 0; a < 3; a++)
            mid[a] = keep_in(p[a] + 0.5 * dt * v[a], top[a], per);
        fluid_velocity_at(f, mid, v);
        for (int a = 0; a < 3; a++)
            p[a] = keep_in(p[a] + dt * v[a], top[a], per);
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
