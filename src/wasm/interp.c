/* The interpreter: runs the code compile.c produced.
 *
 * Dispatch is direct threading: every instruction starts with the address of
 * its handler, and each handler ends by jumping to the next one (GCC/Clang
 * computed goto). Building with -DPW_NO_COMPUTED_GOTO selects a portable
 * switch loop over the same handlers.
 *
 * Wasm calls do not recurse on the C stack: frames live in the store's frame
 * array (return address, caller frame pointer, instance), so the call
 * depth is bounded by that array and exhausting it is a trap, not a crash.
 *
 * Memory accesses are checked explicitly: effective address (33 bits: a u32
 * index plus a u32 offset, computed in 64 bits) plus access size against the
 * current size. This costs a compare and a well-predicted branch per access
 * and needs no signal handlers or address-space reservations in the host.
 *
 * The handlers of the superinstructions are in interp_fused.h and the SIMD
 * ones in interp_simd.h: text of run() that it includes.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "simd_ops.h"
#include "tier.h"
#include "wmath.h"

#if (defined(__GNUC__) || defined(__clang__)) && !defined(PW_NO_COMPUTED_GOTO)
#define PW_CGOTO 1
#endif

#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)

/* ---- numeric helpers with wasm semantics ------------------------------ */

static inline uint32_t rotl32(uint32_t a, uint32_t b) { return (a << (b & 31)) | (a >> ((32 - b) & 31)); }
static inline uint32_t rotr32(uint32_t a, uint32_t b) { return (a >> (b & 31)) | (a << ((32 - b) & 31)); }
static inline uint64_t rotl64(uint64_t a, uint64_t b) { return (a << (b & 63)) | (a >> ((64 - b) & 63)); }
static inline uint64_t rotr64(uint64_t a, uint64_t b) { return (a >> (b & 63)) | (a << ((64 - b) & 63)); }

/* 0 when representable, else the trap. */
static inline pw_trap_kind chk_i32(double x) {
    if (x != x)
        return PW_TRAP_INVALID_CONVERSION;
    return (x > -2147483649.0 && x < 2147483648.0) ? PW_TRAP_NONE : PW_TRAP_INT_OVERFLOW;
}
static inline pw_trap_kind chk_u32(double x) {
    if (x != x)
        return PW_TRAP_INVALID_CONVERSION;
    return (x > -1.0 && x < 4294967296.0) ? PW_TRAP_NONE : PW_TRAP_INT_OVERFLOW;
}
static inline pw_trap_kind chk_i64(double x) {
    if (x != x)
        return PW_TRAP_INVALID_CONVERSION;
    return (x >= -9223372036854775808.0 && x < 9223372036854775808.0) ? PW_TRAP_NONE : PW_TRAP_INT_OVERFLOW;
}
static inline pw_trap_kind chk_u64(double x) {
    if (x != x)
        return PW_TRAP_INVALID_CONVERSION;
    return (x > -1.0 && x < 18446744073709551616.0) ? PW_TRAP_NONE : PW_TRAP_INT_OVERFLOW;
}

/* Declared locals start at zero. Most functions have a few: four stores
 * (every frame has room for them, see compile.c) beat a memset call and a
 * chain of tests. */
static inline void zero_locals(pw_slot *z, uint32_t n) {
    if (n > 4) {
        memset(z, 0, n * sizeof *z);
        return;
    }
    z[0].u64 = 0;
    z[1].u64 = 0;
    z[2].u64 = 0;
    z[3].u64 = 0;
}

/* ---- the interpreter loop ---------------------------------------------- */

/* Adds the backtrace frame of the function of `inst` whose code holds ip. */
static void add_frame(pw_error *err, const pw_instance *inst, const pw_code *ip) {
    const pw_module *mod = inst->module;
    for (uint32_t i = 0; mod->funcs && i < mod->m.ncodes; i++) {
        const pw_cfunc *cf = &mod->funcs[i];
        if (ip >= cf->code && ip < cf->code + cf->ncode) {
            pw_error_add_wasm_frame(err, mod, cf->index, pw_cfunc_offset(cf, ip));
            return;
        }
    }
}

static pw_error *trap_error(pw_store *s, pw_error *err, pw_trap_kind kind, pw_instance *inst, const pw_code *ip,
                            pw_frame *fbase, pw_frame *fsp) {
    if (!err)
        err = pw_error_trap_new(kind);
    add_frame(err, inst, ip);
    while (fsp > fbase) {
        fsp--;
        add_frame(err, fsp->inst, fsp->ip - 1);
    }
    (void)s;
    pw_error_seal(err);
    return err;
}

#define D ip[1].s.a
#define A ip[1].s.b
#define B ip[2].s.a
#define IMM ip[2].u

#if defined(__GNUC__) && !defined(__clang__)
#define PIN(v) __asm__("" : "+r"(v))
#else
#define PIN(v) (void)0
#endif
#ifdef PW_CGOTO
#define OP(n) L_##n:
/* clang-format off */
#define NEXT()                                                                                                   \
    do {                                                                                                         \
        PIN(mem);                                                                                                \
        goto *ip->h;                                                                                             \
    } while (0)
/* clang-format on */
#else
#define OP(n) case IR_##n:
#define NEXT() goto dispatch
#endif

/* An access of `size` bytes at ea is out of bounds: ea + size > the
 * memory's size, tested against that size less 8 held signed (ea is at most
 * 2^33 + size, the size at most 2^32, so nothing overflows), so that an
 * 8-byte access, the most frequent, is one compare with no addition. */
#define OOB(ea, size) UNLIKELY((int64_t)((ea) + (size)-8) > mlim)
/* mem and mlim follow m0 after anything that may grow or switch the memory
 * (memory.grow, calls and returns across instances). */
#define MEM_RELOAD() (mem = m0->data, mlim = (int64_t)m0->size - 8)

#define TRAP(k)                                                                                                  \
    do {                                                                                                         \
        trap = (k);                                                                                              \
        goto do_trap;                                                                                            \
    } while (0)

#define UNOP(n, IN, OUT, expr)                                                                                   \
    OP(n) {                                                                                                      \
        __typeof__(fp->IN) a = fp[A].IN;                                                                         \
        fp[D].OUT = (expr);                                                                                      \
        ip += 2;                                                                                                 \
        NEXT();                                                                                                  \
    }
#define BINOP(n, IN, OUT, expr)                                                                                  \
    OP(n) {                                                                                                      \
        __typeof__(fp->IN) a = fp[A].IN, b = fp[B].IN;                                                           \
        fp[D].OUT = (expr);                                                                                      \
        ip += 3;                                                                                                 \
        NEXT();                                                                                                  \
    }
/* Integer division and remainder: trap on a zero divisor, and on `overflow`
 * (INT_MIN / -1 for the signed quotient). */
#define INTDIV(n, F, overflow, expr)                                                                             \
    OP(n) {                                                                                                      \
        __typeof__(fp->F) a = fp[A].F, b = fp[B].F;                                                              \
        if (UNLIKELY(b == 0))                                                                                    \
            TRAP(PW_TRAP_DIV_BY_ZERO);                                                                           \
        if (UNLIKELY(overflow))                                                                                  \
            TRAP(PW_TRAP_INT_OVERFLOW);                                                                          \
        fp[D].F = (expr);                                                                                        \
        ip += 3;                                                                                                 \
        NEXT();                                                                                                  \
    }
#define BINIMM(n, IN, OUT, expr)                                                                                 \
    OP(n##_imm) {                                                                                                \
        __typeof__(fp->IN) a = fp[A].IN, b = (__typeof__(fp->IN))IMM;                                            \
        fp[D].OUT = (expr);                                                                                      \
        ip += 3;                                                                                                 \
        NEXT();                                                                                                  \
    }
#define BINIMMF(n, F, expr)                                                                                      \
    OP(n##_imm) {                                                                                                \
        pw_slot t;                                                                                               \
        t.u64 = IMM;                                                                                             \
        __typeof__(fp->F) a = fp[A].F, b = t.F;                                                                  \
        fp[D].F = (expr);                                                                                        \
        ip += 3;                                                                                                 \
        NEXT();                                                                                                  \
    }
/* A load or store at fp[slot] + base + ip[2].s.b: base is ip[2].s.a, a
 * constant (LOAD, STORE), or another slot (LOAD2, STORE2 in interp_fused.h). */
#define LOAD_AT(name, T, OUT, CAST, size, base)                                                                  \
    OP(name) {                                                                                                   \
        uint64_t ea = (uint64_t)(uint32_t)(fp[A].u32 + (base)) + ip[2].s.b;                                      \
        if (OOB(ea, size))                                                                                       \
            TRAP(PW_TRAP_MEMORY_OOB);                                                                            \
        T v;                                                                                                     \
        memcpy(&v, mem + ea, size);                                                                              \
        fp[D].OUT = (CAST)v;                                                                                     \
        ip += 3;                                                                                                 \
        NEXT();                                                                                                  \
    }
#define STORE_AT(name, T, IN, size, base)                                                                        \
    OP(name) {                                                                                                   \
        uint64_t ea = (uint64_t)(uint32_t)(fp[ip[1].s.a].u32 + (base)) + ip[2].s.b;                              \
        if (OOB(ea, size))                                                                                       \
            TRAP(PW_TRAP_MEMORY_OOB);                                                                            \
        T v = (T)fp[ip[1].s.b].IN;                                                                               \
        memcpy(mem + ea, &v, size);                                                                              \
        ip += 3;                                                                                                 \
        NEXT();                                                                                                  \
    }
/* Every plain load (name, C type, slot field, cast, size) and store (name,
 * C type, slot field, size): the handlers at a constant and at a slot. */
/* clang-format off */
#define MEM_LOADS(X)                                                                                             \
    X(load32, uint32_t, u32, uint32_t, 4)                                                                        \
    X(load64, uint64_t, u64, uint64_t, 8)                                                                        \
    X(load8s32, int8_t, i32, int32_t, 1)                                                                         \
    X(load8u32, uint8_t, u32, uint32_t, 1)                                                                       \
    X(load16s32, int16_t, i32, int32_t, 2)                                                                       \
    X(load16u32, uint16_t, u32, uint32_t, 2)                                                                     \
    X(load8s64, int8_t, i64, int64_t, 1)                                                                         \
    X(load8u64, uint8_t, u64, uint64_t, 1)                                                                       \
    X(load16s64, int16_t, i64, int64_t, 2)                                                                       \
    X(load16u64, uint16_t, u64, uint64_t, 2)                                                                     \
    X(load32s64, int32_t, i64, int64_t, 4)                                                                       \
    X(load32u64, uint32_t, u64, uint64_t, 4)
#define MEM_STORES(X)                                                                                            \
    X(store32, uint32_t, u32, 4)                                                                                 \
    X(store64, uint64_t, u64, 8)                                                                                 \
    X(store8, uint8_t, u32, 1)                                                                                   \
    X(store16, uint16_t, u32, 2)
/* clang-format on */
#define LOAD(n, T, OUT, CAST, size) LOAD_AT(n, T, OUT, CAST, size, ip[2].s.a)
#define STORE(n, T, IN, size) STORE_AT(n, T, IN, size, ip[2].s.a)
/* Fuel charge at function entries and loop back-edges; interrupts are polled
 * when a fuel slice runs out (see pw_store in rt.h). */
#define LIMITS(cost)                                                                                             \
    do {                                                                                                         \
        fuel -= (int64_t)(cost);                                                                                 \
        if (UNLIKELY(fuel < 0)) {                                                                                \
            pw_trap_kind k = pw_limit_slow(s, &fuel);                                                            \
            if (k)                                                                                               \
                TRAP(k);                                                                                         \
        }                                                                                                        \
    } while (0)
#define TRUNC(n, OUT, T, SRC, chk)                                                                               \
    OP(n) {                                                                                                      \
        double x = (double)fp[A].SRC;                                                                            \
        pw_trap_kind k = chk(x);                                                                                 \
        if (UNLIKELY(k))                                                                                         \
            TRAP(k);                                                                                             \
        fp[D].OUT = (T)x;                                                                                        \
        ip += 2;                                                                                                 \
        NEXT();                                                                                                  \
    }

static pw_error *run(pw_store *s, pw_func *entry, pw_slot *fp, const void *const **handlers) {
#ifdef PW_CGOTO
#define LBL(n) &&L_##n,
#define LBL_OP(name, code, text, imm, sig, flags, align, ir) LBL(ir)
    static const void *const labels[IR_COUNT] = {IR_ALL(LBL, LBL_OP)};
#undef LBL
#undef LBL_OP
#else
#define LBL(n) (const void *)(uintptr_t)IR_##n,
#define LBL_OP(name, code, text, imm, sig, flags, align, ir) LBL(ir)
    static const void *const labels[IR_COUNT] = {IR_ALL(LBL, LBL_OP)};
#undef LBL
#undef LBL_OP
#endif
    if (handlers) {
        *handlers = labels;
        return NULL;
    }

    const bool checks = entry->cf->entry_cost != 0; /* every module of a store shares the engine's config */
    pw_instance *inst = entry->inst;
    pw_memory *m0 = inst->mem0;
    uint8_t *mem = m0->data;
    int64_t mlim = (int64_t)m0->size - 8; /* the memory's size less 8 (OOB, MEM_RELOAD) */
    pw_frame *const fbase = s->fsp;
    pw_frame *fsp = fbase;
    /* The frames left to this activation: the depth limit less the frames
     * of the activations below it (tier.h), and what the array holds. */
    const uint32_t dbase = s->depth;
    const uint32_t avail = s->max_call_depth > dbase ? s->max_call_depth - dbase : 0;
    pw_frame *const fend = (size_t)(s->frames_end - fbase) > avail ? fbase + avail : s->frames_end;
    pw_slot *const send = s->stack_end;
    const pw_code *ip = entry->cf->code;
    pw_trap_kind trap = PW_TRAP_NONE;
    pw_error *herr = NULL;
    int64_t fuel = s->fuel;
    atomic_int *const intr = &s->interrupt;
    /* call state */
    pw_func *callee;
    const pw_cfunc *ccf;
    bool chk; /* call_indirect_chk: charge the callee's entry */
    pw_slot *nfp;
    const pw_code *ret_ip;

    zero_locals(fp + entry->cf->nparams, entry->cf->nzero);
    if (entry->cf->entry_cost) {
        /* an engine with checks: a pending interrupt stops the call here */
        if (atomic_load_explicit(intr, memory_order_relaxed)) {
            trap = pw_limit_slow(s, &fuel);
            if (trap)
                goto do_trap;
        }
        LIMITS(entry->cf->entry_cost);
    }

#ifdef PW_CGOTO
    NEXT();
#else
dispatch:
    switch ((uintptr_t)ip->h) {
#endif

    /* ---- numeric ---- */
    /* Integer and float binary ops that also have an immediate form: one list
     * gives both the slot/slot handler and the slot/immediate one. */
/* clang-format off */
#define INT_OPS(X, P, U, S, M)                                                                                   \
    X(P##_add, U, U, a + b) X(P##_sub, U, U, a - b) X(P##_mul, U, U, a * b) X(P##_and, U, U, a & b)              \
    X(P##_or, U, U, a | b) X(P##_xor, U, U, a ^ b) X(P##_shl, U, U, a << (b & M))                                \
    X(P##_shr_s, S, S, a >> (b & M)) X(P##_shr_u, U, U, a >> (b & M)) X(P##_eq, U, u32, a == b)                  \
    X(P##_ne, U, u32, a != b) X(P##_lt_s, S, u32, a < b) X(P##_lt_u, U, u32, a < b) X(P##_gt_s, S, u32, a > b)   \
    X(P##_gt_u, U, u32, a > b) X(P##_le_s, S, u32, a <= b) X(P##_le_u, U, u32, a <= b)                           \
    X(P##_ge_s, S, u32, a >= b) X(P##_ge_u, U, u32, a >= b)
#define FLOAT_OPS(X, P, F) X(P##_add, F, a + b) X(P##_sub, F, a - b) X(P##_mul, F, a * b) X(P##_div, F, a / b)
/* clang-format on */
#define BINOPF(n, F, expr) BINOP(n, F, F, expr)
    INT_OPS(BINOP, i32, u32, i32, 31)
    INT_OPS(BINIMM, i32, u32, i32, 31)
    INT_OPS(BINOP, i64, u64, i64, 63)
    INT_OPS(BINIMM, i64, u64, i64, 63)
    FLOAT_OPS(BINOPF, f32, f32)
    FLOAT_OPS(BINIMMF, f32, f32)
    FLOAT_OPS(BINOPF, f64, f64)
    FLOAT_OPS(BINIMMF, f64, f64)
#undef INT_OPS
#undef FLOAT_OPS
#undef BINOPF
    UNOP(i32_eqz, u32, u32, a == 0)
    UNOP(i64_eqz, u64, u32, a == 0)
    BINOP(f32_eq, f32, u32, a == b)
    BINOP(f32_ne, f32, u32, a != b)
    BINOP(f32_lt, f32, u32, a < b)
    BINOP(f32_gt, f32, u32, a > b)
    BINOP(f32_le, f32, u32, a <= b)
    BINOP(f32_ge, f32, u32, a >= b)
    BINOP(f64_eq, f64, u32, a == b)
    BINOP(f64_ne, f64, u32, a != b)
    BINOP(f64_lt, f64, u32, a < b)
    BINOP(f64_gt, f64, u32, a > b)
    BINOP(f64_le, f64, u32, a <= b)
    BINOP(f64_ge, f64, u32, a >= b)
    UNOP(i32_clz, u32, u32, a ? (uint32_t)__builtin_clz(a) : 32)
    UNOP(i32_ctz, u32, u32, a ? (uint32_t)__builtin_ctz(a) : 32)
    UNOP(i32_popcnt, u32, u32, (uint32_t)__builtin_popcount(a))
    INTDIV(i32_div_s, i32, a == INT32_MIN && b == -1, a / b)
    INTDIV(i32_div_u, u32, false, a / b)
    INTDIV(i32_rem_s, i32, false, b == -1 ? 0 : a % b)
    INTDIV(i32_rem_u, u32, false, a % b)
    BINOP(i32_rotl, u32, u32, rotl32(a, b))
    BINOP(i32_rotr, u32, u32, rotr32(a, b))
    UNOP(i64_clz, u64, u64, a ? (uint64_t)__builtin_clzll(a) : 64)
    UNOP(i64_ctz, u64, u64, a ? (uint64_t)__builtin_ctzll(a) : 64)
    UNOP(i64_popcnt, u64, u64, (uint64_t)__builtin_popcountll(a))
    INTDIV(i64_div_s, i64, a == INT64_MIN && b == -1, a / b)
    INTDIV(i64_div_u, u64, false, a / b)
    INTDIV(i64_rem_s, i64, false, b == -1 ? 0 : a % b)
    INTDIV(i64_rem_u, u64, false, a % b)
    BINOP(i64_rotl, u64, u64, rotl64(a, b))
    BINOP(i64_rotr, u64, u64, rotr64(a, b))
    UNOP(f32_abs, u32, u32, a & 0x7fffffffu)
    UNOP(f32_neg, u32, u32, a ^ 0x80000000u)
    UNOP(f32_ceil, f32, f32, a != a ? a + a : ceilf(a))
    UNOP(f32_floor, f32, f32, a != a ? a + a : floorf(a))
    UNOP(f32_trunc, f32, f32, a != a ? a + a : truncf(a))
    UNOP(f32_nearest, f32, f32, a != a ? a + a : nearbyintf(a))
    UNOP(f32_sqrt, f32, f32, sqrtf(a))
    BINOP(f32_min, f32, f32, wminf(a, b))
    BINOP(f32_max, f32, f32, wmaxf(a, b))
    BINOP(f32_copysign, u32, u32, (a & 0x7fffffffu) | (b & 0x80000000u))
    UNOP(f64_abs, u64, u64, a & 0x7fffffffffffffffull)
    UNOP(f64_neg, u64, u64, a ^ 0x8000000000000000ull)
    UNOP(f64_ceil, f64, f64, a != a ? a + a : ceil(a))
    UNOP(f64_floor, f64, f64, a != a ? a + a : floor(a))
    UNOP(f64_trunc, f64, f64, a != a ? a + a : trunc(a))
    UNOP(f64_nearest, f64, f64, a != a ? a + a : nearbyint(a))
    UNOP(f64_sqrt, f64, f64, sqrt(a))
    BINOP(f64_min, f64, f64, wmin(a, b))
    BINOP(f64_max, f64, f64, wmax(a, b))
    BINOP(f64_copysign, u64, u64, (a & 0x7fffffffffffffffull) | (b & 0x8000000000000000ull))
    /* The same four with SSE4.1 (IR_ROUND): one roundss/roundsd, its
     * immediate 8 (no precision exception) + the rounding mode: 0 nearest
     * even, 1 down, 2 up, 3 towards zero. -0 and infinities come out as they
     * went in, a NaN quiet with its sign and payload, as a + a above. */
#if PW_ROUND_SSE41
#define ROUND(n, F, fn, insn, imm)                                                                               \
    OP(n##_sse41) {                                                                                              \
        __typeof__(fp->F) r;                                                                                     \
        __asm__(insn " $" #imm ", %1, %0" : "=x"(r) : "xm"(fp[A].F));                                            \
        fp[D].F = r;                                                                                             \
        ip += 2;                                                                                                 \
        NEXT();                                                                                                  \
    }
#else
#define ROUND(n, F, fn, insn, imm) UNOP(n##_sse41, F, F, a != a ? a + a : fn(a))
#endif
    ROUND(f32_ceil, f32, ceilf, "roundss", 10)
    ROUND(f32_floor, f32, floorf, "roundss", 9)
    ROUND(f32_trunc, f32, truncf, "roundss", 11)
    ROUND(f32_nearest, f32, nearbyintf, "roundss", 8)
    ROUND(f64_ceil, f64, ceil, "roundsd", 10)
    ROUND(f64_floor, f64, floor, "roundsd", 9)
    ROUND(f64_trunc, f64, trunc, "roundsd", 11)
    ROUND(f64_nearest, f64, nearbyint, "roundsd", 8)
#undef ROUND
    UNOP(i32_wrap_i64, u64, u32, (uint32_t)a)
    TRUNC(i32_trunc_f32_s, i32, int32_t, f32, chk_i32)
    TRUNC(i32_trunc_f32_u, u32, uint32_t, f32, chk_u32)
    TRUNC(i32_trunc_f64_s, i32, int32_t, f64, chk_i32)
    TRUNC(i32_trunc_f64_u, u32, uint32_t, f64, chk_u32)
    UNOP(i64_extend_i32_s, i32, i64, (int64_t)a)
    UNOP(i64_extend_i32_u, u32, u64, (uint64_t)a)
    TRUNC(i64_trunc_f32_s, i64, int64_t, f32, chk_i64)
    TRUNC(i64_trunc_f32_u, u64, uint64_t, f32, chk_u64)
    TRUNC(i64_trunc_f64_s, i64, int64_t, f64, chk_i64)
    TRUNC(i64_trunc_f64_u, u64, uint64_t, f64, chk_u64)
    UNOP(f32_convert_i32_s, i32, f32, (float)a)
    UNOP(f32_convert_i32_u, u32, f32, (float)a)
    UNOP(f32_convert_i64_s, i64, f32, (float)a)
    UNOP(f32_convert_i64_u, u64, f32, (float)a)
    UNOP(f32_demote_f64, f64, f32, (float)a)
    UNOP(f64_convert_i32_s, i32, f64, (double)a)
    UNOP(f64_convert_i32_u, u32, f64, (double)a)
    UNOP(f64_convert_i64_s, i64, f64, (double)a)
    UNOP(f64_convert_i64_u, u64, f64, (double)a)
    UNOP(f64_promote_f32, f32, f64, (double)a)
    UNOP(i32_reinterpret_f32, u32, u32, a)
    UNOP(i64_reinterpret_f64, u64, u64, a)
    UNOP(f32_reinterpret_i32, u32, u32, a)
    UNOP(f64_reinterpret_i64, u64, u64, a)
    UNOP(i32_extend8_s, u32, i32, (int32_t)(int8_t)a)
    UNOP(i32_extend16_s, u32, i32, (int32_t)(int16_t)a)
    UNOP(i64_extend8_s, u64, i64, (int64_t)(int8_t)a)
    UNOP(i64_extend16_s, u64, i64, (int64_t)(int16_t)a)
    UNOP(i64_extend32_s, u64, i64, (int64_t)(int32_t)a)
    UNOP(i32_trunc_sat_f32_s, f32, i32, sat_i32(a))
    UNOP(i32_trunc_sat_f32_u, f32, u32, sat_u32(a))
    UNOP(i32_trunc_sat_f64_s, f64, i32, sat_i32(a))
    UNOP(i32_trunc_sat_f64_u, f64, u32, sat_u32(a))
    UNOP(i64_trunc_sat_f32_s, f32, i64, sat_i64(a))
    UNOP(i64_trunc_sat_f32_u, f32, u64, sat_u64(a))
    UNOP(i64_trunc_sat_f64_s, f64, i64, sat_i64(a))
    UNOP(i64_trunc_sat_f64_u, f64, u64, sat_u64(a))

#include "interp_fused.h"

    /* ---- limits ---- */
    OP(check) {
        LIMITS(ip[1].u);
        ip += 2;
        NEXT();
    }
    OP(br_back) {
        LIMITS(ip[2].u);
        ip += ip[1].i;
        NEXT();
    }
    OP(br_if_back) {
        if (fp[ip[1].s.a].u32) {
            LIMITS(ip[3].u);
            ip += ip[2].i;
        } else
            ip += 4;
        NEXT();
    }
    OP(br_unless_back) {
        if (!fp[ip[1].s.a].u32) {
            LIMITS(ip[3].u);
            ip += ip[2].i;
        } else
            ip += 4;
        NEXT();
    }

    /* ---- control ---- */
    OP(unreachable) { TRAP(PW_TRAP_UNREACHABLE); }
    OP(br) {
        ip += ip[1].i;
        NEXT();
    }
    OP(br_if) {
        if (fp[ip[1].s.a].u32)
            ip += ip[2].i;
        else
            ip += 3;
        NEXT();
    }
    OP(br_unless) {
        if (!fp[ip[1].s.a].u32)
            ip += ip[2].i;
        else
            ip += 3;
        NEXT();
    }
    OP(br_table) {
        uint32_t i = fp[ip[1].s.a].u32, n = ip[1].s.b;
        if (i > n)
            i = n;
        ip += ip[2 + i].i;
        NEXT();
    }
    OP(copy) {
        fp[D] = fp[A];
        ip += 2;
        NEXT();
    }
    OP(const) {
        fp[D].u64 = ip[2].u;
        ip += 3;
        NEXT();
    }
    OP(select) {
        pw_slot r = fp[ip[1].s.b].u32 ? fp[ip[2].s.a] : fp[ip[2].s.b];
        fp[D] = r;
        ip += 3;
        NEXT();
    }
    OP(global_get) {
        fp[D] = inst->globals[A]->val;
        ip += 2;
        NEXT();
    }
    OP(global_set) {
        inst->globals[ip[1].s.a]->val = fp[ip[1].s.b];
        ip += 2;
        NEXT();
    }
    OP(call) {
        callee = inst->funcs[ip[1].s.a];
        nfp = fp + ip[1].s.b;
        ret_ip = ip + 2;
        goto do_call;
    }
    OP(call_direct) {
        ccf = ip[1].p;
        nfp = fp + ip[2].s.a;
        ret_ip = ip + 3;
        goto do_call_wasm;
    }
    OP(call_direct_chk) {
        ccf = ip[1].p;
        LIMITS(ccf->entry_cost);
        nfp = fp + ip[2].s.a;
        ret_ip = ip + 3;
        goto do_call_wasm;
    }
    OP(call_chk) {
        callee = inst->funcs[ip[1].s.a];
        LIMITS(callee->call_cost);
        nfp = fp + ip[1].s.b;
        ret_ip = ip + 2;
        goto do_call;
    }
    OP(call_indirect_chk) {
        chk = true;
        goto do_call_indirect;
    }
    OP(call_indirect) {
        chk = false;
    do_call_indirect:;
        pw_table *t = inst->tables[ip[1].s.b];
        uint32_t i = fp[ip[2].s.b].u32;
        if (UNLIKELY(i >= t->size))
            TRAP(PW_TRAP_UNDEFINED_ELEMENT);
        callee = t->elems[i];
        if (UNLIKELY(!callee))
            TRAP(PW_TRAP_UNINITIALIZED_ELEMENT);
        if (UNLIKELY(callee->sig != inst->module->sigs[ip[1].s.a]))
            TRAP(PW_TRAP_INDIRECT_MISMATCH);
        if (chk)
            LIMITS(callee->call_cost);
        nfp = fp + ip[2].s.a;
        ret_ip = ip + 3;
        goto do_call;
    }
    OP(ret1) {
        fp[0] = fp[ip[1].s.a];
        goto do_ret;
    }
    OP(ret) { goto do_ret; }

    /* ---- memory ---- */
    MEM_LOADS(LOAD)
    MEM_STORES(STORE)

    OP(memory_size) {
        fp[D].u32 = m0->pages;
        ip += 2;
        NEXT();
    }
    OP(memory_grow) {
        int64_t r = pw_memory_grow_pages(m0, fp[A].u32);
        fp[D].i32 = (int32_t)r;
        MEM_RELOAD();
        ip += 2;
        NEXT();
    }
    OP(memory_fill) {
        uint64_t d = fp[ip[1].s.a].u32, n = fp[ip[2].s.a].u32;
        if (OOB(d, n))
            TRAP(PW_TRAP_MEMORY_OOB);
        memset(mem + d, (int)(uint8_t)fp[ip[1].s.b].u32, n);
        ip += 3;
        NEXT();
    }
    OP(memory_copy) {
        uint64_t d = fp[ip[1].s.a].u32, sidx = fp[ip[1].s.b].u32, n = fp[ip[2].s.a].u32;
        if (OOB(d, n) || OOB(sidx, n))
            TRAP(PW_TRAP_MEMORY_OOB);
        memmove(mem + d, mem + sidx, n);
        ip += 3;
        NEXT();
    }
    OP(memory_init) {
        uint32_t seg = ip[1].s.a;
        uint64_t d = fp[ip[1].s.b].u32, sidx = fp[ip[2].s.a].u32, n = fp[ip[2].s.b].u32;
        const wm_data *ds = &inst->module->m.datas[seg];
        uint64_t len = inst->data_dropped[seg] ? 0 : ds->len;
        if (UNLIKELY(sidx + n > len) || OOB(d, n))
            TRAP(PW_TRAP_MEMORY_OOB);
        if (n)
            memcpy(mem + d, ds->bytes + sidx, n);
        ip += 3;
        NEXT();
    }
    OP(data_drop) {
        inst->data_dropped[ip[1].s.a] = true;
        ip += 2;
        NEXT();
    }

    /* ---- tables and references ---- */
    OP(table_get) {
        pw_table *t = inst->tables[ip[2].s.a];
        uint32_t i = fp[A].u32;
        if (UNLIKELY(i >= t->size))
            TRAP(PW_TRAP_TABLE_OOB);
        fp[D].ref = t->elems[i];
        ip += 3;
        NEXT();
    }
    OP(table_set) {
        pw_table *t = inst->tables[ip[1].s.a];
        uint32_t i = fp[ip[1].s.b].u32;
        if (UNLIKELY(i >= t->size))
            TRAP(PW_TRAP_TABLE_OOB);
        t->elems[i] = fp[ip[2].s.a].ref;
        ip += 3;
        NEXT();
    }
    OP(table_size) {
        fp[D].u32 = inst->tables[A]->size;
        ip += 2;
        NEXT();
    }
    OP(table_grow) {
        pw_table *t = inst->tables[A];
        void *init = fp[ip[2].s.a].ref;
        fp[D].i32 = (int32_t)pw_table_grow_raw(t, fp[ip[2].s.b].u32, init);
        ip += 3;
        NEXT();
    }
    OP(table_fill) {
        pw_table *t = inst->tables[ip[1].s.a];
        uint64_t i = fp[ip[1].s.b].u32, n = fp[ip[2].s.b].u32;
        void *v = fp[ip[2].s.a].ref;
        if (UNLIKELY(i + n > t->size))
            TRAP(PW_TRAP_TABLE_OOB);
        for (uint64_t k = 0; k < n; k++)
            t->elems[i + k] = v;
        ip += 3;
        NEXT();
    }
    OP(table_copy) {
        pw_table *td = inst->tables[ip[1].s.a], *ts = inst->tables[ip[1].s.b];
        uint64_t d = fp[ip[2].s.a].u32, sidx = fp[ip[2].s.b].u32, n = fp[ip[3].s.a].u32;
        if (UNLIKELY(d + n > td->size || sidx + n > ts->size))
            TRAP(PW_TRAP_TABLE_OOB);
        if (n)
            memmove(td->elems + d, ts->elems + sidx, n * sizeof(void *));
        ip += 4;
        NEXT();
    }
    OP(table_init) {
        pw_table *t = inst->tables[ip[1].s.a];
        uint32_t seg = ip[1].s.b;
        uint64_t d = fp[ip[2].s.a].u32, sidx = fp[ip[2].s.b].u32, n = fp[ip[3].s.a].u32;
        uint64_t len = inst->elem_items[seg] ? inst->elem_sizes[seg] : 0;
        if (UNLIKELY(sidx + n > len || d + n > t->size))
            TRAP(PW_TRAP_TABLE_OOB);
        if (n)
            memcpy(t->elems + d, inst->elem_items[seg] + sidx, n * sizeof(void *));
        ip += 4;
        NEXT();
    }
    OP(elem_drop) {
        uint32_t seg = ip[1].s.a;
        free(inst->elem_items[seg]);
        inst->elem_items[seg] = NULL;
        inst->elem_sizes[seg] = 0;
        ip += 2;
        NEXT();
    }
    /* Engines with canonicalize_nans: every NaN an arithmetic op made
     * becomes the canonical quiet NaN (sign clear, payload 0). */
    UNOP(f32_canon, f32, u32, a != a ? 0x7fc00000u : fp[A].u32)
    UNOP(f64_canon, f64, u64, a != a ? 0x7ff8000000000000ull : fp[A].u64)
    OP(global_get128) {
        fp[D] = inst->globals[A]->val;
        fp[D + 1] = inst->globals[A]->val_hi;
        ip += 2;
        NEXT();
    }
    OP(global_set128) {
        inst->globals[ip[1].s.a]->val = fp[ip[1].s.b];
        inst->globals[ip[1].s.a]->val_hi = fp[ip[1].s.b + 1];
        ip += 2;
        NEXT();
    }
#include "interp_simd.h"
    OP(ref_is_null) {
        fp[D].u32 = fp[A].ref == NULL;
        ip += 2;
        NEXT();
    }
    OP(ref_func) {
        fp[D].ref = inst->funcs[A];
        ip += 2;
        NEXT();
    }

#ifndef PW_CGOTO
default: TRAP(PW_TRAP_UNREACHABLE);
}
#endif

do_call : if (LIKELY(callee->cf != NULL)) {
    ccf = callee->cf;
    if (UNLIKELY(callee->inst != inst)) {
        /* a function of another instance: switch after saving the frame */
        if (UNLIKELY(fsp == fend || nfp + ccf->frame_size > send)) {
            ip = ret_ip - 1;
            TRAP(PW_TRAP_STACK_EXHAUSTED);
        }
        *fsp++ = (pw_frame){ret_ip, fp, inst};
        zero_locals(nfp + ccf->nparams, ccf->nzero);
        fp = nfp;
        ip = ccf->code;
        inst = callee->inst;
        m0 = inst->mem0;
        MEM_RELOAD();
        NEXT();
    }
do_call_wasm:
    if (UNLIKELY(fsp == fend || nfp + ccf->frame_size > send)) {
        ip = ret_ip - 1;
        TRAP(PW_TRAP_STACK_EXHAUSTED);
    }
    *fsp++ = (pw_frame){ret_ip, fp, inst};
    zero_locals(nfp + ccf->nparams, ccf->nzero);
    fp = nfp;
    ip = ccf->code;
    NEXT();
}
{
    /* A host function or another tier's: it counts as a frame, so host
     * re-entry (host -> wasm -> host ...) is bounded by the depth limit. */
    if (UNLIKELY(fsp == fend)) {
        ip = ret_ip - 1;
        TRAP(PW_TRAP_STACK_EXHAUSTED);
    }
    const pw_sig *sig = callee->sig;
    s->sp = nfp + (sig->nparam_slots > sig->nresult_slots ? sig->nparam_slots : sig->nresult_slots);
    s->fsp = fsp;
    s->fuel = fuel;
    s->depth = dbase + (uint32_t)(fsp - fbase) + 1;
    herr = pw_call_out(s, callee, inst, nfp);
    s->depth = dbase;
    fuel = s->fuel;
    s->fsp = fbase;
    if (UNLIKELY(herr != NULL)) {
        ip = ret_ip - 1;
        goto do_trap;
    }
    if (UNLIKELY(checks && atomic_load_explicit(intr, memory_order_relaxed))) {
        /* interrupted while in the host (e.g. a sleep cut short): stop now */
        ip = ret_ip - 1;
        trap = pw_limit_slow(s, &fuel);
        if (trap)
            goto do_trap;
    }
    MEM_RELOAD();
    ip = ret_ip;
    NEXT();
}

do_ret : if (UNLIKELY(fsp == fbase)) {
    s->fuel = fuel;
    return NULL;
}
fsp--;
ip = fsp->ip;
fp = fsp->fp;
if (UNLIKELY(fsp->inst != inst)) {
    inst = fsp->inst;
    m0 = inst->mem0;
}
MEM_RELOAD();
NEXT();

do_trap : s->fuel = fuel;
return trap_error(s, herr, trap, inst, ip, fbase, fsp);
}

const void *const *pw_interp_handlers(void) {
    const void *const *h = NULL;
    run(NULL, NULL, NULL, &h);
    return h;
}

/* The interpreter's side of the tier seam. */
static pw_error *interp_call(pw_store *s, pw_func *f, pw_slot *args) {
    const pw_sig *sig = f->sig;
    if (!pw_store_stacks(s))
        return pw_error_new(PW_ERR_RESOURCE, "out of memory allocating the wasm stack");
    pw_slot *saved_sp = s->sp;
    pw_frame *saved_fsp = s->fsp;
    pw_slot *fp = s->sp;
    if (fp + f->cf->frame_size > s->stack_end || s->fsp >= s->frames_end)
        return pw_error_trap_new(PW_TRAP_STACK_EXHAUSTED);
    memcpy(fp, args, sig->nparam_slots * sizeof *fp);
    pw_error *err = run(s, f, fp, NULL);
    if (!err)
        memcpy(args, fp, sig->nresult_slots * sizeof *fp);
    s->sp = saved_sp;
    s->fsp = saved_fsp;
    return err;
}

static void interp_bind(pw_func *f, uint32_t defidx) {
    f->cf = &f->inst->module->funcs[defidx];
    f->call_cost = f->cf->entry_cost;
}

const pw_tier pw_tier_interp = {"interp", interp_call, interp_bind, NULL};
