/* Projectile motion (no drag) as a WebAssembly module: the C version of
 * python/projectile.py, built for wasm32 by the project's CMake build.
 *
 * Exports follow Portalis module ABI v1 (docs/abi.md):
 *   calculate_trajectory(v, angle_deg, t) -> i32   pointer to 3 f64 (x, y, z),
 *                                                  valid until the next call
 *   calculate_max_height(v, angle_deg) -> f64
 *   calculate_range(v, angle_deg) -> f64
 *   calculate_flight_time(v, angle_deg) -> f64
 *   trajectory_batch(n, v_ptr, angle_ptr, t, out_ptr)  bulk form: n f64 speeds
 *                                                  and angles in, n*3 f64 out
 *   portalis_alloc(bytes) -> i32                   host buffers for bulk data
 * Expressions are written in the same order as the Python reference so that
 * results agree to the last bits apart from sin/cos rounding. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#define EXPORT(name) __attribute__((export_name(name)))

static const double GRAVITY = 9.81;
static const double DEG_TO_RAD = 3.141592653589793 / 180.0;

static double result[3];

/* Time the projectile is back on the ground (z = 0), a in radians: from
 * then on it stays where it landed instead of falling through. */
static double landing_time(double v, double a) {
    double tf = 2.0 * v * sin(a) / GRAVITY;
    return tf > 0.0 ? tf : 0.0;
}

static void position(double v, double a, double t, double *out) {
    double tl = landing_time(v, a);
    if (t >= tl) {
        out[0] = v * cos(a) * tl;
        out[1] = 0.0;
        out[2] = 0.0;
        return;
    }
    out[0] = v * cos(a) * t;
    out[1] = 0.0;
    out[2] = v * sin(a) * t - 0.5 * GRAVITY * t * t;
}

EXPORT("calculate_trajectory") double *calculate_trajectory(double v, double angle, double t) {
    position(v, angle * DEG_TO_RAD, t, result);
    return result;
}

EXPORT("calculate_max_height") double calculate_max_height(double v, double angle) {
    double s = v * sin(angle * DEG_TO_RAD);
    return s * s / (2.0 * GRAVITY);
}

EXPORT("calculate_range") double calculate_range(double v, double angle) {
    return v * v * sin(2.0 * (angle * DEG_TO_RAD)) / GRAVITY;
}

EXPORT("calculate_flight_time") double calculate_flight_time(double v, double angle) {
    return 2.0 * v * sin(angle * DEG_TO_RAD) / GRAVITY;
}

EXPORT("trajectory_batch")
void trajectory_batch(int32_t n, const double *v, const double *angle, double t, double *out) {
    for (int32_t i = 0; i < n; i++) {
        position(v[i], angle[i] * DEG_TO_RAD, t, out + 3 * i);
    }
}

EXPORT("portalis_alloc") void *portalis_alloc(int32_t bytes) { return malloc((size_t)bytes); }
