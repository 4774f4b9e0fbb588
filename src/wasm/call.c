/* The runtime side of the tier seam (tier.h): entry into wasm, calls that
 * leave a tier, host function calls. */
#include <pthread.h>
#include <stdlib.h>

#include "tier.h"

/* Finds the calling thread's stack and keeps a reserve below the limit: a
 * quarter of the stack, at most PW_NATIVE_STACK_RESERVE, at least 32 KiB
 * (what one host -> wasm -> host round trip and a trap's error need). */
static void find_stack_limit(pw_store *s) {
    pthread_attr_t a;
    void *lo = NULL;
    size_t size = 0;
    s->stack_thread = pthread_self();
    s->stack_limit = 0;
    if (pthread_getattr_np(pthread_self(), &a) != 0)
        return;
    if (pthread_attr_getstack(&a, &lo, &size) == 0 && lo) {
        size_t reserve = size / 4;
        if (reserve > PW_NATIVE_STACK_RESERVE)
            reserve = PW_NATIVE_STACK_RESERVE;
        if (reserve < (32u << 10))
            reserve = 32u << 10;
        s->stack_limit = (uintptr_t)lo + reserve;
    }
    pthread_attr_destroy(&a);
}

bool pw_native_stack_ok(pw_store *s) {
    if (!s->stack_limit || !pthread_equal(s->stack_thread, pthread_self()))
        find_stack_limit(s);
    return (uintptr_t)__builtin_frame_address(0) > s->stack_limit;
}

pw_error *pw_call_host(pw_store *s, pw_func *f, pw_instance *caller, pw_slot *slots) {
    const pw_sig *sig = f->sig;
    pw_val small[16];
    pw_val *args = small;
    uint32_t need = sig->nparams + sig->nresults;
    if (need > 16) {
        args = malloc(need * sizeof *args);
        if (!args)
            return pw_error_new(PW_ERR_RESOURCE, "out of memory calling a host function");
    }
    pw_val *results = args + sig->nparams;
    const pw_slot *in = slots;
    for (uint32_t i = 0; i < sig->nparams; i++) {
        args[i] = pw_val_load(in, sig->kinds[i]);
        in += pw_kind_slots(sig->kinds[i]);
    }
    for (uint32_t i = 0; i < sig->nresults; i++) {
        results[i].kind = sig->kinds[sig->nparams + i];
        results[i].of.i64 = 0;
    }
    pw_caller c = {s, caller};
    pw_error *err = f->host(&c, f->user_data, args, results);
    if (!err) {
        pw_slot *out = slots;
        for (uint32_t i = 0; i < sig->nresults; i++) {
            /* a host function gives what it was asked for, whatever it set */
            results[i].kind = sig->kinds[sig->nparams + i];
            out += pw_val_store(results[i], out);
        }
    }
    if (args != small)
        free(args);
    return err;
}

pw_error *pw_call_out(pw_store *s, pw_func *callee, pw_instance *caller, pw_slot *slots) {
    if (!callee->tier)
        return pw_call_host(s, callee, caller, slots);
    if (!pw_native_stack_ok(s))
        return pw_error_trap_new(PW_TRAP_STACK_EXHAUSTED);
    return callee->tier->call(s, callee, slots);
}

pw_error *pw_call(pw_store *s, pw_func *f, pw_slot *slots) {
    if (!f->tier)
        return pw_call_host(s, f, NULL, slots);
    /* A re-entrant call (a host function calling back) nests on the C
     * stack: bounded by the depth limit and by the stack actually left. */
    if (s->depth && (s->depth >= s->max_call_depth || !pw_native_stack_ok(s)))
        return pw_error_trap_new(PW_TRAP_STACK_EXHAUSTED);
    /* Only the outermost call has a deadline: a host function calling back
     * into wasm runs within the budget of the call that called it. */
    bool outermost = s->depth == 0 && s->deadline_ns;
    if (outermost)
        pw_deadline_arm(s);
    pw_error *err = f->tier->call(s, f, slots);
    if (outermost)
        pw_deadline_disarm(s);
    return err;
}
