/* The demo scene's solver compiled natively (gcc -O2 -ffp-contract=off):
 * fluid_native FRAMES prints per-frame CPU time, PCG iterations, relative
 * divergence and mass, then the mean frame time and frames per second. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "fluid_core.h"
#include "scene.h"

static double cpu_ms(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

int main(int argc, char **argv) {
    int frames = argc > 1 ? atoi(argv[1]) : 60;
    fluid_params p = bench_scene();
    fluid *f = fluid_new(&p, NULL);
    if (!f)
        return 1;
    double total = 0;
    for (int i = 0; i < frames; i++) {
        double t0 = cpu_ms();
        fluid_advance(f, 1.0 / 60);
        double ms = cpu_ms() - t0;
        total += ms;
        if (argc > 2)
            printf("frame %d: %.2f ms, %g iterations, divergence %.3g, mass %.9g\n", i, ms, f->stats.iterations,
                   f->stats.rel_divergence, f->stats.mass);
    }
    printf("native gcc: %d frames, %.2f ms CPU/frame, %.1f FPS, mass %.9g\n", frames, total / frames,
           1000 * frames / total, f->stats.mass);
    fluid_free(f);
    return 0;
}
