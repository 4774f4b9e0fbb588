#include "dummy_imports.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    dummy_config *cfg;
    uint32_t nresults;
    pw_valkind kinds[];
} dummy_fn_data;

pw_val dummy_zero(pw_valkind k) {
    pw_val v;
    memset(&v, 0, sizeof v);
    v.kind = k;
    return v;
}

static pw_error *dummy_fn(pw_caller *caller, void *user, const pw_val *args, pw_val *results) {
    (void)caller;
    (void)args;
    dummy_fn_data *d = user;
    d->cfg->calls++;
    if (d->cfg->trap_every && d->cfg->calls % d->cfg->trap_every == 0)
        return pw_trap_new("dummy import trapped on call %u", d->cfg->calls);
    for (uint32_t i = 0; i < d->nresults; i++)
        results[i] = dummy_zero(d->kinds[i]);
    return NULL;
}

bool dummy_import(pw_store *store, const pw_externtype *t, dummy_config *cfg, pw_extern *out) {
    out->kind = t->kind;
    switch (t->kind) {
    case PW_EXTERN_FUNC: {
        dummy_fn_data *d = malloc(sizeof *d + (t->func.nresults + 1) * sizeof(pw_valkind));
        if (!d)
            return false;
        d->cfg = cfg;
        d->nresults = t->func.nresults;
        memcpy(d->kinds, t->func.results, t->func.nresults * sizeof(pw_valkind));
        out->of.func = pw_func_new(store, t->func.params, t->func.nparams, t->func.results, t->func.nresults,
                                   dummy_fn, d, free);
        return out->of.func != NULL;
    }
    case PW_EXTERN_TABLE:
        if (t->limits.min > cfg->max_table)
            return false;
        out->of.table = pw_table_new(store, t->elem, t->limits, dummy_zero(t->elem));
        return out->of.table != NULL;
    case PW_EXTERN_MEMORY:
        if (t->limits.min > cfg->max_memory_pages)
            return false;
        out->of.memory = pw_memory_new(store, t->limits);
        return out->of.memory != NULL;
    case PW_EXTERN_GLOBAL:
        out->of.global = pw_global_new(store, t->valtype, t->mut, dummy_zero(t->valtype));
        return out->of.global != NULL;
    }
    return false;
}
