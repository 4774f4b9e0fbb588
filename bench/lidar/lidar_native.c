/* Native timing of the LiDAR pipeline (demos/lidar/c, the code the wasm
 * modules run), and the clouds the PCL peer filters: see run.sh.
 * usage: lidar_native FRAMES [DUMP_PREFIX]  - prints ms per frame for scan
 * and filter; with DUMP_PREFIX writes each raw cloud as PREFIX.N.bin
 * (n doubles x 3) and the filtered count. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "lidar_core.h"

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts); /* CPU time: the machine may be shared */
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* The scene of demos/lidar/lidar.usda.in. */
static const double centers[] = {12, 0, 1.5, -15, -10, 2, 5, -14, 1, -8, 14, 2.5, 25, 18, 3, -30, 5, 1.2};
static const double sizes[] = {4, 10, 3, 6, 4, 4, 8, 2, 2, 3, 3, 5, 10, 6, 6, 2, 12, 2.4};
static const double poles[] = {6, 6, 0.15, -6, -6, 0.15, 10, -6, 0.2, -12, 3, 0.15, 18, -2, 0.25, 0, -9, 0.15};

int main(int argc, char **argv) {
    int frames = argc > 1 ? atoi(argv[1]) : 10;
    enum { RAYS = 102400, CAP = 32768 };
    lidar_sensor s = {.rays = RAYS, .beams = 64, .elev_min = -24.8, .elev_max = 2, .max_range = 80,
                      .range_noise = 0.02, .dropout = 0.02, .spurious = 0.005, .seed = 7,
                      .origin = {0, 0, 1.8}, .nbox = 6, .box_centers = centers, .box_sizes = sizes,
                      .npole = 6, .poles = poles, .pole_height = 6, .vehicle_start = {-20, 6, 0.8},
                      .vehicle_velocity = {4, 0, 0}, .vehicle_size = {4.5, 1.9, 1.6}};
    lidar_filter_params f = {.origin = {0, 0, 1.8}, .min_range = 1, .crop_min = {-40, -40, -1},
                             .crop_max = {40, 40, 6}, .leaf = 0.25, .mean_k = 8, .stddev_mul = 1};
    double *mask = malloc(RAYS * sizeof *mask), *raw = malloc(3 * RAYS * sizeof *raw),
           *out = malloc(3 * CAP * sizeof *out);
    if (!mask || !raw || !out)
        return 1;
    for (int i = 0; i < RAYS; i++)
        mask[i] = 1;
    double scan_ms = 0, filt_ms = 0;
    for (int k = 0; k < frames; k++) {
        int32_t ret, spur;
        double t0 = now_ms();
        lidar_scan_run(&s, mask, k / 10.0, raw, &ret, &spur);
        double t1 = now_ms();
        int32_t n = lidar_filter_run(&f, raw, RAYS, out, CAP);
        double t2 = now_ms();
        scan_ms += t1 - t0;
        filt_ms += t2 - t1;
        if (argc > 2) {
            char path[512];
            snprintf(path, sizeof path, "%s.%d.bin", argv[2], k);
            FILE *fp = fopen(path, "wb");
            if (!fp || fwrite(raw, sizeof *raw, 3 * RAYS, fp) != 3 * RAYS || fclose(fp))
                return 1;
            printf("frame %d: %d returns, %d filtered\n", k, ret, n);
        }
    }
    printf("native C: scan %.2f ms/frame, filter %.2f ms/frame, total %.2f ms/frame CPU (%d frames, %d rays)\n",
           scan_ms / frames, filt_ms / frames, (scan_ms + filt_ms) / frames, frames, RAYS);
    free(mask);
    free(raw);
    free(out);
    return 0;
}
