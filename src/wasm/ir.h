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
 * Relative offsets are in words, from the start of the instruction.
 */
#ifndef PORTALIS_WASM_IR_H
#define PORTALIS_WASM_IR_H

#include <stdint.h>

typedef union pw_code {
    const void *h;
    const void *p;
    uint64_t u;
    int64_t i;
    struct {
        uint32_t a, b;
    } s;
} pw_code;

/* Numeric wasm opcodes 0x45..0xc4 map one-to-one onto IR_NUM_BASE + (op - 0x45). */
/* clang-format off */
#define IR_NUMERIC(X)                                                                              \
    X(i32_eqz) X(i32_eq) X(i32_ne) X(i32_lt_s) X(i32_lt_u) X(i32_gt_s) X(i32_gt_u) X(i32_le_s)     \
    X(i32_le_u) X(i32_ge_s) X(i32_ge_u) X(i64_eqz) X(i64_eq) X(i64_ne) X(i64_lt_s) X(i64_lt_u)     \
    X(i64_gt_s) X(i64_gt_u) X(i64_le_s) X(i64_le_u) X(i64_ge_s) X(i64_ge_u) X(f32_eq) X(f32_ne)    \
    X(f32_lt) X(f32_gt) X(f32_le) X(f32_ge) X(f64_eq) X(f64_ne) X(f64_lt) X(f64_gt) X(f64_le)      \
    X(f64_ge) X(i32_clz) X(i32_ctz) X(i32_popcnt) X(i32_add) X(i32_sub) X(i32_mul) X(i32_div_s)    \
    X(i32_div_u) X(i32_rem_s) X(i32_rem_u) X(i32_and) X(i32_or) X(i32_xor) X(i32_shl) X(i32_shr_s) \
    X(i32_shr_u) X(i32_rotl) X(i32_rotr) X(i64_clz) X(i64_ctz) X(i64_popcnt) X(i64_add)            \
    X(i64_sub) X(i64_mul) X(i64_div_s) X(i64_div_u) X(i64_rem_s) X(i64_rem_u) X(i64_and)           \
    X(i64_or) X(i64_xor) X(i64_shl) X(i64_shr_s) X(i64_shr_u) X(i64_rotl) X(i64_rotr) X(f32_abs)   \
    X(f32_neg) X(f32_ceil) X(f32_floor) X(f32_trunc) X(f32_nearest) X(f32_sqrt) X(f32_add)         \
    X(f32_sub) X(f32_mul) X(f32_div) X(f32_min) X(f32_max) X(f32_copysign) X(f64_abs) X(f64_neg)   \
    X(f64_ceil) X(f64_floor) X(f64_trunc) X(f64_nearest) X(f64_sqrt) X(f64_add) X(f64_sub)         \
    X(f64_mul) X(f64_div) X(f64_min) X(f64_max) X(f64_copysign) X(i32_wrap_i64)                    \
    X(i32_trunc_f32_s) X(i32_trunc_f32_u) X(i32_trunc_f64_s) X(i32_trunc_f64_u)                    \
    X(i64_extend_i32_s) X(i64_extend_i32_u) X(i64_trunc_f32_s) X(i64_trunc_f32_u)                  \
    X(i64_trunc_f64_s) X(i64_trunc_f64_u) X(f32_convert_i32_s) X(f32_convert_i32_u)                \
    X(f32_convert_i64_s) X(f32_convert_i64_u) X(f32_demote_f64) X(f64_convert_i32_s)               \
    X(f64_convert_i32_u) X(f64_convert_i64_s) X(f64_convert_i64_u) X(f64_promote_f32)              \
    X(i32_reinterpret_f32) X(i64_reinterpret_f64) X(f32_reinterpret_i32) X(f64_reinterpret_i64)   \
    X(i32_extend8_s) X(i32_extend16_s) X(i64_extend8_s) X(i64_extend16_s) X(i64_extend32_s)
/* clang-format on */

/* Saturating truncations (0xfc 0..7), in opcode order. */
/* clang-format off */
#define IR_TRUNC_SAT(X)                                                                            \
    X(i32_trunc_sat_f32_s) X(i32_trunc_sat_f32_u) X(i32_trunc_sat_f64_s) X(i32_trunc_sat_f64_u)    \
    X(i64_trunc_sat_f32_s) X(i64_trunc_sat_f32_u) X(i64_trunc_sat_f64_s) X(i64_trunc_sat_f64_u)
/* clang-format on */

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

/* clang-format off */
#define IR_MISC(X)                                                                                 \
    X(unreachable) X(br) X(br_if) X(br_unless) X(br_table) X(copy) X(const) X(ret) X(ret1)         \
    X(call) X(call_direct) X(call_indirect) X(call_chk) X(call_direct_chk) X(call_indirect_chk) X(select) X(global_get) X(global_set)                                 \
    X(load32) X(load64) X(load8s32) X(load8u32) X(load16s32) X(load16u32) X(load8s64) X(load8u64)  \
    X(load16s64) X(load16u64) X(load32s64) X(load32u64) X(store32) X(store64) X(store8) X(store16) \
    X(memory_size) X(memory_grow) X(memory_fill) X(memory_copy) X(memory_init) X(data_drop)        \
    X(table_get) X(table_set) X(table_size) X(table_grow) X(table_fill) X(table_copy) X(table_init) \
    X(elem_drop) X(ref_is_null) X(ref_func) X(check) X(f32_canon) X(f64_canon)
/* clang-format on */

enum {
#define IR_ENUM(n) IR_##n,
    IR_NUMERIC(IR_ENUM) IR_TRUNC_SAT(IR_ENUM) IR_IMM(IR_ENUM) IR_BRCMP(IR_ENUM) IR_LOADOP(IR_ENUM)
        IR_BACK(IR_ENUM) IR_X2(IR_ENUM) IR_STOREI(IR_ENUM) IR_BRCMP64(IR_ENUM) IR_INCBR(IR_ENUM)
            IR_MULADD(IR_ENUM) IR_LOADADD2(IR_ENUM) IR_AXPY(IR_ENUM) IR_MISC(IR_ENUM)
#undef IR_ENUM
                IR_COUNT
};

/* Handler words for each IR opcode (label addresses with computed goto,
 * opcode numbers otherwise). Provided by interp.c. */
const void *const *pw_interp_handlers(void);

#endif
