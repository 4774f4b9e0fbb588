/* The fleet's C simulation (demos/warehouse/c) compiled natively: the peer
 * of the module on the engine tiers (bench/warehouse/run.sh).
 *   warehouse_native MAP ROBOTS FRAMES [SEED]
 * Same output as warehouse_bench. */
#define _POSIX_C_SOURCE 200809L
#include <string.h>

#include "fleet_core.h"
#include "stats.h"

int main(int argc, char **argv) {
    if (argc < 4) {
        fprintf(stderr, "usage: warehouse_native MAP ROBOTS FRAMES [SEED]\n");
        return 2;
    }
    FILE *fp = fopen(argv[1], "rb");
    static char text[1 << 22];
    size_t len = fp ? fread(text, 1, sizeof text, fp) : 0;
    if (fp)
        fclose(fp);
    int32_t n = atoi(argv[2]);
    long frames = atol(argv[3]);
    char err[256];
    uint64_t c0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
    fleet *f = frames > 0 ? fleet_new(text, len, n, NULL, argc > 4 ? strtoull(argv[4], NULL, 10) : 1, 24, err,
                                      sizeof err)
                          : NULL;
    if (!f) {
        fprintf(stderr, "warehouse_native: %s: %s\n", argv[1], frames > 0 ? err : "bad frame count");
        return 1;
    }
    printf("native C (gcc), %s: %d robots, %ld frames; fleet setup %.2f ms CPU\n", argv[1], (int)n, frames,
           (double)(now_ns(CLOCK_THREAD_CPUTIME_ID) - c0) / 1e6);
    uint64_t *cpu = malloc(sizeof *cpu * (size_t)frames), *wall = malloc(sizeof *wall * (size_t)frames);
    for (long s = 0; s < frames; s++) {
        uint64_t t0 = now_ns(CLOCK_THREAD_CPUTIME_ID), w0 = now_ns(CLOCK_MONOTONIC);
        if (fleet_step(f)) {
            fprintf(stderr, "warehouse_native: out of memory\n");
            return 1;
        }
        cpu[s] = now_ns(CLOCK_THREAD_CPUTIME_ID) - t0;
        wall[s] = now_ns(CLOCK_MONOTONIC) - w0;
    }
    double *pos = malloc(sizeof *pos * 3 * (size_t)n);
    for (int32_t i = 0; i < n; i++) {
        int32_t c = fleet_robot_at(f, i)->pos;
        pos[3 * i] = c % fleet_width(f);
        pos[3 * i + 1] = fleet_height(f) - 1 - c / fleet_width(f);
        pos[3 * i + 2] = 0;
    }
    report("CPU", cpu, frames);
    report("wall", wall, frames);
    summary((double)fleet_completed(f), frames, positions_hash(pos, n));
    fleet_free(f);
    return 0;
}
