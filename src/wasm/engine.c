/* The engine object: configuration, and the function signatures interned
 * per engine so that type equality is a pointer comparison. */
#include <stdlib.h>
#include <time.h>
#include <string.h>

#include "rt.h"

const char *pw_valkind_name(pw_valkind k) {
    static const char *const n[] = {"i32", "i64", "f32", "f64", "v128", "funcref", "externref"};
    return (unsigned)k < sizeof n / sizeof n[0] ? n[k] : "?";
}

pw_valkind pw_kind_of(uint8_t t) {
    switch (t) {
    case WM_I32: return PW_I32;
    case WM_I64: return PW_I64;
    case WM_F32: return PW_F32;
    case WM_F64: return PW_F64;
    case WM_V128: return PW_V128;
    case WM_FUNCREF: return PW_FUNCREF;
    default: return PW_EXTERNREF;
    }
}

uint8_t pw_valtype_of(pw_valkind k) {
    static const uint8_t t[] = {WM_I32, WM_I64, WM_F32, WM_F64, WM_V128, WM_FUNCREF, WM_EXTERNREF};
    return t[k];
}

const pw_sig *pw_engine_intern_sig(pw_engine *e, const uint8_t *types, uint32_t np, uint32_t nr) {
    pthread_mutex_lock(&e->lock);
    pw_sig *found = NULL;
    for (size_t i = 0; i < e->nsigs && !found; i++) {
        pw_sig *s = e->sigs[i];
        if (s->nparams == np && s->nresults == nr && !memcmp(s->types, types, np + nr))
            found = s;
    }
    if (!found && PBASE_RESERVE(e->sigs, e->capsigs, e->nsigs + 1)) {
        pw_sig *s = malloc(sizeof *s + (np + nr) * (3 + sizeof(pw_valkind)));
        if (s) {
            pw_valkind *k = (pw_valkind *)(s + 1);
            uint8_t *t = (uint8_t *)(k + np + nr);
            uint8_t *st = t + np + nr; /* room for every value as a v128 */
            memcpy(t, types, np + nr);
            uint32_t ns = 0;
            for (uint32_t i = 0; i < np + nr; i++) {
                k[i] = pw_kind_of(types[i]);
                if (i == np)
                    s->nparam_slots = ns;
                st[ns++] = types[i];
                if (types[i] == WM_V128)
                    st[ns++] = PW_T_V128_HI;
            }
            if (nr == 0)
                s->nparam_slots = ns;
            s->nresult_slots = ns - s->nparam_slots;
            s->slot_types = st;
            s->nparams = np;
            s->nresults = nr;
            s->types = t;
            s->kinds = k;
            e->sigs[e->nsigs++] = s;
            found = s;
        }
    }
    pthread_mutex_unlock(&e->lock);
    return found;
}

/* ---- engine ------------------------------------------------------------ */

pw_engine *pw_engine_new(void) {
    pw_engine_config cfg = {.tier = PW_TIER_INTERP};
    return pw_engine_new_with(&cfg);
}

pw_engine *pw_engine_new_with(const pw_engine_config *cfg) {
    pw_engine *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    e->config = *cfg;
    pthread_mutex_init(&e->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&e->wd_cond, &ca);
    e->wd_wake = UINT64_MAX;
    pthread_condattr_destroy(&ca);
    return e;
}

pw_engine_config pw_engine_get_config(const pw_engine *e) { return e->config; }

void pw_engine_free(pw_engine *e) {
    if (!e)
        return;
    if (e->wd_started) {
        pthread_mutex_lock(&e->lock);
        e->wd_quit = true;
        pthread_cond_signal(&e->wd_cond);
        pthread_mutex_unlock(&e->lock);
        pthread_join(e->wd_thread, NULL);
    }
    free(e->wd_stores);
    pthread_cond_destroy(&e->wd_cond);
    for (size_t i = 0; i < e->nsigs; i++)
        free(e->sigs[i]);
    free(e->sigs);
    pthread_mutex_destroy(&e->lock);
    free(e);
}
