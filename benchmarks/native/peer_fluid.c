/* Native C peer of the fluid demo (demos/fluid/c: the solver the module
 * runs), with the demo scene's parameters (bench/fluid/scene.h), optionally
 * on an N^3 grid instead of 64^3 (small runs):
 *   bench_peer_fluid FRAMES [N]
 * check: the mass after the last frame. */
#include "fluid_core.h"
#include "peer.h"
#include "scene.h"

int main(int argc, char **argv) {
    const char *usage = "bench_peer_fluid FRAMES [N (grid cells a side, default 64)]";
    long frames = peer_arg(argc > 1 ? argv[1] : NULL, 1, 1000000, usage);
    fluid_params p = bench_scene();
    if (argc > 2) {
        int n = (int)peer_arg(argv[2], 4, 512, usage);
        p.n[0] = p.n[1] = p.n[2] = n;
        p.h = 1.0 / n;
    }
    const char *why = NULL;
    fluid *f = fluid_new(&p, &why);
    if (!f) {
        fprintf(stderr, "bench_peer_fluid: %s\n", why ? why : "out of memory");
        return 1;
    }
    peer_clock c = {0};
    for (long i = 0; i < frames; i++) {
        peer_start(&c);
        fluid_advance(f, p.step);
        peer_stop(&c);
    }
    double mass = f->stats.mass;
    fluid_free(f);
    return peer_report("fluid_dynamics", frames, &c, mass);
}
