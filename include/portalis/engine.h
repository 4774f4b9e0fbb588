/* Portalis WebAssembly engine: embedding API.
 *
 * The engine decodes, validates and runs WebAssembly 2.0 modules (without
 * SIMD) in a fast interpreter. This header is the whole public surface of
 * the `wasm` layer. It is deliberately shaped like the standard WebAssembly C
 * API (engine, store, module, instance, extern objects, positional imports)
 * so that a `wasm.h` layer can be put on top later, but it is our own and
 * uses the `pw_` prefix.
 *
 * Objects and ownership
 *   pw_engine   configuration shared by stores; create first, free last.
 *   pw_module   decoded, validated and translated code; immutable and
 *               reference counted, so one module may be instantiated many
 *               times, in many stores. pw_module_free drops one reference.
 *   pw_store    owns every runtime object created in it (instances,
 *               functions, memories, tables, globals) and the execution
 *               stack. Those objects stay valid until pw_store_free. A store
 *               and everything in it is used by one thread at a time.
 *   pw_error    returned by every fallible call; NULL means success. The
 *               caller owns a returned error and frees it with pw_error_free.
 *
 * Errors are values: a malformed or hostile module, a failed link or a trap
 * never aborts the host process. A trap leaves the store usable.
 */
#ifndef PORTALIS_ENGINE_H
#define PORTALIS_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pw_engine pw_engine;
typedef struct pw_store pw_store;
typedef struct pw_module pw_module;
typedef struct pw_instance pw_instance;
typedef struct pw_func pw_func;
typedef struct pw_memory pw_memory;
typedef struct pw_table pw_table;
typedef struct pw_global pw_global;
typedef struct pw_error pw_error;
typedef struct pw_caller pw_caller;

/* ---- values ------------------------------------------------------------ */

typedef enum {
    PW_I32 = 0,
    PW_I64,
    PW_F32,
    PW_F64,
    PW_V128,
    PW_FUNCREF,
    PW_EXTERNREF,
} pw_valkind;

/* A v128 value: its 16 bytes in WebAssembly's (little-endian) lane order,
 * so on a little-endian host u32[0] is lane 0 of an i32x4. */
typedef union {
    uint8_t u8[16];
    uint16_t u16[8];
    uint32_t u32[4];
    uint64_t u64[2];
    float f32[4];
    double f64[2];
} pw_v128;

typedef struct {
    pw_valkind kind;
    union {
        pw_v128 v128;
        int32_t i32;
        int64_t i64;
        float f32;
        double f64;
        pw_func *funcref; /* NULL is ref.null func */
        void *externref;  /* NULL is ref.null extern; any other value is opaque to wasm */
    } of;
} pw_val;

const char *pw_valkind_name(pw_valkind k); /* "i32", "funcref", ... */

/* ---- errors and traps -------------------------------------------------- */

typedef enum {
    PW_ERR_MALFORMED = 1, /* the binary does not decode */
    PW_ERR_INVALID,       /* it decodes but does not validate */
    PW_ERR_LINK,          /* an import is missing or has the wrong type */
    PW_ERR_TRAP,          /* execution trapped (see pw_trap_kind) */
    PW_ERR_ARGUMENT,      /* the embedder passed a wrong argument */
    PW_ERR_IO,            /* a file could not be read */
    PW_ERR_RESOURCE,      /* a limit of the embedder (memory cap, ...) */
    PW_ERR_LIMIT,         /* valid, but past an implementation limit of the
                             engine (docs/engine.md lists them: PW_LIMIT_*) */
} pw_error_kind;

typedef enum {
    PW_TRAP_NONE = 0,
    PW_TRAP_UNREACHABLE,
    PW_TRAP_MEMORY_OOB,            /* out of bounds memory access */
    PW_TRAP_TABLE_OOB,             /* out of bounds table access */
    PW_TRAP_DIV_BY_ZERO,           /* integer divide by zero */
    PW_TRAP_INT_OVERFLOW,          /* integer overflow */
    PW_TRAP_INVALID_CONVERSION,    /* invalid conversion to integer */
    PW_TRAP_UNDEFINED_ELEMENT,     /* call_indirect index past the table */
    PW_TRAP_UNINITIALIZED_ELEMENT, /* call_indirect through a null entry */
    PW_TRAP_INDIRECT_MISMATCH,     /* indirect call type mismatch */
    PW_TRAP_STACK_EXHAUSTED,       /* call stack exhausted */
    PW_TRAP_HOST,                  /* raised by a host function */
    PW_TRAP_OUT_OF_FUEL,
    PW_TRAP_DEADLINE, /* interrupted: deadline / epoch reached */
    PW_TRAP_EXIT,     /* a host function asked to unwind (e.g. WASI proc_exit) */
} pw_trap_kind;

pw_error_kind pw_error_kind_of(const pw_error *e);
pw_trap_kind pw_error_trap(const pw_error *e); /* PW_TRAP_NONE unless a trap */
/* The full message, e.g. "trap: integer divide by zero\n  at fn 3 'div' (offset 0x4a)\n  at ...".
 * Valid until pw_error_free. */
const char *pw_error_message(const pw_error *e);
/* Just the first line without backtrace ("integer divide by zero"). */
const char *pw_error_summary(const pw_error *e);
/* Backtrace frames of a trap, innermost first. */
size_t pw_error_frame_count(const pw_error *e);
/* Function index, its name (or NULL) and the byte offset of the instruction
 * in the module binary. Returns false if i is out of range. */
bool pw_error_frame(const pw_error *e, size_t i, uint32_t *func_index, const char **func_name,
                    uint32_t *code_offset);
/* For PW_TRAP_EXIT: the code passed by the host (e.g. proc_exit's status). */
int pw_error_exit_code(const pw_error *e);
void pw_error_free(pw_error *e);

/* Creates an error with a printf-style message; host functions return it to trap. */
pw_error *pw_trap_new(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Creates an unwinding exit request carrying `code` (used by proc_exit). */
pw_error *pw_exit_new(int code);

/* ---- implementation limits ----------------------------------------------
 * Valid modules past these get PW_ERR_LIMIT; docs/engine.md ("Limits of the
 * implementation") lists every limit in one place. */
#define PW_LIMIT_MODULE_BYTES (UINT64_C(1) << 30) /* a module binary */
#define PW_LIMIT_LOCALS 1000000u                  /* declared locals per function */
#define PW_LIMIT_TABLE_ELEMS 10000000u            /* elements per table (growth fails past it) */
/* The linear-memory cap the command line and the scene host apply when the
 * user sets none (--max-memory-mb): 1 GiB per memory. The store's own
 * default (pw_store_set_memory_limit) is the spec's 4 GiB. */
#define PW_DEFAULT_MEMORY_CAP (UINT64_C(1) << 30)

/* ---- engine ------------------------------------------------------------ */

/* Engine configuration, fixed when the engine is created because it changes
 * the code modules are translated to (like wasmtime's Config).
 *   consume_fuel   charge fuel at function entries and loop back-edges, so a
 *                  store's fuel budget bounds execution deterministically.
 *   interruptible  poll the store's interrupt flag at the same points, so
 *                  pw_store_interrupt and deadlines stop running code.
 * Both cost nothing when off; see docs/engine.md for the measured cost on. */
/*   tier           who runs the code (docs/aot.md): PW_TIER_INTERP the
 *                  interpreter; PW_TIER_NATIVE native code compiled through
 *                  the system C compiler (cached; module creation fails if
 *                  no compiler is found); PW_TIER_AUTO the interpreter at
 *                  once, native code once a background compile finishes. */
typedef enum { PW_TIER_INTERP = 0, PW_TIER_NATIVE, PW_TIER_AUTO } pw_tier_kind;
typedef enum {
    PW_NATIVE_OPT_DEFAULT = 0,
    PW_NATIVE_OPT_O0,
    PW_NATIVE_OPT_O1,
    PW_NATIVE_OPT_O2,
    PW_NATIVE_OPT_O3,
    PW_NATIVE_OPT_OS
} pw_native_opt;
typedef struct {
    bool consume_fuel;
    bool interruptible;
    pw_tier_kind tier;
    /* Replace every NaN produced by float arithmetic (add, sub, mul, div,
     * sqrt, min, max, ceil, floor, trunc, nearest, demote, promote) by the
     * canonical NaN (0x7fc00000 / 0x7ff8000000000000), so results are
     * bit-identical across machines and tiers (like wasmtime's
     * cranelift_nan_canonicalization). Off by default; docs/engine.md has
     * its measured cost. */
    bool canonicalize_nans;
    /* Optimisation level of native code (tiers native and auto,
     * pw_module_compile_native): PW_NATIVE_OPT_DEFAULT is -O2, or
     * $PORTALIS_AOT_OPT when set. -O1 compiles in about 0.7 of -O2's time
     * (docs/aot.md, "Cold compile"); the level is part of the cache key. */
    pw_native_opt native_opt;
} pw_engine_config;
/* "-O0".."-O3", "-Os" <-> pw_native_opt; false / NULL otherwise. */
bool pw_native_opt_parse(const char *name, pw_native_opt *out);
const char *pw_native_opt_name(pw_native_opt opt);

pw_engine *pw_engine_new(void); /* every option off */
pw_engine *pw_engine_new_with(const pw_engine_config *cfg);
pw_engine_config pw_engine_get_config(const pw_engine *engine);
/* Frees the engine; every module and store made from it must be freed first. */
void pw_engine_free(pw_engine *engine);

/* ---- modules ----------------------------------------------------------- */

/* Decodes, validates and translates a binary module. The bytes are copied. */
pw_error *pw_module_new(pw_engine *engine, const uint8_t *bytes, size_t len, pw_module **out);
pw_error *pw_module_from_file(pw_engine *engine, const char *path, pw_module **out);
/* pw_module_new with the module's tier chosen here rather than by the
 * engine's config.tier (a precompiled .pwo still runs natively). */
pw_error *pw_module_new_tier(pw_engine *engine, const uint8_t *bytes, size_t len, pw_tier_kind tier,
                             pw_module **out);
/* "interp", "native", "auto" <-> pw_tier_kind; false / NULL otherwise. */
bool pw_tier_parse(const char *name, pw_tier_kind *out);
const char *pw_tier_name(pw_tier_kind tier);
/* The tier that runs the module's next calls: PW_TIER_NATIVE once it has
 * native code (for PW_TIER_AUTO: when the background compile is done),
 * else PW_TIER_INTERP. *note (may be NULL) receives NULL, or why an `auto`
 * module stays on the interpreter (no compiler, compile error, or a module
 * using SIMD, which the native tier does not compile yet: asked for
 * PW_TIER_NATIVE, it runs interpreted with this note); the string lives as
 * long as the module. */
pw_tier_kind pw_module_tier(const pw_module *m, const char **note);
/* Waits until an `auto` module's background compile has finished (at once
 * for any other module); tests and tools use it to tier up deterministically. */
void pw_module_tier_wait(const pw_module *m);
pw_module *pw_module_ref(pw_module *m); /* adds a reference */
void pw_module_free(pw_module *m);

typedef enum { PW_EXTERN_FUNC = 0, PW_EXTERN_TABLE, PW_EXTERN_MEMORY, PW_EXTERN_GLOBAL } pw_extern_kind;
const char *pw_extern_kind_name(pw_extern_kind k); /* "function", "table", "memory", "global" */

typedef struct {
    uint32_t nparams, nresults;
    const pw_valkind *params, *results; /* owned by the module / function */
} pw_functype;

typedef struct {
    uint32_t min, max; /* pages (64 KiB) for memories, elements for tables */
    bool has_max;
} pw_limits;

/* Type of an import or export. */
typedef struct {
    pw_extern_kind kind;
    pw_functype func;   /* PW_EXTERN_FUNC */
    pw_limits limits;   /* PW_EXTERN_TABLE, PW_EXTERN_MEMORY */
    pw_valkind elem;    /* PW_EXTERN_TABLE: PW_FUNCREF or PW_EXTERNREF */
    pw_valkind valtype; /* PW_EXTERN_GLOBAL */
    bool mut;           /* PW_EXTERN_GLOBAL */
} pw_externtype;

size_t pw_module_import_count(const pw_module *m);
/* module and name are owned by the module. Returns false if i is out of range. */
bool pw_module_import(const pw_module *m, size_t i, const char **module, const char **name, pw_externtype *type);
size_t pw_module_export_count(const pw_module *m);
bool pw_module_export(const pw_module *m, size_t i, const char **name, pw_externtype *type);
/* Byte lengths of import/export names (they may contain NUL bytes). */
size_t pw_module_import_name_len(const pw_module *m, size_t i, size_t *module_len);
size_t pw_module_export_name_len(const pw_module *m, size_t i);
/* Function name from the `name` section, or NULL. */
const char *pw_module_func_name(const pw_module *m, uint32_t func_index);
/* Sizes for `portalis inspect`: number of defined functions, total code bytes
 * of the binary, translated interpreter code bytes. */
void pw_module_sizes(const pw_module *m, size_t *nfuncs, size_t *binary_bytes, size_t *code_bytes);
/* Prints the interpreter code of a defined function (for diagnostics). */
void pw_module_disassemble(const pw_module *m, uint32_t func_index, FILE *out);
/* Compiles m to native code (as the native tier does, at the engine's native_opt,
 * default -O2) and returns a precompiled module image (.pwo: the module's
 * bytes, the native code and checksums; malloc'd, the caller frees it).
 * pw_module_new and pw_module_from_file accept such an image and run it
 * natively without a C compiler, on an engine with the same consume_fuel /
 * interruptible choice (docs/aot.md). */
pw_error *pw_module_compile_native(pw_module *m, uint8_t **image, size_t *len);
/* Custom sections, in binary order. */
size_t pw_module_custom_count(const pw_module *m);
bool pw_module_custom(const pw_module *m, size_t i, const char **name, const uint8_t **data, size_t *len);

/* ---- stores and limits ------------------------------------------------- */

pw_store *pw_store_new(pw_engine *engine);
void pw_store_free(pw_store *store);

/* Caps the bytes of linear memory each memory of this store may reach
 * (memory.grow returns -1 past it; instantiation fails if a module's minimum
 * already exceeds it). Default: 4 GiB (no cap beyond the spec's). */
void pw_store_set_memory_limit(pw_store *store, uint64_t max_bytes);
/* Maximum depth of nested wasm calls before a "call stack exhausted" trap. */
void pw_store_set_max_call_depth(pw_store *store, uint32_t depth);

/* Fuel (engines with consume_fuel). The unit is one wasm instruction,
 * charged per region when it is entered: a function entry charges the
 * instructions of the function outside its loops, a loop back-edge charges
 * the instructions directly inside that loop (not those of nested loops),
 * whether or not each is executed on that pass. So the count is deterministic
 * and an upper bound of the instructions executed since the last charge.
 * Running out traps with PW_TRAP_OUT_OF_FUEL; the store stays usable and
 * pw_store_set_fuel refills it. A store starts with unlimited fuel. */
void pw_store_set_fuel(pw_store *store, uint64_t fuel);
uint64_t pw_store_fuel(const pw_store *store); /* remaining; UINT64_MAX if unlimited */
void pw_store_set_unlimited_fuel(pw_store *store);

/* Interruption (engines with interruptible). Safe to call from any thread:
 * running code of this store traps with PW_TRAP_DEADLINE at its next function
 * entry or loop back-edge; if nothing runs, the next call does. The flag is
 * cleared by the trap it causes. */
void pw_store_interrupt(pw_store *store);
/* True while an interrupt or an expired deadline is pending for this store:
 * host functions that block (sleep, poll, reads) check it to return early. */
bool pw_store_interrupted(const pw_store *store);
/* A wall-clock budget for each outermost call into this store (pw_func_call,
 * pw_func_call_unchecked, start functions): past it the call traps with
 * PW_TRAP_DEADLINE. 0 (the default) means none. Enforced by an engine-wide
 * watchdog thread started on first use. */
void pw_store_set_deadline(pw_store *store, uint64_t timeout_ns);

/* ---- extern objects ---------------------------------------------------- */

typedef struct {
    pw_extern_kind kind;
    union {
        pw_func *func;
        pw_table *table;
        pw_memory *memory;
        pw_global *global;
    } of;
} pw_extern;

/* Host functions. args holds nparams values, results must be filled with
 * nresults values of the declared kinds. Return NULL, or an error (usually
 * pw_trap_new) to trap; the error is then owned by the engine. */
typedef pw_error *(*pw_host_fn)(pw_caller *caller, void *user_data, const pw_val *args, pw_val *results);

pw_func *pw_func_new(pw_store *store, const pw_valkind *params, uint32_t nparams, const pw_valkind *results,
                     uint32_t nresults, pw_host_fn fn, void *user_data, void (*finalizer)(void *));
pw_functype pw_func_type(const pw_func *f);

/* Calls f with nargs arguments (kinds checked against the type), writing
 * nresults results. On a trap the store remains usable. */
pw_error *pw_func_call(pw_store *store, pw_func *f, const pw_val *args, size_t nargs, pw_val *results,
                       size_t nresults);
/* Fast path for embedders that already know the type: slots holds as many
 * 64-bit cells as the arguments or the results need, whichever is more;
 * arguments are read from it and results written back (i32/f32 in the low
 * 32 bits, references as pointers, a v128 in two cells, low half first).
 * No type checking is done. */
pw_error *pw_func_call_unchecked(pw_store *store, pw_func *f, uint64_t *slots);

/* The caller's instance memory (the instance of the wasm function that called
 * the host function), or NULL if it has none. */
pw_memory *pw_caller_memory(pw_caller *caller);
pw_store *pw_caller_store(pw_caller *caller);
/* Looks up an export of the calling instance (NULL if none). */
bool pw_caller_export(pw_caller *caller, const char *name, pw_extern *out);

pw_memory *pw_memory_new(pw_store *store, pw_limits limits);
uint8_t *pw_memory_data(pw_memory *m);       /* may move after a grow */
uint64_t pw_memory_size(const pw_memory *m); /* bytes */
uint32_t pw_memory_pages(const pw_memory *m);
pw_limits pw_memory_limits(const pw_memory *m);
/* Grows by delta pages; returns the old page count or -1 if not possible. */
int64_t pw_memory_grow(pw_memory *m, uint32_t delta);
/* Bounds-checked copies between host buffers and linear memory; false if
 * [offset, offset+len) is not inside the memory. */
bool pw_memory_read(const pw_memory *m, uint64_t offset, void *dst, size_t len);
bool pw_memory_write(pw_memory *m, uint64_t offset, const void *src, size_t len);

pw_table *pw_table_new(pw_store *store, pw_valkind elem, pw_limits limits, pw_val init);
uint32_t pw_table_size(const pw_table *t);
pw_limits pw_table_limits(const pw_table *t);
pw_valkind pw_table_elem(const pw_table *t);
bool pw_table_get(const pw_table *t, uint32_t i, pw_val *out);
bool pw_table_set(pw_table *t, uint32_t i, pw_val v);
int64_t pw_table_grow(pw_table *t, uint32_t delta, pw_val init);

pw_global *pw_global_new(pw_store *store, pw_valkind type, bool mut, pw_val init);
pw_val pw_global_get(const pw_global *g);
/* Fails (returns false) if the global is immutable or the kind differs. */
bool pw_global_set(pw_global *g, pw_val v);
pw_valkind pw_global_type(const pw_global *g, bool *mut);

/* ---- instances --------------------------------------------------------- */

/* Instantiates m with imports given positionally, in the module's import
 * order (pw_module_import). Runs element and data initialisation and the
 * start function. On failure returns an error (PW_ERR_LINK for import
 * mismatches, PW_ERR_TRAP if initialisation or start trapped) and sets *out
 * to NULL; side effects on imported memories and tables remain, as the spec
 * requires. */
pw_error *pw_instance_new(pw_store *store, pw_module *m, const pw_extern *imports, size_t nimports,
                          pw_instance **out);
bool pw_instance_export(pw_instance *inst, const char *name, pw_extern *out);
/* The same for names that may contain NUL bytes (wasm names are any UTF-8). */
bool pw_instance_export_n(pw_instance *inst, const char *name, size_t len, pw_extern *out);
/* Convenience: the exported function `name`, or NULL. */
pw_func *pw_instance_func(pw_instance *inst, const char *name);
pw_module *pw_instance_module(pw_instance *inst);
size_t pw_instance_export_count(pw_instance *inst);
bool pw_instance_export_at(pw_instance *inst, size_t i, const char **name, pw_extern *out);

#ifdef __cplusplus
}
#endif
#endif
