/* Creating and freeing a solver: checks the parameters, marks the obstacle
 * cells, builds the multigrid levels, sets the initial velocity. */
#include <stdlib.h>

#include "fluid_core.h"

/* sin(x) for the Taylor-Green start: Taylor polynomial to x^15 after
 * reducing to [-pi/2, pi/2] (error below 1e-12), so that C, Rust and
 * Python start from the same bits without libm. */
static double sin_poly(double x) {
    const double pi = 3.141592653589793;
    while (x > pi)
        x -= 2 * pi;
    while (x < -pi)
        x += 2 * pi;
    if (x > pi / 2)
        x = pi - x;
    if (x < -pi / 2)
        x = -pi - x;
    double x2 = x * x, s = -1.0 / 1307674368000.0;
    s = 1.0 / 6227020800.0 + x2 * s;
    s = -1.0 / 39916800.0 + x2 * s;
    s = 1.0 / 362880.0 + x2 * s;
    s = -1.0 / 5040.0 + x2 * s;
    s = 1.0 / 120.0 + x2 * s;
    s = -1.0 / 6.0 + x2 * s;
    s = 1.0 + x2 * s;
    return x * s;
}
static double cos_poly(double x) { return sin_poly(x + 3.141592653589793 / 2); }

/* u = U sin(k x) cos(k y), v = -U cos(k x) sin(k y), k = pi / (nx h):
 * divergence-free, zero normal velocity on the walls x = 0, nx h and
 * y = 0, ny h when nx == ny (free slip). */
static void taylor_green(fluid *f) {
    size_t nx = (size_t)f->p.n[0], ny = (size_t)f->p.n[1], nz = (size_t)f->p.n[2];
    /* one period across a periodic box, half of one between closed walls */
    double pi = f->p.boundary == FLUID_PERIODIC ? 2 * 3.141592653589793 : 3.141592653589793;
    double h = f->p.h, k = pi / ((double)nx * h), U = f->p.taylor_green;
    for (size_t kk = 0; kk < nz; kk++)
        for (size_t j = 0; j <= ny; j++)
            for (size_t i = 0; i <= nx; i++) {
                double x = (double)i * h, y = (double)j * h, xc = x + 0.5 * h, yc = y + 0.5 * h;
                if (j < ny)
                    f->u[i + (nx + 1) * (j + ny * kk)] = U * sin_poly(k * x) * cos_poly(k * yc);
                if (i < nx)
                    f->v[i + nx * (j + (ny + 1) * kk)] = -U * cos_poly(k * xc) * sin_poly(k * y);
            }
    for (size_t c = 0; c < f->nu; c++)
        if (!(f->lv[0].wx[c] > 0))
            f->u[c] = 0;
    for (size_t c = 0; c < f->nv; c++)
        if (!(f->lv[0].wy[c] > 0))
            f->v[c] = 0;
    if (f->p.boundary == FLUID_PERIODIC)
        fluid__periodic_copy(f);
}

static int inside(const double s[4], double x, double y, double z) {
    double dx = x - s[0], dy = y - s[1], dz = z - s[2];
    return s[3] > 0 && dx * dx + dy * dy + dz * dz < s[3] * s[3];
}

/* What the source sets where (FLUID_SRC_*): fluid cells inside it, open
 * faces whose centres are inside it. */
static void mark_source(fluid *f) {
    const fluid_params *p = &f->p;
    const fluid_level *L = &f->lv[0];
    size_t nx = (size_t)p->n[0], ny = (size_t)p->n[1], nz = (size_t)p->n[2];
    double h = p->h;
    for (size_t k = 0; k < nz; k++)
        for (size_t j = 0; j < ny; j++)
            for (size_t i = 0; i < nx; i++) {
                size_t c = i + nx * (j + ny * k);
                size_t fx = i + (nx + 1) * (j + ny * k), fy = i + nx * (j + (ny + 1) * k);
                double x = ((double)i + 0.5) * h, y = ((double)j + 0.5) * h, z = ((double)k + 0.5) * h;
                f->src[c] =
                    (uint8_t)((!f->solid[c] && inside(p->source, x, y, z) ? FLUID_SRC_CELL : 0) |
                              (L->wx[fx] > 0 && inside(p->source, (double)i * h, y, z) ? FLUID_SRC_X : 0) |
                              (L->wy[fy] > 0 && inside(p->source, x, (double)j * h, z) ? FLUID_SRC_Y : 0) |
                              (L->wz[c] > 0 && inside(p->source, x, y, (double)k * h) ? FLUID_SRC_Z : 0));
            }
}

static const char *check(const fluid_params *p) {
    for (int a = 0; a < 3; a++)
        if (p->n[a] < 2 || p->n[a] > 1024)
            return "grid resolution: each axis needs 2 to 1024 cells";
    if ((double)p->n[0] * p->n[1] * p->n[2] > 64.0 * 1024 * 1024)
        return "grid resolution: more than 2^26 cells";
    if (!(p->h > 0))
        return "cell size must be > 0";
    if (!(p->step > 0))
        return "time step must be > 0";
    if (!(p->viscosity >= 0) || !(p->diffusion >= 0))
        return "viscosity and diffusion must be >= 0";
    if (p->boundary != FLUID_CLOSED && p->boundary != FLUID_OPEN && p->boundary != FLUID_PERIODIC)
        return "boundary mode must be closed, open or periodic";
    if (p->boundary == FLUID_PERIODIC && (p->n[0] % 2 || p->n[1] % 2 || p->n[2] % 2))
        return "a periodic grid needs an even number of cells on every axis";
    if (p->max_iterations < 1)
        return "solver iterations must be >= 1";
    if (!(p->tolerance >= 0))
        return "tolerance must be >= 0";
    return NULL;
}

fluid *fluid_new(const fluid_params *p, const char **why) {
    const char *bad = check(p);
    if (bad) {
        if (why)
            *why = bad;
        return NULL;
    }
    fluid *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->p = *p;
    size_t nx = (size_t)p->n[0], ny = (size_t)p->n[1], nz = (size_t)p->n[2];
    f->nc = nx * ny * nz;
    f->nu = (nx + 1) * ny * nz;
    f->nv = nx * (ny + 1) * nz;
    f->nw = nx * ny * (nz + 1);
    double **cells[] = {&f->d, &f->d0, &f->b, &f->cg_q, &f->cg_r, &f->cg_z};
    int ok = 1;
    for (size_t i = 0; i < sizeof cells / sizeof *cells; i++)
        ok &= (*cells[i] = calloc(f->nc, sizeof(double))) != NULL;
    ok &= (f->u = calloc(f->nu, sizeof(double))) && (f->u0 = calloc(f->nu, sizeof(double)));
    ok &= (f->v = calloc(f->nv, sizeof(double))) && (f->v0 = calloc(f->nv, sizeof(double)));
    ok &= (f->w = calloc(f->nw, sizeof(double))) && (f->w0 = calloc(f->nw, sizeof(double)));
    ok &= (f->solid = calloc(f->nc, 1)) != NULL && (f->src = calloc(f->nc, 1)) != NULL;
    ok &= (f->phi = fluid__padded_new(f->nc, nx * ny + 1)) && (f->cg_p = fluid__padded_new(f->nc, nx * ny + 1));
    if (!ok) {
        fluid_free(f);
        return NULL;
    }
    const double *o = p->obstacle;
    for (size_t k = 0; k < nz; k++)
        for (size_t j = 0; j < ny; j++)
            for (size_t i = 0; i < nx; i++) {
                double dx = ((double)i + 0.5) * p->h - o[0], dy = ((double)j + 0.5) * p->h - o[1],
                       dz = ((double)k + 0.5) * p->h - o[2];
                f->solid[i + nx * (j + ny * k)] = o[3] > 0 && dx * dx + dy * dy + dz * dz < o[3] * o[3];
            }
    if (fluid__levels_new(f)) {
        fluid_free(f);
        return NULL;
    }
    mark_source(f);
    if (p->taylor_green != 0)
        taylor_green(f);
    return f;
}

double *fluid__padded_new(size_t n, size_t pad) {
    double *a = calloc(n + 2 * pad, sizeof(double));
    return a ? a + pad : NULL;
}

void fluid__padded_free(double *a, size_t pad) {
    if (a)
        free(a - pad);
}

void fluid_free(fluid *f) {
    if (!f)
        return;
    fluid__levels_free(f);
    size_t pad = (size_t)f->p.n[0] * (size_t)f->p.n[1] + 1;
    fluid__padded_free(f->phi, pad);
    fluid__padded_free(f->cg_p, pad);
    double *all[] = {f->d, f->d0, f->b, f->cg_q, f->cg_r, f->cg_z, f->u, f->u0, f->v, f->v0, f->w, f->w0};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        free(all[i]);
    free(f->solid);
    free(f->src);
    free(f);
}
