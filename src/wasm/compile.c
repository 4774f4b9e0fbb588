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
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simd.h"
#include "tier.h"

/* Where a stack value lives: in its canonical slot, still in local `local`,
 * a constant `cval`, or a deferred i32 sum "slot `local` + constant `cval`"
 * (VK_ADDI) or "slot `local` + slot `cval`" (VK_ADD2), which loads and stores
 * fold into their address computation. The slots of a sum are locals or the
 * entry's own canonical slot, so nothing overwrites them while it is live. */
enum { VK_SLOT, VK_LOCAL, VK_CONST, VK_ADDI, VK_ADD2 };
#define T_UNKNOWN 0

typedef struct {
    uint8_t type;
    uint8_t kind;
    uint32_t local;
    uint64_t cval;
} vent;

enum { CK_FUNC, CK_BLOCK, CK_LOOP, CK_IF, CK_ELSE };

typedef struct {
    uint8_t kind;
    bool unreachable;
    bool dead_entry; /* emission was already suppressed when the frame opened */
    uint32_t height;
    uint32_t nparams, nresults;
    const uint8_t *params, *results;
    uint8_t single;
    uint32_t loop_pos;
    uint32_t else_fix; /* fixup index of the if's false branch, or NONE */
    uint32_t fix_head; /* forward branches to patch at `end` */
    uint32_t loop_ord; /* loops: ordinal in the body, as in pw_fuel_regions */
} cent;

typedef struct {
    uint32_t instr, word, next;
} fixup;

#define NONE UINT32_MAX

typedef struct {
    pw_module *mod;
    const wm_module *m;
    const void *const *H;
    jmp_buf jb;
    int errkind;
    char err[256];

    const uint8_t *p, *end, *bytes;
    uint32_t op_offset; /* binary offset of the instruction being translated */

    pw_code *code;
    uint32_t n;
    size_t cap;
    uint32_t *offmap;
    uint32_t noff;
    size_t capoff; /* uint32_t entries: two per instruction */
    vent *vs;
    uint32_t vn, max_height;
    size_t vcap;
    cent *cs;
    uint32_t cn;
    size_t ccap;
    fixup *fx;
    uint32_t fxn;
    size_t fxcap;

    uint32_t nlocals; /* slots of the parameters and locals (a v128 takes two) */
    uint32_t nlvals;  /* parameters and locals */
    uint8_t *ltypes;  /* per local index: its type */
    uint32_t *lslot;  /* per local index: its (first) slot */
    uint32_t *labels; /* br_table targets (kept here so an error exit frees them) */
    size_t labcap;

    bool dead;
    bool checks; /* emit fuel/interrupt checks (engine configuration) */
    bool canon;  /* canonicalise NaNs produced by float arithmetic (engine configuration) */
    /* Fuel cost words to fill once the body's regions are known: the word
     * index and the loop whose cost it takes (the largest, where one check
     * serves several loops, as before a br_table). */
    struct costfix {
        uint32_t word, loop;
    } * costfix;
    uint32_t ncostfix, nloops;
    size_t capcostfix;
    /* Peephole state: the last instruction, if nothing (label, other
     * instruction) came after it, and where its destination slot lives. */
    uint32_t last_start;
    int last_op;
    uint32_t prev_start; /* the instruction before the last one, if no label */
    int prev_op;
    bool last_dst_ok; /* its destination is code[last_start+1].s.a */
    bool last_d128;   /* it writes a v128 to code[last_start+2].s.a (SIMD) */
    pw_code scratch[8];
} cc;

static void __attribute__((noreturn, format(printf, 3, 4))) fail(cc *c, int kind, const char *fmt, ...) {
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
#define INVALID(...) fail(c, PW_ERR_INVALID, __VA_ARGS__)
#define MALFORMED(...) fail(c, PW_ERR_MALFORMED, __VA_ARGS__)

/* Makes room for `need` elements in array `arr` of capacity `cap`, or fails
 * the translation. */
#define GROW(arr, cap, need)                                                                                     \
    do {                                                                                                         \
        if (!PBASE_RESERVE(arr, cap, need))                                                                      \
            fail(c, PW_ERR_RESOURCE, "out of memory while translating");                                         \
    } while (0)

/* ---- reading ---------------------------------------------------------- */

static uint8_t rd_u8(cc *c) {
    if (c->p >= c->end)
        MALFORMED("unexpected end");
    return *c->p++;
}
/* A failed LEB128 read makes the body malformed, in the reader's words. */
static inline void leb_check(cc *c, bool ok, const char *const *why) {
    if (!ok)
        MALFORMED("%s", *why ? *why : "malformed integer");
}
static inline uint32_t rd_u32(cc *c) {
    if (c->p < c->end && *c->p < 0x80)
        return *c->p++;
    uint32_t v = 0;
    const char *why = NULL;
    leb_check(c, wm_read_u32(&c->p, c->end, &v, &why), &why);
    return v;
}
static int32_t rd_s32(cc *c) {
    int32_t v = 0;
    const char *why = NULL;
    leb_check(c, wm_read_s32(&c->p, c->end, &v, &why), &why);
    return v;
}
static int64_t rd_s64(cc *c) {
    int64_t v = 0;
    const char *why = NULL;
    leb_check(c, wm_read_s64(&c->p, c->end, &v, &why), &why);
    return v;
}

/* ---- emission --------------------------------------------------------- */

/* Two i32 additions of constants just emitted back to back, final now that
 * another instruction follows, become one i32_add_imm2 (the second keeps
 * word 1, so nothing that looked at it as the last instruction changes). */
static void pair_adds(cc *c) {
    if (c->last_op != IR_i32_add_imm || c->prev_op != IR_i32_add_imm || c->prev_start + 3 != c->last_start ||
        c->last_start + 3 != c->n)
        return;
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

/* Reserves an instruction of 1 + nops words and returns it. When the current
 * code is unreachable it returns a scratch buffer, so callers need no checks. */
static inline pw_code *emit(cc *c, int op, uint32_t nops) {
    c->last_dst_ok = false;
    c->last_d128 = false;
    if (c->dead) {
        memset(c->scratch, 0, sizeof c->scratch);
        return c->scratch;
    }
    if (op < IR_i32_eq_imm || op > IR_i32_ge_u_imm) /* those may yet close a loop with the last add */
        pair_adds(c);
    if (__builtin_expect(c->n + 1 + nops > c->cap, 0))
        GROW(c->code, c->cap, c->n + 1 + nops);
    if (__builtin_expect(2 * ((size_t)c->noff + 1) > c->capoff, 0))
        GROW(c->offmap, c->capoff, 2 * ((size_t)c->noff + 1));
    c->offmap[2 * c->noff] = c->n;
    c->offmap[2 * c->noff + 1] = c->op_offset;
    c->noff++;
    pw_code *ins = &c->code[c->n];
    for (uint32_t k = 1; k <= nops; k++)
        ins[k].u = 0;
    ins->h = c->H[op];
    c->prev_start = c->last_start;
    c->prev_op = c->last_op;
    c->last_start = c->n;
    c->last_op = op;
    c->n += 1 + nops;
    return ins;
}

/* Same, for instructions whose destination is word 1's `a` half. */
static pw_code *emit_d(cc *c, int op, uint32_t nops, uint32_t dst) {
    pw_code *ins = emit(c, op, nops);
    ins[1].s.a = dst;
    c->last_dst_ok = !c->dead;
    return ins;
}

/* Removes the instruction just emitted (to re-emit it fused with the next
 * one); the one before it becomes the last again, so peepholes that look two
 * instructions back still see the real predecessor. */
static void drop_last(cc *c) {
    c->last_d128 = false;
    c->n = c->last_start;
    c->noff--;
    c->last_start = c->prev_start;
    c->last_op = c->prev_op;
    c->prev_op = -1;
}

/* No instruction may be merged across a label. */
static void label_here(cc *c) {
    c->last_dst_ok = false;
    c->last_d128 = false;
    c->last_op = -1;
    c->prev_op = -1;
}

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

/* ---- operand stack ---------------------------------------------------- */

static uint32_t slot_of(cc *c, uint32_t pos) { return c->nlocals + pos; }

static inline void push(cc *c, uint8_t type, uint8_t kind, uint32_t local, uint64_t cval) {
    if (__builtin_expect(c->vn + 1 > c->vcap, 0))
        GROW(c->vs, c->vcap, c->vn + 1);
    c->vs[c->vn] = (vent){type, kind, local, cval};
    c->vn++;
    if (c->vn > c->max_height)
        c->max_height = c->vn;
}
static void push_slot(cc *c, uint8_t type) { push(c, type, VK_SLOT, 0, 0); }

static cent *top_frame(cc *c) { return &c->cs[c->cn - 1]; }

/* Pops one value, checking it against `expect` (T_UNKNOWN: any). Returns its
 * position; *out receives the entry. In an unreachable frame, popping past
 * the frame's height yields an unknown value. */
static inline uint32_t pop(cc *c, uint8_t expect, vent *out) {
    cent *f = top_frame(c);
    if (c->vn == f->height) {
        if (!f->unreachable)
            INVALID("type mismatch");
        /* The unknown value gets a real entry at the position returned, so
         * callers that look at the popped entry read a defined one. */
        GROW(c->vs, c->vcap, c->vn + 1);
        c->vs[c->vn] = (vent){T_UNKNOWN, VK_SLOT, 0, 0};
        *out = c->vs[c->vn];
        return c->vn; /* only used while dead */
    }
    vent e = c->vs[--c->vn];
    if (expect != T_UNKNOWN && e.type != T_UNKNOWN && e.type != expect)
        INVALID("type mismatch");
    *out = e;
    return c->vn;
}
static uint32_t pop_t(cc *c, uint8_t expect) {
    vent e;
    return pop(c, expect, &e);
}

/* Emits what puts the value of entry e (at stack position pos) into slot d. */
static void emit_value_to(cc *c, const vent *e, uint32_t pos, uint32_t d) {
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

static void materialize(cc *c, uint32_t pos) {
    vent *e = &c->vs[pos];
    if (e->kind != VK_SLOT)
        emit_value_to(c, e, pos, slot_of(c, pos));
    e->kind = VK_SLOT;
}
static void materialize_range(cc *c, uint32_t from, uint32_t to) {
    for (uint32_t i = from; i < to; i++)
        materialize(c, i);
}

/* The slot an instruction reads the value at `pos` from. */
static uint32_t use(cc *c, uint32_t pos) {
    if (c->dead)
        return 0;
    vent *e = &c->vs[pos];
    if (e->kind == VK_LOCAL)
        return e->local;
    if (e->kind != VK_SLOT)
        materialize(c, pos);
    return slot_of(c, pos);
}

/* Before local x is written, entries deferring a read of x get their value. */
static void protect_local(cc *c, uint32_t x, uint32_t below) {
    if (c->dead)
        return;
    for (uint32_t i = 0; i < below; i++)
        if (((c->vs[i].kind == VK_LOCAL || c->vs[i].kind == VK_ADDI || c->vs[i].kind == VK_ADD2) &&
             c->vs[i].local == x) ||
            (c->vs[i].kind == VK_ADD2 && c->vs[i].cval == x))
            materialize(c, i);
}

/* ---- v128 values: two stack entries, two slots ------------------------- */

/* Pops a value of type t (both halves of a v128) and returns its position. */
static uint32_t pop_val(cc *c, uint8_t t) {
    if (t != WM_V128)
        return pop_t(c, t);
    pop_t(c, PW_T_V128_HI);
    return pop_t(c, WM_V128);
}
static void push_val(cc *c, uint8_t t) {
    push_slot(c, t);
    if (t == WM_V128)
        push_slot(c, PW_T_V128_HI);
}
/* The first of two adjacent slots holding the v128 at pos: a local's, or
 * the value's own. */
static uint32_t use128(cc *c, uint32_t pos) {
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
    materialize(c, pos);
    materialize(c, pos + 1);
    return slot_of(c, pos);
}
static uint32_t use_val(cc *c, uint8_t t, uint32_t pos) { return t == WM_V128 ? use128(c, pos) : use(c, pos); }

/* local.set / local.tee of the v128 local at slots x, x + 1. */
static void set_local_v128(cc *c, uint32_t x, bool tee) {
    vent eh, el;
    uint32_t ph = pop(c, PW_T_V128_HI, &eh);
    uint32_t pl = pop(c, WM_V128, &el);
    if (c->dead) {
        if (tee)
            push_val(c, WM_V128);
        return;
    }
    if (!(el.kind == VK_LOCAL && el.local == x && eh.kind == VK_LOCAL && eh.local == x + 1)) {
        protect_local(c, x, pl);
        protect_local(c, x + 1, pl);
        if (el.kind == VK_SLOT && eh.kind == VK_SLOT && c->last_d128 &&
            c->code[c->last_start + 2].s.a == slot_of(c, pl)) {
            /* the SIMD instruction computing the value writes the local (it
             * reads its operands first, so they may be the local too) */
            c->code[c->last_start + 2].s.a = x;
            c->last_d128 = false;
        } else {
            emit_value_to(c, &el, pl, x);
            emit_value_to(c, &eh, ph, x + 1);
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
    uint32_t pb = pop_val(c, WM_V128);
    uint32_t pa = pop_val(c, WM_V128);
    if (!c->dead) {
        uint32_t sa = use128(c, pa), sb = use128(c, pb), sc = use(c, pc);
        for (uint32_t h = 0; h < 2; h++) {
            pw_code *ins = emit(c, IR_select, 2);
            ins[1].s.a = slot_of(c, pa) + h;
            ins[1].s.b = sc;
            ins[2].s.a = sa + h;
            ins[2].s.b = sb + h;
        }
    }
    push_val(c, WM_V128);
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
        emit_value_to(c, &c->vs[from + i], from + i, dst + i);
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
            materialize(c, from);
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
            materialize(c, from + i);
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
        /* x = y + k; branch on x CMP imm: one loop-closing instruction */
        pw_code *add = &c->code[c->prev_start];
        uint32_t d = add[1].s.a, src = add[1].s.b, k = (uint32_t)add[2].u, imm = (uint32_t)last[2].u;
        c->n = c->prev_start;
        c->noff -= 2;
        pw_code *ins = emit(c, IR_inc_br_eq + (op - IR_br_eq_imm), 3);
        ins[1].s.a = d;
        ins[1].s.b = src;
        ins[3].s.a = k;
        ins[3].s.b = imm;
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

/* Emits "branch to frame f if cond (value at pos) is nonzero" (or zero, when
 * negate), fusing a just-emitted comparison, or an i32.eqz and the
 * comparison before it (the branch negated). Returns the instruction start;
 * the relative target lives in word +2. */
static uint32_t emit_cond_branch(cc *c, uint32_t pos, bool negate, bool floats) {
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
    uint32_t s = use(c, pos);
    pw_code *ins = emit(c, negate ? IR_br_unless : IR_br_if, 2);
    ins[1].s.a = s;
    return c->last_start;
}

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

/* Replaces the last two instructions, a load-fused op and the one just
 * emitted, by `op` with two memory operands: [h][d|a][addr1|k1][off1]
 * [addr2|k2][off2], a and the first from the load-fused op. It reports the
 * first instruction's wasm offset. The caller sets d where op has one. */
static pw_code *fuse_memory_pair(cc *c, int op, uint32_t addr2, uint32_t k2, uint64_t off2) {
    pw_code *p = &c->code[c->prev_start];
    uint32_t a = p[1].s.b, addr1 = p[2].s.a, k1 = p[2].s.b;
    uint64_t off1 = p[3].u;
    uint32_t first_offset = c->offmap[2 * (c->noff - 2) + 1];
    c->n = c->prev_start;
    c->noff -= 2;
    pw_code *ins = emit(c, op, 5);
    c->offmap[2 * (c->noff - 1) + 1] = first_offset;
    ins[1].s.b = a;
    ins[2].s.a = addr1;
    ins[2].s.b = k1;
    ins[3].u = off1;
    ins[4].s.a = addr2;
    ins[4].s.b = k2;
    ins[5].u = off2;
    c->prev_op = -1;
    return ins;
}

/* a OP load(...) where the load was the instruction just emitted: the load
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
    uint32_t load_offset = c->offmap[2 * (c->noff - 1) + 1]; /* a trap reports the load */
    drop_last(c);
    pw_code *ins = emit_d(c, fop, 3, slot_of(c, pa));
    c->offmap[2 * (c->noff - 1) + 1] = load_offset;
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
    pw_code *ins = emit_d(c, op, 2, slot_of(c, pa));
    ins[1].s.b = x;
    ins[2].s.a = y;
    ins[2].s.b = other;
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
    drop_last(c);
    pw_code *ins = emit_d(c, IR_i32_add_scaled, 3, slot_of(c, pa));
    ins[1].s.b = base;
    ins[2].s.a = idx;
    ins[2].s.b = m;
    ins[3].s.a = k;
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
    pw_code *ins = emit_d(c, op, 2, slot_of(c, pa));
    ins[1].s.b = a;
    ins[2].s.a = b;
    ins[2].s.b = k;
    return true;
}

static void numeric(cc *c, uint32_t op, const wm_opinfo *oi) {
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
        uint32_t a = use(c, pa);
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
    if (pvar == NONE && ((irop == IR_i32_add && try_fuse_scaled(c, pa, pb)) ||
                         ((irop == IR_i32_xor || irop == IR_i64_xor) && try_fuse_xorshift(c, irop, pa, pb)) ||
                         try_fuse_muladd(c, irop, pa, pb) || try_fuse_load(c, irop, comm, pa, pb))) {
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
    if (pvar != NONE) {
        uint32_t a = use(c, pvar);
        pw_code *ins = emit_d(c, immop, 2, slot_of(c, pa));
        ins[1].s.b = a;
        ins[2].u = in == WM_I32 ? (uint64_t)(int64_t)(int32_t)imm : imm;
    } else {
        uint32_t a = use(c, pa);
        uint32_t b = use(c, pb);
        pw_code *ins = emit_d(c, irop, 2, slot_of(c, pa));
        ins[1].s.b = a;
        ins[2].s.a = b;
    }
    push_slot(c, out);
}

/* Replaces the NaN on top of the stack, if it is one, by the canonical NaN
 * (an instruction of its own, so fusions that would store the raw result
 * to memory no longer apply, and a following local.set still retargets). */
static void canonicalize(cc *c, uint8_t type) {
    if (c->dead)
        return;
    uint32_t p = pop_t(c, type);
    uint32_t a = use(c, p);
    pw_code *ins = emit_d(c, type == WM_F32 ? IR_f32_canon : IR_f64_canon, 1, slot_of(c, p));
    ins[1].s.b = a;
    push_slot(c, type);
}

/* ---- memory and tables ------------------------------------------------- */

static void need_memory(cc *c, uint32_t idx) {
    if (idx >= c->m->nmemories)
        INVALID("unknown memory %u", idx);
}
static void need_table(cc *c, uint32_t idx) {
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

static uint32_t memarg(cc *c, uint32_t natural_log2) {
    uint32_t align = rd_u32(c);
    uint32_t offset = rd_u32(c);
    need_memory(c, 0);
    if (align > natural_log2)
        INVALID("alignment must not be larger than natural");
    return offset;
}

/* The address operand of a load or store: a slot plus a 32-bit addend
 * (wrapping, as the i32.add it replaces), to which the static offset is
 * added in 64 bits. */
static uint32_t address(cc *c, uint32_t pa, uint32_t *addend) {
    vent *e = &c->vs[pa];
    if (!c->dead && e->kind == VK_ADDI) {
        *addend = (uint32_t)e->cval;
        return e->local;
    }
    *addend = 0;
    return use(c, pa);
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

/* When the address at pa is the i32_add_scaled just emitted (its only
 * use), removes it and returns its base, index, scale and constant. */
static bool take_scaled(cc *c, uint32_t pa, uint32_t sc[4]) {
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

static void load(cc *c, const wm_opinfo *oi) {
    int irop = oi->ir;
    uint8_t type = oi->result;
    uint32_t off = memarg(c, oi->align);
    uint32_t pa = pop_t(c, oi->args[0]);
    uint32_t sc[4];
    if ((irop == IR_load32 || irop == IR_load64) && take_scaled(c, pa, sc)) {
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
        pw_code *ins = emit_d(c, op2, 2, slot_of(c, pa));
        ins[1].s.b = a2;
        ins[2].s.a = b2;
        ins[2].s.b = off;
        push_slot(c, type);
        return;
    }
    uint32_t k, a = address(c, pa, &k);
    pw_code *ins = emit_d(c, irop, 2, slot_of(c, pa));
    ins[1].s.b = a;
    ins[2].s.a = k;
    ins[2].s.b = off;
    push_slot(c, type);
}

/* store(addr, load(addr) OP x) where the fused load-op was just emitted
 * with the same address and width: one read-modify-write instruction. */
static bool try_fuse_rmw(cc *c, int irop, uint32_t off, uint32_t pa, uint32_t pv) {
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

static void store(cc *c, const wm_opinfo *oi) {
    int irop = oi->ir;
    uint32_t off = memarg(c, oi->align);
    uint32_t pv = pop_t(c, oi->args[1]);
    uint32_t pa = pop_t(c, oi->args[0]);
    if (try_fuse_rmw(c, irop, off, pa, pv))
        return;
    uint32_t sc[4];
    if ((irop == IR_store32 || irop == IR_store64) && (c->vs[pv].kind == VK_LOCAL || c->vs[pv].kind == VK_SLOT) &&
        take_scaled(c, pa, sc)) {
        uint32_t v = use(c, pv);
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
        uint32_t v = use(c, pv);
        pw_code *ins = emit(c, op2, 2);
        ins[1].s.a = a2;
        ins[1].s.b = v;
        ins[2].s.a = b2;
        ins[2].s.b = off;
        return;
    }
    uint32_t k, a = address(c, pa, &k);
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
            if (c->prev_op == IR_store64_imm && c->prev_start + 4 == c->last_start) {
                /* the one before too: one dispatch for both */
                c->code[c->prev_start].h = c->H[IR_store64_imm2];
                ins[0].u = 0;
                c->last_start = c->prev_start;
                c->last_op = IR_store64_imm2;
                c->prev_op = -1;
            }
        }
        return;
    }
    uint32_t v = use(c, pv);
    pw_code *ins = emit(c, irop, 2);
    ins[1].s.a = a;
    ins[1].s.b = v;
    ins[2].s.a = k;
    ins[2].s.b = off;
}

/* Pops the operands of an instruction with a signature in the opcode table
 * (last operand first) and returns the slots they are read from. */
static void operands(cc *c, const wm_opinfo *oi, uint32_t slot[3]) {
    uint32_t pos[3];
    for (uint32_t i = oi->nargs; i-- > 0;)
        pos[i] = pop_t(c, oi->args[i]);
    for (uint32_t i = 0; i < oi->nargs; i++)
        slot[i] = use(c, pos[i]);
}

/* The 0xfc-prefixed bulk memory and table instructions. */
static void bulk(cc *c, uint32_t op, const wm_opinfo *oi) {
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
            need_memory(c, 0);
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
        need_memory(c, 0);
        break;
    case OP_table_init:
    case OP_elem_drop:
        x = rd_u32(c);
        if (op == OP_table_init) {
            y = rd_u32(c);
            need_table(c, y);
        }
        if (x >= m->nelems)
            INVALID("unknown elem segment %u", x);
        if (op == OP_table_init && m->elems[x].reftype != m->tables[y].reftype)
            INVALID("type mismatch");
        break;
    case OP_table_copy:
        x = rd_u32(c);
        y = rd_u32(c);
        need_table(c, x);
        need_table(c, y);
        if (m->tables[x].reftype != m->tables[y].reftype)
            INVALID("type mismatch");
        break;
    default: /* table.grow, table.size, table.fill */
        x = rd_u32(c);
        need_table(c, x);
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
            uint32_t sv = use(c, pv), sn = use(c, pn);
            ins = emit_d(c, oi->ir, 2, slot_of(c, pv));
            ins[1].s.b = x;
            ins[2].s.a = sv;
            ins[2].s.b = sn;
            push_slot(c, WM_I32);
            break;
        }
        uint32_t pi = pop_t(c, WM_I32);
        uint32_t si = use(c, pi), sv = use(c, pv), sn = use(c, pn);
        ins = emit(c, oi->ir, 2);
        ins[1].s.a = x;
        ins[1].s.b = si;
        ins[2].s.a = sv;
        ins[2].s.b = sn;
        break;
    }
    }
}

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
static int simd_irop(uint32_t k, bool mem) {
#define FAST(X, n) [OP_##n & 0xffff] = IR_simd_##n,
    static const int16_t fast[256] = {IR_SIMD_FAST(, FAST) IR_SIMD_FAST_MEM(, FAST)};
#undef FAST
    return fast[k] ? fast[k] : mem ? IR_simd_mem : IR_simd;
}

/* A lane op (sub-opcode k, operand slots s[0], s[1], result slot d) whose
 * second operand is the v128.load just emitted: the load becomes its memory
 * operand (IR_SIMD_LOADOP). Only a vector loaded into a stack slot (not
 * retargeted into a local) is consumed here alone and may go unwritten; the
 * same holds for the intermediate results try_simd_rmw folds away. */
static bool try_simd_loadop(cc *c, uint32_t k, const uint32_t s[3], uint32_t d) {
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
    uint32_t load_offset = c->offmap[2 * (c->noff - 1) + 1]; /* a trap reports the load */
    drop_last(c);
    pw_code *ins = emit(c, fused[k], 5);
    c->offmap[2 * (c->noff - 1) + 1] = load_offset;
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
static bool try_simd_lane_load(cc *c, uint32_t op, const uint32_t s[3], uint32_t d, uint64_t lane) {
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
    uint32_t load_offset = c->offmap[2 * (c->noff - 1) + 1];
    drop_last(c);
    uint32_t k = (ld_op == IR_load32 ? OP_v128_load32_lane : OP_v128_load64_lane) & 0xffff;
    pw_code *ins = emit(c, simd_irop(k, true), 5);
    c->offmap[2 * (c->noff - 1) + 1] = load_offset;
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
static bool try_simd_rmw(cc *c, uint32_t addr, uint32_t addend, uint32_t off, uint32_t v) {
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
        uint32_t first_offset = c->offmap[2 * (c->noff - 2) + 1];
        c->n = c->prev_start;
        c->noff -= 2;
        pw_code *ins = emit(c, lop == IR_simd_f32x4_add_load ? IR_simd_f32x4_axpy : IR_simd_f64x2_axpy, 5);
        c->offmap[2 * (c->noff - 1) + 1] = first_offset;
        ins[1].s.a = k;
        ins[1].s.b = a;
        ins[2].s.a = addr1;
        ins[2].s.b = addend1;
        ins[3].s.a = off1;
        ins[4].s.a = addr;
        ins[4].s.b = addend;
        ins[5].s.a = off;
        c->prev_op = -1;
        return true;
    }
    c->last_op = IR_simd_f32x4_add_rmw + (lop - IR_simd_f32x4_add_load);
    ld->h = c->H[c->last_op];
    c->last_d128 = false;
    return true;
}

/* A 0xfd instruction, typed by its table line: one IR_simd (or, with a
 * memory operand, IR_simd_mem) naming the function of simd.c that runs it,
 * or the instruction's own IR op (IR_SIMD_FAST). v128.const becomes a pair
 * of deferred constants. */
static void simd(cc *c, uint32_t op, const wm_opinfo *oi) {
    bool mem = oi->imm == WI_MEMARG || oi->imm == WI_MEMARG_LANE;
    uint32_t off = mem ? memarg(c, oi->align) : 0;
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
        pos[i] = pop_val(c, oi->args[i]);
    pw_code *ins;
    if (mem) {
        /* [h][fn][d|addr][addend|offset][size|v][lane]: d is the result,
         * or the value a store writes; v the vector a lane load updates */
        uint32_t k, a = address(c, pos[0], &k);
        uint32_t v = oi->nargs > 1 ? use128(c, pos[1]) : 0;
        if (op == OP_v128_store && try_simd_rmw(c, a, k, off, v))
            return;
        ins = emit(c, simd_irop(op & 0xffff, true), 5);
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
            s[i] = use_val(c, oi->args[i], pos[i]);
        if (!try_simd_loadop(c, op & 0xffff, s, slot_of(c, pos[0])) &&
            !try_simd_lane_load(c, op, s, slot_of(c, pos[0]), imm[0])) {
            ins = emit(c, simd_irop(op & 0xffff, false), 5);
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
        push_val(c, oi->result);
    if (c->canon && (oi->flags & WF_NAN) && !c->dead) {
        /* the NaNs of float lanes become canonical, as for scalars */
        uint32_t d = slot_of(c, pos[0]);
        ins = emit(c, IR_simd, 5);
        ins[1].u = oi->text[1] == '3' ? PW_SIMD_CANON_F32 : PW_SIMD_CANON_F64;
        ins[2].s.a = d;
        ins[2].s.b = d;
    }
}

/* select (a, b, x CMP y) where the comparison was just emitted and a and b
 * need no code of their own: one select_<cmp>. */
static bool try_fuse_select(cc *c, uint32_t pa, uint32_t pb, uint32_t pc) {
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
    uint32_t x = cmp[1].s.b, y = cmp[2].s.a, sa = use(c, pa), sb = use(c, pb);
    drop_last(c);
    pw_code *ins = emit_d(c, op, 3, slot_of(c, pa));
    ins[1].s.b = x;
    ins[2].s.a = y;
    ins[2].s.b = sa;
    ins[3].s.a = sb;
    return true;
}

/* ---- the translator ---------------------------------------------------- */

static void translate_body(cc *c, const wm_code *code, const pw_sig *sig) {
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
        case WK_LOAD: load(c, oi); continue;
        case WK_STORE: store(c, oi); continue;
        case WK_BULK: bulk(c, op, oi); continue;
        case WK_SIMD: simd(c, op, oi); continue;
        case WK_NUMERIC:
            numeric(c, op, oi);
            if (c->canon && (oi->flags & WF_NAN))
                canonicalize(c, oi->result);
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
                materialize_range(c, 0, c->vn + np);
            uint32_t br = NONE;
            if (op == OP_if) {
                /* Materialising the stack above may have emitted copies after
                 * a comparison; fusion then simply does not apply. */
                br = emit_cond_branch(c, pcond, true, true);
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
                materialize_range(c, f->height, f->height + f->nresults);
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
                materialize_range(c, f->height, f->height + f->nresults);
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
                uint32_t skip = emit_cond_branch(c, pcond, true, true);
                emit_branch(c, f);
                label_here(c);
                c->code[skip + 2].i = (int64_t)c->n - (int64_t)skip;
            } else {
                uint32_t br = emit_cond_branch(c, pcond, false, !(c->checks && f->kind == CK_LOOP));
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
                uint32_t s = use(c, pidx);
                materialize_range(c, c->vn - arity, c->vn);
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
                need_table(c, table);
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
                materialize_range(c, base, base + s->nparam_slots);
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
                    uint32_t is = use(c, pidx);
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
            if (!c->dead && !try_fuse_select(c, pa, pb, pc)) {
                uint32_t sa = use(c, pa), sb = use(c, pb), sc = use(c, pc);
                pw_code *ins = emit_d(c, IR_select, 2, slot_of(c, pa));
                ins[1].s.b = sc;
                ins[2].s.a = sa;
                ins[2].s.b = sb;
            }
            push_slot(c, t);
            break;
        }
        case OP_local_get: {
            uint32_t x = rd_u32(c);
            if (x >= c->nlvals)
                INVALID("unknown local %u", x);
            push(c, c->ltypes[x], VK_LOCAL, c->lslot[x], 0);
            if (c->ltypes[x] == WM_V128)
                push(c, PW_T_V128_HI, VK_LOCAL, c->lslot[x] + 1, 0);
            break;
        }
        case OP_local_set:
        case OP_local_tee: {
            uint32_t xi = rd_u32(c);
            if (xi >= c->nlvals)
                INVALID("unknown local %u", xi);
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
            protect_local(c, x, pv);
            bool retarget =
                e.kind == VK_SLOT && c->last_dst_ok && c->code[c->last_start + 1].s.a == slot_of(c, pv);
            if (retarget) {
                c->code[c->last_start + 1].s.a = x;
            } else {
                emit_value_to(c, &e, pv, x);
            }
            if (op == OP_local_tee) {
                c->vn++;
                if (e.kind != VK_CONST)
                    c->vs[pv] = (vent){c->ltypes[xi], VK_LOCAL, x, 0};
            }
            break;
        }
        case OP_global_get: {
            uint32_t x = rd_u32(c);
            if (x >= m->nglobals)
                INVALID("unknown global %u", x);
            uint8_t t = m->global_types[x].valtype;
            pw_code *ins = emit_d(c, t == WM_V128 ? IR_global_get128 : IR_global_get, 1, slot_of(c, c->vn));
            ins[1].s.b = x;
            push_val(c, t);
            break;
        }
        case OP_global_set: {
            uint32_t x = rd_u32(c);
            if (x >= m->nglobals)
                INVALID("unknown global %u", x);
            if (!m->global_types[x].mut)
                INVALID("global is immutable");
            uint8_t t = m->global_types[x].valtype;
            uint32_t s = use_val(c, t, pop_val(c, t));
            pw_code *ins = emit(c, t == WM_V128 ? IR_global_set128 : IR_global_set, 1);
            ins[1].s.a = x;
            ins[1].s.b = s;
            break;
        }
        case OP_table_get:
        case OP_table_set: {
            uint32_t x = rd_u32(c);
            need_table(c, x);
            uint8_t rt = m->tables[x].reftype;
            if (op == OP_table_get) {
                uint32_t pi = pop_t(c, WM_I32);
                uint32_t si = use(c, pi);
                pw_code *ins = emit_d(c, IR_table_get, 2, slot_of(c, pi));
                ins[1].s.b = si;
                ins[2].s.a = x;
                push_slot(c, rt);
            } else {
                uint32_t pv = pop_t(c, rt);
                uint32_t pi = pop_t(c, WM_I32);
                uint32_t si = use(c, pi), sv = use(c, pv);
                pw_code *ins = emit(c, IR_table_set, 2);
                ins[1].s.a = x;
                ins[1].s.b = si;
                ins[2].s.a = sv;
            }
            break;
        }
        case OP_memory_size:
        case OP_memory_grow: {
            if (rd_u8(c) != 0)
                MALFORMED("zero byte expected");
            need_memory(c, 0);
            if (op == OP_memory_size) {
                emit_d(c, IR_memory_size, 1, slot_of(c, c->vn));
            } else {
                uint32_t pa = pop_t(c, WM_I32);
                uint32_t s = use(c, pa);
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
            uint32_t s = use(c, pa);
            pw_code *ins = emit_d(c, IR_ref_is_null, 1, slot_of(c, pa));
            ins[1].s.b = s;
            push_slot(c, WM_I32);
            break;
        }
        case OP_ref_func: {
            uint32_t x = rd_u32(c);
            if (x >= m->nfuncs)
                INVALID("unknown function %u", x);
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
    translate_body(c, code, sig);

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
