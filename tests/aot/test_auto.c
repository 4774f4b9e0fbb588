/* PW_TIER_AUTO (docs/aot.md): a module starts on the interpreter, compiles
 * in the background and switches at the next entry with its state (globals,
 * memory) kept and fuel charged exactly as on the interpreter; with no
 * compiler it stays interpreted with one note; with its code cached it is
 * native at once. The "background" compile is held back deterministically
 * by a compiler wrapper that waits for a gate file, never by timing.
 *
 * usage: test_auto hostile.wasm   (XDG_CACHE_HOME should point at a scratch folder) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <portalis/bridge.h>
#include <portalis/base.h>
#include <portalis/engine.h>

#include "../check.h"
#include "tier.h" /* private: which tier a pw_func is bound to */
#include "rt.h"

static uint8_t *wasm;
static size_t wasm_len;

typedef struct {
    pw_engine *engine;
    pw_module *module;
    pw_store *store;
    pw_instance *inst;
} setup;

static pw_error *host_nop(pw_caller *c, void *u, const pw_val *args, pw_val *res) {
    (void)c, (void)u, (void)args;
    if (res)
        res[0] = (pw_val){.kind = PW_I32, .of.i32 = 0};
    return NULL;
}

static bool open_tier(setup *r, pw_tier_kind tier) {
    memset(r, 0, sizeof *r);
    pw_engine_config cfg = {.consume_fuel = true, .interruptible = true, .tier = PW_TIER_INTERP};
    r->engine = pw_engine_new_with(&cfg);
    pw_error *e = pw_module_new_tier(r->engine, wasm, wasm_len, tier, &r->module);
    if (!e) {
        r->store = pw_store_new(r->engine);
        pw_valkind i32 = PW_I32;
        pw_extern im[2] = {{.kind = PW_EXTERN_FUNC}, {.kind = PW_EXTERN_FUNC}};
        im[0].of.func = pw_func_new(r->store, &i32, 1, &i32, 1, host_nop, NULL, NULL);
        im[1].of.func = pw_func_new(r->store, &i32, 1, NULL, 0, host_nop, NULL, NULL);
        e = pw_instance_new(r->store, r->module, im, 2, &r->inst);
    }
    CHECK(!e, "set up tier %s: %s", pw_tier_name(tier), e ? pw_error_message(e) : "");
    pw_error_free(e);
    if (r->store) {
        pw_store_set_fuel(r->store, 1000000);
        pw_store_set_max_call_depth(r->store, 100);
    }
    return !e;
}

static void close_setup(setup *r) {
    pw_store_free(r->store);
    pw_module_free(r->module);
    pw_engine_free(r->engine);
}

/* The result, or minus the trap kind. */
static int32_t call_i32(setup *r, const char *name, int32_t arg, bool has_arg) {
    pw_val a = {.kind = PW_I32, .of.i32 = arg}, res = {.kind = PW_I32};
    pw_error *e = pw_func_call(r->store, pw_instance_func(r->inst, name), &a, has_arg ? 1 : 0, &res, 1);
    int32_t v = e ? -(int32_t)pw_error_trap(e) : res.of.i32;
    pw_error_free(e);
    return v;
}

static const char *bound(setup *r, const char *name) { return pw_instance_func(r->inst, name)->tier->name; }

/* The same calls on an auto module and an interpreted one, before and after
 * the switch: equal results, state and fuel. */
static void same_step(setup *a, setup *i, const char *when) {
    int32_t ra = call_i32(a, "work", 300, true), ri = call_i32(i, "work", 300, true);
    CHECK(ra == ri && ra > 0, "%s: work %d (auto) vs %d (interp)", when, ra, ri);
    ra = call_i32(a, "recurse", 0, true), ri = call_i32(i, "recurse", 0, true);
    CHECK(ra == ri && ra == -PW_TRAP_STACK_EXHAUSTED, "%s: recurse %d (auto) vs %d (interp)", when, ra, ri);
    ra = call_i32(a, "grow", 1, true), ri = call_i32(i, "grow", 1, true);
    CHECK(ra == ri, "%s: memory.grow %d vs %d (memory kept)", when, ra, ri);
    ra = call_i32(a, "calls", 0, false), ri = call_i32(i, "calls", 0, false);
    CHECK(ra == ri, "%s: global $calls %d vs %d (globals kept)", when, ra, ri);
    CHECK(pw_store_fuel(a->store) == pw_store_fuel(i->store), "%s: fuel left %llu (auto) vs %llu (interp)", when,
          (unsigned long long)pw_store_fuel(a->store), (unsigned long long)pw_store_fuel(i->store));
}

/* A compiler that waits for `gate` to exist, then runs cc. */
static void write_gated_cc(const char *dir, char *cc, size_t cap, char *gate, size_t gcap) {
    snprintf(cc, cap, "%s/gated-cc", dir);
    snprintf(gate, gcap, "%s/gate", dir);
    FILE *f = fopen(cc, "w");
    CHECK(f != NULL, "write %s", cc);
    if (!f)
        return;
    fprintf(f, "#!/bin/sh\nwhile [ ! -e '%s' ]; do sleep 0.01; done\nexec cc \"$@\"\n", gate);
    fclose(f);
    chmod(cc, 0755);
}

static void test_background(const char *tmp) {
    char cc[512], gate[512];
    write_gated_cc(tmp, cc, sizeof cc, gate, sizeof gate);
    setenv("PORTALIS_CC", cc, 1);
    setup a, i;
    if (!open_tier(&a, PW_TIER_AUTO) || !open_tier(&i, PW_TIER_INTERP))
        return;
    const char *note = "unset";
    CHECK(pw_module_tier(a.module, &note) == PW_TIER_INTERP && !note, "compiling: interpreted, no note");
    same_step(&a, &i, "while compiling");
    CHECK(!strcmp(bound(&a, "recurse"), "auto"), "while compiling: still interpreted (%s)", bound(&a, "recurse"));
    FILE *g = fopen(gate, "w");
    if (g)
        fclose(g);
    pw_module_tier_wait(a.module);
    CHECK(pw_module_tier(a.module, &note) == PW_TIER_NATIVE && !note, "compiled: native (%s)", note ? note : "");
    CHECK(!strcmp(bound(&a, "recurse"), "auto"), "no switch before the next entry");
    same_step(&a, &i, "after the switch");
    CHECK(!strcmp(bound(&a, "recurse"), "native") && !strcmp(bound(&a, "calls"), "native"),
          "switched at the entry: %s", bound(&a, "recurse"));
    close_setup(&a);
    close_setup(&i);
    unsetenv("PORTALIS_CC");
}

static void test_no_compiler(void) {
    setenv("PORTALIS_CC", "/nonexistent/cc", 1);
    setup a, i;
    if (!open_tier(&a, PW_TIER_AUTO) || !open_tier(&i, PW_TIER_INTERP))
        return;
    const char *note = NULL;
    pw_module_tier_wait(a.module);
    CHECK(pw_module_tier(a.module, &note) == PW_TIER_INTERP && note && strstr(note, "PORTALIS_CC") &&
              strstr(note, "interpreter"),
          "no compiler: interpreted with a note (%s)", note ? note : "none");
    same_step(&a, &i, "no compiler");
    CHECK(!strcmp(bound(&a, "recurse"), "auto"), "no compiler: stays on the interpreter");
    close_setup(&a);
    close_setup(&i);
    /* an explicit native request fails instead */
    pw_engine *en = pw_engine_new();
    pw_module *m = NULL;
    pw_error *e = pw_module_new_tier(en, wasm, wasm_len, PW_TIER_NATIVE, &m);
    CHECK(e && strstr(pw_error_message(e), "PORTALIS_CC"), "native without a compiler fails");
    pw_error_free(e);
    pw_module_free(m);
    pw_engine_free(en);
    unsetenv("PORTALIS_CC");
}

static void test_cached(void) {
    setup n, a;
    if (!open_tier(&n, PW_TIER_NATIVE)) /* fills the cache */
        return;
    close_setup(&n);
    if (!open_tier(&a, PW_TIER_AUTO))
        return;
    CHECK(pw_module_tier(a.module, NULL) == PW_TIER_NATIVE, "cached: native at once");
    CHECK(!strcmp(bound(&a, "recurse"), "native"), "cached: bound natively from instantiation");
    close_setup(&a);
}

/* The bridge: a tier per module, the bridge's default otherwise. */
static void test_bridge(void) {
    pb_tier t = PB_TIER_DEFAULT;
    CHECK(pb_tier_parse("native", &t) && t == PB_TIER_NATIVE && !pb_tier_parse("jit", &t), "pb_tier_parse");
    pb_config cfg = pb_config_default();
    cfg.enable_wasi = false;
    pb_bridge *b = pb_bridge_new(&cfg);
    pw_valkind i32 = PW_I32;
    pb_import im[2] = {{"host", "callback", &i32, 1, &i32, 1, host_nop, NULL},
                       {"host", "fail", &i32, 1, NULL, 0, host_nop, NULL}};
    pb_load_options o = {.name = "h", .imports = im, .nimports = 2, .run_initialize = true};
    pb_module_id idi = 0, idn = 0;
    pb_error err;
    int r = pb_load_module_bytes(b, wasm, wasm_len, &o, &idi, &err);
    CHECK(!r, "bridge load: %s", r ? err.message : "");
    o.tier = PB_TIER_NATIVE;
    r = pb_load_module_bytes(b, wasm, wasm_len, &o, &idn, &err);
    CHECK(!r, "bridge load native: %s", r ? err.message : "");
    CHECK(pb_module_tier(b, idi, NULL) == PW_TIER_INTERP && pb_module_tier(b, idn, NULL) == PW_TIER_NATIVE,
          "bridge: one module per tier from the same bytes");
    pw_val a = {.kind = PW_I32, .of.i32 = 300}, ri = {0}, rn = {0};
    r = pb_call(b, idi, "work", &a, 1, &ri, 1, &err) | pb_call(b, idn, "work", &a, 1, &rn, 1, &err);
    CHECK(!r && ri.of.i32 == rn.of.i32, "bridge: same result on both tiers");
    pb_bridge_free(b);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: test_auto hostile.wasm\n");
        return 2;
    }
    char *file = NULL;
    pbase_error perr;
    if (pbase_read_file(argv[1], (size_t)1 << 26, &file, &wasm_len, &perr) != 0) {
        fprintf(stderr, "%s: %s\n", argv[1], perr.message);
        return 2;
    }
    wasm = (uint8_t *)file;
    char tmp[] = "/tmp/portalis-auto-XXXXXX";
    if (!mkdtemp(tmp))
        return 2;
    setenv("PORTALIS_AOT_CACHE", "0", 1); /* a miss: the compile runs */
    test_background(tmp);
    test_no_compiler();
    unsetenv("PORTALIS_AOT_CACHE");
    test_cached();
    test_bridge();
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    if (system(cmd) != 0)
        printf("could not remove %s\n", tmp);
    free(wasm);
    return CHECK_REPORT();
}
