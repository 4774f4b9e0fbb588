/* The native tier's side of the tier seam (tier.h): binding functions of
 * an instance to compiled code, activations (entry from the runtime), and
 * the services generated code calls through wa_api (traps, limits, calls
 * out of the tier, bulk memory and table instructions).
 *
 * A trap unwinds the native frames of the activation with longjmp back to
 * the activation's entry (generated code holds no resources, so nothing is
 * skipped); the backtrace comes from the call sites the generated
 * functions write to the activation's site array (wa_rt.sites). In guard
 * mode an out-of-bounds access faults instead, and aot_guard.c unwinds the
 * same way. */
#include <setjmp.h>
#include <sys/mman.h>
#include <unistd.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "aot.h"
#include "aot_abi.h"
#include "aot_guard.h"
#include "opcodes.h"
#include "tier.h"

PW_AOT_ABI_DECLS

/* Generated code sees these engine structures through their mirrors. */
_Static_assert(offsetof(pw_memory, data) == offsetof(wa_mem, data) &&
                   offsetof(pw_memory, size) == offsetof(wa_mem, size),
               "wa_mem mirrors pw_memory");
_Static_assert(sizeof(((pw_memory *)0)->size) == sizeof(wa_u64), "pw_memory.size is 64-bit");
_Static_assert(offsetof(pw_table, elems) == offsetof(wa_tab, elems) &&
                   offsetof(pw_table, size) == offsetof(wa_tab, size),
               "wa_tab mirrors pw_table");
_Static_assert(offsetof(pw_func, sig) == offsetof(wa_func, sig) &&
                   offsetof(pw_func, inst) == offsetof(wa_func, inst),
               "wa_func mirrors pw_func");
_Static_assert(offsetof(pw_global, val) == 0 && sizeof(pw_slot) == sizeof(wa_slot), "a global is its value cell");

_Static_assert(WA_STACK_PROBE == AOT_STACK_PROBE, "one probe address");

size_t pw_aot_func_code_offset(void) { return offsetof(pw_func, code); }

/* ---- per-instance state ------------------------------------------------ */

typedef struct aot_inst aot_inst;

/* What pw_func.code points at: the function's descriptor (generated code
 * reads its prefix) and the instance state it runs with. */
typedef struct {
    wa_fdesc d;
    aot_inst *ai;
} aot_fn;

/* A call-site array placed so that its end is the start of a
 * WA_SITES_MASK + 1 aligned block (aot_abi.h): generated code finds the
 * depth limit from d's low bits. */
typedef struct {
    wa_u64 *sites;
    void *map;
    size_t len;
} site_map;

struct aot_inst {
    wa_ctx ctx;
    pw_instance *inst;
    bool checks;
    /* guard mode: the code accesses memory 0 unchecked; the module's
     * executable code, where a fault may be ours */
    bool guard, has_memory;
    /* guard mode without C stack checks in the code: an overflow faults on
     * the guard below the thread's stack (aot_guard.c) */
    bool stack_guard;
    uintptr_t code_lo, code_hi;
    /* Call sites of native frames (wa_rt.sites), indexed by store depth so
     * nested activations of this instance use disjoint parts; reallocated
     * only while none is running; it ends one entry past the deepest. */
    site_map sm;
    uint32_t nsites, active;
    uint32_t nfns;
    aot_fn fns[];
};

/* One entry into native code: its wa_rt (first, so the ctx's rt pointer
 * leads back here), where to unwind to, and the error being raised. */
typedef struct {
    wa_rt rt;
    jmp_buf jb;
    pw_error *err;
    pw_store *s;
    uint32_t dbase; /* s->depth at entry */
    uint32_t entry; /* function index of the activation's first frame */
    aot_guard guard;
    site_map own; /* a nested activation's own site array (sites_for) */
} aot_act;

static const wa_api API; /* below */

/* n zeroed entries ending at an aligned block (n * 8 is below the block
 * size: AOT_MAX_SITES): mapped with room to align, then trimmed. Untouched
 * pages cost no memory. */
static bool site_map_new(uint32_t n, site_map *sm) {
    const uintptr_t align = (uintptr_t)WA_SITES_MASK + 1;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t bytes = (size_t)n * sizeof(wa_u64);
    size_t len = (bytes + page - 1) / page * page;
    char *raw =
        mmap(NULL, len + align, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (raw == MAP_FAILED)
        return false;
    char *end = raw + ((((uintptr_t)raw + len + align - 1) & ~(align - 1)) - (uintptr_t)raw);
    char *start = end - len;
    if (start > raw)
        munmap(raw, (size_t)(start - raw));
    if (end < raw + len + align)
        munmap(end, (size_t)(raw + len + align - end));
    sm->map = start;
    sm->len = len;
    sm->sites = (wa_u64 *)(void *)(end - bytes);
    return true;
}

static void site_map_free(site_map *sm) {
    if (sm->map)
        munmap(sm->map, sm->len);
    memset(sm, 0, sizeof *sm);
}

static void inst_state_free(void *p) {
    aot_inst *ai = p;
    site_map_free(&ai->sm);
    free(ai);
}
static pw_error *never_called(pw_caller *c, void *u, const pw_val *a, pw_val *r) {
    (void)c, (void)u, (void)a, (void)r;
    return pw_trap_new("internal: native tier holder called");
}

/* The instance state is created at the first bind and freed with the store
 * (a store-owned host function carries it as user data). */
static aot_inst *inst_state(pw_func *f, uint32_t defidx) {
    pw_instance *inst = f->inst;
    const wm_module *m = &inst->module->m;
    if (defidx > 0) {
        const pw_func *first = inst->funcs[m->nfunc_imports];
        return first && first->code ? ((const aot_fn *)first->code)->ai : NULL;
    }
    aot_inst *ai = calloc(1, sizeof *ai + m->ncodes * sizeof(aot_fn));
    if (!ai)
        return NULL;
    if (!pw_func_new(inst->store, NULL, 0, NULL, 0, never_called, ai, inst_state_free)) {
        free(ai);
        return NULL;
    }
    ai->inst = inst;
    ai->nfns = m->ncodes;
    ai->checks = inst->module->engine->config.consume_fuel || inst->module->engine->config.interruptible;
    wa_ctx *c = &ai->ctx;
    c->api = &API;
    c->globals = (wa_slot **)(void *)inst->globals;
    c->tables = (wa_tab **)(void *)inst->tables;
    c->funcs = (void **)(void *)inst->funcs;
    c->sigs = (const void **)(void *)inst->module->sigs;
    c->inst = inst;
    return ai;
}

static void native_bind(pw_func *f, uint32_t defidx) {
    const aot_module *am = pw_aot_code_of(f->inst->module);
    aot_inst *ai = inst_state(f, defidx);
    /* Where the module was translated, the interpreter's code stays
     * available: an interpreter calling f runs it inline and charges its
     * entry at the call site, as for its own functions. A module loaded from
     * the cache has none: an interpreter's call crosses the seam like a call
     * to another tier's function, and the activation (native_call) charges
     * the entry itself. */
    const pw_cfunc *funcs = am ? pw_aot_interp_funcs(f->inst->module) : NULL;
    f->cf = funcs ? &funcs[defidx] : NULL;
    f->call_cost = f->cf ? f->cf->entry_cost : 0;
    f->code = NULL;
    if (!ai || !am)
        return;
    if (defidx == 0) {
        ai->guard = am->wm->guard != 0;
        ai->stack_guard = (am->wm->guard & WA_GUARD_STACK) != 0;
        ai->has_memory = f->inst->module->m.nmemories > 0;
        if (ai->guard && !pw_aot_code_range(am->wm, &ai->code_lo, &ai->code_hi))
            ai->code_hi = 0; /* its faults could not be told apart: interpreted (native_call) */
    }
    uint32_t fidx = f->inst->module->m.nfunc_imports + defidx;
    ai->fns[defidx].d = am->wm->funcs[fidx];
    ai->fns[defidx].ai = ai;
    f->code = &ai->fns[defidx];
}

/* ---- traps --------------------------------------------------------------- */

static void add_site(pw_error *e, const pw_module *mod, wa_u64 site) {
    pw_error_add_wasm_frame(e, mod, (uint32_t)(site >> 32), (uint32_t)site);
}

/* Completes the call sites of the frames at depths 0 .. n-1, each in a call:
 * a function with one direct call does not store it (wa_fdesc.site1). Which
 * function a frame runs follows from its caller's call: a direct call names
 * it (the call instruction at the site's offset), an indirect one reaches
 * only functions that store their sites, which name themselves. */
static void complete_sites(wa_ctx *c, uint32_t n) {
    const aot_act *a = (const aot_act *)(const void *)c->rt;
    const aot_inst *ai = (const aot_inst *)(const void *)c;
    const wm_module *m = &((pw_instance *)c->inst)->module->m;
    wa_u64 *sites = c->rt->sites;
    uint32_t f = a->entry;
    for (uint32_t k = 0; k < n && f >= m->nfunc_imports && f < m->nfuncs; k++) {
        const wa_fdesc *fd = &ai->fns[f - m->nfunc_imports].d;
        if (fd->site1)
            sites[k] = fd->site1;
        uint32_t off = (uint32_t)sites[k], callee = 0;
        const uint8_t *p = m->bytes + off + 1;
        if (off < m->nbytes && m->bytes[off] == OP_call && wm_read_u32(&p, m->bytes + m->nbytes, &callee, NULL))
            f = callee;
        else if (k + 1 < n)
            f = (uint32_t)(sites[k + 1] >> 32);
    }
}

/* Adds the call sites of the activation's frames at depths n-1 .. 0. */
static pw_error *with_frames(wa_ctx *c, pw_error *e, uint32_t n) {
    const pw_module *mod = ((pw_instance *)c->inst)->module;
    complete_sites(c, n);
    if (!e)
        e = pw_error_new(PW_ERR_RESOURCE, "out of memory raising a trap");
    while (n > 0)
        add_site(e, mod, c->rt->sites[--n]);
    pw_error_seal(e);
    return e;
}

/* with_frames, then unwinds. */
__attribute__((noreturn)) static void raise_error(wa_ctx *c, pw_error *e, uint32_t n) {
    aot_act *a = (aot_act *)(void *)c->rt;
    a->err = with_frames(c, e, n);
    longjmp(a->jb, 1);
}

__attribute__((noreturn)) static void rt_trap(wa_ctx *c, int kind, wa_u64 site) {
    pw_error *e = pw_error_trap_new((pw_trap_kind)kind);
    /* the trapping function's own frame, at the instruction (none for a
     * trap at its entry), then its callers' call sites */
    if (site != ~0ull && e)
        add_site(e, ((pw_instance *)c->inst)->module, site);
    raise_error(c, e, c->rt->cur);
}

static void rt_limit(wa_ctx *c, wa_u64 site) {
    aot_act *a = (aot_act *)(void *)c->rt;
    pw_trap_kind k = pw_limit_slow(a->s, &a->s->fuel);
    if (k)
        rt_trap(c, (int)k, site);
}

/* ---- calls out of the tier ------------------------------------------------ */

static void call_out(wa_ctx *c, pw_func *callee, wa_slot *sl) {
    aot_act *a = (aot_act *)(void *)c->rt;
    aot_inst *ai = (aot_inst *)(void *)c; /* ctx is the first member */
    pw_store *s = a->s;
    /* a wasm callee is entered through an activation, which charges its
     * entry; a host function costs its call_cost here */
    if (ai->checks && !callee->tier) {
        s->fuel -= (int64_t)callee->call_cost;
        if (s->fuel < 0)
            rt_limit(c, c->rt->sites[c->rt->cur]);
    }
    /* a host function or another tier's activation counts as a frame */
    uint32_t cur = c->rt->cur;
    if (cur + 1 > c->rt->limit)
        raise_error(c, pw_error_trap_new(PW_TRAP_STACK_EXHAUSTED), cur + 1);
    s->depth = a->dbase + cur + 1;
    pw_error *e = pw_call_out(s, callee, ai->inst, (pw_slot *)(void *)sl);
    s->depth = a->dbase;
    if (e)
        raise_error(c, e, cur + 1);
    if (ai->checks && atomic_load_explicit(&s->interrupt, memory_order_relaxed)) {
        c->rt->cur = cur;
        rt_limit(c, c->rt->sites[cur]);
    }
}

static void rt_call(wa_ctx *c, wa_u32 index, wa_slot *sl) {
    call_out(c, ((pw_instance *)c->inst)->funcs[index], sl);
}

static void rt_call_ref(wa_ctx *c, void *func, wa_slot *sl) { call_out(c, func, sl); }

/* ---- memory and tables ----------------------------------------------------- */

static pw_instance *inst_of(wa_ctx *c) { return c->inst; }

static wa_i32 rt_memory_grow(wa_ctx *c, wa_u32 delta) {
    return (wa_i32)pw_memory_grow_pages(inst_of(c)->mem0, delta);
}

static void rt_memory_init(wa_ctx *c, wa_u32 seg, wa_u32 d, wa_u32 sidx, wa_u32 n, wa_u64 site) {
    pw_instance *inst = inst_of(c);
    const wm_data *ds = &inst->module->m.datas[seg];
    uint64_t len = inst->data_dropped[seg] ? 0 : ds->len;
    if ((uint64_t)sidx + n > len || (uint64_t)d + n > inst->mem0->size)
        rt_trap(c, PW_TRAP_MEMORY_OOB, site);
    if (n)
        memcpy(inst->mem0->data + d, ds->bytes + sidx, n);
}

static void rt_data_drop(wa_ctx *c, wa_u32 seg) { inst_of(c)->data_dropped[seg] = true; }

static void rt_memory_copy(wa_ctx *c, wa_u32 d, wa_u32 sidx, wa_u32 n, wa_u64 site) {
    pw_memory *m = inst_of(c)->mem0;
    if ((uint64_t)d + n > m->size || (uint64_t)sidx + n > m->size)
        rt_trap(c, PW_TRAP_MEMORY_OOB, site);
    memmove(m->data + d, m->data + sidx, n);
}

static void rt_memory_fill(wa_ctx *c, wa_u32 d, wa_u32 v, wa_u32 n, wa_u64 site) {
    pw_memory *m = inst_of(c)->mem0;
    if ((uint64_t)d + n > m->size)
        rt_trap(c, PW_TRAP_MEMORY_OOB, site);
    memset(m->data + d, (int)(uint8_t)v, n);
}

static wa_i32 rt_table_grow(wa_ctx *c, wa_u32 t, void *init, wa_u32 n) {
    return (wa_i32)pw_table_grow_raw(inst_of(c)->tables[t], n, init);
}

static void rt_table_fill(wa_ctx *c, wa_u32 ti, wa_u32 i, void *v, wa_u32 n, wa_u64 site) {
    pw_table *t = inst_of(c)->tables[ti];
    if ((uint64_t)i + n > t->size)
        rt_trap(c, PW_TRAP_TABLE_OOB, site);
    for (uint64_t k = 0; k < n; k++)
        t->elems[i + k] = v;
}

static void rt_table_copy(wa_ctx *c, wa_u32 tdi, wa_u32 tsi, wa_u32 d, wa_u32 sidx, wa_u32 n, wa_u64 site) {
    pw_table *td = inst_of(c)->tables[tdi], *ts = inst_of(c)->tables[tsi];
    if ((uint64_t)d + n > td->size || (uint64_t)sidx + n > ts->size)
        rt_trap(c, PW_TRAP_TABLE_OOB, site);
    if (n)
        memmove(td->elems + d, ts->elems + sidx, n * sizeof(void *));
}

static void rt_table_init(wa_ctx *c, wa_u32 ti, wa_u32 seg, wa_u32 d, wa_u32 sidx, wa_u32 n, wa_u64 site) {
    pw_instance *inst = inst_of(c);
    pw_table *t = inst->tables[ti];
    uint64_t len = inst->elem_items[seg] ? inst->elem_sizes[seg] : 0;
    if ((uint64_t)sidx + n > len || (uint64_t)d + n > t->size)
        rt_trap(c, PW_TRAP_TABLE_OOB, site);
    if (n)
        memcpy(t->elems + d, inst->elem_items[seg] + sidx, n * sizeof(void *));
}

static void rt_elem_drop(wa_ctx *c, wa_u32 seg) {
    pw_instance *inst = inst_of(c);
    free(inst->elem_items[seg]);
    inst->elem_items[seg] = NULL;
    inst->elem_sizes[seg] = 0;
}

static const wa_api API = {rt_trap,        rt_limit,      rt_call,        rt_call_ref,    rt_memory_grow,
                           rt_memory_init, rt_data_drop,  rt_memory_copy, rt_memory_fill, rt_table_grow,
                           rt_table_fill,  rt_table_copy, rt_table_init,  rt_elem_drop};

/* ---- activations ------------------------------------------------------------ */

/* An entry trap (interrupt or fuel at the entry) names the function at its
 * first instruction, as the interpreter does. */
static pw_error *entry_trap(pw_trap_kind k, pw_func *f, const aot_fn *fn) {
    pw_error *e = pw_error_trap_new(k);
    const pw_module *mod = f->inst->module;
    const wm_code *code = &mod->m.codes[fn->d.index - mod->m.nfunc_imports];
    if (e) {
        pw_error_add_wasm_frame(e, mod, fn->d.index, code->body_offset);
        pw_error_seal(e);
    }
    return e;
}

/* Native recursion deeper than this would exhaust any C stack first (the
 * stack guard traps), so the site array never needs more. */
#define AOT_MAX_SITES (1u << 20)
_Static_assert((uint64_t)AOT_MAX_SITES * sizeof(wa_u64) <= WA_SITES_MASK,
               "a site array must be smaller than its block");

/* Points the activation at its part of the instance's site array (from
 * depth dbase, limit + 1 entries). The array must end exactly one entry
 * past the activation's deepest (generated code tests d's low bits): it is
 * remade to fit while no activation runs; a nested activation that needs
 * another end (the depth limit changed under a running one) gets an array
 * of its own. False if there is no room. */
static bool sites_for(aot_inst *ai, uint32_t dbase, aot_act *a) {
    uint64_t need = (uint64_t)dbase + a->rt.limit + 1;
    if (need > AOT_MAX_SITES)
        need = AOT_MAX_SITES;
    if (dbase >= need)
        return false;
    if (need != ai->nsites && ai->active == 0) {
        site_map m;
        if (site_map_new((uint32_t)need, &m)) {
            site_map_free(&ai->sm);
            ai->sm = m;
            ai->nsites = (uint32_t)need;
        }
    }
    a->rt.limit = (uint32_t)need - 1 - dbase;
    if (need == ai->nsites) {
        a->rt.sites = ai->sm.sites + dbase;
        return true;
    }
    if (!site_map_new(a->rt.limit + 1, &a->own))
        return false;
    a->rt.sites = a->own.sites;
    return true;
}

/* Guard mode: makes the activation the thread's running one for the fault
 * handler. False when the memory is not guarded after all (an imported
 * memory, or one that could not get its full reservation) or faults could
 * not be handled: the call then runs on the interpreter, which checks
 * bounds itself and has the same semantics. */
static bool guard_enter(aot_inst *ai, const pw_memory *mem, aot_act *a) {
    if ((ai->has_memory && mem->reserved < PW_MEMORY_RESERVE_GUARDED) || !ai->code_hi)
        return false;
    a->guard.jb = &a->jb;
    a->guard.mem_lo = ai->has_memory ? (uintptr_t)mem->data : 0;
    a->guard.mem_len = ai->has_memory ? (uintptr_t)mem->reserved : 0;
    a->guard.code_lo = ai->code_lo;
    a->guard.code_hi = ai->code_hi;
    a->guard.sites_lo = a->guard.sites_hi = 0;
    return pw_aot_guard_enter(&a->guard, ai->stack_guard);
}

/* An out-of-bounds access that faulted (guard mode). The trapping frame is
 * the one that published itself last (c->top, its function index in
 * *c->top); the byte offset is its entry's or its latest call's, not the
 * instruction's, which the fault does not tell. */
static pw_error *fault_error(wa_ctx *c) {
    pw_error *e = pw_error_trap_new(PW_TRAP_MEMORY_OOB);
    const pw_module *mod = ((pw_instance *)c->inst)->module;
    uint32_t n = c->top ? (uint32_t)(c->top - c->rt->sites) + 1 : 0;
    /* the faulting frame stored its own entry (or its last call), not a call */
    complete_sites(c, n ? n - 1 : 0);
    while (e && n > 0)
        add_site(e, mod, c->rt->sites[--n]);
    if (e)
        pw_error_seal(e);
    return e ? e : pw_error_new(PW_ERR_RESOURCE, "out of memory raising a trap");
}

/* The C stack ran out under generated code that does not check it (guard
 * mode): the trap its entry check used to raise. The trapping depth is
 * the d the faulting code held in a register, or the depth its explicit
 * check before a call into the runtime published (AT()); the frames are
 * its callers', as for a trap at a function's entry. */
static pw_error *stack_error(wa_ctx *c, const aot_guard *g) {
    uint32_t n = g->stack_d ? (uint32_t)(((const wa_u64 *)g->stack_d) - c->rt->sites) : c->rt->cur;
    return with_frames(c, pw_error_trap_new(PW_TRAP_STACK_EXHAUSTED), n);
}

/* One entry into native code: the entry's limit checks, the activation's
 * state in the instance's context (saved and restored: activations nest
 * through host calls), and the landing point of traps. */
static pw_error *activation(pw_store *s, pw_func *f, const aot_fn *fn, pw_slot *slots, aot_act *a) {
    aot_inst *ai = fn->ai;
    wa_ctx *c = &ai->ctx;
    if (ai->checks) {
        if (atomic_load_explicit(&s->interrupt, memory_order_relaxed)) {
            pw_trap_kind k = pw_limit_slow(s, &s->fuel);
            if (k)
                return entry_trap(k, f, fn);
        }
        s->fuel -= (int64_t)fn->d.cost;
        if (s->fuel < 0) {
            pw_trap_kind k = pw_limit_slow(s, &s->fuel);
            if (k)
                return entry_trap(k, f, fn);
        }
    }
    /* native frames live on this thread's C stack: they stop above the
     * runtime's reserve, trapping instead of overflowing it */
    a->rt.fuel = &s->fuel;
    a->rt.cur = 0;
    a->rt.limit = s->max_call_depth > s->depth ? s->max_call_depth - s->depth : 0;
    memset(&a->own, 0, sizeof a->own);
    if (s->depth > s->max_call_depth || !pw_native_stack_ok(s) || !sites_for(ai, s->depth, a))
        return entry_trap(PW_TRAP_STACK_EXHAUSTED, f, fn);
    a->guard.sites_lo = (uintptr_t)a->rt.sites;
    a->guard.sites_hi = (uintptr_t)(a->rt.sites + a->rt.limit);
    a->err = NULL;
    a->s = s;
    a->dbase = s->depth;
    a->entry = fn->d.index;
    wa_ctx saved = *c;
    c->rt = &a->rt;
    c->mem = (wa_mem *)(void *)f->inst->mem0;
    c->stack_limit = s->stack_limit;
    c->top = NULL;
    pw_error *err = NULL;
    ai->active++;
    int how = setjmp(a->jb);
    if (how == 0) {
        fn->d.entry(c, (wa_slot *)(void *)slots, fn->d.typed);
    } else if (how == AOT_GUARD_FAULT) {
        err = fault_error(c);
    } else if (how == AOT_GUARD_STACK) {
        err = stack_error(c, &a->guard);
    } else {
        err = *(pw_error *volatile *)&a->err;
    }
    ai->active--;
    c->rt = saved.rt;
    c->mem = saved.mem;
    site_map_free(&a->own);
    c->stack_limit = saved.stack_limit;
    c->top = saved.top;
    s->depth = a->dbase;
    return err;
}

/* An instance whose memory is not guarded after all (guard_enter) runs on
 * the interpreter. A module loaded from the cache gets its interpreter code
 * now, and the instance's functions are bound to it as they are where the
 * module was translated at load: interpreted callers then run them inline
 * and charge their entries at the call site (the same fuel either way). */
static pw_error *interpreted(pw_store *s, pw_func *f, pw_slot *slots) {
    pw_instance *inst = f->inst;
    if (!f->cf) {
        const pw_cfunc *funcs;
        pw_error *e = pw_aot_interp_code(inst->module, &funcs);
        if (e)
            return e;
        for (uint32_t i = 0; i < inst->module->m.ncodes; i++) {
            pw_func *g = inst->funcs[inst->module->m.nfunc_imports + i];
            g->cf = &funcs[i];
            g->call_cost = g->cf->entry_cost;
        }
    }
    return pw_tier_interp.call(s, f, slots);
}

static pw_error *native_call(pw_store *s, pw_func *f, pw_slot *slots) {
    const aot_fn *fn = f->code;
    if (!fn)
        return pw_error_new(PW_ERR_RESOURCE, "out of memory binding native code");
    aot_act a;
    bool guarded = fn->ai->guard && (fn->ai->has_memory || fn->ai->stack_guard);
    if (guarded && !guard_enter(fn->ai, f->inst->mem0, &a))
        return interpreted(s, f, slots);
    pw_error *err = activation(s, f, fn, slots, &a);
    if (guarded)
        pw_aot_guard_leave(&a.guard);
    return err;
}

static void native_module_free(pw_module *mod) { pw_aot_module_release(mod->tier_data); }

const pw_tier pw_tier_native = {"native", native_call, native_bind, native_module_free};
