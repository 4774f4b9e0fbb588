/* Pure functions in C (no glue code, no imports): the scene binds them with
 * wasm:params / wasm:results (docs/abi.md (b), (c)); see orbits.usda.
 *   orbit_position(radius, period, time) -> pointer to (x, y, z)
 *   orbit_positions(n, radius[], period[], time, out[])  every body at once:
 *       the host copies the arrays in and out of linear memory, so the
 *       module exports portalis_alloc for those buffers.
 * Circular orbits in the x-y plane, counter-clockwise, starting on +x.
 * Build and run: docs/modules.md. */
#include <math.h>
#include <stdint.h>
#include <portalis/guest/portalis.h>

PORTALIS_DEFINE_ALLOC()

static double at(double radius, double period, double time, int k) {
    double a = 2.0 * M_PI * time / period;
    return k == 0 ? radius * cos(a) : k == 1 ? radius * sin(a) : 0.0;
}

/* A vector result is returned as a pointer to 3 doubles, which the host
 * reads right after the call. */
static double position[3];

PORTALIS_EXPORT("orbit_position") double *orbit_position(double radius, double period, double time) {
    for (int k = 0; k < 3; k++)
        position[k] = at(radius, period, time, k);
    return position;
}

PORTALIS_EXPORT("orbit_positions")
void orbit_positions(int32_t n, const double *radius, const double *period, double time, double *out) {
    for (int32_t i = 0; i < n; i++)
        for (int k = 0; k < 3; k++)
            out[3 * i + k] = at(radius[i], period[i], time, k);
}
