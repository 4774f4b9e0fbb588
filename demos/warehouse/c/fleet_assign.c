/* Task allocation: the Hungarian method as shortest augmenting paths with
 * potentials (O(n^2 m)), python/fleet.py's hungarian() line for line, so
 * that equal-cost ties resolve the same way (strict <: the lowest column). */
#include <stdlib.h>

#include "fleet_internal.h"

#define INF ((int64_t)1 << 62)

int fleet__hungarian(const int64_t *cost, int32_t n, int32_t m, int32_t *col_of_row) {
    int64_t *u = calloc((size_t)n + 1, sizeof *u), *v = calloc((size_t)m + 1, sizeof *v);
    int64_t *minv = malloc(((size_t)m + 1) * sizeof *minv);
    int32_t *p = calloc((size_t)m + 1, sizeof *p), *way = calloc((size_t)m + 1, sizeof *way);
    char *used = malloc((size_t)m + 1);
    int rc = -1;
    if (!u || !v || !minv || !p || !way || !used)
        goto out;
    for (int32_t i = 1; i <= n; i++) {
        p[0] = i;
        int32_t j0 = 0;
        for (int32_t j = 0; j <= m; j++) {
            minv[j] = INF;
            used[j] = 0;
        }
        for (;;) {
            used[j0] = 1;
            int32_t i0 = p[j0], j1 = 0;
            int64_t delta = INF;
            const int64_t *row = cost + (size_t)(i0 - 1) * (size_t)m;
            for (int32_t j = 1; j <= m; j++) {
                if (used[j])
                    continue;
                int64_t cur = row[j - 1] - u[i0] - v[j];
                if (cur < minv[j]) {
                    minv[j] = cur;
                    way[j] = j0;
                }
                if (minv[j] < delta) {
                    delta = minv[j];
                    j1 = j;
                }
            }
            for (int32_t j = 0; j <= m; j++) {
                if (used[j]) {
                    u[p[j]] += delta;
                    v[j] -= delta;
                } else {
                    minv[j] -= delta;
                }
            }
            j0 = j1;
            if (p[j0] == 0)
                break;
        }
        do {
            int32_t j1 = way[j0];
            p[j0] = p[j1];
            j0 = j1;
        } while (j0);
    }
    for (int32_t i = 0; i < n; i++)
        col_of_row[i] = -1;
    for (int32_t j = 1; j <= m; j++)
        if (p[j])
            col_of_row[p[j] - 1] = j - 1;
    rc = 0;
out:
    free(u);
    free(v);
    free(minv);
    free(p);
    free(way);
    free(used);
    return rc;
}
