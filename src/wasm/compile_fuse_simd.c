/* SIMD superinstructions (see compile_fuse.c). */
#include "compile.h"

/* A lane op (sub-opcode k, operand slots s[0], s[1], result slot d) whose
 * second operand is the v128.load just emitted: the load becomes its memory
 * operand (IR_SIMD_LOADOP). Only a vector loaded into a stack slot (not
 * retargeted into a local) is consumed here alone and may go unwritten; the
 * same holds for the intermediate results try_simd_rmw folds away. */
bool pw_cc_fuse_simd_loadop(cc *c, uint32_t k, const uint32_t s[3], uint32_t d) {
#define LOADOP(X, n) [OP_##n & 0xffff] = IR_simd_##n##_load,
    static const int16_t fused[256] = {IR_SIMD_LOADOP(, LOADOP)};
#undef LOADOP
    if (c->dead || !fused[k] || c->last_op != IR_simd_v128_load)
        return false;
    pw_code *ld = &c->code[c->last_start];
    uint32_t m = ld[2].s.a;
    if (m != s[1] || m < c->nlocals || (s[0] + 1 >= m && s[0] <= m + 1))
        return false;
    uint32_t addr = ld[2].s.b, addend = ld[3].s.a, off = ld[3].s.b;
    pw_code *ins = replace_last(c, 1, fused[k], 5, NONE);
    ins[1].u = k;
    ins[2].s.a = d;
    ins[2].s.b = s[0];
    ins[3].s.a = addr;
    ins[3].s.b = addend;
    ins[4].s.a = off;
    return true;
}

/* replace_lane of a 32- or 64-bit lane (op, vector slot s[0], result slot
 * d) with the scalar load just emitted (a gather): one v128.load<N>_lane. */
bool pw_cc_fuse_simd_lane_load(cc *c, uint32_t op, const uint32_t s[3], uint32_t d, uint64_t lane) {
    int ld_op = op == OP_i32x4_replace_lane || op == OP_f32x4_replace_lane   ? IR_load32
                : op == OP_i64x2_replace_lane || op == OP_f64x2_replace_lane ? IR_load64
                                                                             : -1;
    if (c->dead || ld_op < 0 || c->last_op != ld_op || !c->last_dst_ok)
        return false;
    pw_code *ld = &c->code[c->last_start];
    uint32_t x = ld[1].s.a;
    if (x != s[1] || x < c->nlocals || (s[0] <= x && x <= s[0] + 1))
        return false;
    uint32_t addr = ld[1].s.b, addend = ld[2].s.a, off = ld[2].s.b;
    uint32_t k = (ld_op == IR_load32 ? OP_v128_load32_lane : OP_v128_load64_lane) & 0xffff;
    pw_code *ins = replace_last(c, 1, pw_cc_simd_irop(k, true), 5, NONE);
    ins[1].u = k;
    ins[2].s.a = d;
    ins[2].s.b = addr;
    ins[3].s.a = addend;
    ins[3].s.b = off;
    ins[4].s.a = ld_op == IR_load32 ? 4 : 8;
    ins[4].s.b = s[0];
    ins[5].u = lane;
    return true;
}

/* v128.store of the result of the load-fused op just emitted, to the address
 * it loaded from: one read-modify-write; and when that op is a float add of
 * the product the instruction before computed from memory too, one axpy. */
bool pw_cc_fuse_simd_rmw(cc *c, uint32_t addr, uint32_t addend, uint32_t off, uint32_t v) {
    int lop = c->last_op;
    if (c->dead || lop < IR_simd_f32x4_add_load || lop > IR_simd_i32x4_mul_load)
        return false;
    pw_code *ld = &c->code[c->last_start];
    if (ld[2].s.a != v || v < c->nlocals || ld[3].s.a != addr || ld[3].s.b != addend || ld[4].s.a != off)
        return false;
    int mul = lop == IR_simd_f32x4_add_load   ? IR_simd_f32x4_mul_load
              : lop == IR_simd_f64x2_add_load ? IR_simd_f64x2_mul_load
                                              : -1;
    pw_code *ml = &c->code[c->prev_start];
    if (mul >= 0 && c->prev_op == mul && c->prev_start + 6 == c->last_start && ml[2].s.a == ld[2].s.b &&
        ml[2].s.a >= c->nlocals && addr != ml[2].s.a && addr != ml[2].s.a + 1) {
        /* mem2 = a * mem1 + mem2 */
        uint32_t k = (uint32_t)ld[1].u, a = ml[2].s.b, addr1 = ml[3].s.a, addend1 = ml[3].s.b, off1 = ml[4].s.a;
        pw_code *ins =
            replace_last(c, 2, lop == IR_simd_f32x4_add_load ? IR_simd_f32x4_axpy : IR_simd_f64x2_axpy, 5, NONE);
        fill_halves(ins, (const uint32_t[9]){k, a, addr1, addend1, off1, 0, addr, addend, off}, 9);
        return true;
    }
    c->last_op = IR_simd_f32x4_add_rmw + (lop - IR_simd_f32x4_add_load);
    ld->h = c->H[c->last_op];
    c->last_d128 = false;
    return true;
}
