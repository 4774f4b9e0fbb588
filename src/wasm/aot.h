/* The native tier: WebAssembly translated to C, compiled by the system C
 * compiler, loaded with dlopen, run on the interpreter's store objects.
 * Private to the wasm layer; docs/aot.md describes the design. */
#ifndef PORTALIS_WASM_AOT_H
#define PORTALIS_WASM_AOT_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "module.h"
#include "portalis/engine.h"

/* A growable text buffer (generated C). */
typedef struct {
    char *s;
    size_t n, cap;
    bool oom;
} aot_buf;
void pw_aot_buf_printf(aot_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void pw_aot_buf_put(aot_buf *b, const char *s, size_t n);
void pw_aot_buf_free(aot_buf *b);

/* Options that change the generated code (part of the cache key). */
typedef struct {
    bool checks;     /* fuel and interruption checks (engine has consume_fuel or interruptible) */
    bool canon_nans; /* engine's canonicalize_nans: arithmetic NaNs become the canonical NaN */
    bool guard;      /* no bounds checks: memory 0 is guarded and a fault traps (aot_guard.c) */
} aot_gen_options;

/* Generated C in pieces, before they are put into translation units
 * (aot_split.c). Function definitions are declared with `FN`, which each
 * unit defines before it includes the header: `static` when the module is
 * one unit, hidden external linkage when it is split. */
typedef struct {
    aot_buf head;  /* ABI, helpers, types, prototypes: included by every unit */
    aot_buf funcs; /* each defined function, in index order */
    size_t *fend;  /* per defined function: end of its text in funcs */
    /* per defined function: labels x variables (locals and stack positions),
     * what its compile costs beyond its size (aot_split.c) */
    uint64_t *fcost;
    uint32_t nfuncs;
    aot_buf table; /* the entry wrappers, the function table and pw_aot_module */
} aot_text;
void pw_aot_text_free(aot_text *t);

/* Translates a decoded, validated module into C that defines `pw_aot_module`
 * (aot_abi.h). Deterministic: the same module and options always give the
 * same text. Returns false on allocation failure. */
bool pw_aot_generate(const wm_module *m, const uint8_t key[32], const aot_gen_options *opt, aot_text *out);

/* The translation units of generated C (aot_split.c): `#include "m.h"` (the
 * head) and a share of the functions, balanced by size; unit 0 also holds
 * the table. At most max_units (1..PW_AOT_MAX_UNITS) units; the partition
 * depends on the text and max_units alone, so the same module and cap always
 * give the same units and the same object. A module under two units' worth
 * of C stays one unit. */
enum { PW_AOT_MAX_UNITS = 4 };
typedef struct {
    aot_buf *units;
    uint32_t n;
} aot_units;
bool pw_aot_split(const aot_text *t, uint32_t max_units, aot_units *out);
/* Identifies this build of the partition (part of every cache key: it
 * decides which unit holds which function, so it changes the object). */
const char *pw_aot_split_build_id(void);
void pw_aot_units_free(aot_units *u);

/* The fixed text every generated file starts with (aot_prelude.c). */
void pw_aot_emit_prelude(aot_buf *o, const aot_gen_options *opt);
/* Whether the code relies on the guard below the thread's stack instead of
 * comparing the stack pointer at every function entry (WA_GUARD_STACK):
 * guard mode, where generated code calls no library function (x86-64 with
 * SSE4.1, whose rounding is inline; aarch64), so every instruction running
 * on top of its frames is its own or the runtime's, which it enters only
 * with the reserve below stack_limit left. */
bool pw_aot_stack_guard(const aot_gen_options *opt);

/* Identify this build of the generator and of its prelude (both part of
 * every cache key: either file may be rebuilt alone). */
const char *pw_aot_gen_build_id(void);
const char *pw_aot_prelude_build_id(void);

/* Offset of the code pointer in pw_func (the real layout; aot_rt.c). */
size_t pw_aot_func_code_offset(void);

/* Fuel regions exactly as the interpreter charges them: for every defined
 * function its entry cost (instructions outside loops) and, in the order
 * loops open, each loop's back-edge cost (instructions directly inside it). */
typedef struct {
    uint32_t entry;
    uint32_t nloops;
    uint32_t *loops;
} aot_costs;

/* Per-module native code (pw_module.tier_data of the native tier). */
struct wa_module;
typedef struct aot_module {
    void *dl;                   /* dlopen handle */
    int fd;                     /* the memfd it was loaded from */
    const struct wa_module *wm; /* its pw_aot_module (aot_abi.h) */
    /* Interpreter code of the module (pw_module.funcs): made at load,
     * except for a module loaded from the cache, which gets it only when an
     * instance must run on the interpreter (pw_aot_interp_code). */
    pthread_mutex_t lock;
    bool interp_ready; /* guarded by lock */
} aot_module;
void pw_aot_module_release(aot_module *am);
struct pw_cfunc;
/* The module's interpreter code, translated now if it was loaded from the
 * cache without it (*funcs = pw_module.funcs); thread-safe. */
struct pw_error *pw_aot_interp_code(struct pw_module *mod, const struct pw_cfunc **funcs);
/* The module's interpreter code if it has any yet, else NULL. */
const struct pw_cfunc *pw_aot_interp_funcs(const struct pw_module *mod);

struct pw_module;
struct pw_error;
/* Gives mod native code compiled at `opt` ("-O2"), from the cache or the C
 * compiler, and makes the native tier run it. */
struct pw_error *pw_aot_attach(struct pw_module *mod, const char *opt);
/* Native code for mod from the cache, else (compile_missing) from the C
 * compiler, without attaching it. *out stays NULL on a cache miss without
 * compile_missing. Reads only immutable module state, so a background thread
 * may run it. */
struct pw_error *pw_aot_build(const struct pw_module *mod, const char *opt, bool compile_missing,
                              aot_module **out);
/* The same with the shared object of a verified .pwo file. */
struct pw_error *pw_aot_attach_pwo(struct pw_module *mod, const uint8_t *so, size_t solen);
/* A .pwo file (native code and the module) for `portalis compile`. */
struct pw_error *pw_aot_compile_pwo(struct pw_module *mod, const char *opt, uint8_t **out, size_t *outlen);

extern const struct pw_tier pw_tier_native;
/* PW_TIER_AUTO (aot_auto.c): the interpreter until a background compile
 * publishes native code, then each instance switches at its next entry. */
extern const struct pw_tier pw_tier_auto;
/* Gives mod the auto tier: native code at once on a cache hit, else a
 * background compile (or, with no compiler, the interpreter and a note). */
struct pw_error *pw_aot_auto_start(struct pw_module *mod, const char *opt);
/* The native code the module's functions bind to (native tier, or auto
 * once ready), or NULL. */
const aot_module *pw_aot_code_of(const struct pw_module *mod);

/* Module creation (module.c) in two hooks: aot_input_of splits a .pwo file
 * into its wasm bytes and native code (error[0] != 0 if it is corrupt), and
 * pw_aot_choose, once the module is validated, gives it the native tier if
 * the engine asks for it or the input carried native code. */
typedef struct {
    const uint8_t *wasm;
    size_t len;
    const uint8_t *so;
    size_t solen;
    char error[128];
} aot_input;
aot_input pw_aot_input_of(const uint8_t *bytes, size_t len);
struct pw_error *pw_aot_choose(struct pw_module *mod, const aot_input *in, pw_tier_kind tier);
/* Before validation (module.c): with tier native or auto, a cache hit gives
 * mod its native code and the native tier at once, and the module is then
 * neither validated again nor translated for the interpreter (docs/aot.md,
 * "Cached load"). False on a miss: the caller goes the usual way. */
bool pw_aot_from_cache(struct pw_module *mod, pw_tier_kind tier);
/* The engine's native_opt, else $PORTALIS_AOT_OPT, else -O2. */
const char *pw_aot_opt_level(const struct pw_module *mod);

#endif
