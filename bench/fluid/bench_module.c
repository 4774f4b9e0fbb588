/* The demo scene's solver as one import-free wasm export, so that run.sh can
 * time it on each engine tier (`portalis run --tier T --invoke fluid_bench`):
 * fluid_bench(frames) advances the 64^3 demo scene (scene.h) by `frames`
 * frames of 1/60 s and returns the mass, which must equal fluid_native's. */
#include "fluid_core.h"
#include "scene.h"

__attribute__((export_name("fluid_bench"))) double fluid_bench(int frames) {
    fluid_params p = bench_scene();
    fluid *f = fluid_new(&p, NULL);
    if (!f)
        return -1;
    for (int i = 0; i < frames; i++)
        fluid_advance(f, 1.0 / 60);
    double m = f->stats.mass;
    fluid_free(f);
    return m;
}
