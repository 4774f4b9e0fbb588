/* wasm:boundaryMode "periodic" (../README.md, Boundaries): the box wraps on
 * every axis. The face arrays keep their n + 1 faces along their own axis;
 * face n is a copy of face 0 (fluid__periodic_copy after every change), so
 * the loops that read a cell's high face need no wrap. What reads across
 * the box (advection, viscosity, the faces at index 0, the pressure
 * stencil of the cells on the box) wraps here, with the same operations in
 * the same order as the closed solver and ../rust/fluid.rs. */
#include <math.h>
#include <string.h>

#include "fluid_core.h"

/* Neighbour of index i (0 <= i < n) one step down / up, wrapped. */
static size_t down(size_t i, size_t n) { return i > 0 ? i - 1 : n - 1; }
static size_t up(size_t i, size_t n) { return i + 1 < n ? i + 1 : 0; }

double fluid__wrap_position(double x, double len) {
    x = x - len * floor(x / len);
    x = x < 0 ? x + len : x;
    return x >= len ? x - len : x;
}

/* g (within one period of [0, p)) into [0, p). */
static double wrap_index(double g, double p) {
    g = g < 0 ? g + p : g;
    return g >= p ? g - p : g;
}

/* Trilinear sample of a field of s[0] * s[1] * s[2] values with period p[a]
 * on axis a (s[a] = p[a] + 1 on the field's own face axis, whose last layer
 * is the copy of the first). */
static double sample_wrap(const double *a, const size_t s[3], const size_t p[3], double gx, double gy,
                          double gz) {
    gx = wrap_index(gx, (double)p[0]), gy = wrap_index(gy, (double)p[1]), gz = wrap_index(gz, (double)p[2]);
    size_t i = (size_t)gx, j = (size_t)gy, k = (size_t)gz;
    size_t i1 = i + 1 < s[0] ? i + 1 : 0, j1 = j + 1 < s[1] ? j + 1 : 0, k1 = k + 1 < s[2] ? k + 1 : 0;
    double tx = gx - (double)i, ty = gy - (double)j, tz = gz - (double)k;
    size_t sx = s[0], sxy = s[0] * s[1];
#define A(ii, jj, kk) a[(ii) + sx * (jj) + sxy * (kk)]
    double a00 = A(i, j, k) + tx * (A(i1, j, k) - A(i, j, k)),
           a10 = A(i, j1, k) + tx * (A(i1, j1, k) - A(i, j1, k));
    double a01 = A(i, j, k1) + tx * (A(i1, j, k1) - A(i, j, k1));
    double a11 = A(i, j1, k1) + tx * (A(i1, j1, k1) - A(i, j1, k1));
#undef A
    double b0 = a00 + ty * (a10 - a00), b1 = a01 + ty * (a11 - a01);
    return b0 + tz * (b1 - b0);
}

void fluid__copy_layers(double *u, double *v, double *w, const int32_t n[3]) {
    size_t nx = (size_t)n[0], ny = (size_t)n[1], nz = (size_t)n[2];
    for (size_t k = 0; k < nz; k++)
        for (size_t j = 0; j < ny; j++)
            u[nx + (nx + 1) * (j + ny * k)] = u[(nx + 1) * (j + ny * k)];
    for (size_t k = 0; k < nz; k++)
        memcpy(v + nx * (ny + (ny + 1) * k), v + nx * (ny + 1) * k, nx * sizeof *v);
    memcpy(w + nx * ny * nz, w, nx * ny * sizeof *w);
}

void fluid__periodic_copy(fluid *f) { fluid__copy_layers(f->u, f->v, f->w, f->p.n); }

/* Buoyancy on the z-faces at k = 0 (between the top and the bottom layer),
 * after every source cell is set, as the closed loop does for the others. */
void fluid__periodic_buoyancy(fluid *f, double g) {
    size_t nxy = (size_t)f->p.n[0] * (size_t)f->p.n[1], top = nxy * ((size_t)f->p.n[2] - 1);
    for (size_t c = 0; c < nxy; c++)
        if (f->lv[0].wz[c] > 0)
            f->w[c] += g * (0.5 * (f->d[c + top] + f->d[c]));
}

static double avg4(double a, double b, double c, double d) { return 0.25 * ((a + b) + (c + d)); }

/* The closed advect_velocity (which saved the old velocity in u0, v0, w0)
 * with every neighbour index and back-traced point wrapped; faces n (the
 * copies) are copied after. */
void fluid__periodic_advect(fluid *f, double dt) {
    size_t nx = (size_t)f->p.n[0], ny = (size_t)f->p.n[1], nz = (size_t)f->p.n[2];
    const fluid_level *L = &f->lv[0];
    double cu = dt / f->p.h, X = (double)nx, Y = (double)ny, Z = (double)nz;
    const double *u = f->u0, *v = f->v0, *w = f->w0;
    const size_t per[3] = {nx, ny, nz}, su[3] = {nx + 1, ny, nz}, sv[3] = {nx, ny + 1, nz},
                 sw[3] = {nx, ny, nz + 1};
#define U(i, j, k) u[(i) + (nx + 1) * ((j) + ny * (k))]
#define V(i, j, k) v[(i) + nx * ((j) + (ny + 1) * (k))]
#define W(i, j, k) w[(i) + nx * ((j) + ny * (k))]
    for (size_t k = 0; k < nz; k++)
        for (size_t j = 0; j < ny; j++)
            for (size_t i = 0; i < nx; i++) {
                size_t c = i + nx * (j + ny * k);
                size_t fx = i + (nx + 1) * (j + ny * k), fy = i + nx * (j + (ny + 1) * k);
                size_t im = down(i, nx), jm = down(j, ny), km = down(k, nz);
                double x = (double)i + 0.5, y = (double)j + 0.5, z = (double)k + 0.5;
                if (L->wx[fx] > 0) {
                    double vv = avg4(V(im, j, k), V(i, j, k), V(im, j + 1, k), V(i, j + 1, k));
                    double ww = avg4(W(im, j, k), W(i, j, k), W(im, j, k + 1), W(i, j, k + 1));
                    double bx = fluid__wrap_position((double)i - cu * u[fx], X),
                           by = fluid__wrap_position(y - cu * vv, Y), bz = fluid__wrap_position(z - cu * ww, Z);
                    f->u[fx] = sample_wrap(u, su, per, bx, by - 0.5, bz - 0.5);
                }
                if (L->wy[fy] > 0) {
                    double uu = avg4(U(i, jm, k), U(i, j, k), U(i + 1, jm, k), U(i + 1, j, k));
                    double ww = avg4(W(i, jm, k), W(i, j, k), W(i, jm, k + 1), W(i, j, k + 1));
                    double bx = fluid__wrap_position(x - cu * uu, X),
                           by = fluid__wrap_position((double)j - cu * v[fy], Y),
                           bz = fluid__wrap_position(z - cu * ww, Z);
                    f->v[fy] = sample_wrap(v, sv, per, bx - 0.5, by, bz - 0.5);
                }
                if (L->wz[c] > 0) {
                    double uu = avg4(U(i, j, km), U(i, j, k), U(i + 1, j, km), U(i + 1, j, k));
                    double vv = avg4(V(i, j, km), V(i, j, k), V(i, j + 1, km), V(i, j + 1, k));
                    double bx = fluid__wrap_position(x - cu * uu, X), by = fluid__wrap_position(y - cu * vv, Y),
                           bz = fluid__wrap_position((double)k - cu * w[c], Z);
                    f->w[c] = sample_wrap(w, sw, per, bx - 0.5, by - 0.5, bz);
                }
            }
#undef U
#undef V
#undef W
    fluid__periodic_copy(f);
}

/* One explicit smoothing of a face field (a from a0; open faces only, the
 * others copied) whose face axis is `axis`: every neighbour wraps. */
static void diffuse_wrap(double *a, const double *a0, const double *wt, const size_t n[3], int axis,
                         double coef) {
    size_t s[3] = {n[0], n[1], n[2]};
    s[axis]++;
    size_t st[3] = {1, s[0], s[0] * s[1]};
    for (size_t k = 0; k < n[2]; k++)
        for (size_t j = 0; j < n[1]; j++)
            for (size_t i = 0; i < n[0]; i++) {
                size_t c = i + st[1] * j + st[2] * k, idx[3] = {i, j, k};
                double o = a0[c], nb[6];
                if (!(wt[c] > 0)) {
                    a[c] = o;
                    continue;
                }
                for (int e = 0; e < 3; e++) {
                    nb[2 * e] = a0[c - st[e] * idx[e] + st[e] * down(idx[e], n[e])];
                    nb[2 * e + 1] = a0[c - st[e] * idx[e] + st[e] * up(idx[e], n[e])];
                }
                a[c] = o + coef * (((nb[0] - o) + (nb[1] - o)) + ((nb[2] - o) + (nb[3] - o)) +
                                   ((nb[4] - o) + (nb[5] - o)));
            }
}

void fluid__periodic_diffuse(fluid *f, double coef) {
    const size_t n[3] = {(size_t)f->p.n[0], (size_t)f->p.n[1], (size_t)f->p.n[2]};
    const fluid_level *L = &f->lv[0];
    diffuse_wrap(f->u, f->u0, L->wx, n, 0, coef);
    diffuse_wrap(f->v, f->v0, L->wy, n, 1, coef);
    diffuse_wrap(f->w, f->w0, L->wz, n, 2, coef);
    fluid__periodic_copy(f);
}

/* The faces at index 0 of each axis (between the last and the first cell):
 * the closed loop leaves them; then the copies. */
void fluid__periodic_gradient(fluid *f) {
    const fluid_level *L = &f->lv[0];
    size_t nx = (size_t)f->p.n[0], ny = (size_t)f->p.n[1], nz = (size_t)f->p.n[2];
    const double *phi = f->phi;
    for (size_t k = 0; k < nz; k++)
        for (size_t j = 0; j < ny; j++) {
            size_t c = nx * (j + ny * k), fx = (nx + 1) * (j + ny * k);
            if (L->wx[fx] > 0)
                f->u[fx] -= phi[c] - phi[c + nx - 1];
        }
    for (size_t k = 0; k < nz; k++)
        for (size_t i = 0; i < nx; i++) {
            size_t c = i + nx * ny * k, fy = i + nx * (ny + 1) * k;
            if (L->wy[fy] > 0)
                f->v[fy] -= phi[c] - phi[c + nx * (ny - 1)];
        }
    for (size_t c = 0; c < nx * ny; c++)
        if (L->wz[c] > 0)
            f->w[c] -= phi[c] - phi[c + nx * ny * (nz - 1)];
    fluid__periodic_copy(f);
}

/* nb_sum of a cell on the box: the same sum with wrapped neighbours. */
double fluid__nb_sum_wrap(const fluid_level *L, const double *x, size_t c) {
    size_t nx = (size_t)L->n[0], ny = (size_t)L->n[1], nz = (size_t)L->n[2];
    size_t i = c % nx, j = c / nx % ny, k = c / (nx * ny);
    size_t fx = i + (nx + 1) * (j + ny * k), fy = i + nx * (j + (ny + 1) * k), sxy = nx * ny;
    size_t xm = c - i + down(i, nx), xp = c - i + up(i, nx);
    size_t ym = c - nx * j + nx * down(j, ny), yp = c - nx * j + nx * up(j, ny);
    size_t zm = c - sxy * k + sxy * down(k, nz), zp = c - sxy * k + sxy * up(k, nz);
    return (L->wx[fx] * x[xm] + L->wx[fx + 1] * x[xp]) + (L->wy[fy] * x[ym] + L->wy[fy + nx] * x[yp]) +
           (L->wz[c] * x[zm] + L->wz[c + sxy] * x[zp]);
}

void fluid__periodic_velocity_at(const fluid *f, const double p[3], double out[3]) {
    size_t nx = (size_t)f->p.n[0], ny = (size_t)f->p.n[1], nz = (size_t)f->p.n[2];
    const size_t per[3] = {nx, ny, nz}, su[3] = {nx + 1, ny, nz}, sv[3] = {nx, ny + 1, nz},
                 sw[3] = {nx, ny, nz + 1};
    double h = f->p.h;
    double x = fluid__wrap_position(p[0], (double)nx * h), y = fluid__wrap_position(p[1], (double)ny * h),
           z = fluid__wrap_position(p[2], (double)nz * h);
    out[0] = sample_wrap(f->u, su, per, x / h, y / h - 0.5, z / h - 0.5);
    out[1] = sample_wrap(f->v, sv, per, x / h - 0.5, y / h, z / h - 0.5);
    out[2] = sample_wrap(f->w, sw, per, x / h - 0.5, y / h - 0.5, z / h);
}
