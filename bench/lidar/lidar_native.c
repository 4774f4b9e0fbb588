/* Native timing of the LiDAR pipeline (demos/lidar/c, the code the wasm
 * modules run), and the clouds the PCL peer filters: see run.sh.
 * usage: lidar_native FRAMES [DUMP_PREFIX]  - prints ms per frame for scan
 * and filter; with DUMP_PREFIX writes each raw cloud as PREFIX.N.bin
 * (RAYS x 3 doubles) and the filtered one as PREFIX.N.out.bin (x 3
 * doubles), and prints the filtered count. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "lidar_core.h"
#include "scene.h"

static double now_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts); /* CPU time: the machine may be shared */
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv) {
    int frames = argc > 1 ? atoi(argv[1]) : 10;
    lidar_sensor s;
    lidar_filter_params f;
    bench_scene(&s, &f);
    double *raw = malloc(3 * RAYS * sizeof *raw), *out = malloc(3 * RAYS * sizeof *out);
    if (!raw || !out)
        return 1;
    double scan_ms = 0, filt_ms = 0;
    for (int k = 0; k < frames; k++) {
        int32_t ret, spur;
        double t0 = now_ms();
        lidar_scan_run(&s, k / 10.0, raw, &ret, &spur);
        double t1 = now_ms();
        int32_t n = lidar_filter_run(&f, raw, RAYS, out, RAYS);
        double t2 = now_ms();
        scan_ms += t1 - t0;
        filt_ms += t2 - t1;
        if (argc > 2) {
            char path[512];
            snprintf(path, sizeof path, "%s.%d.bin", argv[2], k);
            FILE *fp = fopen(path, "wb");
            if (!fp || fwrite(raw, sizeof *raw, 3 * RAYS, fp) != 3 * RAYS || fclose(fp))
                return 1;
            snprintf(path, sizeof path, "%s.%d.out.bin", argv[2], k);
            fp = fopen(path, "wb");
            if (!fp || fwrite(out, sizeof *out, 3 * (size_t)n, fp) != 3 * (size_t)n || fclose(fp))
                return 1;
            printf("frame %d: %d returns, %d filtered\n", k, ret, n);
        }
    }
    printf("native C: scan %.2f ms/frame, filter %.2f ms/frame, total %.2f ms/frame CPU (%d frames, %d rays)\n",
           scan_ms / frames, filt_ms / frames, (scan_ms + filt_ms) / frames, frames, RAYS);
    free(raw);
    free(out);
    return 0;
}
