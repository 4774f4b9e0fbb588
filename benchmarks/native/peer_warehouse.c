/* Native C peer of the warehouse demo (demos/warehouse/c: the fleet the
 * module steps), one fleet_step a frame:
 *   bench_peer_warehouse MAP ROBOTS FRAMES [SEED]
 * check: the tasks completed after the last frame. */
#include <string.h>

#include "fleet_core.h"
#include "peer.h"

int main(int argc, char **argv) {
    const char *usage = "bench_peer_warehouse MAP ROBOTS FRAMES [SEED]";
    if (argc < 4)
        return fprintf(stderr, "usage: %s\n", usage), 2;
    int32_t robots = (int32_t)peer_arg(argv[2], 1, 100000, usage);
    long frames = peer_arg(argv[3], 1, 100000000, usage);
    long seed = argc > 4 ? peer_arg(argv[4], 0, 0x7fffffff, usage) : 1;
    FILE *fp = fopen(argv[1], "rb");
    static char text[1 << 22];
    size_t len = fp ? fread(text, 1, sizeof text, fp) : 0;
    if (!fp || ferror(fp) || len == sizeof text) {
        fprintf(stderr, "bench_peer_warehouse: %s: %s\n", argv[1],
                fp ? "unreadable or over 4 MiB" : "cannot open");
        if (fp)
            fclose(fp);
        return 1;
    }
    fclose(fp);
    char err[256];
    fleet *f = fleet_new(text, len, robots, NULL, (uint64_t)seed, 24, err, sizeof err);
    if (!f) {
        fprintf(stderr, "bench_peer_warehouse: %s: %s\n", argv[1], err);
        return 1;
    }
    peer_clock c = {0};
    for (long s = 0; s < frames; s++) {
        peer_start(&c);
        int rc = fleet_step(f);
        peer_stop(&c);
        if (rc) {
            fprintf(stderr, "bench_peer_warehouse: out of memory\n");
            return 1;
        }
    }
    double done = (double)fleet_completed(f);
    fleet_free(f);
    return peer_report("warehouse_fleet", frames, &c, done);
}
