/* The C filter's neighbour search (demos/lidar/c/lidar_filter.c, compiled
 * in here for its static functions) against brute force: on seeded random
 * clouds - uniform, flat, sparse rings with outliers, a lattice full of
 * equal distances and duplicates, very uneven extents, two far clusters -
 * every voxel centroid's mean distance to its k nearest others in the 26
 * voxels around its own must equal the brute force's exactly (the k
 * smallest squared distances summed as square roots in ascending order, a
 * missing one counting as MISS_LEAVES leaves, ALONE_LEAVES leaves without
 * any, as the Python reference does). Also: the voxel grid indexed
 * directly over a small crop box (at most GRID_MAX voxels), the voxel keys
 * sorted over a larger crop box, and over the kept points' bounding box
 * (crop boxes too large for the key) give the same filtered cloud. */
#include "lidar_filter.c"

#include <stdio.h>

#include "../check.h"

#define NMAX 6000

static uint64_t rng = 12345;

static double rnd(void) {
    rng = rng * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(rng >> 11) / 9007199254740992.0;
}

static void make_cloud(int kind, double *p, int n) {
    for (int i = 0; i < n; i++, p += 3) {
        double a = rnd() * 6.283185307179586, r = 2.0 + (int)(rnd() * 10) * 3.0;
        switch (kind) {
        case 0: p[0] = rnd() * 20 - 10, p[1] = rnd() * 20 - 10, p[2] = rnd() * 3; break;
        case 1: p[0] = rnd() * 30, p[1] = rnd() * 30, p[2] = 0.0; break;
        case 2: p[0] = r * cos(a), p[1] = r * sin(a), p[2] = rnd() < 0.05 ? rnd() * 5 : 0.01 * rnd(); break;
        case 3:
            p[0] = floor(rnd() * 10) * 0.25, p[1] = floor(rnd() * 10) * 0.25, p[2] = floor(rnd() * 4) * 0.25;
            break;
        case 4: p[0] = rnd() * 1000 - 500, p[1] = rnd() * 0.1, p[2] = rnd() * 500; break;
        default:
            p[0] = (rnd() < 0.5 ? 40 : -40) + rnd(), p[1] = rnd() * 80 - 40, p[2] = rnd() < 0.01 ? 100 : rnd();
        }
    }
}

/* Voxel coordinate a (0: x, 1: y, 2: z) of a voxel key over a grid of
 * div voxels. */
static int64_t coord(int64_t key, const int64_t *div, int a) {
    return a == 0 ? key % div[0] : a == 1 ? key / div[0] % div[1] : key / (div[0] * div[1]);
}

/* Centroid i's statistic by brute force: the k smallest squared distances
 * to the other centroids whose voxel is within one of its own in every
 * axis, their square roots summed in ascending order, each missing one
 * counting as MISS_LEAVES leaves; ALONE_LEAVES leaves without any. */
static double brute_mean(const double *pts, const int64_t *key, int n, int i, int k, const int64_t *div,
                         double leaf) {
    double best[KMAX];
    int m = 0;
    for (int j = 0; j < n; j++) {
        int near = j != i;
        for (int a = 0; a < 3; a++)
            near &= llabs(coord(key[j], div, a) - coord(key[i], div, a)) <= 1;
        if (!near)
            continue;
        double ex = pts[3 * i] - pts[3 * j], ey = pts[3 * i + 1] - pts[3 * j + 1],
               ez = pts[3 * i + 2] - pts[3 * j + 2];
        double d2 = ex * ex + ey * ey + ez * ez;
        if (m == k && d2 >= best[k - 1])
            continue;
        int u = m < k ? m++ : k - 1;
        for (; u > 0 && best[u - 1] > d2; u--)
            best[u] = best[u - 1];
        best[u] = d2;
    }
    double s = 0.0;
    for (int a = 0; a < m; a++)
        s += sqrt(best[a]);
    return m ? (s + (double)(k - m) * (MISS_LEAVES * leaf)) / k : ALONE_LEAVES * leaf;
}

/* One trial's statistics against brute force, through the crop box
 * given (the direct table or the sorted keys, as its grid's size decides);
 * returns whether the direct table served. */
static int knn_compare(int t, int kind, const double *pts, int n, lidar_filter_params *f) {
    static double copy[3 * NMAX];
    int k = f->mean_k, direct;
    int64_t div[3];
    CHECK(reserve((size_t)n + 1) == 0, "out of memory");
    int32_t m = centroids(f, pts, n, div, &direct);
    memcpy(copy, S.vox + 3, sizeof(double) * 3 * (size_t)m);
    static double out[3 * NMAX];
    int32_t kept =
        outlier_removal(f, S.vox + 3, S.vkey, m, div[0], div[0] * div[1], direct ? S.cell : NULL, out, NMAX);
    release_cells(m, direct);
    if (m <= k) {
        CHECK(kept == m, "n <= k keeps every point");
        return direct;
    }
    int bad = 0; /* the means stay in S.mean, in centroid order */
    for (int i = 0; i < m; i++)
        bad += S.mean[i] != brute_mean(copy, S.vkey, m, i, k, div, f->leaf);
    CHECK(bad == 0, "trial %d (cloud %d, n %d, %d voxels, k %d, leaf %g, %s): %d means differ from brute force",
          t, kind, n, m, k, f->leaf, direct ? "direct" : "sorted", bad);
    return direct;
}

static void knn_trials(int trials) {
    static double pts[3 * NMAX];
    int ndirect = 0;
    for (int t = 0; t < trials; t++) {
        int kind = t % 6, n = 2 + (int)(rnd() * (t % 3 == 0 ? NMAX - 2 : 2000));
        int k = 1 + (int)(rnd() * (t % 5 == 0 ? KMAX - 1 : 12));
        lidar_filter_params f = {.mean_k = k,
                                 .leaf = 0.05 + rnd() * 0.5,
                                 .stddev_mul = 1.0,
                                 .crop_min = {-1e3, -1e3, -1e3},
                                 .crop_max = {1e3, 1e3, 1e3}};
        make_cloud(kind, pts, n);
        CHECK(!knn_compare(t, kind, pts, n, &f), "a crop box of +-1e3 sorts the keys");
        /* the cloud's bounding box as the crop box: the direct table when
         * its grid is small enough */
        for (int a = 0; a < 3; a++) {
            f.crop_min[a] = INFINITY, f.crop_max[a] = -INFINITY;
            for (int i = 0; i < n; i++)
                f.crop_min[a] = fmin(f.crop_min[a], pts[3 * i + a]),
                f.crop_max[a] = fmax(f.crop_max[a], pts[3 * i + a]);
        }
        ndirect += knn_compare(t, kind, pts, n, &f);
    }
    CHECK(ndirect >= trials / 3, "only %d of %d trials used the direct table", ndirect, trials);
}

static void crop_box_paths(void) {
    static double pts[3 * NMAX], a[3 * NMAX], b[3 * NMAX];
    make_cloud(0, pts, NMAX);
    lidar_filter_params f = {.min_range = 1.0,
                             .leaf = 0.25,
                             .mean_k = 8,
                             .stddev_mul = 1.0,
                             .crop_min = {-50, -50, -50},
                             .crop_max = {50, 50, 50}};
    int32_t na = lidar_filter_run(&f, pts, NMAX, a, NMAX);
    CHECK(403.0 * 403 * 403 > GRID_MAX && 99.0 * 99 * 99 <= GRID_MAX, "+-50 sorts, +-12 is indexed directly");
    const double wide[] = {12, 1e30, INFINITY, 1e13}; /* the cloud is within +-12 */
    for (int w = 0; w < 4; w++) {
        for (int c = 0; c < 3; c++)
            f.crop_min[c] = -wide[w], f.crop_max[c] = wide[w];
        int32_t nb = lidar_filter_run(&f, pts, NMAX, b, NMAX);
        CHECK(na > 0 && nb == na && !memcmp(a, b, sizeof(double) * 3 * (size_t)na),
              "crop box +-%g: %d points, +-50: %d, or different points", wide[w], nb, na);
    }
    f.crop_min[0] = 5, f.crop_max[0] = -5;
    CHECK(lidar_filter_run(&f, pts, NMAX, b, NMAX) == 0, "an empty crop box keeps no point");
}

/* Non-finite coordinates (NaN, +-inf in any axis) are dropped by the crop,
 * whatever the crop box (the direct table, sorted keys over the crop box,
 * over the kept points' box for an infinite one): the cloud with them
 * interleaved filters to the cloud without them. A cloud spanning more
 * voxels than a key holds is refused (-1), never converted out of range. */
static void nonfinite_points(void) {
    enum { N = 3000, BAD = 8 };
    static double pts[3 * N], mixed[3 * (N + 40 * BAD)], a[3 * N], b[3 * N];
    const double bad[BAD][3] = {
        {NAN, 0, 1},       {0, NAN, 1},      {1, 2, NAN},       {INFINITY, 0, 1},
        {-INFINITY, 1, 1}, {0, INFINITY, 2}, {0, 1, -INFINITY}, {NAN, INFINITY, -INFINITY}};
    make_cloud(0, pts, N);
    int nm = 0;
    for (int i = 0; i < N; i++) {
        if (i % 97 == 0 || i == N - 1)
            for (int j = 0; j < BAD; j++, nm++)
                memcpy(mixed + 3 * nm, bad[(i + j) % BAD], sizeof bad[0]);
        memcpy(mixed + 3 * nm++, pts + 3 * i, 3 * sizeof(double));
    }
    const double wide[] = {12, 50, INFINITY};
    for (int w = 0; w < 3; w++) {
        lidar_filter_params f = {.min_range = 1.0, .leaf = 0.25, .mean_k = 8, .stddev_mul = 1.0};
        for (int c = 0; c < 3; c++)
            f.crop_min[c] = -wide[w], f.crop_max[c] = wide[w];
        int32_t na = lidar_filter_run(&f, pts, N, a, N), nb = lidar_filter_run(&f, mixed, nm, b, N);
        CHECK(na > 0 && nb == na && !memcmp(a, b, sizeof(double) * 3 * (size_t)na),
              "crop box +-%g: %d points with non-finite ones mixed in, %d without, or different points", wide[w],
              nb, na);
    }
    /* an infinite crop box: coordinates beyond +-1e150 are dropped like
     * non-finite ones; within, a cloud spanning more voxels than a key
     * holds is refused */
    lidar_filter_params f = {.min_range = 1.0,
                             .leaf = 0.25,
                             .mean_k = 8,
                             .stddev_mul = 1.0,
                             .crop_min = {-INFINITY, -INFINITY, -INFINITY},
                             .crop_max = {INFINITY, INFINITY, INFINITY}};
    int32_t na = lidar_filter_run(&f, pts, N, a, N);
    const double far[] = {1.0000001e150, -1e300, 1.7e308, 3e15, -1e149};
    for (int j = 0; j < 5; j++) {
        memcpy(mixed, pts, sizeof(double) * 3 * N);
        mixed[3 * N] = far[j], mixed[3 * N + 1] = 1.0, mixed[3 * N + 2] = far[j] / 2;
        int32_t nb = lidar_filter_run(&f, mixed, N + 1, b, N);
        if (j < 3)
            CHECK(nb == na && !memcmp(a, b, sizeof(double) * 3 * (size_t)na),
                  "a point at x = %g: %d points, %d without it, or different points", far[j], nb, na);
        else
            CHECK(nb == -1, "a point at x = %g in an infinite crop box: %d points, not refused", far[j], nb);
    }
}

int main(void) {
    knn_trials(36);
    crop_box_paths();
    nonfinite_points();
    return CHECK_REPORT();
}
