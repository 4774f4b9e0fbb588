/* The fluid demonstration's WasmFluid module in C (../README.md): the
 * solver of fluid_core.h behind two pure functions with bulk arrays
 * (docs/abi.md (b), (c)). The solver is created at the first call from
 * the prim's configuration attributes (wasm:gridResolution, wasm:cellSize,
 * wasm:timeStep, wasm:viscosity, wasm:diffusion, wasm:solverIterations,
 * wasm:boundaryMode, wasm:inflowVelocity and the fluid:* ones) and keeps
 * its state between frames.
 *
 *   fluid_step(dt, n, seeds, npix, slice, mip, tracers) -> stats
 *       n tracer seeds; npix = the capacity of outputs:slice and
 *       outputs:mip, which must be nx * nz: outputs the mid-plane density
 *       slice, the maximum along y, and the n tracers advected from the
 *       seeds
 *   fluid_step_volume(dt, n, density0, density, tracers) -> stats
 *       n = nx * ny * nz: starts from density0 and outputs the whole
 *       density field and n tracers seeded at the cell centres
 *
 * stats points to 4 f64: relative divergence, mass, PCG iterations,
 * kinetic energy (a double4 output). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <portalis/guest/portalis.h>

#include "fluid_core.h"

PORTALIS_DEFINE_ALLOC()

static fluid *solver;
static double *points; /* the tracers */
static double stats[4];

/* Value i of configuration attribute `name`, or fallback when absent. */
static double cfg(const char *name, int32_t i, double fallback) {
    int32_t len = (int32_t)strlen(name);
    return portalis_config_count(name, len) > i ? portalis_config_f64(name, len, i) : fallback;
}

static void create(void) {
    char mode[32] = "";
    int32_t len = PORTALIS_CONFIG_STR("wasm:boundaryMode", mode, (int32_t)sizeof mode - 1);
    int32_t boundary = FLUID_CLOSED;
    if (len >= 0 && !strcmp(mode, "open"))
        boundary = FLUID_OPEN;
    else if (len >= 0 && !strcmp(mode, "periodic"))
        boundary = FLUID_PERIODIC;
    else if (len >= 0 && strcmp(mode, "closed"))
        portalis_fail("wasm:boundaryMode: \"closed\", \"open\" or \"periodic\", not ", mode);
    fluid_params p = {
        .boundary = boundary,
        .n = {(int32_t)cfg("wasm:gridResolution", 0, 64), (int32_t)cfg("wasm:gridResolution", 1, 64),
              (int32_t)cfg("wasm:gridResolution", 2, 64)},
        .h = cfg("wasm:cellSize", 0, 1.0 / 64),
        .step = cfg("wasm:timeStep", 0, 1.0 / 60),
        .viscosity = cfg("wasm:viscosity", 0, 0),
        .diffusion = cfg("wasm:diffusion", 0, 0),
        .max_iterations = (int32_t)cfg("wasm:solverIterations", 0, 20),
        .tolerance = cfg("fluid:tolerance", 0, 1e-5),
        .buoyancy = cfg("fluid:buoyancy", 0, 0),
        .taylor_green = cfg("fluid:taylorGreen", 0, 0),
    };
    for (int i = 0; i < 3; i++)
        p.inflow[i] = cfg("wasm:inflowVelocity", i, 0);
    for (int i = 0; i < 4; i++) {
        p.source[i] = cfg("fluid:source", i, 0);
        p.obstacle[i] = cfg("fluid:obstacle", i, 0);
    }
    const char *why = "out of memory";
    solver = fluid_new(&p, &why);
    if (!solver)
        portalis_fail("cannot create the solver: ", why);
}

static void record(void) {
    stats[0] = solver->stats.rel_divergence;
    stats[1] = solver->stats.mass;
    stats[2] = solver->stats.iterations;
    stats[3] = solver->stats.kinetic;
}

static void check_count(int32_t n, size_t want, const char *what) {
    if (n < 0 || (size_t)n != want)
        portalis_fail("the first input array must have one entry per ", what);
}

PORTALIS_EXPORT("fluid_step")
double *export_step(double dt, int32_t n, const double *seeds, int32_t npix, double *slice, double *mip,
                    double *tracers) {
    if (!solver) {
        create();
        check_count(npix, (size_t)solver->p.n[0] * (size_t)solver->p.n[2],
                    "outputs:slice and outputs:mip need a capacity (wasm:outputs:slice:capacity) of nx * nz");
        if (n < 0)
            portalis_fail("no tracer seeds", "");
        points = malloc((size_t)n * 3 * sizeof *points);
        if (!points)
            portalis_fail("out of memory", "");
        memcpy(points, seeds, (size_t)n * 3 * sizeof *points);
    }
    fluid_advance(solver, dt);
    fluid_move_points(solver, points, n, dt);
    fluid_slice(solver, slice);
    fluid_mip(solver, mip);
    memcpy(tracers, points, (size_t)n * 3 * sizeof *points);
    record();
    return stats;
}

PORTALIS_EXPORT("fluid_step_volume")
double *export_step_volume(double dt, int32_t n, const double *density0, double *density, double *tracers) {
    if (!solver) {
        create();
        check_count(n, solver->nc, "inputs:density0 needs one value per cell (nx * ny * nz)");
        points = malloc((size_t)n * 3 * sizeof *points);
        if (!points)
            portalis_fail("out of memory", "");
        size_t nx = (size_t)solver->p.n[0], ny = (size_t)solver->p.n[1];
        for (size_t c = 0; c < solver->nc; c++) {
            solver->d[c] = solver->solid[c] ? 0 : density0[c];
            points[3 * c] = ((double)(c % nx) + 0.5) * solver->p.h;
            points[3 * c + 1] = ((double)(c / nx % ny) + 0.5) * solver->p.h;
            points[3 * c + 2] = ((double)(c / (nx * ny)) + 0.5) * solver->p.h;
        }
    }
    fluid_advance(solver, dt);
    fluid_move_points(solver, points, n, dt);
    memcpy(density, solver->d, solver->nc * sizeof *density);
    memcpy(tracers, points, (size_t)n * 3 * sizeof *points);
    record();
    return stats;
}
