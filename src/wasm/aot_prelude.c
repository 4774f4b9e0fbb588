/* The fixed text at the top of every generated C file (aot_gen.c): the
 * engine interface (aot_abi.h, stringified) and the helpers generated code
 * uses - traps out of line, bit casts, the opaque float barriers that keep
 * results bit-identical to the interpreter's, the stack pointer, min/max,
 * rotations, trapping and saturating conversions. */
#include "aot.h"
#include "aot_abi.h"
#include "aot_ops.h"
#include "portalis/engine.h"

/* The declarations of aot_abi.h as text, for the top of every generated file. */
#define AOT_STR_(...) #__VA_ARGS__
#define AOT_STR(...) AOT_STR_(__VA_ARGS__)
static const char ABI_TEXT[] = AOT_STR(PW_AOT_ABI_DECLS);

static const char PRELUDE[] =
    /* gcc's -O2 vectorises only loops that need no run-time test; the
     * unchecked loops (aot_loop.c) need one for aliasing, as every pair of
     * accesses to the one linear memory may overlap */
    "#if defined(__GNUC__) && !defined(__clang__)\n#pragma GCC optimize(\"vect-cost-model=dynamic\")\n#endif\n"
    "#define LIKELY(x) __builtin_expect(!!(x), 1)\n"
    "#define UNLIKELY(x) __builtin_expect(!!(x), 0)\n"
    /* the stack pointer, for the stack guard (no frame pointer needed) */
    "#if defined(__x86_64__)\nstatic inline wa_u64 w_sp(void) { wa_u64 p; __asm__(\"mov %%rsp, %0\" : "
    "\"=r\"(p)); "
    "return p; }\n#elif defined(__aarch64__)\nstatic inline wa_u64 w_sp(void) { wa_u64 p; __asm__(\"mov %0, sp\" "
    ": "
    "\"=r\"(p)); return p; }\n#else\n#define w_sp() "
    "((wa_u64)(__UINTPTR_TYPE__)__builtin_frame_address(0))\n#endif\n"
    /* W_STACKGUARD (guard mode, WA_GUARD_STACK): functions do not check the
     * stack at entry, an overflow faults on the guard below the thread's
     * stack; the runtime's services need the stack below stack_limit, so
     * STK() checks before each call into the runtime and, below it,
     * publishes the depth and reads WA_STACK_PROBE: the fault handler, on
     * its own stack, raises the trap */
    "#if W_STACKGUARD\n"
    "static inline void w_probe(void) { __UINTPTR_TYPE__ p = WA_STACK_PROBE; __asm__ __volatile__(\"\" : "
    "\"+r\"(p)); (void)*(volatile wa_u8 *)p; }\n"
    "#define STK() do { if (UNLIKELY(w_sp() < c->stack_limit)) { c->rt->cur = (wa_u32)(d - c->rt->sites); "
    "w_probe(); } } while (0)\n"
    "#else\n#define STK() ((void)0)\n#endif\n"
    /* d points at the function's own entry of the site array; AT() tells the
     * runtime the depth before it may raise a trap */
    "#define AT() do { STK(); c->rt->cur = (wa_u32)(d - c->rt->sites); } while (0)\n"
    /* trap and limit paths are out of line (cold): the hot code keeps a
     * compare and a branch, and stays small enough to inline */
    "static __attribute__((noinline, cold, noreturn)) void w_trap(wa_ctx *c, wa_u64 *d, int k, wa_u64 s) "
    "{ AT(); c->api->trap(c, k, s); }\n"
    "static __attribute__((noinline, cold)) void w_limit(wa_ctx *c, wa_u64 *d, wa_u64 s) "
    "{ AT(); c->api->limit(c, s); }\n"
    "#define TRAP(k, s) w_trap(c, d, (k), (s))\n"
    "#define FUEL(k, s) do { if (UNLIKELY((*R->fuel -= (wa_i64)(k)) < 0)) w_limit(c, d, (s)); } while (0)\n"
    "static inline wa_u32 w_f32b(float f) { wa_u32 u; __builtin_memcpy(&u, &f, 4); return u; }\n"
    "static inline float w_bf32(wa_u32 u) { float f; __builtin_memcpy(&f, &u, 4); return f; }\n"
    "static inline wa_u64 w_f64b(double f) { wa_u64 u; __builtin_memcpy(&u, &f, 8); return u; }\n"
    "static inline double w_bf64(wa_u64 u) { double f; __builtin_memcpy(&f, &u, 8); return f; }\n"
    /* an opaque promotion: compilers fold demote(promote(x)) to x, which
     * would let a signalling NaN through unquieted */
    "#if defined(__x86_64__) || defined(__i386__)\n#define W_FPREG \"+x\"\n#elif defined(__aarch64__)\n"
    "#define W_FPREG \"+w\"\n#else\n#define W_FPREG \"+m\"\n#endif\n"
    /* an empty asm reading a value: the load producing it cannot be dropped */
    "#define W_USE(v) __asm__(\"\" : : \"r\"(v))\n"
    "#if defined(__aarch64__)\n#define W_USEF(v) __asm__(\"\" : : \"w\"(v))\n#else\n"
    "#define W_USEF(v) __asm__(\"\" : : \"x\"(v))\n#endif\n"
    /* guard mode: a store must not move past a later access that may fault,
     * nor an access that may fault past a later store; the compiler may swap
     * accesses it proves disjoint, and the fault ends the call with every
     * earlier store done, as in the interpreter (and nothing later) */
    "#define W_ORDER() __asm__ __volatile__(\"\" : : : \"memory\")\n"
    "static inline double w_promote(float f) { double d = (double)f; __asm__(\"\" : W_FPREG(d)); return d; }\n"
    /* NaN constants (and reinterpreted integers, which may be constants) are
     * opaque too: gcc folds `x + NaN` at compile time to a NaN whose sign
     * differs from what the hardware (and the interpreter) computes */
    "static inline float w_opqf(wa_u32 u) { float f = w_bf32(u); __asm__(\"\" : W_FPREG(f)); return f; }\n"
    "static inline double w_opq(wa_u64 u) { double f = w_bf64(u); __asm__(\"\" : W_FPREG(f)); return f; }\n"
    "static inline float w_canonf(float f) { return f != f ? w_bf32(0x7fc00000u) : f; }\n"
    "static inline double w_canon(double f) { return f != f ? w_bf64(0x7ff8000000000000ull) : f; }\n"
    "static inline wa_u32 w_rotl32(wa_u32 a, wa_u32 b) { return (a << (b & 31)) | (a >> ((32 - b) & 31)); }\n"
    "static inline wa_u32 w_rotr32(wa_u32 a, wa_u32 b) { return (a >> (b & 31)) | (a << ((32 - b) & 31)); }\n"
    "static inline wa_u64 w_rotl64(wa_u64 a, wa_u64 b) { return (a << (b & 63)) | (a >> ((64 - b) & 63)); }\n"
    "static inline wa_u64 w_rotr64(wa_u64 a, wa_u64 b) { return (a >> (b & 63)) | (a << ((64 - b) & 63)); }\n"
    "static inline float w_minf(float a, float b) { if (a != a || b != b) return a + b; if (a == b) return "
    "__builtin_signbit(a) ? a : b; return a < b ? a : b; }\n"
    "static inline float w_maxf(float a, float b) { if (a != a || b != b) return a + b; if (a == b) return "
    "__builtin_signbit(a) ? b : a; return a > b ? a : b; }\n"
    "static inline double w_min(double a, double b) { if (a != a || b != b) return a + b; if (a == b) return "
    "__builtin_signbit(a) ? a : b; return a < b ? a : b; }\n"
    "static inline double w_max(double a, double b) { if (a != a || b != b) return a + b; if (a == b) return "
    "__builtin_signbit(a) ? b : a; return a > b ? a : b; }\n"
    /* unchecked loops (aot_loop.c): how often a body runs that continues
     * while v + n * s REL w (REL: aot_loop.h; v, w in [0, 2^32), s != 0)
     * without wrapping; 0 when it would wrap or not end */
    "static inline wa_i64 w_trips(wa_i64 v, wa_i64 s, wa_i64 w, int rel) { wa_i64 t; if (rel == 0) { if "
    "((w - v) % s) return 0; t = (w - v) / s; return t < 0 ? 0 : t + 1; } if (rel == 2) w += 1; if (rel == 4) "
    "w -= 1; if (rel <= 2) { if (s < 0) return 0; if (v >= w) return 1; t = (w - v + s - 1) / s; } else { if "
    "(s > 0) return 0; if (v <= w) return 1; t = (v - w - s - 1) / -s; } wa_i64 e = v + t * s; return e < 0 "
    "|| e > 0xffffffffll ? 0 : t + 1; }\n"
    "static inline wa_u32 w_sat_i32(double x) { if (x != x) return 0; if (x <= -2147483649.0) return "
    "0x80000000u; if (x >= 2147483648.0) return 0x7fffffffu; return (wa_u32)(wa_i32)x; }\n"
    "static inline wa_u32 w_sat_u32(double x) { if (x != x || x <= -1.0) return 0; if (x >= 4294967296.0) "
    "return 0xffffffffu; return (wa_u32)x; }\n"
    "static inline wa_u64 w_sat_i64(double x) { if (x != x) return 0; if (x < -9223372036854775808.0) return "
    "0x8000000000000000ull; if (x >= 9223372036854775808.0) return 0x7fffffffffffffffull; return "
    "(wa_u64)(wa_i64)x; }\n"
    "static inline wa_u64 w_sat_u64(double x) { if (x != x || x <= -1.0) return 0; if (x >= "
    "18446744073709551616.0) return ~0ull; return (wa_u64)x; }\n";

static void emit_chk(aot_buf *o) {
    pw_aot_buf_printf(
        o,
        "static inline int w_chk_i32(double x) { if (x != x) return %d; return (x > -2147483649.0 && x < "
        "2147483648.0) ? 0 : %d; }\n"
        "static inline int w_chk_u32(double x) { if (x != x) return %d; return (x > -1.0 && x < "
        "4294967296.0) ? 0 : %d; }\n"
        "static inline int w_chk_i64(double x) { if (x != x) return %d; return (x >= "
        "-9223372036854775808.0 && x < 9223372036854775808.0) ? 0 : %d; }\n"
        "static inline int w_chk_u64(double x) { if (x != x) return %d; return (x > -1.0 && x < "
        "18446744073709551616.0) ? 0 : %d; }\n",
        PW_TRAP_INVALID_CONVERSION, PW_TRAP_INT_OVERFLOW, PW_TRAP_INVALID_CONVERSION, PW_TRAP_INT_OVERFLOW,
        PW_TRAP_INVALID_CONVERSION, PW_TRAP_INT_OVERFLOW, PW_TRAP_INVALID_CONVERSION, PW_TRAP_INT_OVERFLOW);
}

/* Rounding to integral: one roundsd/roundss where the processor has
 * SSE4.1 (checked when the module is compiled; the prelude's build id,
 * part of every cache key, says which, so such code never reaches a
 * processor without it), else the C library (gcc calls it without
 * -msse4.1). The callers handle NaN first, as the interpreter does. */
static void emit_rounding(aot_buf *o) {
    static const struct {
        const char *name, *type, *builtin;
        int mode;
    } R[] = {{"w_floor", "double", "__builtin_floor", 9},   {"w_ceil", "double", "__builtin_ceil", 10},
             {"w_trunc", "double", "__builtin_trunc", 11},  {"w_nearest", "double", "__builtin_nearbyint", 8},
             {"w_floorf", "float", "__builtin_floorf", 9},  {"w_ceilf", "float", "__builtin_ceilf", 10},
             {"w_truncf", "float", "__builtin_truncf", 11}, {"w_nearestf", "float", "__builtin_nearbyintf", 8}};
    bool sse41 = pw_aot_sse41();
    for (size_t i = 0; i < sizeof R / sizeof R[0]; i++)
        if (sse41)
            pw_aot_buf_printf(o,
                              "static inline %s %s(%s x) { __asm__(\"rounds%c $%d, %%1, %%0\" : \"=x\"(x) : "
                              "\"x\"(x)); return x; }\n",
                              R[i].type, R[i].name, R[i].type, R[i].type[0] == 'd' ? 'd' : 's', R[i].mode);
        else
            pw_aot_buf_printf(o, "static inline %s %s(%s x) { return %s(x); }\n", R[i].type, R[i].name, R[i].type,
                              R[i].builtin);
}

bool pw_aot_sse41(void) {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    return __builtin_cpu_supports("sse4.1");
#else
    return false;
#endif
}

const char *pw_aot_prelude_build_id(void) {
    return pw_aot_sse41() ? "aot-prelude " __DATE__ " " __TIME__ " sse4.1" : "aot-prelude " __DATE__ " " __TIME__;
}

bool pw_aot_stack_guard(const aot_gen_options *opt) {
#if defined(__x86_64__)
    return opt->guard && pw_aot_sse41();
#elif defined(__aarch64__)
    return opt->guard;
#else
    (void)opt;
    return false;
#endif
}

void pw_aot_emit_prelude(aot_buf *o, const aot_gen_options *opt) {
    pw_aot_buf_printf(o, "#define WA_ABI_VERSION %d\n#define W_STACKGUARD %d\n", WA_ABI_VERSION,
                      pw_aot_stack_guard(opt) ? 1 : 0);
    pw_aot_buf_put(o, ABI_TEXT, sizeof ABI_TEXT - 1);
    pw_aot_buf_printf(o, "\n");
    pw_aot_buf_put(o, PRELUDE, sizeof PRELUDE - 1);
    emit_chk(o);
    emit_rounding(o);
}
