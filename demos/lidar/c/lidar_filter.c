/* The filter: range gate + CropBox, VoxelGrid (centroid per voxel, voxels
 * in ascending linear index), StatisticalOutlierRemoval (the k nearest
 * among the centroids of the 26 voxels around a centroid's own, found by
 * walking the voxel keys: one advancing position per row of the 3 x 3 x 3
 * block; with fewer than k there, each missing one counts as MISS_LEAVES
 * leaves, and without any the statistic is ALONE_LEAVES leaves). Mirrors
 * filter_cloud() in ../python/lidar_filter.py; ../README.md lists where it
 * differs from PCL. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "lidar_core.h"

#define KMAX 64
/* The largest crop-box grid indexed directly (32 MB of int32). */
#define GRID_MAX (1 << 23)
/* In leaves: what a neighbour missing from the 3 x 3 x 3 voxels counts as,
 * and the statistic of a centroid without any neighbour there (../README.md,
 * "where we differ from PCL"). */
#define MISS_LEAVES 3.0
#define ALONE_LEAVES 8.0

/* Scratch buffers, grown as needed and kept between frames. */
typedef struct {
    double *vox, *mean;
    uint64_t *keys, *tmp;
    int64_t *vkey; /* the centroids' voxel keys, then a sentinel */
    double *sum;   /* per occupied voxel, in order of first point: x, y, z sums */
    int32_t *cnt;  /* and point counts */
    size_t cap;
    int32_t *cell; /* per voxel of the crop box's grid: 0, or 1 + its slot in sum */
    size_t ncell;
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
        grow((void **)&S.vkey, (n + 1) * sizeof(int64_t)) || grow((void **)&S.sum, n * 3 * sizeof(double)) ||
        grow((void **)&S.cnt, n * sizeof(int32_t)))
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

/* The grid over lo..hi: per axis the voxel index of lo minus minb, and the
 * number of voxels div (see crop_keys). */
static void grid_dims(double inv, const double *lo, const double *hi, int64_t *minb, int64_t *div) {
    for (int a = 0; a < 3; a++) {
        minb[a] = (int64_t)floor(lo[a] * inv) - (a < 2);
        div[a] = (int64_t)floor(hi[a] * inv) - minb[a] + 1 + (a < 2);
    }
}

/* Range gate + CropBox: the voxel key of each kept point into S.keys (its
 * voxel's linear index over the box lo..hi, which holds every kept point,
 * << 20 | its index in pts); returns how many, *kmax the largest key, div
 * the grid's size. The grid has an empty voxel more on each side in x and
 * y, so that the keys of a voxel's neighbours along x and y are its own
 * plus or minus the strides, never a voxel of another row or layer. */
static int32_t crop_keys(const lidar_filter_params *f, const double *pts, int32_t n, const double *lo,
                         const double *hi, uint64_t *kmax, int64_t *div) {
    double r2min = f->min_range * f->min_range, inv = 1.0 / f->leaf;
    int64_t minb[3];
    grid_dims(inv, lo, hi, minb, div);
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

/* The grid's cells, all 0 (each frame leaves them so). */
static int32_t *cells(size_t n) {
    if (n > S.ncell) {
        free(S.cell);
        S.cell = calloc(n, sizeof *S.cell);
        S.ncell = S.cell ? n : 0;
    }
    return S.cell;
}

/* Range gate + CropBox + VoxelGrid through a table indexed by voxel (the
 * crop box's grid, at most GRID_MAX cells, lo/minb/div as crop_keys makes
 * them): each kept point is added to its voxel's sums in input order, then
 * only the occupied voxels are sorted. The same centroids, bit for bit, as
 * sorting the points (a voxel's points are summed in input order either
 * way), without the two radix passes over every point. Returns -1 when
 * out of memory or a point falls outside the grid (NaN): the caller sorts
 * then. */
static int32_t grid_direct(const lidar_filter_params *f, const double *pts, int32_t n, const int64_t *minb,
                           const int64_t *div, size_t ncell, double *out) {
    int32_t *cell = cells(ncell);
    if (!cell)
        return -1;
    /* locals: the stores into sum could otherwise alias f, and every
     * bound would be reloaded for every point */
    const lidar_filter_params fl = *f;
    double r2min = fl.min_range * fl.min_range, inv = 1.0 / fl.leaf, *sum = S.sum;
    /* the index in doubles, converted once: every term is an integer below
     * GRID_MAX, so exact (and a NaN fails the range test) */
    double d0 = (double)div[0], d01 = (double)(div[0] * div[1]), bx = (double)minb[0], by = (double)minb[1],
           bz = (double)minb[2], top = (double)ncell;
    int32_t nv = 0, *cnt = S.cnt;
    uint64_t *keys = S.keys;
    for (int32_t i = 0; i < n; i++) {
        double x = pts[3 * i], y = pts[3 * i + 1], z = pts[3 * i + 2], p[3] = {x, y, z};
        if (!kept(&fl, r2min, p))
            continue;
        double vd = (floor(x * inv) - bx) + (floor(y * inv) - by) * d0 + (floor(z * inv) - bz) * d01;
        if (!(vd >= 0.0 && vd < top)) { /* a NaN coordinate passes the crop test */
            for (int32_t m = 0; m < nv; m++)
                cell[keys[m] >> 20] = 0;
            return -1;
        }
        int32_t v = (int32_t)vd;
        int32_t s = cell[v] - 1;
        if (s < 0) {
            s = nv++;
            cell[v] = s + 1;
            sum[3 * s] = sum[3 * s + 1] = sum[3 * s + 2] = 0.0;
            cnt[s] = 0;
            keys[s] = ((uint64_t)v << 20) | (uint64_t)s;
        }
        sum[3 * s] += x;
        sum[3 * s + 1] += y;
        sum[3 * s + 2] += z;
        cnt[s]++;
    }
    keys = radix_sort(keys, S.tmp, nv, 20, (uint64_t)ncell << 20);
    for (int32_t m = 0; m < nv; m++) {
        int32_t s = (int32_t)(keys[m] & 0xFFFFF);
        int32_t v = (int32_t)(keys[m] >> 20);
        out[3 * m] = sum[3 * s] / cnt[s];
        out[3 * m + 1] = sum[3 * s + 1] / cnt[s];
        out[3 * m + 2] = sum[3 * s + 2] / cnt[s];
        S.vkey[m] = v;
        cell[v] = 0;
    }
    return nv;
}

/* Range gate + CropBox + VoxelGrid: the centroids of the occupied voxels
 * of the kept points, in ascending linear voxel index over the kept
 * points' bounding box (PCL's order). Any box holding them orders the
 * voxels the same way (x + y dx + z dx dy of indices from 0 to below dx,
 * dy, dz is lexicographic in (z, y, x)), so the crop box's voxels are
 * used when their index fits the key, saving a pass for the bounding box. */
static int32_t voxel_grid(const lidar_filter_params *f, const double *pts, int32_t n, double *out, int64_t *div) {
    double inv = 1.0 / f->leaf, lo[3], hi[3], cells = 1.0;
    int fits = 1;
    for (int a = 0; a < 3; a++) {
        double d = floor(f->crop_max[a] * inv) - floor(f->crop_min[a] * inv) + (a < 2 ? 3.0 : 1.0);
        fits &= d >= 1.0 && d < 0x1p40;
        cells *= fits ? d : 1.0;
    }
    memcpy(lo, f->crop_min, sizeof lo);
    memcpy(hi, f->crop_max, sizeof hi);
    if (fits && cells <= GRID_MAX) {
        int64_t minb[3];
        grid_dims(inv, lo, hi, minb, div);
        int32_t m = grid_direct(f, pts, n, minb, div, (size_t)cells, out);
        if (m >= 0)
            return m;
    }
    if (!(fits && cells < 0x1p43) && !kept_box(f, pts, n, lo, hi))
        return 0;
    uint64_t kmax;
    n = crop_keys(f, pts, n, lo, hi, &kmax, div);
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
        S.vkey[m++] = (int64_t)v;
    }
    return m;
}

/* The k nearest of centroid i among the centroids of the 26 voxels around
 * its own (V: the voxel keys, ascending, V[n] a sentinel above every key;
 * off: the linear offsets of the 8 other rows of the 3 x 3 x 3 block, at:
 * per row, the first centroid whose key is >= that row's lowest key for the
 * previous query, which only advances). The mean of the k smallest
 * distances summed in ascending order, each missing one counting as miss;
 * `alone` without any. */
static double block_mean(const double *P, const int64_t *V, int32_t i, const int64_t *off, int32_t *at, int k,
                         double miss, double alone) {
    double best[KMAX];
    int nb = 0;
    /* locals: stores into best could otherwise alias P and reload p */
    const double px = P[3 * (size_t)i], py = P[3 * (size_t)i + 1], pz = P[3 * (size_t)i + 2];
    int64_t L = V[i];
    for (int r = 0; r < 9; r++) {
        int64_t lo = L + off[r] - 1;
        int32_t j = at[r];
        while (V[j] < lo)
            j++;
        at[r] = j;
        for (; V[j] <= lo + 2; j++) {
            if (j == i)
                continue;
            const double *q = P + 3 * (size_t)j;
            double ex = px - q[0], ey = py - q[1], ez = pz - q[2], d2 = ex * ex + ey * ey + ez * ez;
            if (nb == k && d2 >= best[k - 1])
                continue;
            int m = nb < k ? nb++ : k - 1;
            for (; m > 0 && best[m - 1] > d2; m--)
                best[m] = best[m - 1];
            best[m] = d2;
        }
    }
    double s = 0.0;
    for (int m = 0; m < nb; m++)
        s += sqrt(best[m]);
    return nb ? (s + (double)(k - nb) * miss) / k : alone;
}

/* StatisticalOutlierRemoval over the voxel centroids (pts, keys V[0..n),
 * V[n] the sentinel; d0, d01 the key's strides in y and z). */
static int32_t outlier_removal(const lidar_filter_params *f, double *pts, const int64_t *V, int32_t n, int64_t d0,
                               int64_t d01) {
    int k = f->mean_k;
    if (n <= k || k < 1)
        return n;
    int64_t off[9];
    int32_t at[9] = {0};
    for (int r = 0; r < 9; r++)
        off[r] = (int64_t)(r % 3 - 1) * d0 + (int64_t)(r / 3 - 1) * d01;
    double miss = MISS_LEAVES * f->leaf, alone = ALONE_LEAVES * f->leaf;
    double s = 0.0, sq = 0.0;
    for (int32_t i = 0; i < n; i++) {
        double v = block_mean(pts, V, i, off, at, k, miss, alone);
        S.mean[i] = v;
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
    int64_t div[3] = {1, 1, 1};
    int32_t m = voxel_grid(f, pts, n, S.vox, div);
    S.vkey[m] = INT64_MAX;
    m = outlier_removal(f, S.vox, S.vkey, m, div[0], div[0] * div[1]);
    if (m < 0)
        return -1;
    int32_t w = m < cap ? m : cap;
    memcpy(out, S.vox, (size_t)(w > 0 ? w : 0) * 3 * sizeof *out);
    return w;
}
