/* The PCG's preconditioner (../README.md, "Pressure"): one symmetric
 * multigrid V-cycle in single precision (red-black Gauss-Seidel, sum of
 * the red children's residuals as restriction, piecewise-constant
 * prolongation). The PCG around it stays in double precision, so the
 * projection's tolerance does not depend on the V-cycle's rounding.
 *
 * The vectors are in colour order with a zero halo (fluid_core.h): in each
 * row (j, k) the cells of one colour are consecutive; for the m-th cell of
 * colour col (i = 2 m + q, q = (col + j + k) % 2) the x-neighbours are
 * slots m - 1 + q and m + q of the other colour, the y- and z-neighbours
 * slot m of the rows next to it, and every neighbour beyond the box is a
 * zero of the halo. A sweep reads and writes consecutive values, four
 * cells per f32x4 operation. ../rust/fluid.rs and ../python/fluid.py do
 * the same float operations in the same order in the natural layout (a
 * neighbour beyond the box is 0 there too), so the results are the same bits. */
#include <stdlib.h>
#include <string.h>

#include "fluid_core.h"

enum { SMOOTH = 2, COARSE_SWEEPS = 8, VL = 4 };

static size_t nx_(const fluid_level *L) { return (size_t)L->n[0]; }
static size_t ny_(const fluid_level *L) { return (size_t)L->n[1]; }
static size_t nz_(const fluid_level *L) { return (size_t)L->n[2]; }

/* Slot of the row (j, k) of colour col: its cells of that colour follow. */
static inline size_t row_at(const fluid_level *L, size_t col, size_t j, size_t k) {
    return col * L->HC + L->P + k * L->P + j * L->R;
}

static inline size_t slot(const fluid_level *L, size_t i, size_t j, size_t k) {
    return row_at(L, (i + j + k) & 1, j, k) + i / 2;
}

/* The fast stencil: every face weighs wfull (a power of two, so this equals
 * the weighted sum bit for bit) or is on the box, where the halo reads 0. */
static inline float nb_fast(const float *o, size_t m, size_t q, size_t R, size_t P, float w) {
    return w * (((o[m - 1 + q] + o[m + q]) + (o[m - R] + o[m + R])) + (o[m - P] + o[m + P]));
}

static inline fluid_v4f nb_fast4(const float *o, size_t m, size_t q, size_t R, size_t P, float w) {
    return w * (((V4(o + m - 1 + q) + V4(o + m + q)) + (V4(o + m - R) + V4(o + m + R))) +
                (V4(o + m - P) + V4(o + m + P)));
}

/* The weighted stencil of cell (i, j, k) (m-th of its colour, o: the other
 * colour's row); the box wraps for FLUID_PERIODIC's cells on it (fast 2). */
static float nb_slow(const fluid_level *L, const float *o, size_t m, size_t i, size_t j, size_t k) {
    size_t nx = nx_(L), ny = ny_(L), nz = nz_(L), q = i & 1, R = L->R, P = L->P;
    size_t c = i + nx * (j + ny * k), fx = i + (nx + 1) * (j + ny * k), fy = i + nx * (j + (ny + 1) * k);
    float xm = o[m - 1 + q], xp = o[m + q], ym = o[m - R], yp = o[m + R], zm = o[m - P], zp = o[m + P];
    if (L->fast[c] == 2) {
        const float *z = L->z;
        xm = i > 0 ? xm : z[slot(L, nx - 1, j, k)], xp = i + 1 < nx ? xp : z[slot(L, 0, j, k)];
        ym = j > 0 ? ym : z[slot(L, i, ny - 1, k)], yp = j + 1 < ny ? yp : z[slot(L, i, 0, k)];
        zm = k > 0 ? zm : z[slot(L, i, j, nz - 1)], zp = k + 1 < nz ? zp : z[slot(L, i, j, 0)];
    }
    return ((float)L->wx[fx] * xm + (float)L->wx[fx + 1] * xp) +
           ((float)L->wy[fy] * ym + (float)L->wy[fy + nx] * yp) +
           ((float)L->wz[c] * zm + (float)L->wz[c + nx * ny] * zp);
}

/* Gauss-Seidel on the cells of one colour ((i + j + k) % 2 == colour): they
 * depend only on cells of the other colour, so the order does not matter. */
static void sweep(fluid_level *L, size_t colour) {
    size_t nx = nx_(L), ny = ny_(L), nz = nz_(L), R = L->R, P = L->P;
    float w = (float)L->wfull;
    for (size_t k = 0; k < nz; k++)
        for (size_t j = 0; j < ny; j++) {
            size_t row = j + ny * k, q = (colour + j + k) & 1, cnt = (nx - q + 1) / 2, m = 0;
            float *z = L->z + row_at(L, colour, j, k);
            const float *o = L->z + row_at(L, 1 - colour, j, k), *r = L->r + (z - L->z),
                        *inv = L->inv + (z - L->z);
            if (L->rowfast[2 * row + colour])
                for (; m + VL <= cnt; m += VL)
                    *(fluid_v4f *)(z + m) = (V4(r + m) + nb_fast4(o, m, q, R, P, w)) * V4(inv + m);
            for (; m < cnt; m++) {
                size_t i = 2 * m + q;
                float nb = L->fast[i + nx * row] == 1 ? nb_fast(o, m, q, R, P, w) : nb_slow(L, o, m, i, j, k);
                z[m] = (r[m] + nb) * inv[m];
            }
        }
}

/* The first red sweep from z = 0: z = r / diag on the red cells (and 0 on
 * the halo). The black sweep that follows writes every black cell and reads
 * only red ones, so z needs no clearing. */
static void sweep_first(fluid_level *L) {
    size_t n = L->HC;
    float *z = L->z;
    const float *r = L->r, *inv = L->inv;
    for (size_t m = 0; m < n; m++)
        z[m] = r[m] * inv[m];
}

/* The red children (di, dj, dk) of a coarse cell, in the order they are summed. */
static const unsigned char red_children[4][3] = {{0, 0, 0}, {1, 1, 0}, {1, 0, 1}, {0, 1, 1}};

/* The residual r - A z of the red fine cell (fi, fj, fk) (after the black sweep). */
static float residual_red(const fluid_level *F, size_t fi, size_t fj, size_t fk) {
    size_t row = row_at(F, 0, fj, fk), m = fi / 2, q = fi & 1;
    const float *o = F->z + row_at(F, 1, fj, fk), *z = F->z + row;
    float nb = F->fast[fi + nx_(F) * (fj + ny_(F) * fk)] == 1 ? nb_fast(o, m, q, F->R, F->P, (float)F->wfull)
                                                              : nb_slow(F, o, m, fi, fj, fk);
    return F->r[row + m] - (F->dg[row + m] * z[m] - nb);
}

/* C->r = the sum of the fine residuals r - A z over each coarse cell's
 * eight children. Pre-smoothing ends with a black sweep, which leaves the
 * black residuals 0 (up to rounding, taken as 0): only the four red
 * children are summed. Child e of coarse cell i of a row is slot i of its
 * fine row, so four coarse cells take four consecutive slots; the coarse
 * cells' colours alternate, so the sums go to two rows. */
static void restrict_residual(const fluid_level *F, fluid_level *C) {
    size_t cx = nx_(C), cy = ny_(C), cz = nz_(C), R = F->R, P = F->P;
    float w = (float)F->wfull;
    for (size_t k = 0; k < cz; k++)
        for (size_t j = 0; j < cy; j++) {
            size_t i = 0, fast = 1, cp = C->par[j + cy * k];
            const float *z[4], *o[4], *r[4], *dg[4];
            for (int e = 0; e < 4; e++) {
                size_t fj = 2 * j + red_children[e][1], fk = 2 * k + red_children[e][2];
                size_t row = row_at(F, 0, fj, fk);
                z[e] = F->z + row, o[e] = F->z + row_at(F, 1, fj, fk), r[e] = F->r + row, dg[e] = F->dg + row;
                fast &= F->rowfast[2 * (fj + ny_(F) * fk)];
            }
            float *a = C->r + row_at(C, cp, j, k), *b = C->r + row_at(C, 1 - cp, j, k);
            if (fast)
                for (; i + VL <= cx; i += VL) {
                    fluid_v4f s = {0, 0, 0, 0};
                    for (int e = 0; e < 4; e++) {
                        size_t q = red_children[e][0];
                        s += V4(r[e] + i) - (V4(dg[e] + i) * V4(z[e] + i) - nb_fast4(o[e], i, q, R, P, w));
                    }
                    a[i / 2] = s[0], b[i / 2] = s[1], a[i / 2 + 1] = s[2], b[i / 2 + 1] = s[3];
                }
            for (; i < cx; i++) {
                float s = 0;
                for (int e = 0; e < 4; e++)
                    s += residual_red(F, 2 * i + red_children[e][0], 2 * j + red_children[e][1],
                                      2 * k + red_children[e][2]);
                (i % 2 ? b : a)[i / 2] = s;
            }
        }
}

/* Fine cell i = 2 m + q of a row lies in coarse cell m of the coarse row,
 * whose colour alternates with m: m = 2 t in slot t of colour cp, m = 2 t + 1
 * in slot t of the other. */
static void prolong_add(fluid_level *F, const fluid_level *C) {
    size_t nx = nx_(F), ny = ny_(F), nz = nz_(F), cy = ny_(C);
    for (size_t k = 0; k < nz; k++)
        for (size_t j = 0; j < ny; j++) {
            size_t cp = C->par[j / 2 + cy * (k / 2)];
            const float *a = C->z + row_at(C, cp, j / 2, k / 2), *b = C->z + row_at(C, 1 - cp, j / 2, k / 2);
            for (size_t col = 0; col < 2; col++) {
                size_t q = (col + j + k) & 1, cnt = (nx - q + 1) / 2, t = 0;
                float *z = F->z + row_at(F, col, j, k);
                for (; 2 * t + 1 < cnt; t++) {
                    z[2 * t] += a[t];
                    z[2 * t + 1] += b[t];
                }
                if (2 * t < cnt)
                    z[2 * t] += a[t];
            }
        }
}

/* z = V(r) on level l: pre-smoothing SMOOTH times red then black,
 * post-smoothing black then red (the adjoint order), so the preconditioner
 * is symmetric. Two sweeps each way halve the PCG iterations of one and cost
 * less than the iterations they save; three save nothing more. */
static void vcycle(fluid *f, int l) {
    fluid_level *L = &f->lv[l];
    int pre = l == f->nlev - 1 ? COARSE_SWEEPS : SMOOTH;
    sweep_first(L);
    sweep(L, 1);
    for (int s = 1; s < pre; s++) {
        sweep(L, 0);
        sweep(L, 1);
    }
    if (l < f->nlev - 1) {
        restrict_residual(L, &f->lv[l + 1]);
        vcycle(f, l + 1);
        prolong_add(L, &f->lv[l + 1]);
    }
    for (int s = 0; s < pre; s++) {
        sweep(L, 1);
        sweep(L, 0);
    }
}

/* r (double, natural order) rounded to float in colour order, one V-cycle,
 * z back in double: in a row, cells 2 t and 2 t + 1 are slot t of the row's
 * two colours. */
void fluid__precondition(fluid *f, const double *r, double *z) {
    fluid_level *L = &f->lv[0];
    size_t nx = nx_(L), ny = ny_(L), nz = nz_(L);
    for (size_t k = 0; k < nz; k++)
        for (size_t j = 0; j < ny; j++) {
            size_t p = (j + k) & 1, t = 0;
            float *a = L->r + row_at(L, p, j, k), *b = L->r + row_at(L, 1 - p, j, k);
            const double *s = r + nx * (j + ny * k);
            for (; 2 * t + 1 < nx; t++)
                a[t] = (float)s[2 * t], b[t] = (float)s[2 * t + 1];
            if (2 * t < nx)
                a[t] = (float)s[2 * t];
        }
    vcycle(f, 0);
    for (size_t k = 0; k < nz; k++)
        for (size_t j = 0; j < ny; j++) {
            size_t p = (j + k) & 1, t = 0;
            const float *a = L->z + row_at(L, p, j, k), *b = L->z + row_at(L, 1 - p, j, k);
            double *d = z + nx * (j + ny * k);
            for (; 2 * t + 1 < nx; t++)
                d[2 * t] = a[t], d[2 * t + 1] = b[t];
            if (2 * t < nx)
                d[2 * t] = a[t];
        }
}

/* Whether face weight x of a cell takes the fast stencil: wfull, or 0 on
 * the box (the halo's 0 beyond it) unless the box wraps. */
static int fast_face(const fluid_level *L, double x, int on_box) {
    return x == L->wfull || (on_box && !L->periodic && x == 0);
}

static uint8_t fast_cell(const fluid_level *L, size_t i, size_t j, size_t k) {
    size_t nx = nx_(L), ny = ny_(L), nz = nz_(L);
    size_t c = i + nx * (j + ny * k), fx = i + (nx + 1) * (j + ny * k), fy = i + nx * (j + (ny + 1) * k);
    if (L->periodic && (i == 0 || j == 0 || k == 0 || i == nx - 1 || j == ny - 1 || k == nz - 1))
        return 2;
    return fast_face(L, L->wx[fx], i == 0) && fast_face(L, L->wx[fx + 1], i == nx - 1) &&
           fast_face(L, L->wy[fy], j == 0) && fast_face(L, L->wy[fy + nx], j == ny - 1) &&
           fast_face(L, L->wz[c], k == 0) && fast_face(L, L->wz[c + nx * ny], k == nz - 1);
}

int fluid__colours_new(fluid *f, int l) {
    fluid_level *L = &f->lv[l];
    size_t nx = nx_(L), ny = ny_(L), nz = nz_(L), rows = ny * nz;
    L->hr = (nx + 1) / 2, L->R = L->hr + 1, L->P = (ny + 1) * L->R, L->HC = (nz + 2) * L->P;
    L->par = malloc(rows);
    L->fast = malloc(nx * rows);
    L->rowfast = malloc(2 * rows);
    L->inv = calloc(2 * L->HC, sizeof(float));
    L->dg = calloc(2 * L->HC, sizeof(float));
    L->r = calloc(2 * L->HC, sizeof(float));
    L->z = calloc(2 * L->HC, sizeof(float));
    if (!L->par || !L->fast || !L->rowfast || !L->inv || !L->dg || !L->r || !L->z)
        return -1;
    memset(L->rowfast, 1, 2 * rows);
    for (size_t k = 0; k < nz; k++)
        for (size_t j = 0; j < ny; j++) {
            size_t row = j + ny * k;
            L->par[row] = (j + k) & 1;
            for (size_t i = 0; i < nx; i++) {
                size_t c = i + nx * row, s = slot(L, i, j, k);
                L->fast[c] = fast_cell(L, i, j, k);
                L->rowfast[2 * row + ((i + j + k) & 1)] &= L->fast[c] == 1;
                L->dg[s] = (float)L->diag[c];
                L->inv[s] = L->diag[c] > 0 ? (float)(1 / L->diag[c]) : 0;
            }
        }
    return 0;
}

void fluid__colours_free(fluid_level *L) {
    free(L->par), free(L->fast), free(L->rowfast), free(L->inv), free(L->dg), free(L->r), free(L->z);
}
