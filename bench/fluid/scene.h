/* The demo scene's parameters (demos/fluid/fluid.usda), for the benchmark
 * programs that run the solver without the host. */
#ifndef FLUID_BENCH_SCENE_H
#define FLUID_BENCH_SCENE_H

#include "fluid_core.h"

static inline fluid_params bench_scene(void) {
    fluid_params p = {
        .n = {64, 64, 64},
        .h = 1.0 / 64,
        .step = 1.0 / 60,
        .viscosity = 0.0001,
        .diffusion = 0.0001,
        .max_iterations = 40,
        .tolerance = 1e-5,
        .buoyancy = 3,
        .inflow = {0, 0, 0.5},
        .source = {0.5, 0.5, 0.12, 0.08},
        .obstacle = {0.5, 0.5, 0.55, 0.12},
    };
    return p;
}

#endif
