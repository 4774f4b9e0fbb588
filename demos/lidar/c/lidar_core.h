/* The LiDAR pipeline in plain C: used by the wasm module (lidar.c) and by
 * the native benchmark (bench/lidar). See ../README.md. */
#ifndef LIDAR_CORE_H
#define LIDAR_CORE_H

#include <stdint.h>

typedef struct {
    int32_t rays, beams;
    double elev_min, elev_max, max_range, range_noise, dropout, spurious;
    uint32_t seed;
    double origin[3];
    int32_t nbox;
    const double *box_centers, *box_sizes; /* nbox * 3 each */
    int32_t npole;
    const double *poles; /* npole * (x, y, radius) */
    double pole_height;
    double vehicle_start[3], vehicle_velocity[3], vehicle_size[3];
} lidar_sensor;

typedef struct {
    double origin[3], min_range, crop_min[3], crop_max[3], leaf;
    int32_t mean_k;
    double stddev_mul;
} lidar_filter_params;

/* One revolution at time t into out (rays * 3 doubles). Returns 0, or -1
 * when out of memory. */
int lidar_scan_run(const lidar_sensor *s, double t, double *out, int32_t *returns, int32_t *spurious);

/* Filters n points; writes at most cap points to out. Returns the number
 * written, or -1 when out of memory or the parameters are out of range. */
int32_t lidar_filter_run(const lidar_filter_params *f, const double *pts, int32_t n, double *out, int32_t cap);

#endif
