/* The translator's internals (compile*.c, see compile.c): its state, the
 * operand and control stacks, and the emission primitives every part uses.
 * Each file has one job: compile.c the stack values and the driver,
 * compile_body.c control flow and the instruction loop, compile_ops.c
 * numeric, memory and bulk instructions, compile_simd.c the 0xfd ones, and
 * compile_fuse.c / compile_fuse_simd.c the superinstructions. */
#ifndef PORTALIS_WASM_COMPILE_H
#define PORTALIS_WASM_COMPILE_H

#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
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
    bool sse41;  /* the CPU has SSE4.1: ceil/floor/trunc/nearest as IR_ROUND (ir.h) */
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
    uint32_t pprev_start; /* and the one before that (valid where prev_op is) */
    int pprev_op;
    bool last_dst_ok; /* its destination is code[last_start+1].s.a */
    bool last_d128;   /* it writes a v128 to code[last_start+2].s.a (SIMD) */
    pw_code scratch[8];
} cc;

void __attribute__((noreturn, format(printf, 3, 4))) pw_cc_fail(cc *c, int kind, const char *fmt, ...);
#define INVALID(...) pw_cc_fail(c, PW_ERR_INVALID, __VA_ARGS__)
#define MALFORMED(...) pw_cc_fail(c, PW_ERR_MALFORMED, __VA_ARGS__)

/* Makes room for `need` elements in array `arr` of capacity `cap`, or fails
 * the translation. */
#define GROW(arr, cap, need)                                                                                     \
    do {                                                                                                         \
        if (!PBASE_RESERVE(arr, cap, need))                                                                      \
            pw_cc_fail(c, PW_ERR_RESOURCE, "out of memory while translating");                                   \
    } while (0)

/* ---- reading ---------------------------------------------------------- */

static inline uint8_t rd_u8(cc *c) {
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
static inline int32_t rd_s32(cc *c) {
    int32_t v = 0;
    const char *why = NULL;
    leb_check(c, wm_read_s32(&c->p, c->end, &v, &why), &why);
    return v;
}
static inline int64_t rd_s64(cc *c) {
    int64_t v = 0;
    const char *why = NULL;
    leb_check(c, wm_read_s64(&c->p, c->end, &v, &why), &why);
    return v;
}

/* ---- emission --------------------------------------------------------- */

void pw_cc_pair_last(cc *c);

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
        pw_cc_pair_last(c);
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
    c->pprev_start = c->prev_start;
    c->pprev_op = c->prev_op;
    c->prev_start = c->last_start;
    c->prev_op = c->last_op;
    c->last_start = c->n;
    c->last_op = op;
    c->n += 1 + nops;
    return ins;
}

/* Same, for instructions whose destination is word 1's `a` half. */
static inline pw_code *emit_d(cc *c, int op, uint32_t nops, uint32_t dst) {
    pw_code *ins = emit(c, op, nops);
    ins[1].s.a = dst;
    c->last_dst_ok = !c->dead;
    return ins;
}

/* Removes the instruction just emitted (to re-emit it fused with the next
 * one); the one before it becomes the last again, so peepholes that look two
 * instructions back still see the real predecessor. */
static inline void drop_last(cc *c) {
    c->last_d128 = false;
    c->n = c->last_start;
    c->noff--;
    c->last_start = c->prev_start;
    c->last_op = c->prev_op;
    c->prev_op = -1;
}

/* No instruction may be merged across a label. */
static inline void label_here(cc *c) {
    c->last_dst_ok = false;
    c->last_d128 = false;
    c->last_op = -1;
    c->prev_op = -1;
}

/* Replaces the last n instructions (1 or 2, the second one right before
 * the last) by `op` of 1 + nops words, writing slot dst (NONE: none), which
 * reports the first replaced instruction's wasm offset: a trap in a fused
 * load is the load's. */
static inline pw_code *replace_last(cc *c, uint32_t n, int op, uint32_t nops, uint32_t dst) {
    uint32_t first_offset = c->offmap[2 * (c->noff - n) + 1];
    if (n == 1) {
        drop_last(c);
    } else {
        c->n = c->prev_start;
        c->noff -= 2;
    }
    pw_code *ins = dst == NONE ? emit(c, op, nops) : emit_d(c, op, nops, dst);
    c->offmap[2 * (c->noff - 1) + 1] = first_offset;
    if (n == 2)
        c->prev_op = -1;
    return ins;
}

/* Fills the operand words of ins half by half from word 1 on: v[0] into
 * ins[1].s.a, v[1] into ins[1].s.b, v[2] into ins[2].s.a, ... */
static inline void fill_halves(pw_code *ins, const uint32_t *v, uint32_t n) {
    for (uint32_t i = 0; i < n; i++) {
        if (i & 1)
            ins[1 + i / 2].s.b = v[i];
        else
            ins[1 + i / 2].s.a = v[i];
    }
}

/* Emits [h][d|a][b|x], writing slot d. */
static inline pw_code *emit_d2(cc *c, int op, uint32_t d, uint32_t a, uint32_t b, uint32_t x) {
    pw_code *ins = emit_d(c, op, 2, d);
    ins[1].s.b = a;
    ins[2].s.a = b;
    ins[2].s.b = x;
    return ins;
}

/* Emits [h][w0|w1][w2|w3] (no destination: stores). */
static inline pw_code *emit_w2(cc *c, int op, uint32_t w0, uint32_t w1, uint32_t w2, uint32_t w3) {
    pw_code *ins = emit(c, op, 2);
    ins[1].s.a = w0;
    ins[1].s.b = w1;
    ins[2].s.a = w2;
    ins[2].s.b = w3;
    return ins;
}

/* Reads an index immediate that must be below n (what: its kind). */
static inline uint32_t rd_index(cc *c, uint32_t n, const char *what) {
    uint32_t x = rd_u32(c);
    if (x >= n)
        INVALID("unknown %s %u", what, x);
    return x;
}

/* ---- operand stack ---------------------------------------------------- */

static inline uint32_t slot_of(cc *c, uint32_t pos) { return c->nlocals + pos; }

static inline void push(cc *c, uint8_t type, uint8_t kind, uint32_t local, uint64_t cval) {
    if (__builtin_expect(c->vn + 1 > c->vcap, 0))
        GROW(c->vs, c->vcap, c->vn + 1);
    c->vs[c->vn] = (vent){type, kind, local, cval};
    c->vn++;
    if (c->vn > c->max_height)
        c->max_height = c->vn;
}
static inline void push_slot(cc *c, uint8_t type) { push(c, type, VK_SLOT, 0, 0); }

static inline cent *top_frame(cc *c) { return &c->cs[c->cn - 1]; }

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
static inline uint32_t pop_t(cc *c, uint8_t expect) {
    vent e;
    return pop(c, expect, &e);
}

/* compile.c: stack values and where they live */
void pw_cc_emit_value_to(cc *c, const vent *e, uint32_t pos, uint32_t d);
void pw_cc_materialize(cc *c, uint32_t pos);
void pw_cc_materialize_range(cc *c, uint32_t from, uint32_t to);
uint32_t pw_cc_use(cc *c, uint32_t pos);
void pw_cc_protect_local(cc *c, uint32_t x, uint32_t below);
uint32_t pw_cc_pop_val(cc *c, uint8_t t);
void pw_cc_push_val(cc *c, uint8_t t);
uint32_t pw_cc_use128(cc *c, uint32_t pos);
uint32_t pw_cc_use_val(cc *c, uint8_t t, uint32_t pos);

/* compile_body.c: one function body */
void pw_cc_translate_body(cc *c, const wm_code *code, const pw_sig *sig);

/* compile_ops.c: numeric, memory and bulk instructions */
void pw_cc_numeric(cc *c, uint32_t op, const wm_opinfo *oi);
void pw_cc_canonicalize(cc *c, uint8_t type);
void pw_cc_need_memory(cc *c, uint32_t idx);
void pw_cc_need_table(cc *c, uint32_t idx);
uint32_t pw_cc_memarg(cc *c, uint32_t natural_log2);
uint32_t pw_cc_address(cc *c, uint32_t pa, uint32_t *addend);
void pw_cc_load(cc *c, const wm_opinfo *oi);
void pw_cc_store(cc *c, const wm_opinfo *oi);
void pw_cc_bulk(cc *c, uint32_t op, const wm_opinfo *oi);

/* compile_simd.c */
int pw_cc_simd_irop(uint32_t k, bool mem);
void pw_cc_simd(cc *c, uint32_t op, const wm_opinfo *oi);

/* compile_fuse.c: superinstructions, each replacing instructions just
 * emitted (a false return: nothing changed) */
uint32_t pw_cc_emit_cond_branch(cc *c, uint32_t pos, bool negate, bool floats);
bool pw_cc_fuse_binary(cc *c, int irop, bool comm, uint32_t pa, uint32_t pb);
bool pw_cc_fuse_imm(cc *c, int immop, uint32_t pvar, uint32_t pa, uint64_t imm);
bool pw_cc_fuse_muladd_store(cc *c, int irop, uint32_t off, uint32_t pa, uint32_t pv);
bool pw_cc_take_scaled(cc *c, uint32_t pa, uint32_t sc[4]);
bool pw_cc_fuse_rmw(cc *c, int irop, uint32_t off, uint32_t pa, uint32_t pv);
void pw_cc_pair_stores_imm(cc *c, pw_code *ins);
bool pw_cc_fuse_select(cc *c, uint32_t pa, uint32_t pb, uint32_t pc);
bool pw_cc_fuse_mul_floor(cc *c, uint32_t pa);

/* compile_fuse_simd.c */
bool pw_cc_fuse_simd_loadop(cc *c, uint32_t k, const uint32_t s[3], uint32_t d);
bool pw_cc_fuse_simd_lane_load(cc *c, uint32_t op, const uint32_t s[3], uint32_t d, uint64_t lane);
bool pw_cc_fuse_simd_rmw(cc *c, uint32_t addr, uint32_t addend, uint32_t off, uint32_t v);

#endif
