/* Which loops the native tier may run without per-access sandbox work.
 *
 * In guard mode every load is forced (an empty asm reading it) and every
 * store is fenced, so an out-of-bounds access faults exactly where the
 * interpreter traps, with the same memory behind it; with explicit checks
 * every access is compared with the size. Both keep the compiler from
 * vectorising, and i32 address arithmetic, which may wrap, keeps it from
 * computing an iteration space anyway. For a loop whose iteration count and
 * addresses are affine functions of its induction variables, the
 * generator (aot_gen.c) instead computes at the loop's entry how many
 * times the body runs and the range of every access; when they all lie in
 * the memory, no access of the loop can fault or wrap, and an unchecked
 * copy of the loop runs with addresses in 64 bits. This file is the
 * analysis: an abstract run of the body over affine values of the locals'
 * values at the top of an iteration.
 */
#include "aot_loop.h"

#include <string.h>

#include "aot_simd.h"
#include "opcodes.h"

enum { AV_UNK, AV_AFF, AV_CMP };
enum { REL_EQ = 5 };
/* Coefficients and steps beyond this make the entry test's 64-bit
 * arithmetic overflow-prone: such loops keep the checked code. */
#define AFF_MAX ((int64_t)1 << 24)
#define MAX_BODY 4096
#define MAX_STACK 64
#define MAX_WRITTEN 64

typedef struct {
    uint8_t kind, rel;
    bool sgn;
    aot_aff a, b;
} aval;

typedef struct {
    const uint8_t *ltypes;
    uint32_t nlocals;
    aval st[MAX_STACK];
    uint32_t sn;
    uint32_t wloc[MAX_WRITTEN];
    aval wval[MAX_WRITTEN];
    uint32_t nw;
    bool fail;
    aot_loop *out;
} walker;

static int64_t red32(int64_t x) { return (int64_t)(int32_t)(uint32_t)(uint64_t)x; }

static aval unk(void) {
    aval v;
    memset(&v, 0, sizeof v);
    return v;
}

static aval aff_const(int64_t k) {
    aval v = unk();
    v.kind = AV_AFF;
    v.a.k = red32(k);
    return v;
}

/* a + m * b, reduced mod 2^32 into signed 32-bit coefficients; unknown if
 * it has too many terms or too large a coefficient. */
static aval aff_combine(const aot_aff *a, const aot_aff *b, int64_t m) {
    aval r = unk();
    r.kind = AV_AFF;
    r.a = *a;
    r.a.k = red32(a->k + m * b->k);
    for (uint32_t i = 0; i < b->n; i++) {
        uint32_t j = 0;
        while (j < r.a.n && r.a.loc[j] != b->loc[i])
            j++;
        if (j == r.a.n) {
            if (j == AOT_AFF_TERMS)
                return unk();
            r.a.loc[j] = b->loc[i];
            r.a.co[j] = 0;
            r.a.n++;
        }
        r.a.co[j] = red32(r.a.co[j] + m * b->co[i]);
    }
    uint32_t n = 0;
    for (uint32_t i = 0; i < r.a.n; i++) {
        if (r.a.co[i] > AFF_MAX || r.a.co[i] < -AFF_MAX)
            return unk();
        if (r.a.co[i] != 0) {
            r.a.loc[n] = r.a.loc[i];
            r.a.co[n++] = r.a.co[i];
        }
    }
    r.a.n = n;
    return r;
}

static aval aff_scale(const aot_aff *a, int64_t m) {
    aot_aff zero;
    memset(&zero, 0, sizeof zero);
    return aff_combine(&zero, a, red32(m));
}

static void push(walker *w, aval v) {
    if (w->sn == MAX_STACK) {
        w->fail = true;
        return;
    }
    w->st[w->sn++] = v;
}

static aval pop(walker *w) {
    if (w->sn == 0) {
        w->fail = true;
        return unk();
    }
    return w->st[--w->sn];
}

static int find_written(const walker *w, uint32_t k) {
    for (uint32_t i = 0; i < w->nw; i++)
        if (w->wloc[i] == k)
            return (int)i;
    return -1;
}

static aval local_value(walker *w, uint32_t k) {
    int i = find_written(w, k);
    if (i >= 0)
        return w->wval[i];
    if (w->ltypes[k] != WM_I32)
        return unk();
    aval v = unk();
    v.kind = AV_AFF;
    v.a.n = 1;
    v.a.loc[0] = k;
    v.a.co[0] = 1;
    return v;
}

static void local_write(walker *w, uint32_t k, aval v) {
    if (w->ltypes[k] != WM_I32 || v.kind != AV_AFF)
        v = unk();
    int i = find_written(w, k);
    if (i < 0) {
        if (w->nw == MAX_WRITTEN) {
            w->fail = true;
            return;
        }
        i = (int)w->nw++;
        w->wloc[i] = k;
    }
    w->wval[i] = v;
}

static uint32_t rd_u32(walker *w, const uint8_t **p, const uint8_t *end) {
    uint32_t u = 0;
    if (!wm_read_u32(p, end, &u, NULL))
        w->fail = true;
    return u;
}

/* A load or store (scalar, or a whole-vector SIMD one) of `size` bytes. */
static void access(walker *w, const uint8_t **p, const uint8_t *end, const wm_opinfo *oi, uint32_t size) {
    uint32_t align = rd_u32(w, p, end);
    if (align & 0x40)
        (void)rd_u32(w, p, end);
    uint32_t off = rd_u32(w, p, end);
    bool store = !oi->result;
    if (store)
        (void)pop(w);
    aval a = pop(w);
    if (a.kind != AV_AFF || w->out->nacc == sizeof w->out->acc / sizeof w->out->acc[0]) {
        w->fail = true;
        return;
    }
    aot_access *x = &w->out->acc[w->out->nacc++];
    x->addr = a.a;
    x->off = off;
    x->size = size;
    if (!store)
        push(w, unk());
}

/* i32 arithmetic and comparisons kept affine; false if op is not one. */
static bool i32_op(walker *w, uint32_t id) {
    static const struct {
        uint32_t id;
        uint8_t rel;
        bool sgn;
    } cmps[] = {{OP_i32_eq, REL_EQ, 0},       {OP_i32_ne, AOT_REL_NE, 0},   {OP_i32_lt_s, AOT_REL_LT, 1},
                {OP_i32_lt_u, AOT_REL_LT, 0}, {OP_i32_gt_s, AOT_REL_GT, 1}, {OP_i32_gt_u, AOT_REL_GT, 0},
                {OP_i32_le_s, AOT_REL_LE, 1}, {OP_i32_le_u, AOT_REL_LE, 0}, {OP_i32_ge_s, AOT_REL_GE, 1},
                {OP_i32_ge_u, AOT_REL_GE, 0}};
    for (size_t i = 0; i < sizeof cmps / sizeof cmps[0]; i++)
        if (cmps[i].id == id) {
            aval b = pop(w), a = pop(w), r = unk();
            if (a.kind == AV_AFF && b.kind == AV_AFF) {
                r.kind = AV_CMP;
                r.rel = cmps[i].rel;
                r.sgn = cmps[i].sgn;
                r.a = a.a;
                r.b = b.a;
            }
            push(w, r);
            return true;
        }
    if (id == OP_i32_eqz) {
        static const uint8_t neg[] = {
            [AOT_REL_NE] = REL_EQ,     [AOT_REL_LT] = AOT_REL_GE, [AOT_REL_LE] = AOT_REL_GT,
            [AOT_REL_GT] = AOT_REL_LE, [AOT_REL_GE] = AOT_REL_LT, [REL_EQ] = AOT_REL_NE};
        aval a = pop(w);
        if (a.kind == AV_CMP)
            a.rel = neg[a.rel];
        else if (a.kind == AV_AFF) {
            a.kind = AV_CMP;
            a.rel = REL_EQ;
            a.b = aff_const(0).a;
        }
        push(w, a);
        return true;
    }
    if (id != OP_i32_add && id != OP_i32_sub && id != OP_i32_mul && id != OP_i32_shl)
        return false;
    aval b = pop(w), a = pop(w), r = unk();
    if (a.kind == AV_AFF && b.kind == AV_AFF) {
        if (id == OP_i32_add || id == OP_i32_sub)
            r = aff_combine(&a.a, &b.a, id == OP_i32_add ? 1 : -1);
        else if (id == OP_i32_shl && b.a.n == 0)
            r = aff_scale(&a.a, (int64_t)1 << (b.a.k & 31));
        else if (id == OP_i32_mul && b.a.n == 0)
            r = aff_scale(&a.a, b.a.k);
        else if (id == OP_i32_mul && a.a.n == 0)
            r = aff_scale(&b.a, a.a.k);
    }
    push(w, r);
    return true;
}

/* Variables, constants, stack; false if op is none of them. */
static bool plain_op(walker *w, uint32_t id, const wm_opinfo *oi, const uint8_t **p, const uint8_t *end) {
    switch (id) {
    case OP_nop: return true;
    case OP_local_get:
    case OP_local_set:
    case OP_local_tee: {
        uint32_t k = rd_u32(w, p, end);
        if (k >= w->nlocals) {
            w->fail = true;
            return true;
        }
        if (id == OP_local_get)
            push(w, local_value(w, k));
        else {
            aval v = pop(w);
            local_write(w, k, v);
            if (id == OP_local_tee)
                push(w, v);
        }
        return true;
    }
    case OP_i32_const: {
        int32_t v = 0;
        if (!wm_read_s32(p, end, &v, NULL))
            w->fail = true;
        push(w, aff_const(v));
        return true;
    }
    case OP_global_get:
    case OP_i64_const:
    case OP_f32_const:
    case OP_f64_const:
        w->fail |= wm_skip_immediates(p, end, oi->imm) != NULL;
        push(w, unk());
        return true;
    case OP_global_set:
    case OP_drop:
        w->fail |= wm_skip_immediates(p, end, oi->imm) != NULL;
        (void)pop(w);
        return true;
    case OP_select:
    case OP_select_t:
        w->fail |= wm_skip_immediates(p, end, oi->imm) != NULL;
        (void)pop(w), (void)pop(w), (void)pop(w);
        push(w, unk());
        return true;
    default: return false;
    }
}

/* Pure operators of the other types (and SIMD without memory): unknown. */
static void opaque_op(walker *w, const wm_opinfo *oi, const uint8_t **p, const uint8_t *end) {
    bool pure =
        oi->kind == WK_NUMERIC || (oi->kind == WK_SIMD && oi->imm != WI_MEMARG && oi->imm != WI_MEMARG_LANE);
    if (!pure || oi->nargs == WM_NARGS_SPECIAL || wm_skip_immediates(p, end, oi->imm)) {
        w->fail = true;
        return;
    }
    for (uint32_t i = 0; i < oi->nargs; i++)
        (void)pop(w);
    if (oi->result)
        push(w, unk());
}

static int64_t var_step(const aot_loop *l, uint32_t loc, bool *found) {
    for (uint32_t i = 0; i < l->nvars; i++)
        if (l->var[i] == loc) {
            *found = true;
            return l->step[i];
        }
    *found = false;
    return 0;
}

int64_t pw_aot_aff_step(const aot_loop *l, const aot_aff *a) {
    int64_t s = 0;
    bool found;
    for (uint32_t i = 0; i < a->n; i++)
        s += a->co[i] * var_step(l, a->loc[i], &found);
    return s;
}

/* Adds the locals of a to the loop's variables with their steps; false if
 * one changes other than by a constant each iteration. */
static bool add_vars(const walker *w, aot_loop *l, const aot_aff *a) {
    for (uint32_t i = 0; i < a->n; i++) {
        bool found;
        (void)var_step(l, a->loc[i], &found);
        if (found)
            continue;
        int64_t step = 0;
        int k = find_written(w, a->loc[i]);
        if (k >= 0) {
            const aval *v = &w->wval[k];
            if (v->kind != AV_AFF || v->a.n != 1 || v->a.loc[0] != a->loc[i] || v->a.co[0] != 1)
                return false;
            step = v->a.k;
        }
        if (l->nvars == sizeof l->var / sizeof l->var[0])
            return false;
        l->var[l->nvars] = a->loc[i];
        l->step[l->nvars++] = step;
    }
    int64_t s = pw_aot_aff_step(l, a);
    return s <= AFF_MAX && s >= -AFF_MAX;
}

/* The loop condition as "v REL w", v changing and w not. */
static bool exit_condition(walker *w, aval c) {
    aot_loop *l = w->out;
    if (c.kind == AV_AFF) {
        c.kind = AV_CMP;
        c.rel = AOT_REL_NE;
        c.b = aff_const(0).a;
    }
    if (c.kind != AV_CMP || c.rel == REL_EQ || !add_vars(w, l, &c.a) || !add_vars(w, l, &c.b))
        return false;
    int64_t sa = pw_aot_aff_step(l, &c.a), sb = pw_aot_aff_step(l, &c.b);
    static const uint8_t mirror[] = {[AOT_REL_NE] = AOT_REL_NE,
                                     [AOT_REL_LT] = AOT_REL_GT,
                                     [AOT_REL_LE] = AOT_REL_GE,
                                     [AOT_REL_GT] = AOT_REL_LT,
                                     [AOT_REL_GE] = AOT_REL_LE};
    if (sa != 0 && sb == 0) {
        l->v = c.a;
        l->w = c.b;
        l->rel = c.rel;
    } else if (sa == 0 && sb != 0) {
        l->v = c.b;
        l->w = c.a;
        l->rel = mirror[c.rel];
    } else {
        return false;
    }
    l->sgn = c.sgn;
    l->sv = sa != 0 ? sa : sb;
    return true;
}

bool pw_aot_loop_analyse(const uint8_t *p, const uint8_t *end, const uint8_t *ltypes, uint32_t nlocals,
                         aot_loop *out) {
    static walker zero;
    walker w = zero;
    w.ltypes = ltypes;
    w.nlocals = nlocals;
    w.out = out;
    memset(out, 0, sizeof *out);
    const uint8_t *start = p;
    bool have_exit = false;
    aval cond = unk();
    while (!w.fail && p < end && p - start < MAX_BODY) {
        uint32_t id;
        const wm_opinfo *oi;
        if (wm_read_opcode(&p, end, &id, &oi) || !oi)
            return false;
        if (have_exit) {
            if (id != OP_end)
                return false;
            for (uint32_t i = 0; i < out->nacc; i++)
                if (!add_vars(&w, out, &out->acc[i].addr))
                    return false;
            return exit_condition(&w, cond);
        }
        if (id == OP_br_if) {
            have_exit = rd_u32(&w, &p, end) == 0 && w.sn == 1;
            cond = pop(&w);
            w.fail |= !have_exit;
        } else if (oi->kind == WK_LOAD || oi->kind == WK_STORE) {
            access(&w, &p, end, oi, 1u << oi->align);
        } else if (oi->kind == WK_SIMD && oi->imm == WI_MEMARG) {
            access(&w, &p, end, oi, pw_aot_simd_access_size(id & 0xffff));
        } else if (!plain_op(&w, id, oi, &p, end) && !i32_op(&w, id)) {
            opaque_op(&w, oi, &p, end);
        }
    }
    return false;
}

/* ---- the generated entry test and the unchecked copy's pieces ---------- */

/* a, its locals read from the copy's variables x<id>_<local>. */
static void emit_aff(aot_buf *o, const aot_aff *a, uint32_t id, int64_t extra) {
    pw_aot_buf_printf(o, "(%lldll", (long long)(a->k + extra));
    for (uint32_t i = 0; i < a->n; i++)
        if (a->co[i] == 1)
            pw_aot_buf_printf(o, " + x%u_%u", id, a->loc[i]);
        else
            pw_aot_buf_printf(o, " + %lldll * x%u_%u", (long long)a->co[i], id, a->loc[i]);
    pw_aot_buf_printf(o, ")");
}

static bool same_terms(const aot_aff *a, const aot_aff *b) {
    if (a->n != b->n)
        return false;
    for (uint32_t i = 0; i < a->n; i++)
        if (a->loc[i] != b->loc[i] || a->co[i] != b->co[i])
            return false;
    return true;
}

/* The range test of the accesses with the terms of acc[i] (the first of
 * them): every address of every iteration n < N is at least 0 (so the i32
 * sum did not wrap) and its access ends within the memory. */
static void emit_range(aot_buf *o, const aot_loop *l, uint32_t i, uint32_t id, const char *size) {
    const aot_aff *a = &l->acc[i].addr;
    int64_t lo = a->k, hi = a->k + l->acc[i].off + l->acc[i].size;
    for (uint32_t j = i + 1; j < l->nacc; j++)
        if (same_terms(a, &l->acc[j].addr)) {
            const aot_access *b = &l->acc[j];
            lo = b->addr.k < lo ? b->addr.k : lo;
            hi = b->addr.k + b->off + b->size > hi ? b->addr.k + b->off + b->size : hi;
        }
    int64_t s = pw_aot_aff_step(l, a);
    pw_aot_buf_printf(o, " && ");
    emit_aff(o, a, id, lo - a->k);
    if (s < 0)
        pw_aot_buf_printf(o, " + (n%u - 1) * %lldll", id, (long long)s);
    pw_aot_buf_printf(o, " >= 0 && ");
    emit_aff(o, a, id, hi - a->k);
    if (s > 0)
        pw_aot_buf_printf(o, " + (n%u - 1) * %lldll", id, (long long)s);
    pw_aot_buf_printf(o, " <= (wa_i64)%s", size);
}

void pw_aot_loop_entry(aot_buf *o, const aot_loop *l, uint32_t id, const char *size) {
    pw_aot_buf_printf(o, "  { wa_i64 ");
    for (uint32_t i = 0; i < l->nvars; i++)
        pw_aot_buf_printf(o, "x%u_%u = (wa_i64)l%u, ", id, l->var[i], l->var[i]);
    const char *bias = l->sgn ? " ^ 0x80000000ll" : "";
    pw_aot_buf_printf(o, "n%u = w_trips((wa_i64)(wa_u32)", id);
    emit_aff(o, &l->v, id, 0);
    pw_aot_buf_printf(o, "%s, %lldll, (wa_i64)(wa_u32)", bias, (long long)l->sv);
    emit_aff(o, &l->w, id, 0);
    pw_aot_buf_printf(o, "%s, %d);\n  if (n%u > 0", bias, l->rel, id);
    for (uint32_t i = 0; i < l->nacc; i++) {
        bool first = true;
        for (uint32_t j = 0; j < i && first; j++)
            first = !same_terms(&l->acc[j].addr, &l->acc[i].addr);
        if (first)
            emit_range(o, l, i, id, size);
    }
    pw_aot_buf_printf(o, ") {\n");
}

void pw_aot_loop_addr(aot_buf *o, const aot_loop *l, uint32_t id, uint32_t acc) {
    pw_aot_buf_printf(o, "(wa_u64)");
    emit_aff(o, &l->acc[acc].addr, id, 0);
}

void pw_aot_loop_backedge(aot_buf *o, const aot_loop *l, uint32_t id) {
    for (uint32_t i = 0; i < l->nvars; i++)
        if (l->step[i])
            pw_aot_buf_printf(o, "  x%u_%u += %lldll;\n", id, l->var[i], (long long)l->step[i]);
    pw_aot_buf_printf(o, "  if (--n%u) {\n", id);
}
