/* Choosing a module's tier when it is created (docs/aot.md): the engine's
 * configuration, or the native code carried by a precompiled .pwo. */
#include <stdlib.h>
#include <string.h>

#include "aot.h"
#include "aot_cache.h"
#include "rt.h"

aot_input pw_aot_input_of(const uint8_t *bytes, size_t len) {
    aot_input in = {bytes, len, NULL, 0, {0}};
    if (!bytes || !pw_aot_pwo_is(bytes, len))
        return in;
    aot_pwo pwo;
    if (!pw_aot_pwo_parse(bytes, len, &pwo, in.error, sizeof in.error))
        return in;
    in.wasm = pwo.wasm;
    in.len = pwo.wasmlen;
    in.so = pwo.so;
    in.solen = pwo.solen;
    return in;
}

/* Index of name in table[first..n), or -1; a NULL name or entry never matches. */
static int name_index(const char *const *table, int first, int n, const char *name) {
    for (int i = first; name && i < n; i++)
        if (!strcmp(name, table[i]))
            return i;
    return -1;
}

static const char *const opt_names[] = {NULL, "-O0", "-O1", "-O2", "-O3", "-Os"};

bool pw_native_opt_parse(const char *name, pw_native_opt *out) {
    int i = name_index(opt_names, 1, 6, name);
    if (i >= 0)
        *out = (pw_native_opt)i;
    return i >= 0;
}

const char *pw_native_opt_name(pw_native_opt opt) { return (unsigned)opt < 6 ? opt_names[opt] : NULL; }

/* The optimisation level of mod's native code: the engine's native_opt,
 * else $PORTALIS_AOT_OPT, else -O2. */
const char *pw_aot_opt_level(const pw_module *mod) {
    const char *o = pw_native_opt_name(mod->engine->config.native_opt);
    pw_native_opt env;
    if (o)
        return o;
    return pw_native_opt_parse(getenv("PORTALIS_AOT_OPT"), &env) ? pw_native_opt_name(env) : "-O2";
}

pw_error *pw_aot_choose(pw_module *mod, const aot_input *in, pw_tier_kind tier) {
    if (in->so)
        return pw_aot_attach_pwo(mod, in->so, in->solen);
    switch (tier) {
    case PW_TIER_NATIVE: return pw_aot_attach(mod, pw_aot_opt_level(mod));
    case PW_TIER_AUTO: return pw_aot_auto_start(mod, pw_aot_opt_level(mod));
    default: return NULL;
    }
}

bool pw_aot_from_cache(pw_module *mod, pw_tier_kind tier) {
    if (tier != PW_TIER_NATIVE && tier != PW_TIER_AUTO)
        return false;
    aot_module *am = NULL;
    pw_error_free(pw_aot_build(mod, pw_aot_opt_level(mod), false, &am));
    if (!am)
        return false;
    mod->tier_data = am;
    mod->tier = &pw_tier_native;
    return true;
}

static const char *const tier_names[] = {"interp", "native", "auto"};

bool pw_tier_parse(const char *name, pw_tier_kind *out) {
    int i = name_index(tier_names, 0, 3, name);
    if (i >= 0)
        *out = (pw_tier_kind)i;
    return i >= 0;
}

const char *pw_tier_name(pw_tier_kind tier) { return (unsigned)tier < 3 ? tier_names[tier] : NULL; }
