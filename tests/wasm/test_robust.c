/* Robustness of the engine against hostile modules and hosts (issue 11):
 * host re-entrancy ends in a "call stack exhausted" trap, never a crash;
 * memory growth costs what is touched; a load in unreachable code with an
 * empty operand stack; 100 000 locals; the fuel regions every tier charges.
 * usage: test_robust robust.wasm */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#else
#define RUNNING_ON_VALGRIND 0
#endif

#include "portalis/base.h"
#include "portalis/engine.h"
#include "tier.h"

#include "../check.h"

static pw_module *load(pw_engine *e, const char *path) {
    pw_module *m = NULL;
    pw_error *err = pw_module_from_file(e, path, &m);
    CHECK(!err, "load %s: %s", path, err ? pw_error_message(err) : "");
    pw_error_free(err);
    return m;
}

/* ---- host re-entrancy ---------------------------------------------------- */

typedef struct {
    pw_func *f;         /* the module's export "f" */
    uintptr_t sp1, sp2; /* stack addresses at the first two levels */
    int level;
} reenter;

/* again(n) = f(n): host -> wasm -> host ... */
static pw_error *again(pw_caller *c, void *ud, const pw_val *args, pw_val *results) {
    reenter *r = ud;
    char here;
    if (r->level == 0)
        r->sp1 = (uintptr_t)&here;
    else if (r->level == 1)
        r->sp2 = (uintptr_t)&here;
    r->level++;
    pw_val res;
    pw_error *err = pw_func_call(pw_caller_store(c), r->f, args, 1, &res, 1);
    r->level--;
    if (err)
        return err;
    results[0] = res;
    return NULL;
}

typedef struct {
    pw_store *store;
    pw_instance *inst;
    reenter r;
} world;

static void world_new(world *w, pw_engine *e, pw_module *m) {
    memset(w, 0, sizeof *w);
    w->store = pw_store_new(e);
    pw_valkind i = PW_I32;
    pw_extern imp = {PW_EXTERN_FUNC, {.func = pw_func_new(w->store, &i, 1, &i, 1, again, &w->r, NULL)}};
    pw_error *err = pw_instance_new(w->store, m, &imp, 1, &w->inst);
    CHECK(!err, "instantiate: %s", err ? pw_error_message(err) : "");
    pw_error_free(err);
    w->r.f = w->inst ? pw_instance_func(w->inst, "f") : NULL;
}

static pw_error *call_f(world *w, int32_t n, int32_t *out) {
    pw_val arg = {.kind = PW_I32, .of.i32 = n}, res;
    pw_error *err = pw_func_call(w->store, w->r.f, &arg, 1, &res, 1);
    if (!err)
        *out = res.of.i32;
    return err;
}

static bool is_stack_trap(pw_error *err) {
    return err && pw_error_trap(err) == PW_TRAP_STACK_EXHAUSTED &&
           strstr(pw_error_message(err), "call stack exhausted");
}

/* With a huge depth limit the native stack guard is what stops the
 * recursion; run it on a thread with a small stack so it binds. */
typedef struct {
    pw_engine *e;
    pw_module *m;
    bool trapped;
    int32_t got;
    size_t per_level;
} deep_job;

static void *deep(void *arg) {
    deep_job *j = arg;
    world w;
    world_new(&w, j->e, j->m);
    pw_store_set_max_call_depth(w.store, 1000000);
    pw_error *err = call_f(&w, 1000000, &j->got);
    j->trapped = is_stack_trap(err);
    j->per_level = w.r.sp1 > w.r.sp2 ? w.r.sp1 - w.r.sp2 : 0;
    pw_error_free(err);
    /* the store stays usable */
    err = call_f(&w, 10, &j->got);
    if (err)
        j->got = -1;
    pw_error_free(err);
    pw_store_free(w.store);
    return NULL;
}

/* The depth limit, not the C stack, must be what binds here. A round trip
 * takes about 9 KiB of C stack in the ASan build (under 1 KiB in Release),
 * so 900 of them would not fit the main thread's 8 MiB there: this part runs
 * on a thread whose stack holds 1,000 round trips in any build. */
typedef struct {
    pw_engine *e;
    pw_module *m;
} reentry_job;

static void *reentry(void *arg) {
    reentry_job *j = arg;
    world w;
    world_new(&w, j->e, j->m);
    int32_t got = -1;
    pw_error *err = call_f(&w, 200, &got);
    CHECK(!err && got == 200, "200 nested host calls: %s, got %d", err ? pw_error_message(err) : "ok", got);
    pw_error_free(err);

    /* Each host -> wasm round trip counts toward the depth limit. */
    pw_store_set_max_call_depth(w.store, 1000);
    err = call_f(&w, 5000, &got);
    CHECK(is_stack_trap(err), "5000 nested host calls under a depth of 1000 must trap: %s",
          err ? pw_error_message(err) : "returned");
    pw_error_free(err);
    err = call_f(&w, 900, &got);
    CHECK(!err && got == 900, "900 nested calls within the limit: %s", err ? pw_error_message(err) : "ok");
    pw_error_free(err);
    pw_store_free(w.store);
    return NULL;
}

static void test_reentrancy(pw_engine *e, pw_module *m) {
    pthread_attr_t big;
    pthread_attr_init(&big);
    pthread_attr_setstacksize(&big, 64u << 20);
    reentry_job rj = {e, m};
    pthread_t rt;
    CHECK(pthread_create(&rt, &big, reentry, &rj) == 0, "thread");
    pthread_join(rt, NULL);
    pthread_attr_destroy(&big);

    pthread_attr_t a;
    pthread_attr_init(&a);
    pthread_attr_setstacksize(&a, 1u << 20);
    deep_job j = {e, m, false, 0, 0};
    pthread_t t;
    CHECK(pthread_create(&t, &a, deep, &j) == 0, "thread");
    pthread_join(t, NULL);
    pthread_attr_destroy(&a);
    CHECK(j.trapped, "unbounded re-entry on a 1 MiB stack must trap, not crash");
    CHECK(j.got == 10, "the store is usable after the trap (got %d)", j.got);
    printf("native stack per host -> wasm -> host round trip: %zu bytes\n", j.per_level);
    CHECK(j.per_level > 0 && j.per_level < 32768, "one round trip fits the guard's minimum reserve (%zu)",
          j.per_level);
}

/* ---- memory growth -------------------------------------------------------- */

static long rss_kb(void) {
    char *buf = NULL;
    size_t n = 0;
    pbase_error perr;
    long kb = -1;
    if (pbase_read_file("/proc/self/status", 1 << 20, &buf, &n, &perr) != 0)
        return -1;
    const char *p = strstr(buf, "VmRSS:");
    if (p)
        kb = strtol(p + 6, NULL, 10);
    free(buf);
    return kb;
}

static int32_t call_i32(pw_store *s, pw_instance *inst, const char *name, const pw_val *args, size_t nargs) {
    pw_val res;
    pw_func *f = pw_instance_func(inst, name);
    pw_error *err = f ? pw_func_call(s, f, args, nargs, &res, 1) : pw_trap_new("no export %s", name);
    CHECK(!err, "%s: %s", name, err ? pw_error_message(err) : "");
    pw_error_free(err);
    return err ? -1 : res.of.i32;
}

static void test_memory_growth(pw_engine *e, pw_module *m) {
    world w;
    world_new(&w, e, m);
    pw_instance *inst = w.inst;
    if (!inst) {
        pw_store_free(w.store);
        return;
    }
    long before = rss_kb();
    pw_val pages = {.kind = PW_I32, .of.i32 = 16383}; /* 1 + 16383 pages = 1 GiB */
    CHECK(call_i32(w.store, inst, "grow", &pages, 1) == 1, "grow to 1 GiB");
    CHECK(call_i32(w.store, inst, "size", NULL, 0) == 16384, "size after grow");
    long after = rss_kb();
    printf("resident set before/after growing to 1 GiB: %ld / %ld KiB\n", before, after);
    /* Untouched pages cost nothing: far less than the 1 GiB grown. The
     * memory's own pages, counted by mincore, say it under any tool; the
     * process's resident set too, except under valgrind (whose shadow
     * memory grows with the mapping). */
    pw_extern mem;
    size_t resident = SIZE_MAX, npages = ((size_t)1 << 30) / (size_t)sysconf(_SC_PAGESIZE);
    unsigned char *vec = malloc(npages);
    if (vec && pw_instance_export(inst, "mem", &mem) &&
        !mincore(pw_memory_data(mem.of.memory), (size_t)1 << 30, vec)) {
        resident = 0;
        for (size_t k = 0; k < npages; k++)
            resident += vec[k] & 1;
    }
    free(vec);
    CHECK(resident < npages / 100, "%zu of the memory's %zu pages are resident", resident, npages);
    CHECK(RUNNING_ON_VALGRIND || (before > 0 && after - before < 64 * 1024),
          "growth to 1 GiB raised RSS by %ld KiB", after - before);
    CHECK(call_i32(w.store, inst, "poke_last", NULL, 0) == 42, "the last grown page is usable");
    /* The cap still applies. */
    pw_store_set_memory_limit(w.store, (uint64_t)16384 * 65536);
    pw_val one = {.kind = PW_I32, .of.i32 = 1};
    CHECK(call_i32(w.store, inst, "grow", &one, 1) == -1, "growth past the cap fails");
    pw_store_free(w.store);
}

/* ---- translation edge cases ----------------------------------------------- */

static void test_unreachable_load(pw_engine *e, pw_module *m) {
    /* The module translated (UBSan flagged `&vs[pa]` on an empty stack
     * here, issue 11.6); the function returns at once. */
    world w;
    world_new(&w, e, m);
    pw_instance *inst = w.inst;
    pw_func *f = inst ? pw_instance_func(inst, "unreach") : NULL;
    pw_error *err = f ? pw_func_call(w.store, f, NULL, 0, NULL, 0) : pw_trap_new("no export");
    CHECK(!err, "unreach: %s", err ? pw_error_message(err) : "");
    pw_error_free(err);
    pw_store_free(w.store);
}

/* (func (result i32) (local i32 x 100000) local.get 99999) */
static void test_many_locals(pw_engine *e) {
    static const uint8_t mod[] = {
        0,    'a',  's',  'm',  1,    0,    0,    0,    1,    5, 1, 0x60, 0, 1, 0x7f, /* type () -> i32 */
        3,    2,    1,    0,                                                          /* one function */
        7,    5,    1,    1,    'f',  0,    0,                                        /* export "f" */
        10,   12,   1,    10,   1,    0xa0, 0x8d, 0x06, 0x7f,                         /* 100000 x i32 */
        0x20, 0x9f, 0x8d, 0x06, 0x0b,                                                 /* local.get 99999, end */
    };
    pw_module *m = NULL;
    pw_error *err = pw_module_new(e, mod, sizeof mod, &m);
    CHECK(!err, "100000 locals: %s", err ? pw_error_message(err) : "");
    pw_error_free(err);
    if (!m)
        return;
    pw_store *s = pw_store_new(e);
    pw_instance *inst = NULL;
    err = pw_instance_new(s, m, NULL, 0, &inst);
    pw_error_free(err);
    CHECK(inst && call_i32(s, inst, "f", NULL, 0) == 0, "the last of 100000 locals starts at zero");
    pw_store_free(s);
    pw_module_free(m);

    /* Past the implementation limit: a distinct error kind. */
    uint8_t big[sizeof mod];
    memcpy(big, mod, sizeof mod);
    big[31] = 0xc1, big[32] = 0x84, big[33] = 0x3d; /* 1000001 locals */
    err = pw_module_new(e, big, sizeof big, &m);
    CHECK(err && pw_error_kind_of(err) == PW_ERR_LIMIT && strstr(pw_error_message(err), "too many locals"),
          "1000001 locals: %s", err ? pw_error_message(err) : "accepted");
    pw_error_free(err);
}

/* ---- fuel regions ------------------------------------------------------- */

static void test_fuel_regions(const char *path) {
    pw_engine *e = pw_engine_new_with(&(pw_engine_config){.consume_fuel = true});
    pw_module *m = load(e, path);
    if (!m) {
        pw_engine_free(e);
        return;
    }
    uint32_t defidx = UINT32_MAX;
    for (uint32_t i = 0; i < m->m.nexports; i++)
        if (!strcmp(m->m.exports[i].name, "count"))
            defidx = m->m.exports[i].index - m->m.nfunc_imports;
    pw_fuel_regions r;
    CHECK(defidx != UINT32_MAX && pw_fuel_regions_of(&m->m, defidx, &r), "regions of count");
    /* function: loop, local.get, end; the loop: 9 instructions with its end */
    CHECK(r.entry_cost == 3 && r.nloops == 1 && r.loops[0].cost == 9, "entry %u, %u loops, loop cost %llu",
          r.entry_cost, r.nloops, r.nloops ? (unsigned long long)r.loops[0].cost : 0ull);
    /* The interpreter charges exactly that: entry + 9 taken back-edges. */
    world w;
    world_new(&w, e, m);
    pw_instance *inst = w.inst;
    pw_store_set_fuel(w.store, 1000);
    pw_val ten = {.kind = PW_I32, .of.i32 = 10};
    CHECK(inst && call_i32(w.store, inst, "count", &ten, 1) == 10, "count(10)");
    uint64_t used = 1000 - pw_store_fuel(w.store);
    CHECK(r.nloops == 1 && used == r.entry_cost + 9 * r.loops[0].cost, "fuel used %llu",
          (unsigned long long)used);
    pw_fuel_regions_free(&r);
    pw_store_free(w.store);
    pw_module_free(m);
    pw_engine_free(e);
}

/* ---- NaN canonicalisation ------------------------------------------------ */

static uint64_t nan_call(pw_store *s, pw_instance *inst, const char *name, bool arg) {
    pw_val a = {.kind = PW_F32, .of.f32 = 1.0f}, res;
    uint32_t snan = 0x7fa00000u; /* a signalling NaN with a payload */
    memcpy(&a.of.f32, &snan, 4);
    pw_func *f = pw_instance_func(inst, name);
    pw_error *err = f ? pw_func_call(s, f, &a, arg ? 1 : 0, &res, 1) : pw_trap_new("no export %s", name);
    CHECK(!err, "%s: %s", name, err ? pw_error_message(err) : "");
    pw_error_free(err);
    if (err)
        return 0;
    return res.kind == PW_I64 ? (uint64_t)res.of.i64 : (uint32_t)res.of.i32;
}

static void test_nan_canonicalization(const char *path) {
    for (int fuel = 0; fuel < 2; fuel++) {
        pw_engine *e = pw_engine_new_with(
            &(pw_engine_config){.canonicalize_nans = true, .consume_fuel = fuel, .interruptible = fuel});
        pw_module *m = load(e, path);
        world w;
        if (!m) {
            pw_engine_free(e);
            return;
        }
        world_new(&w, e, m);
        if (w.inst) {
            CHECK(nan_call(w.store, w.inst, "nan_div", false) == 0x7fc00000u, "0/0 is the canonical NaN");
            CHECK(nan_call(w.store, w.inst, "nan_add", true) == 0x7fc00000u, "NaN + 1 loses its payload");
            CHECK(nan_call(w.store, w.inst, "nan_sqrt", false) == 0x7ff8000000000000ull, "sqrt(-1) is canonical");
            CHECK(nan_call(w.store, w.inst, "nan_rmw", true) == 0x7fc00000u, "canonical in memory too");
            CHECK(nan_call(w.store, w.inst, "nan_neg", false) == 0x7fa00000u, "neg only flips the sign bit");
        }
        pw_store_free(w.store);
        pw_module_free(m);
        pw_engine_free(e);
    }
    /* Off by default: payloads propagate as the hardware does. */
    pw_engine *e = pw_engine_new();
    pw_module *m = load(e, path);
    world w;
    if (m) {
        world_new(&w, e, m);
        if (w.inst)
            printf("without canonicalisation: NaN + 1 = 0x%08llx, 0/0 = 0x%08llx\n",
                   (unsigned long long)nan_call(w.store, w.inst, "nan_add", true),
                   (unsigned long long)nan_call(w.store, w.inst, "nan_div", false));
        pw_store_free(w.store);
        pw_module_free(m);
    }
    pw_engine_free(e);
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: test_robust robust.wasm\n");
        return 2;
    }
    pw_engine *e = pw_engine_new();
    pw_module *m = load(e, argv[1]);
    if (m) {
        test_reentrancy(e, m);
        test_memory_growth(e, m);
        test_unreachable_load(e, m);
        pw_module_free(m);
    }
    test_many_locals(e);
    pw_engine_free(e);
    test_fuel_regions(argv[1]);
    test_nan_canonicalization(argv[1]);
    return CHECK_REPORT();
}
