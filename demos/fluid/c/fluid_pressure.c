/* The pressure projection (../README.md, "Pressure"): solves
 * A phi = -h div u for the pressure-like phi (phi = p dt / (rho h)), where
 * (A x)_c = sum over the open faces of c of (x_c - x_neighbour), by
 * conjugate gradients preconditioned with one symmetric multigrid V-cycle
 * (red-black Gauss-Seidel, piecewise-constant transfers, coarse face
 * weights from the fine faces they cover, so obstacles coarsen
 * consistently); then subtracts the gradient of
 * phi from every open face. Closed walls: pure Neumann (phi is defined up
 * to a constant, so the right-hand side is made mean-free over the fluid
 * cells). Open walls: phi = 0 beyond them (Dirichlet; the wall's face
 * weight is in the diagonal only, as the neighbour is 0), the system is
 * regular. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fluid_core.h"

static size_t nx_(const fluid_level *L) { return (size_t)L->n[0]; }
static size_t ny_(const fluid_level *L) { return (size_t)L->n[1]; }
static size_t nz_(const fluid_level *L) { return (size_t)L->n[2]; }

/* Sum over the six faces of cell (i, j, k) of weight * x_neighbour. The
 * faces on the box are closed (weight 0) and x is padded by a layer of
 * n0 * n1 + 1 values on each side, so the neighbours need no bounds test. */
static inline double nb_sum(const fluid_level *L, const double *x, size_t c, size_t fx, size_t fy) {
    size_t nx = nx_(L), sxy = nx * ny_(L);
    /* wfull is a power of two, so this equals the general sum bit for bit */
    if (L->full[c] == 1)
        return L->wfull * (((x[c - 1] + x[c + 1]) + (x[c - nx] + x[c + nx])) + (x[c - sxy] + x[c + sxy]));
    if (L->full[c] == 2)
        return fluid__nb_sum_wrap(L, x, c);
    return (L->wx[fx] * x[c - 1] + L->wx[fx + 1] * x[c + 1]) +
           (L->wy[fy] * x[c - nx] + L->wy[fy + nx] * x[c + nx]) +
           (L->wz[c] * x[c - sxy] + L->wz[c + sxy] * x[c + sxy]);
}

/* (A x)_c of a cell, general path; s += x_c (A x)_c. */
static inline void apply_one(const fluid_level *L, const double *x, double *y, size_t i, size_t j, size_t k,
                             double *s) {
    size_t nx = nx_(L), ny = ny_(L), c = i + nx * (j + ny * k);
    y[c] = L->diag[c] * x[c] - nb_sum(L, x, c, i + (nx + 1) * (j + ny * k), i + nx * (j + (ny + 1) * k));
    *s += x[c] * y[c];
}

/* (A x) of cells c and c + 1, both on the fast path; s += the two x y, in order. */
static inline void apply_two(const double *x, const double *diag, double *y, size_t c, size_t nx, size_t sxy,
                             double w, double *s) {
    fluid_v2d nb = ((V2(x + c - 1) + V2(x + c + 1)) + (V2(x + c - nx) + V2(x + c + nx))) +
                   (V2(x + c - sxy) + V2(x + c + sxy));
    fluid_v2d a = V2(diag + c) * V2(x + c) - w * nb, xy = V2(x + c) * a;
    *(fluid_v2d *)(y + c) = a;
    *s += xy[0];
    *s += xy[1];
}

/* y = A x; returns the dot product x . y (the PCG step needs both), summed
 * cell by cell in order. Two cells at once where both take the fast path:
 * in an inner row every pair between its first and its last cell, with no
 * test. */
static double apply_a(const fluid_level *L, const double *x, double *y) {
    size_t nx = nx_(L), ny = ny_(L), nz = nz_(L), sxy = nx * ny;
    double s = 0, w = L->wfull;
    const double *diag = L->diag;
    for (size_t k = 0; k < nz; k++)
        for (size_t j = 0; j < ny; j++) {
            size_t row = nx * (j + ny * k), i = 0;
            const uint8_t *full = L->full + row;
            if (L->inner[j + ny * k]) {
                apply_one(L, x, y, 0, j, k, &s);
                for (i = 1; i + 2 < nx; i += 2)
                    apply_two(x, diag, y, row + i, nx, sxy, w, &s);
            }
            while (i < nx)
                if (i + 1 < nx && full[i] == 1 && full[i + 1] == 1) {
                    apply_two(x, diag, y, row + i, nx, sxy, w, &s);
                    i += 2;
                } else
                    apply_one(L, x, y, i++, j, k, &s);
        }
    return s;
}

static double dot(const double *a, const double *b, size_t n) {
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += a[i] * b[i];
    return s;
}

/* Largest |x| of two lanes so far (lane-wise max keeps the largest; NaNs are
 * passed over as by the scalar comparison). */
static inline fluid_v2d max_abs2(fluid_v2d m, fluid_v2d x) {
    const fluid_v2i bits = {INT64_MAX, INT64_MAX};
    fluid_v2d a = (fluid_v2d)((fluid_v2i)x & bits);
    fluid_v2i gt = a > m;
    return (fluid_v2d)(((fluid_v2i)a & gt) | ((fluid_v2i)m & ~gt));
}

static double max_lanes(fluid_v2d m) { return m[1] > m[0] ? m[1] : m[0]; }

static double max_abs(const double *a, size_t n) {
    fluid_v2d m2 = {0, 0};
    size_t i = 0;
    for (; i + 1 < n; i += 2)
        m2 = max_abs2(m2, V2(a + i));
    double m = max_lanes(m2);
    for (; i < n; i++)
        m = fabs(a[i]) > m ? fabs(a[i]) : m;
    return m;
}

/* phi += alpha p, r -= alpha q; returns max |r|. */
static double pcg_update(double *phi, double *r, const double *p, const double *q, double alpha, size_t n) {
    fluid_v2d m2 = {0, 0};
    size_t c = 0;
    for (; c + 1 < n; c += 2) {
        fluid_v2d rc = V2(r + c) - alpha * V2(q + c);
        *(fluid_v2d *)(phi + c) = V2(phi + c) + alpha * V2(p + c);
        *(fluid_v2d *)(r + c) = rc;
        m2 = max_abs2(m2, rc);
    }
    double m = max_lanes(m2);
    for (; c < n; c++) {
        phi[c] += alpha * p[c];
        r[c] -= alpha * q[c];
        m = fabs(r[c]) > m ? fabs(r[c]) : m;
    }
    return m;
}

/* Makes x mean-free over the cells with open faces (the others stay 0). */
static void remove_mean(const fluid_level *L, double *x, size_t n) {
    double s = 0, m = 0;
    for (size_t c = 0; c < n; c++)
        if (L->diag[c] > 0) {
            s += x[c];
            m += 1;
        }
    if (m == 0)
        return;
    double mean = s / m;
    for (size_t c = 0; c < n; c++)
        x[c] = L->diag[c] > 0 ? x[c] - mean : 0;
}

/* PCG on A phi = b from the previous phi; returns the iterations. The
 * preconditioned residual is not made mean-free: r is in A's range, so a
 * constant in z changes neither r . z nor A p, only phi by a constant. */
static int solve(fluid *f, double threshold) {
    fluid_level *L = &f->lv[0];
    size_t n = f->nc;
    double *r = f->cg_r, *z = f->cg_z, *p = f->cg_p, *q = f->cg_q;
    apply_a(L, f->phi, q);
    for (size_t c = 0; c < n; c++)
        r[c] = f->b[c] - q[c];
    if (max_abs(r, n) <= threshold)
        return 0;
    fluid__precondition(f, r, z);
    memcpy(p, z, n * sizeof *p);
    double rho = dot(r, z, n);
    int it = 0;
    while (it < f->p.max_iterations && rho != 0) {
        double pq = apply_a(L, p, q);
        if (!(pq > 0))
            break;
        double alpha = rho / pq, m = pcg_update(f->phi, r, p, q, alpha, n);
        it++;
        if (m <= threshold)
            break;
        fluid__precondition(f, r, z);
        double rho1 = dot(r, z, n), beta = rho1 / rho;
        rho = rho1;
        for (size_t c = 0; c < n; c++)
            p[c] = z[c] + beta * p[c];
    }
    return it;
}

static double max_face_speed(const fluid *f) {
    double a = max_abs(f->u, f->nu), b = max_abs(f->v, f->nv), c = max_abs(f->w, f->nw);
    return a > b ? (a > c ? a : c) : (b > c ? b : c);
}

/* The faces on the box of the fluid cells (FLUID_OPEN): phi is 0 beyond. */
static void subtract_gradient_walls(fluid *f) {
    size_t nx = (size_t)f->p.n[0], ny = (size_t)f->p.n[1], nz = (size_t)f->p.n[2];
    for (size_t k = 0; k < nz; k++)
        for (size_t j = 0; j < ny; j++) {
            size_t c = nx * (j + ny * k), fx = (nx + 1) * (j + ny * k);
            if (!f->solid[c])
                f->u[fx] -= f->phi[c];
            if (!f->solid[c + nx - 1])
                f->u[fx + nx] += f->phi[c + nx - 1];
        }
    for (size_t k = 0; k < nz; k++)
        for (size_t i = 0; i < nx; i++) {
            size_t c = i + nx * ny * k, fy = i + nx * (ny + 1) * k;
            if (!f->solid[c])
                f->v[fy] -= f->phi[c];
            if (!f->solid[c + nx * (ny - 1)])
                f->v[fy + nx * ny] += f->phi[c + nx * (ny - 1)];
        }
    for (size_t j = 0; j < ny; j++)
        for (size_t i = 0; i < nx; i++) {
            size_t c = i + nx * j, top = c + nx * ny * (nz - 1);
            if (!f->solid[c])
                f->w[c] -= f->phi[c];
            if (!f->solid[top])
                f->w[top + nx * ny] += f->phi[top];
        }
}

static void subtract_gradient(fluid *f) {
    const fluid_level *L = &f->lv[0];
    size_t nx = (size_t)f->p.n[0], ny = (size_t)f->p.n[1], nz = (size_t)f->p.n[2];
    if (f->p.boundary == FLUID_OPEN)
        subtract_gradient_walls(f);
    /* the faces at index 0 are closed but for FLUID_PERIODIC, done below */
    for (size_t k = 0; k < nz; k++)
        for (size_t j = 0; j < ny; j++)
            for (size_t i = 0; i < nx; i++) {
                size_t c = i + nx * (j + ny * k);
                size_t fx = i + (nx + 1) * (j + ny * k), fy = i + nx * (j + (ny + 1) * k);
                if (i + 1 < nx && L->full[c] == 1 && L->full[c + 1] == 1) { /* all six faces open, both */
                    fluid_v2d p = V2(f->phi + c);
                    *(fluid_v2d *)(f->u + fx) = V2(f->u + fx) - (p - V2(f->phi + c - 1));
                    *(fluid_v2d *)(f->v + fy) = V2(f->v + fy) - (p - V2(f->phi + c - nx));
                    *(fluid_v2d *)(f->w + c) = V2(f->w + c) - (p - V2(f->phi + c - nx * ny));
                    i++;
                    continue;
                }
                if (i > 0 && L->wx[fx] > 0)
                    f->u[fx] -= f->phi[c] - f->phi[c - 1];
                if (j > 0 && L->wy[fy] > 0)
                    f->v[fy] -= f->phi[c] - f->phi[c - nx];
                if (k > 0 && L->wz[c] > 0)
                    f->w[c] -= f->phi[c] - f->phi[c - nx * ny];
            }
    if (f->p.boundary == FLUID_PERIODIC)
        fluid__periodic_gradient(f);
}

double fluid__divergence(const fluid *f, size_t i, size_t j, size_t k) {
    size_t nx = (size_t)f->p.n[0], ny = (size_t)f->p.n[1];
    size_t c = i + nx * (j + ny * k), fx = i + (nx + 1) * (j + ny * k), fy = i + nx * (j + (ny + 1) * k);
    return (f->u[fx + 1] - f->u[fx]) + (f->v[fy + nx] - f->v[fy]) + (f->w[c + nx * ny] - f->w[c]);
}

/* fluid__divergence of cells (i, j, k) and (i + 1, j, k) */
static fluid_v2d divergence2(const fluid *f, size_t i, size_t j, size_t k) {
    size_t nx = (size_t)f->p.n[0], ny = (size_t)f->p.n[1];
    size_t c = i + nx * (j + ny * k), fx = i + (nx + 1) * (j + ny * k), fy = i + nx * (j + (ny + 1) * k);
    return (V2(f->u + fx + 1) - V2(f->u + fx)) + (V2(f->v + fy + nx) - V2(f->v + fy)) +
           (V2(f->w + c + nx * ny) - V2(f->w + c));
}

/* The sum over the faces of cells c and c + 1 of the velocity leaving them (closed faces carry 0),
 * and of cell c. */
static inline fluid_v2d pos2(fluid_v2d x) { return (fluid_v2d)((fluid_v2i)x & (x > 0)); }
static inline double pos(double x) { return x > 0 ? x : 0; }
static inline fluid_v2d outflow2(const double *u, const double *v, const double *w, size_t c, size_t fx,
                                 size_t fy, size_t nx, size_t nxy) {
    return ((pos2(-V2(u + fx)) + pos2(V2(u + fx + 1))) + (pos2(-V2(v + fy)) + pos2(V2(v + fy + nx)))) +
           (pos2(-V2(w + c)) + pos2(V2(w + c + nxy)));
}
static inline double outflow1(const double *u, const double *v, const double *w, size_t c, size_t fx, size_t fy,
                              size_t nx, size_t nxy) {
    return ((pos(-u[fx]) + pos(u[fx + 1])) + (pos(-v[fy]) + pos(v[fy + nx]))) + (pos(-w[c]) + pos(w[c + nxy]));
}
/* The larger lanes of m and o (o where o > m, as the scalar comparison). */
static inline fluid_v2d max2(fluid_v2d m, fluid_v2d o) {
    fluid_v2i gt = o > m;
    return (fluid_v2d)(((fluid_v2i)o & gt) | ((fluid_v2i)m & ~gt));
}

/* After the projection: stats.rel_divergence = max over fluid cells of
 * |h div u| / umax; returns the largest outflow of a cell, read from the
 * same faces (two cells at once: the largest of lane-wise largest values is
 * the same number). */
static double check(fluid *f, double umax) {
    size_t nx = (size_t)f->p.n[0], ny = (size_t)f->p.n[1], nz = (size_t)f->p.n[2], nxy = nx * ny;
    double m = 0, o = 0;
    fluid_v2d m2 = {0, 0}, o2 = {0, 0};
    for (size_t k = 0; k < nz; k++)
        for (size_t j = 0; j < ny; j++)
            for (size_t i = 0; i < nx; i++) {
                size_t c = i + nx * (j + ny * k);
                size_t fx = i + (nx + 1) * (j + ny * k), fy = i + nx * (j + (ny + 1) * k);
                if (i + 1 < nx) {
                    o2 = max2(o2, outflow2(f->u, f->v, f->w, c, fx, fy, nx, nxy));
                    if (!f->solid[c] && !f->solid[c + 1]) {
                        m2 = max_abs2(m2, divergence2(f, i, j, k));
                        i++;
                        continue;
                    }
                } else {
                    double x = outflow1(f->u, f->v, f->w, c, fx, fy, nx, nxy);
                    o = x > o ? x : o;
                }
                for (size_t e = i; e < i + 2 && e < nx; e++)
                    if (!f->solid[c + e - i]) {
                        double dv = fabs(fluid__divergence(f, e, j, k));
                        m = dv > m ? dv : m;
                    }
                i++;
            }
    m = max_lanes(m2) > m ? max_lanes(m2) : m;
    f->stats.rel_divergence = m / umax;
    o = o2[0] > o ? o2[0] : o;
    return o2[1] > o ? o2[1] : o;
}

double fluid__project(fluid *f) {
    size_t nx = (size_t)f->p.n[0], ny = (size_t)f->p.n[1], nz = (size_t)f->p.n[2];
    double umax = max_face_speed(f);
    f->stats.iterations = 0;
    f->stats.rel_divergence = 0;
    if (umax == 0) /* every face 0 (NaNs are passed over by both maxima): no outflow */
        return 0;
    for (size_t k = 0; k < nz; k++)
        for (size_t j = 0; j < ny; j++)
            for (size_t i = 0; i < nx; i++) {
                size_t c = i + nx * (j + ny * k);
                if (i + 1 < nx && !f->solid[c] && !f->solid[c + 1]) {
                    *(fluid_v2d *)(f->b + c) = -divergence2(f, i, j, k);
                    i++;
                    continue;
                }
                f->b[c] = f->solid[c] ? 0 : -fluid__divergence(f, i, j, k);
            }
    if (f->p.boundary != FLUID_OPEN) /* closed and periodic: phi up to a constant */
        remove_mean(&f->lv[0], f->b, f->nc);
    f->stats.iterations = solve(f, f->p.tolerance * umax);
    subtract_gradient(f);
    return check(f, umax);
}

/* Level 0's weights: a face is open when both its cells are fluid (the
 * box's faces are closed). A coarser face weighs half the sum of the four
 * fine faces it covers: the Galerkin operator of piecewise-constant
 * transfers is twice too stiff for smooth errors, and halving it (still
 * symmetric) makes the V-cycle converge several times faster. */
static void fine_weights(fluid *f) {
    fluid_level *L = &f->lv[0];
    size_t nx = nx_(L), ny = ny_(L), nz = nz_(L);
    for (size_t k = 0; k < nz; k++)
        for (size_t j = 0; j < ny; j++)
            for (size_t i = 0; i < nx; i++) {
                size_t c = i + nx * (j + ny * k);
                size_t fx = i + (nx + 1) * (j + ny * k), fy = i + nx * (j + (ny + 1) * k);
                size_t xm = i > 0 ? c - 1 : c + nx - 1, ym = j > 0 ? c - nx : c + nx * (ny - 1),
                       zm = k > 0 ? c - nx * ny : c + nx * ny * (nz - 1);
                L->wx[fx] = (i > 0 || L->periodic) && !f->solid[c] && !f->solid[xm];
                L->wy[fy] = (j > 0 || L->periodic) && !f->solid[c] && !f->solid[ym];
                L->wz[c] = (k > 0 || L->periodic) && !f->solid[c] && !f->solid[zm];
                if (f->p.boundary == FLUID_OPEN && !f->solid[c])
                    L->wall[c] = (double)(((i == 0) + (i == nx - 1)) + ((j == 0) + (j == ny - 1)) +
                                          ((k == 0) + (k == nz - 1)));
            }
}

static void coarse_weights(const fluid_level *F, fluid_level *C) {
    size_t nx = nx_(F), ny = ny_(F), cx = nx_(C), cy = ny_(C), cz = nz_(C);
    for (size_t k = 0; k < cz; k++)
        for (size_t j = 0; j < cy; j++)
            for (size_t i = 0; i < cx; i++) {
                double sx = 0, sy = 0, sz = 0;
                for (size_t a = 0; a < 2; a++)
                    for (size_t b = 0; b < 2; b++) {
                        sx += F->wx[2 * i + (nx + 1) * (2 * j + a + ny * (2 * k + b))];
                        sy += F->wy[2 * i + a + nx * (2 * j + (ny + 1) * (2 * k + b))];
                        sz += F->wz[2 * i + a + nx * (2 * j + b + ny * 2 * k)];
                    }
                C->wx[i + (cx + 1) * (j + cy * k)] = 0.5 * sx;
                C->wy[i + cx * (j + (cy + 1) * k)] = 0.5 * sy;
                C->wz[i + cx * (j + cy * k)] = 0.5 * sz;
                double sw = 0;
                for (size_t dk = 0; dk < 2; dk++)
                    for (size_t dj = 0; dj < 2; dj++)
                        for (size_t di = 0; di < 2; di++)
                            sw += F->wall[2 * i + di + nx * (2 * j + dj + ny * (2 * k + dk))];
                C->wall[i + cx * (j + cy * k)] = 0.5 * sw;
            }
}

/* The diagonal, and which cells take nb_sum's fast path. */
static void diagonal(fluid_level *L) {
    size_t nx = nx_(L), ny = ny_(L), nz = nz_(L);
    double w = L->wfull;
    for (size_t k = 0; k < nz; k++)
        for (size_t j = 0; j < ny; j++)
            for (size_t i = 0; i < nx; i++) {
                size_t c = i + nx * (j + ny * k);
                size_t fx = i + (nx + 1) * (j + ny * k), fy = i + nx * (j + (ny + 1) * k);
                L->diag[c] = ((L->wx[fx] + L->wx[fx + 1]) + (L->wy[fy] + L->wy[fy + nx]) +
                              (L->wz[c] + L->wz[c + nx * ny])) +
                             L->wall[c];
                L->full[c] = L->wx[fx] == w && L->wx[fx + 1] == w && L->wy[fy] == w && L->wy[fy + nx] == w &&
                             L->wz[c] == w && L->wz[c + nx * ny] == w;
                if (L->periodic && (i == 0 || j == 0 || k == 0 || i == nx - 1 || j == ny - 1 || k == nz - 1))
                    L->full[c] = 2;
            }
    for (size_t row = 0; row < ny * nz; row++) {
        L->inner[row] = nx > 2;
        for (size_t i = 1; i + 1 < nx; i++)
            L->inner[row] &= L->full[i + nx * row] == 1;
    }
}

int fluid__levels_new(fluid *f) {
    int32_t n[3] = {f->p.n[0], f->p.n[1], f->p.n[2]};
    f->nlev = 0;
    for (int l = 0; l < FLUID_MAX_LEVELS; l++) {
        fluid_level *L = &f->lv[l];
        memcpy(L->n, n, sizeof n);
        size_t x = (size_t)n[0], y = (size_t)n[1], z = (size_t)n[2], c = x * y * z;
        L->wx = calloc((x + 1) * y * z, sizeof(double));
        L->wy = calloc(x * (y + 1) * z, sizeof(double));
        L->wz = calloc(x * y * (z + 1), sizeof(double));
        L->diag = calloc(c, sizeof(double));
        L->wall = calloc(c, sizeof(double));
        L->full = calloc(c, 1);
        L->inner = calloc(y * z, 1);
        L->wfull = l == 0 ? 1 : 2 * f->lv[l - 1].wfull;
        L->periodic = f->p.boundary == FLUID_PERIODIC;
        f->nlev = l + 1;
        if (!L->wx || !L->wy || !L->wz || !L->diag || !L->wall || !L->full || !L->inner)
            return -1;
        if (l == 0)
            fine_weights(f);
        else
            coarse_weights(&f->lv[l - 1], L);
        if (L->periodic) /* face n of each axis takes face 0's weight */
            fluid__copy_layers(L->wx, L->wy, L->wz, L->n);
        diagonal(L);
        if (fluid__colours_new(f, l))
            return -1;
        if (n[0] % 2 || n[1] % 2 || n[2] % 2 || n[0] < 4 || n[1] < 4 || n[2] < 4)
            break;
        /* periodic red-black sweeps need an even n (the colours alternate across the wrap) */
        if (L->periodic && (n[0] / 2 % 2 || n[1] / 2 % 2 || n[2] / 2 % 2))
            break;
        n[0] /= 2, n[1] /= 2, n[2] /= 2;
    }
    return 0;
}

void fluid__levels_free(fluid *f) {
    for (int l = 0; l < f->nlev; l++) {
        fluid_level *L = &f->lv[l];
        free(L->wx), free(L->wy), free(L->wz), free(L->diag), free(L->wall), free(L->full), free(L->inner);
        fluid__colours_free(L);
    }
    f->nlev = 0;
}
