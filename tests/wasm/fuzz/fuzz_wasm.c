/* libFuzzer target for the WebAssembly engine: the input is a module.
 * Each input runs three times (fuzz_run.c: load, instantiate with dummy
 * imports, call every export with zero arguments, memory capped):
 *   F  with fuel metering, a budget per call;
 *   P  without fuel (its translation differs), executed only when F never
 *      ran out of fuel, so it is bounded too;
 *   S  as F, on the interpreter built with switch dispatch.
 * Each must load or reject the module alike and, where executed, give the
 * same outcomes (result bits, or trap kind) and end state: a difference,
 * a crash, a sanitizer report or a leak is a finding. Engine options that
 * change the translation (interruption checks, NaN canonicalisation) are
 * taken from the input's length, the same for the three runs. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_run.h"

static void print_result(const char *name, const fuzz_result *r) {
    fprintf(stderr, "%s: load %d inst %d out_of_fuel %d state %016llx calls %u:", name, r->load, r->inst,
            (int)r->out_of_fuel, (unsigned long long)r->state, r->ncalls);
    for (uint32_t i = 0; i < r->ncalls; i++)
        fprintf(stderr, " %d/%016llx", r->call[i], (unsigned long long)r->results[i]);
    fprintf(stderr, "\n");
}

static bool same(const fuzz_result *a, const fuzz_result *b) {
    if (a->load != b->load || a->inst != b->inst || a->state != b->state || a->ncalls != b->ncalls)
        return false;
    for (uint32_t i = 0; i < a->ncalls; i++)
        if (a->call[i] != b->call[i] || a->results[i] != b->results[i])
            return false;
    return true;
}

static void expect_same(const char *what, const char *na, const fuzz_result *a, const char *nb,
                        const fuzz_result *b) {
    if (same(a, b))
        return;
    fprintf(stderr, "fuzz_wasm: %s differ\n", what);
    print_result(na, a);
    print_result(nb, b);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fuzz_mode mode = {
        .fuel = true, .execute = true, .interruptible = size & 1, .canonicalize_nans = (size & 2) != 0};
    fuzz_result f, p, s;
    fuzz_run(data, size, mode, &f);

    fuzz_mode plain = mode;
    plain.fuel = false;
    plain.execute = f.load == 0 && !f.out_of_fuel;
    fuzz_run(data, size, plain, &p);
    if (!plain.execute) {
        if (p.load != f.load) {
            fprintf(stderr, "fuzz_wasm: the engines with and without fuel load the module differently\n");
            print_result("fuel", &f);
            print_result("plain", &p);
            abort();
        }
    } else {
        expect_same("the runs with and without fuel", "fuel", &f, "plain", &p);
    }

    sw_fuzz_run(data, size, mode, &s);
    expect_same("the computed-goto and switch interpreters", "goto", &f, "switch", &s);
    return 0;
}
