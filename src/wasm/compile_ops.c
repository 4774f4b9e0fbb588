/* Translation of numeric, memory and bulk (0xfc) instructions. */
#include "compile.h"

/* ---- numeric instructions (typed by the opcode table) ------------------ */

static int imm_variant(int op) {
    static const int8_t i32map[] = {/* i32_add..i32_shr_u relative to IR_i32_add */
                                    IR_i32_add_imm - IR_i32_add_imm,
                                    IR_i32_sub_imm - IR_i32_add_imm,
                                    IR_i32_mul_imm - IR_i32_add_imm,
                                    -1,
                                    -1,
                                    -1,
                                    -1,
                                    IR_i32_and_imm - IR_i32_add_imm,
                                    IR_i32_or_imm - IR_i32_add_imm,
                                    IR_i32_xor_imm - IR_i32_add_imm,
                                    IR_i32_shl_imm - IR_i32_add_imm,
                                    IR_i32_shr_s_imm - IR_i32_add_imm,
                                    IR_i32_shr_u_imm - IR_i32_add_imm};
    if (op >= IR_i32_add && op <= IR_i32_shr_u)
        return i32map[op - IR_i32_add] < 0 ? -1 : IR_i32_add_imm + i32map[op - IR_i32_add];
    if (op >= IR_i64_add && op <= IR_i64_shr_u)
        return i32map[op - IR_i64_add] < 0 ? -1 : IR_i64_add_imm + i32map[op - IR_i64_add];
    if (op >= IR_i32_eq && op <= IR_i32_ge_u)
        return IR_i32_eq_imm + (op - IR_i32_eq);
    if (op >= IR_i64_eq && op <= IR_i64_ge_u)
        return IR_i64_eq_imm + (op - IR_i64_eq);
    if (op >= IR_f32_add && op <= IR_f32_div)
        return IR_f32_add_imm + (op - IR_f32_add);
    if (op >= IR_f64_add && op <= IR_f64_div)
        return IR_f64_add_imm + (op - IR_f64_add);
    return -1;
}

void pw_cc_numeric(cc *c, uint32_t op, const wm_opinfo *oi) {
    int irop = oi->ir;
    uint8_t in = oi->args[0], out = oi->result;
    bool comm = oi->flags & WF_COMM;
    if (oi->nargs == 1) {
        uint32_t pa = pop_t(c, in);
        /* Reinterpretations and wrap change only the type: the bits in the
         * slot already are the result (i32/f32 live in the low half). */
        if (oi->flags & WF_RETYPE) {
            if (c->dead) {
                push_slot(c, out);
                return;
            }
            vent e = c->vs[pa];
            e.type = out;
            if (e.kind == VK_CONST && op == OP_i32_wrap_i64)
                e.cval &= 0xffffffffu;
            push(c, e.type, e.kind, e.local, e.cval);
            return;
        }
        if (c->sse41 && irop >= IR_f32_ceil && irop <= IR_f32_nearest)
            irop = IR_f32_ceil_sse41 + (irop - IR_f32_ceil);
        else if (c->sse41 && irop >= IR_f64_ceil && irop <= IR_f64_nearest)
            irop = IR_f64_ceil_sse41 + (irop - IR_f64_ceil);
        if (irop == IR_f64_floor_sse41 && pw_cc_fuse_mul_floor(c, pa)) {
            push_slot(c, out);
            return;
        }
        uint32_t a = pw_cc_use(c, pa);
        pw_code *ins = emit_d(c, irop, 1, slot_of(c, pa));
        ins[1].s.b = a;
        push_slot(c, out);
        return;
    }
    uint32_t pb = pop_t(c, oi->args[1]);
    uint32_t pa = pop_t(c, in);
    if (c->dead) {
        push_slot(c, out);
        return;
    }
    vent *ea = &c->vs[pa], *eb = &c->vs[pb];
    int immop = imm_variant(irop);
    uint32_t pvar = NONE;
    uint64_t imm = 0;
    if (immop >= 0 && eb->kind == VK_CONST) {
        pvar = pa;
        imm = eb->cval;
    } else if (immop >= 0 && ea->kind == VK_CONST && comm) {
        pvar = pb;
        imm = ea->cval;
    }
    if (pvar != NONE && (irop == IR_i32_add || irop == IR_i32_sub) &&
        (c->vs[pvar].kind == VK_LOCAL || (pvar == pa && c->vs[pvar].kind == VK_SLOT))) {
        /* Defer: a load or store folds it into its address. */
        uint32_t base = c->vs[pvar].kind == VK_LOCAL ? c->vs[pvar].local : slot_of(c, pa);
        uint32_t k = (uint32_t)imm;
        if (irop == IR_i32_sub)
            k = 0u - k;
        c->vs[pa] = (vent){WM_I32, VK_ADDI, base, k};
        c->vn = pa + 1;
        c->last_dst_ok = false;
        c->last_d128 = false;
        return;
    }
    if (pvar == NONE && pw_cc_fuse_binary(c, irop, comm, pa, pb)) {
        push_slot(c, out);
        return;
    }
    if (irop == IR_i32_add && pvar == NONE) {
        /* Defer slot + slot too (address arithmetic), when both stay put:
         * one operand is a local, the other a local or this entry's slot. */
        vent *x = ea, *y = eb;
        uint32_t px = pa;
        if (y->kind != VK_LOCAL) {
            vent *t = x;
            x = y;
            y = t;
            px = pb;
        }
        if (y->kind == VK_LOCAL && (x->kind == VK_LOCAL || (x->kind == VK_SLOT && px == pa))) {
            uint32_t sx = x->kind == VK_LOCAL ? x->local : slot_of(c, pa);
            c->vs[pa] = (vent){WM_I32, VK_ADD2, sx, y->local};
            c->vn = pa + 1;
            c->last_dst_ok = false;
            c->last_d128 = false;
            return;
        }
    }
    if (pvar != NONE && pw_cc_fuse_imm(c, immop, pvar, pa, imm)) {
        push_slot(c, out);
        return;
    }
    if (pvar != NONE) {
        uint32_t a = pw_cc_use(c, pvar);
        pw_code *ins = emit_d(c, immop, 2, slot_of(c, pa));
        ins[1].s.b = a;
        ins[2].u = in == WM_I32 ? (uint64_t)(int64_t)(int32_t)imm : imm;
    } else {
        uint32_t a = pw_cc_use(c, pa);
        uint32_t b = pw_cc_use(c, pb);
        emit_d2(c, irop, slot_of(c, pa), a, b, 0);
    }
    push_slot(c, out);
}

/* Replaces the NaN on top of the stack, if it is one, by the canonical NaN
 * (an instruction of its own, so fusions that would store the raw result
 * to memory no longer apply, and a following local.set still retargets). */
void pw_cc_canonicalize(cc *c, uint8_t type) {
    if (c->dead)
        return;
    uint32_t p = pop_t(c, type);
    uint32_t a = pw_cc_use(c, p);
    pw_code *ins = emit_d(c, type == WM_F32 ? IR_f32_canon : IR_f64_canon, 1, slot_of(c, p));
    ins[1].s.b = a;
    push_slot(c, type);
}

/* ---- memory and tables ------------------------------------------------- */

void pw_cc_need_memory(cc *c, uint32_t idx) {
    if (idx >= c->m->nmemories)
        INVALID("unknown memory %u", idx);
}
void pw_cc_need_table(cc *c, uint32_t idx) {
    if (idx >= c->m->ntables)
        INVALID("unknown table %u", idx);
}
/* memory.init and data.drop need the data count section when the module has
 * data segments (the binary format requires it so bodies can be validated
 * before the data section is seen); without segments, any index is unknown. */
static void need_datacount(cc *c) {
    if (!c->m->has_datacount && c->m->ndatas > 0)
        MALFORMED("data count section required");
}

uint32_t pw_cc_memarg(cc *c, uint32_t natural_log2) {
    uint32_t align = rd_u32(c);
    uint32_t offset = rd_u32(c);
    pw_cc_need_memory(c, 0);
    if (align > natural_log2)
        INVALID("alignment must not be larger than natural");
    return offset;
}

/* The address operand of a load or store: a slot plus a 32-bit addend
 * (wrapping, as the i32.add it replaces), to which the static offset is
 * added in 64 bits. */
uint32_t pw_cc_address(cc *c, uint32_t pa, uint32_t *addend) {
    vent *e = &c->vs[pa];
    if (!c->dead && e->kind == VK_ADDI) {
        *addend = (uint32_t)e->cval;
        return e->local;
    }
    *addend = 0;
    return pw_cc_use(c, pa);
}

/* The two-slot form of a load/store ("slot + slot + offset"), if the address
 * is a deferred VK_ADD2 sum: returns the x2 opcode and both slots. */
static int address2(cc *c, uint32_t pa, int irop, uint32_t *a, uint32_t *b) {
    vent *e = &c->vs[pa];
    if (c->dead || e->kind != VK_ADD2)
        return -1;
    *a = e->local;
    *b = (uint32_t)e->cval;
    return IR_load32_x2 + (irop - IR_load32);
}

void pw_cc_load(cc *c, const wm_opinfo *oi) {
    int irop = oi->ir;
    uint8_t type = oi->result;
    uint32_t off = pw_cc_memarg(c, oi->align);
    uint32_t pa = pop_t(c, oi->args[0]);
    uint32_t sc[4];
    if ((irop == IR_load32 || irop == IR_load64) && pw_cc_take_scaled(c, pa, sc)) {
        pw_code *ins = emit_d(c, irop == IR_load32 ? IR_load32_sc : IR_load64_sc, 3, slot_of(c, pa));
        ins[1].s.b = sc[0];
        ins[2].s.a = sc[1];
        ins[2].s.b = sc[2];
        ins[3].s.a = sc[3];
        ins[3].s.b = off;
        push_slot(c, type);
        return;
    }
    uint32_t a2, b2;
    int op2 = address2(c, pa, irop, &a2, &b2);
    if (op2 >= 0) {
        emit_d2(c, op2, slot_of(c, pa), a2, b2, off);
        push_slot(c, type);
        return;
    }
    uint32_t k, a = pw_cc_address(c, pa, &k);
    emit_d2(c, irop, slot_of(c, pa), a, k, off);
    push_slot(c, type);
}

void pw_cc_store(cc *c, const wm_opinfo *oi) {
    int irop = oi->ir;
    uint32_t off = pw_cc_memarg(c, oi->align);
    uint32_t pv = pop_t(c, oi->args[1]);
    uint32_t pa = pop_t(c, oi->args[0]);
    if (pw_cc_fuse_rmw(c, irop, off, pa, pv) || pw_cc_fuse_muladd_store(c, irop, off, pa, pv))
        return;
    uint32_t sc[4];
    if ((irop == IR_store32 || irop == IR_store64) && (c->vs[pv].kind == VK_LOCAL || c->vs[pv].kind == VK_SLOT) &&
        pw_cc_take_scaled(c, pa, sc)) {
        uint32_t v = pw_cc_use(c, pv);
        pw_code *ins = emit(c, irop == IR_store32 ? IR_store32_sc : IR_store64_sc, 3);
        ins[1].s.a = sc[0];
        ins[1].s.b = v;
        ins[2].s.a = sc[1];
        ins[2].s.b = sc[2];
        ins[3].s.a = sc[3];
        ins[3].s.b = off;
        return;
    }
    uint32_t a2, b2;
    int op2 = address2(c, pa, irop, &a2, &b2);
    if (op2 >= 0) {
        emit_w2(c, op2, a2, pw_cc_use(c, pv), b2, off);
        return;
    }
    uint32_t k, a = pw_cc_address(c, pa, &k);
    if (!c->dead && c->vs[pv].kind == VK_CONST) {
        /* a constant value: store it from the instruction itself */
        bool wide = irop == IR_store64;
        pw_code *ins = emit(c, IR_store32_imm + (irop - IR_store32), wide ? 3 : 2);
        ins[1].s.a = a;
        ins[1].s.b = (uint32_t)c->vs[pv].cval;
        ins[2].s.a = k;
        ins[2].s.b = off;
        if (wide) {
            ins[3].u = c->vs[pv].cval;
            pw_cc_pair_stores_imm(c, ins);
        }
        return;
    }
    emit_w2(c, irop, a, pw_cc_use(c, pv), k, off);
}

/* Pops the operands of an instruction with a signature in the opcode table
 * (last operand first) and returns the slots they are read from. */
static void operands(cc *c, const wm_opinfo *oi, uint32_t slot[3]) {
    uint32_t pos[3];
    for (uint32_t i = oi->nargs; i-- > 0;)
        pos[i] = pop_t(c, oi->args[i]);
    for (uint32_t i = 0; i < oi->nargs; i++)
        slot[i] = pw_cc_use(c, pos[i]);
}

/* The 0xfc-prefixed bulk memory and table instructions. */
void pw_cc_bulk(cc *c, uint32_t op, const wm_opinfo *oi) {
    const wm_module *m = c->m;
    uint32_t s[3]; /* operand slots: destination, source or value, length */
    uint32_t x = 0, y = 0;
    switch (op) {
    case OP_memory_init:
    case OP_data_drop:
        x = rd_u32(c);
        if (op == OP_memory_init) {
            if (rd_u8(c) != 0)
                MALFORMED("zero byte expected");
            pw_cc_need_memory(c, 0);
        }
        need_datacount(c);
        if (x >= m->datacount)
            INVALID("unknown data segment %u", x);
        break;
    case OP_memory_copy:
    case OP_memory_fill:
        if (rd_u8(c) != 0)
            MALFORMED("zero byte expected");
        if (op == OP_memory_copy && rd_u8(c) != 0)
            MALFORMED("zero byte expected");
        pw_cc_need_memory(c, 0);
        break;
    case OP_table_init:
    case OP_elem_drop:
        x = rd_u32(c);
        if (op == OP_table_init) {
            y = rd_u32(c);
            pw_cc_need_table(c, y);
        }
        if (x >= m->nelems)
            INVALID("unknown elem segment %u", x);
        if (op == OP_table_init && m->elems[x].reftype != m->tables[y].reftype)
            INVALID("type mismatch");
        break;
    case OP_table_copy:
        x = rd_u32(c);
        y = rd_u32(c);
        pw_cc_need_table(c, x);
        pw_cc_need_table(c, y);
        if (m->tables[x].reftype != m->tables[y].reftype)
            INVALID("type mismatch");
        break;
    default: /* table.grow, table.size, table.fill */
        x = rd_u32(c);
        pw_cc_need_table(c, x);
        break;
    }
    pw_code *ins;
    switch (op) {
    case OP_memory_copy:
    case OP_memory_fill:
    case OP_memory_init:
        operands(c, oi, s);
        ins = emit(c, oi->ir, 2);
        if (op == OP_memory_init) {
            ins[1].s.a = x;
            ins[1].s.b = s[0];
            ins[2].s.a = s[1];
            ins[2].s.b = s[2];
        } else {
            ins[1].s.a = s[0];
            ins[1].s.b = s[1];
            ins[2].s.a = s[2];
        }
        break;
    case OP_table_init:
    case OP_table_copy:
        operands(c, oi, s);
        ins = emit(c, oi->ir, 3);
        /* table.init: table, segment; table.copy: destination, source */
        ins[1].s.a = op == OP_table_init ? y : x;
        ins[1].s.b = op == OP_table_init ? x : y;
        ins[2].s.a = s[0];
        ins[2].s.b = s[1];
        ins[3].s.a = s[2];
        break;
    case OP_data_drop:
    case OP_elem_drop: emit(c, oi->ir, 1)[1].s.a = x; break;
    case OP_table_size:
        emit_d(c, oi->ir, 1, slot_of(c, c->vn))[1].s.b = x;
        push_slot(c, oi->result);
        break;
    default: { /* table.grow (ref, n) -> i32 and table.fill (i, ref, n): the table's reference type */
        uint32_t pn = pop_t(c, WM_I32);
        uint32_t pv = pop_t(c, m->tables[x].reftype);
        if (op == OP_table_grow) {
            uint32_t sv = pw_cc_use(c, pv), sn = pw_cc_use(c, pn);
            ins = emit_d(c, oi->ir, 2, slot_of(c, pv));
            ins[1].s.b = x;
            ins[2].s.a = sv;
            ins[2].s.b = sn;
            push_slot(c, WM_I32);
            break;
        }
        uint32_t pi = pop_t(c, WM_I32);
        uint32_t si = pw_cc_use(c, pi), sv = pw_cc_use(c, pv), sn = pw_cc_use(c, pn);
        ins = emit(c, oi->ir, 2);
        ins[1].s.a = x;
        ins[1].s.b = si;
        ins[2].s.a = sv;
        ins[2].s.b = sn;
        break;
    }
    }
}
