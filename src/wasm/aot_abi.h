/* The interface between natively compiled modules and the engine.
 *
 * The declarations are one macro, PW_AOT_ABI_DECLS, used twice: expanded in
 * the engine's native-tier runtime (aot_rt.c), and stringified at the top of
 * every generated C file (aot_gen.c), so both sides compile the very same
 * text. It therefore includes nothing and uses only compiler-provided types. The mirrors of
 * engine structures (wa_mem, wa_tab, wa_func) name the leading fields of
 * pw_memory, pw_table and pw_func; aot_rt.c checks their offsets at compile
 * time, so a change of rt.h cannot silently break generated code.
 *
 * A generated module reaches the engine only through a wa_ctx (one per
 * instance) and its wa_api function table: the shared object has no
 * undefined symbols besides libm, which keeps it loadable from anywhere.
 */
#ifndef PORTALIS_WASM_AOT_ABI_H
#define PORTALIS_WASM_AOT_ABI_H

/* Bumped whenever anything below changes meaning. */
#define WA_ABI_VERSION 9

/* clang-format off */
#define PW_AOT_ABI_DECLS \
typedef __UINT8_TYPE__ wa_u8;                                                                        \
typedef __UINT16_TYPE__ wa_u16;                                                                      \
typedef __UINT32_TYPE__ wa_u32;                                                                      \
typedef __UINT64_TYPE__ wa_u64;                                                                      \
typedef __INT8_TYPE__ wa_i8;                                                                         \
typedef __INT16_TYPE__ wa_i16;                                                                       \
typedef __INT32_TYPE__ wa_i32;                                                                       \
typedef __INT64_TYPE__ wa_i64;                                                                       \
                                                                                                     \
typedef union wa_slot {                                                                              \
    wa_u64 u64;                                                                                      \
    wa_i64 i64;                                                                                      \
    wa_u32 u32;                                                                                      \
    wa_i32 i32;                                                                                      \
    float f32;                                                                                       \
    double f64;                                                                                      \
    void *ref;                                                                                       \
} wa_slot;                                                                                           \
                                                                                                     \
typedef struct wa_mem {                                                                              \
    wa_u8 *data;                                                                                     \
    wa_u64 size;                                                                                     \
} wa_mem;                                                                                            \
                                                                                                     \
typedef struct wa_tab {                                                                              \
    void **elems;                                                                                    \
    wa_u32 size;                                                                                     \
} wa_tab;                                                                                            \
                                                                                                     \
/* The leading fields of pw_func; FUNC_DESC(F) (defined by the generator                             \
 * from the real layout) reaches its code descriptor. */                                             \
typedef struct wa_func {                                                                             \
    const void *sig;                                                                                 \
    void *inst;                                                                                      \
} wa_func;                                                                                           \
                                                                                                     \
/* Per activation (one entry from the runtime). Each generated function                              \
 * gets a pointer d to its own entry of the call-site array (the entry                               \
 * function: sites[0]; d <= sites + limit) and, before a call,                                       \
 * writes its call site there (function index << 32 | byte offset), so a                             \
 * backtrace is sites[cur..0]; cur = d - sites is written only before a                              \
 * call out of the tier or a trap. */                                                                \
typedef struct wa_rt {                                                                               \
    wa_i64 *fuel;                                                                                    \
    wa_u32 cur, limit;                                                                               \
    wa_u64 *sites;      /* limit + 1 entries */                                                      \
} wa_rt;                                                                                             \
                                                                                                     \
/* The entry one past an activation's deepest (sites + limit + 1) is the                             \
 * first address of a WA_SITES_MASK + 1 aligned block and the array is                               \
 * smaller than that block, so a function's depth check is a test of d's                             \
 * low bits, with no load: d & WA_SITES_MASK is 0 only one call too deep. */                         \
enum { WA_SITES_MASK = 0xffffff };                                                                   \
                                                                                                     \
/* wa_module.guard bits: memory accesses are unchecked (guard pages); the                            \
 * functions do not compare the stack pointer at entry, an overflow faults                           \
 * on the guard below the thread's stack (aot_guard.c). Before a call into                           \
 * the runtime such code compares the stack pointer with stack_limit and,                            \
 * below it, reads address WA_STACK_PROBE, which the fault handler takes                             \
 * for the same overflow (the runtime needs the stack below the limit). */                           \
enum { WA_GUARD_MEMORY = 1, WA_GUARD_STACK = 2, WA_STACK_PROBE = 64 };                               \
                                                                                                     \
typedef struct wa_ctx wa_ctx;                                                                        \
                                                                                                     \
typedef struct wa_api {                                                                              \
    /* site = function index << 32 | offset; a site of ~0 names no frame                             \
     * (a trap raised at a callee's entry, before it has one). */                                    \
    void (*trap)(wa_ctx *c, int kind, wa_u64 site) __attribute__((noreturn));                        \
    /* Slow path of a fuel/interrupt check: the charge made fuel negative. */                        \
    void (*limit)(wa_ctx *c, wa_u64 site);                                                           \
    /* Calls function `index` of the instance (an import) with arguments and                         \
     * results in sl; traps propagate. */                                                            \
    void (*call)(wa_ctx *c, wa_u32 index, wa_slot *sl);                                              \
    /* Calls a function reference of another instance or the host. */                                \
    void (*call_ref)(wa_ctx *c, void *func, wa_slot *sl);                                            \
    wa_i32 (*memory_grow)(wa_ctx *c, wa_u32 delta);                                                  \
    void (*memory_init)(wa_ctx *c, wa_u32 seg, wa_u32 d, wa_u32 s, wa_u32 n, wa_u64 site);           \
    void (*data_drop)(wa_ctx *c, wa_u32 seg);                                                        \
    void (*memory_copy)(wa_ctx *c, wa_u32 d, wa_u32 s, wa_u32 n, wa_u64 site);                       \
    void (*memory_fill)(wa_ctx *c, wa_u32 d, wa_u32 v, wa_u32 n, wa_u64 site);                       \
    wa_i32 (*table_grow)(wa_ctx *c, wa_u32 t, void *init, wa_u32 n);                                 \
    void (*table_fill)(wa_ctx *c, wa_u32 t, wa_u32 i, void *v, wa_u32 n, wa_u64 site);               \
    void (*table_copy)(wa_ctx *c, wa_u32 td, wa_u32 ts, wa_u32 d, wa_u32 s, wa_u32 n, wa_u64 site);  \
    void (*table_init)(wa_ctx *c, wa_u32 t, wa_u32 seg, wa_u32 d, wa_u32 s, wa_u32 n, wa_u64 site);  \
    void (*elem_drop)(wa_ctx *c, wa_u32 seg);                                                        \
} wa_api;                                                                                            \
                                                                                                     \
struct wa_ctx {                                                                                      \
    const wa_api *api;                                                                               \
    wa_rt *rt;                                                                                       \
    wa_mem *mem;        /* memory 0 (a zero-size memory if the module has none) */                   \
    wa_slot **globals;  /* per global index: the value cell */                                       \
    wa_tab **tables;    /* per table index */                                                        \
    void **funcs;       /* per function index: the pw_func */                                        \
    const void **sigs;  /* per type index: the interned signature */                                 \
    void *inst;         /* the pw_instance */                                                        \
    /* of the running activation (saved and restored around nested ones), in                         \
     * the context so a function's entry check needs no other pointer */                             \
    wa_u64 stack_limit; /* lowest C stack address a native frame may use */                          \
    /* guard mode (no bounds checks, a fault traps): a function that accesses                        \
     * memory stores its d here on entry and after each call, and its own                            \
     * function index in *d, so a fault knows the trapping frame */                                  \
    wa_u64 *top;                                                                                     \
};                                                                                                   \
                                                                                                     \
typedef void (*wa_fn)(void);                                                                         \
                                                                                                     \
/* One defined function of a compiled module; the runtime points the                                 \
 * function's pw_func at it (pw_func.code). */                                                       \
typedef struct wa_fdesc {                                                                            \
    wa_fn typed;                          /* the C function, cast to its own type before a call */   \
    void (*entry)(wa_ctx *, wa_slot *, wa_fn); /* calls typed, slots in and out */                   \
    wa_u32 cost;                          /* fuel its callers charge (its entry cost) */             \
    wa_u32 index;                         /* function index */                                       \
    /* its only call site, which it does not store (a function with one direct                       \
     * call, never called indirectly); the runtime restores it in a backtrace */                     \
    wa_u64 site1;                                                                                    \
} wa_fdesc;                                                                                          \
                                                                                                     \
/* What a compiled module's shared object exports (symbol "pw_aot_module"). */                       \
typedef struct wa_module {                                                                           \
    wa_u32 abi_version;                                                                              \
    wa_u32 nfuncs;                /* size of the function index space */                             \
    wa_u32 guard;                 /* WA_GUARD_* bits (guard pages, aot_guard.c) */                   \
    wa_u8 key[32];                /* cache key it was compiled for (aot_cache.c) */                  \
    const wa_fdesc *funcs;        /* per function index (zeroed for imports) */                      \
} wa_module;

/* clang-format on */
#endif
