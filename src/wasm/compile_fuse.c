/* Superinstructions: instructions just emitted, replaced with the one being
 * translated by one instruction that does the work of both (docs/engine.md,
 * "Superinstructions"). Each merges only instructions that run back to back,
 * so trap order and memory effects stay those of the original sequence. */
#include "compile.h"

/* ---- additions of constants ------------------------------------------ */

/* Two i32 additions of constants just emitted back to back, final now that
 * another instruction follows, become one i32_add_imm2 (the second keeps
 * word 1, so nothing that looked at it as the last instruction changes). */
static void pair_adds(cc *c) {
    pw_code *p = &c->code[c->prev_start];
    const pw_code *l = &c->code[c->last_start];
    pw_code m[4];
    m[0].h = c->H[IR_i32_add_imm2];
    m[1] = l[1];
    m[2] = p[1];
    m[3].s.a = (uint32_t)l[2].u;
    m[3].s.b = (uint32_t)p[2].u;
    memcpy(p, m, sizeof m);
    c->n = c->prev_start + 4;
    c->noff--; /* neither can trap: the first one's offset serves */
    c->last_start = c->prev_start;
    c->last_op = IR_i32_add_imm2;
    c->prev_op = -1;
}

/* A store, then an i32 addition of a constant (pointer steps), final now
 * that another instruction follows: one dispatch, both instructions keeping
 * their words (a trap in the store reports its own offset). */
static void pair_store_add(cc *c) {
    c->code[c->prev_start].h = c->H[c->prev_op == IR_store32 ? IR_store32_add : IR_store64_add];
    c->code[c->last_start].u = 0;
    c->last_start = c->prev_start;
    c->last_op = c->prev_op == IR_store32 ? IR_store32_add : IR_store64_add;
    c->prev_op = -1;
}

/* Merges the last two instructions where one instruction does both (called
 * when the next one is emitted: only then are they final). */
void pw_cc_pair_last(cc *c) {
    if (c->last_op != IR_i32_add_imm || c->prev_start + 3 != c->last_start || c->last_start + 3 != c->n)
        return;
    if (c->prev_op == IR_i32_add_imm)
        pair_adds(c);
    else if (c->prev_op == IR_store32 || c->prev_op == IR_store64)
        pair_store_add(c);
}

/* ---- compare/branch fusion --------------------------------------------- */

/* The compare-and-branch fusing comparison `cmp` (negated: branch when it is
 * false), or -1. An i64 immediate must fit a sign-extended 32-bit field. */
static int fused_branch_op(int cmp, bool negate, uint64_t imm_val) {
    static const int8_t neg[10] = {1, 0, 8, 9, 6,
                                   7, 4, 5, 2, 3}; /* eq ne lt_s lt_u gt_s gt_u le_s le_u ge_s ge_u */
    int k, base;
    if (cmp >= IR_i32_eq && cmp <= IR_i32_ge_u)
        k = cmp - IR_i32_eq, base = IR_br_eq;
    else if (cmp >= IR_i32_eq_imm && cmp <= IR_i32_ge_u_imm)
        k = cmp - IR_i32_eq_imm, base = IR_br_eq_imm;
    else if (cmp >= IR_i64_eq && cmp <= IR_i64_ge_u)
        k = cmp - IR_i64_eq, base = IR_br64_eq;
    else if (cmp >= IR_i64_eq_imm && cmp <= IR_i64_ge_u_imm && (int64_t)imm_val == (int64_t)(int32_t)imm_val)
        k = cmp - IR_i64_eq_imm, base = IR_br64_eq_imm;
    else
        return -1;
    if (negate)
        k = neg[k];
    return base + k;
}

/* The float compare-and-branch fusing comparison `cmp` (negated: branch
 * when it is false), or -1. */
static int fused_float_branch_op(int cmp, bool negate) {
    static const int8_t neg[6] = {1, 0, 6, 7, 8, 9}; /* eq ne lt gt le ge -> ne eq nlt ngt nle nge */
    int k, base;
    if (cmp >= IR_f32_eq && cmp <= IR_f32_ge)
        k = cmp - IR_f32_eq, base = IR_brf32_eq;
    else if (cmp >= IR_f64_eq && cmp <= IR_f64_ge)
        k = cmp - IR_f64_eq, base = IR_brf64_eq;
    else
        return -1;
    return base + (negate ? neg[k] : k);
}

/* Replaces the comparison just emitted, whose result is the branch condition
 * and used nowhere else, by a compare-and-branch (a float one only when
 * `floats`: float branches have no back-edge form). Returns its start (the
 * relative target lives in word +2), or NONE. */
static uint32_t fuse_compare_branch(cc *c, bool negate, bool floats) {
    pw_code *last = &c->code[c->last_start];
    int fop = floats ? fused_float_branch_op(c->last_op, negate) : -1;
    if (fop >= 0) {
        uint32_t a = last[1].s.b, b = last[2].s.a;
        drop_last(c);
        pw_code *ins = emit(c, fop, 2);
        ins[1].s.a = a;
        ins[1].s.b = b;
        return c->last_start;
    }
    /* word +2 exists only for 3-word comparisons (a 2-word one may end the code) */
    int op = fused_branch_op(c->last_op, negate, c->last_start + 2 < c->n ? last[2].u : 0);
    if (op >= IR_br_eq_imm && op <= IR_br_ge_u_imm && c->prev_op == IR_i32_add_imm &&
        c->prev_start + 3 == c->last_start && c->code[c->prev_start + 1].s.a == last[1].s.b) {
        /* x = y + k; branch on x CMP imm: one loop-closing instruction,
         * with the pointer step before it where there is one */
        pw_code *add = &c->code[c->prev_start];
        uint32_t d = add[1].s.a, src = add[1].s.b, k = (uint32_t)add[2].u, imm = (uint32_t)last[2].u;
        bool two = floats && c->pprev_op == IR_i32_add_imm && c->pprev_start + 3 == c->prev_start;
        const pw_code *step = &c->code[c->pprev_start];
        uint32_t d2 = two ? step[1].s.a : 0, s2 = two ? step[1].s.b : 0, k2 = two ? (uint32_t)step[2].u : 0;
        c->n = two ? c->pprev_start : c->prev_start;
        c->noff -= two ? 3 : 2;
        pw_code *ins = emit(c, (two ? IR_inc2_br_eq : IR_inc_br_eq) + (op - IR_br_eq_imm), two ? 5 : 3);
        ins[1].s.a = d;
        ins[1].s.b = src;
        ins[3].s.a = k;
        ins[3].s.b = imm;
        if (two) {
            ins[4].s.a = d2;
            ins[4].s.b = s2;
            ins[5].u = k2;
        }
        c->prev_op = -1;
        return c->last_start;
    }
    if (op >= 0) {
        uint32_t a = last[1].s.b;
        uint64_t b = last[2].u;
        drop_last(c);
        pw_code *ins = emit(c, op, 2);
        ins[1].s.a = a;
        ins[1].s.b = (uint32_t)b;
        return c->last_start;
    }
    return NONE;
}

/* The branch just emitted at `at` (br_if, br_unless, or an integer
 * compare-and-branch on two slots) when the load right before it produced
 * its operand: one instruction that loads, writes the value as the load did,
 * and branches (a trap reports the load). Returns its start, or `at`. */
static uint32_t fuse_load_branch(cc *c, uint32_t at) {
    static const int8_t swap[10] = {0, 1, 4, 5, 2, 3, 8, 9, 6, 7}; /* a CMP b as b CMP' a */
    int op = c->last_op, lop = c->prev_op, fop;
    if (at != c->last_start || (lop != IR_load32 && lop != IR_load64) || c->prev_start + 3 != at)
        return at;
    const pw_code *ld = &c->code[c->prev_start], *br = &c->code[at];
    uint32_t v = ld[1].s.a, other = 0;
    if ((op == IR_br_if || op == IR_br_unless) && lop == IR_load32 && br[1].s.a == v)
        fop = op == IR_br_if ? IR_br_load32_if : IR_br_load32_unless;
    else {
        int k;
        if (op >= IR_br_eq && op <= IR_br_ge_u && lop == IR_load32)
            k = op - IR_br_eq, fop = IR_brl32_eq;
        else if (op >= IR_br64_eq && op <= IR_br64_ge_u && lop == IR_load64)
            k = op - IR_br64_eq, fop = IR_brl64_eq;
        else
            return at;
        if (br[1].s.a == v)
            other = br[1].s.b;
        else if (br[1].s.b == v)
            other = br[1].s.a, k = swap[k];
        else
            return at;
        fop += k;
    }
    uint32_t addr = ld[1].s.b, addend = ld[2].s.a, off = ld[2].s.b;
    pw_code *ins = replace_last(c, 2, fop, fop <= IR_br_load32_unless ? 3 : 4, NONE);
    ins[1].s.a = v;
    ins[1].s.b = addr;
    ins[3].s.a = addend;
    ins[3].s.b = off;
    if (fop > IR_br_load32_unless)
        ins[4].s.a = other;
    return c->last_start;
}

/* Emits "branch to frame f if cond (value at pos) is nonzero" (or zero, when
 * negate), fusing a just-emitted comparison, or an i32.eqz and the
 * comparison before it (the branch negated). Returns the instruction start;
 * the relative target lives in word +2. */
static uint32_t cond_branch(cc *c, uint32_t pos, bool negate, bool floats) {
    vent *e = &c->vs[pos];
    if (!c->dead && e->kind == VK_SLOT && c->last_dst_ok && c->code[c->last_start + 1].s.a == slot_of(c, pos)) {
        uint32_t at = fuse_compare_branch(c, negate, floats);
        if (at != NONE)
            return at;
        if (c->last_op == IR_i32_eqz) {
            uint32_t a = c->code[c->last_start + 1].s.b;
            /* the comparison's result is a stack temporary only the eqz read */
            bool cmp = c->prev_op >= 0 && c->prev_start + 3 == c->last_start && a >= c->nlocals &&
                       c->code[c->prev_start + 1].s.a == a;
            drop_last(c);
            if (cmp && (at = fuse_compare_branch(c, !negate, floats)) != NONE)
                return at;
            pw_code *ins = emit(c, negate ? IR_br_if : IR_br_unless, 2);
            ins[1].s.a = a;
            return c->last_start;
        }
    }
    uint32_t s = pw_cc_use(c, pos);
    pw_code *ins = emit(c, negate ? IR_br_unless : IR_br_if, 2);
    ins[1].s.a = s;
    return c->last_start;
}

/* The same, and a load right before the branch that feeds it fused in. Only
 * with `floats`: neither float nor load branches have a back-edge form. */
uint32_t pw_cc_emit_cond_branch(cc *c, uint32_t pos, bool negate, bool floats) {
    uint32_t at = cond_branch(c, pos, negate, floats);
    return floats && !c->dead ? fuse_load_branch(c, at) : at;
}

/* The load-fused form of a binary op, or -1. */
static int loadop_variant(int op) {
    switch (op) {
    case IR_f32_add: return IR_f32_add_load;
    case IR_f32_sub: return IR_f32_sub_load;
    case IR_f32_mul: return IR_f32_mul_load;
    case IR_f32_div: return IR_f32_div_load;
    case IR_f64_add: return IR_f64_add_load;
    case IR_f64_sub: return IR_f64_sub_load;
    case IR_f64_mul: return IR_f64_mul_load;
    case IR_f64_div: return IR_f64_div_load;
    case IR_i32_add: return IR_i32_add_load;
    case IR_i32_sub: return IR_i32_sub_load;
    case IR_i32_mul: return IR_i32_mul_load;
    case IR_i32_and: return IR_i32_and_load;
    case IR_i32_or: return IR_i32_or_load;
    case IR_i32_xor: return IR_i32_xor_load;
    case IR_i64_add: return IR_i64_add_load;
    case IR_i64_sub: return IR_i64_sub_load;
    case IR_i64_mul: return IR_i64_mul_load;
    case IR_i64_and: return IR_i64_and_load;
    case IR_i64_or: return IR_i64_or_load;
    case IR_i64_xor: return IR_i64_xor_load;
    default: return -1;
    }
}

static bool produced_by_last_load(cc *c, uint32_t pos) {
    return c->vs[pos].kind == VK_SLOT && c->last_dst_ok && (c->last_op == IR_load32 || c->last_op == IR_load64) &&
           c->code[c->last_start + 1].s.a == slot_of(c, pos);
}

/* Replaces the instruction just emitted by the three-word `op` writing slot
 * d, with operands v: [h][d|v0][v1|v2][v3|0]. */
static void emit_fused3(cc *c, int op, uint32_t d, const uint32_t v[4]) {
    drop_last(c);
    pw_code *ins = emit_d(c, op, 3, d);
    ins[1].s.b = v[0];
    ins[2].s.a = v[1];
    ins[2].s.b = v[2];
    ins[3].s.a = v[3];
}

/* Replaces the last two instructions, a load-fused op and the one just
 * emitted, by `op` with two memory operands: [h][d|a][addr1|k1][off1]
 * [addr2|k2][off2], a and the first from the load-fused op. It reports the
 * first instruction's wasm offset. The caller sets d where op has one. */
static pw_code *fuse_memory_pair(cc *c, int op, uint32_t addr2, uint32_t k2, uint64_t off2) {
    pw_code *p = &c->code[c->prev_start];
    uint32_t a = p[1].s.b, addr1 = p[2].s.a, k1 = p[2].s.b;
    uint64_t off1 = p[3].u;
    pw_code *ins = replace_last(c, 2, op, 5, NONE);
    ins[1].s.b = a;
    ins[2].s.a = addr1;
    ins[2].s.b = k1;
    ins[3].u = off1;
    ins[4].s.a = addr2;
    ins[4].s.b = k2;
    ins[5].u = off2;
    return ins;
}

/* a OP pw_cc_load(...) where the load was the instruction just emitted: the load
 * becomes the op's memory operand, at the same point in execution. */
static bool try_fuse_load(cc *c, int irop, bool comm, uint32_t pa, uint32_t pb) {
    int fop = loadop_variant(irop);
    if (fop < 0 || c->dead)
        return false;
    uint32_t pother;
    if (produced_by_last_load(c, pb))
        pother = pa;
    else if (produced_by_last_load(c, pa) && comm)
        pother = pb;
    else
        return false;
    vent *o = &c->vs[pother];
    if (o->kind != VK_SLOT && o->kind != VK_LOCAL)
        return false;
    uint32_t other = o->kind == VK_LOCAL ? o->local : slot_of(c, pother);
    pw_code *ld = &c->code[c->last_start];
    uint32_t addr = ld[1].s.b, addend = ld[2].s.a, off = ld[2].s.b;
    int add2 = fop == IR_f32_add_load   ? IR_f32_add_load2
               : fop == IR_f64_add_load ? IR_f64_add_load2
               : fop == IR_i32_add_load ? IR_i32_add_load2
               : fop == IR_i64_add_load ? IR_i64_add_load2
                                        : -1;
    if (add2 >= 0 && c->prev_op == fop && c->prev_start + 4 == c->last_start && o->kind == VK_SLOT &&
        c->code[c->prev_start + 1].s.a == other) {
        /* (a + m1) + m2, the first sum just computed by the same kind of op */
        fuse_memory_pair(c, add2, addr, addend, off)[1].s.a = slot_of(c, pa);
        c->last_dst_ok = !c->dead;
        return true;
    }
    pw_code *ins = replace_last(c, 1, fop, 3, slot_of(c, pa));
    ins[1].s.b = other;
    ins[2].s.a = addr;
    ins[2].s.b = addend;
    ins[3].u = off;
    return true;
}

/* a * b (just emitted) followed by + c or - c: one instruction. Returns
 * whether it fused. The product keeps its own rounding. */
static bool try_fuse_muladd(cc *c, int irop, uint32_t pa, uint32_t pb) {
    int mul = irop == IR_f32_add || irop == IR_f32_sub   ? IR_f32_mul
              : irop == IR_f64_add || irop == IR_f64_sub ? IR_f64_mul
                                                         : -1;
    if (mul < 0 || c->dead || c->last_op != mul || !c->last_dst_ok)
        return false;
    bool sub = irop == IR_f32_sub || irop == IR_f64_sub;
    uint32_t pprod, pother;
    uint32_t dst = c->code[c->last_start + 1].s.a;
    if (c->vs[pa].kind == VK_SLOT && dst == slot_of(c, pa))
        pprod = pa, pother = pb;
    else if (!sub && c->vs[pb].kind == VK_SLOT && dst == slot_of(c, pb))
        pprod = pb, pother = pa;
    else
        return false;
    (void)pprod;
    vent *o = &c->vs[pother];
    if (o->kind != VK_SLOT && o->kind != VK_LOCAL)
        return false;
    uint32_t other = o->kind == VK_LOCAL ? o->local : slot_of(c, pother);
    pw_code *m = &c->code[c->last_start];
    uint32_t x = m[1].s.b, y = m[2].s.a;
    int op = (mul == IR_f32_mul ? IR_f32_muladd : IR_f64_muladd) + (sub ? 2 : 0);
    drop_last(c);
    emit_d2(c, op, slot_of(c, pa), x, y, other);
    return true;
}

/* f64.floor of the product just computed into the slot it reads (pa, on
 * the stack: the floor writes the same slot): the multiplication becomes
 * f64_mul_floor_sse41, its words unchanged. Returns whether it fused. */
bool pw_cc_fuse_mul_floor(cc *c, uint32_t pa) {
    if (c->dead || c->last_op != IR_f64_mul || !c->last_dst_ok || c->vs[pa].kind != VK_SLOT ||
        c->code[c->last_start + 1].s.a != slot_of(c, pa))
        return false;
    c->code[c->last_start].h = c->H[IR_f64_mul_floor_sse41];
    c->last_op = IR_f64_mul_floor_sse41;
    return true;
}

/* Of a commutative op's operands pa and pb, the one the last instruction did
 * not compute (when it computed the other into its stack slot). */
static bool other_than_last(cc *c, uint32_t pa, uint32_t pb, uint32_t *pother) {
    uint32_t dst = c->code[c->last_start + 1].s.a;
    if (c->vs[pb].kind == VK_SLOT && dst == slot_of(c, pb))
        *pother = pa;
    else if (c->vs[pa].kind == VK_SLOT && dst == slot_of(c, pa))
        *pother = pb;
    else
        return false;
    return true;
}

/* The value at pos as "slot + constant": a local, its own slot, or a
 * deferred sum (VK_ADDI); false for anything else. */
static bool slot_plus_const(cc *c, uint32_t pos, uint32_t *base, uint32_t *k) {
    const vent *e = &c->vs[pos];
    *k = 0;
    if (e->kind == VK_LOCAL)
        *base = e->local;
    else if (e->kind == VK_SLOT)
        *base = slot_of(c, pos);
    else if (e->kind == VK_ADDI) {
        *base = e->local;
        *k = (uint32_t)e->cval;
    } else
        return false;
    return true;
}

/* a + (b << k) or a + b * m, the shift or product just emitted: one
 * i32_add_scaled, a the other operand (a local, a slot, or a deferred sum
 * whose constant joins the instruction's). A load or store of the sum then
 * takes it as its address (take_scaled). */
static bool try_fuse_scaled(cc *c, uint32_t pa, uint32_t pb) {
    if (c->dead || !c->last_dst_ok || (c->last_op != IR_i32_shl_imm && c->last_op != IR_i32_mul_imm))
        return false;
    uint32_t pother, base, k;
    if (!other_than_last(c, pa, pb, &pother) || !slot_plus_const(c, pother, &base, &k))
        return false;
    pw_code *sh = &c->code[c->last_start];
    uint32_t idx = sh[1].s.b, m = c->last_op == IR_i32_shl_imm ? 1u << (sh[2].u & 31) : (uint32_t)sh[2].u;
    emit_fused3(c, IR_i32_add_scaled, slot_of(c, pa), (uint32_t[4]){base, idx, m, k});
    return true;
}

/* a ^ (b >> k) or a ^ (b << k), the shift just emitted: one instruction. */
static bool try_fuse_xorshift(cc *c, int irop, uint32_t pa, uint32_t pb) {
    bool wide = irop == IR_i64_xor;
    int shr = wide ? IR_i64_shr_u_imm : IR_i32_shr_u_imm, shl = wide ? IR_i64_shl_imm : IR_i32_shl_imm;
    if (c->dead || !c->last_dst_ok || (c->last_op != shr && c->last_op != shl))
        return false;
    uint32_t pother, a, k0;
    if (!other_than_last(c, pa, pb, &pother) || !slot_plus_const(c, pother, &a, &k0) ||
        c->vs[pother].kind == VK_ADDI)
        return false;
    const pw_code *sh = &c->code[c->last_start];
    uint32_t b = sh[1].s.b, k = (uint32_t)sh[2].u;
    int op = (wide ? IR_i64_xor_shr_u : IR_i32_xor_shr_u) + (c->last_op == shl);
    drop_last(c);
    emit_d2(c, op, slot_of(c, pa), a, b, k);
    return true;
}

/* t * t where t is the difference the f32/f64 sub_load just emitted wrote
 * to a local (both operands read it): one sqdiff_load, which still writes t.
 * Then p + z, p that product: the sqdiff_add_load form of the same
 * instruction (the product rounded first, as muladd). */
static bool try_fuse_sqdiff(cc *c, int irop, uint32_t pa, uint32_t pb) {
    bool wide = irop == IR_f64_mul || irop == IR_f64_add;
    if (c->dead || !c->last_dst_ok)
        return false;
    pw_code *l = &c->code[c->last_start];
    if ((irop == IR_f32_mul || irop == IR_f64_mul) && c->last_op == (wide ? IR_f64_sub_load : IR_f32_sub_load)) {
        uint32_t t = l[1].s.a;
        const vent *ea = &c->vs[pa], *eb = &c->vs[pb];
        if (ea->kind != VK_LOCAL || eb->kind != VK_LOCAL || ea->local != t || eb->local != t)
            return false;
        uint32_t a = l[1].s.b, addr = l[2].s.a, addend = l[2].s.b;
        uint64_t off = l[3].u;
        pw_code *ins = replace_last(c, 1, wide ? IR_f64_sqdiff_load : IR_f32_sqdiff_load, 4, slot_of(c, pa));
        ins[1].s.b = a;
        ins[2].s.a = addr;
        ins[2].s.b = addend;
        ins[3].u = off;
        ins[4].s.a = t;
        return true;
    }
    uint32_t pother;
    if ((irop != IR_f32_add && irop != IR_f64_add) ||
        c->last_op != (wide ? IR_f64_sqdiff_load : IR_f32_sqdiff_load) || !other_than_last(c, pa, pb, &pother))
        return false;
    const vent *o = &c->vs[pother];
    if (o->kind != VK_SLOT && o->kind != VK_LOCAL)
        return false;
    c->last_op = wide ? IR_f64_sqdiff_add_load : IR_f32_sqdiff_add_load;
    l->h = c->H[c->last_op];
    l[1].s.a = slot_of(c, pa);
    l[4].s.b = o->kind == VK_LOCAL ? o->local : slot_of(c, pother);
    return true;
}

/* A binary op (irop; comm: commutative) on the values at pa and pb, merged
 * with the instruction just emitted where a superinstruction does both. */
bool pw_cc_fuse_binary(cc *c, int irop, bool comm, uint32_t pa, uint32_t pb) {
    return (irop == IR_i32_add && try_fuse_scaled(c, pa, pb)) || try_fuse_sqdiff(c, irop, pa, pb) ||
           ((irop == IR_i32_xor || irop == IR_i64_xor) && try_fuse_xorshift(c, irop, pa, pb)) ||
           try_fuse_muladd(c, irop, pa, pb) || try_fuse_load(c, irop, comm, pa, pb);
}

/* (x ^ (y >> k)) * m, the xorshift just emitted into the stack slot the
 * product by a constant (immop, the value at pvar) reads: one instruction. */
bool pw_cc_fuse_imm(cc *c, int immop, uint32_t pvar, uint32_t pa, uint64_t imm) {
    bool wide = immop == IR_i64_mul_imm;
    if ((!wide && immop != IR_i32_mul_imm) || c->dead || !c->last_dst_ok ||
        c->last_op != (wide ? IR_i64_xor_shr_u : IR_i32_xor_shr_u) || c->vs[pvar].kind != VK_SLOT ||
        c->code[c->last_start + 1].s.a != slot_of(c, pvar))
        return false;
    const pw_code *x = &c->code[c->last_start];
    uint32_t a = x[1].s.b, b = x[2].s.a, k = x[2].s.b;
    drop_last(c);
    pw_code *ins = emit_d(c, wide ? IR_i64_xor_shr_mul : IR_i32_xor_shr_mul, 3, slot_of(c, pa));
    ins[1].s.b = a;
    ins[2].s.a = b;
    ins[2].s.b = k;
    ins[3].u = imm;
    return true;
}

/* store(addr, a * b + c) where the muladd just emitted computed the value
 * into its stack slot: one instruction (a trap reports the store). */
bool pw_cc_fuse_muladd_store(cc *c, int irop, uint32_t off, uint32_t pa, uint32_t pv) {
    int lop = c->last_op;
    if (c->dead || (lop != IR_f32_muladd && lop != IR_f64_muladd) || !c->last_dst_ok ||
        irop != (lop == IR_f64_muladd ? IR_store64 : IR_store32) || c->vs[pv].kind != VK_SLOT ||
        c->code[c->last_start + 1].s.a != slot_of(c, pv))
        return false;
    uint32_t base, k;
    if (!slot_plus_const(c, pa, &base, &k))
        return false;
    const pw_code *m = &c->code[c->last_start];
    uint32_t a = m[1].s.b, b = m[2].s.a, z = m[2].s.b;
    drop_last(c);
    pw_code *ins = emit(c, lop == IR_f64_muladd ? IR_f64_muladd_store : IR_f32_muladd_store, 3);
    fill_halves(ins, (const uint32_t[6]){a, b, z, base, k, off}, 6);
    return true;
}

/* When the address at pa is the i32_add_scaled just emitted (its only
 * use), removes it and returns its base, index, scale and constant. */
bool pw_cc_take_scaled(cc *c, uint32_t pa, uint32_t sc[4]) {
    if (c->dead || c->last_op != IR_i32_add_scaled || !c->last_dst_ok || c->vs[pa].kind != VK_SLOT ||
        c->code[c->last_start + 1].s.a != slot_of(c, pa))
        return false;
    const pw_code *a = &c->code[c->last_start];
    sc[0] = a[1].s.b;
    sc[1] = a[2].s.a;
    sc[2] = a[2].s.b;
    sc[3] = a[3].s.a;
    drop_last(c);
    return true;
}

/* pw_cc_store(addr, pw_cc_load(addr) OP x) where the fused load-op was just emitted
 * with the same address and width: one read-modify-write instruction. */
bool pw_cc_fuse_rmw(cc *c, int irop, uint32_t off, uint32_t pa, uint32_t pv) {
    int lop = c->last_op;
    if (c->dead || lop < IR_f32_add_load || lop > IR_i64_xor_load || !c->last_dst_ok ||
        c->vs[pv].kind != VK_SLOT || c->code[c->last_start + 1].s.a != slot_of(c, pv))
        return false;
    bool wide = (lop >= IR_f64_add_load && lop <= IR_f64_div_load) || lop >= IR_i64_add_load;
    if (irop != (wide ? IR_store64 : IR_store32))
        return false;
    uint32_t base, k;
    if (!slot_plus_const(c, pa, &base, &k))
        return false;
    pw_code *ld = &c->code[c->last_start];
    if (ld[2].s.a != base || ld[2].s.b != k || ld[3].u != off)
        return false;
    int mul = lop == IR_f32_add_load ? IR_f32_mul_load : lop == IR_f64_add_load ? IR_f64_mul_load : -1;
    if (mul >= 0 && c->prev_op == mul && c->prev_start + 4 == c->last_start &&
        c->code[c->prev_start + 1].s.a == ld[1].s.b) {
        /* m2 = m2 + a * m1, the product computed just before: one instruction */
        fuse_memory_pair(c, lop == IR_f32_add_load ? IR_f32_axpy : IR_f64_axpy, base, k, off);
        return true;
    }
    ld->h = c->H[IR_f32_add_rmw + (lop - IR_f32_add_load)];
    c->last_dst_ok = false;
    c->last_d128 = false;
    c->last_op = IR_f32_add_rmw + (lop - IR_f32_add_load);
    return true;
}

/* The i64 store of a constant just emitted (ins) right after another one:
 * one dispatch for both (the second keeps its words, so a trap in it
 * reports its own offset). */
void pw_cc_pair_stores_imm(cc *c, pw_code *ins) {
    if (c->prev_op != IR_store64_imm || c->prev_start + 4 != c->last_start)
        return;
    c->code[c->prev_start].h = c->H[IR_store64_imm2];
    ins[0].u = 0;
    c->last_start = c->prev_start;
    c->last_op = IR_store64_imm2;
    if (c->pprev_op == IR_store64_imm2 && c->pprev_start + 8 == c->prev_start) {
        /* a pair right before: the four in one dispatch */
        c->code[c->pprev_start].h = c->H[IR_store64_imm4];
        c->code[c->prev_start].u = 0;
        c->last_start = c->pprev_start;
        c->last_op = IR_store64_imm4;
    }
    c->prev_op = -1;
}

/* select (a, b, x CMP y) where the comparison was just emitted and a and b
 * need no code of their own: one select_<cmp>. */
bool pw_cc_fuse_select(cc *c, uint32_t pa, uint32_t pb, uint32_t pc) {
    static const int16_t pairs[][2] = {{IR_i32_lt_s, IR_select_i32_lt_s}, {IR_i32_lt_u, IR_select_i32_lt_u},
                                       {IR_i32_gt_s, IR_select_i32_gt_s}, {IR_i32_gt_u, IR_select_i32_gt_u},
                                       {IR_f32_lt, IR_select_f32_lt},     {IR_f32_gt, IR_select_f32_gt},
                                       {IR_f64_lt, IR_select_f64_lt},     {IR_f64_gt, IR_select_f64_gt}};
    if (!c->last_dst_ok || c->vs[pc].kind != VK_SLOT || c->code[c->last_start + 1].s.a != slot_of(c, pc))
        return false;
    int op = -1;
    for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++)
        if (pairs[i][0] == c->last_op)
            op = pairs[i][1];
    vent *ea = &c->vs[pa], *eb = &c->vs[pb];
    if (op < 0 || (ea->kind != VK_SLOT && ea->kind != VK_LOCAL) || (eb->kind != VK_SLOT && eb->kind != VK_LOCAL))
        return false;
    const pw_code *cmp = &c->code[c->last_start];
    uint32_t x = cmp[1].s.b, y = cmp[2].s.a, sa = pw_cc_use(c, pa), sb = pw_cc_use(c, pb);
    emit_fused3(c, op, slot_of(c, pa), (uint32_t[4]){x, y, sa, sb});
    return true;
}
