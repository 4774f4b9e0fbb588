/* The native tier against the interpreter on hostile and limit-probing
 * functions (hostile.wasm): the same results, the same trap kinds, the same
 * backtrace functions, the same fuel, the same call depth; plus interruption
 * from another thread, deadlines, host re-entry, precompiled images, the
 * cache's verification of its files and interpreted callers of a cached
 * native module.
 *
 * usage: test_aot hostile.wasm   (XDG_CACHE_HOME should point at a scratch folder) */
#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <portalis/base.h>
#include <portalis/engine.h>

#include "../check.h"

typedef struct {
    pw_engine *engine;
    pw_module *module;
    pw_store *store;
    pw_instance *inst;
} rig;

static uint8_t *wasm;
static size_t wasm_len;

static pw_error *host_callback(pw_caller *c, void *u, const pw_val *args, pw_val *res) {
    (void)u;
    pw_extern ex;
    if (!pw_caller_export(c, "work", &ex))
        return pw_trap_new("no export work");
    pw_val a = {.kind = PW_I32, .of.i32 = args[0].of.i32};
    return pw_func_call(pw_caller_store(c), ex.of.func, &a, 1, res, 1);
}

static pw_error *host_fail(pw_caller *c, void *u, const pw_val *args, pw_val *res) {
    (void)c, (void)u, (void)res;
    return pw_trap_new("host says no (%d)", args[0].of.i32);
}

/* Sets the store's call depth limit to *u, then recurses from here: the
 * limit changes under a running activation of the instance. */
static pw_error *host_redepth(pw_caller *c, void *u, const pw_val *args, pw_val *res) {
    pw_extern ex;
    if (!pw_caller_export(c, "recurse", &ex))
        return pw_trap_new("no export recurse");
    pw_store_set_max_call_depth(pw_caller_store(c), *(const uint32_t *)u);
    pw_val a = {.kind = PW_I32, .of.i32 = args[0].of.i32};
    return pw_func_call(pw_caller_store(c), ex.of.func, &a, 1, res, 1);
}

static bool rig_open_cb(rig *r, const pw_engine_config *cfg, pw_host_fn cb, void *u) {
    memset(r, 0, sizeof *r);
    r->engine = pw_engine_new_with(cfg);
    pw_error *e = pw_module_new(r->engine, wasm, wasm_len, &r->module);
    if (e) {
        printf("module (tier %d): %s\n", (int)cfg->tier, pw_error_message(e));
        pw_error_free(e);
        return false;
    }
    r->store = pw_store_new(r->engine);
    pw_valkind i32 = PW_I32;
    pw_extern imports[2];
    imports[0].kind = imports[1].kind = PW_EXTERN_FUNC;
    imports[0].of.func = pw_func_new(r->store, &i32, 1, &i32, 1, cb, u, NULL);
    imports[1].of.func = pw_func_new(r->store, &i32, 1, NULL, 0, host_fail, NULL, NULL);
    e = pw_instance_new(r->store, r->module, imports, 2, &r->inst);
    if (e) {
        printf("instance: %s\n", pw_error_message(e));
        pw_error_free(e);
        return false;
    }
    return true;
}

static bool rig_open_with(rig *r, const pw_engine_config *cfg) {
    return rig_open_cb(r, cfg, host_callback, NULL);
}

static bool rig_open(rig *r, pw_tier_kind tier, bool checks) {
    pw_engine_config cfg = {.consume_fuel = checks, .interruptible = checks, .tier = tier};
    return rig_open_with(r, &cfg);
}

static void rig_close(rig *r) {
    pw_store_free(r->store);
    pw_module_free(r->module);
    pw_engine_free(r->engine);
}

/* What a call did: results or the trap with its backtrace functions. */
typedef struct {
    pw_trap_kind trap;
    pw_error_kind kind;
    pw_val res[1];
    uint32_t frames[8];
    uint32_t offsets[8];
    size_t nframes;
    size_t total; /* nframes and the frames the error left out (its message says how many) */
    char summary[128];
} outcome;

static outcome call(rig *r, const char *name, const pw_val *args, size_t nargs, size_t nres) {
    outcome o;
    memset(&o, 0, sizeof o);
    pw_func *f = pw_instance_func(r->inst, name);
    if (!f) {
        snprintf(o.summary, sizeof o.summary, "no export %s", name);
        o.kind = PW_ERR_ARGUMENT;
        return o;
    }
    pw_error *e = pw_func_call(r->store, f, args, nargs, o.res, nres);
    if (e) {
        o.kind = pw_error_kind_of(e);
        o.trap = pw_error_trap(e);
        snprintf(o.summary, sizeof o.summary, "%s", pw_error_summary(e));
        o.nframes = pw_error_frame_count(e);
        const char *more = strstr(pw_error_message(e), "\n  ... ");
        o.total = o.nframes + (more ? strtoul(more + 7, NULL, 10) : 0);
        for (size_t i = 0; i < o.nframes && i < 8; i++)
            pw_error_frame(e, i, &o.frames[i], NULL, &o.offsets[i]);
        pw_error_free(e);
    }
    return o;
}

static bool same(const outcome *a, const outcome *b) {
    if (a->trap != b->trap || a->kind != b->kind || a->nframes != b->nframes || strcmp(a->summary, b->summary))
        return false;
    for (size_t i = 0; i < a->nframes && i < 8; i++)
        if (a->frames[i] != b->frames[i])
            return false;
    return a->trap || a->kind || a->res[0].of.i64 == b->res[0].of.i64;
}

static pw_val I32(int32_t v) { return (pw_val){.kind = PW_I32, .of.i32 = v}; }

/* Runs name(args) on both tiers (fresh instances) and compares everything. */
static void both(const char *name, const pw_val *args, size_t nargs, size_t nres, pw_trap_kind want, bool checks,
                 uint64_t fuel, uint32_t depth) {
    rig ri, rn;
    if (!rig_open(&ri, PW_TIER_INTERP, checks) || !rig_open(&rn, PW_TIER_NATIVE, checks)) {
        CHECK(false, "%s: could not set up both tiers", name);
        return;
    }
    if (fuel) {
        pw_store_set_fuel(ri.store, fuel);
        pw_store_set_fuel(rn.store, fuel);
    }
    if (depth) {
        pw_store_set_max_call_depth(ri.store, depth);
        pw_store_set_max_call_depth(rn.store, depth);
    }
    outcome a = call(&ri, name, args, nargs, nres), b = call(&rn, name, args, nargs, nres);
    CHECK(a.trap == want, "%s: interpreter trap %d (%s), expected %d", name, (int)a.trap, a.summary, (int)want);
    CHECK(same(&a, &b), "%s: tiers differ: interp trap %d '%s' %zu frames, native trap %d '%s' %zu frames", name,
          (int)a.trap, a.summary, a.nframes, (int)b.trap, b.summary, b.nframes);
    if (fuel)
        CHECK(pw_store_fuel(ri.store) == pw_store_fuel(rn.store), "%s: fuel left %llu (interp) vs %llu (native)",
              name, (unsigned long long)pw_store_fuel(ri.store), (unsigned long long)pw_store_fuel(rn.store));
    /* the side effect counter of recursion: the same depth was reached */
    outcome ca = call(&ri, "calls", NULL, 0, 1), cb = call(&rn, "calls", NULL, 0, 1);
    CHECK(ca.res[0].of.i32 == cb.res[0].of.i32, "%s: %d calls (interp) vs %d (native)", name, ca.res[0].of.i32,
          cb.res[0].of.i32);
    rig_close(&ri);
    rig_close(&rn);
}

static void test_traps(void) {
    pw_val a[2];
    both("load_near", NULL, 0, 1, PW_TRAP_MEMORY_OOB, false, 0, 0);
    both("load_far", NULL, 0, 1, PW_TRAP_MEMORY_OOB, false, 0, 0);
    a[0] = I32(65536 - 4096);
    both("store_far", a, 1, 0, PW_TRAP_MEMORY_OOB, false, 0, 0);
    a[0] = I32(65536 - 4097);
    both("store_far", a, 1, 0, PW_TRAP_NONE, false, 0, 0);
    a[0] = I32(0), a[1] = I32(21);
    both("indirect", a, 2, 1, PW_TRAP_NONE, false, 0, 0);
    a[0] = I32(1);
    both("indirect", a, 2, 1, PW_TRAP_INDIRECT_MISMATCH, false, 0, 0);
    a[0] = I32(3);
    both("indirect", a, 2, 1, PW_TRAP_UNINITIALIZED_ELEMENT, false, 0, 0);
    a[0] = I32(4);
    both("indirect", a, 2, 1, PW_TRAP_UNDEFINED_ELEMENT, false, 0, 0);
    a[0] = I32(-1);
    both("indirect", a, 2, 1, PW_TRAP_UNDEFINED_ELEMENT, false, 0, 0);
    a[0] = I32(5);
    both("deep_trap", a, 1, 1, PW_TRAP_DIV_BY_ZERO, false, 0, 0);
    both("host_fail", NULL, 0, 0, PW_TRAP_HOST, false, 0, 0);
    a[0] = I32(1000);
    both("reenter", a, 1, 1, PW_TRAP_NONE, false, 0, 0);
    /* guard mode finds the trapping frame and its callers after a fault */
    a[0] = I32(5);
    both("deep_oob", a, 1, 1, PW_TRAP_MEMORY_OOB, false, 0, 0);
    a[0] = I32(65536 - 7);
    both("dead_load", a, 1, 0, PW_TRAP_MEMORY_OOB, false, 0, 0);
    a[0] = I32(65536 - 8);
    both("dead_load", a, 1, 0, PW_TRAP_NONE, false, 0, 0);
    /* exactly the stores before the trapping access happened, on both tiers */
    static const struct {
        const char *fn;
        pw_val arg;
        size_t nres;
        int32_t peek, want;
    } order[] = {
        {"store_then_oob", {.kind = PW_I32, .of.i32 = 65534}, 0, 16, 0x1234},
        {"store_then_load_oob", {.kind = PW_F64, .of.f64 = 2.0}, 1, 28, 0x40000000},
        {"load_oob_then_store", {.kind = PW_I32, .of.i32 = 9}, 1, 32, 0},
    };
    for (int t = 0; t < 2; t++)
        for (size_t i = 0; i < sizeof order / sizeof *order; i++) {
            rig r;
            if (!rig_open(&r, t ? PW_TIER_NATIVE : PW_TIER_INTERP, false))
                continue;
            outcome o = call(&r, order[i].fn, &order[i].arg, 1, order[i].nres);
            a[0] = I32(order[i].peek);
            outcome p = call(&r, "peek", a, 1, 1);
            CHECK(o.trap == PW_TRAP_MEMORY_OOB && p.res[0].of.i32 == order[i].want,
                  "tier %d: %s: the stores before the trap: %s, %x", t, order[i].fn, o.summary, p.res[0].of.i32);
            rig_close(&r);
        }
}

/* Functions with one direct call and no export do not store their call
 * sites: the runtime restores them. Same frames, and the same call sites
 * for the callers (the trapping frame's offset is its entry's in guard
 * mode, docs/aot.md). */
static void single(const char *name, int32_t n, pw_trap_kind want, uint32_t depth) {
    rig ri, rn;
    if (!rig_open(&ri, PW_TIER_INTERP, false) || !rig_open(&rn, PW_TIER_NATIVE, false)) {
        CHECK(false, "%s: could not set up both tiers", name);
        return;
    }
    pw_store_set_max_call_depth(ri.store, depth);
    pw_store_set_max_call_depth(rn.store, depth);
    pw_val a[1] = {I32(n)};
    outcome x = call(&ri, name, a, 1, 1), y = call(&rn, name, a, 1, 1);
    CHECK(x.trap == want && same(&x, &y), "%s(%d): interp '%s' %zu frames, native '%s' %zu frames", name, n,
          x.summary, x.nframes, y.summary, y.nframes);
    for (size_t i = 1; i < x.nframes && i < 8; i++)
        CHECK(x.offsets[i] == y.offsets[i], "%s(%d): frame %zu at 0x%x (interp), 0x%x (native)", name, n, i,
              x.offsets[i], y.offsets[i]);
    rig_close(&ri);
    rig_close(&rn);
}

static void test_single_site(void) {
    single("single_trap", 5, PW_TRAP_DIV_BY_ZERO, 1000);
    single("single_oob", 5, PW_TRAP_MEMORY_OOB, 1000);
    single("single_recurse", 0, PW_TRAP_STACK_EXHAUSTED, 100);
    single("single_recurse", 0, PW_TRAP_STACK_EXHAUSTED, 5);
    single("single_mixed", 4, PW_TRAP_DIV_BY_ZERO, 1000);
    single("single_mixed", 0, PW_TRAP_DIV_BY_ZERO, 1000);
    single("deep_trap", 3, PW_TRAP_DIV_BY_ZERO, 1000);
}

static void test_limits(void) {
    pw_val a[1] = {I32(0)};
    /* recursion: the default depth and small ones give the same depth */
    both("recurse", a, 1, 1, PW_TRAP_STACK_EXHAUSTED, false, 0, 0);
    both("recurse", a, 1, 1, PW_TRAP_STACK_EXHAUSTED, false, 0, 100);
    both("recurse", a, 1, 1, PW_TRAP_STACK_EXHAUSTED, true, 0, 1000);
    /* a host function and a re-entry count as frames */
    a[0] = I32(10);
    both("reenter", a, 1, 1, PW_TRAP_STACK_EXHAUSTED, false, 0, 1);
    both("reenter", a, 1, 1, PW_TRAP_NONE, false, 0, 3);
    /* fuel: every budget around the exact need gives the same outcome */
    both("spin", NULL, 0, 0, PW_TRAP_OUT_OF_FUEL, true, 100000, 0);
    for (uint64_t fuel = 1; fuel < 400; fuel += 7) {
        a[0] = I32(20);
        rig ri;
        if (!rig_open(&ri, PW_TIER_INTERP, true))
            break;
        pw_store_set_fuel(ri.store, fuel);
        outcome o = call(&ri, "work", a, 1, 1);
        rig_close(&ri);
        both("work", a, 1, 1, o.trap, true, fuel, 0);
    }
    a[0] = I32(100000);
    both("work", a, 1, 1, PW_TRAP_NONE, true, 10000000, 0);
    both("reenter", a, 1, 1, PW_TRAP_NONE, true, 10000000, 0);
    both("reenter", a, 1, 1, PW_TRAP_OUT_OF_FUEL, true, 123457, 0);
}

/* The depth limit changed between calls of one instance (the native
 * tier's site array is remade to end at the new limit) and under a running
 * call (a nested activation gets an array of its own): the same depth on
 * both tiers. */
static void test_depth_changes(void) {
    static const uint32_t between[] = {100, 5000, 7, 1000};
    static const uint32_t under[] = {200, 8000, 4};
    rig r[2];
    uint32_t to = 0;
    pw_engine_config cfg[2] = {{.tier = PW_TIER_INTERP}, {.tier = PW_TIER_NATIVE}};
    if (!rig_open_cb(&r[0], &cfg[0], host_redepth, &to) || !rig_open_cb(&r[1], &cfg[1], host_redepth, &to)) {
        CHECK(false, "depth changes: could not set up both tiers");
        return;
    }
    pw_val a[1] = {I32(0)};
    for (size_t i = 0; i < sizeof between / sizeof between[0] + sizeof under / sizeof under[0]; i++) {
        bool nested = i >= sizeof between / sizeof between[0];
        outcome o[2], n[2];
        for (int t = 0; t < 2; t++) {
            call(&r[t], "reset", NULL, 0, 0);
            pw_store_set_max_call_depth(r[t].store, nested ? 1000 : between[i]);
            to = nested ? under[i - sizeof between / sizeof between[0]] : 0;
            o[t] = call(&r[t], nested ? "reenter" : "recurse", a, 1, 1);
            n[t] = call(&r[t], "calls", NULL, 0, 1);
        }
        CHECK(o[0].trap == PW_TRAP_STACK_EXHAUSTED && same(&o[0], &o[1]), "depth change %zu: %s vs %s", i,
              o[0].summary, o[1].summary);
        CHECK(n[0].res[0].of.i32 == n[1].res[0].of.i32 && n[0].res[0].of.i32 > 0,
              "depth change %zu: %d calls (interp) vs %d (native)", i, n[0].res[0].of.i32, n[1].res[0].of.i32);
    }
    rig_close(&r[0]);
    rig_close(&r[1]);
}

static void test_memory_cap(void) {
    rig r;
    if (!rig_open(&r, PW_TIER_NATIVE, false))
        return;
    pw_store_set_memory_limit(r.store, 2 * 65536);
    pw_val a = I32(1);
    outcome o = call(&r, "grow", &a, 1, 1);
    CHECK(o.trap == PW_TRAP_NONE && o.res[0].of.i32 == 1, "grow to the cap: %d", o.res[0].of.i32);
    o = call(&r, "grow", &a, 1, 1);
    CHECK(o.res[0].of.i32 == -1, "grow past the cap returns -1, got %d", o.res[0].of.i32);
    o = call(&r, "size", NULL, 0, 1);
    CHECK(o.res[0].of.i32 == 2, "size after a refused grow: %d", o.res[0].of.i32);
    /* the grown page is accessible, the next one not */
    pw_val s = I32(2 * 65536 - 4096 - 1);
    o = call(&r, "store_far", &s, 1, 0);
    CHECK(o.trap == PW_TRAP_NONE, "store in the grown page: %s", o.summary);
    s = I32(2 * 65536 - 4096);
    o = call(&r, "store_far", &s, 1, 0);
    CHECK(o.trap == PW_TRAP_MEMORY_OOB, "store past the grown page: %s", o.summary);
    rig_close(&r);
}

typedef struct {
    pw_store *store;
    int delay_ms;
} interrupter;

static void *interrupt_later(void *arg) {
    interrupter *it = arg;
    struct timespec ts = {0, (long)it->delay_ms * 1000000L};
    nanosleep(&ts, NULL);
    pw_store_interrupt(it->store);
    return NULL;
}

static void test_interrupts(void) {
    rig r;
    if (!rig_open(&r, PW_TIER_NATIVE, true))
        return;
    /* from another thread: the spinning loop stops */
    interrupter it = {r.store, 20};
    pthread_t th;
    pthread_create(&th, NULL, interrupt_later, &it);
    outcome o = call(&r, "spin", NULL, 0, 0);
    pthread_join(th, NULL);
    CHECK(o.trap == PW_TRAP_DEADLINE, "interrupt: trap %d (%s)", (int)o.trap, o.summary);
    CHECK(o.nframes == 1 && o.frames[0] == 2, "interrupt backtrace names spin: %zu frames", o.nframes);
    /* a deadline */
    pw_store_set_deadline(r.store, 20 * 1000000ull);
    o = call(&r, "spin", NULL, 0, 0);
    CHECK(o.trap == PW_TRAP_DEADLINE, "deadline: trap %d (%s)", (int)o.trap, o.summary);
    pw_store_set_deadline(r.store, 0);
    /* the store stays usable */
    pw_val a = I32(10);
    o = call(&r, "work", &a, 1, 1);
    CHECK(o.trap == PW_TRAP_NONE, "after traps: %s", o.summary);
    rig_close(&r);
}

/* Deep recursion on a thread with a small C stack traps, never overflows it. */
static void *recurse_small_stack(void *arg) {
    rig *r = arg;
    pw_val a = I32(0);
    outcome *o = malloc(sizeof *o);
    if (o)
        *o = call(r, "recurse", &a, 1, 1);
    return o;
}

static void test_small_stack(void) {
    rig r;
    if (!rig_open(&r, PW_TIER_NATIVE, false))
        return;
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setstacksize(&at, 512u << 10);
    pthread_t th;
    void *res = NULL;
    if (pthread_create(&th, &at, recurse_small_stack, &r) == 0)
        pthread_join(th, &res);
    pthread_attr_destroy(&at);
    outcome *o = res;
    CHECK(o && o->trap == PW_TRAP_STACK_EXHAUSTED, "small stack: trap %d", o ? (int)o->trap : -1);
    free(o);
    rig_close(&r);
}

/* Precompiled images: run without the cache; a damaged one is refused. */
static void test_image(void) {
    rig r;
    if (!rig_open(&r, PW_TIER_INTERP, false))
        return;
    uint8_t *img = NULL;
    size_t len = 0;
    pw_error *e = pw_module_compile_native(r.module, &img, &len);
    CHECK(!e, "compile_native: %s", e ? pw_error_message(e) : "");
    pw_error_free(e);
    rig_close(&r);
    if (!img)
        return;
    pw_engine *en = pw_engine_new();
    pw_module *m = NULL;
    e = pw_module_new(en, img, len, &m);
    CHECK(!e, "load image: %s", e ? pw_error_message(e) : "");
    pw_error_free(e);
    pw_module_free(m);
    img[len - 100] ^= 1;
    e = pw_module_new(en, img, len, &m);
    CHECK(e && pw_error_kind_of(e) == PW_ERR_MALFORMED, "a damaged image is refused: %s",
          e ? pw_error_message(e) : "accepted");
    pw_error_free(e);
    e = pw_module_new(en, img, len / 2, &m);
    CHECK(e && pw_error_kind_of(e) == PW_ERR_MALFORMED, "a truncated image is refused");
    pw_error_free(e);
    free(img);
    /* an image built without checks does not run on an engine with fuel */
    pw_engine_free(en);
}

/* Calls fn on the path of every .pwo entry in dir; returns how many calls
 * returned true. */
static int each_entry(const char *dir, bool (*fn)(const char *path, int arg), int arg) {
    DIR *d = opendir(dir);
    int n = 0;
    if (!d)
        return 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (!strstr(de->d_name, ".pwo"))
            continue;
        char p[4096 + 300];
        snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
        n += fn(p, arg);
    }
    closedir(d);
    return n;
}

/* Damages one entry: how 0 flips a byte near the end, 1 truncates it. */
static bool damage_entry(const char *p, int how) {
    FILE *f = fopen(p, "r+b");
    if (!f)
        return false;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    if (how == 0 && n > 200) {
        fseek(f, n - 150, SEEK_SET);
        int c = fgetc(f);
        fseek(f, n - 150, SEEK_SET);
        fputc(c ^ 0x40, f);
        fclose(f);
    } else {
        fclose(f);
        if (truncate(p, n / 2) != 0)
            CHECK(false, "truncate %s", p);
    }
    return true;
}

/* The engine's cache folder under $XDG_CACHE_HOME, which ctest sets to a
 * private folder; false when it is unset (the cache tests are skipped). */
static bool cache_dir(char *dir, size_t n) {
    const char *xdg = getenv("XDG_CACHE_HOME");
    if (!xdg)
        return false;
    snprintf(dir, n, "%s/portalis", xdg);
    return true;
}

/* Damaged cache entries are detected, replaced, never loaded. */
static void damage_cache(const char *dir, int how) { each_entry(dir, damage_entry, how); }

static void test_cache(void) {
    char dir[4096];
    if (!cache_dir(dir, sizeof dir))
        return;
    for (int how = 0; how < 2; how++) {
        rig r;
        bool ok = rig_open(&r, PW_TIER_NATIVE, false);
        if (ok)
            rig_close(&r);
        damage_cache(dir, how);
        pw_val a = I32(1000);
        both("work", &a, 1, 1, PW_TRAP_NONE, false, 0, 0);
        rig r2;
        if (rig_open(&r2, PW_TIER_NATIVE, false)) {
            outcome o = call(&r2, "work", &a, 1, 1);
            CHECK(o.trap == PW_TRAP_NONE, "after damage %d: %s", how, o.summary);
            rig_close(&r2);
        }
    }
}

static bool count_entry(const char *p, int remove) { return !remove || unlink(p) == 0; }

/* The .pwo entries in dir; with remove, deletes them. */
static int cache_entries(const char *dir, bool remove) { return each_entry(dir, count_entry, remove); }

/* Runs `work` on an engine of tier (native, or auto once its background
 * compile is done) with native_opt, then counts the cache entries in dir. */
static int entries_after_tier(const char *dir, pw_tier_kind tier, pw_native_opt opt, const char *step) {
    pw_engine_config cfg = {.tier = tier, .native_opt = opt};
    rig r;
    if (rig_open_with(&r, &cfg)) {
        pw_module_tier_wait(r.module);
        CHECK(pw_module_tier(r.module, NULL) == PW_TIER_NATIVE, "%s: native code", step);
        pw_val a = I32(1000);
        outcome o = call(&r, "work", &a, 1, 1);
        CHECK(o.trap == PW_TRAP_NONE, "%s: %s", step, o.summary);
        rig_close(&r);
    }
    return cache_entries(dir, false);
}

static int entries_after(const char *dir, pw_native_opt opt, const char *step) {
    return entries_after_tier(dir, PW_TIER_NATIVE, opt, step);
}

/* The cap on translation units (PORTALIS_AOT_UNITS, else the processors)
 * and the optimisation level (the engine's native_opt, else
 * PORTALIS_AOT_OPT, else -O2) change the object, so both are part of the
 * cache key: a different value makes a new entry, the same one finds the
 * old entry. */
static void test_cache_key(void) {
    char dir[4096];
    if (!cache_dir(dir, sizeof dir))
        return;
    cache_entries(dir, true);
    static const char *const caps[] = {"1", "4", "1", "4"};
    static const int want[] = {1, 2, 2, 2};
    for (int i = 0; i < 4; i++) {
        setenv("PORTALIS_AOT_UNITS", caps[i], 1);
        int n = entries_after(dir, PW_NATIVE_OPT_DEFAULT, caps[i]);
        CHECK(n == want[i], "units %s (step %d): %d cache entries, want %d", caps[i], i, n, want[i]);
    }
    /* at cap 4 now: -O1 is new, -O2 is the default's entry, the
     * environment's -O1 is the engine's -O1, and the engine's level wins */
    CHECK(entries_after(dir, PW_NATIVE_OPT_O1, "-O1") == 3, "-O1 makes an entry of its own");
    CHECK(entries_after(dir, PW_NATIVE_OPT_O2, "-O2") == 3, "-O2 is the default's entry");
    setenv("PORTALIS_AOT_OPT", "-O1", 1);
    CHECK(entries_after(dir, PW_NATIVE_OPT_DEFAULT, "env -O1") == 3, "PORTALIS_AOT_OPT=-O1 is -O1");
    CHECK(entries_after(dir, PW_NATIVE_OPT_O0, "-O0 over env") == 4, "the engine's level wins");
    unsetenv("PORTALIS_AOT_OPT");
    /* auto's background compile uses the engine's level too */
    CHECK(entries_after_tier(dir, PW_TIER_AUTO, PW_NATIVE_OPT_O3, "auto -O3") == 5, "auto -O3 makes an entry");
    CHECK(entries_after(dir, PW_NATIVE_OPT_O3, "-O3") == 5, "native -O3 finds auto's entry");
    unsetenv("PORTALIS_AOT_UNITS");
    pw_native_opt o = PW_NATIVE_OPT_DEFAULT;
    CHECK(pw_native_opt_parse("-Os", &o) && o == PW_NATIVE_OPT_OS && !strcmp(pw_native_opt_name(o), "-Os"),
          "-Os parses");
    CHECK(!pw_native_opt_parse("-O4", &o) && !pw_native_opt_parse("O2", &o) &&
              !pw_native_opt_name(PW_NATIVE_OPT_DEFAULT),
          "only -O0..-O3 and -Os are levels");
}

/* (module (import "h" "f" (func $f (param i32) (result i32)))
 *   (func (export "run") (param i32) (result i32) (i32.add (call $f (local.get 0)) (i32.const 1)))) */
static const uint8_t CALLER[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x06, 0x01, 0x60, 0x01,
                                 0x7f, 0x01, 0x7f, 0x02, 0x07, 0x01, 0x01, 0x68, 0x01, 0x66, 0x00, 0x00, 0x03,
                                 0x02, 0x01, 0x00, 0x07, 0x07, 0x01, 0x03, 0x72, 0x75, 0x6e, 0x00, 0x01, 0x0a,
                                 0x0b, 0x01, 0x09, 0x00, 0x20, 0x00, 0x10, 0x00, 0x41, 0x01, 0x6a, 0x0b};

/* An interpreted module calling hostile.wasm's `callee` on tier `tier` (a
 * cache hit for native: no interpreter code), with fuel: what the call did
 * and the fuel left. */
static outcome through_seam(pw_tier_kind tier, const char *callee, int32_t arg, uint64_t fuel, int64_t *left,
                            size_t *code_bytes) {
    outcome o = {.kind = PW_ERR_ARGUMENT, .summary = "set-up failed"};
    rig r;
    if (!rig_open(&r, tier, true))
        return o;
    size_t nf, bin;
    pw_module_sizes(r.module, &nf, &bin, code_bytes);
    pw_module *cm = NULL;
    pw_instance *ci = NULL;
    pw_extern im = {.kind = PW_EXTERN_FUNC, .of.func = pw_instance_func(r.inst, callee)};
    pw_error *e = pw_module_new_tier(r.engine, CALLER, sizeof CALLER, PW_TIER_INTERP, &cm);
    if (!e)
        e = pw_instance_new(r.store, cm, &im, 1, &ci);
    if (e) {
        snprintf(o.summary, sizeof o.summary, "caller: %s", pw_error_message(e));
        pw_error_free(e);
    } else {
        rig caller = {r.engine, cm, r.store, ci};
        pw_store_set_fuel(r.store, fuel);
        pw_val a = I32(arg);
        o = call(&caller, "run", &a, 1, 1);
        *left = (int64_t)pw_store_fuel(r.store);
    }
    pw_module_free(cm);
    rig_close(&r);
    return o;
}

/* A native module found in the cache is neither validated again nor
 * translated for the interpreter; an interpreted caller reaches it through
 * the tier seam with the same results, fuel and backtraces as an
 * interpreted callee. */
static void test_cached_seam(void) {
    rig warm;
    if (rig_open(&warm, PW_TIER_NATIVE, true)) /* makes the cache entry */
        rig_close(&warm);
    static const struct {
        const char *callee;
        int32_t arg;
        uint64_t fuel;
        pw_trap_kind want;
    } cases[] = {{"work", 300, 1000000, PW_TRAP_NONE},
                 {"work", 300, 500, PW_TRAP_OUT_OF_FUEL},
                 {"deep_trap", 5, 1000000, PW_TRAP_DIV_BY_ZERO}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int64_t li = -1, ln = -2;
        size_t ci = 0, cn = 1;
        outcome a = through_seam(PW_TIER_INTERP, cases[i].callee, cases[i].arg, cases[i].fuel, &li, &ci);
        outcome b = through_seam(PW_TIER_NATIVE, cases[i].callee, cases[i].arg, cases[i].fuel, &ln, &cn);
        CHECK(ci > 0 && cn == 0, "%s: interpreter code %zu bytes (interp), %zu (cached native: want none)",
              cases[i].callee, ci, cn);
        CHECK(a.trap == cases[i].want, "%s through the seam: trap %d (%s), expected %d", cases[i].callee,
              (int)a.trap, a.summary, (int)cases[i].want);
        CHECK(same(&a, &b), "%s through the seam: interp '%s' %zu frames, cached native '%s' %zu frames",
              cases[i].callee, a.summary, a.nframes, b.summary, b.nframes);
        CHECK(li == ln, "%s through the seam: fuel left %lld (interp) vs %lld (cached native)", cases[i].callee,
              (long long)li, (long long)ln);
    }
}

/* canonicalize_nans: the native tier replaces arithmetic NaNs exactly where
 * the interpreter does; without it both keep the payload the same way. */
static void test_canon_nans(void) {
    for (int canon = 0; canon < 2; canon++) {
        pw_engine_config cfg = {.canonicalize_nans = canon};
        uint64_t got[2][2] = {{0}};
        for (int t = 0; t < 2; t++) {
            cfg.tier = t ? PW_TIER_NATIVE : PW_TIER_INTERP;
            rig r;
            CHECK(rig_open_with(&r, &cfg), "canon %d tier %d: set up", canon, t);
            if (r.inst) {
                pw_val a = I32(0x7fa00001); /* a signalling NaN with a payload */
                got[t][0] = (uint32_t)call(&r, "nan_add", &a, 1, 1).res[0].of.i32;
                got[t][1] = (uint64_t)call(&r, "nan_promote", &a, 1, 1).res[0].of.i64;
                rig_close(&r);
            }
        }
        CHECK(got[0][0] == got[1][0] && got[0][1] == got[1][1],
              "canon %d: nan bits %llx %llx (interp) vs %llx %llx (native)", canon, (unsigned long long)got[0][0],
              (unsigned long long)got[0][1], (unsigned long long)got[1][0], (unsigned long long)got[1][1]);
        if (canon)
            CHECK(got[1][0] == 0x7fc00000u && got[1][1] == 0x7ff8000000000000ull,
                  "canonical NaNs on the native tier");
        else
            CHECK(got[1][0] != 0x7fc00000u, "the payload is kept without canonicalize_nans");
    }
}

/* ---- guard mode (docs/aot.md, "Sandbox") ---- */

/* A handler the host had before the native tier's: faults that are not
 * out-of-bounds accesses of generated code must still reach it. */
static volatile sig_atomic_t host_faults;
static void *host_page;
static void host_segv(int sig, siginfo_t *si, void *uc) {
    (void)uc;
    host_faults++;
    if (si->si_addr == host_page)
        mprotect(host_page, 4096, PROT_READ | PROT_WRITE);
    else
        signal(sig, SIG_DFL); /* a real crash: it recurs and ends the test */
}

static void test_guard_chain(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = host_segv;
    sa.sa_flags = SA_SIGINFO;
    sigemptyset(&sa.sa_mask);
    /* stays installed, under the native tier's: a host must not put back an
     * older handler over the tier's (docs/aot.md) */
    CHECK(sigaction(SIGSEGV, &sa, NULL) == 0, "install the host's handler");
    rig r; /* installs the native tier's handler over the host's (guard mode) */
    CHECK(rig_open(&r, PW_TIER_NATIVE, false), "chain: set up");
    pw_val a[1] = {I32(65536)};
    CHECK(call(&r, "peek", a, 1, 1).trap == PW_TRAP_MEMORY_OOB, "chain: a wasm fault is a trap");
    host_page = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(host_page != MAP_FAILED, "chain: map a page");
    if (host_page != MAP_FAILED) {
        *(volatile int *)host_page = 5; /* faults once; the host's handler opens the page */
        CHECK(host_faults == 1 && *(volatile int *)host_page == 5,
              "chain: the host's fault reached its handler (%d)", (int)host_faults);
        munmap(host_page, 4096);
    }
    CHECK(call(&r, "peek", a, 1, 1).trap == PW_TRAP_MEMORY_OOB, "chain: still a trap afterwards");
    rig_close(&r);
}

/* Every thread that runs guard-mode code gets its alternate signal stack. */
static void *guard_thread(void *arg) {
    int *ok = arg;
    rig r;
    if (rig_open(&r, PW_TIER_NATIVE, false)) {
        pw_val a[1] = {I32(4)};
        *ok = call(&r, "deep_oob", a, 1, 1).trap == PW_TRAP_MEMORY_OOB;
        rig_close(&r);
    }
    return NULL;
}

static void test_guard_threads(void) {
    pthread_t t[2];
    int ok[2] = {0, 0};
    for (int i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, guard_thread, &ok[i]);
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    CHECK(ok[0] && ok[1], "out-of-bounds traps in two threads: %d %d", ok[0], ok[1]);
}

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define AOT_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define AOT_SANITIZED 1
#endif
#endif

/* A memory that could not get its guarded reservation (here an address
 * space limit set after the module was compiled for guard mode) runs its
 * instance on the interpreter: the same traps and results. The sanitizers'
 * own reservations do not survive such a limit. */
static void guard_unreserved(bool cached) {
#ifndef AOT_SANITIZED
    rig ri;
    if (!rig_open(&ri, PW_TIER_INTERP, false))
        return;
    pw_engine_config cfg = {.tier = PW_TIER_NATIVE};
    pw_engine *e = pw_engine_new_with(&cfg);
    pw_module *m = NULL;
    rig warm; /* makes the cache entry */
    if (cached && rig_open(&warm, PW_TIER_NATIVE, false))
        rig_close(&warm);
    if (!cached)
        setenv("PORTALIS_AOT_CACHE", "0", 1);
    pw_error *err = pw_module_new(e, wasm, wasm_len, &m);
    unsetenv("PORTALIS_AOT_CACHE");
    CHECK(!err, "unreserved: module");
    size_t nf = 0, bin = 0, code = 0;
    if (m)
        pw_module_sizes(m, &nf, &bin, &code);
    /* a cache hit has no interpreter code until the instance needs it */
    CHECK(cached == (code == 0), "unreserved (cached %d): interpreter code %zu bytes", (int)cached, code);
    struct rlimit old, lim;
    getrlimit(RLIMIT_AS, &old);
    long pages = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f && fscanf(f, "%ld", &pages) == 1) {
        lim = old;
        lim.rlim_cur = (rlim_t)pages * (rlim_t)sysconf(_SC_PAGESIZE) + ((rlim_t)1 << 30);
        CHECK(setrlimit(RLIMIT_AS, &lim) == 0, "unreserved: limit the address space");
    }
    if (f)
        fclose(f);
    rig rn = {.engine = e, .module = m};
    rn.store = pw_store_new(e);
    pw_valkind i32 = PW_I32;
    pw_extern imports[2];
    imports[0].kind = imports[1].kind = PW_EXTERN_FUNC;
    imports[0].of.func = pw_func_new(rn.store, &i32, 1, &i32, 1, host_callback, NULL, NULL);
    imports[1].of.func = pw_func_new(rn.store, &i32, 1, NULL, 0, host_fail, NULL, NULL);
    err = err ? err : pw_instance_new(rn.store, m, imports, 2, &rn.inst);
    CHECK(!err, "unreserved: instance: %s", err ? pw_error_message(err) : "");
    pw_error_free(err);
    if (rn.inst) {
        const char *names[] = {"load_near", "load_far", "deep_oob", "work"};
        for (int i = 0; i < 4; i++) {
            pw_val a[1] = {I32(9)};
            size_t n = i < 2 ? 0 : 1;
            outcome x = call(&ri, names[i], a, n, 1), y = call(&rn, names[i], a, n, 1);
            CHECK(same(&x, &y), "unreserved (cached %d) %s: interp trap %d '%s', native trap %d '%s'",
                  (int)cached, names[i], (int)x.trap, x.summary, (int)y.trap, y.summary);
        }
    }
    setrlimit(RLIMIT_AS, &old);
    rig_close(&rn);
    rig_close(&ri);
#else
    (void)cached;
#endif
}

/* ---- the C stack running out (guard mode: no check at function entry) ---- */

#if defined(__SANITIZE_THREAD__)
#define AOT_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define AOT_TSAN 1
#endif
#endif
#ifndef AOT_TSAN
#define AOT_TSAN 0
#endif

/* fat_recurse until the C stack runs out, three times in a row on one store
 * (the handler stays armed, the alternate stack is reused), then calls that
 * work. In guard mode the fault on the guard below the stack traps (grow 0)
 * or, when every level calls into the runtime (grow 1), the stack check
 * before that call. The frames are the recursion's, as many as it made
 * (give or take the trapping one), and the recursion stopped below `depth`,
 * the depth limit, when `by_stack`. */
static void stack_runs_out(rig *r, uint32_t depth, bool by_stack, const char *where) {
    pw_store_set_max_call_depth(r->store, depth);
    for (int grow = 0; grow < 2; grow++)
        for (int k = 0; k < 3; k++) {
            pw_val a[2] = {I32(0), I32(grow)};
            call(r, "reset", NULL, 0, 0);
            outcome o = call(r, "fat_recurse", a, 2, 1);
            int32_t calls = call(r, "calls", NULL, 0, 1).res[0].of.i32;
            CHECK(o.trap == PW_TRAP_STACK_EXHAUSTED, "%s, grow %d, run %d: trap %d '%s'", where, grow, k,
                  (int)o.trap, o.summary);
            CHECK(by_stack ? (uint32_t)calls < depth : (uint32_t)calls == depth + 1,
                  "%s, grow %d: %d calls, limit %u", where, grow, calls, depth);
            CHECK(o.nframes >= 8 && o.total + 1 >= (size_t)calls && o.total <= (size_t)calls,
                  "%s, grow %d: %zu frames for %d calls", where, grow, o.total, calls);
            for (size_t i = 1; i < 8 && i < o.nframes; i++)
                CHECK(o.frames[i] == o.frames[0] && o.offsets[i] == o.offsets[0], "%s: frame %zu is f%u+0x%x",
                      where, i, o.frames[i], o.offsets[i]);
        }
    pw_val a[2] = {I32(4), I32(0)};
    CHECK(call(r, "deep_oob", a, 1, 1).trap == PW_TRAP_MEMORY_OOB, "%s: a memory fault traps afterwards", where);
    pw_store_set_max_call_depth(r->store, 200);
    call(r, "reset", NULL, 0, 0);
    CHECK(call(r, "fat_recurse", a, 2, 1).trap == PW_TRAP_STACK_EXHAUSTED &&
              call(r, "calls", NULL, 0, 1).res[0].of.i32 == 201,
          "%s: the depth limit traps afterwards (%d calls)", where, call(r, "calls", NULL, 0, 1).res[0].of.i32);
}

/* Whether the native tier's code relies on the guard below the stack
 * (docs/aot.md, "Call depth"): guard mode on x86-64 with SSE4.1 or aarch64;
 * with explicit checks it compares the stack pointer at every entry, and
 * runs on any stack. */
static bool stack_guard_mode(void) {
    const char *b = getenv("PORTALIS_AOT_BOUNDS");
    if (b && !strcmp(b, "checks"))
        return false;
#if AOT_TSAN
    return false; /* explicit checks under ThreadSanitizer */
#elif defined(__x86_64__)
    return __builtin_cpu_supports("sse4.1");
#elif defined(__aarch64__)
    return true;
#else
    return false;
#endif
}

/* The main thread's stack (its size limit, if finite and not huge). */
static void test_stack_main(void) {
    struct rlimit rl;
    if (getrlimit(RLIMIT_STACK, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > ((rlim_t)64 << 20))
        return;
    rig r;
    if (!rig_open(&r, PW_TIER_NATIVE, false))
        return;
    stack_runs_out(&r, 1u << 20, true, "main thread");
    rig_close(&r);
}

typedef struct {
    rig *r;
    uint32_t depth;
    bool by_stack;
    const char *where;
} stack_job;

static void *stack_thread(void *arg) {
    const stack_job *j = arg;
    stack_runs_out(j->r, j->depth, j->by_stack, j->where);
    return NULL;
}

/* A thread of `size` bytes of stack, from glibc (mem NULL) or the host's
 * own memory (pthread_attr_setstack). */
static void on_thread(stack_job *j, void *mem, size_t size) {
    pthread_attr_t at;
    pthread_attr_init(&at);
    if (mem)
        pthread_attr_setstack(&at, mem, size);
    else
        pthread_attr_setstacksize(&at, size);
    pthread_t th;
    CHECK(pthread_create(&th, &at, stack_thread, j) == 0, "%s: thread", j->where);
    pthread_join(th, NULL);
    pthread_attr_destroy(&at);
}

/* Threads with small stacks: glibc's (a guard page below), a host's stack
 * with a PROT_NONE page below (guarded), and a host's stack with writable
 * memory or nothing mapped below (no guard: in guard mode the calls run on the interpreter,
 * which traps at the depth limit alone, as its frames are not on the C
 * stack; with explicit checks the native code's own check traps). */
static void test_stack_threads(void) {
    if (AOT_TSAN) /* its runtime takes ~900 KiB of a thread's stack, and its host frames are fat */
        return;
    rig r;
    if (!rig_open(&r, PW_TIER_NATIVE, false))
        return;
    stack_job j = {&r, 65536, true, "256 KiB thread"};
    on_thread(&j, NULL, 256u << 10);
    size_t page = (size_t)sysconf(_SC_PAGESIZE), size = 1u << 20; /* ThreadSanitizer needs 900 KiB */
    char *m = mmap(NULL, page + size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m != MAP_FAILED) {
        mprotect(m, page, PROT_NONE);
        j.where = "host stack with a guard";
        on_thread(&j, m + page, size);
        mprotect(m, page, PROT_READ | PROT_WRITE);
        j.where = "host stack without a guard";
        j.by_stack = !stack_guard_mode();
        on_thread(&j, m + page, size);
        munmap(m, page); /* nothing below: a later mapping could land there */
        j.where = "host stack with nothing mapped below";
        on_thread(&j, m + page, size);
        munmap(m + page, size);
    }
    rig_close(&r);
}

/* A module without memory relies on the stack guard too. */
static const uint8_t NO_MEMORY[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x06, 0x01, 0x60, 0x01, 0x7f, 0x01,
    0x7f, 0x03, 0x02, 0x01, 0x00, 0x07, 0x05, 0x01, 0x01, 0x72, 0x00, 0x00, 0x0a, 0x0e, 0x01,
    0x0c, 0x00, 0x20, 0x00, 0x41, 0x01, 0x6a, 0x10, 0x00, 0x20, 0x00, 0x77, 0x0b}; /* (func $r (param i32) (result
                                                                                      i32) (i32.rotl (call $r (n +
                                                                                      1)) n)), export "r" */

typedef struct {
    pw_store *s;
    pw_instance *inst;
} no_memory_job;

static void *no_memory_thread(void *arg) {
    const no_memory_job *j = arg;
    pw_store *s = j->s;
    pw_instance *inst = j->inst;
    int ok = 0;
    for (int k = 0; k < 3; k++) {
        pw_val a = I32(0), res;
        pw_error *e = pw_func_call(s, pw_instance_func(inst, "r"), &a, 1, &res, 1);
        ok += e && pw_error_trap(e) == PW_TRAP_STACK_EXHAUSTED && pw_error_frame_count(e) < 65536 - 1;
        pw_error_free(e);
    }
    return (void *)(intptr_t)ok;
}

static void test_stack_no_memory(void) {
    pw_engine_config cfg = {.tier = PW_TIER_NATIVE};
    pw_engine *e = pw_engine_new_with(&cfg);
    pw_module *m = NULL;
    pw_error *err = pw_module_new(e, NO_MEMORY, sizeof NO_MEMORY, &m);
    CHECK(!err, "no memory: %s", err ? pw_error_message(err) : "");
    pw_error_free(err);
    pw_store *s = pw_store_new(e);
    pw_instance *inst = NULL;
    if (m && !pw_instance_new(s, m, NULL, 0, &inst)) {
        pthread_attr_t at;
        pthread_attr_init(&at);
        pthread_attr_setstacksize(&at, 256u << 10);
        pthread_t th;
        void *ok = NULL;
        no_memory_job j = {s, inst};
        if (pthread_create(&th, &at, no_memory_thread, &j) == 0)
            pthread_join(th, &ok);
        pthread_attr_destroy(&at);
        CHECK((intptr_t)ok == 3, "no memory: %d of 3 runs trapped before the depth limit", (int)(intptr_t)ok);
    }
    pw_store_free(s);
    pw_module_free(m);
    pw_engine_free(e);
}

static void test_guard_unreserved(void) {
    guard_unreserved(false);
    guard_unreserved(true);
}

/* Every test, in order; `--only a,b` runs the named ones (valgrind's ctest
 * runs the hostile modules only: the rest repeats them at length, and the
 * guard tests fault on purpose in the host's own code). */
static const struct {
    const char *name;
    void (*run)(void);
} TESTS[] = {
    {"guard_chain", test_guard_chain}, /* first: the host's handler predates the native tier's */
    {"guard_threads", test_guard_threads},
    {"guard_unreserved", test_guard_unreserved},
    {"traps", test_traps},
    {"limits", test_limits},
    {"single_site", test_single_site},
    {"depth_changes", test_depth_changes},
    {"memory_cap", test_memory_cap},
    {"interrupts", test_interrupts},
    {"small_stack", test_small_stack},
    {"stack_main", test_stack_main},
    {"stack_threads", test_stack_threads},
    {"stack_no_memory", test_stack_no_memory},
    {"image", test_image},
    {"cache", test_cache},
    {"cache_key", test_cache_key},
    {"cached_seam", test_cached_seam},
    {"canon_nans", test_canon_nans},
};

static bool listed(const char *list, const char *name) {
    size_t n = strlen(name);
    for (const char *p = list; (p = strstr(p, name)) != NULL; p += n)
        if ((p == list || p[-1] == ',') && (p[n] == ',' || p[n] == 0))
            return true;
    return false;
}

int main(int argc, char **argv) {
    const char *only = argc == 4 && !strcmp(argv[2], "--only") ? argv[3] : NULL;
    if (argc != 2 && !only) {
        fprintf(stderr, "usage: test_aot hostile.wasm [--only test,...]\n");
        return 2;
    }
    char *file = NULL;
    pbase_error perr;
    if (pbase_read_file(argv[1], (size_t)1 << 26, &file, &wasm_len, &perr) != 0) {
        fprintf(stderr, "%s: %s\n", argv[1], perr.message);
        return 2;
    }
    wasm = (uint8_t *)file;
    for (size_t i = 0; i < sizeof TESTS / sizeof *TESTS; i++)
        if (!only || listed(only, TESTS[i].name))
            TESTS[i].run();
    free(wasm);
    return CHECK_REPORT();
}
