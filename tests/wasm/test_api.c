/* Embedding API behaviour not covered by the spec suite: export names with
 * NUL bytes, argument checking with clear messages, multi-value results,
 * host functions with user data, trap values with backtraces. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "portalis/engine.h"

#include "../check.h"

static pw_error *host_add(pw_caller *c, void *ud, const pw_val *args, pw_val *results) {
    (void)c;
    ++*(int *)ud;
    results[0].of.i32 = args[0].of.i32 + args[1].of.i32;
    return NULL;
}

static int32_t call_export(pw_store *s, pw_instance *inst, const char *name, size_t len) {
    pw_extern ex;
    if (!pw_instance_export_n(inst, name, len, &ex) || ex.kind != PW_EXTERN_FUNC)
        return -1;
    pw_val r;
    pw_error *e = pw_func_call(s, ex.of.func, NULL, 0, &r, 1);
    if (e) {
        pw_error_free(e);
        return -2;
    }
    return r.of.i32;
}

int main(int argc, char **argv) {
    if (argc < 2)
        return 2;
    pw_engine *eng = pw_engine_new();
    pw_module *m;
    pw_error *err = pw_module_from_file(eng, argv[1], &m);
    if (err) {
        printf("load: %s\n", pw_error_message(err));
        return 1;
    }
    pw_store *s = pw_store_new(eng);
    int calls = 0;
    pw_valkind ii[2] = {PW_I32, PW_I32}, i = PW_I32;
    pw_extern imp = {.kind = PW_EXTERN_FUNC};
    imp.of.func = pw_func_new(s, ii, 2, &i, 1, host_add, &calls, NULL);
    pw_instance *inst;
    err = pw_instance_new(s, m, &imp, 1, &inst);
    CHECK(!err, "instantiate");
    if (err)
        return 1;

    CHECK(call_export(s, inst, "", 0) == 1, "export \"\"");
    CHECK(call_export(s, inst, "\0\1", 2) == 2, "export \"\\00\\01\"");
    CHECK(call_export(s, inst, "\0", 1) == 3, "export \"\\00\"");
    CHECK(call_export(s, inst, "\0\2", 2) == -1, "no such export");
    CHECK(pw_module_export_name_len(m, 1) == 2, "export name length");

    pw_func *swap = pw_instance_func(inst, "swap");
    pw_val args[2] = {{.kind = PW_I64, .of.i64 = -5}, {.kind = PW_F64, .of.f64 = 2.5}}, res[2];
    err = pw_func_call(s, swap, args, 2, res, 2);
    CHECK(!err && res[0].kind == PW_F64 && res[0].of.f64 == 2.5 && res[1].kind == PW_I64 && res[1].of.i64 == -5,
          "multi-value results");
    err = pw_func_call(s, swap, args, 1, res, 2);
    CHECK(err && pw_error_kind_of(err) == PW_ERR_ARGUMENT &&
              strstr(pw_error_message(err), "expected 2 arguments (i64, f64), got 1"),
          "argument count message: %s", err ? pw_error_message(err) : "none");
    pw_error_free(err);
    pw_val bad[2] = {{.kind = PW_I32, .of.i32 = 1}, {.kind = PW_F64, .of.f64 = 1}};
    err = pw_func_call(s, swap, bad, 2, res, 2);
    CHECK(err && pw_error_kind_of(err) == PW_ERR_ARGUMENT, "argument kind checked");
    pw_error_free(err);

    pw_val a = {.kind = PW_I32, .of.i32 = 2}, r;
    err = pw_func_call(s, pw_instance_func(inst, "via_host"), &a, 1, &r, 1);
    CHECK(!err && r.of.i32 == 42 && calls == 1, "host function with user data");

    pw_val d[2] = {{.kind = PW_I32, .of.i32 = 1}, {.kind = PW_I32, .of.i32 = 0}};
    err = pw_func_call(s, pw_instance_func(inst, "div"), d, 2, &r, 1);
    CHECK(err && pw_error_trap(err) == PW_TRAP_DIV_BY_ZERO && pw_error_frame_count(err) == 1 &&
              strstr(pw_error_message(err), "integer divide by zero"),
          "trap value: %s", err ? pw_error_message(err) : "none");
    pw_error_free(err);
    d[1].of.i32 = 3;
    d[0].of.i32 = 9;
    err = pw_func_call(s, pw_instance_func(inst, "div"), d, 2, &r, 1);
    CHECK(!err && r.of.i32 == 3, "store usable after a trap");

    uint64_t slots[2] = {7, 0};
    err = pw_func_call_unchecked(s, pw_instance_func(inst, "via_host"), slots);
    CHECK(!err && (int32_t)slots[0] == 47, "unchecked call");

    pw_store_free(s);
    pw_module_free(m);
    pw_engine_free(eng);
    return CHECK_REPORT();
}
