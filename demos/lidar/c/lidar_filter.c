/* The filter: range gate + CropBox, VoxelGrid (centroid per voxel, voxels
 * in ascending linear index), StatisticalOutlierRemoval (exact k nearest
 * neighbours, searched in a uniform grid). Mirrors filter_cloud() in
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

static int32_t crop(const lidar_filter_params *f, const double *pts, int32_t n, double *out) {
    double r2min = f->min_range * f->min_range;
    const double *lo = f->crop_min, *hi = f->crop_max, *o = f->origin;
    int32_t m = 0;
    for (int32_t i = 0; i < n; i++) {
        const double *p = pts + 3 * i;
        double dx = p[0] - o[0], dy = p[1] - o[1], dz = p[2] - o[2];
        if (dx * dx + dy * dy + dz * dz < r2min)
            continue;
        if (p[0] < lo[0] || p[1] < lo[1] || p[2] < lo[2] || p[0] > hi[0] || p[1] > hi[1] || p[2] > hi[2])
            continue;
        memcpy(out + 3 * m++, p, 3 * sizeof *p);
    }
    return m;
}

/* LSD radix sort of n keys by their bits from `from` up, 11 bits a pass,
 * as many passes as the largest key needs. Stable: keys equal in those bits
 * keep their order. */
static void radix_sort(uint64_t *a, uint64_t *tmp, int32_t n, int from) {
    uint64_t mx = 0;
    for (int32_t i = 0; i < n; i++)
        mx = a[i] > mx ? a[i] : mx;
    for (int shift = from; shift < 64 && (mx >> shift); shift += 11) {
        int32_t count[2049] = {0};
        for (int32_t i = 0; i < n; i++)
            count[((a[i] >> shift) & 2047) + 1]++;
        for (int d = 0; d < 2048; d++)
            count[d + 1] += count[d];
        for (int32_t i = 0; i < n; i++)
            tmp[count[(a[i] >> shift) & 2047]++] = a[i];
        memcpy(a, tmp, (size_t)n * sizeof *a);
    }
}

static int32_t voxel_grid(const lidar_filter_params *f, const double *pts, int32_t n, double *out) {
    if (n == 0)
        return 0;
    double inv = 1.0 / f->leaf, mn[3], mx[3];
    memcpy(mn, pts, sizeof mn);
    memcpy(mx, pts, sizeof mx);
    for (int32_t i = 0; i < n; i++)
        for (int a = 0; a < 3; a++) {
            double v = pts[3 * i + a];
            if (v < mn[a])
                mn[a] = v;
            if (v > mx[a])
                mx[a] = v;
        }
    int64_t minb[3], div[3];
    for (int a = 0; a < 3; a++) {
        minb[a] = (int64_t)floor(mn[a] * inv);
        div[a] = (int64_t)floor(mx[a] * inv) - minb[a] + 1;
    }
    for (int32_t i = 0; i < n; i++) {
        const double *p = pts + 3 * i;
        int64_t ix = (int64_t)floor(p[0] * inv) - minb[0], iy = (int64_t)floor(p[1] * inv) - minb[1],
                iz = (int64_t)floor(p[2] * inv) - minb[2];
        S.keys[i] = ((uint64_t)(ix + iy * div[0] + iz * div[0] * div[1]) << 20) | (uint64_t)i;
    }
    radix_sort(S.keys, S.tmp, n, 20); /* by voxel; a voxel's points stay in input order */
    int32_t m = 0;
    for (int32_t j = 0; j < n;) {
        uint64_t v = S.keys[j] >> 20;
        double sx = 0.0, sy = 0.0, sz = 0.0;
        int32_t c = 0;
        for (; j < n && S.keys[j] >> 20 == v; j++, c++) {
            const double *p = pts + 3 * (S.keys[j] & 0xFFFFF);
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
 * about 4 cells a point) from org; points sorted by cell. margin keeps the
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
        if (cells <= 4.0 * n + 65536.0)
            break;
        g->cell *= 2.0;
    }
    g->margin = (big + g->cell) * 1e-9;
    size_t nc = (size_t)(g->dim[0] * g->dim[1] * g->dim[2]);
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
    int32_t self; /* position in gpts */
    int64_t c[3]; /* its cell */
    double best[KMAX];
    int nb, k;
    double lim; /* no k-th nearest is farther (squared): points beyond it are skipped */
} knn_query;

/* Lower bound of the distance along axis a from the query to cells c + d. */
static double gap(const knn_query *q, int a, int64_t d) {
    if (d == 0)
        return 0.0;
    double face = q->g->org[a] + (double)(q->c[a] + (d > 0 ? d : d + 1)) * q->g->cell;
    double v = (d > 0 ? face - q->p[a] : q->p[a] - face) - q->g->margin;
    return v > 0.0 ? v : 0.0;
}

static double threshold(const knn_query *q) { return q->nb < q->k ? q->lim : q->best[q->k - 1]; }

/* The points of cells c + (dx, dy, dz), dx in [xlo, xhi], unless they cannot
 * be nearer than the k-th so far. */
static void visit_cells(knn_query *q, int64_t dy, int64_t dz, int64_t xlo, int64_t xhi) {
    const ugrid *g = q->g;
    int64_t y = q->c[1] + dy, z = q->c[2] + dz;
    if (y < 0 || z < 0 || y >= g->dim[1] || z >= g->dim[2])
        return;
    double gy = gap(q, 1, dy), gz = gap(q, 2, dz), g2 = gy * gy + gz * gz;
    if (g2 > threshold(q))
        return;
    int64_t row = g->dim[0] * (y + g->dim[1] * z);
    for (int64_t dx = xlo; dx <= xhi; dx++) {
        int64_t x = q->c[0] + dx;
        if (x < 0 || x >= g->dim[0])
            continue;
        double gx = gap(q, 0, dx);
        if (g2 + gx * gx > threshold(q))
            continue;
        for (int32_t j = S.cstart[row + x], e = S.cstart[row + x + 1]; j < e; j++) {
            if (j == q->self)
                continue;
            const double *r = S.gpts + 3 * j;
            double ex = q->p[0] - r[0], ey = q->p[1] - r[1], ez = q->p[2] - r[2],
                   d2 = ex * ex + ey * ey + ez * ez;
            if (d2 <= q->lim)
                keep_best(q->best, &q->nb, q->k, d2);
        }
    }
}

/* A lower bound of the distance from the query to any point outside the
 * (2R + 1)^3 cells around its own; infinity when there are no such cells. */
static double outside_bound(const knn_query *q, int64_t R) {
    double b = INFINITY;
    for (int a = 0; a < 3; a++) {
        if (q->c[a] - R > 0)
            b = fmin(b, gap(q, a, -R - 1));
        if (q->c[a] + R < q->g->dim[a] - 1)
            b = fmin(b, gap(q, a, R + 1));
    }
    return b;
}

/* Mean distance from point t (of gpts) to its k nearest other points:
 * shells of cells around its own until no nearer point can lie outside
 * them. The k distances are summed in ascending order (exact k nearest:
 * equal distances are equal values, so the sum does not depend on which of
 * them the search found). lim bounds the k-th distance (squared) from above;
 * *kth gets it. */
static double mean_knn(const ugrid *g, int32_t t, int k, double lim, double *kth) {
    knn_query q = {.g = g, .p = S.gpts + 3 * t, .self = t, .k = k, .lim = lim};
    for (int a = 0; a < 3; a++)
        q.c[a] = cell_of(g, q.p, a);
    for (int64_t R = 0;; R++) {
        for (int64_t dz = -R; dz <= R; dz++)
            for (int64_t dy = -R; dy <= R; dy++) {
                if (dz > -R && dz < R && dy > -R && dy < R) { /* inner row: its two new cells */
                    visit_cells(&q, dy, dz, -R, -R);
                    visit_cells(&q, dy, dz, R, R);
                } else {
                    visit_cells(&q, dy, dz, -R, R);
                }
            }
        double b = outside_bound(&q, R);
        if (b == INFINITY || (q.nb == k && b * b >= q.best[k - 1]))
            break;
    }
    double s = 0.0;
    for (int m = 0; m < q.nb; m++)
        s += sqrt(q.best[m]);
    *kth = q.best[k - 1];
    return s / k;
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

static int32_t outlier_removal(const lidar_filter_params *f, double *pts, int32_t n) {
    int k = f->mean_k;
    if (n <= k || k < 1)
        return n;
    ugrid g;
    if (grid_build(&g, pts, n, f->leaf))
        return -1;
    /* queries in cell order (neighbours in memory), results in input order */
    double kth = 0.0;
    for (int32_t t = 0; t < n; t++)
        S.mean[S.gidx[t]] = mean_knn(&g, t, k, t ? next_limit(t, t - 1, kth) : INFINITY, &kth);
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
    int32_t m = crop(f, pts, n, S.pts);
    m = voxel_grid(f, S.pts, m, S.vox);
    m = outlier_removal(f, S.vox, m);
    if (m < 0)
        return -1;
    int32_t w = m < cap ? m : cap;
    memcpy(out, S.vox, (size_t)(w > 0 ? w : 0) * 3 * sizeof *out);
    return w;
}
