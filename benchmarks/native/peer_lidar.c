/* Native C peer of the LiDAR demo (demos/lidar/c: the scan and the filter
 * the two modules run), with the demo scene (bench/lidar/scene.h),
 * optionally with fewer rays and beams (small runs):
 *   bench_peer_lidar FRAMES [RAYS [BEAMS]]
 * check: the filtered point count of the last frame. */
#include "lidar_core.h"
#include "peer.h"
#include "scene.h"

int main(int argc, char **argv) {
    const char *usage = "bench_peer_lidar FRAMES [RAYS (default 102400) [BEAMS (default 64)]]";
    long frames = peer_arg(argc > 1 ? argv[1] : NULL, 1, 1000000, usage);
    lidar_sensor s;
    lidar_filter_params fp;
    bench_scene(&s, &fp);
    if (argc > 2)
        s.rays = (int32_t)peer_arg(argv[2], 64, RAYS, usage);
    if (argc > 3)
        s.beams = (int32_t)peer_arg(argv[3], 1, s.rays, usage);
    double *raw = malloc(3 * sizeof *raw * (size_t)s.rays), *out = malloc(3 * sizeof *out * (size_t)s.rays);
    if (!raw || !out) {
        fprintf(stderr, "bench_peer_lidar: out of memory\n");
        return 1;
    }
    peer_clock c = {0};
    int32_t kept = 0;
    for (long k = 0; k < frames; k++) {
        int32_t returns, spurious;
        peer_start(&c);
        lidar_scan_run(&s, (double)k / 10.0, raw, &returns, &spurious);
        kept = lidar_filter_run(&fp, raw, s.rays, out, s.rays);
        peer_stop(&c);
    }
    free(raw);
    free(out);
    return peer_report("lidar_processing", frames, &c, kept);
}
