/* The LiDAR demonstration in C: the synthetic rotating LiDAR (lidar_scan,
 * bound on a WasmSensor prim) and the CropBox + VoxelGrid +
 * StatisticalOutlierRemoval filter (lidar_filter, bound on a WasmModule prim
 * whose inputs:points is connected to the sensor's outputs:points).
 * demos/lidar/README.md documents the attributes and the algorithms;
 * python/lidar_filter.py is the reference this file matches bit for bit:
 * same operations in the same order, only +, -, *, / and sqrt (no libm
 * transcendental, no contraction into fused multiply-add: wasm has none, and
 * the native benchmark builds with -ffp-contract=off).
 *
 * Pure functions with bulk arrays (docs/abi.md (c)); the arrays are f64. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lidar_core.h"

#ifdef __wasm__
#define EXPORT(name) __attribute__((export_name(name)))
EXPORT("portalis_alloc") void *portalis_alloc(int32_t bytes) { return malloc((size_t)bytes); }
#else
#define EXPORT(name)
#endif

static double scan_info[3];

/* Returns a pointer to (time, returns, spurious returns). */
EXPORT("lidar_scan")
double *lidar_scan(int32_t rays, double time, int32_t beams, double elev_min, double elev_max, double max_range,
                   double range_noise, double dropout, double spurious, int32_t seed, const double *origin,
                   int32_t nbox, const double *box_centers, int32_t nsize, const double *box_sizes, int32_t npole,
                   const double *poles, double pole_height, const double *vehicle_start,
                   const double *vehicle_velocity, const double *vehicle_size, double *out) {
    lidar_sensor s = {
        .rays = rays,
        .beams = beams,
        .elev_min = elev_min,
        .elev_max = elev_max,
        .max_range = max_range,
        .range_noise = range_noise,
        .dropout = dropout,
        .spurious = spurious,
        .seed = (uint32_t)seed,
        .nbox = nbox < nsize ? nbox : nsize,
        .box_centers = box_centers,
        .box_sizes = box_sizes,
        .npole = npole,
        .poles = poles,
        .pole_height = pole_height,
    };
    memcpy(s.origin, origin, sizeof s.origin);
    memcpy(s.vehicle_start, vehicle_start, sizeof s.vehicle_start);
    memcpy(s.vehicle_velocity, vehicle_velocity, sizeof s.vehicle_velocity);
    memcpy(s.vehicle_size, vehicle_size, sizeof s.vehicle_size);
    int32_t returns = 0, spur = 0;
    if (lidar_scan_run(&s, time, out, &returns, &spur))
        returns = spur = -1;
    scan_info[0] = time;
    scan_info[1] = returns;
    scan_info[2] = spur;
    return scan_info;
}

/* Filters n points into out (room for cap points); returns the number of
 * filtered points written (the host's "count:outputs:points" result). */
EXPORT("lidar_filter")
int32_t lidar_filter(int32_t n, const double *pts, const double *origin, double min_range, const double *crop_box,
                     double leaf, int32_t mean_k, double stddev_mul, int32_t cap, double *out) {
    lidar_filter_params f = {.min_range = min_range, .leaf = leaf, .mean_k = mean_k, .stddev_mul = stddev_mul};
    memcpy(f.origin, origin, sizeof f.origin);
    memcpy(f.crop_min, crop_box, sizeof f.crop_min);
    memcpy(f.crop_max, crop_box + 3, sizeof f.crop_max);
    return lidar_filter_run(&f, pts, n, out, cap);
}
