/* SIMD (issue 18): v128 values through the embedding API (arguments,
 * results, host functions, globals), and vectorised modules from clang
 * (-O3 -msimd128) and Rust (+simd128) that must agree with their scalar
 * builds, on every engine configuration; a SIMD module asked for the native
 * tier runs as native code.
 *
 * usage: test_simd simd_api.wasm [SIMD.wasm SCALAR.wasm]...
 */
#include <stdlib.h>
#include <string.h>

#include <portalis/base.h>
#include <portalis/engine.h>

#include "../check.h"

static pw_val v128(uint64_t lo, uint64_t hi) {
    pw_val v;
    memset(&v, 0, sizeof v);
    v.kind = PW_V128;
    v.of.v128.u64[0] = lo;
    v.of.v128.u64[1] = hi;
    return v;
}
static bool is_v128(pw_val v, uint64_t lo, uint64_t hi) {
    return v.kind == PW_V128 && v.of.v128.u64[0] == lo && v.of.v128.u64[1] == hi;
}

/* host.rev(i32 n, v128 x) -> (x with its halves swapped, n): a v128 among
 * scalars on the way in and out of the host. */
static pw_error *rev(pw_caller *c, void *user, const pw_val *args, pw_val *results) {
    (void)c;
    (void)user;
    results[0] = v128(args[1].of.v128.u64[1], args[1].of.v128.u64[0]);
    results[1].of.i64 = args[0].of.i32;
    return NULL;
}

static pw_func *export_func(pw_instance *inst, const char *name) {
    pw_extern e;
    return pw_instance_export(inst, name, &e) && e.kind == PW_EXTERN_FUNC ? e.of.func : NULL;
}

static bool traps_oob(pw_error *e) {
    bool oob = e && pw_error_trap(e) == PW_TRAP_MEMORY_OOB;
    pw_error_free(e);
    return oob;
}

/* The interpreter's SIMD superinstructions agree with the unfused code, and
 * each memory operand is checked: a trap leaves the other address unwritten. */
static void test_fused(pw_store *s, pw_instance *inst) {
    for (int32_t seed = 1; seed <= 3; seed++) {
        pw_val args[3] = {{.kind = PW_I32, .of.i32 = seed * 7919}}, out[1];
        pw_error *e = pw_func_call(s, export_func(inst, "fused_agree"), args, 1, out, 1);
        CHECK(!e && out[0].of.i32 == 1, "fused SIMD forms agree with the unfused ones (seed %d)", seed);
        pw_error_free(e);
    }
    pw_extern mem;
    CHECK(pw_instance_export(inst, "mem", &mem) && mem.kind == PW_EXTERN_MEMORY, "export mem");
    uint8_t *base = pw_memory_data(mem.of.memory);
    size_t size = pw_memory_size(mem.of.memory);
    uint8_t before[16];
    memcpy(before, base, 16);
    pw_val args[3] = {{.kind = PW_I32, .of.i32 = 0},
                      {.kind = PW_I32, .of.i32 = (int32_t)size - 8},
                      {.kind = PW_F64, .of.f64 = 2}};
    CHECK(traps_oob(pw_func_call(s, export_func(inst, "axpy64"), args, 3, NULL, 0)), "axpy: mem2 out of bounds");
    args[0].of.i32 = (int32_t)size - 15;
    args[1].of.i32 = 0;
    CHECK(traps_oob(pw_func_call(s, export_func(inst, "axpy64"), args, 3, NULL, 0)), "axpy: mem1 out of bounds");
    CHECK(!memcmp(before, base, 16), "a trapping axpy writes nothing");
    args[0].of.i32 = (int32_t)size - 48;
    args[1] = v128(1, 2);
    CHECK(traps_oob(pw_func_call(s, export_func(inst, "sub32"), args, 2, NULL, 0)), "rmw out of bounds");
    args[0].of.i32 = (int32_t)size - 9;
    args[1] = (pw_val){.kind = PW_I32, .of.i32 = 0};
    args[2] = v128(3, 4);
    CHECK(traps_oob(pw_func_call(s, export_func(inst, "gather"), args, 3, NULL, 0)), "lane load out of bounds");
}

static void test_api(pw_engine *engine, const char *path) {
    pw_module *m = NULL;
    pw_error *e = pw_module_from_file(engine, path, &m);
    CHECK(!e, "load %s: %s", path, e ? pw_error_message(e) : "");
    if (e) {
        pw_error_free(e);
        return;
    }
    pw_store *s = pw_store_new(engine);
    pw_valkind params[] = {PW_I32, PW_V128}, res[] = {PW_V128, PW_I64};
    pw_extern imp = {.kind = PW_EXTERN_FUNC};
    imp.of.func = pw_func_new(s, params, 2, res, 2, rev, NULL, NULL);
    pw_instance *inst = NULL;
    e = pw_instance_new(s, m, &imp, 1, &inst);
    CHECK(!e, "instantiate: %s", e ? pw_error_message(e) : "");
    if (e) {
        pw_error_free(e);
        goto out;
    }
    pw_val args[3] = {v128(1, 2), {.kind = PW_I32, .of.i32 = -5}, v128(3, 4)}, out[3];
    e = pw_func_call(s, export_func(inst, "swap"), args, 3, out, 3);
    CHECK(!e && is_v128(out[0], 3, 4) && out[1].of.i32 == -5 && is_v128(out[2], 1, 2), "swap");
    pw_error_free(e);

    args[0] = v128(0x1111, 0x2222);
    e = pw_func_call(s, export_func(inst, "via_host"), args, 1, out, 2);
    CHECK(!e && is_v128(out[0], 0x2222, 0x1111) && out[1].kind == PW_I64 && out[1].of.i64 == 9, "via_host");
    pw_error_free(e);

    args[0] = (pw_val){.kind = PW_I32, .of.i32 = 10};
    e = pw_func_call(s, export_func(inst, "bump"), args, 1, out, 1);
    CHECK(!e && is_v128(out[0], 12ull << 32 | 11, 14ull << 32 | 13), "bump");
    pw_error_free(e);
    pw_extern g;
    CHECK(pw_instance_export(inst, "g", &g) && g.kind == PW_EXTERN_GLOBAL, "export g");
    pw_val gv = pw_global_get(g.of.global);
    CHECK(is_v128(gv, 12ull << 32 | 11, 14ull << 32 | 13), "global read");
    CHECK(pw_global_set(g.of.global, v128(5, 6)), "global write");
    args[0].of.i32 = 1;
    e = pw_func_call(s, export_func(inst, "bump"), args, 1, out, 1);
    CHECK(!e && is_v128(out[0], 1ull << 32 | 6, 1ull << 32 | 7), "bump after a host write");
    pw_error_free(e);
    CHECK(pw_instance_export(inst, "k", &g) && is_v128(pw_global_get(g.of.global), UINT64_MAX, 7),
          "constant global");

    /* select keeps a (cond 1), squares it in f32x4 and branches out with it */
    float two[4] = {2, -3, 0.5f, 1};
    pw_val a = v128(0, 0), b = v128(0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull);
    memcpy(a.of.v128.f32, two, sizeof two);
    pw_val pargs[3] = {a, b, {.kind = PW_I32, .of.i32 = 1}};
    e = pw_func_call(s, export_func(inst, "pick"), pargs, 3, out, 1);
    CHECK(!e && out[0].of.v128.f32[0] == 4 && out[0].of.v128.f32[1] == 9 && out[0].of.v128.f32[2] == 0.25f,
          "pick through br_if");
    pw_error_free(e);
    pargs[2].of.i32 = 0; /* b squared as f32s, then its bytes reversed */
    e = pw_func_call(s, export_func(inst, "pick"), pargs, 3, out, 1);
    pw_val sq = b;
    for (int i = 0; i < 4; i++)
        sq.of.v128.f32[i] = b.of.v128.f32[i] * b.of.v128.f32[i];
    bool reversed = !e;
    for (int i = 0; i < 16 && reversed; i++)
        reversed = out[0].of.v128.u8[i] == sq.of.v128.u8[15 - i];
    CHECK(reversed, "pick through the shuffle");
    pw_error_free(e);

    args[0] = v128(40, 2);
    e = pw_func_call(s, export_func(inst, "sum"), args, 1, out, 1);
    CHECK(!e && out[0].of.i64 == 42, "sum");
    pw_error_free(e);
    args[0] = (pw_val){.kind = PW_I64, .of.i64 = 1};
    e = pw_func_call(s, export_func(inst, "sum"), args, 1, out, 1);
    CHECK(e && pw_error_kind_of(e) == PW_ERR_ARGUMENT, "an i64 where a v128 is expected is refused");
    pw_error_free(e);
    test_fused(s, inst);
out:
    pw_store_free(s);
    pw_module_free(m);
}

/* How many IR instructions of module m run SIMD (its disassembly). */
static unsigned simd_instructions(const pw_module *m, uint32_t nfuncs) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return 0;
    for (uint32_t i = 0; i < nfuncs; i++)
        pw_module_disassemble(m, i, f);
    fclose(f);
    unsigned n = 0;
    for (const char *p = buf; (p = strstr(p, " simd")) != NULL; p++)
        n++;
    free(buf);
    return n;
}

/* run(iters) of a kernel module, or 0 with a failed check. */
static uint64_t run_kernel(pw_engine *engine, const char *path, pw_tier_kind tier, unsigned *nsimd,
                           bool *native) {
    pw_module *m = NULL;
    char *bytes = NULL;
    size_t len = 0;
    pbase_error perr;
    if (pbase_read_file(path, 1u << 26, &bytes, &len, &perr) != 0) {
        CHECK(false, "read %s: %s", path, perr.message);
        return 0;
    }
    pw_error *e = pw_module_new_tier(engine, (const uint8_t *)bytes, len, tier, &m);
    free(bytes);
    uint64_t r = 0;
    CHECK(!e, "load %s: %s", path, e ? pw_error_message(e) : "");
    if (e) {
        pw_error_free(e);
        return 0;
    }
    /* the interpreter's code tells how many SIMD instructions there are */
    if (tier == PW_TIER_INTERP) {
        size_t nfuncs, bin, code;
        pw_module_sizes(m, &nfuncs, &bin, &code);
        *nsimd = simd_instructions(m, (uint32_t)nfuncs);
    } else {
        pw_module_tier_wait(m);
        *native = pw_module_tier(m, NULL) == PW_TIER_NATIVE;
    }
    pw_store *s = pw_store_new(engine);
    pw_instance *inst = NULL;
    e = pw_instance_new(s, m, NULL, 0, &inst);
    pw_func *f = e ? NULL : export_func(inst, "run");
    CHECK(!e && f, "instantiate %s: %s", path, e ? pw_error_message(e) : "no export 'run'");
    if (f) {
        pw_val arg = {.kind = PW_I32, .of.i32 = 7}, res;
        pw_store_set_fuel(s, 1000000000);
        e = pw_func_call(s, f, &arg, 1, &res, 1);
        CHECK(!e, "run %s: %s", path, e ? pw_error_message(e) : "");
        r = e ? 0 : (uint64_t)res.of.i64;
    }
    pw_error_free(e);
    pw_store_free(s);
    pw_module_free(m);
    return r;
}

int main(int argc, char **argv) {
    if (argc < 2 || argc % 2) {
        fprintf(stderr, "usage: test_simd simd_api.wasm [SIMD.wasm SCALAR.wasm]...\n");
        return 2;
    }
    /* plain, fuel and interruption checks, NaN canonicalisation, native */
    pw_engine_config cfgs[4];
    memset(cfgs, 0, sizeof cfgs);
    cfgs[1].consume_fuel = cfgs[1].interruptible = true;
    cfgs[2].canonicalize_nans = true;
    cfgs[3].tier = PW_TIER_NATIVE;
    const char *names[4] = {"plain", "fuel", "canon", "native"};
    for (int c = 0; c < 4; c++) {
        pw_engine *engine = pw_engine_new_with(&cfgs[c]);
        test_api(engine, argv[1]);
        for (int k = 2; k + 1 < argc; k += 2) {
            unsigned nv = 0, ns = 0;
            bool native = false, native_scalar = false;
            uint64_t v = run_kernel(engine, argv[k], cfgs[c].tier, &nv, &native);
            uint64_t sc = run_kernel(engine, argv[k + 1], PW_TIER_INTERP, &ns, &native_scalar);
            if (cfgs[c].tier != PW_TIER_INTERP)
                run_kernel(engine, argv[k], PW_TIER_INTERP, &nv, &native_scalar);
            printf("%s %s: %u SIMD instructions, run(7) = %llu; scalar build %llu\n", names[c], argv[k], nv,
                   (unsigned long long)v, (unsigned long long)sc);
            CHECK(nv >= 10 && ns == 0, "%s is vectorised (%u SIMD instructions), its scalar build not (%u)",
                  argv[k], nv, ns);
            CHECK(v == sc && v != 0, "%s (%s): SIMD and scalar builds agree", argv[k], names[c]);
            if (cfgs[c].tier == PW_TIER_NATIVE)
                CHECK(native, "%s: on the native tier a SIMD module runs as native code", argv[k]);
        }
        pw_engine_free(engine);
    }
    return CHECK_REPORT();
}
