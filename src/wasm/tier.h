/* The tier seam: how the runtime reaches a function's code.
 *
 * A *tier* executes the defined functions of a module: the interpreter
 * (interp.c, `pw_tier_interp`) or a native tier. Everything else - the
 * store, instances, memories, tables, globals, host functions, limits and
 * errors - belongs to the runtime and is shared, so the same instance state
 * is the same objects whichever tier runs a module. docs/engine.md ("Tier
 * seam") is the prose version of this header.
 *
 * Reaching code. A wasm function is a pw_func with `inst != NULL`; its
 * `tier` runs it. Every entry into wasm goes through pw_call (the public
 * pw_func_call*, the start function at instantiation, host code calling
 * back). A running tier that calls a pw_func it does not run itself (an
 * import, a table entry, a function of another instance or tier, a host
 * function) goes through pw_call_out. Inside one module a tier calls its
 * own functions however it likes (the interpreter's call_direct).
 *
 * Values. Arguments and results are passed in an array of 64-bit slots
 * (pw_slot): arguments in slots[0..nparam_slots), results written back to
 * slots[0..nresult_slots); i32/f32 in the low 32 bits, references as
 * pointers (funcref: pw_func *, externref: the host's void *), a v128 in two
 * slots, low half first.
 *
 * Shared state a tier must honour (all in pw_store, rt.h):
 *  - Fuel: `s->fuel` is the current slice (a tier may keep it in a register
 *    while it runs, and must write it back before pw_call_out, returning or
 *    trapping, and reload it after pw_call_out). A tier charges exactly what
 *    pw_fuel_regions (below) computes: the entry cost when a function is
 *    entered, a loop's cost on each taken back-edge, and at a br_table with
 *    loop targets the largest cost among them, before it branches. A charge
 *    is `fuel -= cost; if (fuel < 0) trap = pw_limit_slow(s, &fuel)`.
 *  - Interruption: pw_limit_slow also polls `s->interrupt`; a tier with
 *    checks (entry_cost != 0) polls it once at each entry from pw_call and
 *    after each pw_call_out. Deadlines are armed by pw_call, not by tiers.
 *  - Call depth: `s->depth` counts the activations on the chain that are not
 *    the running tier's own frames (every frame of suspended interpreter
 *    activations, plus one per host function or cross-tier call). A tier
 *    entered with depth d may nest at most `s->max_call_depth - d` further
 *    calls, and must set `s->depth` to d + its own frames + 1 before
 *    pw_call_out (restoring d afterwards). Exceeding it is a
 *    PW_TRAP_STACK_EXHAUSTED trap.
 *  - Memory: `inst->mem0->data/size` may change across memory.grow and
 *    across any pw_call_out; reload them after both.
 *
 * Traps. A tier returns NULL or a pw_error it owns (pw_error_trap_new, or
 * an error returned by a callee). On the way out it appends one backtrace
 * frame per active frame of its own, innermost first, with
 * pw_error_add_wasm_frame (function index and byte offset of the
 * instruction in the module binary - never a tier-internal address), and
 * calls pw_error_seal before returning. Callee errors already hold the
 * callee's frames; the caller appends its own after them.
 *
 * Ownership. A module's tier is chosen when the module is created
 * (`mod->tier`, default the interpreter); a tier may keep per-module data
 * in `mod->tier_data` and frees it in `module_free`. At instantiation the
 * runtime calls `bind` for each defined function, which sets the function's
 * code pointer (`cf` for the interpreter, `code` for other tiers) and
 * `call_cost`.
 */
#ifndef PORTALIS_WASM_TIER_H
#define PORTALIS_WASM_TIER_H

#include "rt.h"

struct pw_tier {
    const char *name; /* "interp", "native" */
    /* Runs f (a wasm function bound to this tier) to completion. */
    pw_error *(*call)(pw_store *s, pw_func *f, pw_slot *slots);
    /* Binds defined function `defidx` of f->inst's module: sets f->cf or
     * f->code, and f->call_cost. */
    void (*bind)(pw_func *f, uint32_t defidx);
    /* Frees mod->tier_data (NULL if the tier keeps none). */
    void (*module_free)(pw_module *mod);
};

extern const pw_tier pw_tier_interp;

/* Entry into wasm from outside any tier: checks the depth, arms the store's
 * deadline for an outermost call, then runs f in its tier (or calls the
 * host function). */
pw_error *pw_call(pw_store *s, pw_func *f, pw_slot *slots);
/* A call from a running tier to a pw_func it does not run itself. `caller`
 * is the calling instance (what pw_caller_* report to a host function).
 * The caller has already published fuel and depth (see above). */
pw_error *pw_call_out(pw_store *s, pw_func *callee, pw_instance *caller, pw_slot *slots);

/* False when the native (C) stack of the calling thread has less headroom
 * left than a nested activation needs (PW_NATIVE_STACK_RESERVE, or a quarter
 * of a smaller stack). pw_call checks it on re-entry (depth > 0), pw_call_out
 * before entering another tier; a tier that recurses on the C stack checks it
 * (or compares a stack address with s->stack_limit once this has run in the
 * thread) and traps PW_TRAP_STACK_EXHAUSTED. */
bool pw_native_stack_ok(pw_store *s);
#define PW_NATIVE_STACK_RESERVE (256u << 10)

/* Slow path of a fuel charge (the slice went negative) and of an interrupt
 * poll: traps on a pending interrupt (PW_TRAP_DEADLINE), else pays the
 * overdraft from the reserve and starts the next slice, or returns
 * PW_TRAP_OUT_OF_FUEL. PW_TRAP_NONE to continue. */
pw_trap_kind pw_limit_slow(pw_store *s, int64_t *fuel);

/* Appends a backtrace frame for function `func_index` of `mod` at byte
 * offset `offset` of the module binary, with its name from the name section. */
void pw_error_add_wasm_frame(pw_error *e, const pw_module *mod, uint32_t func_index, uint32_t offset);

/* Fuel regions of one function body, as every tier charges them. A region
 * is the function outside its loops, or one loop's body outside its nested
 * loops; its cost is the number of wasm instructions in it (each opcode
 * counts one, `end`/`else` included, whether reachable or not; a `loop`
 * opcode belongs to the enclosing region, its `end` to the loop). */
typedef struct {
    uint32_t offset; /* byte offset of the `loop` opcode in the module binary */
    uint64_t cost;   /* charged on each taken branch back to the loop */
} pw_fuel_loop;
typedef struct {
    uint32_t entry_cost; /* charged on entry (saturated to UINT32_MAX) */
    uint32_t nloops;     /* loops in order of their `loop` opcode */
    pw_fuel_loop *loops;
} pw_fuel_regions;
/* Computes the regions of defined function `defidx` (a validated body).
 * Returns false on allocation failure or a malformed body. Free with
 * pw_fuel_regions_free. */
bool pw_fuel_regions_of(const wm_module *m, uint32_t defidx, pw_fuel_regions *out);
void pw_fuel_regions_free(pw_fuel_regions *r);

#endif
