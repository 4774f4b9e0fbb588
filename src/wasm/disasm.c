/* Disassembler of interpreter code, for `portalis inspect --code` and engine
 * debugging. */
#include <stdio.h>

#include "rt.h"

/* The IR ops made from the opcode table are named as the instructions. */
static const char *const ir_names[IR_COUNT] = {
#define IR_NAME(n) #n,
#define IR_NAME_OP(name, code, text, imm, sig, flags, align, ir) text,
    IR_ALL(IR_NAME, IR_NAME_OP)
#undef IR_NAME
#undef IR_NAME_OP
};

/* Operand words after the handler, per IR op (br_table is variable). */
static uint32_t ir_width(int op) {
    if (op < IR_i32_trunc_sat_f32_s) {
        return wm_opinfo_of((uint32_t)(OP_i32_eqz + op - IR_i32_eqz))->nargs == 2 ? 2 : 1;
    }
    /* the IR's own groups up to IR_MISC, in enum order: the last op of each
     * run of equal width */
    static const struct {
        int last;
        uint8_t words;
    } runs[] = {{IR_i64_trunc_sat_f64_u, 1},
                {IR_br_ge_u_imm, 2},
                {IR_i64_xor_rmw, 3},
                {IR_br_back, 2},
                {IR_br_ge_u_imm_back, 3},
                {IR_store16_x2, 2},
                {IR_store32_imm, 2},
                {IR_store64_imm, 3},
                {IR_store16_imm, 2},
                {IR_br64_ge_u_imm, 2},
                {IR_br64_ge_u_imm_back, 3},
                {IR_inc_br_ge_u, 3},
                {IR_inc_br_ge_u_back, 4},
                {IR_f64_mulsub, 2},
                {IR_f64_axpy, 5},
                {IR_brf64_nge, 2},
                {IR_i32_add_imm2, 3},
                {IR_i64_xor_shl, 2},
                {IR_store64_imm2, 7},
                {IR_br_load32_unless, 3},
                {IR_f64_sqdiff_add_load, 4},
                {IR_f64_muladd_store, 3},
                {IR_inc2_br_ge_u, 5},
                {IR_store64_imm4, 15},
                {IR_f64_nearest_sse41, 1},
                {IR_f64_mul_floor_sse41, 2}};
    for (size_t i = 0; i < sizeof runs / sizeof runs[0]; i++)
        if (op <= runs[i].last)
            return runs[i].words;
    if (op >= IR_simd_v128_and) /* IR_SIMD_FAST, _MEM, _LOADOP, _AXPY: six words, as simd and simd_mem */
        return 5;
    switch (op) {
    case IR_unreachable:
    case IR_ret: return 0;
    case IR_br:
    case IR_copy:
    case IR_ret1:
    case IR_call:
    case IR_call_chk:
    case IR_global_get:
    case IR_global_set:
    case IR_global_get128:
    case IR_global_set128:
    case IR_memory_size:
    case IR_memory_grow:
    case IR_data_drop:
    case IR_table_size:
    case IR_elem_drop:
    case IR_ref_is_null:
    case IR_ref_func:
    case IR_check:
    case IR_f32_canon:
    case IR_f64_canon: return 1;
    case IR_table_copy:
    case IR_table_init: return 3;
    case IR_const128: return 3;
    case IR_simd:
    case IR_simd_mem: return 5;
    default: return 2;
    }
}

/* The wasm instruction at byte `off` of the module binary (where an IR
 * instruction came from), by its table name. */
static const char *wasm_name(const wm_module *m, uint32_t off) {
    const uint8_t *p = m->bytes + off;
    uint32_t id;
    const wm_opinfo *oi = NULL;
    if (off >= m->nbytes || wm_read_opcode(&p, m->bytes + m->nbytes, &id, &oi) || !oi)
        return "?";
    return oi->text;
}

void pw_module_disassemble(const pw_module *mod, uint32_t func_index, FILE *out) {
    const wm_module *m = &mod->m;
    if (func_index < m->nfunc_imports || func_index >= m->nfuncs) {
        fprintf(out, "function %u is imported or does not exist\n", func_index);
        return;
    }
    if (!mod->funcs) {
        fprintf(out, "function %u has no interpreter code: the module runs native code from the cache\n",
                func_index);
        return;
    }
    const pw_cfunc *f = &mod->funcs[func_index - m->nfunc_imports];
    const void *const *H = pw_interp_handlers();
    fprintf(out, "func %u: %u params, %u locals, frame %u slots, %u code words\n", func_index, f->nparams,
            f->nlocals, f->frame_size, f->ncode);
    for (uint32_t i = 0; i < f->ncode;) {
        int op = -1;
        for (int k = 0; k < IR_COUNT; k++)
            if (H[k] == f->code[i].h) {
                op = k;
                break;
            }
        if (op < 0) {
            fprintf(out, "  %5u: ???\n", i);
            return;
        }
        uint32_t w = op == IR_br_table ? 2 + f->code[i + 1].s.b : ir_width(op);
        fprintf(out, "  %5u: %-22s", i, ir_names[op]);
        if (op == IR_call_direct || op == IR_call_direct_chk)
            fprintf(out, " func %u, args at slot %u", ((const pw_cfunc *)f->code[i + 1].p)->index,
                    f->code[i + 2].s.a);
        else
            for (uint32_t k = 1; k <= w && i + k < f->ncode; k++)
                fprintf(out, " %u|%u", f->code[i + k].s.a, f->code[i + k].s.b);
        uint32_t off = pw_cfunc_offset(f, &f->code[i]);
        fprintf(out, "   @0x%x %s\n", off, wasm_name(m, off));
        i += 1 + w;
    }
}
