/* The scene of demos/lidar/lidar.usda.in, for the benchmarks. */
#ifndef LIDAR_BENCH_SCENE_H
#define LIDAR_BENCH_SCENE_H
#include "lidar_core.h"

enum { RAYS = 102400 };

static const double bench_centers[] = {12, 0, 1.5, -15, -10, 2, 5, -14, 1, -8, 14, 2.5, 25, 18, 3, -30, 5, 1.2};
static const double bench_sizes[] = {4, 10, 3, 6, 4, 4, 8, 2, 2, 3, 3, 5, 10, 6, 6, 2, 12, 2.4};
static const double bench_poles[] = {6,   6, 0.15, -6, -6, 0.15, 10, -6, 0.2,
                                     -12, 3, 0.15, 18, -2, 0.25, 0,  -9, 0.15};

static inline void bench_scene(lidar_sensor *s, lidar_filter_params *f) {
    *s = (lidar_sensor){.rays = RAYS,
                        .beams = 64,
                        .elev_min = -24.8,
                        .elev_max = 2,
                        .max_range = 80,
                        .range_noise = 0.02,
                        .dropout = 0.02,
                        .spurious = 0.005,
                        .seed = 7,
                        .origin = {0, 0, 1.8},
                        .nbox = 6,
                        .box_centers = bench_centers,
                        .box_sizes = bench_sizes,
                        .npole = 6,
                        .poles = bench_poles,
                        .pole_height = 6,
                        .vehicle_start = {-20, 6, 0.8},
                        .vehicle_velocity = {4, 0, 0},
                        .vehicle_size = {4.5, 1.9, 1.6}};
    *f = (lidar_filter_params){.origin = {0, 0, 1.8},
                               .min_range = 1,
                               .crop_min = {-40, -40, -1},
                               .crop_max = {40, 40, 6},
                               .leaf = 0.25,
                               .mean_k = 8,
                               .stddev_mul = 1};
}
#endif
