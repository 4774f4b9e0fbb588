/* Loads a module, instantiates it with dummy imports and calls every
 * exported function with zero arguments, under a memory cap and (with
 * mode.fuel) a fuel budget per call. Every error must be of a kind the API
 * promises, with a message: anything else aborts, which the fuzzer reports.
 * Built twice into the fuzzer (see scripts/fuzz.sh); holds no state between
 * runs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <portalis/engine.h>

#include "dummy_imports.h"
#include "fuzz_run.h"

/* Small enough for a fast run, large enough for the spec modules' loops. */
#define FUEL_PER_CALL 200000u
#define MEMORY_CAP (UINT64_C(1) << 20)
#define MAX_TABLE 10000u
#define MAX_DEPTH 1000u
/* A dummy import traps on every TRAP_EVERY-th call of the run. */
#define TRAP_EVERY 5u
#define MEMORY_CAP_PAGES (uint32_t)(MEMORY_CAP / 65536)

static void fail(const char *what, const pw_error *e) {
    fprintf(stderr, "fuzz_wasm: %s: kind %d, trap %d: %s\n", what, e ? (int)pw_error_kind_of(e) : 0,
            e ? (int)pw_error_trap(e) : 0, e && pw_error_message(e) ? pw_error_message(e) : "(no message)");
    abort();
}

/* Checks an error against the kinds allowed at that step; returns its code. */
static int outcome(pw_error *e, const char *step, unsigned allowed_kinds) {
    if (!e)
        return 0;
    pw_error_kind k = pw_error_kind_of(e);
    const char *m = pw_error_message(e), *s = pw_error_summary(e);
    if (!(allowed_kinds & (1u << k)))
        fail(step, e);
    if (!m || !*m || !s || !*s)
        fail("an error without a message", e);
    if (k == PW_ERR_TRAP && pw_error_trap(e) == PW_TRAP_NONE)
        fail("a trap without a trap kind", e);
    int code = (int)k * 100 + (int)pw_error_trap(e);
    pw_error_free(e);
    return code;
}

static uint64_t mix(uint64_t h, uint64_t v) {
    h ^= v + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
    return h * 0xff51afd7ed558ccdull;
}

/* The bits of a value; references only as null or not (their addresses
 * differ between runs). */
static uint64_t val_bits(pw_val v) {
    uint32_t u32;
    uint64_t u64;
    switch (v.kind) {
    case PW_I32: return (uint32_t)v.of.i32;
    case PW_I64: return (uint64_t)v.of.i64;
    case PW_F32: memcpy(&u32, &v.of.f32, 4); return u32;
    case PW_F64: memcpy(&u64, &v.of.f64, 8); return u64;
    case PW_FUNCREF: return v.of.funcref != NULL;
    case PW_EXTERNREF: return v.of.externref != NULL;
    case PW_V128: return v.of.v128.u64[0] ^ (v.of.v128.u64[1] << 1 | v.of.v128.u64[1] >> 63);
    }
    return 0;
}

/* ---- the run ---------------------------------------------------------------- */

/* Reads everything the module API tells about m (names, sections, code). */
static void inspect(const pw_module *m) {
    size_t ni = pw_module_import_count(m), ne = pw_module_export_count(m), nc = pw_module_custom_count(m);
    const char *a, *b;
    pw_externtype t;
    for (size_t i = 0; i < ni; i++)
        if (!pw_module_import(m, i, &a, &b, &t) || !a || !b)
            fail("pw_module_import failed within the import count", NULL);
    for (size_t i = 0; i < ne; i++)
        if (!pw_module_export(m, i, &a, &t) || !a)
            fail("pw_module_export failed within the export count", NULL);
    for (size_t i = 0; i < nc; i++) {
        const uint8_t *data;
        size_t len;
        if (!pw_module_custom(m, i, &a, &data, &len) || !a)
            fail("pw_module_custom failed within the custom section count", NULL);
    }
    size_t nfuncs, bin, code;
    pw_module_sizes(m, &nfuncs, &bin, &code);
    FILE *null = fopen("/dev/null", "w");
    for (uint32_t i = 0; i < nfuncs && i < 1000; i++) {
        (void)pw_module_func_name(m, i);
        if (null)
            pw_module_disassemble(m, i, null);
    }
    if (null)
        fclose(null);
}

static void call_exports(pw_store *store, pw_instance *inst, fuzz_mode mode, fuzz_result *r) {
    size_t n = pw_instance_export_count(inst);
    for (size_t i = 0; i < n && r->ncalls < FUZZ_MAX_CALLS; i++) {
        const char *name;
        pw_extern ext;
        if (!pw_instance_export_at(inst, i, &name, &ext))
            fail("pw_instance_export_at failed within the export count", NULL);
        if (ext.kind != PW_EXTERN_FUNC)
            continue;
        pw_functype ft = pw_func_type(ext.of.func);
        pw_val *args = calloc(ft.nparams + 1, sizeof *args), *res = calloc(ft.nresults + 1, sizeof *res);
        if (!args || !res)
            abort();
        for (uint32_t a = 0; a < ft.nparams; a++)
            args[a] = dummy_zero(ft.params[a]);
        if (mode.fuel)
            pw_store_set_fuel(store, FUEL_PER_CALL);
        int o = outcome(pw_func_call(store, ext.of.func, args, ft.nparams, res, ft.nresults), "a call",
                        1u << PW_ERR_TRAP);
        uint64_t h = 0;
        for (uint32_t k = 0; !o && k < ft.nresults; k++) {
            if (res[k].kind != ft.results[k])
                fail("a result of the wrong kind", NULL);
            h = mix(h, val_bits(res[k]));
        }
        free(args);
        free(res);
        r->out_of_fuel |= o == PW_ERR_TRAP * 100 + PW_TRAP_OUT_OF_FUEL;
        r->call[r->ncalls] = o;
        r->results[r->ncalls++] = h;
    }
}

/* A hash of what the instance exports that calls may change. */
static uint64_t state_of(pw_instance *inst) {
    uint64_t h = 0;
    size_t n = pw_instance_export_count(inst);
    for (size_t i = 0; i < n; i++) {
        const char *name;
        pw_extern ext;
        if (!pw_instance_export_at(inst, i, &name, &ext))
            continue;
        if (ext.kind == PW_EXTERN_GLOBAL) {
            h = mix(h, val_bits(pw_global_get(ext.of.global)));
        } else if (ext.kind == PW_EXTERN_MEMORY) {
            const uint8_t *p = pw_memory_data(ext.of.memory);
            uint64_t size = pw_memory_size(ext.of.memory), w;
            h = mix(h, size);
            for (uint64_t off = 0; p && off + 8 <= size; off += 8) {
                memcpy(&w, p + off, 8);
                if (w)
                    h = mix(h, w ^ off);
            }
        } else if (ext.kind == PW_EXTERN_TABLE) {
            h = mix(h, pw_table_size(ext.of.table));
        }
    }
    return h;
}

static void instantiate_and_call(pw_store *store, pw_module *m, fuzz_mode mode, fuzz_result *r) {
    dummy_config dummies = {
        .trap_every = TRAP_EVERY, .max_memory_pages = MEMORY_CAP_PAGES, .max_table = MAX_TABLE};
    size_t ni = pw_module_import_count(m);
    pw_extern *imports = calloc(ni + 1, sizeof *imports);
    bool linkable = imports != NULL;
    for (size_t i = 0; i < ni && linkable; i++) {
        const char *mod, *name;
        pw_externtype t;
        linkable = pw_module_import(m, i, &mod, &name, &t) && dummy_import(store, &t, &dummies, &imports[i]);
    }
    r->inst = -1;
    if (linkable) {
        pw_instance *inst = NULL;
        if (mode.fuel)
            pw_store_set_fuel(store, FUEL_PER_CALL);
        r->inst = outcome(pw_instance_new(store, m, imports, ni, &inst), "instantiation",
                          1u << PW_ERR_LINK | 1u << PW_ERR_TRAP | 1u << PW_ERR_RESOURCE | 1u << PW_ERR_LIMIT);
        r->out_of_fuel |= r->inst == PW_ERR_TRAP * 100 + PW_TRAP_OUT_OF_FUEL;
        if (!r->inst && !inst)
            fail("pw_instance_new returned neither an error nor an instance", NULL);
        if (inst) {
            call_exports(store, inst, mode, r);
            r->state = state_of(inst);
        }
    }
    free(imports);
}

void fuzz_run(const uint8_t *bytes, size_t len, fuzz_mode mode, fuzz_result *r) {
    memset(r, 0, sizeof *r);
    pw_engine_config cfg = {.consume_fuel = mode.fuel,
                            .interruptible = mode.interruptible,
                            .tier = PW_TIER_INTERP,
                            .canonicalize_nans = mode.canonicalize_nans};
    pw_engine *engine = pw_engine_new_with(&cfg);
    if (!engine)
        abort();
    pw_module *m = NULL;
    r->load = outcome(pw_module_new(engine, bytes, len, &m), "pw_module_new",
                      1u << PW_ERR_MALFORMED | 1u << PW_ERR_INVALID | 1u << PW_ERR_LIMIT | 1u << PW_ERR_RESOURCE);
    if (!r->load && !m)
        fail("pw_module_new returned neither an error nor a module", NULL);
    if (m) {
        inspect(m);
        if (mode.execute) {
            pw_store *store = pw_store_new(engine);
            pw_store_set_memory_limit(store, MEMORY_CAP);
            pw_store_set_max_call_depth(store, MAX_DEPTH);
            instantiate_and_call(store, m, mode, r);
            pw_store_free(store);
        }
        pw_module_free(m);
    }
    pw_engine_free(engine);
}
