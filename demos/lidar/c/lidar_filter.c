/* The filter: range gate + CropBox, VoxelGrid (centroid per voxel, voxels
 * in ascending linear index), StatisticalOutlierRemoval (exact k nearest
 * neighbours: the centroids sorted into columns along x over a (y, z) grid,
 * each column by x; a query sweeps the 3 x 3 columns around its own outwards
 * from its x until the x distance alone exceeds the k-th so far, and goes on
 * ring by ring only when a point outside could be nearer). Mirrors
 * filter_cloud() in ../python/lidar_filter.py; ../README.md lists where it
 * differs from PCL. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lidar_core.h"

#define KMAX 64

/* Scratch buffers, grown as needed and kept between frames. */
typedef struct {
    double *vox, *mean;
    uint64_t *keys, *tmp;
    double *gpts;    /* the centroids in column order: x, then y, then z (n each) */
    int32_t *gidx;   /* their index among the centroids */
    int32_t *cstart; /* per column: its first point; columns + 1 entries */
    double *gsq;     /* squared gaps of the ring search: 2 axes x (2 gmax + 1) */
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
    if (grow((void **)&S.vox, n * 3 * sizeof(double)) || grow((void **)&S.mean, n * sizeof(double)) ||
        grow((void **)&S.keys, n * sizeof(uint64_t)) || grow((void **)&S.tmp, n * sizeof(uint64_t)) ||
        grow((void **)&S.gpts, n * 3 * sizeof(double)) || grow((void **)&S.gidx, n * sizeof(int32_t)))
        return -1;
    S.cap = n;
    return 0;
}

/* Range gate + CropBox: whether p is kept. */
static int kept(const lidar_filter_params *f, double r2min, const double *p) {
    const double *lo = f->crop_min, *hi = f->crop_max, *o = f->origin;
    double x = p[0], y = p[1], z = p[2], dx = x - o[0], dy = y - o[1], dz = z - o[2];
    if (dx * dx + dy * dy + dz * dz < r2min)
        return 0;
    return !(x < lo[0] || y < lo[1] || z < lo[2] || x > hi[0] || y > hi[1] || z > hi[2]);
}

/* The kept points' bounding box; 0 when none is kept. */
static int kept_box(const lidar_filter_params *f, const double *pts, int32_t n, double *mn, double *mx) {
    double r2min = f->min_range * f->min_range;
    int any = 0;
    for (int32_t i = 0; i < n; i++) {
        const double *p = pts + 3 * i;
        if (!kept(f, r2min, p))
            continue;
        for (int a = 0; a < 3; a++) {
            mn[a] = any && mn[a] < p[a] ? mn[a] : p[a];
            mx[a] = any && mx[a] > p[a] ? mx[a] : p[a];
        }
        any = 1;
    }
    return any;
}

/* Range gate + CropBox: the voxel key of each kept point into S.keys (its
 * voxel's linear index over the box lo..hi, which holds every kept point,
 * << 20 | its index in pts); returns how many, *kmax the largest key. */
static int32_t crop_keys(const lidar_filter_params *f, const double *pts, int32_t n, const double *lo,
                         const double *hi, uint64_t *kmax) {
    double r2min = f->min_range * f->min_range, inv = 1.0 / f->leaf;
    int64_t minb[3], div[3];
    for (int a = 0; a < 3; a++) {
        minb[a] = (int64_t)floor(lo[a] * inv);
        div[a] = (int64_t)floor(hi[a] * inv) - minb[a] + 1;
    }
    int32_t m = 0;
    uint64_t km = 0;
    for (int32_t i = 0; i < n; i++) {
        const double *p = pts + 3 * i;
        if (!kept(f, r2min, p))
            continue;
        int64_t ix = (int64_t)floor(p[0] * inv) - minb[0], iy = (int64_t)floor(p[1] * inv) - minb[1],
                iz = (int64_t)floor(p[2] * inv) - minb[2];
        uint64_t key = ((uint64_t)(ix + iy * div[0] + iz * div[0] * div[1]) << 20) | (uint64_t)i;
        S.keys[m++] = key;
        km = key > km ? key : km;
    }
    *kmax = km;
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

/* Range gate + CropBox + VoxelGrid: the centroids of the occupied voxels
 * of the kept points, in ascending linear voxel index over the kept
 * points' bounding box (PCL's order). Any box holding them orders the
 * voxels the same way (x + y dx + z dx dy of indices from 0 to below dx,
 * dy, dz is lexicographic in (z, y, x)), so the crop box's voxels are
 * used when their index fits the key, saving a pass for the bounding box. */
static int32_t voxel_grid(const lidar_filter_params *f, const double *pts, int32_t n, double *out) {
    double inv = 1.0 / f->leaf, lo[3], hi[3], cells = 1.0;
    int fits = 1;
    for (int a = 0; a < 3; a++) {
        double d = floor(f->crop_max[a] * inv) - floor(f->crop_min[a] * inv) + 1.0;
        fits &= d >= 1.0 && d < 0x1p40;
        cells *= fits ? d : 1.0;
    }
    memcpy(lo, f->crop_min, sizeof lo);
    memcpy(hi, f->crop_max, sizeof hi);
    if (!(fits && cells < 0x1p43) && !kept_box(f, pts, n, lo, hi))
        return 0;
    uint64_t kmax;
    n = crop_keys(f, pts, n, lo, hi, &kmax);
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

/* The k-nearest-neighbour search's columns: a grid over (y, z) of `cell`
 * metres from org (twice the leaf, coarser when there would be more than
 * about 8 columns a point), unbounded along x; each column's points sorted
 * by x, in x/y/z (column c holds [cstart[c], cstart[c + 1])). margin keeps
 * the distance bounds conservative whatever floor() rounded to. */
typedef struct {
    double org[2], cell, margin;
    int64_t dim[2];
    double *x, *y, *z;
} columns;

static int64_t col_of(const columns *g, double v, int a) {
    int64_t c = (int64_t)floor((v - g->org[a]) / g->cell);
    return c < 0 ? 0 : c >= g->dim[a] ? g->dim[a] - 1 : c;
}

/* Sizes the grid to the points' bounding box and makes room for it. */
static int columns_size(columns *g, const double *pts, int32_t n, double leaf, double *mn, double *mx) {
    double big = 0.0;
    memcpy(mn, pts, 3 * sizeof *mn);
    memcpy(mx, pts, 3 * sizeof *mx);
    for (int32_t i = 1; i < n; i++)
        for (int a = 0; a < 3; a++) {
            mn[a] = fmin(mn[a], pts[3 * i + a]);
            mx[a] = fmax(mx[a], pts[3 * i + a]);
        }
    for (int a = 0; a < 3; a++)
        big = fmax(big, fmax(fabs(mn[a]), fabs(mx[a])));
    g->org[0] = mn[1];
    g->org[1] = mn[2];
    for (g->cell = 2.0 * leaf;; g->cell *= 2.0) {
        for (int a = 0; a < 2; a++)
            g->dim[a] = (int64_t)floor((mx[a + 1] - mn[a + 1]) / g->cell) + 1;
        if ((double)g->dim[0] * (double)g->dim[1] <= 8.0 * n + 65536.0)
            break;
    }
    g->margin = (big + g->cell) * 1e-9;
    size_t nc = (size_t)(g->dim[0] * g->dim[1]);
    int64_t dmax = g->dim[0] > g->dim[1] ? g->dim[0] : g->dim[1];
    if (dmax > S.gmax) {
        if (grow((void **)&S.gsq, (size_t)(2 * dmax + 1) * 2 * sizeof(double)))
            return -1;
        S.gmax = dmax;
    }
    if (nc + 1 > S.ccap) {
        if (grow((void **)&S.cstart, (nc + 1) * sizeof(int32_t)))
            return -1;
        S.ccap = nc + 1;
    }
    return 0;
}

/* Sorts the points into columns, each by x: a radix sort by column and
 * x bucket (monotone in x), then an insertion sort of each column (only
 * points of one bucket can be out of order). */
static int columns_build(columns *g, const double *pts, int32_t n, double leaf) {
    double mn[3], mx[3];
    if (columns_size(g, pts, n, leaf, mn, mx))
        return -1;
    double bw = leaf;
    int64_t nbx;
    for (;; bw *= 2.0) {
        nbx = (int64_t)floor((mx[0] - mn[0]) / bw) + 1;
        if (nbx <= 4096)
            break;
    }
    size_t nc = (size_t)(g->dim[0] * g->dim[1]);
    memset(S.cstart, 0, (nc + 1) * sizeof(int32_t));
    uint64_t kmax = 0;
    for (int32_t i = 0; i < n; i++) {
        const double *p = pts + 3 * i;
        int64_t col = col_of(g, p[1], 0) + g->dim[0] * col_of(g, p[2], 1);
        int64_t bx = (int64_t)floor((p[0] - mn[0]) / bw);
        bx = bx < 0 ? 0 : bx >= nbx ? nbx - 1 : bx;
        uint64_t key = ((uint64_t)(col * nbx + bx) << 20) | (uint64_t)i;
        S.keys[i] = key;
        kmax = key > kmax ? key : kmax;
        S.cstart[col + 1]++;
    }
    for (size_t c = 0; c < nc; c++)
        S.cstart[c + 1] += S.cstart[c];
    const uint64_t *keys = radix_sort(S.keys, S.tmp, n, 20, kmax);
    g->x = S.gpts;
    g->y = S.gpts + n;
    g->z = S.gpts + 2 * (size_t)n;
    for (int32_t t = 0; t < n; t++) {
        int32_t i = (int32_t)(keys[t] & 0xFFFFF);
        g->x[t] = pts[3 * i];
        g->y[t] = pts[3 * i + 1];
        g->z[t] = pts[3 * i + 2];
        S.gidx[t] = i;
    }
    for (size_t c = 0; c < nc; c++)
        for (int32_t t = S.cstart[c] + 1; t < S.cstart[c + 1]; t++) {
            double x = g->x[t], y = g->y[t], z = g->z[t];
            int32_t i = S.gidx[t], u = t;
            for (; u > S.cstart[c] && g->x[u - 1] > x; u--) {
                g->x[u] = g->x[u - 1];
                g->y[u] = g->y[u - 1];
                g->z[u] = g->z[u - 1];
                S.gidx[u] = S.gidx[u - 1];
            }
            g->x[u] = x;
            g->y[u] = y;
            g->z[u] = z;
            S.gidx[u] = i;
        }
    return 0;
}

typedef struct {
    const columns *g;
    double p[3];
    int32_t self;  /* position in the columns */
    int64_t c[2];  /* its column */
    double off[2]; /* its offset from the column's low corner, y and z */
    double best[KMAX];
    int nb, k;
    double thr; /* no k-th nearest is farther (squared): lim, then the k-th so far */
} knn_query;

/* Inserts d2 into the sorted list of the k best so far. */
static void keep_best(knn_query *q, double d2) {
    if (q->nb == q->k && d2 >= q->best[q->k - 1])
        return;
    int m = q->nb < q->k ? q->nb++ : q->k - 1;
    while (m > 0 && q->best[m - 1] > d2) {
        q->best[m] = q->best[m - 1];
        m--;
    }
    q->best[m] = d2;
    if (q->nb == q->k)
        q->thr = q->best[q->k - 1];
}

/* The points of a column's [lo, hi) nearer than the bound, from `at`
 * (the first with x >= the query's) rightwards and from at - 1 leftwards:
 * the column is sorted by x, so each direction stops at the first point
 * whose x distance alone exceeds the bound (its squared distance is at
 * least that, rounding being monotone, and so is every later point's). */
static void sweep(knn_query *q, int32_t lo, int32_t at, int32_t hi) {
    const double *X = q->g->x, *Y = q->g->y, *Z = q->g->z;
    double px = q->p[0], py = q->p[1], pz = q->p[2];
    for (int32_t j = at; j < hi; j++) {
        double ex = px - X[j];
        if (ex * ex > q->thr)
            break;
        double ey = py - Y[j], ez = pz - Z[j], d2 = ex * ex + ey * ey + ez * ez;
        if (d2 <= q->thr && j != q->self)
            keep_best(q, d2);
    }
    for (int32_t j = at - 1; j >= lo; j--) {
        double ex = px - X[j];
        if (ex * ex > q->thr)
            break;
        double ey = py - Y[j], ez = pz - Z[j], d2 = ex * ex + ey * ey + ez * ez;
        if (d2 <= q->thr && j != q->self)
            keep_best(q, d2);
    }
}

/* Lower bound of the distance along axis a (0: y, 1: z) from the query to
 * columns c + d (the margin covers the rounding of off and of col_of). */
static double gap(const knn_query *q, int a, int64_t d) {
    if (d == 0)
        return 0.0;
    double v = d > 0 ? (double)d * q->g->cell - q->off[a] : q->off[a] + (double)(-d - 1) * q->g->cell;
    v -= q->g->margin;
    return v > 0.0 ? v : 0.0;
}

/* A lower bound of the distance from the query to any point outside the
 * (2R + 1)^2 columns around its own; infinity when there are none. */
static double outside_bound(const knn_query *q, int64_t R) {
    double b = INFINITY;
    for (int a = 0; a < 2; a++) {
        double lo = q->c[a] - R > 0 ? gap(q, a, -R - 1) : INFINITY;
        double hi = q->c[a] + R < q->g->dim[a] - 1 ? gap(q, a, R + 1) : INFINITY;
        b = lo < b ? lo : b;
        b = hi < b ? hi : b;
    }
    return b;
}

static int done(const knn_query *q, int64_t R) {
    double b = outside_bound(q, R);
    return b == INFINITY || (q->nb == q->k && b * b >= q->best[q->k - 1]);
}

/* First position in [lo, hi) whose x is >= x (the column is sorted). */
static int32_t lower_bound(const double *X, int32_t lo, int32_t hi, double x) {
    while (lo < hi) {
        int32_t mid = lo + (hi - lo) / 2;
        if (X[mid] < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* The columns at Chebyshev distance R >= 2 from the query's, R = 2, 3, ...
 * until no point outside can be nearer than the k-th found; columns whose
 * gap exceeds the k-th so far are skipped. G[a][d] (d in -R..R) is the
 * squared gap along axis a. */
static void rings(knn_query *q) {
    const columns *g = q->g;
    double *G[2];
    for (int a = 0; a < 2; a++) { /* centred: G[a][d] for d in -gmax..gmax */
        G[a] = S.gsq + (2 * S.gmax + 1) * a + S.gmax;
        for (int64_t d = -1; d <= 1; d++) {
            double v = gap(q, a, d);
            G[a][d] = v * v;
        }
    }
    for (int64_t R = 2;; R++) {
        int64_t lo[2], hi[2];
        for (int a = 0; a < 2; a++) {
            double l = gap(q, a, -R), h = gap(q, a, R);
            G[a][-R] = l * l;
            G[a][R] = h * h;
            lo[a] = q->c[a] - R < 0 ? -q->c[a] : -R;
            hi[a] = q->c[a] + R >= g->dim[a] ? g->dim[a] - 1 - q->c[a] : R;
        }
        for (int64_t dz = lo[1]; dz <= hi[1]; dz++) {
            if (G[1][dz] > q->thr)
                continue;
            for (int64_t dy = lo[0]; dy <= hi[0]; dy++) {
                if (dz > -R && dz < R && dy > -R && dy < R) { /* an inner row: its two end columns only */
                    dy = R - 1;
                    continue;
                }
                if (G[0][dy] + G[1][dz] > q->thr)
                    continue;
                int64_t col = q->c[0] + dy + g->dim[0] * (q->c[1] + dz);
                int32_t a = S.cstart[col], b = S.cstart[col + 1];
                if (a < b)
                    sweep(q, a, lower_bound(g->x, a, b, q->p[0]), b);
            }
        }
        if (done(q, R))
            return;
    }
}

/* The columns around column c that hold points: its own first, then the
 * four sharing a side, then the corners (the farther, the likelier to be
 * skipped once the k-th so far is near); `at` advances with the queries. */
typedef struct {
    int32_t lo, at, hi;
    int dy, dz;
} block_col;

static int block_columns(const columns *g, const int64_t *c, block_col *out) {
    static const int D[9][2] = {{0, 0}, {-1, 0}, {1, 0}, {0, -1}, {0, 1}, {-1, -1}, {1, -1}, {-1, 1}, {1, 1}};
    int n = 0;
    for (int r = 0; r < 9; r++) {
        int64_t y = c[0] + D[r][0], z = c[1] + D[r][1];
        if (y < 0 || z < 0 || y >= g->dim[0] || z >= g->dim[1])
            continue;
        int64_t col = y + g->dim[0] * z;
        out[n] = (block_col){S.cstart[col], S.cstart[col], S.cstart[col + 1], D[r][0], D[r][1]};
        n += out[n].hi > out[n].lo;
    }
    return n;
}

/* The k nearest of point t are within r + |t - u| of it, r the k-th
 * distance of point u (its k nearest and u itself, all but perhaps t): a
 * bound for the search, widened far beyond rounding. */
static double next_limit(const columns *g, int32_t t, int32_t u, double kth) {
    double dx = g->x[t] - g->x[u], dy = g->y[t] - g->y[u], dz = g->z[t] - g->z[u];
    double r = sqrt(kth) + sqrt(dx * dx + dy * dy + dz * dz);
    return r * r * (1.0 + 1e-9) + 1e-300;
}

/* Mean distance from point t to its k nearest others, summed in ascending
 * order (exact k nearest: equal distances are equal values, so the sum
 * does not depend on which of them the search found). First the 3 x 3
 * columns around its own (bc, with their positions at the previous,
 * nearer-x query), points farther than lim skipped; then, unless no point
 * outside can be nearer than the k-th found, the rings from distance 2 on.
 * *kth gets the k-th distance (squared). */
static double block_knn(const columns *g, int32_t t, const int64_t *c, int k, double lim, block_col *bc, int nbc,
                        double *kth) {
    knn_query q; /* not zeroed: best[] (KMAX values) is written before it is read */
    q.g = g;
    q.p[0] = g->x[t];
    q.p[1] = g->y[t];
    q.p[2] = g->z[t];
    q.self = t;
    q.k = k;
    q.nb = 0;
    q.thr = lim;
    double G[2][3];
    for (int a = 0; a < 2; a++) {
        q.c[a] = c[a];
        q.off[a] = q.p[a + 1] - (g->org[a] + (double)q.c[a] * g->cell);
        for (int d = -1; d <= 1; d++) {
            double v = gap(&q, a, d);
            G[a][d + 1] = v * v;
        }
    }
    for (int r = 0; r < nbc; r++) {
        block_col *b = bc + r;
        if (G[0][b->dy + 1] + G[1][b->dz + 1] > q.thr)
            continue;
        while (b->at < b->hi && g->x[b->at] < q.p[0])
            b->at++;
        sweep(&q, b->lo, b->at, b->hi);
    }
    if (!done(&q, 1))
        rings(&q);
    double s = 0.0;
    for (int m = 0; m < q.nb; m++)
        s += sqrt(q.best[m]);
    *kth = q.best[k - 1];
    return s / k;
}

static int32_t outlier_removal(const lidar_filter_params *f, double *pts, int32_t n) {
    int k = f->mean_k;
    if (n <= k || k < 1)
        return n;
    columns g;
    if (columns_build(&g, pts, n, f->leaf))
        return -1;
    /* queries column by column in x order (the neighbour columns' positions
     * only advance; each query's bound from the previous one), results in
     * input order */
    block_col bc[9];
    double kth = 0.0;
    for (int64_t col = 0; col < g.dim[0] * g.dim[1]; col++) {
        int32_t s = S.cstart[col], e = S.cstart[col + 1];
        if (s == e)
            continue;
        int64_t c[2] = {col % g.dim[0], col / g.dim[0]};
        int nbc = block_columns(&g, c, bc);
        for (int32_t t = s; t < e; t++) {
            double lim = t ? next_limit(&g, t, t - 1, kth) : INFINITY;
            S.mean[S.gidx[t]] = block_knn(&g, t, c, k, lim, bc, nbc, &kth);
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
    int32_t m = voxel_grid(f, pts, n, S.vox);
    m = outlier_removal(f, S.vox, m);
    if (m < 0)
        return -1;
    int32_t w = m < cap ? m : cap;
    memcpy(out, S.vox, (size_t)(w > 0 ? w : 0) * 3 * sizeof *out);
    return w;
}
