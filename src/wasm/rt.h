/* Runtime structures shared by the translator, the interpreter and the
 * embedding API. Private to the wasm layer. */
#ifndef PORTALIS_WASM_RT_H
#define PORTALIS_WASM_RT_H

#include <pthread.h>
#include <stdatomic.h>

#include "ir.h"
#include "module.h"
#include "portalis/base.h"
#include "portalis/engine.h"

/* One frame slot / value cell. i32 and f32 live in the low 32 bits (the
 * upper half is unspecified), references as pointers. A v128 takes two
 * consecutive slots, low 64 bits first, wherever values sit in slots
 * (frames, arguments and results of calls). */
typedef union pw_slot {
    uint64_t u64;
    int64_t i64;
    uint32_t u32;
    int32_t i32;
    float f32;
    double f64;
    void *ref;
} pw_slot;

/* A function signature, interned per engine so that type equality (for
 * call_indirect and imports) is a pointer comparison. */
typedef struct pw_sig {
    uint32_t nparams, nresults;
    const uint8_t *types;    /* wasm value type bytes: params then results */
    const pw_valkind *kinds; /* the same as pw_valkind */
    /* The same in slots: a v128 is WM_V128 then PW_T_V128_HI. */
    uint32_t nparam_slots, nresult_slots;
    const uint8_t *slot_types;
} pw_sig;
/* The type of a v128's second slot (no wasm type byte). */
#define PW_T_V128_HI 0x01

struct pw_engine {
    pw_engine_config config;
    pthread_mutex_t lock; /* guards sigs and the watchdog state */
    pw_sig **sigs;
    size_t nsigs, capsigs;
    /* Deadline watchdog: stores with an armed deadline. */
    pthread_t wd_thread;
    pthread_cond_t wd_cond;
    bool wd_started, wd_quit;
    uint64_t wd_wake; /* when the watchdog will next look (UINT64_MAX: only when signalled) */
    pw_store **wd_stores;
    size_t wd_n, wd_cap;
};

const pw_sig *pw_engine_intern_sig(pw_engine *e, const uint8_t *types, uint32_t np, uint32_t nr);
pw_valkind pw_kind_of(uint8_t valtype);
uint8_t pw_valtype_of(pw_valkind k);
static inline pw_functype pw_functype_of(const pw_sig *s) {
    return (pw_functype){s->nparams, s->nresults, s->kinds, s->kinds + s->nparams};
}

#define PW_PAGE 65536u
#define PW_MAX_PAGES 65536u
/* Tables may not grow past this many elements, whatever their declared max,
 * so a hostile module cannot make the host allocate gigabytes. */
#define PW_TABLE_LIMIT PW_LIMIT_TABLE_ELEMS
#define PW_DEFAULT_CALL_DEPTH 65536u
#define PW_DEFAULT_STACK_SLOTS (4u << 20)

/* A translated function body. */
typedef struct pw_cfunc {
    pw_code *code;
    uint32_t ncode;
    uint32_t nparams;
    uint32_t nlocals;    /* parameters + declared locals */
    uint32_t frame_size; /* slots: locals + max operand stack height */
    const pw_sig *sig;
    uint32_t index;      /* function index in the module */
    uint32_t entry_cost; /* fuel charged on entry; 0 when the engine has no checks */
    uint32_t nzero;      /* declared locals to zero on entry */
    /* (code word index, wasm byte offset) for every instruction, sorted. */
    uint32_t *offmap;
    uint32_t noffmap;
} pw_cfunc;

typedef struct pw_tier pw_tier; /* tier.h */

struct pw_module {
    atomic_int refs;
    pw_engine *engine;
    wm_module m;
    const pw_sig **sigs;   /* per type index */
    pw_cfunc *funcs;       /* per defined function (interpreter code); NULL for a native module
                            * loaded from the cache (pw_aot_from_cache) */
    const pw_tier *tier;   /* runs the module's functions (tier.h) */
    void *tier_data;       /* owned by the tier */
    pw_valkind *kinds_buf; /* storage behind pw_functype of imports/exports */
    size_t code_bytes;
    bool simd; /* uses v128 (types, globals, locals or 0xfd instructions) */
};

struct pw_func {
    const pw_sig *sig;
    pw_instance *inst;   /* NULL for host functions */
    const pw_tier *tier; /* NULL for host functions */
    const pw_cfunc *cf;  /* interpreter code, when the interpreter runs it */
    const void *code;    /* another tier's code for it */
    /* Fuel a calling interpreter charges before the call: the entry cost of
     * an interpreted function, 1 for a host function, 0 for a function of
     * another tier (which charges its entry itself). */
    uint32_t call_cost;
    pw_host_fn host;
    void *user_data;
    void (*finalizer)(void *);
};

struct pw_memory {
    uint8_t *data;     /* start of the reservation; never moves */
    uint64_t size;     /* bytes usable (read/write) */
    uint64_t reserved; /* bytes of address space reserved (PROT_NONE past size) */
    uint32_t pages;
    pw_limits limits;
    pw_store *store;
};

struct pw_table {
    void **elems;
    uint32_t size;
    pw_limits limits;
    pw_valkind elem;
};

struct pw_global {
    pw_slot val;
    pw_slot val_hi; /* a v128's high 64 bits */
    pw_valkind type;
    bool mut;
};

struct pw_instance {
    pw_store *store;
    pw_module *module;
    pw_func **funcs;
    pw_table **tables;
    pw_memory *mem0; /* never NULL: a zero-size memory if the module has none */
    pw_global **globals;
    /* Passive element segments' references (NULL after elem.drop) and sizes. */
    void ***elem_items;
    uint32_t *elem_sizes;
    bool *data_dropped;
    pw_extern *exports;
};

/* Everything a store owns, freed together. */
/* A suspended caller. Its function is not stored: a backtrace finds it from
 * the return address, which keeps calls cheaper. */
typedef struct pw_frame {
    const pw_code *ip; /* return address */
    pw_slot *fp;
    pw_instance *inst;
} pw_frame;

struct pw_store {
    pw_engine *engine;
    uint64_t memory_limit;
    uint32_t max_call_depth;
    /* Value stack and call frames, allocated on first call. */
    pw_slot *stack, *stack_end, *sp; /* sp: first free slot (for re-entrant calls) */
    pw_frame *frames, *frames_end, *fsp;
    /* Call depth outside the running activation (see tier.h). */
    uint32_t depth;
    /* Native stack guard for re-entrant calls (call.c): the lowest stack
     * address a new activation may start below in thread `stack_thread`. */
    uintptr_t stack_limit;
    pthread_t stack_thread;
    size_t stack_slots;
    /* Owned objects. */
    void **objs;
    uint8_t *obj_kinds;
    size_t nobjs, capobjs, capkinds;
    pw_memory empty_memory;
    /* Limits. interrupt: bit 0 user request, bit 1 deadline (watchdog). */
    /* Fuel is spent from a register copy of `fuel` in slices of at most
     * PW_FUEL_SLICE; `fuel_reserve` holds the rest of a limited budget. The
     * slow path that refills a slice also polls for interrupts, so the hot
     * path of a check is a subtraction and a branch. */
    int64_t fuel;
    uint64_t fuel_reserve;
    bool fuel_limited;
    atomic_int interrupt;
    uint64_t deadline_ns;
    uint64_t deadline_at; /* CLOCK_MONOTONIC ns, while armed (guarded by engine lock) */
};
#define PW_FUEL_SLICE 10000
#define PW_INTERRUPT_USER 1
#define PW_INTERRUPT_DEADLINE 2

/* Watchdog (limits.c): arm before an outermost call, disarm after. */
void pw_deadline_arm(pw_store *s);
void pw_deadline_disarm(pw_store *s);

/* Registers an object for freeing with the store. Returns false on
 * allocation failure. */
enum { PW_OBJ_FUNC, PW_OBJ_TABLE, PW_OBJ_MEMORY, PW_OBJ_GLOBAL, PW_OBJ_INSTANCE };
bool pw_store_own(pw_store *s, void *obj, int kind);
void pw_instance_free(pw_instance *inst);
pw_memory *pw_memory_alloc(pw_store *s, pw_limits limits);
void pw_memory_release(pw_memory *m);
/* A memory with this much reserved has guard space past every wasm32
 * address (4 GiB index + 4 GiB offset), see memory.c. */
#define PW_MEMORY_RESERVE_GUARDED ((uint64_t)8 << 30 | (uint64_t)PW_PAGE)
pw_table *pw_table_alloc(pw_store *s, pw_valkind elem, pw_limits limits, void *init);

/* Conversions between API values and slots (i32/f32 in the low half). */
static inline pw_slot pw_val_to_slot(pw_val v) {
    pw_slot s;
    s.u64 = 0;
    switch (v.kind) {
    case PW_I32: s.i32 = v.of.i32; break;
    case PW_I64: s.i64 = v.of.i64; break;
    case PW_F32: s.f32 = v.of.f32; break;
    case PW_F64: s.f64 = v.of.f64; break;
    case PW_FUNCREF: s.ref = v.of.funcref; break;
    default: s.ref = v.of.externref; break;
    }
    return s;
}
static inline pw_val pw_slot_to_val(pw_slot s, pw_valkind k) {
    pw_val v;
    v.kind = k;
    v.of.i64 = 0;
    switch (k) {
    case PW_I32: v.of.i32 = s.i32; break;
    case PW_I64: v.of.i64 = s.i64; break;
    case PW_F32: v.of.f32 = s.f32; break;
    case PW_F64: v.of.f64 = s.f64; break;
    case PW_FUNCREF: v.of.funcref = s.ref; break;
    default: v.of.externref = s.ref; break;
    }
    return v;
}

/* The same for values that may be v128s: how many slots kind k takes, and
 * conversions that write or read that many. */
static inline uint32_t pw_kind_slots(pw_valkind k) { return k == PW_V128 ? 2 : 1; }
static inline uint32_t pw_val_store(pw_val v, pw_slot *s) {
    if (v.kind == PW_V128) {
        s[0].u64 = v.of.v128.u64[0];
        s[1].u64 = v.of.v128.u64[1];
        return 2;
    }
    s[0] = pw_val_to_slot(v);
    return 1;
}
static inline pw_val pw_val_load(const pw_slot *s, pw_valkind k) {
    if (k != PW_V128)
        return pw_slot_to_val(s[0], k);
    pw_val v;
    v.kind = k;
    v.of.v128.u64[0] = s[0].u64;
    v.of.v128.u64[1] = s[1].u64;
    return v;
}

struct pw_caller {
    pw_store *store;
    pw_instance *inst;
};

/* Errors. */
struct pw_error {
    pw_error_kind kind;
    pw_trap_kind trap;
    int exit_code;
    char *summary;
    char *message;
    size_t nframes, frames_omitted;
    struct {
        uint32_t func;
        const char *name;
        uint32_t offset;
    } * frames;
};
pw_error *pw_error_new(pw_error_kind kind, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
pw_error *pw_error_trap_new(pw_trap_kind kind);
const char *pw_trap_text(pw_trap_kind k);
/* Appends a backtrace frame (at most PW_MAX_BACKTRACE are kept; the rest are
 * counted); pw_error_seal then rebuilds the message once. */
#define PW_MAX_BACKTRACE 64
void pw_error_add_frame(pw_error *e, uint32_t func, const char *name, uint32_t offset);
void pw_error_seal(pw_error *e);

/* Translates every function body of the module (validating it). */
pw_error *pw_compile(pw_module *mod);
/* Identifies this build of the validator: part of the native tier's cache
 * key, since a cache hit stands for validation (pw_aot_from_cache). */
const char *pw_compile_build_id(void);
void pw_cfunc_free(pw_cfunc *f);
uint32_t pw_cfunc_offset(const pw_cfunc *f, const pw_code *ip);
/* Steps over one instruction of a body (scan.c); NULL if fine, else the
 * spec's wording for the malformation. */
const char *wm_instr_skip(const uint8_t **p, const uint8_t *end, uint8_t *op);
/* NULL if a body's syntax (opcodes, immediates, nesting, final end) is
 * fine. The spec decodes the whole module before validating it, so a
 * malformed body wins over a validation error found earlier. */
const char *wm_scan_syntax(const uint8_t *p, const uint8_t *end);

/* Ensures the store's stacks exist. */
bool pw_store_stacks(pw_store *s);

/* Calls host function f with arguments/results in slots (call.c). */
pw_error *pw_call_host(pw_store *s, pw_func *f, pw_instance *caller, pw_slot *slots);

/* Slow-path helpers used by the tiers (memory.c, table.c). */
int64_t pw_memory_grow_pages(pw_memory *m, uint32_t delta);
int64_t pw_table_grow_raw(pw_table *t, uint32_t delta, void *init);

#endif
