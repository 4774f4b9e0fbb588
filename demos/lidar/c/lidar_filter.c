/* The filter: range gate + CropBox (non-finite points dropped), VoxelGrid
 * (centroid per voxel, voxels in ascending linear index),
 * StatisticalOutlierRemoval (the k nearest among the centroids of the 26
 * voxels around a centroid's own; with fewer than k there, each missing
 * one counts as MISS_LEAVES leaves, and without any the statistic is
 * ALONE_LEAVES leaves). Mirrors filter_cloud() in ../python/lidar_filter.py;
 * ../README.md lists where it differs from PCL.
 *
 * Two ways to the same result, bit for bit: when the crop box's voxel grid
 * has at most GRID_MAX voxels, a table indexed by voxel (one int32 each)
 * accumulates the centroids and then holds each occupied voxel's centroid,
 * so that the outlier removal looks its 26 neighbours up directly; larger
 * grids sort the points' voxel keys and walk them (one advancing position
 * per row of the 3 x 3 x 3 block). */
#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "lidar_core.h"

#define KMAX 64
/* The largest crop-box grid indexed directly (32 MB of int32). */
#define GRID_MAX (1 << 23)
/* The largest grid of voxel keys (key << 20 | point index fits 63 bits). */
#define KEYS_MAX 0x1p43
/* In leaves: what a neighbour missing from the 3 x 3 x 3 voxels counts as,
 * and the statistic of a centroid without any neighbour there (../README.md,
 * "where we differ from PCL"). */
#define MISS_LEAVES 3.0
#define ALONE_LEAVES 8.0

/* Scratch buffers, grown as needed and kept between frames. */
typedef struct {
    double *vox, *mean;
    double *acc; /* direct grid: per occupied voxel, from slot 1 in order of first point: x, y, z sums, count */
    uint64_t *keys, *tmp;
    int64_t *vkey; /* the centroids' voxel keys, then a sentinel */
    size_t cap;
    uint32_t
        *cell; /* per voxel of the crop box's grid: 0, or the handle of its slot in acc, then of its centroid */
    size_t ncell;
    int32_t digit_lo[2049], digit_hi[4097]; /* grid_direct's radix sort counts */
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
    S.cap = 0;
    if (grow((void **)&S.acc, 4 * (n + 1) * sizeof(double)) || grow((void **)&S.vox, n * 3 * sizeof(double)) ||
        grow((void **)&S.mean, n * sizeof(double)) || grow((void **)&S.keys, n * sizeof(uint64_t)) ||
        grow((void **)&S.tmp, n * sizeof(uint64_t)) || grow((void **)&S.vkey, (n + 1) * sizeof(int64_t)))
        return -1;
    S.cap = n;
    return 0;
}

/* The range gate and crop box as compared. A point is kept when its
 * squared distance to the origin is >= r2min and every coordinate is within
 * the bounds, which are clamped to +-FAR (a NaN bound means no bound): so
 * a NaN coordinate is dropped, every kept coordinate is finite and within
 * +-FAR, and no squared distance between centroids overflows. */
#define FAR 1e150
typedef struct {
    double ox, oy, oz, r2min, lx, ly, lz, hx, hy, hz;
} crop_box;

static double clamp_lo(double v) { return v >= -FAR ? v : -FAR; }
static double clamp_hi(double v) { return v <= FAR ? v : FAR; }

static crop_box crop_of(const lidar_filter_params *f) {
    double r2 = f->min_range * f->min_range;
    return (crop_box){f->origin[0],
                      f->origin[1],
                      f->origin[2],
                      r2 >= 0.0 ? r2 : 0.0,
                      clamp_lo(f->crop_min[0]),
                      clamp_lo(f->crop_min[1]),
                      clamp_lo(f->crop_min[2]),
                      clamp_hi(f->crop_max[0]),
                      clamp_hi(f->crop_max[1]),
                      clamp_hi(f->crop_max[2])};
}

/* Range gate + CropBox: whether (x, y, z) is kept. */
static inline int kept(const crop_box *c, double x, double y, double z) {
    /* dx^2 alone >= r2min settles the gate: adding the non-negative dy^2
     * and dz^2 cannot lower a float sum (rounding is monotonic) */
    double dx = x - c->ox;
    if (!(dx * dx >= c->r2min)) {
        double dy = y - c->oy, dz = z - c->oz;
        if (!(dx * dx + dy * dy + dz * dz >= c->r2min))
            return 0;
    }
    /* written so that a NaN fails (the gate may not have seen y and z) */
    return x >= c->lx && y >= c->ly && z >= c->lz && x <= c->hx && y <= c->hy && z <= c->hz;
}

/* The kept points' bounding box; 0 when none is kept. */
static int kept_box(const crop_box *c, const double *pts, int32_t n, double *mn, double *mx) {
    int any = 0;
    for (int32_t i = 0; i < n; i++) {
        const double *p = pts + 3 * i;
        if (!kept(c, p[0], p[1], p[2]))
            continue;
        for (int a = 0; a < 3; a++) {
            mn[a] = any && mn[a] < p[a] ? mn[a] : p[a];
            mx[a] = any && mx[a] > p[a] ? mx[a] : p[a];
        }
        any = 1;
    }
    return any;
}

/* The number of voxels of the grid over lo..hi with an empty voxel more on
 * each side (see crop_keys), as a double; +inf when a bound's voxel index
 * is not an exact integer below 2^52 in magnitude (then no index of a
 * point inside may be converted to an integer). */
static double grid_cells(double inv, const double *lo, const double *hi) {
    double cells = 1.0;
    for (int a = 0; a < 3; a++) {
        double l = floor(lo[a] * inv), h = floor(hi[a] * inv);
        if (!(fabs(l) < 0x1p52 && fabs(h) < 0x1p52 && h >= l))
            return INFINITY;
        cells *= h - l + 3.0;
    }
    return cells;
}

/* The grid over lo..hi (grid_cells finite): per axis the voxel index of lo
 * minus one, minb, and the number of voxels div. */
static void grid_dims(double inv, const double *lo, const double *hi, int64_t *minb, int64_t *div) {
    for (int a = 0; a < 3; a++) {
        minb[a] = (int64_t)floor(lo[a] * inv) - 1;
        div[a] = (int64_t)floor(hi[a] * inv) - minb[a] + 2;
    }
}

/* Range gate + CropBox: the voxel key of each kept point into S.keys (its
 * voxel's linear index over the box lo..hi, which holds every kept point,
 * << 20 | its index in pts); returns how many, *kmax the largest key, div
 * the grid's size. The grid has an empty voxel more on each side, so that
 * the keys of a voxel's neighbours are its own plus or minus the strides,
 * never a voxel of another row or layer, nor outside the grid. */
static int32_t crop_keys(const crop_box *c, double inv, const double *pts, int32_t n, const double *lo,
                         const double *hi, uint64_t *kmax, int64_t *div) {
    int64_t minb[3];
    grid_dims(inv, lo, hi, minb, div);
    int32_t m = 0;
    uint64_t km = 0;
    for (int32_t i = 0; i < n; i++) {
        const double *p = pts + 3 * i;
        if (!kept(c, p[0], p[1], p[2]))
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
static uint32_t *cells(size_t n) {
    if (n > S.ncell) {
        free(S.cell);
        S.cell = calloc(n, sizeof *S.cell);
        S.ncell = S.cell ? n : 0;
    }
    return S.cell;
}

/* A cell of the grid's table holds 0 (an empty voxel) or a handle of its
 * voxel's data (its sums, later its centroid), never 0: on wasm32 the
 * data's address itself (a pointer fits the cell, and the interpreter
 * then loads through it without an address computation), elsewhere its
 * byte offset from a base one slot before the data. */
static inline double *at_handle(const double *base, uint32_t h) {
#ifdef __wasm32__
    (void)base;
    return (double *)(uintptr_t)h;
#else
    return (double *)(uintptr_t)((const char *)base + h);
#endif
}

static inline uint32_t handle_of(const double *base, const double *p) {
#ifdef __wasm32__
    (void)base;
    return (uint32_t)(uintptr_t)p;
#else
    return (uint32_t)((const char *)p - (const char *)base);
#endif
}

/* A double known to be an integer in int32's range, converted (without
 * the range check clang adds for wasm's trapping conversion). */
static inline int32_t to_i32(double v) {
#ifdef __wasm__
    return __builtin_wasm_trunc_s_i32_f64(v);
#else
    return (int32_t)v;
#endif
}

/* 1.0, read at run time: the compiler cannot fold it into an add, so the
 * interpreter fuses `a[3] += one` into one read-modify-write (an add of a
 * constant it does not). */
static const volatile double ONE = 1.0;

/* The linear index of the voxel of (x, y, z) over the grid of grid_dims:
 * floor(x inv) + floor(y inv) d0 + floor(z inv) d01 - base, base = bx + by
 * d0 + bz d01 for the grid's first voxel (bx, by, bz); see fold_exact. */
typedef struct {
    double inv, d0, d01, base;
} grid_index;

/* Whether grid_index's sums over the grid minb/div are exact: every
 * term, partial sum and base is an integer below 2^52 in magnitude when
 * the indices themselves are (a kept point's floor(p inv) lies between
 * the crop box's, rounding and floor being monotonic). */
static int fold_exact(const int64_t *minb, const int64_t *div) {
    double m = 0.0, stride[3] = {1.0, (double)div[0], (double)div[0] * (double)div[1]};
    for (int a = 0; a < 3; a++) {
        double lo = fabs((double)minb[a]), hi = fabs((double)(minb[a] + div[a]));
        m += (lo > hi ? lo : hi) * stride[a];
    }
    return m < 0x1p50;
}

/* Range gate + CropBox + VoxelGrid through the table of the crop box's
 * grid (at most GRID_MAX cells, minb/div as grid_dims makes them, with
 * fold_exact): each kept point is added to its voxel's sums in input
 * order, then only the occupied voxels are sorted. The same centroids, bit
 * for bit, as sorting the points (a voxel's points are summed in input
 * order either way). Leaves cell[v] = the handle of the centroid (in out)
 * of each centroid's voxel v, the handles' base out - 3. Returns the
 * number of centroids, or -1 when out of memory. */
static int32_t grid_direct(const crop_box *cb, double inv, const double *pts, int32_t n, const int64_t *minb,
                           const int64_t *div, size_t ncell, double *out) {
    uint32_t *cell = cells(ncell);
    if (!cell)
        return -1;
    /* locals: the stores into acc could otherwise alias the box, and every
     * bound would be reloaded for every point */
    const crop_box c = *cb;
    /* slot s (from 1) of an occupied voxel sums at acc + 4 s (its handle's
     * base acc), set by its first point */
    double *acc = S.acc, *slot = acc;
    const double one = ONE;
    /* the index in doubles, converted once: every term is an integer (a
     * kept point lies in the crop box), exact by fold_exact, and the index
     * below GRID_MAX */
    const double d0 = (double)div[0], d01 = (double)div[0] * (double)div[1],
                 base = (double)minb[0] + (double)minb[1] * d0 + (double)minb[2] * d01;
    int32_t nv = 0;
    uint64_t *ids = S.keys;
    /* the occupied voxels are radix-sorted by v's low 11 bits, then its
     * high 12 (GRID_MAX is 2^23): each digit's counts taken here */
    int32_t *lo = S.digit_lo, *hi = S.digit_hi;
    memset(S.digit_lo, 0, sizeof S.digit_lo);
    memset(S.digit_hi, 0, sizeof S.digit_hi);
    for (const double *p = pts, *end = pts + 3 * (size_t)(n > 0 ? n : 0); p < end; p += 3) {
        double x = p[0], y = p[1], z = p[2];
        if (!kept(&c, x, y, z))
            continue;
        int32_t v = to_i32(floor(x * inv) + floor(y * inv) * d0 + floor(z * inv) * d01 - base);
        uint32_t h = cell[v];
        if (!h) { /* a new voxel */
            slot += 4;
            cell[v] = handle_of(acc, slot);
            ids[nv++] = (uint64_t)v;
            lo[(v & 2047) + 1]++;
            hi[(v >> 11) + 1]++;
            /* 0 + x as summing from 0 would (-0 becomes +0) */
            slot[0] = 0.0 + x;
            slot[1] = 0.0 + y;
            slot[2] = 0.0 + z;
            slot[3] = one;
            continue;
        }
        double *a = at_handle(acc, h);
        a[0] += x;
        a[1] += y;
        a[2] += z;
        a[3] += one;
    }
    for (int d = 0; d < 2048; d++)
        lo[d + 1] += lo[d];
    for (int d = 0; d < 4096; d++)
        hi[d + 1] += hi[d];
    for (int32_t m = 0; m < nv; m++)
        S.tmp[lo[ids[m] & 2047]++] = ids[m];
    /* the keys, sorted, straight into S.vkey */
    int64_t *V = S.vkey;
    for (int32_t m = 0; m < nv; m++)
        V[hi[S.tmp[m] >> 11]++] = (int64_t)S.tmp[m];
    double *q = out, *Q = out - 3;
    for (int32_t m = 0; m < nv; m++, q += 3) {
        uint32_t *cv = cell + V[m];
        const double *a = at_handle(acc, *cv);
        q[0] = a[0] / a[3];
        q[1] = a[1] / a[3];
        q[2] = a[2] / a[3];
        *cv = handle_of(Q, q);
    }
    return nv;
}

/* Range gate + CropBox + VoxelGrid: the centroids of the occupied voxels
 * of the kept points, in ascending linear voxel index over the kept
 * points' bounding box (PCL's order). Any box holding them orders the
 * voxels the same way (x + y dx + z dx dy of indices from 0 to below dx,
 * dy, dz is lexicographic in (z, y, x)), so the crop box's voxels are
 * used when they are few enough. *direct tells whether S.cell holds the
 * centroids (grid_direct). Returns -1 when out of memory or when the kept
 * points span more voxels than a key holds (the leaf is too small for the
 * cloud, as PCL's VoxelGrid warns). */
static int32_t voxel_grid(const lidar_filter_params *f, const double *pts, int32_t n, double *out, int64_t *div,
                          int *direct) {
    const crop_box c = crop_of(f);
    double inv = 1.0 / f->leaf, lo[3] = {c.lx, c.ly, c.lz}, hi[3] = {c.hx, c.hy, c.hz};
    double ncell = grid_cells(inv, lo, hi);
    *direct = 0;
    if (ncell <= GRID_MAX) {
        int64_t minb[3];
        grid_dims(inv, lo, hi, minb, div);
        *direct = fold_exact(minb, div);
        if (*direct)
            return grid_direct(&c, inv, pts, n, minb, div, (size_t)ncell, out);
    }
    if (!(ncell < KEYS_MAX)) {
        if (!kept_box(&c, pts, n, lo, hi))
            return 0;
        if (!(grid_cells(inv, lo, hi) < KEYS_MAX))
            return -1;
    }
    uint64_t kmax;
    n = crop_keys(&c, inv, pts, n, lo, hi, &kmax, div);
    /* by voxel; a voxel's points stay in input order */
    const uint64_t *keys = radix_sort(S.keys, S.tmp, n, 20, kmax);
    int32_t m = 0;
    for (int32_t j = 0; j < n;) {
        uint64_t v = keys[j] >> 20;
        double sx = 0.0, sy = 0.0, sz = 0.0, cnt = 0.0;
        for (; j < n && keys[j] >> 20 == v; j++, cnt += 1.0) {
            const double *p = pts + 3 * (keys[j] & 0xFFFFF);
            sx += p[0];
            sy += p[1];
            sz += p[2];
        }
        out[3 * m] = sx / cnt;
        out[3 * m + 1] = sy / cnt;
        out[3 * m + 2] = sz / cnt;
        S.vkey[m++] = (int64_t)v;
    }
    return m;
}

/* The k smallest squared distances so far (finite, >= +0), ascending, in
 * best[1..nb] (best[0] = -1, below every distance, ends the shifting): d
 * goes in when fewer than k are there or it is below the k-th. Returns the
 * new nb. */
static inline int insert(double *best, int nb, int k, double d) {
    double *q; /* the last one that stays where it is, if not above d */
    if (nb < k)
        q = best + nb++;
    else if (d >= best[k])
        return nb;
    else
        q = best + k - 1;
    for (; *q > d; q--)
        q[1] = q[0];
    q[1] = d;
    return nb;
}

/* The statistic of nb (at most k) smallest squared distances best[1..nb]:
 * their square roots summed in ascending order, each missing one counting
 * as miss, divided by k; `alone` without any. */
static double mean_of(const double *best, int nb, int k, double miss, double alone) {
    double s = 0.0;
    for (int m = 1; m <= nb; m++) {
        s += sqrt(best[m]);
    }
    return nb ? (s + (double)(k - nb) * miss) / k : alone;
}

/* The k nearest of centroid i among the centroids of the 26 voxels around
 * its own, by walking the keys (V: the voxel keys, ascending, V[n] a
 * sentinel above every key; off: the linear offsets of the 9 rows of the
 * 3 x 3 x 3 block, at: per row, the first centroid whose key is >= that
 * row's lowest key for the previous query, which only advances). */
static double block_mean(const double *P, const int64_t *V, int32_t i, const int64_t *off, int32_t *at, int k,
                         double miss, double alone) {
    double best[KMAX + 1];
    int nb = 0;
    best[0] = -1;
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
            double ex = px - q[0], ey = py - q[1], ez = pz - q[2];
            nb = insert(best, nb, k, ex * ex + ey * ey + ez * ez);
        }
    }
    return mean_of(best, nb, k, miss, alone);
}

/* The 26 voxels around a centroid's (R0..R8: the first voxel of each row
 * of the 3 x 3 x 3 block, row (y, z) = (r % 3, r / 3)), nearest first:
 * the order does not change the k smallest distances, but the nearer come
 * first, the more of the others are beyond the k-th and skipped. The faces
 * (z first), the edges along x and y that leave the centroid's layer, the
 * edges within it, the corners: the ground's noise straddles its layers of
 * voxels, whose nearest neighbours are often the other layer's (measured
 * on the demo scene: the fewest shifts of the orders tried). */
#define LIDAR_NEIGHBOURS(NEAR)                                                                                   \
    NEAR(R1[1]), NEAR(R7[1]), NEAR(R4[0]), NEAR(R4[2]), NEAR(R3[1]), NEAR(R5[1]), NEAR(R1[0]), NEAR(R1[2]),      \
        NEAR(R7[0]), NEAR(R7[2]), NEAR(R0[1]), NEAR(R2[1]), NEAR(R6[1]), NEAR(R8[1]), NEAR(R3[0]), NEAR(R3[2]),  \
        NEAR(R5[0]), NEAR(R5[2]), NEAR(R0[0]), NEAR(R0[2]), NEAR(R2[0]), NEAR(R2[2]), NEAR(R6[0]), NEAR(R6[2]),  \
        NEAR(R8[0]), NEAR(R8[2])

/* Inserts (insert) the squared distance from (px, py, pz) to the centroid
 * of handle h (at_handle from Q), unless h is 0 (an empty voxel). */
static inline int near(const double *Q, uint32_t h, double px, double py, double pz, double *best, int nb,
                       int k) {
    if (!h)
        return nb;
    const double *q = at_handle(Q, h);
    double ex = px - q[0], ey = py - q[1], ez = pz - q[2];
    return insert(best, nb, k, ex * ex + ey * ey + ez * ez);
}

/* The statistic of every centroid (into mean) as block_mean computes it,
 * through the grid's table (cell[v] = the handle of the centroid of voxel
 * v, base P - 3, 0 for an empty voxel; the grid's empty border keeps every
 * neighbour inside it; row: the offsets from v to the first voxel of each
 * row of the block, kept in locals: stores into best could otherwise alias
 * them). */
static void cell_means(const double *P, const uint32_t *cell, const int64_t *V, int32_t n, const int64_t *row,
                       int k, double miss, double alone, double *mean) {
    const ptrdiff_t r0 = (ptrdiff_t)row[0], r1 = (ptrdiff_t)row[1], r2 = (ptrdiff_t)row[2],
                    r3 = (ptrdiff_t)row[3], r4 = (ptrdiff_t)row[4], r5 = (ptrdiff_t)row[5],
                    r6 = (ptrdiff_t)row[6], r7 = (ptrdiff_t)row[7], r8 = (ptrdiff_t)row[8];
    const double *Q = P - 3;
    for (int32_t i = 0; i < n; i++) {
        double best[KMAX + 1];
        int nb = 0;
        best[0] = -1;
        const double px = P[3 * (size_t)i], py = P[3 * (size_t)i + 1], pz = P[3 * (size_t)i + 2];
        const uint32_t *c = cell + V[i], *R0 = c + r0, *R1 = c + r1, *R2 = c + r2, *R3 = c + r3, *R4 = c + r4,
                       *R5 = c + r5, *R6 = c + r6, *R7 = c + r7, *R8 = c + r8;
#define LIDAR_NEAR(h) (nb = near(Q, h, px, py, pz, best, nb, k))
        LIDAR_NEIGHBOURS(LIDAR_NEAR);
#undef LIDAR_NEAR
        mean[i] = mean_of(best, nb, k, miss, alone);
    }
}

/* StatisticalOutlierRemoval over the voxel centroids (pts, keys V[0..n),
 * V[n] the sentinel; d0, d01 the key's strides in y and z; cell the grid's
 * table when grid_direct made the centroids, else NULL): the kept ones, in
 * order, into out (at most cap of them; their number is returned), the
 * statistics into S.mean. */
static int32_t outlier_removal(const lidar_filter_params *f, const double *pts, const int64_t *V, int32_t n,
                               int64_t d0, int64_t d01, const uint32_t *cell, double *out, int32_t cap) {
    int k = f->mean_k;
    int32_t w = n < cap ? n : cap;
    if (n <= k || k < 1) {
        memcpy(out, pts, (size_t)(w > 0 ? w : 0) * 3 * sizeof *out);
        return w > 0 ? w : 0;
    }
    int64_t off[9];
    int32_t at[9] = {0};
    for (int r = 0; r < 9; r++)
        off[r] = (int64_t)(r % 3 - 1) * d0 + (int64_t)(r / 3 - 1) * d01 - (cell ? 1 : 0);
    double miss = MISS_LEAVES * f->leaf, alone = ALONE_LEAVES * f->leaf;
    if (cell)
        cell_means(pts, cell, V, n, off, k, miss, alone, S.mean);
    else
        for (int32_t i = 0; i < n; i++)
            S.mean[i] = block_mean(pts, V, i, off, at, k, miss, alone);
    double s = 0.0, sq = 0.0;
    for (int32_t i = 0; i < n; i++) {
        s += S.mean[i];
        sq += S.mean[i] * S.mean[i];
    }
    double mean = s / n, var = (sq - s * s / n) / (n - 1);
    double thr = mean + f->stddev_mul * sqrt(var > 0.0 ? var : 0.0);
    double *q = out, *end = out + 3 * (size_t)(cap > 0 ? cap : 0);
    for (int32_t i = 0; i < n && q < end; i++)
        if (S.mean[i] <= thr) {
            q[0] = pts[3 * (size_t)i];
            q[1] = pts[3 * (size_t)i + 1];
            q[2] = pts[3 * (size_t)i + 2];
            q += 3;
        }
    return (int32_t)((q - out) / 3);
}

/* Range gate + CropBox + VoxelGrid into S.vox + 3 (S.vox[0..3) is a slot
 * before the first centroid, the base of the cells' handles, which are
 * never 0), their keys into S.vkey with the sentinel; see
 * voxel_grid. release_cells must follow when *direct. */
static int32_t centroids(const lidar_filter_params *f, const double *pts, int32_t n, int64_t *div, int *direct) {
    div[0] = div[1] = div[2] = 1;
    int32_t m = voxel_grid(f, pts, n, S.vox + 3, div, direct);
    S.vkey[m > 0 ? m : 0] = INT64_MAX;
    return m;
}

/* Leaves the grid's table all 0 again. */
static void release_cells(int32_t m, int direct) {
    if (direct)
        for (int32_t i = 0; i < m; i++)
            S.cell[S.vkey[i]] = 0;
}

int32_t lidar_filter_run(const lidar_filter_params *f, const double *pts, int32_t n, double *out, int32_t cap) {
    if (n < 0 || n >= (1 << 20) || f->mean_k > KMAX || !(f->leaf > 0.0) || reserve((size_t)n + 1))
        return -1;
    int64_t div[3];
    int direct;
    int32_t m = centroids(f, pts, n, div, &direct);
    if (m < 0)
        return -1;
    int32_t w =
        outlier_removal(f, S.vox + 3, S.vkey, m, div[0], div[0] * div[1], direct ? S.cell : NULL, out, cap);
    release_cells(m, direct);
    return w;
}
