/* Fixed-width SIMD (0xfd) on the native tier: the C of every instruction.
 *
 * A v128 is a GCC/clang vector (`wa_v128`, two u64 lanes) in generated code;
 * an instruction reinterprets it as the lane type it works on (a cast between
 * vector types of one size keeps the bits) and becomes one call of a
 * `v_<name>` helper of the SIMD prelude below, so gcc and clang see plain
 * vector operations (an add is one paddd/addps) and keep values in vector
 * registers. The prelude is written only into modules that use SIMD.
 *
 * Semantics are the interpreter's (simd_ops.h), lane for lane: wrapping
 * integer arithmetic on unsigned lanes, the same float expressions (IEEE
 * arithmetic, min/max with the NaN and signed-zero rules of wmath.h, NaN in
 * -> NaN + NaN out for the rounding instructions, promote through the same
 * opaque barrier as the scalar instruction), saturation by compare and
 * select. Instructions that have no vector form in C (rounding, sqrt,
 * saturating float->int, swizzle, bitmask) are lane loops over the very
 * expressions of the scalar instructions. The spec suite's SIMD scripts and
 * the differential test (scripts/difftier.sh --simd) check both tiers agree.
 */
#include <string.h>

#include "aot_simd.h"

/* clang-format off */
static const char SIMD_PRELUDE[] =
    "typedef wa_u64 wa_v128 __attribute__((vector_size(16)));\n"
    "typedef wa_u8 wa_u8x16 __attribute__((vector_size(16)));\n"
    "typedef wa_i8 wa_i8x16 __attribute__((vector_size(16)));\n"
    "typedef wa_u16 wa_u16x8 __attribute__((vector_size(16)));\n"
    "typedef wa_i16 wa_i16x8 __attribute__((vector_size(16)));\n"
    "typedef wa_u32 wa_u32x4 __attribute__((vector_size(16)));\n"
    "typedef wa_i32 wa_i32x4 __attribute__((vector_size(16)));\n"
    "typedef wa_i64 wa_i64x2 __attribute__((vector_size(16)));\n"
    "typedef float wa_f32x4 __attribute__((vector_size(16)));\n"
    "typedef double wa_f64x2 __attribute__((vector_size(16)));\n"
    "typedef wa_u8 wa_u8x8 __attribute__((vector_size(8)));\n"
    "typedef wa_i8 wa_i8x8 __attribute__((vector_size(8)));\n"
    "typedef wa_u16 wa_u16x4 __attribute__((vector_size(8)));\n"
    "typedef wa_i16 wa_i16x4 __attribute__((vector_size(8)));\n"
    "typedef wa_u32 wa_u32x2 __attribute__((vector_size(8)));\n"
    "typedef wa_i32 wa_i32x2 __attribute__((vector_size(8)));\n"
    "#define WV(x) ((wa_v128)(x))\n"
    "#define U8(x) ((wa_u8x16)(x))\n#define S8(x) ((wa_i8x16)(x))\n"
    "#define U16(x) ((wa_u16x8)(x))\n#define S16(x) ((wa_i16x8)(x))\n"
    "#define U32(x) ((wa_u32x4)(x))\n#define S32(x) ((wa_i32x4)(x))\n"
    "#define U64(x) ((wa_v128)(x))\n#define S64(x) ((wa_i64x2)(x))\n"
    "#define F32(x) ((wa_f32x4)(x))\n#define F64(x) ((wa_f64x2)(x))\n"
    /* lanes of x where the mask m (all ones or zero) is set, else of y */
    "#define W_SEL(m, x, y) ((WV(m) & WV(x)) | (~WV(m) & WV(y)))\n"
    "#define W_UN(n, e) static inline wa_v128 v_##n(wa_v128 a) { return WV(e); }\n"
    "#define W_BIN(n, e) static inline wa_v128 v_##n(wa_v128 a, wa_v128 b) { return WV(e); }\n"
    /* r.T[i] = e over x = a.T[i]: the instructions with no vector form in C */
    "#define W_LANES(n, T, N, e) static inline wa_v128 v_##n(wa_v128 a) { T r = (T)a; "
    "for (int i = 0; i < N; i++) { __typeof__(r[0]) x = r[i]; r[i] = (e); } return WV(r); }\n"
    "static inline wa_v128 w_ldv(const void *p) { wa_v128 r; __builtin_memcpy(&r, p, 16); return r; }\n"
    /* guard mode keeps a load (it may trap) by passing its value through an
     * asm; as an output ("+x") that register is what every use then reads,
     * where an input-only asm let gcc load again for a use under another
     * lane type (matmul's inner loop read each ci[j] twice: 0.64 -> 0.56 s) */
    "#define W_KEEPV(v) __asm__ volatile(\"\" : W_FPREG(v))\n"
    "static inline void w_stv(void *p, wa_v128 v) { __builtin_memcpy(p, &v, 16); }\n"
    "static inline wa_v128 w_v128c(wa_u64 lo, wa_u64 hi) { wa_v128 r = {lo, hi}; return r; }\n"
    /* a constant with a NaN in some f32 or f64 view is opaque, as scalar NaN
     * constants are (aot_prelude.c: gcc folds `x + NaN` to another NaN) */
    "static inline wa_v128 w_v128o(wa_u64 lo, wa_u64 hi) { wa_v128 r = {lo, hi}; __asm__(\"\" : W_FPREG(r)); "
    "return r; }\n"
    "#define W_LO16 0, 1, 2, 3, 4, 5, 6, 7\n#define W_HI16 8, 9, 10, 11, 12, 13, 14, 15\n"
    "#define W_LO8 0, 1, 2, 3\n#define W_HI8 4, 5, 6, 7\n#define W_LO4 0, 1\n#define W_HI4 2, 3\n"
    "#define W_EV16 0, 2, 4, 6, 8, 10, 12, 14\n#define W_OD16 1, 3, 5, 7, 9, 11, 13, 15\n"
    "#define W_EV8 0, 2, 4, 6\n#define W_OD8 1, 3, 5, 7\n"
    /* lanes `...` of x (type ST) converted to the wider WT */
    "#define W_HALF(x, ST, WT, ...) __builtin_convertvector(__builtin_shufflevector((ST)(x), (ST)(x), __VA_ARGS__), WT)\n"

    /* ---- memory (p: the checked address) ---- */
    "static inline wa_v128 v_v128_load(const wa_u8 *p) { return w_ldv(p); }\n"
    "static inline void v_v128_store(wa_u8 *p, wa_v128 v) { w_stv(p, v); }\n"
    "#define W_LDEXT(n, HT, WT) static inline wa_v128 v_##n(const wa_u8 *p) { HT t; __builtin_memcpy(&t, p, 8); "
    "return WV(__builtin_convertvector(t, WT)); }\n"
    "W_LDEXT(v128_load8x8_s, wa_i8x8, wa_i16x8) W_LDEXT(v128_load8x8_u, wa_u8x8, wa_u16x8)\n"
    "W_LDEXT(v128_load16x4_s, wa_i16x4, wa_i32x4) W_LDEXT(v128_load16x4_u, wa_u16x4, wa_u32x4)\n"
    "W_LDEXT(v128_load32x2_s, wa_i32x2, wa_i64x2) W_LDEXT(v128_load32x2_u, wa_u32x2, wa_v128)\n"
    /* splats as initialisers, which gcc and clang make one broadcast */
    "#define W_X2(x) x, x\n#define W_X4(x) W_X2(x), W_X2(x)\n#define W_X8(x) W_X4(x), W_X4(x)\n"
    "#define W_X16(x) W_X8(x), W_X8(x)\n"
    "#define W_SPLAT(n, T, VT, N) static inline wa_v128 v_##n(T x) { VT r = {W_X##N(x)}; return WV(r); }\n"
    "W_SPLAT(w_splat8, wa_u8, wa_u8x16, 16) W_SPLAT(w_splat16, wa_u16, wa_u16x8, 8)\n"
    "W_SPLAT(w_splat32, wa_u32, wa_u32x4, 4) W_SPLAT(w_splat64, wa_u64, wa_v128, 2)\n"
    "W_SPLAT(f32x4_splat, float, wa_f32x4, 4) W_SPLAT(f64x2_splat, double, wa_f64x2, 2)\n"
    "static inline wa_v128 v_i8x16_splat(wa_u32 x) { return v_w_splat8((wa_u8)x); }\n"
    "static inline wa_v128 v_i16x8_splat(wa_u32 x) { return v_w_splat16((wa_u16)x); }\n"
    "static inline wa_v128 v_i32x4_splat(wa_u32 x) { return v_w_splat32(x); }\n"
    "static inline wa_v128 v_i64x2_splat(wa_u64 x) { return v_w_splat64(x); }\n"
    "#define W_LDSPLAT(n, T, S) static inline wa_v128 v_##n(const wa_u8 *p) { T t; __builtin_memcpy(&t, p, sizeof t); "
    "return v_w_splat##S(t); }\n"
    "W_LDSPLAT(v128_load8_splat, wa_u8, 8) W_LDSPLAT(v128_load16_splat, wa_u16, 16)\n"
    "W_LDSPLAT(v128_load32_splat, wa_u32, 32) W_LDSPLAT(v128_load64_splat, wa_u64, 64)\n"
    "static inline wa_v128 v_v128_load32_zero(const wa_u8 *p) { wa_u32 t; __builtin_memcpy(&t, p, 4); "
    "wa_u32x4 r = {t, 0, 0, 0}; return WV(r); }\n"
    "static inline wa_v128 v_v128_load64_zero(const wa_u8 *p) { wa_u64 t; __builtin_memcpy(&t, p, 8); "
    "wa_v128 r = {t, 0}; return r; }\n"
    "#define W_LANEMEM(B, T, VT) \\\n"
    "static inline wa_v128 v_v128_load##B##_lane(const wa_u8 *p, wa_v128 a, int l) { VT r = (VT)a; T t; "
    "__builtin_memcpy(&t, p, sizeof t); r[l] = t; return WV(r); } \\\n"
    "static inline void v_v128_store##B##_lane(wa_u8 *p, wa_v128 a, int l) { T t = ((VT)a)[l]; "
    "__builtin_memcpy(p, &t, sizeof t); }\n"
    "W_LANEMEM(8, wa_u8, wa_u8x16) W_LANEMEM(16, wa_u16, wa_u16x8) W_LANEMEM(32, wa_u32, wa_u32x4) "
    "W_LANEMEM(64, wa_u64, wa_v128)\n"

    /* ---- lanes ---- */
    "#define W_EXTRACT(n, RT, VT, CAST) static inline RT v_##n(wa_v128 a, int l) { return (RT)(CAST)((VT)a)[l]; }\n"
    "#define W_REPLACE(n, XT, VT, LT) static inline wa_v128 v_##n(wa_v128 a, XT x, int l) { VT r = (VT)a; "
    "r[l] = (LT)x; return WV(r); }\n"
    "W_EXTRACT(i8x16_extract_lane_s, wa_u32, wa_i8x16, wa_i32) W_EXTRACT(i8x16_extract_lane_u, wa_u32, wa_u8x16, wa_u32)\n"
    "W_EXTRACT(i16x8_extract_lane_s, wa_u32, wa_i16x8, wa_i32) W_EXTRACT(i16x8_extract_lane_u, wa_u32, wa_u16x8, wa_u32)\n"
    "W_EXTRACT(i32x4_extract_lane, wa_u32, wa_u32x4, wa_u32) W_EXTRACT(i64x2_extract_lane, wa_u64, wa_v128, wa_u64)\n"
    "W_EXTRACT(f32x4_extract_lane, float, wa_f32x4, float) W_EXTRACT(f64x2_extract_lane, double, wa_f64x2, double)\n"
    "W_REPLACE(i8x16_replace_lane, wa_u32, wa_u8x16, wa_u8) W_REPLACE(i16x8_replace_lane, wa_u32, wa_u16x8, wa_u16)\n"
    "W_REPLACE(i32x4_replace_lane, wa_u32, wa_u32x4, wa_u32) W_REPLACE(i64x2_replace_lane, wa_u64, wa_v128, wa_u64)\n"
    "W_REPLACE(f32x4_replace_lane, float, wa_f32x4, float) W_REPLACE(f64x2_replace_lane, double, wa_f64x2, double)\n"
    "static inline wa_v128 v_i8x16_swizzle(wa_v128 a, wa_v128 b) { wa_u8x16 x = U8(a), y = U8(b), r; "
    "for (int i = 0; i < 16; i++) r[i] = y[i] < 16 ? x[y[i] & 15] : 0; return WV(r); }\n"

    /* ---- comparisons (a vector compare gives all ones or zero per lane) ---- */
    "#define W_ICMP(P, U, S) W_BIN(P##_eq, U(a) == U(b)) W_BIN(P##_ne, U(a) != U(b)) "
    "W_BIN(P##_lt_s, S(a) < S(b)) W_BIN(P##_lt_u, U(a) < U(b)) W_BIN(P##_gt_s, S(a) > S(b)) "
    "W_BIN(P##_gt_u, U(a) > U(b)) W_BIN(P##_le_s, S(a) <= S(b)) W_BIN(P##_le_u, U(a) <= U(b)) "
    "W_BIN(P##_ge_s, S(a) >= S(b)) W_BIN(P##_ge_u, U(a) >= U(b))\n"
    "#define W_FCMP(P, F) W_BIN(P##_eq, F(a) == F(b)) W_BIN(P##_ne, F(a) != F(b)) W_BIN(P##_lt, F(a) < F(b)) "
    "W_BIN(P##_gt, F(a) > F(b)) W_BIN(P##_le, F(a) <= F(b)) W_BIN(P##_ge, F(a) >= F(b))\n"
    "W_ICMP(i8x16, U8, S8) W_ICMP(i16x8, U16, S16) W_ICMP(i32x4, U32, S32)\n"
    "W_BIN(i64x2_eq, U64(a) == U64(b)) W_BIN(i64x2_ne, U64(a) != U64(b)) W_BIN(i64x2_lt_s, S64(a) < S64(b))\n"
    "W_BIN(i64x2_gt_s, S64(a) > S64(b)) W_BIN(i64x2_le_s, S64(a) <= S64(b)) W_BIN(i64x2_ge_s, S64(a) >= S64(b))\n"
    "W_FCMP(f32x4, F32) W_FCMP(f64x2, F64)\n"

    /* ---- bitwise ---- */
    "W_UN(v128_not, ~a) W_BIN(v128_and, a & b) W_BIN(v128_andnot, a & ~b) W_BIN(v128_or, a | b) "
    "W_BIN(v128_xor, a ^ b)\n"
    "static inline wa_v128 v_v128_bitselect(wa_v128 a, wa_v128 b, wa_v128 c) { return (a & c) | (b & ~c); }\n"
    "static inline wa_u32 v_v128_any_true(wa_v128 a) { return (a[0] | a[1]) != 0; }\n"
    "#define W_ALLTRUE(n, U) static inline wa_u32 v_##n(wa_v128 a) { return !v_v128_any_true(WV(U(a) == 0)); }\n"
    "W_ALLTRUE(i8x16_all_true, U8) W_ALLTRUE(i16x8_all_true, U16) W_ALLTRUE(i32x4_all_true, U32) "
    "W_ALLTRUE(i64x2_all_true, U64)\n"
    "#define W_BITMASK(n, VT, N) static inline wa_u32 v_##n(wa_v128 a) { VT x = (VT)a; wa_u32 r = 0; "
    "for (int i = 0; i < N; i++) r |= (wa_u32)(x[i] < 0) << i; return r; }\n"
    "W_BITMASK(i8x16_bitmask, wa_i8x16, 16) W_BITMASK(i16x8_bitmask, wa_i16x8, 8) "
    "W_BITMASK(i32x4_bitmask, wa_i32x4, 4) W_BITMASK(i64x2_bitmask, wa_i64x2, 2)\n"

    /* ---- integer arithmetic (wrapping: unsigned lanes) ---- */
    "#define W_IARITH(P, U, S, B) W_UN(P##_neg, -U(a)) W_UN(P##_abs, (U(a) ^ U(S(a) >> (B - 1))) - U(S(a) >> (B - 1))) "
    "W_BIN(P##_add, U(a) + U(b)) W_BIN(P##_sub, U(a) - U(b)) "
    "static inline wa_v128 v_##P##_shl(wa_v128 a, wa_u32 s) { return WV(U(a) << (s & (B - 1))); } "
    "static inline wa_v128 v_##P##_shr_s(wa_v128 a, wa_u32 s) { return WV(S(a) >> (s & (B - 1))); } "
    "static inline wa_v128 v_##P##_shr_u(wa_v128 a, wa_u32 s) { return WV(U(a) >> (s & (B - 1))); }\n"
    "#define W_MINMAX(P, U, S) W_BIN(P##_min_s, W_SEL(S(a) < S(b), a, b)) W_BIN(P##_min_u, W_SEL(U(a) < U(b), a, b)) "
    "W_BIN(P##_max_s, W_SEL(S(a) > S(b), a, b)) W_BIN(P##_max_u, W_SEL(U(a) > U(b), a, b))\n"
    /* saturation: unsigned by the carry/borrow mask; signed where the
     * operands' signs make the wrapped result's sign wrong, to MIN or MAX by
     * a's sign */
    "#define W_SAT(P, U, S, B, MAX) "
    "W_BIN(P##_add_sat_u, (U(a) + U(b)) | U(U(a) + U(b) < U(a))) "
    "W_BIN(P##_sub_sat_u, (U(a) - U(b)) & U(U(a) - U(b) <= U(a))) "
    "static inline wa_v128 v_##P##_add_sat_s(wa_v128 a, wa_v128 b) { __typeof__(S(a)) x = S(a), y = S(b), "
    "r = S(U(a) + U(b)); return W_SEL(((x ^ r) & (y ^ r)) >> (B - 1), (x >> (B - 1)) ^ MAX, r); } "
    "static inline wa_v128 v_##P##_sub_sat_s(wa_v128 a, wa_v128 b) { __typeof__(S(a)) x = S(a), y = S(b), "
    "r = S(U(a) - U(b)); return W_SEL(((x ^ y) & (x ^ r)) >> (B - 1), (x >> (B - 1)) ^ MAX, r); } "
    "W_BIN(P##_avgr_u, (U(a) | U(b)) - ((U(a) ^ U(b)) >> 1))\n"
    "W_IARITH(i8x16, U8, S8, 8) W_IARITH(i16x8, U16, S16, 16) W_IARITH(i32x4, U32, S32, 32) "
    "W_IARITH(i64x2, U64, S64, 64)\n"
    "W_MINMAX(i8x16, U8, S8) W_MINMAX(i16x8, U16, S16) W_MINMAX(i32x4, U32, S32)\n"
    "W_SAT(i8x16, U8, S8, 8, 0x7f) W_SAT(i16x8, U16, S16, 16, 0x7fff)\n"
    "W_BIN(i16x8_mul, U16(a) * U16(b)) W_BIN(i32x4_mul, U32(a) * U32(b)) W_BIN(i64x2_mul, U64(a) * U64(b))\n"
    "static inline wa_v128 v_i8x16_popcnt(wa_v128 a) { wa_u8x16 x = U8(a); x = x - ((x >> 1) & 0x55); "
    "x = (x & 0x33) + ((x >> 2) & 0x33); return WV((x + (x >> 4)) & 0x0f); }\n"
    "static inline wa_v128 v_i16x8_q15mulr_sat_s(wa_v128 a, wa_v128 b) { wa_i16x8 x = S16(a), y = S16(b), r; "
    "for (int i = 0; i < 8; i++) { wa_i32 p = ((wa_i32)x[i] * y[i] + 0x4000) >> 15; "
    "r[i] = (wa_i16)(p > 0x7fff ? 0x7fff : p); } return WV(r); }\n"
    "static inline wa_v128 v_i32x4_dot_i16x8_s(wa_v128 a, wa_v128 b) { "
    "return WV((wa_u32x4)W_HALF(a, wa_i16x8, wa_i32x4, W_EV8) * (wa_u32x4)W_HALF(b, wa_i16x8, wa_i32x4, W_EV8) + "
    "(wa_u32x4)W_HALF(a, wa_i16x8, wa_i32x4, W_OD8) * (wa_u32x4)W_HALF(b, wa_i16x8, wa_i32x4, W_OD8)); }\n"
    /* narrowing: a's lanes then b's, saturated */
    "#define W_NARROW(n, ST, RT, N, LO, HI) static inline wa_v128 v_##n(wa_v128 a, wa_v128 b) { "
    "ST x = (ST)a, y = (ST)b; RT r; for (int i = 0; i < N; i++) { "
    "r[i] = x[i] < LO ? LO : x[i] > HI ? HI : x[i]; r[i + N] = y[i] < LO ? LO : y[i] > HI ? HI : y[i]; } "
    "return WV(r); }\n"
    "W_NARROW(i8x16_narrow_i16x8_s, wa_i16x8, wa_i8x16, 8, -128, 127) "
    "W_NARROW(i8x16_narrow_i16x8_u, wa_i16x8, wa_u8x16, 8, 0, 255)\n"
    "W_NARROW(i16x8_narrow_i32x4_s, wa_i32x4, wa_i16x8, 4, -32768, 32767) "
    "W_NARROW(i16x8_narrow_i32x4_u, wa_i32x4, wa_u16x8, 4, 0, 65535)\n"
    /* widening: the signed forms convert to signed lanes, then multiply or
     * add as unsigned (wrapping, as the interpreter) */
    "#define W_WIDEN(P, Q, SS, SU, WS, WU, LO, HI) "
    "W_UN(P##_extend_low_##Q##_s, W_HALF(a, SS, WS, LO)) W_UN(P##_extend_high_##Q##_s, W_HALF(a, SS, WS, HI)) "
    "W_UN(P##_extend_low_##Q##_u, W_HALF(a, SU, WU, LO)) W_UN(P##_extend_high_##Q##_u, W_HALF(a, SU, WU, HI)) "
    "W_BIN(P##_extmul_low_##Q##_s, (WU)W_HALF(a, SS, WS, LO) * (WU)W_HALF(b, SS, WS, LO)) "
    "W_BIN(P##_extmul_high_##Q##_s, (WU)W_HALF(a, SS, WS, HI) * (WU)W_HALF(b, SS, WS, HI)) "
    "W_BIN(P##_extmul_low_##Q##_u, W_HALF(a, SU, WU, LO) * W_HALF(b, SU, WU, LO)) "
    "W_BIN(P##_extmul_high_##Q##_u, W_HALF(a, SU, WU, HI) * W_HALF(b, SU, WU, HI))\n"
    "W_WIDEN(i16x8, i8x16, wa_i8x16, wa_u8x16, wa_i16x8, wa_u16x8, W_LO16, W_HI16)\n"
    "W_WIDEN(i32x4, i16x8, wa_i16x8, wa_u16x8, wa_i32x4, wa_u32x4, W_LO8, W_HI8)\n"
    "W_WIDEN(i64x2, i32x4, wa_i32x4, wa_u32x4, wa_i64x2, wa_v128, W_LO4, W_HI4)\n"
    "W_UN(i16x8_extadd_pairwise_i8x16_s, (wa_u16x8)W_HALF(a, wa_i8x16, wa_i16x8, W_EV16) + "
    "(wa_u16x8)W_HALF(a, wa_i8x16, wa_i16x8, W_OD16))\n"
    "W_UN(i16x8_extadd_pairwise_i8x16_u, W_HALF(a, wa_u8x16, wa_u16x8, W_EV16) + W_HALF(a, wa_u8x16, wa_u16x8, W_OD16))\n"
    "W_UN(i32x4_extadd_pairwise_i16x8_s, (wa_u32x4)W_HALF(a, wa_i16x8, wa_i32x4, W_EV8) + "
    "(wa_u32x4)W_HALF(a, wa_i16x8, wa_i32x4, W_OD8))\n"
    "W_UN(i32x4_extadd_pairwise_i16x8_u, W_HALF(a, wa_u16x8, wa_u32x4, W_EV8) + W_HALF(a, wa_u16x8, wa_u32x4, W_OD8))\n"

    /* ---- float arithmetic ---- */
    /* min/max (wmath.h): NaN if either is (x + y), -0 < +0 (equal lanes:
     * the bits or-ed for min, and-ed for max), else the smaller/larger */
    "#define W_FMINMAX(P, F) "
    "static inline wa_v128 v_##P##_min(wa_v128 a, wa_v128 b) { __typeof__(F(a)) x = F(a), y = F(b); "
    "wa_v128 n = WV(x != x) | WV(y != y); wa_v128 r = (W_SEL(x < y, a, b) & ~WV(x == y)) | (WV(x == y) & (a | b)); "
    "return W_SEL(n, x + y, r); } "
    "static inline wa_v128 v_##P##_max(wa_v128 a, wa_v128 b) { __typeof__(F(a)) x = F(a), y = F(b); "
    "wa_v128 n = WV(x != x) | WV(y != y); wa_v128 r = (W_SEL(x > y, a, b) & ~WV(x == y)) | (WV(x == y) & (a & b)); "
    "return W_SEL(n, x + y, r); } "
    "W_BIN(P##_pmin, W_SEL(F(b) < F(a), b, a)) W_BIN(P##_pmax, W_SEL(F(a) < F(b), b, a)) "
    "W_BIN(P##_add, F(a) + F(b)) W_BIN(P##_sub, F(a) - F(b)) W_BIN(P##_mul, F(a) * F(b)) "
    "W_BIN(P##_div, F(a) / F(b))\n"
    "W_FMINMAX(f32x4, F32) W_FMINMAX(f64x2, F64)\n"
    "W_UN(f32x4_abs, U32(a) & 0x7fffffffu) W_UN(f32x4_neg, U32(a) ^ 0x80000000u)\n"
    "W_UN(f64x2_abs, a & 0x7fffffffffffffffull) W_UN(f64x2_neg, a ^ 0x8000000000000000ull)\n"
    "W_LANES(f32x4_sqrt, wa_f32x4, 4, __builtin_sqrtf(x)) W_LANES(f64x2_sqrt, wa_f64x2, 2, __builtin_sqrt(x))\n"
    "W_LANES(f32x4_ceil, wa_f32x4, 4, x != x ? x + x : w_ceilf(x)) "
    "W_LANES(f32x4_floor, wa_f32x4, 4, x != x ? x + x : w_floorf(x))\n"
    "W_LANES(f32x4_trunc, wa_f32x4, 4, x != x ? x + x : w_truncf(x)) "
    "W_LANES(f32x4_nearest, wa_f32x4, 4, x != x ? x + x : w_nearestf(x))\n"
    "W_LANES(f64x2_ceil, wa_f64x2, 2, x != x ? x + x : w_ceil(x)) "
    "W_LANES(f64x2_floor, wa_f64x2, 2, x != x ? x + x : w_floor(x))\n"
    "W_LANES(f64x2_trunc, wa_f64x2, 2, x != x ? x + x : w_trunc(x)) "
    "W_LANES(f64x2_nearest, wa_f64x2, 2, x != x ? x + x : w_nearest(x))\n"

    /* ---- conversions (lanes beyond the converted ones are zero) ---- */
    "static inline wa_v128 v_i32x4_trunc_sat_f32x4_s(wa_v128 a) { wa_f32x4 x = F32(a); "
    "wa_u32x4 r = {w_sat_i32(x[0]), w_sat_i32(x[1]), w_sat_i32(x[2]), w_sat_i32(x[3])}; return WV(r); }\n"
    "static inline wa_v128 v_i32x4_trunc_sat_f32x4_u(wa_v128 a) { wa_f32x4 x = F32(a); "
    "wa_u32x4 r = {w_sat_u32(x[0]), w_sat_u32(x[1]), w_sat_u32(x[2]), w_sat_u32(x[3])}; return WV(r); }\n"
    "static inline wa_v128 v_i32x4_trunc_sat_f64x2_s_zero(wa_v128 a) { wa_f64x2 x = F64(a); "
    "wa_u32x4 r = {w_sat_i32(x[0]), w_sat_i32(x[1]), 0, 0}; return WV(r); }\n"
    "static inline wa_v128 v_i32x4_trunc_sat_f64x2_u_zero(wa_v128 a) { wa_f64x2 x = F64(a); "
    "wa_u32x4 r = {w_sat_u32(x[0]), w_sat_u32(x[1]), 0, 0}; return WV(r); }\n"
    "W_UN(f32x4_convert_i32x4_s, __builtin_convertvector(S32(a), wa_f32x4))\n"
    "static inline wa_v128 v_f32x4_convert_i32x4_u(wa_v128 a) { wa_u32x4 x = U32(a); "
    "wa_f32x4 r = {(float)x[0], (float)x[1], (float)x[2], (float)x[3]}; return WV(r); }\n"
    "static inline wa_v128 v_f64x2_convert_low_i32x4_s(wa_v128 a) { wa_i32x4 x = S32(a); "
    "wa_f64x2 r = {(double)x[0], (double)x[1]}; return WV(r); }\n"
    "static inline wa_v128 v_f64x2_convert_low_i32x4_u(wa_v128 a) { wa_u32x4 x = U32(a); "
    "wa_f64x2 r = {(double)x[0], (double)x[1]}; return WV(r); }\n"
    "static inline wa_v128 v_f32x4_demote_f64x2_zero(wa_v128 a) { wa_f64x2 x = F64(a); "
    "wa_f32x4 r = {(float)x[0], (float)x[1], 0, 0}; return WV(r); }\n"
    "static inline wa_v128 v_f64x2_promote_low_f32x4(wa_v128 a) { wa_f32x4 x = F32(a); "
    "wa_f64x2 r = {w_promote(x[0]), w_promote(x[1])}; return WV(r); }\n"

    /* ---- canonical NaNs (canonicalize_nans) ---- */
    "static inline wa_v128 w_vcanonf(wa_v128 a) { return W_SEL((U32(a) & 0x7fffffffu) > 0x7f800000u, "
    "v_w_splat32(0x7fc00000u), a); }\n"
    "static inline wa_v128 w_vcanon(wa_v128 a) { return W_SEL((a & 0x7fffffffffffffffull) > 0x7ff0000000000000ull, "
    "v_w_splat64(0x7ff8000000000000ull), a); }\n";
/* clang-format on */

const char *pw_aot_simd_build_id(void) { return "aot-simd 1 " __DATE__ " " __TIME__; }

void pw_aot_simd_prelude(aot_buf *o) { pw_aot_buf_put(o, SIMD_PRELUDE, sizeof SIMD_PRELUDE - 1); }

bool pw_aot_simd_used(const wm_module *m) {
    for (uint32_t i = 0; i < m->ntypes; i++)
        if (memchr(m->types[i].types, WM_V128, m->types[i].nparams + m->types[i].nresults))
            return true;
    for (uint32_t i = 0; i < m->nglobals; i++)
        if (m->global_types[i].valtype == WM_V128)
            return true;
    /* every SIMD instruction has a 0xfd byte (an immediate may too: then
     * the prelude is written for nothing) */
    for (uint32_t i = 0; i < m->ncodes; i++)
        if (memchr(m->codes[i].body, WM_PREFIX_FD, m->codes[i].body_len) ||
            memchr(m->codes[i].local_types, WM_V128, m->codes[i].nlocals))
            return true;
    return false;
}

const wm_opinfo *pw_aot_simd_decode(const uint8_t **p, const uint8_t *end, aot_simd_ins *in) {
    uint32_t align = 0, mem = 0;
    if (!wm_read_u32(p, end, &in->sub, NULL))
        return NULL;
    const wm_opinfo *oi = wm_opinfo_of(WM_OPID(WM_PREFIX_FD, in->sub));
    if (!oi)
        return NULL;
    in->mem = oi->imm == WI_MEMARG || oi->imm == WI_MEMARG_LANE;
    /* a memarg: alignment, the memory index if bit 6 says so (validated to
     * be 0), the offset */
    if (in->mem && (!wm_read_u32(p, end, &align, NULL) || ((align & 0x40) && !wm_read_u32(p, end, &mem, NULL)) ||
                    !wm_read_u32(p, end, &in->offset, NULL)))
        return NULL;
    size_t n = oi->imm == WI_V128 || oi->imm == WI_SHUFFLE ? 16 : oi->imm == WI_LANE || oi->imm == WI_MEMARG_LANE;
    if ((size_t)(end - *p) < n)
        return NULL;
    memcpy(in->imm, *p, n);
    *p += n;
    return oi;
}

void pw_aot_slot(aot_buf *o, bool v128, const char *field, const char *arr, uint32_t k, const char *set) {
    if (set && v128)
        pw_aot_buf_printf(o, "w_stv(&%s[%u], %s); ", arr, k, set);
    else if (set)
        pw_aot_buf_printf(o, "%s[%u].%s = %s; ", arr, k, field, set);
    else if (v128)
        pw_aot_buf_printf(o, "w_ldv(&%s[%u])", arr, k);
    else
        pw_aot_buf_printf(o, "%s[%u].%s", arr, k, field);
}

uint32_t pw_aot_simd_access_size(uint32_t sub) {
    switch (sub) {
    case OP_v128_load8_splat & 0xffff:
    case OP_v128_load8_lane & 0xffff:
    case OP_v128_store8_lane & 0xffff: return 1;
    case OP_v128_load16_splat & 0xffff:
    case OP_v128_load16_lane & 0xffff:
    case OP_v128_store16_lane & 0xffff: return 2;
    case OP_v128_load32_splat & 0xffff:
    case OP_v128_load32_zero & 0xffff:
    case OP_v128_load32_lane & 0xffff:
    case OP_v128_store32_lane & 0xffff: return 4;
    case OP_v128_load & 0xffff:
    case OP_v128_store & 0xffff: return 16;
    default: return 8; /* load8x8 .. load32x2, 64-bit splat, zero and lane */
    }
}

/* Whether some f32 or f64 view of the 16 bytes holds a NaN. */
static bool has_nan(const uint8_t b[16]) {
    for (int i = 0; i < 16; i += 4) {
        uint32_t u =
            (uint32_t)b[i] | (uint32_t)b[i + 1] << 8 | (uint32_t)b[i + 2] << 16 | (uint32_t)b[i + 3] << 24;
        if ((u & 0x7fffffffu) > 0x7f800000u)
            return true;
    }
    for (int i = 0; i < 16; i += 8) {
        uint64_t u = 0;
        for (int k = 7; k >= 0; k--)
            u = u << 8 | b[i + k];
        if ((u & 0x7fffffffffffffffull) > 0x7ff0000000000000ull)
            return true;
    }
    return false;
}

void pw_aot_simd_emit(aot_buf *o, const aot_simd_ins *in) {
    const wm_opinfo *oi = wm_opinfo_of(WM_OPID(WM_PREFIX_FD, in->sub));
    const char *name = oi->text;
    if (in->sub == (OP_v128_const & 0xffff)) {
        uint64_t lo = 0, hi = 0;
        for (int k = 7; k >= 0; k--) {
            lo = lo << 8 | in->imm[k];
            hi = hi << 8 | in->imm[k + 8];
        }
        pw_aot_buf_printf(o, "  %s = %s(0x%llxull, 0x%llxull);\n", in->res,
                          has_nan(in->imm) ? "w_v128o" : "w_v128c", (unsigned long long)lo,
                          (unsigned long long)hi);
        return;
    }
    if (in->sub == (OP_i8x16_shuffle & 0xffff)) {
        pw_aot_buf_printf(o, "  %s = WV(__builtin_shufflevector(U8(%s), U8(%s)", in->res, in->ops[0], in->ops[1]);
        for (int k = 0; k < 16; k++)
            pw_aot_buf_printf(o, ", %u", in->imm[k] & 31);
        pw_aot_buf_printf(o, "));\n");
        return;
    }
    /* v_<name>([mem + ea, ]operands[, lane]) with the dots of the name as _ */
    bool mem = oi->imm == WI_MEMARG || oi->imm == WI_MEMARG_LANE;
    /* guard mode: a store is ordered with the accesses around it (W_ORDER) */
    bool order = mem && in->guard && !oi->result;
    pw_aot_buf_printf(o, "  %s%s%sv_", order ? "W_ORDER(); " : "", in->res[0] ? in->res : "",
                      in->res[0] ? " = " : "");
    for (const char *c = name; *c; c++)
        pw_aot_buf_put(o, *c == '.' ? "_" : c, 1);
    pw_aot_buf_printf(o, "(%s", mem ? "mem + ea" : "");
    for (uint32_t k = mem ? 1 : 0; k < oi->nargs; k++)
        pw_aot_buf_printf(o, "%s%s", k ? ", " : "", in->ops[k]);
    if (oi->imm == WI_LANE || oi->imm == WI_MEMARG_LANE)
        pw_aot_buf_printf(o, ", %u", in->imm[0]);
    pw_aot_buf_printf(o, ");%s", order ? " W_ORDER();" : "");
    /* guard mode: a load is kept even if its value is unused, so it traps */
    if (mem && in->guard && oi->result)
        pw_aot_buf_printf(o, " W_KEEPV(%s);", in->res);
    if (in->canon && (oi->flags & WF_NAN))
        pw_aot_buf_printf(o, " %s = %s(%s);", in->res, strncmp(name, "f32x4", 5) ? "w_vcanon" : "w_vcanonf",
                          in->res);
    pw_aot_buf_printf(o, "\n");
}
