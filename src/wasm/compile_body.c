/* The translator's instruction loop: control flow (blocks, branches,
 * calls, returns), locals and globals; everything else goes to
 * compile_ops.c and compile_simd.c. */
#include <string.h>

#include "compile.h"

/* local.set / local.tee of the v128 local at slots x, x + 1. */
static void set_local_v128(cc *c, uint32_t x, bool tee) {
    vent eh, el;
    uint32_t ph = pop(c, PW_T_V128_HI, &eh);
    uint32_t pl = pop(c, WM_V128, &el);
    if (c->dead) {
        if (tee)
            pw_cc_push_val(c, WM_V128);
        return;
    }
    if (!(el.kind == VK_LOCAL && el.local == x && eh.kind == VK_LOCAL && eh.local == x + 1)) {
        pw_cc_protect_local(c, x, pl);
        pw_cc_protect_local(c, x + 1, pl);
        if (el.kind == VK_SLOT && eh.kind == VK_SLOT && c->last_d128 &&
            c->code[c->last_start + 2].s.a == slot_of(c, pl)) {
            /* the SIMD instruction computing the value writes the local (it
             * reads its operands first, so they may be the local too) */
            c->code[c->last_start + 2].s.a = x;
            c->last_d128 = false;
        } else {
            pw_cc_emit_value_to(c, &el, pl, x);
            pw_cc_emit_value_to(c, &eh, ph, x + 1);
        }
    }
    if (tee) {
        c->vn += 2;
        if (el.kind != VK_CONST || eh.kind != VK_CONST) {
            c->vs[pl] = (vent){WM_V128, VK_LOCAL, x, 0};
            c->vs[ph] = (vent){PW_T_V128_HI, VK_LOCAL, x + 1, 0};
        }
    }
}

/* select (typed or not) of two v128s: one select per half. */
static void select_v128(cc *c, uint32_t pc) {
    uint32_t pb = pw_cc_pop_val(c, WM_V128);
    uint32_t pa = pw_cc_pop_val(c, WM_V128);
    if (!c->dead) {
        uint32_t sa = pw_cc_use128(c, pa), sb = pw_cc_use128(c, pb), sc = pw_cc_use(c, pc);
        for (uint32_t h = 0; h < 2; h++) {
            pw_code *ins = emit(c, IR_select, 2);
            ins[1].s.a = slot_of(c, pa) + h;
            ins[1].s.b = sc;
            ins[2].s.a = sa + h;
            ins[2].s.b = sb + h;
        }
    }
    pw_cc_push_val(c, WM_V128);
}

/* ---- forward branches -------------------------------------------------- */

static void add_fixup(cc *c, uint32_t *head, uint32_t instr, uint32_t word) {
    if (c->dead)
        return;
    GROW(c->fx, c->fxcap, c->fxn + 1);
    c->fx[c->fxn] = (fixup){instr, word, *head};
    *head = c->fxn++;
}

static void patch_list(cc *c, uint32_t head, uint32_t target) {
    for (uint32_t i = head; i != NONE; i = c->fx[i].next)
        c->code[c->fx[i].word].i = (int64_t)target - (int64_t)c->fx[i].instr;
}

/* ---- control frames ---------------------------------------------------- */

static bool is_num(uint8_t t) { return t == WM_I32 || t == WM_I64 || t == WM_F32 || t == WM_F64; }
static bool is_ref(uint8_t t) { return t == WM_FUNCREF || t == WM_EXTERNREF; }

static void push_frame(cc *c, uint8_t kind, uint32_t np, const uint8_t *params, uint32_t nr,
                       const uint8_t *results, uint8_t single) {
    GROW(c->cs, c->ccap, c->cn + 1);
    cent *f = &c->cs[c->cn++];
    *f = (cent){.kind = kind,
                .dead_entry = c->dead,
                .height = c->vn,
                .nparams = np,
                .nresults = nr,
                .params = params,
                .results = results,
                .single = single,
                .loop_pos = c->n,
                .else_fix = NONE,
                .fix_head = NONE,
                .loop_ord = kind == CK_LOOP ? c->nloops++ : 0};
}

static void set_unreachable(cc *c) {
    cent *f = top_frame(c);
    c->vn = f->height;
    f->unreachable = true;
    c->dead = true;
}

/* Reads a block type into (np, params, nr, results, single). */
static void read_blocktype(cc *c, uint32_t *np, const uint8_t **params, uint32_t *nr, const uint8_t **results,
                           uint8_t *single) {
    *np = 0;
    *nr = 0;
    *params = *results = NULL;
    *single = 0;
    if (c->p >= c->end)
        MALFORMED("unexpected end");
    uint8_t b = *c->p;
    if (b == 0x40) {
        c->p++;
        return;
    }
    if (is_num(b) || is_ref(b)) {
        c->p++;
        *single = b;
        *nr = 1;
        return;
    }
    if (b == WM_V128) {
        static const uint8_t v128_slots[2] = {WM_V128, PW_T_V128_HI};
        c->p++;
        *results = v128_slots;
        *nr = 2;
        return;
    }
    int64_t idx;
    const char *why = NULL;
    if (!wm_read_s33(&c->p, c->end, &idx, &why))
        MALFORMED("%s", why ? why : "malformed block type");
    if (idx < 0)
        MALFORMED("malformed block type");
    if ((uint64_t)idx >= c->m->ntypes)
        INVALID("unknown type");
    const pw_sig *ft = c->mod->sigs[idx];
    *np = ft->nparam_slots;
    *params = ft->slot_types;
    *nr = ft->nresult_slots;
    *results = ft->slot_types + ft->nparam_slots;
}

/* Block, label and function types count slots: a v128 is two entries on
 * the operand stack (WM_V128 then PW_T_V128_HI), so every rule that moves
 * values moves its halves, and a half checks against a half. */
static uint32_t label_arity(const cent *f) { return f->kind == CK_LOOP ? f->nparams : f->nresults; }
/* A single-result block type is kept inline (`single`), not behind a pointer
 * into the frame, because the frame array may move when it grows. */
static const uint8_t *result_types(const cent *f) { return f->single ? &f->single : f->results; }
static const uint8_t *label_types(const cent *f) { return f->kind == CK_LOOP ? f->params : result_types(f); }

/* Emits the copies that put the top `arity` values (positions from..from+arity)
 * into slots dst..dst+arity. Ascending order is safe: dst <= source slot for
 * stack values, and locals/constants are never destinations here. */
static void emit_moves(cc *c, uint32_t from, uint32_t arity, uint32_t dst) {
    for (uint32_t i = 0; i < arity; i++)
        pw_cc_emit_value_to(c, &c->vs[from + i], from + i, dst + i);
}

static bool moves_needed(cc *c, uint32_t from, uint32_t arity, uint32_t dst) {
    for (uint32_t i = 0; i < arity; i++) {
        vent *e = &c->vs[from + i];
        if (e->kind != VK_SLOT || slot_of(c, from + i) != dst + i)
            return true;
    }
    return false;
}

/* Return sequence: results (top nr values) go to slots 0..nr. */
static void emit_return(cc *c) {
    uint32_t nr = c->cs[0].nresults;
    if (c->dead)
        return;
    uint32_t from = c->vn - nr;
    if (nr == 1) {
        vent *e = &c->vs[from];
        if (e->kind == VK_ADDI || e->kind == VK_ADD2)
            pw_cc_materialize(c, from);
        uint32_t src = e->kind == VK_LOCAL ? e->local : slot_of(c, from);
        if (e->kind == VK_CONST) {
            pw_code *k = emit_d(c, IR_const, 2, 0);
            k[2].u = e->cval;
            src = 0;
        }
        if (e->kind == VK_SLOT && c->last_dst_ok && c->code[c->last_start + 1].s.a == src) {
            /* the instruction computing the result writes it in place */
            c->code[c->last_start + 1].s.a = 0;
            emit(c, IR_ret, 0);
            return;
        }
        pw_code *ins = emit(c, IR_ret1, 1);
        ins[1].s.a = src;
        return;
    }
    /* A local among the sources could be overwritten by an earlier copy. */
    for (uint32_t i = 0; i < nr; i++)
        if (c->vs[from + i].kind == VK_LOCAL && c->vs[from + i].local < nr)
            pw_cc_materialize(c, from + i);
    emit_moves(c, from, nr, 0);
    emit(c, IR_ret, 0);
}

static void add_costfix(cc *c, uint32_t word, const cent *loop) {
    GROW(c->costfix, c->capcostfix, c->ncostfix + 1);
    c->costfix[c->ncostfix++] = (struct costfix){word, loop->loop_ord};
}

/* Turns the branch just emitted at `br` (relative target in its last word)
 * into its back-edge form, which also charges fuel and polls for interrupts;
 * the cost word is filled in when the loop's `end` is reached. */
static void make_back_edge(cc *c, uint32_t br, cent *loop) {
    if (!c->checks || c->dead)
        return;
    int op = c->last_op, back;
    if (op == IR_br)
        back = IR_br_back;
    else if (op == IR_br_if)
        back = IR_br_if_back;
    else if (op == IR_br_unless)
        back = IR_br_unless_back;
    else if (op >= IR_inc_br_eq && op <= IR_inc_br_ge_u)
        back = IR_inc_br_eq_back + (op - IR_inc_br_eq);
    else if (op >= IR_br64_eq && op <= IR_br64_ge_u_imm)
        back = IR_br64_eq_back + (op - IR_br64_eq);
    else
        back = IR_br_eq_back + (op - IR_br_eq);
    GROW(c->code, c->cap, c->n + 1);
    c->code[br].h = c->H[back];
    c->code[c->n].u = 0;
    add_costfix(c, c->n, loop);
    c->n++;
    c->last_op = back;
}

/* Unconditional jump to the label of frame `f` (values already in place). */
static void emit_jump(cc *c, cent *f) {
    pw_code *ins = emit(c, IR_br, 1);
    if (f->kind == CK_LOOP) {
        ins[1].i = (int64_t)f->loop_pos - (int64_t)c->last_start;
        make_back_edge(c, c->last_start, f);
    } else
        add_fixup(c, &f->fix_head, c->last_start, c->last_start + 1);
}

/* Full branch to frame f with the top arity values (used by br, br_table stubs). */
static void emit_branch(cc *c, cent *f) {
    if (f == &c->cs[0]) {
        emit_return(c);
        return;
    }
    uint32_t arity = label_arity(f);
    emit_moves(c, c->vn - arity, arity, slot_of(c, f->height));
    emit_jump(c, f);
}

/* ---- the translator ---------------------------------------------------- */

void pw_cc_translate_body(cc *c, const wm_code *code, const pw_sig *sig) {
    const wm_module *m = c->m;
    c->p = code->body;
    c->end = code->body + code->body_len;
    push_frame(c, CK_FUNC, 0, NULL, sig->nresult_slots, sig->slot_types + sig->nparam_slots, 0);

    while (c->cn > 0) {
        c->op_offset = code->body_offset + (uint32_t)(c->p - code->body);
        if (c->p >= c->end)
            MALFORMED("unexpected end of section or function");
        uint32_t op = *c->p++;
        if (wm_is_prefix((uint8_t)op)) {
            uint32_t prefix = op, sub = rd_u32(c);
            op = WM_OPID(prefix, sub > 0xffff ? 0xffff : sub);
            if (!wm_opinfo_of(op))
                MALFORMED("illegal opcode 0x%02x %u", prefix, sub);
        }
        const wm_opinfo *oi = wm_opinfo_of(op);
        switch (oi ? oi->kind : WK_CONTROL) {
        case WK_LOAD: pw_cc_load(c, oi); continue;
        case WK_STORE: pw_cc_store(c, oi); continue;
        case WK_BULK: pw_cc_bulk(c, op, oi); continue;
        case WK_SIMD: pw_cc_simd(c, op, oi); continue;
        case WK_NUMERIC:
            pw_cc_numeric(c, op, oi);
            if (c->canon && (oi->flags & WF_NAN))
                pw_cc_canonicalize(c, oi->result);
            continue;
        default: break;
        }
        switch (op) {
        case OP_unreachable:
            emit(c, IR_unreachable, 0);
            set_unreachable(c);
            break;
        case OP_nop: break;
        case OP_block:
        case OP_loop:
        case OP_if: {
            uint32_t np, nr;
            const uint8_t *params, *results;
            uint8_t single;
            read_blocktype(c, &np, &params, &nr, &results, &single);
            uint32_t pcond = 0;
            if (op == OP_if)
                pcond = pop_t(c, WM_I32);
            for (uint32_t i = np; i-- > 0;)
                pop_t(c, params[i]);
            if (!c->dead)
                pw_cc_materialize_range(c, 0, c->vn + np);
            uint32_t br = NONE;
            if (op == OP_if) {
                /* Materialising the stack above may have emitted copies after
                 * a comparison; fusion then simply does not apply. */
                br = pw_cc_emit_cond_branch(c, pcond, true, true);
            }
            push_frame(c,
                       op == OP_block  ? CK_BLOCK
                       : op == OP_loop ? CK_LOOP
                                       : CK_IF,
                       np, params, nr, results, single);
            cent *f = top_frame(c);
            if (op == OP_loop) {
                label_here(c);
                f->loop_pos = c->n;
            }
            if (br != NONE && !c->dead) {
                uint32_t head = NONE;
                add_fixup(c, &head, br, br + 2);
                f->else_fix = head;
            }
            for (uint32_t i = 0; i < np; i++)
                push_slot(c, params[i]);
            break;
        }
        case OP_else: {
            cent *f = top_frame(c);
            if (f->kind != CK_IF)
                MALFORMED("else without matching if");
            for (uint32_t i = f->nresults; i-- > 0;)
                pop_t(c, result_types(f)[i]);
            if (c->vn != f->height)
                INVALID("type mismatch");
            if (!c->dead) {
                c->vn += f->nresults; /* results are still there */
                pw_cc_materialize_range(c, f->height, f->height + f->nresults);
                c->vn -= f->nresults;
                emit_jump(c, f);
            }
            c->dead = f->dead_entry;
            label_here(c);
            if (f->else_fix != NONE)
                patch_list(c, f->else_fix, c->n);
            f->else_fix = NONE;
            f->kind = CK_ELSE;
            f->unreachable = false;
            c->vn = f->height;
            for (uint32_t i = 0; i < f->nparams; i++)
                push_slot(c, f->params[i]);
            break;
        }
        case OP_end: {
            cent *f = top_frame(c);
            for (uint32_t i = f->nresults; i-- > 0;)
                pop_t(c, result_types(f)[i]);
            if (c->vn != f->height)
                INVALID("type mismatch");
            if (f->kind == CK_IF) {
                /* An if without else passes its parameters through. */
                if (f->nparams != f->nresults || (f->nparams && memcmp(f->params, f->results, f->nparams)))
                    INVALID("type mismatch");
            }
            c->vn += f->nresults;
            if (f->kind == CK_FUNC) {
                emit_return(c);
                c->cn--;
                if (c->p != c->end)
                    MALFORMED("section size mismatch: code after the function's end");
                break;
            }
            if (!c->dead)
                pw_cc_materialize_range(c, f->height, f->height + f->nresults);
            c->vn -= f->nresults;
            label_here(c);
            if (f->else_fix != NONE)
                patch_list(c, f->else_fix, c->n);
            patch_list(c, f->fix_head, c->n);
            c->dead = f->dead_entry;
            uint32_t nr = f->nresults;
            const uint8_t *res = f->single ? NULL : f->results;
            uint8_t single = f->single;
            c->cn--;
            for (uint32_t i = 0; i < nr; i++)
                push_slot(c, res ? res[i] : single);
            break;
        }
        case OP_br:
        case OP_br_if: {
            uint32_t l = rd_u32(c);
            if (l >= c->cn)
                INVALID("unknown label");
            uint32_t pcond = 0;
            if (op == OP_br_if)
                pcond = pop_t(c, WM_I32);
            cent *f = &c->cs[c->cn - 1 - l];
            uint32_t arity = label_arity(f);
            const uint8_t *types = label_types(f);
            uint32_t h0 = c->vn;
            for (uint32_t i = arity; i-- > 0;)
                pop_t(c, types[i]);
            if (op == OP_br) {
                if (!c->dead) {
                    c->vn = h0;
                    emit_branch(c, f);
                }
                set_unreachable(c);
                break;
            }
            /* br_if: the values stay on the stack (with their deferred
             * locations) for the fall-through path. */
            if (c->dead) {
                for (uint32_t i = 0; i < arity; i++)
                    push_slot(c, types[i]);
                break;
            }
            c->vn = h0;
            if (f == &c->cs[0] || (arity && moves_needed(c, c->vn - arity, arity, slot_of(c, f->height)))) {
                uint32_t skip = pw_cc_emit_cond_branch(c, pcond, true, true);
                emit_branch(c, f);
                label_here(c);
                c->code[skip + 2].i = (int64_t)c->n - (int64_t)skip;
            } else {
                uint32_t br = pw_cc_emit_cond_branch(c, pcond, false, !(c->checks && f->kind == CK_LOOP));
                if (f->kind == CK_LOOP) {
                    c->code[br + 2].i = (int64_t)f->loop_pos - (int64_t)br;
                    make_back_edge(c, br, f);
                } else
                    add_fixup(c, &f->fix_head, br, br + 2);
            }
            break;
        }
        case OP_br_table: {
            uint32_t n = rd_u32(c);
            if (n > (uint32_t)(c->end - c->p))
                MALFORMED("unexpected end");
            GROW(c->labels, c->labcap, (size_t)n + 1);
            uint32_t *labels = c->labels;
            for (uint32_t i = 0; i <= n; i++) {
                const char *why = NULL;
                if (!wm_read_u32(&c->p, c->end, &labels[i], &why)) {
                    MALFORMED("%s", why ? why : "malformed br_table");
                }
                if (labels[i] >= c->cn) {
                    INVALID("unknown label");
                }
            }
            uint32_t pidx = pop_t(c, WM_I32);
            cent *fd = &c->cs[c->cn - 1 - labels[n]];
            uint32_t arity = label_arity(fd);
            uint32_t h0 = c->vn;
            for (uint32_t i = 0; i <= n; i++) {
                cent *f = &c->cs[c->cn - 1 - labels[i]];
                if (label_arity(f) != arity) {
                    INVALID("type mismatch");
                }
                const uint8_t *types = label_types(f);
                uint32_t save = c->vn;
                /* check against this label's types, then restore the stack */
                for (uint32_t k = arity; k-- > 0;) {
                    cent *tf = top_frame(c);
                    if (c->vn == tf->height) {
                        if (!tf->unreachable) {
                            INVALID("type mismatch");
                        }
                        continue;
                    }
                    vent *e = &c->vs[c->vn - 1];
                    if (e->type != T_UNKNOWN && types[k] != e->type) {
                        INVALID("type mismatch");
                    }
                    c->vn--;
                }
                c->vn = save;
            }
            if (!c->dead) {
                uint32_t s = pw_cc_use(c, pidx);
                pw_cc_materialize_range(c, c->vn - arity, c->vn);
                if (c->checks)
                    for (uint32_t i = 0; i <= n; i++) {
                        cent *f = &c->cs[c->cn - 1 - labels[i]];
                        if (f->kind == CK_LOOP) {
                            /* one check, charged as the costliest loop it may re-enter */
                            pw_code *ck = emit(c, IR_check, 1);
                            (void)ck;
                            uint32_t at = c->last_start;
                            for (uint32_t k = 0; k <= n; k++) {
                                cent *g = &c->cs[c->cn - 1 - labels[k]];
                                if (g->kind == CK_LOOP)
                                    add_costfix(c, at + 1, g);
                            }
                            break;
                        }
                    }
                pw_code *ins = emit(c, IR_br_table, 1 + n + 1);
                uint32_t start = c->last_start;
                ins[1].s.a = s;
                ins[1].s.b = n;
                for (uint32_t i = 0; i <= n; i++) {
                    cent *f = &c->cs[c->cn - 1 - labels[i]];
                    uint32_t w = start + 2 + i;
                    if (f != &c->cs[0] && !moves_needed(c, c->vn - arity, arity, slot_of(c, f->height))) {
                        if (f->kind == CK_LOOP)
                            c->code[w].i = (int64_t)f->loop_pos - (int64_t)start;
                        else
                            add_fixup(c, &f->fix_head, start, w);
                    } else {
                        /* a stub that moves the values, then jumps */
                        label_here(c);
                        c->code[w].i = (int64_t)c->n - (int64_t)start;
                        emit_branch(c, f);
                    }
                }
            }
            c->vn = h0;
            set_unreachable(c);
            break;
        }
        case OP_return: {
            cent *f = &c->cs[0];
            uint32_t h0 = c->vn;
            for (uint32_t i = f->nresults; i-- > 0;)
                pop_t(c, result_types(f)[i]);
            if (!c->dead) {
                c->vn = h0;
                emit_return(c);
            }
            set_unreachable(c);
            break;
        }
        case OP_call:
        case OP_call_indirect: {
            uint32_t fi = rd_u32(c), table = 0;
            const pw_sig *s;
            if (op == OP_call) {
                if (fi >= m->nfuncs)
                    INVALID("unknown function %u", fi);
                s = c->mod->sigs[m->func_types[fi]];
            } else {
                table = rd_u32(c);
                pw_cc_need_table(c, table);
                if (fi >= m->ntypes)
                    INVALID("unknown type");
                if (m->tables[table].reftype != WM_FUNCREF)
                    INVALID("type mismatch");
                s = c->mod->sigs[fi];
            }
            uint32_t pidx = 0;
            if (op == OP_call_indirect)
                pidx = pop_t(c, WM_I32);
            for (uint32_t i = s->nparam_slots; i-- > 0;)
                pop_t(c, s->slot_types[i]);
            uint32_t base = c->vn;
            if (!c->dead) {
                pw_cc_materialize_range(c, base, base + s->nparam_slots);
                if (op == OP_call && fi >= m->nfunc_imports) {
                    /* same module: the callee's code is known now */
                    pw_code *ins = emit(c, c->checks ? IR_call_direct_chk : IR_call_direct, 2);
                    ins[1].p = &c->mod->funcs[fi - m->nfunc_imports];
                    ins[2].s.a = slot_of(c, base);
                } else if (op == OP_call) {
                    pw_code *ins = emit(c, c->checks ? IR_call_chk : IR_call, 1);
                    ins[1].s.a = fi;
                    ins[1].s.b = slot_of(c, base);
                } else {
                    uint32_t is = pw_cc_use(c, pidx);
                    pw_code *ins = emit(c, c->checks ? IR_call_indirect_chk : IR_call_indirect, 2);
                    ins[1].s.a = fi;
                    ins[1].s.b = table;
                    ins[2].s.a = slot_of(c, base);
                    ins[2].s.b = is;
                }
                label_here(c);
            }
            for (uint32_t i = 0; i < s->nresult_slots; i++)
                push_slot(c, s->slot_types[s->nparam_slots + i]);
            /* the callee's frame starts at base; make sure the stack check
             * covers at least the results */
            break;
        }
        case OP_drop: {
            vent e;
            pop(c, T_UNKNOWN, &e);
            if (e.type == PW_T_V128_HI)
                pop_t(c, WM_V128);
            break;
        }
        case OP_select:
        case OP_select_t: {
            uint8_t t = T_UNKNOWN;
            if (op == OP_select_t) {
                uint32_t k = rd_u32(c);
                if (k != 1)
                    INVALID("invalid result arity");
                t = rd_u8(c);
                if (!is_num(t) && !is_ref(t) && t != WM_V128)
                    MALFORMED("malformed value type");
            }
            uint32_t pc = pop_t(c, WM_I32);
            if (t == WM_V128 ||
                (t == T_UNKNOWN && c->vn > top_frame(c)->height && c->vs[c->vn - 1].type == PW_T_V128_HI)) {
                select_v128(c, pc);
                break;
            }
            vent eb, ea;
            uint32_t pb = pop(c, t, &eb);
            uint32_t pa = pop(c, t, &ea);
            if (op == OP_select) {
                if ((ea.type != T_UNKNOWN && !is_num(ea.type)) || (eb.type != T_UNKNOWN && !is_num(eb.type)))
                    INVALID("type mismatch");
                if (ea.type != T_UNKNOWN && eb.type != T_UNKNOWN && ea.type != eb.type)
                    INVALID("type mismatch");
                t = ea.type != T_UNKNOWN ? ea.type : eb.type;
            }
            if (!c->dead && !pw_cc_fuse_select(c, pa, pb, pc)) {
                uint32_t sa = pw_cc_use(c, pa), sb = pw_cc_use(c, pb), sc = pw_cc_use(c, pc);
                emit_d2(c, IR_select, slot_of(c, pa), sc, sa, sb);
            }
            push_slot(c, t);
            break;
        }
        case OP_local_get: {
            uint32_t x = rd_index(c, c->nlvals, "local");
            push(c, c->ltypes[x], VK_LOCAL, c->lslot[x], 0);
            if (c->ltypes[x] == WM_V128)
                push(c, PW_T_V128_HI, VK_LOCAL, c->lslot[x] + 1, 0);
            break;
        }
        case OP_local_set:
        case OP_local_tee: {
            uint32_t xi = rd_index(c, c->nlvals, "local");
            if (c->ltypes[xi] == WM_V128) {
                set_local_v128(c, c->lslot[xi], op == OP_local_tee);
                break;
            }
            uint32_t x = c->lslot[xi];
            vent e;
            uint32_t pv = pop(c, c->ltypes[xi], &e);
            if (c->dead) {
                if (op == OP_local_tee)
                    push_slot(c, c->ltypes[xi]);
                break;
            }
            if (e.kind == VK_LOCAL && e.local == x) {
                /* local.set x (local.get x) is a no-op */
                if (op == OP_local_tee)
                    c->vn++;
                break;
            }
            pw_cc_protect_local(c, x, pv);
            bool retarget =
                e.kind == VK_SLOT && c->last_dst_ok && c->code[c->last_start + 1].s.a == slot_of(c, pv);
            if (retarget) {
                c->code[c->last_start + 1].s.a = x;
            } else {
                pw_cc_emit_value_to(c, &e, pv, x);
            }
            if (op == OP_local_tee) {
                c->vn++;
                if (e.kind != VK_CONST)
                    c->vs[pv] = (vent){c->ltypes[xi], VK_LOCAL, x, 0};
            }
            break;
        }
        case OP_global_get: {
            uint32_t x = rd_index(c, m->nglobals, "global");
            uint8_t t = m->global_types[x].valtype;
            pw_code *ins = emit_d(c, t == WM_V128 ? IR_global_get128 : IR_global_get, 1, slot_of(c, c->vn));
            ins[1].s.b = x;
            pw_cc_push_val(c, t);
            break;
        }
        case OP_global_set: {
            uint32_t x = rd_index(c, m->nglobals, "global");
            if (!m->global_types[x].mut)
                INVALID("global is immutable");
            uint8_t t = m->global_types[x].valtype;
            uint32_t s = pw_cc_use_val(c, t, pw_cc_pop_val(c, t));
            pw_code *ins = emit(c, t == WM_V128 ? IR_global_set128 : IR_global_set, 1);
            ins[1].s.a = x;
            ins[1].s.b = s;
            break;
        }
        case OP_table_get:
        case OP_table_set: {
            uint32_t x = rd_u32(c);
            pw_cc_need_table(c, x);
            uint8_t rt = m->tables[x].reftype;
            if (op == OP_table_get) {
                uint32_t pi = pop_t(c, WM_I32);
                emit_d2(c, IR_table_get, slot_of(c, pi), pw_cc_use(c, pi), x, 0);
                push_slot(c, rt);
            } else {
                uint32_t pv = pop_t(c, rt);
                uint32_t pi = pop_t(c, WM_I32);
                uint32_t si = pw_cc_use(c, pi), sv = pw_cc_use(c, pv);
                emit_w2(c, IR_table_set, x, si, sv, 0);
            }
            break;
        }
        case OP_memory_size:
        case OP_memory_grow: {
            if (rd_u8(c) != 0)
                MALFORMED("zero byte expected");
            pw_cc_need_memory(c, 0);
            if (op == OP_memory_size) {
                emit_d(c, IR_memory_size, 1, slot_of(c, c->vn));
            } else {
                uint32_t pa = pop_t(c, WM_I32);
                uint32_t s = pw_cc_use(c, pa);
                pw_code *ins = emit_d(c, IR_memory_grow, 1, slot_of(c, pa));
                ins[1].s.b = s;
            }
            push_slot(c, WM_I32);
            break;
        }
        case OP_i32_const: push(c, WM_I32, VK_CONST, 0, (uint32_t)rd_s32(c)); break;
        case OP_i64_const: push(c, WM_I64, VK_CONST, 0, (uint64_t)rd_s64(c)); break;
        case OP_f32_const:
        case OP_f64_const: { /* the bits, little endian */
            uint32_t n = op == OP_f32_const ? 4 : 8;
            if ((size_t)(c->end - c->p) < n)
                MALFORMED("unexpected end");
            uint64_t v = 0;
            for (uint32_t i = 0; i < n; i++)
                v |= (uint64_t)c->p[i] << (8 * i);
            c->p += n;
            push(c, oi->result, VK_CONST, 0, v);
            break;
        }
        case OP_ref_null: {
            uint8_t t = rd_u8(c);
            if (!is_ref(t))
                MALFORMED("malformed reference type");
            push(c, t, VK_CONST, 0, 0);
            break;
        }
        case OP_ref_is_null: {
            vent e;
            uint32_t pa = pop(c, T_UNKNOWN, &e);
            if (e.type != T_UNKNOWN && !is_ref(e.type))
                INVALID("type mismatch");
            uint32_t s = pw_cc_use(c, pa);
            pw_code *ins = emit_d(c, IR_ref_is_null, 1, slot_of(c, pa));
            ins[1].s.b = s;
            push_slot(c, WM_I32);
            break;
        }
        case OP_ref_func: {
            uint32_t x = rd_index(c, m->nfuncs, "function");
            if (!(m->func_refs[x / 8] & (1u << (x % 8))))
                INVALID("undeclared function reference");
            pw_code *ins = emit_d(c, IR_ref_func, 1, slot_of(c, c->vn));
            ins[1].s.b = x;
            push_slot(c, WM_FUNCREF);
            break;
        }
        default: MALFORMED("illegal opcode 0x%02x", op);
        }
    }
}
