/* Guard-page mode of the native tier (aot_guard.c, docs/aot.md "Sandbox"). */
#ifndef PORTALIS_WASM_AOT_GUARD_H
#define PORTALIS_WASM_AOT_GUARD_H

#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>

/* True if generated code may leave memory accesses unchecked: the platform
 * is supported, $PORTALIS_AOT_BOUNDS is not "checks", the process does not
 * run under valgrind, a guarded reservation
 * (PW_MEMORY_RESERVE_GUARDED) can be made, and the fault handler is
 * installed (once per process, chained to the handler it replaces). */
bool pw_aot_guard_usable(void);

/* The thread's running guard-mode activation: a fault of an instruction in
 * [code_lo, code_hi) at an address in [mem_lo, mem_lo + mem_len) unwinds to
 * *jb with longjmp value AOT_GUARD_FAULT. */
typedef struct aot_guard {
    jmp_buf *jb;
    uintptr_t mem_lo, mem_len;
    uintptr_t code_lo, code_hi;
    /* The activation's call-site array [sites_lo, sites_hi] (inclusive): on
     * a C stack overflow the handler stores in stack_d the deepest pointer
     * into it that a register of the faulting code holds (a d, so the
     * trapping depth), else 0. */
    uintptr_t sites_lo, sites_hi, stack_d;
    struct aot_guard *prev;
} aot_guard;
#define AOT_GUARD_FAULT 2
/* A C stack overflow of generated code (longjmp value): it touched the
 * guard below the thread's stack, or read AOT_STACK_PROBE on purpose (its
 * explicit check before a call into the runtime failed). */
#define AOT_GUARD_STACK 3
#define AOT_STACK_PROBE 64

/* Makes g the thread's running activation (giving the thread an alternate
 * signal stack first if it has none); false if no stack could be set up.
 * With `stack` (the code has no C stack checks, aot_gen.c: it relies on the
 * guard below the thread's stack), also false when the thread's stack has
 * no guard page or the caller does not run on the thread's stack (a stack
 * of the host's own making): the call then runs on the interpreter.
 * pw_aot_guard_leave restores the previous one (nested activations). */
bool pw_aot_guard_enter(aot_guard *g, bool stack);
void pw_aot_guard_leave(aot_guard *g);

/* The range of executable code of the loaded object that defines `addr`
 * (found once per instance, not in the handler). */
bool pw_aot_code_range(const void *addr, uintptr_t *lo, uintptr_t *hi);

#endif
