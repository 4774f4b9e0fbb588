/* PW_TIER_AUTO (docs/aot.md, "auto"): a module starts on the interpreter at
 * once while a background thread compiles it to native code (or it is
 * native at once when the cache already holds its code). When the code is
 * published, each instance switches as it is next entered (pw_call or a call
 * from another instance or tier): its functions are rebound to native code
 * in place - the same pw_func, instance, memories, tables and globals - so
 * no state moves. Activations already running finish on the interpreter.
 * With no compiler, or if the compile fails, the module stays interpreted
 * and pw_module_tier reports why, once, as its note. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

#include "aot.h"
#include "tier.h"

typedef struct {
    pw_module *mod;
    const char *opt;
    pthread_t thread;
    bool started;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool done;                   /* guarded by lock */
    _Atomic(aot_module *) ready; /* published with release once compiled */
    char note[512];              /* written before done, read after */
} aot_auto;

static void finish(aot_auto *au, aot_module *am, pw_error *e) {
    pthread_mutex_lock(&au->lock);
    if (e)
        snprintf(au->note, sizeof au->note, "%s; the module stays on the interpreter", pw_error_message(e));
    atomic_store_explicit(&au->ready, am, memory_order_release);
    au->done = true;
    pthread_cond_broadcast(&au->cond);
    pthread_mutex_unlock(&au->lock);
    pw_error_free(e);
}

static void *compile_thread(void *arg) {
    aot_auto *au = arg;
    aot_module *am = NULL;
    pw_error *e = pw_aot_build(au->mod, au->opt, true, &am);
    finish(au, am, e);
    return NULL;
}

pw_error *pw_aot_auto_start(pw_module *mod, const char *opt) {
    aot_module *am = NULL;
    pw_error *e = pw_aot_build(mod, opt, false, &am);
    if (am) { /* cached: native from the first call */
        mod->tier_data = am;
        mod->tier = &pw_tier_native;
        return NULL;
    }
    aot_auto *au = calloc(1, sizeof *au);
    if (!au) {
        pw_error_free(e);
        return pw_error_new(PW_ERR_RESOURCE, "out of memory");
    }
    au->mod = mod;
    au->opt = opt;
    atomic_init(&au->ready, NULL);
    pthread_mutex_init(&au->lock, NULL);
    pthread_cond_init(&au->cond, NULL);
    mod->tier_data = au;
    mod->tier = &pw_tier_auto;
    if (e) /* no compiler (or no cache key): interpreted for good */
        finish(au, NULL, e);
    else if (pthread_create(&au->thread, NULL, compile_thread, au) == 0)
        au->started = true;
    else
        finish(au, NULL, pw_error_new(PW_ERR_RESOURCE, "native tier: cannot start the compile thread"));
    return NULL;
}

static aot_auto *auto_of(const pw_module *mod) { return mod->tier == &pw_tier_auto ? mod->tier_data : NULL; }

const aot_module *pw_aot_code_of(const pw_module *mod) {
    if (mod->tier == &pw_tier_native)
        return mod->tier_data;
    aot_auto *au = auto_of(mod);
    return au ? atomic_load_explicit(&au->ready, memory_order_acquire) : NULL;
}

/* Rebinds every defined function of inst to native code. Runs on the
 * store's thread (stores are single-threaded), so no call of this instance
 * can observe a half-done switch; interpreter activations below keep their
 * own code (f->cf and f->call_cost do not change). */
static void tier_up(pw_instance *inst) {
    const wm_module *m = &inst->module->m;
    for (uint32_t i = 0; i < m->ncodes; i++) {
        pw_func *f = inst->funcs[m->nfunc_imports + i];
        f->tier = &pw_tier_native;
        pw_tier_native.bind(f, i);
    }
}

static pw_error *auto_call(pw_store *s, pw_func *f, pw_slot *slots) {
    if (pw_aot_code_of(f->inst->module)) {
        tier_up(f->inst);
        return pw_tier_native.call(s, f, slots);
    }
    return pw_tier_interp.call(s, f, slots);
}

static void auto_bind(pw_func *f, uint32_t defidx) { pw_tier_interp.bind(f, defidx); }

static void auto_module_free(pw_module *mod) {
    aot_auto *au = mod->tier_data;
    if (au->started)
        pthread_join(au->thread, NULL);
    pw_aot_module_release(atomic_load(&au->ready));
    pthread_mutex_destroy(&au->lock);
    pthread_cond_destroy(&au->cond);
    free(au);
}

const pw_tier pw_tier_auto = {"auto", auto_call, auto_bind, auto_module_free};

pw_tier_kind pw_module_tier(const pw_module *m, const char **note) {
    aot_auto *au = auto_of(m);
    if (note)
        *note = NULL;
    if (!au)
        return m->tier == &pw_tier_native ? PW_TIER_NATIVE : PW_TIER_INTERP;
    if (atomic_load_explicit(&au->ready, memory_order_acquire))
        return PW_TIER_NATIVE;
    pthread_mutex_lock(&au->lock);
    if (note && au->done && au->note[0])
        *note = au->note;
    pthread_mutex_unlock(&au->lock);
    return PW_TIER_INTERP;
}

void pw_module_tier_wait(const pw_module *m) {
    aot_auto *au = auto_of(m);
    if (!au)
        return;
    pthread_mutex_lock(&au->lock);
    while (!au->done)
        pthread_cond_wait(&au->cond, &au->lock);
    pthread_mutex_unlock(&au->lock);
}
