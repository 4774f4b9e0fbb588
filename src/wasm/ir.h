/* The interpreter's internal code: what compile.c emits and interp.c runs.
 *
 * Each function body is translated once, at load time, into an array of
 * 64-bit code words. An instruction is a handler word (a computed-goto label
 * address, or an opcode number in the portable build) followed by operand
 * words. Operands name frame slots: a function's frame is an array of 64-bit
 * slots holding its parameters, then its locals, then one slot per operand
 * stack position (the position of a value on the wasm operand stack is known
 * statically, so every value has a fixed home). local.get does not copy: an
 * instruction reads the local's slot directly; a result feeding local.set is
 * written straight into the local. Branch targets are resolved to relative
 * word offsets, so nothing scans for `end` or `else` at run time.
 *
 * Operand word layouts (a/b are 32-bit halves of one word, `.s.a`, `.s.b`):
 *   unary        [h][d|a]
 *   binary       [h][d|a][b]        binary-imm  [h][d|a][imm]
 *   load         [h][d|addr][addend|offset]  ea = (u32)(addr + addend) + offset
 *   store        [h][addr|val][addend|offset]
 *   br           [h][rel]           br_if/unless [h][cond][rel]
 *   br_<cmp>     [h][a|b][rel]      br_<cmp>_imm [h][a|imm32][rel]
 *   br_table     [h][idx|n][rel_0]..[rel_n]   (rel_n is the default)
 *   call         [h][func|base]     base = first argument slot; callee frame starts there
 *   call_direct  [h][cfunc*][base]  a function defined in the same module
 *   call_indirect [h][type|table][base|idx]
 *   check        [h][cost]          fuel/interrupt check (before a br_table into loops)
 *   call*_chk    as call*, and charge the callee's entry cost first (engines
 *                with fuel or interruption)
 *   simd         [h][fn][d|a][b|c][imm0][imm1]   a v128 is two slots from
 *                its index on; fn indexes pw_simd_ops (simd.h)
 *   simd_mem     [h][fn][d|addr][addend|offset][size|v][lane]
 *   const128     [h][d|-][lo][hi]   both halves of a v128 constant
 * Relative offsets are in words, from the start of the instruction.
 */
#ifndef PORTALIS_WASM_IR_H
#define PORTALIS_WASM_IR_H

#include <stdint.h>

#include "opcodes.h"

typedef union pw_code {
    const void *h;
    const void *p;
    uint64_t u;
    int64_t i;
    struct {
        uint32_t a, b;
    } s;
} pw_code;

/* The numeric wasm opcodes (0x45..0xc4, then the 0xfc saturating
 * truncations) are IR ops of their own, one-to-one and in opcode order: the
 * first block of the IR is made from opcodes.h's numeric families, so
 * IR_i32_eqz + (op - OP_i32_eqz) is the IR op of numeric opcode op. */
/* Binary ops with an immediate second operand (float immediates are bit patterns). */
/* clang-format off */
#define IR_IMM(X)                                                                                  \
    X(i32_add_imm) X(i32_sub_imm) X(i32_mul_imm) X(i32_and_imm) X(i32_or_imm) X(i32_xor_imm)       \
    X(i32_shl_imm) X(i32_shr_s_imm) X(i32_shr_u_imm) X(i32_eq_imm) X(i32_ne_imm) X(i32_lt_s_imm)   \
    X(i32_lt_u_imm) X(i32_gt_s_imm) X(i32_gt_u_imm) X(i32_le_s_imm) X(i32_le_u_imm)                \
    X(i32_ge_s_imm) X(i32_ge_u_imm) X(i64_add_imm) X(i64_sub_imm) X(i64_mul_imm) X(i64_and_imm)    \
    X(i64_or_imm) X(i64_xor_imm) X(i64_shl_imm) X(i64_shr_s_imm) X(i64_shr_u_imm) X(i64_eq_imm)    \
    X(i64_ne_imm) X(i64_lt_s_imm) X(i64_lt_u_imm) X(i64_gt_s_imm) X(i64_gt_u_imm)                  \
    X(i64_le_s_imm) X(i64_le_u_imm) X(i64_ge_s_imm) X(i64_ge_u_imm) X(f32_add_imm) X(f32_sub_imm)  \
    X(f32_mul_imm) X(f32_div_imm) X(f64_add_imm) X(f64_sub_imm) X(f64_mul_imm) X(f64_div_imm)
/* clang-format on */

/* Compare-and-branch fusions (i32 only), slot/slot and slot/immediate. */
/* clang-format off */
#define IR_BRCMP(X)                                                                                \
    X(br_eq) X(br_ne) X(br_lt_s) X(br_lt_u) X(br_gt_s) X(br_gt_u) X(br_le_s) X(br_le_u) X(br_ge_s) \
    X(br_ge_u) X(br_eq_imm) X(br_ne_imm) X(br_lt_s_imm) X(br_lt_u_imm) X(br_gt_s_imm)             \
    X(br_gt_u_imm) X(br_le_s_imm) X(br_le_u_imm) X(br_ge_s_imm) X(br_ge_u_imm)
/* clang-format on */

/* Binary ops whose second operand comes straight from memory (a load fused
 * into its consumer): [h][d|a][addr|addend][offset]. The _rmw forms also
 * store the result back to the same address (x = a OP x in memory), for a
 * store that follows at the same address. */
/* clang-format off */
#define IR_LOADOP(X)                                                                                   \
    X(f32_add_load) X(f32_sub_load) X(f32_mul_load) X(f32_div_load) X(f64_add_load) X(f64_sub_load)    \
    X(f64_mul_load) X(f64_div_load) X(i32_add_load) X(i32_sub_load) X(i32_mul_load) X(i32_and_load)    \
    X(i32_or_load) X(i32_xor_load) X(i64_add_load) X(i64_sub_load) X(i64_mul_load) X(i64_and_load)     \
    X(i64_or_load) X(i64_xor_load) X(f32_add_rmw) X(f32_sub_rmw) X(f32_mul_rmw) X(f32_div_rmw)          \
    X(f64_add_rmw) X(f64_sub_rmw) X(f64_mul_rmw) X(f64_div_rmw) X(i32_add_rmw) X(i32_sub_rmw)          \
    X(i32_mul_rmw) X(i32_and_rmw) X(i32_or_rmw) X(i32_xor_rmw) X(i64_add_rmw) X(i64_sub_rmw)           \
    X(i64_mul_rmw) X(i64_and_rmw) X(i64_or_rmw) X(i64_xor_rmw)
/* clang-format on */

/* Loop back-edges when the engine checks fuel or interrupts: the branch of
 * the same name plus a trailing word holding the fuel cost of one iteration. */
/* clang-format off */
#define IR_BACK(X)                                                                                     \
    X(br_back) X(br_if_back) X(br_unless_back) X(br_eq_back) X(br_ne_back) X(br_lt_s_back)             \
    X(br_lt_u_back) X(br_gt_s_back) X(br_gt_u_back) X(br_le_s_back) X(br_le_u_back) X(br_ge_s_back)    \
    X(br_ge_u_back) X(br_eq_imm_back) X(br_ne_imm_back) X(br_lt_s_imm_back) X(br_lt_u_imm_back)        \
    X(br_gt_s_imm_back) X(br_gt_u_imm_back) X(br_le_s_imm_back) X(br_le_u_imm_back)                    \
    X(br_ge_s_imm_back) X(br_ge_u_imm_back)
/* clang-format on */

/* Loads and stores addressing "slot + slot + offset" (a deferred i32.add),
 * in the order of the plain forms: [h][d|a][b|offset], [h][a|val][b|offset]. */
/* clang-format off */
#define IR_X2(X)                                                                                       \
    X(load32_x2) X(load64_x2) X(load8s32_x2) X(load8u32_x2) X(load16s32_x2) X(load16u32_x2)            \
    X(load8s64_x2) X(load8u64_x2) X(load16s64_x2) X(load16u64_x2) X(load32s64_x2) X(load32u64_x2)      \
    X(store32_x2) X(store64_x2) X(store8_x2) X(store16_x2)
/* clang-format on */

/* Stores of a constant: [h][addr|imm32][addend|offset] (store64: imm in word 3). */
#define IR_STOREI(X) X(store32_imm) X(store64_imm) X(store8_imm) X(store16_imm)

/* i64 compare-and-branch: [h][a|b][rel], immediate forms compare with a
 * sign-extended 32-bit immediate; then their back-edge forms (trailing cost
 * word), in the same order. */
/* clang-format off */
#define IR_BRCMP64(X)                                                                                  \
    X(br64_eq) X(br64_ne) X(br64_lt_s) X(br64_lt_u) X(br64_gt_s) X(br64_gt_u) X(br64_le_s)             \
    X(br64_le_u) X(br64_ge_s) X(br64_ge_u) X(br64_eq_imm) X(br64_ne_imm) X(br64_lt_s_imm)              \
    X(br64_lt_u_imm) X(br64_gt_s_imm) X(br64_gt_u_imm) X(br64_le_s_imm) X(br64_le_u_imm)               \
    X(br64_ge_s_imm) X(br64_ge_u_imm) X(br64_eq_back) X(br64_ne_back) X(br64_lt_s_back)                \
    X(br64_lt_u_back) X(br64_gt_s_back) X(br64_gt_u_back) X(br64_le_s_back) X(br64_le_u_back)          \
    X(br64_ge_s_back) X(br64_ge_u_back) X(br64_eq_imm_back) X(br64_ne_imm_back)                        \
    X(br64_lt_s_imm_back) X(br64_lt_u_imm_back) X(br64_gt_s_imm_back) X(br64_gt_u_imm_back)            \
    X(br64_le_s_imm_back) X(br64_le_u_imm_back) X(br64_ge_s_imm_back) X(br64_ge_u_imm_back)
/* clang-format on */

/* Loop closers: an i32 add-immediate fused with the compare-and-branch on
 * its result, d = s + k; if (d CMP imm) jump: [h][d|s][rel][k|imm], and the
 * back-edge forms with a trailing cost word. */
/* clang-format off */
#define IR_INCBR(X)                                                                                    \
    X(inc_br_eq) X(inc_br_ne) X(inc_br_lt_s) X(inc_br_lt_u) X(inc_br_gt_s) X(inc_br_gt_u)              \
    X(inc_br_le_s) X(inc_br_le_u) X(inc_br_ge_s) X(inc_br_ge_u) X(inc_br_eq_back) X(inc_br_ne_back)    \
    X(inc_br_lt_s_back) X(inc_br_lt_u_back) X(inc_br_gt_s_back) X(inc_br_gt_u_back)                    \
    X(inc_br_le_s_back) X(inc_br_le_u_back) X(inc_br_ge_s_back) X(inc_br_ge_u_back)
/* clang-format on */

/* a * b + c and a * b - c with the product rounded first (no fused
 * multiply-add): [h][d|a][b|c]. */
#define IR_MULADD(X) X(f32_muladd) X(f64_muladd) X(f32_mulsub) X(f64_mulsub)

/* Two chained memory-operand additions, d = (a + m1) + m2 (sums of
 * neighbours in stencils): [h][d|a][addr1|k1][off1][addr2|k2][off2]. */
#define IR_LOADADD2(X) X(f32_add_load2) X(f64_add_load2) X(i32_add_load2) X(i64_add_load2)

/* m2 += a * m1 (the product rounded first), the inner step of matrix and
 * vector kernels: [h][-|a][addr1|k1][off1][addr2|k2][off2]. */
#define IR_AXPY(X) X(f32_axpy) X(f64_axpy)

/* f32 and f64 compare-and-branch: [h][a|b][rel]. The plain forms branch
 * when the comparison holds, the _n forms when it does not (a NaN operand
 * makes every ordered comparison false, so "not lt" is not "ge"). */
/* clang-format off */
#define IR_BRCMPF(X)                                                                                   \
    X(brf32_eq) X(brf32_ne) X(brf32_lt) X(brf32_gt) X(brf32_le) X(brf32_ge) X(brf32_nlt) X(brf32_ngt)  \
    X(brf32_nle) X(brf32_nge) X(brf64_eq) X(brf64_ne) X(brf64_lt) X(brf64_gt) X(brf64_le) X(brf64_ge)  \
    X(brf64_nlt) X(brf64_ngt) X(brf64_nle) X(brf64_nge)
/* clang-format on */

/* Scaled-index address arithmetic, `base + index * scale + addend` in i32
 * (an i32.shl or i32.mul by a constant feeding an i32.add), on its own,
 * d = a + b * m + k: [h][d|a][b|m][k]; and as the address of a load or a
 * store, ea = (u32)(base + idx * m + k) + offset:
 * [h][d|base][idx|m][k|offset], [h][base|val][idx|m][k|offset]. */
#define IR_SCALED(X) X(i32_add_scaled) X(load32_sc) X(load64_sc) X(store32_sc) X(store64_sc)

/* A select whose condition is a comparison, d = x CMP y ? a : b:
 * [h][d|x][y|a][b]; and two i32 additions of constants in a row (pointer
 * and counter steps), d1 = a1 + k1 then d2 = a2 + k2: [h][d2|a2][d1|a1][k2|k1]. */
/* clang-format off */
#define IR_SELCMP(X)                                                                                   \
    X(select_i32_lt_s) X(select_i32_lt_u) X(select_i32_gt_s) X(select_i32_gt_u) X(select_f32_lt)       \
    X(select_f32_gt) X(select_f64_lt) X(select_f64_gt) X(i32_add_imm2)
/* clang-format on */

/* x ^ (y >> k) and x ^ (y << k), the steps of xorshift generators and hash
 * finalisers: [h][d|a][b|k]. */
#define IR_XORSH(X) X(i32_xor_shr_u) X(i32_xor_shl) X(i64_xor_shr_u) X(i64_xor_shl)

/* Two i64 stores of constants in a row (memset loops): both instructions
 * as they were, the second's handler word unused, so a trap in the second
 * reports its own offset: [h][addr|-][addend|offset][imm][-][addr|-][addend|offset][imm]. */
#define IR_STOREI2(X) X(store64_imm2)

/* A load whose value a branch tests, the value still written to d (a trap
 * reports the load): br_if / br_unless of an i32 load,
 * [h][d|addr][rel][addend|offset]; and a compare-and-branch of the loaded
 * value with slot b, v CMP b (brl32: i32 load, brl64: i64 load), the same
 * with [b|-] after. */
/* clang-format off */
#define IR_BRLOAD(X)                                                                                   \
    X(br_load32_if) X(br_load32_unless) X(brl32_eq) X(brl32_ne) X(brl32_lt_s) X(brl32_lt_u)            \
    X(brl32_gt_s) X(brl32_gt_u) X(brl32_le_s) X(brl32_le_u) X(brl32_ge_s) X(brl32_ge_u) X(brl64_eq)    \
    X(brl64_ne) X(brl64_lt_s) X(brl64_lt_u) X(brl64_gt_s) X(brl64_gt_u) X(brl64_le_s) X(brl64_le_u)    \
    X(brl64_ge_s) X(brl64_ge_u)
/* clang-format on */

/* The terms of a squared distance: t = a - m (m from memory, as the _load
 * ops), written to slot t, then d = t * t, or d = t * t + z (each product
 * rounded first): [h][d|a][addr|addend][offset][t|z]. */
#define IR_SQDIFF(X) X(f32_sqdiff_load) X(f64_sqdiff_load) X(f32_sqdiff_add_load) X(f64_sqdiff_add_load)

/* d = (a ^ (b >> k)) * m (SplitMix64 and murmur finalisers):
 * [h][d|a][b|k][m]; and a * b + c stored to memory (the product rounded
 * first, as muladd): [h][a|b][c|addr][addend|offset]. */
#define IR_XSMUL(X) X(i32_xor_shr_mul) X(i64_xor_shr_mul) X(f32_muladd_store) X(f64_muladd_store)

/* A store and the i32 addition of a constant after it (pointer steps), both
 * instructions as they were, the second's handler word unused:
 * [h][addr|val][addend|offset][-][d|s][k]. */
#define IR_STOREADD(X) X(store32_add) X(store64_add)

/* Loop closers that also step a pointer: p = q + k2 first, then as
 * inc_br: [h][d|s][rel][k|imm][p|q][k2] (no back-edge forms: not used
 * where the loop's back-edge checks limits); and four i64 stores of
 * constants in a row, as store64_imm2 twice (memset loops, 16 words). */
/* clang-format off */
#define IR_INC2BR(X)                                                                                   \
    X(inc2_br_eq) X(inc2_br_ne) X(inc2_br_lt_s) X(inc2_br_lt_u) X(inc2_br_gt_s) X(inc2_br_gt_u)        \
    X(inc2_br_le_s) X(inc2_br_le_u) X(inc2_br_ge_s) X(inc2_br_ge_u) X(store64_imm4)
/* clang-format on */

/* f32/f64 ceil, floor, trunc and nearest as one SSE4.1 roundss/roundsd
 * each, the layout of the unary ops; the translator picks them instead of
 * IR_f32_ceil.. when PW_ROUND_SSE41 and the CPU has SSE4.1 (compile.c). */
/* clang-format off */
#define IR_ROUND(X)                                                                                    \
    X(f32_ceil_sse41) X(f32_floor_sse41) X(f32_trunc_sse41) X(f32_nearest_sse41) X(f64_ceil_sse41)     \
    X(f64_floor_sse41) X(f64_trunc_sse41) X(f64_nearest_sse41)
/* clang-format on */
/* floor(a * b), the product rounded first, with SSE4.1 (the grid cell of a
 * coordinate, x * (1 / cell)): [h][d|a][b]. */
#define IR_MULFLOOR(X) X(f64_mul_floor_sse41)
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(PW_NO_COMPUTED_GOTO)
#define PW_ROUND_SSE41 1
#else
#define PW_ROUND_SSE41 0 /* the handlers of IR_ROUND are the portable ones, never chosen */
#endif

/* SIMD instructions frequent in vectorised loops, each with a handler of
 * its own that inlines its function of simd_ops.h instead of calling it
 * through the table; the same layout as `simd`, and `simd_mem` for the
 * memory ones. P(X, name) is applied to each. */
/* clang-format off */
#define IR_SIMD_FAST(X, P)                                                                             \
    P(X, v128_and) P(X, v128_or) P(X, v128_xor) P(X, v128_andnot) P(X, v128_bitselect)                 \
    P(X, i8x16_add) P(X, i8x16_sub) P(X, i16x8_add) P(X, i16x8_sub) P(X, i16x8_mul) P(X, i32x4_add)    \
    P(X, i32x4_sub) P(X, i32x4_mul) P(X, i32x4_shl) P(X, i32x4_shr_s) P(X, i32x4_shr_u)                \
    P(X, i64x2_add) P(X, i64x2_sub) P(X, f32x4_add) P(X, f32x4_sub) P(X, f32x4_mul) P(X, f32x4_div)    \
    P(X, f64x2_add) P(X, f64x2_sub) P(X, f64x2_mul) P(X, f64x2_div) P(X, i8x16_shuffle)                \
    P(X, i32x4_splat) P(X, f32x4_splat) P(X, f64x2_splat) P(X, i32x4_extract_lane)                     \
    P(X, f32x4_extract_lane) P(X, f64x2_extract_lane)
#define IR_SIMD_FAST_MEM(X, P)                                                                         \
    P(X, v128_load) P(X, v128_store) P(X, v128_load32_splat) P(X, v128_load64_splat) P(X, v128_load32_lane)   \
    P(X, v128_load64_lane)
/* clang-format on */

/* SIMD superinstructions of vectorised loops (a v128.load feeding a lane
 * op, the result stored back where the load read): P(X, op) gives
 * IR_simd_<op>_load, d = a OP mem[ea]: [h][fn][d|a][addr|addend][offset][-];
 * IR_simd_<op>_rmw, mem[ea] = a OP mem[ea] (the same layout, d unused); and
 * for the float adds IR_simd_<shape>_axpy, mem2 += a * mem1 (the product
 * rounded first): [h][fn|a][addr1|addend1][offset1][addr2|addend2][offset2].
 * fn is the sub-opcode of the op (of the add, for axpy). */
/* clang-format off */
#define IR_SIMD_LOADOP(X, P)                                                                           \
    P(X, f32x4_add) P(X, f32x4_sub) P(X, f32x4_mul) P(X, f64x2_add) P(X, f64x2_sub) P(X, f64x2_mul)   \
    P(X, i32x4_add) P(X, i32x4_sub) P(X, i32x4_mul)
/* clang-format on */
#define IR_SIMD_LOAD_NAME(X, n) X(simd_##n##_load)
#define IR_SIMD_RMW_NAME(X, n) X(simd_##n##_rmw)
#define IR_SIMD_AXPY(X) X(simd_f32x4_axpy) X(simd_f64x2_axpy)

/* clang-format off */
#define IR_MISC(X)                                                                                 \
    X(unreachable) X(br) X(br_if) X(br_unless) X(br_table) X(copy) X(const) X(ret) X(ret1)         \
    X(call) X(call_direct) X(call_indirect) X(call_chk) X(call_direct_chk) X(call_indirect_chk) X(select) X(global_get) X(global_set)                                 \
    X(load32) X(load64) X(load8s32) X(load8u32) X(load16s32) X(load16u32) X(load8s64) X(load8u64)  \
    X(load16s64) X(load16u64) X(load32s64) X(load32u64) X(store32) X(store64) X(store8) X(store16) \
    X(memory_size) X(memory_grow) X(memory_fill) X(memory_copy) X(memory_init) X(data_drop)        \
    X(table_get) X(table_set) X(table_size) X(table_grow) X(table_fill) X(table_copy) X(table_init) \
    X(elem_drop) X(ref_is_null) X(ref_func) X(check) X(f32_canon) X(f64_canon)                    \
    X(global_get128) X(global_set128) X(simd) X(simd_mem) X(const128)
/* clang-format on */

/* Every IR op in enum order: X(n) for the IR's own ops, XOP(table line) for
 * those made from the opcode table (the op is IR_<ir column>). */
/* clang-format off */
#define IR_ALL(X, XOP)                                                                                           \
    WM_OPS_NUMERIC(XOP) WM_OPS_FC_SAT(XOP)                                                                       \
    IR_IMM(X) IR_BRCMP(X) IR_LOADOP(X) IR_BACK(X) IR_X2(X) IR_STOREI(X) IR_BRCMP64(X) IR_INCBR(X) IR_MULADD(X)   \
    IR_LOADADD2(X) IR_AXPY(X) IR_BRCMPF(X) IR_SCALED(X) IR_SELCMP(X) IR_XORSH(X) IR_STOREI2(X) IR_BRLOAD(X) IR_SQDIFF(X) IR_XSMUL(X) IR_STOREADD(X) IR_INC2BR(X) IR_ROUND(X) IR_MULFLOOR(X) IR_MISC(X) IR_SIMD_FAST(X, IR_SIMD_NAME) IR_SIMD_FAST_MEM(X, IR_SIMD_NAME)        \
    IR_SIMD_LOADOP(X, IR_SIMD_LOAD_NAME) IR_SIMD_LOADOP(X, IR_SIMD_RMW_NAME) IR_SIMD_AXPY(X)
/* clang-format on */
/* The fast SIMD ops are IR_simd_<instruction name>. */
#define IR_SIMD_NAME(X, n) X(simd_##n)

enum {
#define IR_ENUM(n) IR_##n,
#define IR_ENUM_OP(name, code, text, imm, sig, flags, align, ir) IR_##ir,
    IR_ALL(IR_ENUM, IR_ENUM_OP)
#undef IR_ENUM
#undef IR_ENUM_OP
        IR_COUNT
};

/* Handler words for each IR opcode (label addresses with computed goto,
 * opcode numbers otherwise). Provided by interp.c. */
const void *const *pw_interp_handlers(void);

#endif
