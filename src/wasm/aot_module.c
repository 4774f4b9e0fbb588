/* Giving a module native code: look it up in the cache or generate C,
 * compile and cache it, load it, check it belongs to this module and engine
 * configuration, and make the native tier run the module. */
#include <dlfcn.h>
#include <nettle/sha2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aot.h"
#include "aot_simd.h"
#include "aot_abi.h"
#include "aot_cache.h"
#include "aot_cc.h"
#include "aot_guard.h"
#include "tier.h"

PW_AOT_ABI_DECLS

void pw_aot_module_release(aot_module *am) {
    if (!am)
        return;
    if (am->dl)
        dlclose(am->dl);
    close(am->fd);
    pthread_mutex_destroy(&am->lock);
    free(am);
}

/* A module loaded from the cache skipped validation and translation
 * (docs/aot.md, "Cached load"). An instance whose memory could not be
 * guarded runs on the interpreter (aot_rt.c), so it is translated then,
 * once, under the lock: instances in other threads may share the module.
 * A failed translation leaves none (and is tried again next time). */
pw_error *pw_aot_interp_code(pw_module *mod, const pw_cfunc **funcs) {
    aot_module *am = (aot_module *)pw_aot_code_of(mod); /* its lock and flag are the mutable part */
    pw_error *e = NULL;
    pthread_mutex_lock(&am->lock);
    if (!am->interp_ready) {
        e = pw_compile(mod);
        if (e && mod->funcs) {
            for (uint32_t i = 0; i < mod->m.ncodes; i++)
                pw_cfunc_free(&mod->funcs[i]);
            free(mod->funcs);
            mod->funcs = NULL;
            mod->code_bytes = 0;
        }
        am->interp_ready = !e;
    }
    *funcs = mod->funcs;
    pthread_mutex_unlock(&am->lock);
    return e;
}

const pw_cfunc *pw_aot_interp_funcs(const pw_module *mod) {
    aot_module *am = (aot_module *)pw_aot_code_of(mod);
    pthread_mutex_lock(&am->lock);
    const pw_cfunc *f = am->interp_ready ? mod->funcs : NULL;
    pthread_mutex_unlock(&am->lock);
    return f;
}

/* What the code depends on besides the compiler: the module, the ABI, the
 * engine's structure layout and the generator options. Stored in the
 * generated object, checked when a precompiled .pwo is loaded. */
static void module_id(const pw_module *mod, const aot_gen_options *o, uint8_t id[32]) {
    char layout[96];
    snprintf(layout, sizeof layout, "abi=%d code@%zu checks=%d canon=%d guard=%d", WA_ABI_VERSION,
             pw_aot_func_code_offset(), o->checks, o->canon_nans, o->guard);
    /* the SIMD prelude's build only for modules that get it */
    const char *parts[] = {
        pw_aot_gen_build_id(), pw_aot_prelude_build_id(), pw_compile_build_id(), layout, NULL, NULL};
    if (pw_aot_simd_used(&mod->m))
        parts[4] = pw_aot_simd_build_id();
    pw_aot_key(mod->m.bytes, mod->m.nbytes, parts, id);
}

/* The most translation units a module's C is split into: the processors
 * this thread may use (one compiler process each; more units than that only
 * add the work lost between units, docs/aot.md "Translation units"), or
 * $PORTALIS_AOT_UNITS (1..PW_AOT_MAX_UNITS). It changes the object, so it is
 * part of the cache key. */
static uint32_t unit_cap(void) {
    const char *v = getenv("PORTALIS_AOT_UNITS");
    char *end = NULL;
    long n = v && *v ? strtol(v, &end, 10) : 0;
    if (!end || *end || n < 1)
        n = (long)pw_aot_cc_jobs();
    return n > PW_AOT_MAX_UNITS ? PW_AOT_MAX_UNITS : (uint32_t)n;
}

static void cache_key(const uint8_t id[32], const aot_cc *cc, const char *opt, uint32_t units, uint8_t key[32]) {
    char hex[65], split[32];
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", id[i]);
    snprintf(split, sizeof split, "units<=%u", units);
    const char *const parts[] = {cc->identity, pw_aot_cc_flags_text(), opt, split, pw_aot_split_build_id(), NULL};
    pw_aot_key((const uint8_t *)hex, 64, parts, key);
}

static pw_error *load(const pw_module *mod, const uint8_t id[32], const uint8_t *so, size_t solen,
                      aot_module **out) {
    *out = NULL;
    char err[512];
    int fd = -1;
    void *dl = pw_aot_dlopen_bytes(so, solen, &fd, err, sizeof err);
    if (!dl)
        return pw_error_new(PW_ERR_RESOURCE, "native tier: %s", err);
    const wa_module *wm = dlsym(dl, "pw_aot_module");
    const char *why = !wm                                 ? "it defines no pw_aot_module"
                      : wm->abi_version != WA_ABI_VERSION ? "it was built for another engine version"
                      : wm->nfuncs != mod->m.nfuncs || memcmp(wm->key, id, 32)
                          ? "it was built from another module or engine configuration"
                          : NULL;
    if (why) {
        dlclose(dl);
        close(fd);
        return pw_error_new(PW_ERR_RESOURCE, "native code rejected: %s; compile it again", why);
    }
    aot_module *am = calloc(1, sizeof *am);
    if (!am) {
        dlclose(dl);
        close(fd);
        return pw_error_new(PW_ERR_RESOURCE, "out of memory");
    }
    am->dl = dl;
    am->fd = fd;
    am->wm = wm;
    pthread_mutex_init(&am->lock, NULL);
    am->interp_ready = mod->funcs != NULL;
    *out = am;
    return NULL;
}

/* Makes the native tier run mod with am. */
static pw_error *attach(pw_module *mod, pw_error *e, aot_module *am) {
    if (!e) {
        mod->tier_data = am;
        mod->tier = &pw_tier_native;
    }
    return e;
}

static aot_gen_options options_of(const pw_module *mod) {
    pw_engine_config cfg = mod->engine->config;
    return (aot_gen_options){.checks = cfg.consume_fuel || cfg.interruptible,
                             .canon_nans = cfg.canonicalize_nans,
                             .guard = pw_aot_guard_usable()};
}

/* Generates and compiles; *so is malloc'd. */
static pw_error *compile(const pw_module *mod, const uint8_t id[32], const aot_cc *cc, const char *opt,
                         uint32_t units, uint8_t **so, size_t *solen) {
    aot_gen_options o = options_of(mod);
    aot_text t = {0};
    aot_units u = {0};
    if (!pw_aot_generate(&mod->m, id, &o, &t) || !pw_aot_split(&t, units, &u)) {
        pw_aot_text_free(&t);
        return pw_error_new(PW_ERR_RESOURCE, "out of memory generating native code");
    }
    char err[512];
    bool ok = pw_aot_cc_compile(cc, &t.head, &u, opt, so, solen, err, sizeof err);
    pw_aot_units_free(&u);
    pw_aot_text_free(&t);
    return ok ? NULL : pw_error_new(PW_ERR_RESOURCE, "native tier: %s", err);
}

/* What both compiling paths need first: the module's identity, a compiler,
 * the most units, and the cache key naming the (module, compiler, options)
 * combination. */
static pw_error *prepare(const pw_module *mod, const char *opt, uint8_t id[32], aot_cc *cc, uint32_t *units,
                         uint8_t key[32]) {
    aot_gen_options o = options_of(mod);
    module_id(mod, &o, id);
    char err[512];
    if (!pw_aot_cc_find(cc, err, sizeof err))
        return pw_error_new(PW_ERR_RESOURCE, "native tier: %s", err);
    *units = unit_cap();
    cache_key(id, cc, opt, *units, key);
    return NULL;
}

pw_error *pw_aot_build(const pw_module *mod, const char *opt, bool compile_missing, aot_module **out) {
    *out = NULL;
    uint8_t id[32], key[32];
    aot_cc cc;
    uint32_t units;
    pw_error *pe = prepare(mod, opt, id, &cc, &units, key);
    if (pe)
        return pe;
    char dir[4200];
    bool cached = pw_aot_cache_dir(dir, sizeof dir);
    uint8_t *file = NULL;
    size_t flen = 0;
    aot_pwo pwo;
    if (cached && pw_aot_cache_get(dir, key, &file, &flen, &pwo)) {
        pw_error *e = load(mod, id, pwo.so, pwo.solen, out);
        free(file);
        return e;
    }
    if (!compile_missing)
        return NULL;
    uint8_t *so = NULL;
    size_t solen = 0;
    pw_error *e = compile(mod, id, &cc, opt, units, &so, &solen);
    if (e)
        return e;
    if (cached && pw_aot_pwo_build(key, so, solen, NULL, 0, &file, &flen)) {
        pw_aot_cache_put(dir, key, file, flen);
        free(file);
    }
    e = load(mod, id, so, solen, out);
    free(so);
    return e;
}

pw_error *pw_aot_attach(pw_module *mod, const char *opt) {
    aot_module *am;
    pw_error *e = pw_aot_build(mod, opt, true, &am);
    return attach(mod, e, am);
}

pw_error *pw_aot_attach_pwo(pw_module *mod, const uint8_t *so, size_t solen) {
    aot_gen_options o = options_of(mod);
    uint8_t id[32];
    module_id(mod, &o, id);
    aot_module *am;
    pw_error *e = load(mod, id, so, solen, &am);
    return attach(mod, e, am);
}

pw_error *pw_aot_compile_pwo(pw_module *mod, const char *opt, uint8_t **out, size_t *outlen) {
    uint8_t id[32], key[32];
    aot_cc cc;
    uint32_t units;
    pw_error *pe = prepare(mod, opt, id, &cc, &units, key);
    if (pe)
        return pe;
    uint8_t *so = NULL;
    size_t solen = 0;
    pw_error *e = compile(mod, id, &cc, opt, units, &so, &solen);
    if (e)
        return e;
    bool ok = pw_aot_pwo_build(key, so, solen, mod->m.bytes, mod->m.nbytes, out, outlen);
    free(so);
    return ok ? NULL : pw_error_new(PW_ERR_RESOURCE, "out of memory");
}

pw_error *pw_module_compile_native(pw_module *m, uint8_t **image, size_t *len) {
    return pw_aot_compile_pwo(m, pw_aot_opt_level(m), image, len);
}
