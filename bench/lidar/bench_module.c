/* The LiDAR pipeline as one import-free wasm export, so that run.sh can time
 * it on each engine tier (`portalis run --tier T --invoke lidar_bench`):
 * lidar_bench(frames) scans and filters `frames` revolutions of the demo
 * scene (lidar_native.c's) and returns the total number of filtered points.
 * lidar_stage(stage, frames) runs the pipeline cut short, for the cost of
 * each stage (x86 instructions under callgrind, frames 2 minus frames 1):
 * stage 0 the scan alone, 1 the scan, crop and voxel grid (k = 0: no
 * outlier removal), 2 the whole pipeline; it returns the returns plus the
 * filtered points. */
#include <stdlib.h>

#include "lidar_core.h"
#include "scene.h"

static double raw[3 * RAYS], out[3 * RAYS];

__attribute__((export_name("lidar_stage"))) double lidar_stage(int32_t stage, int32_t frames) {
    lidar_sensor s;
    lidar_filter_params f;
    bench_scene(&s, &f);
    if (stage == 1)
        f.mean_k = 0;
    double total = 0;
    for (int k = 0; k < frames; k++) {
        int32_t ret, spur;
        lidar_scan_run(&s, k / 10.0, raw, &ret, &spur);
        total += ret;
        if (stage > 0)
            total += lidar_filter_run(&f, raw, RAYS, out, RAYS);
    }
    return total;
}

__attribute__((export_name("lidar_bench"))) double lidar_bench(int32_t frames) {
    lidar_sensor s;
    lidar_filter_params f;
    bench_scene(&s, &f);
    double total = 0;
    for (int k = 0; k < frames; k++) {
        int32_t ret, spur;
        lidar_scan_run(&s, k / 10.0, raw, &ret, &spur);
        total += lidar_filter_run(&f, raw, RAYS, out, RAYS);
    }
    return total;
}
