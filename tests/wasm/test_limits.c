/* Resource limits of the engine: fuel, interruption and deadlines, memory
 * cap and call depth. Each exhaustion must be a trap of its own kind, and the
 * store must stay usable afterwards. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "portalis/base.h"
#include "portalis/engine.h"

#include "../check.h"

static double now_s(void) { return (double)pbase_now_ns() * 1e-9; }

typedef struct {
    pw_store *store;
    int calls;
} host_state;

static pw_error *host(pw_caller *c, void *ud, const pw_val *args, pw_val *results) {
    (void)c;
    (void)args;
    (void)results;
    ((host_state *)ud)->calls++;
    return NULL;
}

static pw_instance *instantiate(pw_engine *e, pw_store *s, const uint8_t *bytes, size_t len, host_state *hs) {
    pw_module *m;
    pw_error *err = pw_module_new(e, bytes, len, &m);
    if (err) {
        printf("load: %s\n", pw_error_message(err));
        pw_error_free(err);
        return NULL;
    }
    pw_extern imp = {.kind = PW_EXTERN_FUNC};
    imp.of.func = pw_func_new(s, NULL, 0, NULL, 0, host, hs, NULL);
    pw_instance *inst;
    err = pw_instance_new(s, m, &imp, 1, &inst);
    pw_module_free(m);
    if (err) {
        printf("instantiate: %s\n", pw_error_message(err));
        pw_error_free(err);
        return NULL;
    }
    return inst;
}

static pw_trap_kind call1(pw_store *s, pw_instance *inst, const char *name, int32_t arg, int32_t *result) {
    pw_func *f = pw_instance_func(inst, name);
    pw_functype t = pw_func_type(f);
    pw_val a = {.kind = PW_I32, .of.i32 = arg}, r = {.kind = PW_I32};
    pw_error *err = pw_func_call(s, f, &a, t.nparams, &r, t.nresults);
    if (!err) {
        if (result)
            *result = r.of.i32;
        return PW_TRAP_NONE;
    }
    pw_trap_kind k = pw_error_trap(err);
    if (k == PW_TRAP_NONE)
        printf("unexpected error: %s\n", pw_error_message(err));
    pw_error_free(err);
    return k;
}

static void *interrupter(void *arg) {
    usleep(50000);
    pw_store_interrupt(arg);
    return NULL;
}

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: test_limits limits.wasm\n");
        return 2;
    }
    size_t len;
    char *file;
    pbase_error perr;
    if (pbase_read_file(argv[1], (size_t)1 << 26, &file, &len, &perr) != 0) {
        fprintf(stderr, "%s\n", perr.message);
        return 2;
    }
    uint8_t *bytes = (uint8_t *)file;
    host_state hs = {0};
    int32_t r;

    /* fuel */
    pw_engine_config cfg = {.consume_fuel = true, .interruptible = true};
    pw_engine *e = pw_engine_new_with(&cfg);
    pw_store *s = pw_store_new(e);
    pw_instance *inst = instantiate(e, s, bytes, len, &hs);
    CHECK(inst != NULL, "instantiate with checks");
    if (!inst)
        return 1;
    CHECK(pw_store_fuel(s) == UINT64_MAX, "fuel starts unlimited");
    CHECK(call1(s, inst, "count", 1000, &r) == PW_TRAP_NONE && r == 1000, "count runs without a fuel limit");
    pw_store_set_fuel(s, 10000);
    CHECK(call1(s, inst, "spin", 0, NULL) == PW_TRAP_OUT_OF_FUEL, "spin runs out of fuel");
    CHECK(pw_store_fuel(s) == 0, "fuel is spent");
    CHECK(call1(s, inst, "count", 5, NULL) == PW_TRAP_OUT_OF_FUEL, "no fuel left, no progress");
    pw_store_set_fuel(s, 100000);
    CHECK(call1(s, inst, "count", 100, &r) == PW_TRAP_NONE && r == 100, "refilled store works");
    uint64_t left = pw_store_fuel(s);
    CHECK(left < 100000 && left > 100000 - 2000, "count(100) charged a bounded amount (left %llu)",
          (unsigned long long)left);
    /* determinism: the same call charges the same fuel */
    pw_store_set_fuel(s, 100000);
    call1(s, inst, "count", 100, NULL);
    CHECK(pw_store_fuel(s) == left, "fuel charge is deterministic");
    pw_store_set_fuel(s, 50000);
    CHECK(call1(s, inst, "table_loop", 0, NULL) == PW_TRAP_OUT_OF_FUEL, "br_table back-edge charges fuel");
    pw_store_set_fuel(s, 1000);
    CHECK(call1(s, inst, "recurse", 100000, NULL) == PW_TRAP_OUT_OF_FUEL, "calls charge fuel");
    pw_store_set_unlimited_fuel(s);

    /* interrupt from another thread */
    pthread_t th;
    pthread_create(&th, NULL, interrupter, s);
    double t0 = now_s();
    CHECK(call1(s, inst, "spin_if", 0, NULL) == PW_TRAP_DEADLINE, "interrupt stops a loop");
    pthread_join(th, NULL);
    CHECK(now_s() - t0 < 5.0, "interrupt is prompt");
    CHECK(call1(s, inst, "count", 10, &r) == PW_TRAP_NONE && r == 10, "store usable after interrupt");

    /* deadline */
    pw_store_set_deadline(s, 100 * 1000000ull);
    t0 = now_s();
    CHECK(call1(s, inst, "spin", 0, NULL) == PW_TRAP_DEADLINE, "deadline stops spin");
    double dt = now_s() - t0;
    CHECK(dt >= 0.09 && dt < 5.0, "deadline after about 100 ms (%.3f s)", dt);
    CHECK(call1(s, inst, "count", 10, &r) == PW_TRAP_NONE && r == 10, "store usable after deadline");
    CHECK(call1(s, inst, "host_then_spin", 0, NULL) == PW_TRAP_DEADLINE, "deadline after a host call");
    CHECK(hs.calls == 1, "host was called");
    pw_store_set_deadline(s, 0);
    CHECK(call1(s, inst, "count", 1000000, &r) == PW_TRAP_NONE && r == 1000000,
          "no deadline: long call completes");

    /* call depth */
    pw_store_set_max_call_depth(s, 100);
    CHECK(call1(s, inst, "recurse", 50, &r) == PW_TRAP_NONE && r == 50, "recursion under the depth limit");
    CHECK(call1(s, inst, "recurse", 500, NULL) == PW_TRAP_STACK_EXHAUSTED, "depth limit traps");
    pw_store_set_max_call_depth(s, 100000);
    CHECK(call1(s, inst, "recurse", 5000, &r) == PW_TRAP_NONE && r == 5000, "raised depth limit");
    pw_store_free(s);

    /* memory cap */
    s = pw_store_new(e);
    pw_store_set_memory_limit(s, 4 * 65536);
    inst = instantiate(e, s, bytes, len, &hs);
    CHECK(inst != NULL, "instantiate under a 4-page cap");
    if (inst) {
        CHECK(call1(s, inst, "grow", 2, &r) == PW_TRAP_NONE && r == 1, "grow within cap");
        CHECK(call1(s, inst, "grow", 2, &r) == PW_TRAP_NONE && r == -1, "grow past cap returns -1");
        CHECK(call1(s, inst, "grow", 1, &r) == PW_TRAP_NONE && r == 3, "grow to the cap");
    }
    pw_store_free(s);
    s = pw_store_new(e);
    pw_store_set_memory_limit(s, 65536 / 2);
    pw_module *m;
    pw_error *err = pw_module_new(e, bytes, len, &m);
    CHECK(!err, "module loads");
    pw_extern imp = {.kind = PW_EXTERN_FUNC};
    imp.of.func = pw_func_new(s, NULL, 0, NULL, 0, host, &hs, NULL);
    err = pw_instance_new(s, m, &imp, 1, &inst);
    CHECK(err && pw_error_kind_of(err) == PW_ERR_RESOURCE && strstr(pw_error_message(err), "limit"),
          "instantiation fails when the minimum exceeds the cap: %s", err ? pw_error_message(err) : "(no error)");
    pw_error_free(err);
    pw_module_free(m);
    pw_store_free(s);
    pw_engine_free(e);

    /* an engine without checks still runs the same code */
    e = pw_engine_new();
    s = pw_store_new(e);
    inst = instantiate(e, s, bytes, len, &hs);
    CHECK(inst && call1(s, inst, "count", 1000, &r) == PW_TRAP_NONE && r == 1000, "engine without checks");
    pw_store_free(s);
    pw_engine_free(e);
    free(bytes);
    return CHECK_REPORT();
}
