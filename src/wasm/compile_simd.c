/* Translation of SIMD (0xfd) instructions. */
#include "compile.h"

/* ---- SIMD (0xfd) --------------------------------------------------------- */

/* Lanes of the shape an instruction's name starts with (i8x16 ... f64x2). */
static uint32_t lanes_of(const char *text) {
    switch (text[1]) {
    case '8': return 16;
    case '1': return 8;
    case '3': return 4;
    default: return 2;
    }
}

/* Reads a SIMD instruction's immediates other than a memarg: the lane index
 * into imm[0], or 16 bytes (a constant, shuffle lanes) into imm[0..1]. */
static void simd_immediates(cc *c, const wm_opinfo *oi, uint64_t imm[2]) {
    imm[0] = imm[1] = 0;
    if (oi->imm == WI_LANE || oi->imm == WI_MEMARG_LANE) {
        uint8_t lane = rd_u8(c);
        if (lane >= (oi->imm == WI_LANE ? lanes_of(oi->text) : 16u >> oi->align))
            INVALID("invalid lane index");
        imm[0] = lane;
    } else if (oi->imm == WI_V128 || oi->imm == WI_SHUFFLE) {
        if (c->end - c->p < 16)
            MALFORMED("unexpected end");
        for (uint32_t i = 0; i < 16; i++) {
            if (oi->imm == WI_SHUFFLE && c->p[i] >= 32)
                INVALID("invalid lane index");
            imm[i / 8] |= (uint64_t)c->p[i] << (8 * (i % 8));
        }
        c->p += 16;
    }
}

/* The IR op of SIMD sub-opcode k: its own (IR_SIMD_FAST), else the
 * generic one that calls through pw_simd_ops. */
int pw_cc_simd_irop(uint32_t k, bool mem) {
#define FAST(X, n) [OP_##n & 0xffff] = IR_simd_##n,
    static const int16_t fast[256] = {IR_SIMD_FAST(, FAST) IR_SIMD_FAST_MEM(, FAST)};
#undef FAST
    return fast[k] ? fast[k] : mem ? IR_simd_mem : IR_simd;
}

/* A 0xfd instruction, typed by its table line: one IR_simd (or, with a
 * memory operand, IR_simd_mem) naming the function of simd.c that runs it,
 * or the instruction's own IR op (IR_SIMD_FAST). v128.const becomes a pair
 * of deferred constants. */
void pw_cc_simd(cc *c, uint32_t op, const wm_opinfo *oi) {
    bool mem = oi->imm == WI_MEMARG || oi->imm == WI_MEMARG_LANE;
    uint32_t off = mem ? pw_cc_memarg(c, oi->align) : 0;
    uint64_t imm[2];
    simd_immediates(c, oi, imm);
    c->mod->simd = true;
    if (op == OP_v128_const) {
        push(c, WM_V128, VK_CONST, 0, imm[0]);
        push(c, PW_T_V128_HI, VK_CONST, 0, imm[1]);
        return;
    }
    uint32_t pos[3] = {0, 0, 0}, s[3] = {0, 0, 0};
    for (uint32_t i = oi->nargs; i-- > 0;)
        pos[i] = pw_cc_pop_val(c, oi->args[i]);
    pw_code *ins;
    if (mem) {
        /* [h][fn][d|addr][addend|offset][size|v][lane]: d is the result,
         * or the value a store writes; v the vector a lane load updates */
        uint32_t k, a = pw_cc_address(c, pos[0], &k);
        uint32_t v = oi->nargs > 1 ? pw_cc_use128(c, pos[1]) : 0;
        if (op == OP_v128_store && pw_cc_fuse_simd_rmw(c, a, k, off, v))
            return;
        ins = emit(c, pw_cc_simd_irop(op & 0xffff, true), 5);
        ins[1].u = op & 0xffff;
        ins[2].s.a = oi->result ? slot_of(c, pos[0]) : v;
        ins[2].s.b = a;
        ins[3].s.a = k;
        ins[3].s.b = off;
        ins[4].s.a = 1u << oi->align;
        ins[4].s.b = v;
        ins[5].u = imm[0];
    } else {
        /* [h][fn][d|a][b|c][imm][imm] */
        for (uint32_t i = 0; i < oi->nargs; i++)
            s[i] = pw_cc_use_val(c, oi->args[i], pos[i]);
        if (!pw_cc_fuse_simd_loadop(c, op & 0xffff, s, slot_of(c, pos[0])) &&
            !pw_cc_fuse_simd_lane_load(c, op, s, slot_of(c, pos[0]), imm[0])) {
            ins = emit(c, pw_cc_simd_irop(op & 0xffff, false), 5);
            ins[1].u = op & 0xffff;
            ins[2].s.a = slot_of(c, pos[0]);
            ins[2].s.b = s[0];
            ins[3].s.a = s[1];
            ins[3].s.b = s[2];
            ins[4].u = imm[0];
            ins[5].u = imm[1];
        }
    }
    c->last_d128 = oi->result == WM_V128 && !c->dead; /* d is word 2's a half (a local.set may retarget it) */
    if (oi->result)
        pw_cc_push_val(c, oi->result);
    if (c->canon && (oi->flags & WF_NAN) && !c->dead) {
        /* the NaNs of float lanes become canonical, as for scalars */
        uint32_t d = slot_of(c, pos[0]);
        ins = emit(c, IR_simd, 5);
        ins[1].u = oi->text[1] == '3' ? PW_SIMD_CANON_F32 : PW_SIMD_CANON_F64;
        ins[2].s.a = d;
        ins[2].s.b = d;
    }
}
