/* What bench/warehouse's programs share: clocks, the per-frame distribution
 * and the hash of the final positions (world cells, as the module writes
 * them), so the native C run and each tier can be compared. */
#ifndef BENCH_WAREHOUSE_STATS_H
#define BENCH_WAREHOUSE_STATS_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static uint64_t now_ns(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void report(const char *what, uint64_t *t, long n) {
    qsort(t, (size_t)n, sizeof *t, cmp_u64);
    double sum = 0;
    for (long i = 0; i < n; i++)
        sum += (double)t[i];
    printf("  %-10s mean %8.1f  p50 %8.1f  p99 %8.1f  max %8.1f us/frame\n", what, sum / (double)n / 1e3,
           (double)t[n / 2] / 1e3, (double)t[(n * 99) / 100] / 1e3, (double)t[n - 1] / 1e3);
}

/* FNV-1a over the x, y, z of every robot. */
static uint64_t positions_hash(const double *pos, int32_t n) {
    uint64_t hash = 1469598103934665603u;
    for (int32_t i = 0; i < 3 * n; i++) {
        hash ^= (uint64_t)(int64_t)pos[i];
        hash *= 1099511628211u;
    }
    return hash;
}

static void summary(double completed, long frames, uint64_t hash) {
    printf("  tasks completed %.0f (%.0f per simulated hour at 1 step/s), final positions hash %016llx\n",
           completed, completed * 3600.0 / (double)frames, (unsigned long long)hash);
}

#endif
