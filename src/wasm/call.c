/* The runtime side of the tier seam (tier.h): entry into wasm, calls that
 * leave a tier, host function calls. */
#include <stdlib.h>

#include "tier.h"

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
    for (uint32_t i = 0; i < sig->nparams; i++)
        args[i] = pw_slot_to_val(slots[i], sig->kinds[i]);
    for (uint32_t i = 0; i < sig->nresults; i++) {
        results[i].kind = sig->kinds[sig->nparams + i];
        results[i].of.i64 = 0;
    }
    pw_caller c = {s, caller};
    pw_error *err = f->host(&c, f->user_data, args, results);
    if (!err)
        for (uint32_t i = 0; i < sig->nresults; i++)
            slots[i] = pw_val_to_slot(results[i]);
    if (args != small)
        free(args);
    return err;
}

pw_error *pw_call_out(pw_store *s, pw_func *callee, pw_instance *caller, pw_slot *slots) {
    if (!callee->tier)
        return pw_call_host(s, callee, caller, slots);
    return callee->tier->call(s, callee, slots);
}

pw_error *pw_call(pw_store *s, pw_func *f, pw_slot *slots) {
    if (!f->tier)
        return pw_call_host(s, f, NULL, slots);
    if (s->depth >= s->max_call_depth)
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
