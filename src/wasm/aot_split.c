/* Generated C into translation units, so that a large module compiles in
 * several C compiler processes at once (aot_cc.c runs them in parallel).
 *
 * Every unit includes the shared header ("m.h": ABI, helpers, types and the
 * prototype of every function) and holds a share of the function
 * definitions; unit 0 also holds the entry wrappers and the function table.
 * Functions are dealt costliest first to the unit with the least cost so
 * far (ties to the lower unit), which balances the units however the costs
 * are spread, and each unit keeps its functions in index order. A
 * function's cost is its text, plus COST_PER_LABEL_VAR times labels x
 * variables (the generator counts both): gcc's dataflow and register
 * allocation work grows with that product, so a function with many labels
 * and locals costs more than its size says; plus COST_PER_FUNC, what gcc
 * spends on any function however small, in the same units (bytes of C)
 * (docs/aot.md, "Translation units"). Everything here depends on the generated text, those counts and
 * the cap on the unit count alone (aot_module.c takes the cap from the
 * processors and puts it in the cache key), so the same module and cap
 * always give the same units, the same object and the same cache entry.
 *
 * A split module's functions have hidden external linkage (one unit calls
 * into another, never through the PLT); an unsplit one keeps them static, so
 * small modules (the benchmark kernels) are compiled exactly as one file. */
#include <stdlib.h>
#include <string.h>

#include "aot.h"

/* C text per unit to aim for. A unit costs one compiler start and one parse
 * of the header (a few milliseconds), so units much smaller than this cost
 * more than they save. More units also cost compiler work: what gcc learns
 * about a callee in another unit is lost, so callers keep code one unit
 * would have removed - on bench/call_overhead's module (random calls between
 * all functions) 2 units take 1.3 times the CPU of one, 4 units 1.5 times,
 * 8 units 2.2 times (docs/aot.md, "Measured"); the caller caps the count
 * (PW_AOT_MAX_UNITS, and the processors that compile them). */
enum { UNIT_BYTES = 64 * 1024, MAX_UNITS = PW_AOT_MAX_UNITS, COST_PER_LABEL_VAR = 16, COST_PER_FUNC = 1024 };

const char *pw_aot_split_build_id(void) { return "aot-split " __DATE__ " " __TIME__; }

void pw_aot_text_free(aot_text *t) {
    pw_aot_buf_free(&t->head);
    pw_aot_buf_free(&t->funcs);
    pw_aot_buf_free(&t->table);
    free(t->fend);
    free(t->fcost);
    memset(t, 0, sizeof *t);
}

void pw_aot_units_free(aot_units *u) {
    for (uint32_t i = 0; u->units && i < u->n; i++)
        pw_aot_buf_free(&u->units[i]);
    free(u->units);
    memset(u, 0, sizeof *u);
}

static size_t fsize(const aot_text *t, uint32_t i) { return t->fend[i] - (i ? t->fend[i - 1] : 0); }

static uint64_t fcost(const aot_text *t, uint32_t i) {
    return COST_PER_FUNC + fsize(t, i) + COST_PER_LABEL_VAR * t->fcost[i];
}

typedef struct {
    const aot_text *t;
    uint32_t i;
} by_cost;

static int costlier_first(const void *a, const void *b) {
    const by_cost *x = a, *y = b;
    uint64_t cx = fcost(x->t, x->i), cy = fcost(y->t, y->i);
    if (cx != cy)
        return cx > cy ? -1 : 1;
    return x->i < y->i ? -1 : 1;
}

/* unit[i] for each defined function i; false on allocation failure */
static bool assign(const aot_text *t, uint32_t n, uint32_t *unit) {
    if (n == 1) {
        memset(unit, 0, t->nfuncs * sizeof *unit);
        return true;
    }
    by_cost *order = malloc((t->nfuncs + 1) * sizeof *order);
    uint64_t load[MAX_UNITS] = {0};
    if (!order)
        return false;
    for (uint32_t i = 0; i < t->nfuncs; i++)
        order[i] = (by_cost){t, i};
    qsort(order, t->nfuncs, sizeof *order, costlier_first);
    load[0] = t->table.n;
    for (uint32_t k = 0; k < t->nfuncs; k++) {
        uint32_t best = 0;
        for (uint32_t u = 1; u < n; u++)
            if (load[u] < load[best])
                best = u;
        unit[order[k].i] = best;
        load[best] += fcost(t, order[k].i);
    }
    free(order);
    return true;
}

bool pw_aot_split(const aot_text *t, uint32_t max_units, aot_units *out) {
    memset(out, 0, sizeof *out);
    /* no unit smaller than the largest function: that one bounds the time
     * anyway, and every further unit costs a compiler start */
    size_t total = t->funcs.n + t->table.n, unit_bytes = UNIT_BYTES;
    for (uint32_t i = 0; i < t->nfuncs; i++)
        unit_bytes = fsize(t, i) > unit_bytes ? fsize(t, i) : unit_bytes;
    uint32_t n = (uint32_t)(total / unit_bytes);
    max_units = max_units < 1 ? 1 : max_units > MAX_UNITS ? MAX_UNITS : max_units;
    n = n < 2 ? 1 : n > max_units ? max_units : n;
    if (n > t->nfuncs)
        n = t->nfuncs ? t->nfuncs : 1;
    uint32_t *unit = malloc((t->nfuncs + 1) * sizeof *unit);
    out->units = calloc(n, sizeof *out->units);
    if (!unit || !out->units || !assign(t, n, unit)) {
        free(unit);
        pw_aot_units_free(out);
        return false;
    }
    out->n = n;
    bool oom = false;
    for (uint32_t u = 0; u < n; u++) {
        aot_buf *b = &out->units[u];
        pw_aot_buf_printf(b, "#define FN %s\n#define FNI %s\n#include \"m.h\"\n",
                          n == 1 ? "static" : "__attribute__((visibility(\"hidden\")))",
                          n == 1 ? "static inline" : "__attribute__((visibility(\"hidden\")))");
        for (uint32_t i = 0; i < t->nfuncs; i++)
            if (unit[i] == u)
                pw_aot_buf_put(b, t->funcs.s + (i ? t->fend[i - 1] : 0), fsize(t, i));
        if (u == 0)
            pw_aot_buf_put(b, t->table.s ? t->table.s : "", t->table.n);
        oom |= b->oom;
    }
    free(unit);
    if (oom)
        pw_aot_units_free(out);
    return !oom;
}
