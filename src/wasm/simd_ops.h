/* The fixed-width SIMD instructions (opcodes.h, WM_OPS_FD), one inline
 * function op_<name> per line, written as portable C loops over the lanes
 * (the signature is pw_simd_fn's, simd.h). simd.c makes the table of them
 * that the interpreter's generic handlers call; interp.c also inlines the
 * most frequent ones into handlers of their own (ir.h, IR_SIMD_FAST).
 *
 * Why portable C and not SSE2 intrinsics: every function is one short loop
 * over a 16-byte union that GCC and Clang vectorise at -O2 (the loops are
 * the instruction's definition in the spec, so the NaN and rounding rules
 * are C's IEEE arithmetic, the same as the scalar instructions), and the
 * cost of an instruction in the interpreter is the dispatch, not the lane
 * loop (docs/engine.md, "SIMD", has the measurement). The shapes SSE2 lacks
 * (i64x2 compares, i8x16 shifts, unsigned conversions, wasm min/max) would
 * need scalar fallbacks anyway.
 */
#ifndef PORTALIS_WASM_SIMD_OPS_H
#define PORTALIS_WASM_SIMD_OPS_H

#include <string.h>

#include "simd.h"
#include "wmath.h"

typedef union {
    uint8_t u8[16];
    int8_t i8[16];
    uint16_t u16[8];
    int16_t i16[8];
    uint32_t u32[4];
    int32_t i32[4];
    uint64_t u64[2];
    int64_t i64[2];
    float f32[4];
    double f64[2];
} v128;

static inline v128 ld(const pw_slot *s) {
    v128 v;
    memcpy(&v, s, 16);
    return v;
}
static inline void st(pw_slot *s, v128 v) { memcpy(s, &v, 16); }

#define U __attribute__((unused))
#define FN(name)                                                                                                 \
    static inline void op_##name(U pw_slot *d, U const pw_slot *pa, U const pw_slot *pb, U const pw_slot *pc,    \
                                 U const pw_code *imm, U uint8_t *m)

/* r.T[i] = expr over x = a.T[i] (and y = b.T[i]). */
#define UN(name, T, N, expr)                                                                                     \
    FN(name) {                                                                                                   \
        v128 a = ld(pa), r;                                                                                      \
        for (int i = 0; i < N; i++) {                                                                            \
            __typeof__(a.T[0]) x = a.T[i];                                                                       \
            r.T[i] = (expr);                                                                                     \
        }                                                                                                        \
        st(d, r);                                                                                                \
    }
#define BIN(name, T, N, expr)                                                                                    \
    FN(name) {                                                                                                   \
        v128 a = ld(pa), b = ld(pb), r;                                                                          \
        for (int i = 0; i < N; i++) {                                                                            \
            __typeof__(a.T[0]) x = a.T[i], y = b.T[i];                                                           \
            r.T[i] = (expr);                                                                                     \
        }                                                                                                        \
        st(d, r);                                                                                                \
    }
/* Comparisons: all ones where cond holds, in lanes of integer view R. */
#define CMP(name, T, R, N, cond)                                                                                 \
    FN(name) {                                                                                                   \
        v128 a = ld(pa), b = ld(pb), r;                                                                          \
        for (int i = 0; i < N; i++) {                                                                            \
            __typeof__(a.T[0]) x = a.T[i], y = b.T[i];                                                           \
            r.R[i] = (cond) ? (__typeof__(r.R[0]))~(__typeof__(r.R[0]))0 : 0;                                    \
        }                                                                                                        \
        st(d, r);                                                                                                \
    }
/* Shifts by the i32 operand, modulo the lane width. */
#define SHIFT(name, T, N, expr)                                                                                  \
    FN(name) {                                                                                                   \
        v128 a = ld(pa), r;                                                                                      \
        uint32_t s = pb->u32 & (8 * sizeof a.T[0] - 1);                                                          \
        for (int i = 0; i < N; i++) {                                                                            \
            __typeof__(a.T[0]) x = a.T[i];                                                                       \
            r.T[i] = (__typeof__(r.T[0]))(expr);                                                                 \
        }                                                                                                        \
        st(d, r);                                                                                                \
    }
/* Widening: lane i of the result from lane i + off of a (and of b). */
#define EXT(name, RT, T, N, off)                                                                                 \
    FN(name) {                                                                                                   \
        v128 a = ld(pa), r;                                                                                      \
        for (int i = 0; i < N; i++)                                                                              \
            r.RT[i] = a.T[i + off];                                                                              \
        st(d, r);                                                                                                \
    }
#define EXTMUL(name, RT, T, N, off)                                                                              \
    FN(name) {                                                                                                   \
        v128 a = ld(pa), b = ld(pb), r;                                                                          \
        for (int i = 0; i < N; i++)                                                                              \
            r.RT[i] = (__typeof__(r.RT[0]))a.T[i + off] * b.T[i + off];                                          \
        st(d, r);                                                                                                \
    }
/* Pairwise: lane i of the result from lanes 2i and 2i + 1. */
#define EXTADD(name, RT, T, N)                                                                                   \
    FN(name) {                                                                                                   \
        v128 a = ld(pa), r;                                                                                      \
        for (int i = 0; i < N; i++)                                                                              \
            r.RT[i] = (__typeof__(r.RT[0]))(a.T[2 * i] + a.T[2 * i + 1]);                                        \
        st(d, r);                                                                                                \
    }

static inline int32_t clamp(int32_t v, int32_t lo, int32_t hi) { return v < lo ? lo : v > hi ? hi : v; }
static inline int16_t q15mulr(int16_t x, int16_t y) {
    return (int16_t)clamp(((int32_t)x * y + 0x4000) >> 15, INT16_MIN, INT16_MAX);
}
/* NaN in, a quiet NaN out (x + x), as the scalar rounding instructions. */
static inline float roundf_w(float x, int mode) {
    if (x != x)
        return x + x;
    return mode == 0 ? ceilf(x) : mode == 1 ? floorf(x) : mode == 2 ? truncf(x) : nearbyintf(x);
}
static inline double round_w(double x, int mode) {
    if (x != x)
        return x + x;
    return mode == 0 ? ceil(x) : mode == 1 ? floor(x) : mode == 2 ? trunc(x) : nearbyint(x);
}

/* ---- memory ---- */

FN(v128_load) { memcpy(d, m, 16); }
#define LOAD_EXT(name, RT, T, N)                                                                                 \
    FN(name) {                                                                                                   \
        __typeof__(((v128 *)0)->T[0]) t[N];                                                                      \
        v128 r;                                                                                                  \
        memcpy(t, m, sizeof t);                                                                                  \
        for (int i = 0; i < N; i++)                                                                              \
            r.RT[i] = t[i];                                                                                      \
        st(d, r);                                                                                                \
    }
LOAD_EXT(v128_load8x8_s, i16, i8, 8)
LOAD_EXT(v128_load8x8_u, u16, u8, 8)
LOAD_EXT(v128_load16x4_s, i32, i16, 4)
LOAD_EXT(v128_load16x4_u, u32, u16, 4)
LOAD_EXT(v128_load32x2_s, i64, i32, 2)
LOAD_EXT(v128_load32x2_u, u64, u32, 2)
#define LOAD_SPLAT(name, T, N)                                                                                   \
    FN(name) {                                                                                                   \
        v128 r;                                                                                                  \
        __typeof__(r.T[0]) t;                                                                                    \
        memcpy(&t, m, sizeof t);                                                                                 \
        for (int i = 0; i < N; i++)                                                                              \
            r.T[i] = t;                                                                                          \
        st(d, r);                                                                                                \
    }
LOAD_SPLAT(v128_load8_splat, u8, 16)
LOAD_SPLAT(v128_load16_splat, u16, 8)
LOAD_SPLAT(v128_load32_splat, u32, 4)
LOAD_SPLAT(v128_load64_splat, u64, 2)
FN(v128_store) { memcpy(m, d, 16); }
#define LOAD_ZERO(name, bytes)                                                                                   \
    FN(name) {                                                                                                   \
        v128 r;                                                                                                  \
        memset(&r, 0, sizeof r);                                                                                 \
        memcpy(&r, m, bytes);                                                                                    \
        st(d, r);                                                                                                \
    }
LOAD_ZERO(v128_load32_zero, 4)
LOAD_ZERO(v128_load64_zero, 8)
#define LANE_MEM(bits)                                                                                           \
    FN(v128_load##bits##_lane) {                                                                                 \
        v128 r = ld(pa);                                                                                         \
        memcpy(&r.u##bits[imm[0].u], m, bits / 8);                                                               \
        st(d, r);                                                                                                \
    }                                                                                                            \
    FN(v128_store##bits##_lane) {                                                                                \
        v128 v = ld(d);                                                                                          \
        memcpy(m, &v.u##bits[imm[0].u], bits / 8);                                                               \
    }
LANE_MEM(8)
LANE_MEM(16)
LANE_MEM(32)
LANE_MEM(64)

/* ---- lanes, shuffles, splats ---- */

FN(i8x16_shuffle) {
    v128 a = ld(pa), b = ld(pb), r;
    for (int i = 0; i < 16; i++) {
        uint8_t k = (uint8_t)(imm[i / 8].u >> (8 * (i % 8)));
        r.u8[i] = k < 16 ? a.u8[k] : b.u8[k - 16];
    }
    st(d, r);
}
FN(i8x16_swizzle) {
    v128 a = ld(pa), b = ld(pb), r;
    for (int i = 0; i < 16; i++)
        r.u8[i] = b.u8[i] < 16 ? a.u8[b.u8[i]] : 0;
    st(d, r);
}
#define SPLAT(name, T, N, F)                                                                                     \
    FN(name) {                                                                                                   \
        v128 r;                                                                                                  \
        for (int i = 0; i < N; i++)                                                                              \
            r.T[i] = (__typeof__(r.T[0]))pa->F;                                                                  \
        st(d, r);                                                                                                \
    }
SPLAT(i8x16_splat, u8, 16, u32)
SPLAT(i16x8_splat, u16, 8, u32)
SPLAT(i32x4_splat, u32, 4, u32)
SPLAT(i64x2_splat, u64, 2, u64)
SPLAT(f32x4_splat, f32, 4, f32)
SPLAT(f64x2_splat, f64, 2, f64)
#define EXTRACT(name, T, F, CAST)                                                                                \
    FN(name) {                                                                                                   \
        v128 a = ld(pa);                                                                                         \
        pw_slot r;                                                                                               \
        r.u64 = 0;                                                                                               \
        r.F = (CAST)a.T[imm[0].u];                                                                               \
        *d = r;                                                                                                  \
    }
#define REPLACE(name, T, F)                                                                                      \
    FN(name) {                                                                                                   \
        v128 a = ld(pa);                                                                                         \
        a.T[imm[0].u] = (__typeof__(a.T[0]))pb->F;                                                               \
        st(d, a);                                                                                                \
    }
EXTRACT(i8x16_extract_lane_s, i8, i32, int32_t)
EXTRACT(i8x16_extract_lane_u, u8, u32, uint32_t)
REPLACE(i8x16_replace_lane, u8, u32)
EXTRACT(i16x8_extract_lane_s, i16, i32, int32_t)
EXTRACT(i16x8_extract_lane_u, u16, u32, uint32_t)
REPLACE(i16x8_replace_lane, u16, u32)
EXTRACT(i32x4_extract_lane, u32, u32, uint32_t)
REPLACE(i32x4_replace_lane, u32, u32)
EXTRACT(i64x2_extract_lane, u64, u64, uint64_t)
REPLACE(i64x2_replace_lane, u64, u64)
EXTRACT(f32x4_extract_lane, f32, f32, float)
REPLACE(f32x4_replace_lane, f32, f32)
EXTRACT(f64x2_extract_lane, f64, f64, double)
REPLACE(f64x2_replace_lane, f64, f64)

/* ---- comparisons ---- */

/* clang-format off */
#define INT_CMPS(P, S, UT, N)                                                                                    \
    CMP(P##_eq, UT, UT, N, x == y) CMP(P##_ne, UT, UT, N, x != y) CMP(P##_lt_s, S, UT, N, x < y)                 \
    CMP(P##_lt_u, UT, UT, N, x < y) CMP(P##_gt_s, S, UT, N, x > y) CMP(P##_gt_u, UT, UT, N, x > y)               \
    CMP(P##_le_s, S, UT, N, x <= y) CMP(P##_le_u, UT, UT, N, x <= y) CMP(P##_ge_s, S, UT, N, x >= y)             \
    CMP(P##_ge_u, UT, UT, N, x >= y)
#define FLOAT_CMPS(P, F, UT, N)                                                                                  \
    CMP(P##_eq, F, UT, N, x == y) CMP(P##_ne, F, UT, N, x != y) CMP(P##_lt, F, UT, N, x < y)                     \
    CMP(P##_gt, F, UT, N, x > y) CMP(P##_le, F, UT, N, x <= y) CMP(P##_ge, F, UT, N, x >= y)
/* clang-format on */
INT_CMPS(i8x16, i8, u8, 16)
INT_CMPS(i16x8, i16, u16, 8)
INT_CMPS(i32x4, i32, u32, 4)
FLOAT_CMPS(f32x4, f32, u32, 4)
FLOAT_CMPS(f64x2, f64, u64, 2)
CMP(i64x2_eq, u64, u64, 2, x == y)
CMP(i64x2_ne, u64, u64, 2, x != y)
CMP(i64x2_lt_s, i64, u64, 2, x < y)
CMP(i64x2_gt_s, i64, u64, 2, x > y)
CMP(i64x2_le_s, i64, u64, 2, x <= y)
CMP(i64x2_ge_s, i64, u64, 2, x >= y)

/* ---- bitwise ---- */

UN(v128_not, u64, 2, ~x)
BIN(v128_and, u64, 2, x &y)
BIN(v128_andnot, u64, 2, x & ~y)
BIN(v128_or, u64, 2, x | y)
BIN(v128_xor, u64, 2, x ^ y)
FN(v128_bitselect) {
    v128 a = ld(pa), b = ld(pb), c = ld(pc), r;
    for (int i = 0; i < 2; i++)
        r.u64[i] = (a.u64[i] & c.u64[i]) | (b.u64[i] & ~c.u64[i]);
    st(d, r);
}
#define REDUCE(name, T, N, init, step)                                                                           \
    FN(name) {                                                                                                   \
        v128 a = ld(pa);                                                                                         \
        uint32_t r = init;                                                                                       \
        for (int i = 0; i < N; i++) {                                                                            \
            __typeof__(a.T[0]) x = a.T[i];                                                                       \
            r = (step);                                                                                          \
        }                                                                                                        \
        pw_slot o;                                                                                               \
        o.u64 = r;                                                                                               \
        *d = o;                                                                                                  \
    }
REDUCE(v128_any_true, u64, 2, 0, r | (x != 0))
REDUCE(i8x16_all_true, u8, 16, 1, r &(x != 0))
REDUCE(i16x8_all_true, u16, 8, 1, r &(x != 0))
REDUCE(i32x4_all_true, u32, 4, 1, r &(x != 0))
REDUCE(i64x2_all_true, u64, 2, 1, r &(x != 0))
REDUCE(i8x16_bitmask, i8, 16, 0, r | (uint32_t)(x < 0) << i)
REDUCE(i16x8_bitmask, i16, 8, 0, r | (uint32_t)(x < 0) << i)
REDUCE(i32x4_bitmask, i32, 4, 0, r | (uint32_t)(x < 0) << i)
REDUCE(i64x2_bitmask, i64, 2, 0, r | (uint32_t)(x < 0) << i)

/* ---- integer arithmetic (wrapping: unsigned lanes) ---- */

/* clang-format off */
#define INT_ARITH(P, S, UT, CT, N)                                                                               \
    UN(P##_abs, S, N, (__typeof__(x))(CT)(x < 0 ? 0u - (CT)x : (CT)x)) UN(P##_neg, UT, N, (CT)(0u - x))           \
    BIN(P##_add, UT, N, (CT)(x + y)) BIN(P##_sub, UT, N, (CT)(x - y))                                            \
    SHIFT(P##_shl, UT, N, (CT)x << s) SHIFT(P##_shr_s, S, N, x >> s) SHIFT(P##_shr_u, UT, N, x >> s)
#define MIN_MAX(P, S, UT, N)                                                                                     \
    BIN(P##_min_s, S, N, x < y ? x : y) BIN(P##_min_u, UT, N, x < y ? x : y)                                      \
    BIN(P##_max_s, S, N, x > y ? x : y) BIN(P##_max_u, UT, N, x > y ? x : y)
#define SAT_ARITH(P, S, UT, N, SMIN, SMAX, UMAX)                                                                 \
    BIN(P##_add_sat_s, S, N, clamp((int32_t)x + y, SMIN, SMAX))                                                  \
    BIN(P##_add_sat_u, UT, N, clamp((int32_t)x + y, 0, UMAX))                                                    \
    BIN(P##_sub_sat_s, S, N, clamp((int32_t)x - y, SMIN, SMAX))                                                  \
    BIN(P##_sub_sat_u, UT, N, clamp((int32_t)x - y, 0, UMAX))                                                    \
    BIN(P##_avgr_u, UT, N, ((uint32_t)x + y + 1) >> 1)
/* clang-format on */
INT_ARITH(i8x16, i8, u8, uint32_t, 16)
INT_ARITH(i16x8, i16, u16, uint32_t, 8)
INT_ARITH(i32x4, i32, u32, uint32_t, 4)
INT_ARITH(i64x2, i64, u64, uint64_t, 2)
MIN_MAX(i8x16, i8, u8, 16)
MIN_MAX(i16x8, i16, u16, 8)
MIN_MAX(i32x4, i32, u32, 4)
SAT_ARITH(i8x16, i8, u8, 16, INT8_MIN, INT8_MAX, UINT8_MAX)
SAT_ARITH(i16x8, i16, u16, 8, INT16_MIN, INT16_MAX, UINT16_MAX)
BIN(i16x8_mul, u16, 8, (uint32_t)x *y)
BIN(i32x4_mul, u32, 4, x *y)
BIN(i64x2_mul, u64, 2, x *y)
UN(i8x16_popcnt, u8, 16, (uint8_t)__builtin_popcount(x))
BIN(i16x8_q15mulr_sat_s, i16, 8, q15mulr(x, y))
FN(i32x4_dot_i16x8_s) {
    v128 a = ld(pa), b = ld(pb), r;
    for (int i = 0; i < 4; i++)
        r.u32[i] =
            (uint32_t)((int64_t)a.i16[2 * i] * b.i16[2 * i] + (int64_t)a.i16[2 * i + 1] * b.i16[2 * i + 1]);
    st(d, r);
}

/* Narrowing: a's lanes then b's, saturated. */
#define NARROW(name, RT, T, N, lo, hi)                                                                           \
    FN(name) {                                                                                                   \
        v128 a = ld(pa), b = ld(pb), r;                                                                          \
        for (int i = 0; i < N; i++) {                                                                            \
            r.RT[i] = (__typeof__(r.RT[0]))clamp(a.T[i], lo, hi);                                                \
            r.RT[i + N] = (__typeof__(r.RT[0]))clamp(b.T[i], lo, hi);                                            \
        }                                                                                                        \
        st(d, r);                                                                                                \
    }
NARROW(i8x16_narrow_i16x8_s, i8, i16, 8, INT8_MIN, INT8_MAX)
NARROW(i8x16_narrow_i16x8_u, u8, i16, 8, 0, UINT8_MAX)
NARROW(i16x8_narrow_i32x4_s, i16, i32, 4, INT16_MIN, INT16_MAX)
NARROW(i16x8_narrow_i32x4_u, u16, i32, 4, 0, UINT16_MAX)

/* clang-format off */
#define WIDENING(P, Q, RS, RU, S, UT, N)                                                                         \
    EXT(P##_extend_low_##Q##_s, RS, S, N, 0) EXT(P##_extend_high_##Q##_s, RS, S, N, N)                           \
    EXT(P##_extend_low_##Q##_u, RU, UT, N, 0) EXT(P##_extend_high_##Q##_u, RU, UT, N, N)                         \
    EXTMUL(P##_extmul_low_##Q##_s, RS, S, N, 0) EXTMUL(P##_extmul_high_##Q##_s, RS, S, N, N)                     \
    EXTMUL(P##_extmul_low_##Q##_u, RU, UT, N, 0) EXTMUL(P##_extmul_high_##Q##_u, RU, UT, N, N)
/* clang-format on */
WIDENING(i16x8, i8x16, i16, u16, i8, u8, 8)
WIDENING(i32x4, i16x8, i32, u32, i16, u16, 4)
WIDENING(i64x2, i32x4, i64, u64, i32, u32, 2)
EXTADD(i16x8_extadd_pairwise_i8x16_s, i16, i8, 8)
EXTADD(i16x8_extadd_pairwise_i8x16_u, u16, u8, 8)
EXTADD(i32x4_extadd_pairwise_i16x8_s, i32, i16, 4)
EXTADD(i32x4_extadd_pairwise_i16x8_u, u32, u16, 4)

/* ---- float arithmetic ---- */

/* clang-format off */
#define FLOAT_ARITH(P, F, UT, N, SIGN, MIN, MAX, SUFFIX)                                                         \
    UN(P##_abs, UT, N, x & ~SIGN) UN(P##_neg, UT, N, x ^ SIGN) UN(P##_sqrt, F, N, sqrt##SUFFIX(x))               \
    BIN(P##_add, F, N, x + y) BIN(P##_sub, F, N, x - y) BIN(P##_mul, F, N, x * y) BIN(P##_div, F, N, x / y)      \
    BIN(P##_min, F, N, MIN(x, y)) BIN(P##_max, F, N, MAX(x, y))                                                  \
    BIN(P##_pmin, F, N, y < x ? y : x) BIN(P##_pmax, F, N, x < y ? y : x)                                        \
    UN(P##_ceil, F, N, round##SUFFIX##_w(x, 0)) UN(P##_floor, F, N, round##SUFFIX##_w(x, 1))                     \
    UN(P##_trunc, F, N, round##SUFFIX##_w(x, 2)) UN(P##_nearest, F, N, round##SUFFIX##_w(x, 3))
/* clang-format on */
FLOAT_ARITH(f32x4, f32, u32, 4, 0x80000000u, wminf, wmaxf, f)
FLOAT_ARITH(f64x2, f64, u64, 2, 0x8000000000000000ull, wmin, wmax, )

/* ---- conversions: N lanes converted, the rest zero ---- */

#define CONV(name, RT, T, N, expr)                                                                               \
    FN(name) {                                                                                                   \
        v128 a = ld(pa), r;                                                                                      \
        memset(&r, 0, sizeof r);                                                                                 \
        for (int i = 0; i < N; i++) {                                                                            \
            __typeof__(a.T[0]) x = a.T[i];                                                                       \
            r.RT[i] = (expr);                                                                                    \
        }                                                                                                        \
        st(d, r);                                                                                                \
    }
CONV(i32x4_trunc_sat_f32x4_s, i32, f32, 4, sat_i32(x))
CONV(i32x4_trunc_sat_f32x4_u, u32, f32, 4, sat_u32(x))
CONV(f32x4_convert_i32x4_s, f32, i32, 4, (float)x)
CONV(f32x4_convert_i32x4_u, f32, u32, 4, (float)x)
CONV(i32x4_trunc_sat_f64x2_s_zero, i32, f64, 2, sat_i32(x))
CONV(i32x4_trunc_sat_f64x2_u_zero, u32, f64, 2, sat_u32(x))
CONV(f64x2_convert_low_i32x4_s, f64, i32, 2, (double)x)
CONV(f64x2_convert_low_i32x4_u, f64, u32, 2, (double)x)
CONV(f32x4_demote_f64x2_zero, f32, f64, 2, (float)x)
CONV(f64x2_promote_low_f32x4, f64, f32, 2, (double)x)

/* ---- canonical NaNs (engines with canonicalize_nans) ---- */

UN(canon_f32, u32, 4, (x & 0x7fffffffu) > 0x7f800000u ? 0x7fc00000u : x)
UN(canon_f64, u64, 2, (x & 0x7fffffffffffffffull) > 0x7ff0000000000000ull ? 0x7ff8000000000000ull : x)

#undef U
#undef FN
#undef UN
#undef BIN
#undef CMP
#undef SHIFT
#undef EXT
#undef EXTMUL
#undef EXTADD
#undef LOAD_EXT
#undef LOAD_SPLAT
#undef LOAD_ZERO
#undef LANE_MEM
#undef SPLAT
#undef EXTRACT
#undef REPLACE
#undef INT_CMPS
#undef FLOAT_CMPS
#undef REDUCE
#undef INT_ARITH
#undef MIN_MAX
#undef SAT_ARITH
#undef NARROW
#undef WIDENING
#undef FLOAT_ARITH
#undef CONV

#endif
