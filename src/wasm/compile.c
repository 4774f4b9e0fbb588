/* Validates function bodies and translates them to interpreter code in one
 * pass (see ir.h for the code format).
 *
 * Validation follows the spec's algorithm: an operand stack of value types
 * and a control stack of frames, with the polymorphic ("unknown") stack after
 * unreachable/br/br_table/return. Translation rides on the same operand stack:
 * each entry also says where its value lives. An entry is either in its
 * canonical slot (locals + stack position), or is a deferred local.get (the
 * value is still in the local) or a constant. Deferral saves the copies a
 * stack machine would do; entries are materialised into their canonical slots
 * where control flow merges (block entry, branches, block ends), before a
 * local they refer to is overwritten, and where an instruction needs a slot.
 * Code in unreachable regions is validated but not emitted.
 *
 * The parts are described in compile.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compile.h"

void pw_cc_fail(cc *c, int kind, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(c->err, sizeof c->err, fmt, ap);
    va_end(ap);
    if (k < 0)
        k = 0;
    if ((size_t)k < sizeof c->err)
        snprintf(c->err + k, sizeof c->err - (size_t)k, " at offset 0x%x", c->op_offset);
    c->errkind = kind;
    longjmp(c->jb, 1);
}

/* ---- stack values ------------------------------------------------------ */

/* Emits what puts the value of entry e (at stack position pos) into slot d. */
void pw_cc_emit_value_to(cc *c, const vent *e, uint32_t pos, uint32_t d) {
    pw_code *i;
    switch (e->kind) {
    case VK_CONST:
        i = emit_d(c, IR_const, 2, d);
        i[2].u = e->cval;
        break;
    case VK_ADDI:
        i = emit_d(c, IR_i32_add_imm, 2, d);
        i[1].s.b = e->local;
        i[2].u = (uint64_t)(int64_t)(int32_t)e->cval;
        break;
    case VK_ADD2:
        i = emit_d(c, IR_i32_add, 2, d);
        i[1].s.b = e->local;
        i[2].s.a = (uint32_t)e->cval;
        break;
    default: {
        uint32_t src = e->kind == VK_LOCAL ? e->local : slot_of(c, pos);
        if (src != d) {
            i = emit_d(c, IR_copy, 1, d);
            i[1].s.b = src;
        }
        break;
    }
    }
}

void pw_cc_materialize(cc *c, uint32_t pos) {
    vent *e = &c->vs[pos];
    if (e->kind != VK_SLOT)
        pw_cc_emit_value_to(c, e, pos, slot_of(c, pos));
    e->kind = VK_SLOT;
}
void pw_cc_materialize_range(cc *c, uint32_t from, uint32_t to) {
    for (uint32_t i = from; i < to; i++)
        pw_cc_materialize(c, i);
}

/* The slot an instruction reads the value at `pos` from. */
uint32_t pw_cc_use(cc *c, uint32_t pos) {
    if (c->dead)
        return 0;
    vent *e = &c->vs[pos];
    if (e->kind == VK_LOCAL)
        return e->local;
    if (e->kind != VK_SLOT)
        pw_cc_materialize(c, pos);
    return slot_of(c, pos);
}

/* Before local x is written, entries deferring a read of x get their value. */
void pw_cc_protect_local(cc *c, uint32_t x, uint32_t below) {
    if (c->dead)
        return;
    for (uint32_t i = 0; i < below; i++)
        if (((c->vs[i].kind == VK_LOCAL || c->vs[i].kind == VK_ADDI || c->vs[i].kind == VK_ADD2) &&
             c->vs[i].local == x) ||
            (c->vs[i].kind == VK_ADD2 && c->vs[i].cval == x))
            pw_cc_materialize(c, i);
}

/* ---- v128 values: two stack entries, two slots ------------------------- */

/* Pops a value of type t (both halves of a v128) and returns its position. */
uint32_t pw_cc_pop_val(cc *c, uint8_t t) {
    if (t != WM_V128)
        return pop_t(c, t);
    pop_t(c, PW_T_V128_HI);
    return pop_t(c, WM_V128);
}
void pw_cc_push_val(cc *c, uint8_t t) {
    push_slot(c, t);
    if (t == WM_V128)
        push_slot(c, PW_T_V128_HI);
}
/* The first of two adjacent slots holding the v128 at pos: a local's, or
 * the value's own. */
uint32_t pw_cc_use128(cc *c, uint32_t pos) {
    if (c->dead)
        return 0;
    vent *lo = &c->vs[pos], *hi = &c->vs[pos + 1];
    if (lo->kind == VK_LOCAL && hi->kind == VK_LOCAL && hi->local == lo->local + 1)
        return lo->local;
    if (lo->kind == VK_CONST && hi->kind == VK_CONST) { /* one instruction for both halves */
        pw_code *i = emit(c, IR_const128, 3);
        i[1].s.a = slot_of(c, pos);
        i[2].u = lo->cval;
        i[3].u = hi->cval;
        lo->kind = hi->kind = VK_SLOT;
        return slot_of(c, pos);
    }
    pw_cc_materialize(c, pos);
    pw_cc_materialize(c, pos + 1);
    return slot_of(c, pos);
}
uint32_t pw_cc_use_val(cc *c, uint8_t t, uint32_t pos) {
    return t == WM_V128 ? pw_cc_use128(c, pos) : pw_cc_use(c, pos);
}

/* ---- the driver -------------------------------------------------------- */

/* Fills the fuel cost words and the entry cost from the regions every tier
 * charges (scan.c), so the interpreter and other tiers cannot disagree. */
static pw_error *fill_costs(cc *c, uint32_t defidx, pw_cfunc *out) {
    pw_fuel_regions r;
    if (!pw_fuel_regions_of(c->m, defidx, &r))
        return pw_error_new(PW_ERR_RESOURCE, "out of memory computing fuel regions");
    if (r.nloops != c->nloops) {
        pw_fuel_regions_free(&r);
        return pw_error_new(PW_ERR_INVALID, "internal error: fuel regions disagree with the translator");
    }
    for (uint32_t i = 0; i < c->ncostfix; i++) {
        pw_code *w = &out->code[c->costfix[i].word];
        if (w->u < r.loops[c->costfix[i].loop].cost)
            w->u = r.loops[c->costfix[i].loop].cost;
    }
    out->entry_cost = r.entry_cost;
    pw_fuel_regions_free(&r);
    return NULL;
}

static pw_error *compile_one(cc *c, uint32_t defidx, pw_cfunc *out) {
    const wm_module *m = c->m;
    const wm_code *code = &m->codes[defidx];
    uint32_t fidx = m->nfunc_imports + defidx;
    const pw_sig *sig = c->mod->sigs[m->func_types[fidx]];

    c->n = c->noff = c->vn = c->cn = c->fxn = c->max_height = c->ncostfix = c->nloops = 0;
    c->dead = false;
    c->last_dst_ok = false;
    c->last_d128 = false;
    c->last_op = -1;
    c->nlvals = sig->nparams + code->nlocals;
    c->op_offset = code->body_offset;
    free(c->ltypes);
    free(c->lslot);
    c->ltypes = malloc((size_t)c->nlvals + 1);
    c->lslot = malloc(((size_t)c->nlvals + 1) * sizeof *c->lslot);
    if (!c->ltypes || !c->lslot)
        return pw_error_new(PW_ERR_RESOURCE, "out of memory");
    memcpy(c->ltypes, sig->types, sig->nparams);
    memcpy(c->ltypes + sig->nparams, code->local_types, code->nlocals);
    c->nlocals = 0;
    for (uint32_t i = 0; i < c->nlvals; i++) {
        c->lslot[i] = c->nlocals;
        c->nlocals += c->ltypes[i] == WM_V128 ? 2 : 1;
        if (c->ltypes[i] == WM_V128)
            c->mod->simd = true;
    }

    if (setjmp(c->jb)) {
        const char *name = m->func_names ? m->func_names[fidx] : NULL;
        return pw_error_new(c->errkind, "%s in function %u%s%s%s", c->err, fidx, name ? " '" : "",
                            name ? name : "", name ? "'" : "");
    }
    pw_cc_translate_body(c, code, sig);

    out->ncode = c->n;
    out->code = malloc(((size_t)c->n + 1) * sizeof *out->code);
    out->offmap = malloc(((size_t)c->noff + 1) * 2 * sizeof *out->offmap);
    if (!out->code || !out->offmap)
        return pw_error_new(PW_ERR_RESOURCE, "out of memory");
    memcpy(out->code, c->code, (size_t)c->n * sizeof *out->code);
    memcpy(out->offmap, c->offmap, (size_t)c->noff * 2 * sizeof *out->offmap);
    out->noffmap = c->noff;
    out->nparams = sig->nparam_slots;
    out->nlocals = c->nlocals;
    uint32_t fs = c->nlocals + c->max_height + 1;
    if (fs < sig->nresult_slots)
        fs = sig->nresult_slots;
    if (fs < sig->nparam_slots + 4)
        fs = sig->nparam_slots + 4; /* room for the interpreter's four-slot local zeroing */
    out->frame_size = fs;
    out->entry_cost = 0;
    if (c->checks) {
        pw_error *ferr = fill_costs(c, defidx, out);
        if (ferr)
            return ferr;
    }
    out->nzero = c->nlocals - sig->nparam_slots;
    out->sig = sig;
    out->index = fidx;
    return NULL;
}

const char *pw_compile_build_id(void) { return "compile " __DATE__ " " __TIME__; }

pw_error *pw_compile(pw_module *mod) {
    const wm_module *m = &mod->m;
    mod->funcs = calloc(m->ncodes + 1, sizeof *mod->funcs);
    if (!mod->funcs)
        return pw_error_new(PW_ERR_RESOURCE, "out of memory");
    cc *c = calloc(1, sizeof *c);
    if (!c)
        return pw_error_new(PW_ERR_RESOURCE, "out of memory");
    c->mod = mod;
    c->m = m;
    c->H = pw_interp_handlers();
    c->checks = mod->engine->config.consume_fuel || mod->engine->config.interruptible;
    for (uint32_t i = 0; i < m->ntypes; i++)
        if (mod->sigs[i]->nparam_slots + mod->sigs[i]->nresult_slots !=
            m->types[i].nparams + m->types[i].nresults)
            mod->simd = true;
    for (uint32_t i = 0; i < m->nglobals; i++)
        if (m->global_types[i].valtype == WM_V128)
            mod->simd = true;
    c->canon = mod->engine->config.canonicalize_nans;
#if PW_ROUND_SSE41
    c->sse41 = __builtin_cpu_supports("sse4.1");
#endif
    pw_error *err = NULL;
    for (uint32_t i = 0; i < m->ncodes && !err; i++) {
        err = compile_one(c, i, &mod->funcs[i]);
        if (!err)
            mod->code_bytes += (size_t)mod->funcs[i].ncode * sizeof(pw_code);
        else if (err->kind == PW_ERR_INVALID)
            for (uint32_t k = i; k < m->ncodes; k++) {
                const char *why = wm_scan_syntax(m->codes[k].body, m->codes[k].body + m->codes[k].body_len);
                if (why) {
                    pw_error_free(err);
                    err = pw_error_new(PW_ERR_MALFORMED, "%s in function %u", why, m->nfunc_imports + k);
                    break;
                }
            }
    }
    free(c->code);
    free(c->offmap);
    free(c->vs);
    free(c->cs);
    free(c->fx);
    free(c->ltypes);
    free(c->lslot);
    free(c->labels);
    free(c->costfix);
    free(c);
    return err;
}

void pw_cfunc_free(pw_cfunc *f) {
    free(f->code);
    free(f->offmap);
}

uint32_t pw_cfunc_offset(const pw_cfunc *f, const pw_code *ip) {
    if (!f->noffmap || ip < f->code)
        return 0;
    uint32_t at = (uint32_t)(ip - f->code);
    uint32_t lo = 0, hi = f->noffmap;
    while (hi - lo > 1) {
        uint32_t mid = (lo + hi) / 2;
        if (f->offmap[2 * mid] <= at)
            lo = mid;
        else
            hi = mid;
    }
    return f->offmap[2 * lo + 1];
}
