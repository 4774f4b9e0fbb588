/* The filter: range gate + CropBox, VoxelGrid (centroid per voxel, voxels
 * in ascending linear index), StatisticalOutlierRemoval (exact k nearest
 * neighbours, searched in a uniform grid: the queries go cell by cell, each
 * first scanning the 3 x 3 x 3 cells around its cell - nine contiguous
 * ranges, found once a cell - and continuing shell by shell only when a
 * point outside could be nearer than its k-th). Mirrors filter_cloud() in
 * ../python/lidar_filter.py; ../README.md lists where it differs from PCL. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lidar_core.h"

#define KMAX 64

/* Scratch buffers, grown as needed and kept between frames. */
typedef struct {
    double *pts, *vox, *mean;
    uint64_t *keys, *tmp;
    double *gpts;    /* the centroids in grid-cell order */
    int32_t *gidx;   /* their index among the centroids */
    int32_t *gcell;  /* cell of each centroid */
    int32_t *cstart; /* per cell: its first point in gpts; cells + 1 entries */
    double *gsq;     /* squared gaps of the shell search: 3 axes x (2 gmax + 1) */
    int64_t gmax;
    size_t cap, ccap;
} scratch;

static scratch S;

static int grow(void **p, size_t bytes) {
    void *q = realloc(*p, bytes ? bytes : 8);
    if (!q)
        return -1;
    *p = q;
    return 0;
}

static int reserve(size_t n) {
    if (n <= S.cap)
        return 0;
    if (grow((void **)&S.pts, n * 3 * sizeof(double)) || grow((void **)&S.vox, n * 3 * sizeof(double)) ||
        grow((void **)&S.mean, n * sizeof(double)) || grow((void **)&S.keys, n * sizeof(uint64_t)) ||
        grow((void **)&S.tmp, n * sizeof(uint64_t)) || grow((void **)&S.gpts, n * 3 * sizeof(double)) ||
        grow((void **)&S.gidx, n * sizeof(int32_t)) || grow((void **)&S.gcell, n * sizeof(int32_t)))
        return -1;
    S.cap = n;
    return 0;
}

/* Range gate + CropBox into out; mn/mx get the kept points' bounding box
 * (the voxel grid's). */
static int32_t crop(const lidar_filter_params *f, const double *pts, int32_t n, double *out, double *mn,
                    double *mx) {
    double r2min = f->min_range * f->min_range;
    const double *lo = f->crop_min, *hi = f->crop_max, *o = f->origin;
    int32_t m = 0;
    for (int a = 0; a < 3; a++) {
        mn[a] = INFINITY;
        mx[a] = -INFINITY;
    }
    for (int32_t i = 0; i < n; i++) {
        const double *p = pts + 3 * i;
        double x = p[0], y = p[1], z = p[2], dx = x - o[0], dy = y - o[1], dz = z - o[2];
        if (dx * dx + dy * dy + dz * dz < r2min)
            continue;
        if (x < lo[0] || y < lo[1] || z < lo[2] || x > hi[0] || y > hi[1] || z > hi[2])
            continue;
        double *q = out + 3 * m++;
        q[0] = x;
        q[1] = y;
        q[2] = z;
        mn[0] = x < mn[0] ? x : mn[0];
        mn[1] = y < mn[1] ? y : mn[1];
        mn[2] = z < mn[2] ? z : mn[2];
        mx[0] = x > mx[0] ? x : mx[0];
        mx[1] = y > mx[1] ? y : mx[1];
        mx[2] = z > mx[2] ? z : mx[2];
    }
    return m;
}

/* LSD radix sort of n keys (at most mx) by their bits from `from` up, 11
 * bits a pass, as many passes as mx needs, between a and tmp; returns the
 * one holding the result. Stable: keys equal in those bits keep their
 * order. */
static uint64_t *radix_sort(uint64_t *a, uint64_t *tmp, int32_t n, int from, uint64_t mx) {
    for (int shift = from; shift < 64 && (mx >> shift); shift += 11) {
        int32_t count[2049] = {0};
        for (int32_t i = 0; i < n; i++)
            count[((a[i] >> shift) & 2047) + 1]++;
        for (int d = 0; d < 2048; d++)
            count[d + 1] += count[d];
        for (int32_t i = 0; i < n; i++)
            tmp[count[(a[i] >> shift) & 2047]++] = a[i];
        uint64_t *t = a;
        a = tmp;
        tmp = t;
    }
    return a;
}

/* Centroids of the occupied voxels of the n points (bounding box mn, mx). */
static int32_t voxel_grid(const lidar_filter_params *f, const double *pts, int32_t n, const double *mn,
                          const double *mx, double *out) {
    if (n == 0)
        return 0;
    double inv = 1.0 / f->leaf;
    int64_t minb[3], div[3];
    for (int a = 0; a < 3; a++) {
        minb[a] = (int64_t)floor(mn[a] * inv);
        div[a] = (int64_t)floor(mx[a] * inv) - minb[a] + 1;
    }
    uint64_t kmax = 0;
    for (int32_t i = 0; i < n; i++) {
        const double *p = pts + 3 * i;
        int64_t ix = (int64_t)floor(p[0] * inv) - minb[0], iy = (int64_t)floor(p[1] * inv) - minb[1],
                iz = (int64_t)floor(p[2] * inv) - minb[2];
        uint64_t key = ((uint64_t)(ix + iy * div[0] + iz * div[0] * div[1]) << 20) | (uint64_t)i;
        S.keys[i] = key;
        kmax = key > kmax ? key : kmax;
    }
    /* by voxel; a voxel's points stay in input order */
    const uint64_t *keys = radix_sort(S.keys, S.tmp, n, 20, kmax);
    int32_t m = 0;
    for (int32_t j = 0; j < n;) {
        uint64_t v = keys[j] >> 20;
        double sx = 0.0, sy = 0.0, sz = 0.0;
        int32_t c = 0;
        for (; j < n && keys[j] >> 20 == v; j++, c++) {
            const double *p = pts + 3 * (keys[j] & 0xFFFFF);
            sx += p[0];
            sy += p[1];
            sz += p[2];
        }
        out[3 * m] = sx / c;
        out[3 * m + 1] = sy / c;
        out[3 * m + 2] = sz / c;
        m++;
    }
    return m;
}

/* The uniform grid of the k-nearest-neighbour search: cells of `cell`
 * metres (twice the leaf, coarser when the cloud's box would need more than
 * about 8 cells a point) from org; points sorted by cell. margin keeps the
 * distance bounds conservative whatever floor() rounded to. */
typedef struct {
    double org[3], cell, margin;
    int64_t dim[3];
} ugrid;

static int64_t cell_of(const ugrid *g, const double *p, int a) {
    int64_t c = (int64_t)floor((p[a] - g->org[a]) / g->cell);
    return c < 0 ? 0 : c >= g->dim[a] ? g->dim[a] - 1 : c;
}

static int grid_build(ugrid *g, const double *pts, int32_t n, double leaf) {
    double mn[3], mx[3], big = 0.0;
    memcpy(mn, pts, sizeof mn);
    memcpy(mx, pts, sizeof mx);
    for (int32_t i = 1; i < n; i++)
        for (int a = 0; a < 3; a++) {
            mn[a] = fmin(mn[a], pts[3 * i + a]);
            mx[a] = fmax(mx[a], pts[3 * i + a]);
        }
    for (int a = 0; a < 3; a++)
        big = fmax(big, fmax(fabs(mn[a]), fabs(mx[a])));
    memcpy(g->org, mn, sizeof mn);
    g->cell = 2.0 * leaf;
    for (;;) {
        double cells = 1.0;
        for (int a = 0; a < 3; a++) {
            g->dim[a] = (int64_t)floor((mx[a] - mn[a]) / g->cell) + 1;
            cells *= (double)g->dim[a];
        }
        if (cells <= 8.0 * n + 65536.0)
            break;
        g->cell *= 2.0;
    }
    g->margin = (big + g->cell) * 1e-9;
    size_t nc = (size_t)(g->dim[0] * g->dim[1] * g->dim[2]);
    int64_t dmax = g->dim[0] > g->dim[1] ? g->dim[0] : g->dim[1];
    dmax = dmax > g->dim[2] ? dmax : g->dim[2];
    if (dmax > S.gmax) {
        if (grow((void **)&S.gsq, (size_t)(2 * dmax + 1) * 3 * sizeof(double)))
            return -1;
        S.gmax = dmax;
    }
    if (nc + 1 > S.ccap) {
        if (grow((void **)&S.cstart, (nc + 1) * sizeof(int32_t)))
            return -1;
        S.ccap = nc + 1;
    }
    memset(S.cstart, 0, (nc + 1) * sizeof(int32_t));
    for (int32_t i = 0; i < n; i++) {
        const double *p = pts + 3 * i;
        S.gcell[i] = (int32_t)(cell_of(g, p, 0) + g->dim[0] * (cell_of(g, p, 1) + g->dim[1] * cell_of(g, p, 2)));
        S.cstart[S.gcell[i] + 1]++;
    }
    for (size_t c = 0; c < nc; c++)
        S.cstart[c + 1] += S.cstart[c];
    for (int32_t i = 0; i < n; i++) { /* counting sort; cstart[c] ends at the next cell's start */
        int32_t t = S.cstart[S.gcell[i]]++;
        S.gidx[t] = i;
        memcpy(S.gpts + 3 * t, pts + 3 * i, 3 * sizeof *pts);
    }
    memmove(S.cstart + 1, S.cstart, nc * sizeof(int32_t));
    S.cstart[0] = 0;
    return 0;
}

/* Inserts d2 into the sorted list best[0..*nb) of at most k values. */
static void keep_best(double *best, int *nb, int k, double d2) {
    if (*nb == k && d2 >= best[k - 1])
        return;
    int m = *nb < k ? (*nb)++ : k - 1;
    while (m > 0 && best[m - 1] > d2) {
        best[m] = best[m - 1];
        m--;
    }
    best[m] = d2;
}

typedef struct {
    const ugrid *g;
    const double *p;
    int32_t self;  /* position in gpts */
    int64_t c[3];  /* its cell */
    double off[3]; /* its offset from the cell's low corner, per axis */
    double best[KMAX];
    int nb, k;
    double lim; /* no k-th nearest is farther (squared): points beyond it are skipped */
} knn_query;

/* Sets the query's cell and its offsets in it. */
static void locate(knn_query *q) {
    for (int a = 0; a < 3; a++) {
        q->c[a] = cell_of(q->g, q->p, a);
        q->off[a] = q->p[a] - (q->g->org[a] + (double)q->c[a] * q->g->cell);
    }
}

/* Lower bound of the distance along axis a from the query to cells c + d
 * (the margin covers the rounding of off and of cell_of). */
static double gap(const knn_query *q, int a, int64_t d) {
    if (d == 0)
        return 0.0;
    double v = d > 0 ? (double)d * q->g->cell - q->off[a] : q->off[a] + (double)(-d - 1) * q->g->cell;
    v -= q->g->margin;
    return v > 0.0 ? v : 0.0;
}

static double threshold(const knn_query *q) { return q->nb < q->k ? q->lim : q->best[q->k - 1]; }

/* The points of gpts[lo, hi) nearer than the k-th so far (or lim). */
static void visit_range(knn_query *q, int32_t lo, int32_t hi) {
    double px = q->p[0], py = q->p[1], pz = q->p[2], thr = threshold(q);
    for (int32_t j = lo; j < hi; j++) {
        const double *r = S.gpts + 3 * j;
        double ex = px - r[0], ey = py - r[1], ez = pz - r[2], d2 = ex * ex + ey * ey + ez * ez;
        if (d2 <= thr && j != q->self) {
            keep_best(q->best, &q->nb, q->k, d2);
            thr = threshold(q);
        }
    }
}

/* The cells of row (dy, dz) with dx in [xlo, xhi] (adjacent in cell order;
 * already clipped to the grid), less those at either end that cannot hold
 * a point nearer than the k-th so far; gx2[dx] is the squared gap along x. */
static void visit_row(knn_query *q, int64_t dy, int64_t dz, int64_t xlo, int64_t xhi, const double *gx2,
                      double g2) {
    for (; xlo <= xhi && g2 + gx2[xlo] > threshold(q); xlo++) {}
    for (; xhi >= xlo && g2 + gx2[xhi] > threshold(q); xhi--) {}
    if (xlo > xhi)
        return;
    const ugrid *g = q->g;
    int64_t row = g->dim[0] * (q->c[1] + dy + g->dim[1] * (q->c[2] + dz)) + q->c[0];
    visit_range(q, S.cstart[row + xlo], S.cstart[row + xhi + 1]);
}

/* The cells at Chebyshev distance R from the query's, row by row; rows
 * and end cells beyond the k-th so far are skipped. G[a][d] (d in -R..R) is
 * the squared gap along axis a. */
static void visit_shell(knn_query *q, int64_t R, double *const G[3]) {
    const ugrid *g = q->g;
    int64_t lo[3], hi[3];
    for (int a = 0; a < 3; a++) {
        lo[a] = q->c[a] - R < 0 ? -q->c[a] : -R;
        hi[a] = q->c[a] + R >= g->dim[a] ? g->dim[a] - 1 - q->c[a] : R;
    }
    for (int64_t dz = lo[2]; dz <= hi[2]; dz++) {
        if (G[2][dz] > threshold(q))
            continue;
        for (int64_t dy = lo[1]; dy <= hi[1]; dy++) {
            double g2 = G[2][dz] + G[1][dy];
            if (g2 > threshold(q))
                continue;
            if (dz > -R && dz < R && dy > -R && dy < R) { /* inner row: its two new cells */
                if (lo[0] == -R)
                    visit_row(q, dy, dz, -R, -R, G[0], g2);
                if (hi[0] == R)
                    visit_row(q, dy, dz, R, R, G[0], g2);
            } else {
                visit_row(q, dy, dz, lo[0], hi[0], G[0], g2);
            }
        }
    }
}

/* A lower bound of the distance from the query to any point outside the
 * (2R + 1)^3 cells around its own; infinity when there are no such cells. */
static double outside_bound(const knn_query *q, int64_t R) {
    double b = INFINITY;
    for (int a = 0; a < 3; a++) {
        double lo = q->c[a] - R > 0 ? gap(q, a, -R - 1) : INFINITY;
        double hi = q->c[a] + R < q->g->dim[a] - 1 ? gap(q, a, R + 1) : INFINITY;
        b = lo < b ? lo : b;
        b = hi < b ? hi : b;
    }
    return b;
}

/* Searches shells R0, R0 + 1, ... around the query (R0 >= 1) until no point
 * outside them can be nearer than the k-th found. */
static void shells(knn_query *q, int64_t R0) {
    double *G[3];
    for (int a = 0; a < 3; a++) /* centred: G[a][d] for d in -gmax..gmax */
        G[a] = S.gsq + (2 * S.gmax + 1) * a + S.gmax;
    for (int a = 0; a < 3; a++)
        for (int64_t d = 0; d < R0; d++) {
            double lo = gap(q, a, -d), hi = gap(q, a, d);
            G[a][-d] = lo * lo;
            G[a][d] = hi * hi;
        }
    for (int64_t R = R0;; R++) {
        double b = outside_bound(q, R - 1);
        if (b == INFINITY || (q->nb == q->k && b * b >= q->best[q->k - 1]))
            break;
        for (int a = 0; a < 3; a++) {
            double lo = gap(q, a, -R), hi = gap(q, a, R);
            G[a][-R] = lo * lo;
            G[a][R] = hi * hi;
        }
        visit_shell(q, R, G);
    }
}

/* Continues the search of q from shell R0 (the cells at Chebyshev distance
 * R0 from its own) outwards until no nearer point can lie outside, and
 * returns the mean of the k nearest distances. They are summed in ascending
 * order (exact k nearest: equal distances are equal values, so the sum does
 * not depend on which of them the search found). */
static double finish_knn(knn_query *q, int64_t R0) {
    double b = outside_bound(q, R0 - 1);
    if (b != INFINITY && !(q->nb == q->k && b * b >= q->best[q->k - 1]))
        shells(q, R0);
    double s = 0.0;
    for (int m = 0; m < q->nb; m++)
        s += sqrt(q->best[m]);
    return s / q->k;
}

/* The points of the 3 x 3 x 3 cells around cell c, as up to 9 ranges of
 * gpts (a row's three cells are adjacent in cell order), its own row first
 * (the nearest points first: fewer insertions). */
static int block_ranges(const ugrid *g, const int64_t *c, int32_t *lo, int32_t *hi) {
    int nr = 0;
    int64_t xlo = c[0] > 0 ? c[0] - 1 : 0, xhi = c[0] + 1 < g->dim[0] ? c[0] + 1 : c[0];
    for (int r = 0; r < 9; r++) {
        int64_t y = c[1] + (r + 1) % 3 - 1, z = c[2] + (r / 3 + 1) % 3 - 1;
        if (y < 0 || z < 0 || y >= g->dim[1] || z >= g->dim[2])
            continue;
        int64_t row = g->dim[0] * (y + g->dim[1] * z);
        lo[nr] = S.cstart[row + xlo];
        hi[nr] = S.cstart[row + xhi + 1];
        nr += hi[nr] > lo[nr];
    }
    return nr;
}

/* The k nearest of point t are within r + |t - u| of it, r the k-th
 * distance of point u (its k nearest and u itself, all but perhaps t): a
 * bound for the search, widened far beyond rounding. */
static double next_limit(int32_t t, int32_t u, double kth) {
    const double *a = S.gpts + 3 * t, *b = S.gpts + 3 * u;
    double dx = a[0] - b[0], dy = a[1] - b[1], dz = a[2] - b[2];
    double r = sqrt(kth) + sqrt(dx * dx + dy * dy + dz * dz);
    return r * r * (1.0 + 1e-9) + 1e-300;
}

/* Mean distance from point t to its k nearest others: first the block of
 * its cell (ranges lo/hi), points farther than lim skipped; then, unless no
 * point outside the block can be nearer than the k-th found, the shells
 * from distance 2 on. *kth gets the k-th distance (squared). */
static double block_knn(const ugrid *g, int32_t t, int k, double lim, const int32_t *lo, const int32_t *hi,
                        int nr, double *kth) {
    knn_query q; /* not zeroed: best[] (KMAX values) is written before it is read */
    q.g = g;
    q.p = S.gpts + 3 * t;
    q.self = t;
    q.k = k;
    q.nb = 0;
    q.lim = lim;
    double px = q.p[0], py = q.p[1], pz = q.p[2], thr = lim;
    for (int r = 0; r < nr; r++)
        for (int32_t j = lo[r]; j < hi[r]; j++) {
            const double *p = S.gpts + 3 * j;
            double ex = px - p[0], ey = py - p[1], ez = pz - p[2], d2 = ex * ex + ey * ey + ez * ez;
            if (d2 <= thr && j != t) {
                keep_best(q.best, &q.nb, k, d2);
                thr = q.nb < k ? lim : q.best[k - 1];
            }
        }
    locate(&q);
    double m = finish_knn(&q, 2);
    *kth = q.best[k - 1];
    return m;
}

static int32_t outlier_removal(const lidar_filter_params *f, double *pts, int32_t n) {
    int k = f->mean_k;
    if (n <= k || k < 1)
        return n;
    ugrid g;
    if (grid_build(&g, pts, n, f->leaf))
        return -1;
    /* queries cell by cell (the block's ranges once a cell; each query's
     * bound from the previous one), results in input order */
    int32_t lo[9], hi[9];
    double kth = 0.0;
    for (int32_t t = 0; t < n;) {
        int64_t c[3];
        for (int a = 0; a < 3; a++)
            c[a] = cell_of(&g, S.gpts + 3 * t, a);
        int nr = block_ranges(&g, c, lo, hi);
        for (int32_t e = S.cstart[c[0] + g.dim[0] * (c[1] + g.dim[1] * c[2]) + 1]; t < e; t++) {
            double lim = t ? next_limit(t, t - 1, kth) : INFINITY;
            S.mean[S.gidx[t]] = block_knn(&g, t, k, lim, lo, hi, nr, &kth);
        }
    }
    double s = 0.0, sq = 0.0;
    for (int32_t i = 0; i < n; i++) {
        double v = S.mean[i];
        s += v;
        sq += v * v;
    }
    double mean = s / n, var = (sq - s * s / n) / (n - 1);
    double thr = mean + f->stddev_mul * sqrt(var > 0.0 ? var : 0.0);
    int32_t m = 0;
    for (int32_t i = 0; i < n; i++)
        if (S.mean[i] <= thr) {
            memmove(pts + 3 * m, pts + 3 * i, 3 * sizeof *pts);
            m++;
        }
    return m;
}

int32_t lidar_filter_run(const lidar_filter_params *f, const double *pts, int32_t n, double *out, int32_t cap) {
    if (n < 0 || n >= (1 << 20) || f->mean_k > KMAX || !(f->leaf > 0.0) || reserve((size_t)n))
        return -1;
    double mn[3], mx[3];
    int32_t m = crop(f, pts, n, S.pts, mn, mx);
    m = voxel_grid(f, S.pts, m, mn, mx, S.vox);
    m = outlier_removal(f, S.vox, m);
    if (m < 0)
        return -1;
    int32_t w = m < cap ? m : cap;
    memcpy(out, S.vox, (size_t)(w > 0 ? w : 0) * 3 * sizeof *out);
    return w;
}
