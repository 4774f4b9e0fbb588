/* call_overhead: micro-benchmarks of the engine's embedding API (not a test).
 *
 * (a) Module load time: pw_module_new (decode + validate + translate every
 *     function) of a ~200 KB module, median of many runs. The module is
 *     generated here, deterministically: ~200 KB of code shaped like compiler
 *     output (locals, integer and float arithmetic, loads and stores, blocks,
 *     loops, if/else, br_if, br_table, direct calls), so the figure does not
 *     depend on building the bench kernels. Extra .wasm files given on the
 *     command line are timed the same way (e.g. the bench kernels' wasm
 *     flavour, 90 to 140 KB each).
 * (b) Call overhead from C of an exported (f64, f64, f64) -> f64 function,
 *     through pw_func_call and pw_func_call_unchecked, in ns per call.
 *
 * Targets (issue 2): load <= 2 ms, call <= 25 ns. With --tier native the
 * first load compiles (or finds) native code and every further load is a
 * cache hit: the median is the native tier's cached load (issue 12: <= 1 ms).
 *
 *   call_overhead [--runs N] [--calls N] [--tier T] [--write-module PATH] [FILE.wasm ...]
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <portalis/base.h>
#include <portalis/engine.h>

/* ---- byte buffer ------------------------------------------------------- */

typedef struct {
    uint8_t *p;
    size_t len, cap;
} buf;

static void put(buf *b, uint8_t c) {
    if (b->len == b->cap) {
        b->cap = b->cap ? b->cap * 2 : 256;
        b->p = realloc(b->p, b->cap);
        if (!b->p)
            abort();
    }
    b->p[b->len++] = c;
}

static void put_bytes(buf *b, const void *d, size_t n) {
    for (size_t i = 0; i < n; i++)
        put(b, ((const uint8_t *)d)[i]);
}

static void put_u32(buf *b, uint32_t v) {
    do {
        uint8_t c = v & 0x7f;
        v >>= 7;
        put(b, v ? (uint8_t)(c | 0x80) : c);
    } while (v);
}

static void put_s32(buf *b, int32_t v) {
    for (;;) {
        uint8_t c = (uint8_t)(v & 0x7f);
        v >>= 7; /* arithmetic shift on every compiler we support */
        bool done = (v == 0 && !(c & 0x40)) || (v == -1 && (c & 0x40));
        put(b, done ? c : (uint8_t)(c | 0x80));
        if (done)
            break;
    }
}

static void put_section(buf *m, uint8_t id, const buf *payload) {
    put(m, id);
    put_u32(m, (uint32_t)payload->len);
    put_bytes(m, payload->p, payload->len);
}

static void put_name(buf *b, const char *s) {
    put_u32(b, (uint32_t)strlen(s));
    put_bytes(b, s, strlen(s));
}

/* ---- the generated module ------------------------------------------------ */

static uint64_t rng = 0x0123456789abcdefull;
static uint32_t rnd(uint32_t n) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng % n);
}

enum { LOCAL_GET = 0x20, LOCAL_SET = 0x21, LOCAL_TEE = 0x22, I32_CONST = 0x41, END = 0x0b };

/* Body of a function of type (i32, i32) -> i32 with locals: 2 params + 4 i32
 * (indices 0..5) + 2 f64 (6, 7) + 1 i64 (8). `self` is its index; it may call
 * functions [1, self). Every statement leaves the stack empty. */
static void gen_body(buf *out, uint32_t self, uint32_t nstmts) {
    buf b = {0};
    put_u32(&b, 3); /* local groups */
    put_u32(&b, 4);
    put(&b, 0x7f);
    put_u32(&b, 2);
    put(&b, 0x7c);
    put_u32(&b, 1);
    put(&b, 0x7e);
#define IL() (uint8_t) rnd(6) /* an i32 local */
    for (uint32_t s = 0; s < nstmts; s++) {
        switch (rnd(12)) {
        case 0: /* c = a op b */
            put(&b, LOCAL_GET), put(&b, IL()), put(&b, LOCAL_GET), put(&b, IL());
            put(&b, (uint8_t)(0x6a + rnd(11))); /* i32.add .. i32.shr_u excluding div/rem traps is irrelevant */
            put(&b, LOCAL_SET), put(&b, IL());
            break;
        case 1: /* c = a * K */
            put(&b, LOCAL_GET), put(&b, IL()), put(&b, I32_CONST), put_s32(&b, (int32_t)rnd(100000) - 50000);
            put(&b, 0x6c), put(&b, LOCAL_SET), put(&b, IL());
            break;
        case 2: /* c = load(a & mask, offset) */
            put(&b, LOCAL_GET), put(&b, IL()), put(&b, I32_CONST), put_s32(&b, 0xfffc), put(&b, 0x71);
            put(&b, 0x28), put_u32(&b, 2), put_u32(&b, rnd(64) * 4);
            put(&b, LOCAL_SET), put(&b, IL());
            break;
        case 3: /* store(a & mask, b) */
            put(&b, LOCAL_GET), put(&b, IL()), put(&b, I32_CONST), put_s32(&b, 0xfffc), put(&b, 0x71);
            put(&b, LOCAL_GET), put(&b, IL());
            put(&b, 0x36), put_u32(&b, 2), put_u32(&b, rnd(64) * 4);
            break;
        case 4: /* block; a; br_if 0; b = b + 1; end */
            put(&b, 0x02), put(&b, 0x40), put(&b, LOCAL_GET), put(&b, IL()), put(&b, 0x0d), put_u32(&b, 0);
            put(&b, LOCAL_GET), put(&b, 1), put(&b, I32_CONST), put_s32(&b, 1), put(&b, 0x6a);
            put(&b, LOCAL_SET), put(&b, 1), put(&b, END);
            break;
        case 5: /* if a then c = b else b = c */
            put(&b, LOCAL_GET), put(&b, IL()), put(&b, 0x04), put(&b, 0x40);
            put(&b, LOCAL_GET), put(&b, IL()), put(&b, LOCAL_SET), put(&b, IL());
            put(&b, 0x05);
            put(&b, LOCAL_GET), put(&b, IL()), put(&b, LOCAL_SET), put(&b, IL());
            put(&b, END);
            break;
        case 6: { /* fa = fa * fb + X */
            double x = rnd(1000) / 7.0;
            put(&b, LOCAL_GET), put(&b, 6), put(&b, LOCAL_GET), put(&b, 7), put(&b, 0xa2);
            put(&b, 0x44), put_bytes(&b, &x, 8), put(&b, 0xa0), put(&b, LOCAL_SET),
                put(&b, (uint8_t)(6 + rnd(2)));
            break;
        }
        case 7: /* c = call f(a, b) */
            if (self > 1) {
                put(&b, LOCAL_GET), put(&b, IL()), put(&b, LOCAL_GET), put(&b, IL());
                put(&b, 0x10), put_u32(&b, 1 + rnd(self - 1));
                put(&b, LOCAL_SET), put(&b, IL());
            }
            break;
        case 8: /* loop: a = a - 1; br_if a */
            put(&b, 0x03), put(&b, 0x40), put(&b, LOCAL_GET), put(&b, 2), put(&b, I32_CONST), put_s32(&b, 1);
            put(&b, 0x6b), put(&b, LOCAL_TEE), put(&b, 2), put(&b, 0x0d), put_u32(&b, 0), put(&b, END);
            break;
        case 9: /* c = (a << 3) ^ b */
            put(&b, LOCAL_GET), put(&b, IL()), put(&b, I32_CONST), put_s32(&b, 3), put(&b, 0x74);
            put(&b, LOCAL_GET), put(&b, IL()), put(&b, 0x73), put(&b, LOCAL_SET), put(&b, IL());
            break;
        case 10: /* i64: x = extend(a) * K + x; c = wrap(x) */
            put(&b, LOCAL_GET), put(&b, IL()), put(&b, 0xad), put(&b, 0x42), put_s32(&b, (int32_t)rnd(1 << 20));
            put(&b, 0x7e), put(&b, LOCAL_GET), put(&b, 8), put(&b, 0x7c), put(&b, LOCAL_TEE), put(&b, 8);
            put(&b, 0xa7), put(&b, LOCAL_SET), put(&b, IL());
            break;
        default: /* block block block a br_table 0 1 2 end end end */
            put(&b, 0x02), put(&b, 0x40), put(&b, 0x02), put(&b, 0x40), put(&b, 0x02), put(&b, 0x40);
            put(&b, LOCAL_GET), put(&b, IL()), put(&b, 0x0e), put_u32(&b, 2), put_u32(&b, 0), put_u32(&b, 1);
            put_u32(&b, 2);
            put(&b, END), put(&b, LOCAL_GET), put(&b, IL()), put(&b, LOCAL_SET), put(&b, IL());
            put(&b, END), put(&b, END);
            break;
        }
    }
#undef IL
    put(&b, LOCAL_GET), put(&b, 2), put(&b, END);
    put_u32(out, (uint32_t)b.len);
    put_bytes(out, b.p, b.len);
    free(b.p);
}

/* Function 0: (f64, f64, f64) -> f64 = a * b + c, exported as "f".
 * Functions 1..n: (i32, i32) -> i32, generated, the last exported as "g". */
static buf gen_module(size_t target_bytes) {
    buf m = {0}, s = {0};
    put_bytes(&m, "\0asm\1\0\0\0", 8);
    /* types */
    put_u32(&s, 2);
    put(&s, 0x60), put_u32(&s, 3), put(&s, 0x7c), put(&s, 0x7c), put(&s, 0x7c), put_u32(&s, 1), put(&s, 0x7c);
    put(&s, 0x60), put_u32(&s, 2), put(&s, 0x7f), put(&s, 0x7f), put_u32(&s, 1), put(&s, 0x7f);
    put_section(&m, 1, &s);
    /* code first into a buffer, to know the function count */
    buf code = {0};
    uint32_t nfuncs = 1;
    {
        static const uint8_t f0[] = {0x00, 0x20, 0x00, 0x20, 0x01, 0xa2, 0x20, 0x02, 0xa0, 0x0b};
        put_u32(&code, sizeof f0);
        put_bytes(&code, f0, sizeof f0);
    }
    while (code.len < target_bytes) {
        gen_body(&code, nfuncs, 5 + rnd(120));
        nfuncs++;
    }
    s.len = 0;
    put_u32(&s, nfuncs);
    put_u32(&s, 0);
    for (uint32_t i = 1; i < nfuncs; i++)
        put_u32(&s, 1);
    put_section(&m, 3, &s);
    s.len = 0; /* memory: 1 page */
    put_u32(&s, 1), put(&s, 0), put_u32(&s, 1);
    put_section(&m, 5, &s);
    s.len = 0;
    put_u32(&s, 2);
    put_name(&s, "f"), put(&s, 0), put_u32(&s, 0);
    put_name(&s, "g"), put(&s, 0), put_u32(&s, nfuncs - 1);
    put_section(&m, 7, &s);
    s.len = 0;
    put_u32(&s, nfuncs);
    put_bytes(&s, code.p, code.len);
    put_section(&m, 10, &s);
    free(s.p);
    free(code.p);
    return m;
}

/* ---- timing -------------------------------------------------------------- */

static double now_s(void) { return (double)pbase_now_ns() * 1e-9; }

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median load time in ms; returns a negative value if the module fails. */
static double time_load(pw_engine *engine, const uint8_t *bytes, size_t len, int runs, size_t *code_bytes) {
    double *t = malloc((size_t)runs * sizeof *t);
    if (!t)
        abort();
    for (int i = 0; i < runs; i++) {
        pw_module *m = NULL;
        double t0 = now_s();
        pw_error *e = pw_module_new(engine, bytes, len, &m);
        t[i] = (now_s() - t0) * 1e3;
        if (e) {
            fprintf(stderr, "call_overhead: module failed to load: %s\n", pw_error_message(e));
            pw_error_free(e);
            free(t);
            return -1;
        }
        if (i == 0 && code_bytes) {
            size_t nf, bin;
            pw_module_sizes(m, &nf, &bin, code_bytes);
        }
        pw_module_free(m);
    }
    qsort(t, (size_t)runs, sizeof *t, cmp_double);
    double med = t[runs / 2];
    free(t);
    return med;
}

int main(int argc, char **argv) {
    int runs = 201;
    long calls = 2000000;
    const char *write_path = NULL;
    pw_engine_config cfg = {.tier = PW_TIER_INTERP};
    int first_file = argc;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--runs") && i + 1 < argc)
            runs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--calls") && i + 1 < argc)
            calls = atol(argv[++i]);
        else if (!strcmp(argv[i], "--tier") && i + 1 < argc && pw_tier_parse(argv[i + 1], &cfg.tier))
            i++;
        else if (!strcmp(argv[i], "--write-module") && i + 1 < argc)
            write_path = argv[++i];
        else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            printf(
                "usage: call_overhead [--runs N] [--calls N] [--tier T] [--write-module PATH] [FILE.wasm ...]\n"
                "Times module load (median of N runs) of a generated ~200 KB module and of each FILE,\n"
                "and the cost of calling an exported (f64, f64, f64) -> f64 function from C.\n");
            return 0;
        } else {
            first_file = i;
            break;
        }
    }
    if (runs < 1)
        runs = 1;
    pw_engine *engine = pw_engine_new_with(&cfg);
    buf mod = gen_module(200 * 1000);
    if (write_path) {
        FILE *f = fopen(write_path, "wb");
        if (!f || fwrite(mod.p, 1, mod.len, f) != mod.len) {
            perror(write_path);
            return 1;
        }
        fclose(f);
    }
    int status = 0;
    size_t code_bytes = 0;
    double ms = time_load(engine, mod.p, mod.len, runs, &code_bytes);
    if (ms < 0)
        status = 1;
    else
        printf("load    generated module (%zu bytes, translated code %zu bytes): %.3f ms median of %d  "
               "(target <= 2 ms)\n",
               mod.len, code_bytes, ms, runs);
    for (int i = first_file; i < argc; i++) {
        size_t len;
        char *b;
        pbase_error fe;
        if (pbase_read_file(argv[i], (size_t)1 << 30, &b, &len, &fe)) {
            fprintf(stderr, "%s\n", fe.message);
            status = 1;
            continue;
        }
        double fms = time_load(engine, (const uint8_t *)b, len, runs, &code_bytes);
        if (fms >= 0)
            printf("load    %s (%zu bytes, translated code %zu bytes): %.3f ms median of %d\n", argv[i], len,
                   code_bytes, fms, runs);
        else
            status = 1;
        free(b);
    }

    /* (b) call overhead */
    pw_module *m = NULL;
    pw_error *e = pw_module_new(engine, mod.p, mod.len, &m);
    if (e) {
        fprintf(stderr, "call_overhead: %s\n", pw_error_message(e));
        return 1;
    }
    pw_store *store = pw_store_new(engine);
    pw_instance *inst = NULL;
    e = pw_instance_new(store, m, NULL, 0, &inst);
    if (e) {
        fprintf(stderr, "call_overhead: %s\n", pw_error_message(e));
        return 1;
    }
    pw_func *f = pw_instance_func(inst, "f");
    if (!f) {
        fprintf(stderr, "call_overhead: export f missing\n");
        return 1;
    }
    pw_val args[3] = {
        {.kind = PW_F64, .of.f64 = 1.5}, {.kind = PW_F64, .of.f64 = 2.0}, {.kind = PW_F64, .of.f64 = 0}};
    pw_val res[1];
    double sum = 0;
    /* ROUNDS rounds of `calls` calls per API after one warm-up round; the
     * best and the median round are reported (the best is the least disturbed
     * by other load on the machine). */
    enum { ROUNDS = 7 };
    double tc[ROUNDS], tu[ROUNDS];
    for (int rep = 0; rep <= ROUNDS; rep++) {
        double t0 = now_s();
        for (long i = 0; i < calls; i++) {
            args[2].of.f64 = (double)i;
            e = pw_func_call(store, f, args, 3, res, 1);
            if (e) {
                fprintf(stderr, "call_overhead: %s\n", pw_error_message(e));
                return 1;
            }
            sum += res[0].of.f64;
        }
        if (rep)
            tc[rep - 1] = (now_s() - t0) * 1e9 / (double)calls;
    }
    for (int rep = 0; rep <= ROUNDS; rep++) {
        double t0 = now_s();
        for (long i = 0; i < calls; i++) {
            uint64_t slots[3];
            double a = 1.5, b = 2.0, c = (double)i, r;
            memcpy(&slots[0], &a, 8);
            memcpy(&slots[1], &b, 8);
            memcpy(&slots[2], &c, 8);
            e = pw_func_call_unchecked(store, f, slots);
            if (e) {
                fprintf(stderr, "call_overhead: %s\n", pw_error_message(e));
                return 1;
            }
            memcpy(&r, &slots[0], 8);
            sum += r;
        }
        if (rep)
            tu[rep - 1] = (now_s() - t0) * 1e9 / (double)calls;
    }
    qsort(tc, ROUNDS, sizeof tc[0], cmp_double);
    qsort(tu, ROUNDS, sizeof tu[0], cmp_double);
    printf(
        "call    pw_func_call            (f64, f64, f64) -> f64: %.1f ns per call best, %.1f median of %d x %ld "
        "(target <= 25 ns)\n",
        tc[0], tc[ROUNDS / 2], ROUNDS, calls);
    printf(
        "call    pw_func_call_unchecked  (f64, f64, f64) -> f64: %.1f ns per call best, %.1f median of %d x %ld "
        "(target <= 25 ns)\n",
        tu[0], tu[ROUNDS / 2], ROUNDS, calls);
    /* 1.5*2 + i summed over i, per round (warm-up included), for both APIs */
    double n = (double)calls;
    double expect = 2.0 * (ROUNDS + 1) * (3.0 * n + n * (n - 1) / 2);
    if (sum != expect) {
        fprintf(stderr, "call_overhead: wrong results (sum %.17g, expected %.17g)\n", sum, expect);
        status = 1;
    }
    pw_store_free(store);
    pw_module_free(m);
    pw_engine_free(engine);
    free(mod.p);
    return status;
}
