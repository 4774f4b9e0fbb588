/* Float operations with WebAssembly's semantics, shared by the
 * interpreter's scalar (interp.c) and vector (simd.c) instructions. */
#ifndef PORTALIS_WASM_WMATH_H
#define PORTALIS_WASM_WMATH_H

#include <math.h>
#include <stdint.h>

/* min/max: NaN if either is NaN (a + b propagates a quiet NaN), and -0 < +0. */
static inline float wminf(float a, float b) {
    if (a != a || b != b)
        return a + b;
    if (a == b)
        return signbit(a) ? a : b;
    return a < b ? a : b;
}
static inline float wmaxf(float a, float b) {
    if (a != a || b != b)
        return a + b;
    if (a == b)
        return signbit(a) ? b : a;
    return a > b ? a : b;
}
static inline double wmin(double a, double b) {
    if (a != a || b != b)
        return a + b;
    if (a == b)
        return signbit(a) ? a : b;
    return a < b ? a : b;
}
static inline double wmax(double a, double b) {
    if (a != a || b != b)
        return a + b;
    if (a == b)
        return signbit(a) ? b : a;
    return a > b ? a : b;
}

/* Every float-to-int conversion goes through double, which holds every f32
 * exactly, so one set of bounds serves both source types. */
static inline int32_t sat_i32(double x) {
    if (x != x)
        return 0;
    if (x <= -2147483649.0)
        return INT32_MIN;
    if (x >= 2147483648.0)
        return INT32_MAX;
    return (int32_t)x;
}
static inline uint32_t sat_u32(double x) {
    if (x != x || x <= -1.0)
        return 0;
    if (x >= 4294967296.0)
        return UINT32_MAX;
    return (uint32_t)x;
}
static inline int64_t sat_i64(double x) {
    if (x != x)
        return 0;
    if (x < -9223372036854775808.0)
        return INT64_MIN;
    if (x >= 9223372036854775808.0)
        return INT64_MAX;
    return (int64_t)x;
}
static inline uint64_t sat_u64(double x) {
    if (x != x || x <= -1.0)
        return 0;
    if (x >= 18446744073709551616.0)
        return UINT64_MAX;
    return (uint64_t)x;
}

#endif
