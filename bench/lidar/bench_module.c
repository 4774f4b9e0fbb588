/* The LiDAR pipeline as one import-free wasm export, so that run.sh can time
 * it on each engine tier (`portalis run --tier T --invoke lidar_bench`):
 * lidar_bench(frames) scans and filters `frames` revolutions of the demo
 * scene (lidar_native.c's) and returns the total number of filtered points. */
#include <stdlib.h>

#include "lidar_core.h"
#include "scene.h"

__attribute__((export_name("lidar_bench"))) double lidar_bench(int32_t frames) {
    static double raw[3 * RAYS], out[3 * RAYS];
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
