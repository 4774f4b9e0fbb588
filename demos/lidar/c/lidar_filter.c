/* The filter: range gate + CropBox, VoxelGrid (centroid per voxel, voxels
 * in ascending linear index), StatisticalOutlierRemoval (exact k nearest
 * neighbours on a uniform grid). Mirrors filter_cloud() in
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
    int32_t *order;
    uint8_t *axis; /* split axis of the k-d tree node whose median is at this position */
    size_t cap;
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
        grow((void **)&S.tmp, n * sizeof(uint64_t)) || grow((void **)&S.order, n * sizeof(int32_t)) ||
        grow((void **)&S.axis, n))
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

/* LSD radix sort of n distinct keys, 11 bits a pass, as many passes as the
 * largest key needs. */
static void radix_sort(uint64_t *a, uint64_t *tmp, int32_t n) {
    uint64_t mx = 0;
    for (int32_t i = 0; i < n; i++)
        mx = a[i] > mx ? a[i] : mx;
    for (int shift = 0; shift < 64 && (mx >> shift); shift += 11) {
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
    radix_sort(S.keys, S.tmp, n);
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

/* k-d tree over S.order[lo, hi): the median along the axis of widest
 * spread at mid (S.axis[mid]), the points before it <= its coordinate, after
 * it >= (no node storage: the split is the point at mid). Points that lie
 * on a surface make the widest axis matter: cycling through x, y, z splits
 * the ground along its noise. */
static double coord(const double *pts, int32_t i, int axis) { return pts[3 * S.order[i] + axis]; }

static void kd_build(const double *pts, int32_t lo, int32_t hi) {
    if (hi - lo <= 8)
        return;
    double mn[3], mx[3];
    for (int a = 0; a < 3; a++)
        mn[a] = mx[a] = coord(pts, lo, a);
    for (int32_t i = lo + 1; i < hi; i++)
        for (int a = 0; a < 3; a++) {
            double v = coord(pts, i, a);
            mn[a] = v < mn[a] ? v : mn[a];
            mx[a] = v > mx[a] ? v : mx[a];
        }
    int axis = 0;
    for (int a = 1; a < 3; a++)
        if (mx[a] - mn[a] > mx[axis] - mn[axis])
            axis = a;
    int32_t mid = lo + (hi - lo) / 2, l = lo, r = hi - 1;
    while (l < r) { /* quickselect: S.order[mid] gets the median */
        double pivot = coord(pts, (l + r) / 2, axis);
        int32_t i = l, j = r;
        while (i <= j) {
            while (coord(pts, i, axis) < pivot)
                i++;
            while (coord(pts, j, axis) > pivot)
                j--;
            if (i <= j) {
                int32_t t = S.order[i];
                S.order[i++] = S.order[j];
                S.order[j--] = t;
            }
        }
        if (mid <= j)
            r = j;
        else if (mid >= i)
            l = i;
        else
            break;
    }
    S.axis[mid] = (uint8_t)axis;
    kd_build(pts, lo, mid);
    kd_build(pts, mid + 1, hi);
}

typedef struct {
    const double *pts, *p;
    int32_t self;
    double best[KMAX];
    int nb, k;
} knn_query;

static void visit(knn_query *q, int32_t j) {
    if (j == q->self)
        return;
    const double *r = q->pts + 3 * j;
    double dx = q->p[0] - r[0], dy = q->p[1] - r[1], dz = q->p[2] - r[2];
    keep_best(q->best, &q->nb, q->k, dx * dx + dy * dy + dz * dz);
}

/* Keeps the k smallest squared distances from point self to the others.
 * rd is a lower bound of the squared distance from the query to the
 * subtree's region (off[a]: the query's offset from it along axis a), which
 * prunes better than the split plane alone; the result is exact either way. */
static void kd_knn(knn_query *q, int32_t lo, int32_t hi, double rd, double *off) {
    if (hi - lo <= 8) {
        for (int32_t s = lo; s < hi; s++)
            visit(q, S.order[s]);
        return;
    }
    int32_t mid = lo + (hi - lo) / 2, m = S.order[mid];
    int axis = S.axis[mid];
    double diff = q->p[axis] - q->pts[3 * m + axis];
    visit(q, m);
    int left_first = diff < 0.0;
    if (left_first)
        kd_knn(q, lo, mid, rd, off);
    else
        kd_knn(q, mid + 1, hi, rd, off);
    double old = off[axis], far = rd - old * old + diff * diff;
    if (q->nb < q->k || far < q->best[q->k - 1]) {
        off[axis] = diff;
        if (left_first)
            kd_knn(q, mid + 1, hi, far, off);
        else
            kd_knn(q, lo, mid, far, off);
        off[axis] = old;
    }
}

/* Mean distance to the k nearest other points; the k distances summed in
 * ascending order (exact k nearest: equal distances are equal values, so
 * the sum does not depend on which of them the search found). */
static double mean_knn(const double *pts, int32_t i, int32_t n, int k) {
    knn_query q = {.pts = pts, .p = pts + 3 * i, .self = i, .k = k};
    double off[3] = {0.0, 0.0, 0.0};
    kd_knn(&q, 0, n, 0.0, off);
    double s = 0.0;
    for (int m = 0; m < q.nb; m++)
        s += sqrt(q.best[m]);
    return s / k;
}

static int32_t outlier_removal(const lidar_filter_params *f, double *pts, int32_t n) {
    int k = f->mean_k;
    if (n <= k || k < 1)
        return n;
    for (int32_t i = 0; i < n; i++)
        S.order[i] = i;
    kd_build(pts, 0, n);
    double s = 0.0, sq = 0.0;
    for (int32_t i = 0; i < n; i++) {
        double v = S.mean[i] = mean_knn(pts, i, n, k);
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
