/* Function objects: host functions, calls from the embedder, the caller
 * handle given to host functions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tier.h"

pw_func *pw_func_new(pw_store *store, const pw_valkind *params, uint32_t nparams, const pw_valkind *results,
                     uint32_t nresults, pw_host_fn fn, void *user_data, void (*finalizer)(void *)) {
    uint8_t small[64];
    uint8_t *types = nparams + nresults <= sizeof small ? small : malloc(nparams + nresults);
    if (!types)
        return NULL;
    for (uint32_t i = 0; i < nparams; i++)
        types[i] = pw_valtype_of(params[i]);
    for (uint32_t i = 0; i < nresults; i++)
        types[nparams + i] = pw_valtype_of(results[i]);
    const pw_sig *sig = pw_engine_intern_sig(store->engine, types, nparams, nresults);
    if (types != small)
        free(types);
    pw_func *f = calloc(1, sizeof *f);
    if (!sig || !f || !pw_store_own(store, f, PW_OBJ_FUNC)) {
        free(f);
        return NULL;
    }
    f->sig = sig;
    f->host = fn;
    f->call_cost = 1;
    f->user_data = user_data;
    f->finalizer = finalizer;
    return f;
}

pw_functype pw_func_type(const pw_func *f) { return pw_functype_of(f->sig); }

static void describe_types(char *buf, size_t cap, const pw_valkind *k, size_t n) {
    size_t at = 0;
    buf[0] = 0;
    for (size_t i = 0; i < n && at < cap; i++)
        at += (size_t)snprintf(buf + at, cap - at, "%s%s", i ? ", " : "", pw_valkind_name(k[i]));
}

pw_error *pw_func_call(pw_store *store, pw_func *f, const pw_val *args, size_t nargs, pw_val *results,
                       size_t nresults) {
    const pw_sig *sig = f->sig;
    bool ok = nargs == sig->nparams && nresults == sig->nresults;
    for (size_t i = 0; ok && i < nargs; i++)
        ok = args[i].kind == sig->kinds[i];
    if (!ok) {
        char want[256], got[256];
        describe_types(want, sizeof want, sig->kinds, sig->nparams);
        pw_valkind gk[32];
        size_t ng = nargs < 32 ? nargs : 32;
        for (size_t i = 0; i < ng; i++)
            gk[i] = args[i].kind;
        describe_types(got, sizeof got, gk, ng);
        if (nresults != sig->nresults && nargs == sig->nparams)
            return pw_error_new(PW_ERR_ARGUMENT, "function returns %u results, caller expects %zu", sig->nresults,
                                nresults);
        return pw_error_new(PW_ERR_ARGUMENT, "expected %u arguments (%s), got %zu (%s)", sig->nparams, want,
                            nargs, got);
    }
    pw_slot small[16];
    size_t n = sig->nparam_slots > sig->nresult_slots ? sig->nparam_slots : sig->nresult_slots;
    pw_slot *slots = n <= 16 ? small : malloc(n * sizeof *slots);
    if (!slots)
        return pw_error_new(PW_ERR_RESOURCE, "out of memory");
    for (size_t i = 0, at = 0; i < nargs; i++)
        at += pw_val_store(args[i], slots + at);
    pw_error *e = pw_call(store, f, slots);
    if (!e)
        for (size_t i = 0, at = 0; i < nresults; i++) {
            pw_valkind k = sig->kinds[sig->nparams + i];
            results[i] = pw_val_load(slots + at, k);
            at += pw_kind_slots(k);
        }
    if (slots != small)
        free(slots);
    return e;
}

pw_error *pw_func_call_unchecked(pw_store *store, pw_func *f, uint64_t *slots) {
    return pw_call(store, f, (pw_slot *)(void *)slots);
}

pw_memory *pw_caller_memory(pw_caller *c) {
    if (!c->inst || c->inst->mem0 == &c->store->empty_memory || !c->inst->module->m.nmemories)
        return NULL;
    return c->inst->mem0;
}
pw_store *pw_caller_store(pw_caller *c) { return c->store; }
bool pw_caller_export(pw_caller *c, const char *name, pw_extern *out) {
    return c->inst ? pw_instance_export(c->inst, name, out) : false;
}
