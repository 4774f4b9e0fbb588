/* Engine, store, module and instance objects of the embedding API, and
 * instantiation (import checks, segment initialisation, start function). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rt.h"

#define PAGE 65536u
#define MAX_PAGES 65536u
/* Tables may not grow past this many elements, whatever their declared max,
 * so a hostile module cannot make the host allocate gigabytes. */
#define TABLE_LIMIT 10000000u
#define DEFAULT_CALL_DEPTH 65536u
#define DEFAULT_STACK_SLOTS (4u << 20)

/* ---- errors ------------------------------------------------------------ */

static char *vfmt(const char *fmt, va_list ap) {
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    if (n < 0)
        n = 0;
    char *s = malloc((size_t)n + 1);
    if (s)
        vsnprintf(s, (size_t)n + 1, fmt, ap);
    return s;
}

static void rebuild_message(pw_error *e) {
    size_t cap = strlen(e->summary) + 64 + e->nframes * 96;
    for (size_t i = 0; i < e->nframes; i++)
        if (e->frames[i].name)
            cap += strlen(e->frames[i].name);
    char *m = malloc(cap);
    if (!m)
        return;
    size_t n = (size_t)snprintf(m, cap, "%s%s", e->kind == PW_ERR_TRAP ? "trap: " : "", e->summary);
    for (size_t i = 0; i < e->nframes && n < cap; i++) {
        if (e->frames[i].name)
            n += (size_t)snprintf(m + n, cap - n, "\n  at %s (func %u, offset 0x%x)", e->frames[i].name,
                                  e->frames[i].func, e->frames[i].offset);
        else
            n += (size_t)snprintf(m + n, cap - n, "\n  at func %u (offset 0x%x)", e->frames[i].func,
                                  e->frames[i].offset);
    }
    if (e->frames_omitted && n < cap)
        snprintf(m + n, cap - n, "\n  ... %zu more frames", e->frames_omitted);
    free(e->message);
    e->message = m;
}

static pw_error *error_alloc(pw_error_kind kind, pw_trap_kind trap, char *summary) {
    pw_error *e = calloc(1, sizeof *e);
    if (!e) {
        free(summary);
        return NULL;
    }
    e->kind = kind;
    e->trap = trap;
    e->summary = summary ? summary : strdup("(out of memory)");
    if (!e->summary) {
        free(e);
        return NULL;
    }
    rebuild_message(e);
    return e;
}

pw_error *pw_error_new(pw_error_kind kind, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *s = vfmt(fmt, ap);
    va_end(ap);
    return error_alloc(kind, PW_TRAP_NONE, s);
}

const char *pw_trap_text(pw_trap_kind k) {
    switch (k) {
    case PW_TRAP_UNREACHABLE: return "unreachable";
    case PW_TRAP_MEMORY_OOB: return "out of bounds memory access";
    case PW_TRAP_TABLE_OOB: return "out of bounds table access";
    case PW_TRAP_DIV_BY_ZERO: return "integer divide by zero";
    case PW_TRAP_INT_OVERFLOW: return "integer overflow";
    case PW_TRAP_INVALID_CONVERSION: return "invalid conversion to integer";
    case PW_TRAP_UNDEFINED_ELEMENT: return "undefined element";
    case PW_TRAP_UNINITIALIZED_ELEMENT: return "uninitialized element";
    case PW_TRAP_INDIRECT_MISMATCH: return "indirect call type mismatch";
    case PW_TRAP_STACK_EXHAUSTED: return "call stack exhausted";
    case PW_TRAP_HOST: return "host trap";
    case PW_TRAP_OUT_OF_FUEL: return "all fuel consumed";
    case PW_TRAP_DEADLINE: return "interrupted (deadline exceeded or interrupt requested)";
    case PW_TRAP_EXIT: return "exit";
    default: return "trap";
    }
}

pw_error *pw_error_trap_new(pw_trap_kind kind) {
    return error_alloc(PW_ERR_TRAP, kind, strdup(pw_trap_text(kind)));
}

pw_error *pw_trap_new(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    char *s = vfmt(fmt, ap);
    va_end(ap);
    return error_alloc(PW_ERR_TRAP, PW_TRAP_HOST, s);
}

pw_error *pw_exit_new(int code) {
    char buf[48];
    snprintf(buf, sizeof buf, "exit with status %d", code);
    pw_error *e = error_alloc(PW_ERR_TRAP, PW_TRAP_EXIT, strdup(buf));
    if (e)
        e->exit_code = code;
    return e;
}

void pw_error_add_frame(pw_error *e, uint32_t func, const char *name, uint32_t offset) {
    if (!e)
        return;
    if (e->nframes >= PW_MAX_BACKTRACE) {
        e->frames_omitted++;
        return;
    }
    void *p = realloc(e->frames, (e->nframes + 1) * sizeof *e->frames);
    if (!p)
        return;
    e->frames = p;
    e->frames[e->nframes].func = func;
    e->frames[e->nframes].name = name;
    e->frames[e->nframes].offset = offset;
    e->nframes++;
}

void pw_error_seal(pw_error *e) {
    if (e)
        rebuild_message(e);
}

pw_error_kind pw_error_kind_of(const pw_error *e) { return e->kind; }
pw_trap_kind pw_error_trap(const pw_error *e) { return e->kind == PW_ERR_TRAP ? e->trap : PW_TRAP_NONE; }
const char *pw_error_message(const pw_error *e) { return e->message ? e->message : e->summary; }
const char *pw_error_summary(const pw_error *e) { return e->summary; }
size_t pw_error_frame_count(const pw_error *e) { return e->nframes; }
bool pw_error_frame(const pw_error *e, size_t i, uint32_t *func_index, const char **func_name, uint32_t *code_offset) {
    if (i >= e->nframes)
        return false;
    if (func_index)
        *func_index = e->frames[i].func;
    if (func_name)
        *func_name = e->frames[i].name;
    if (code_offset)
        *code_offset = e->frames[i].offset;
    return true;
}
int pw_error_exit_code(const pw_error *e) { return e->exit_code; }
void pw_error_free(pw_error *e) {
    if (!e)
        return;
    free(e->summary);
    free(e->message);
    free(e->frames);
    free(e);
}

/* ---- value kinds and signatures ---------------------------------------- */

const char *pw_valkind_name(pw_valkind k) {
    static const char *const n[] = {"i32", "i64", "f32", "f64", "v128", "funcref", "externref"};
    return (unsigned)k < sizeof n / sizeof n[0] ? n[k] : "?";
}

pw_valkind pw_kind_of(uint8_t t) {
    switch (t) {
    case WM_I32: return PW_I32;
    case WM_I64: return PW_I64;
    case WM_F32: return PW_F32;
    case WM_F64: return PW_F64;
    case WM_V128: return PW_V128;
    case WM_FUNCREF: return PW_FUNCREF;
    default: return PW_EXTERNREF;
    }
}

static uint8_t valtype_of(pw_valkind k) {
    static const uint8_t t[] = {WM_I32, WM_I64, WM_F32, WM_F64, WM_V128, WM_FUNCREF, WM_EXTERNREF};
    return t[k];
}

const pw_sig *pw_engine_intern_sig(pw_engine *e, const uint8_t *types, uint32_t np, uint32_t nr) {
    pthread_mutex_lock(&e->lock);
    pw_sig *found = NULL;
    for (size_t i = 0; i < e->nsigs && !found; i++) {
        pw_sig *s = e->sigs[i];
        if (s->nparams == np && s->nresults == nr && !memcmp(s->types, types, np + nr))
            found = s;
    }
    if (!found && e->nsigs == e->capsigs) {
        size_t nc = e->capsigs ? e->capsigs * 2 : 32;
        pw_sig **p = realloc(e->sigs, nc * sizeof *p);
        if (p) {
            e->sigs = p;
            e->capsigs = nc;
        }
    }
    if (!found && e->nsigs < e->capsigs) {
        pw_sig *s = malloc(sizeof *s + (np + nr) * (1 + sizeof(pw_valkind)));
        if (s) {
            pw_valkind *k = (pw_valkind *)(s + 1);
            uint8_t *t = (uint8_t *)(k + np + nr);
            memcpy(t, types, np + nr);
            for (uint32_t i = 0; i < np + nr; i++)
                k[i] = pw_kind_of(types[i]);
            s->nparams = np;
            s->nresults = nr;
            s->types = t;
            s->kinds = k;
            e->sigs[e->nsigs++] = s;
            found = s;
        }
    }
    pthread_mutex_unlock(&e->lock);
    return found;
}

/* ---- engine ------------------------------------------------------------ */

pw_engine *pw_engine_new(void) {
    pw_engine_config cfg = {false, false};
    return pw_engine_new_with(&cfg);
}

pw_engine *pw_engine_new_with(const pw_engine_config *cfg) {
    pw_engine *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    e->config = *cfg;
    pthread_mutex_init(&e->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&e->wd_cond, &ca);
    e->wd_wake = UINT64_MAX;
    pthread_condattr_destroy(&ca);
    return e;
}

pw_engine_config pw_engine_get_config(const pw_engine *e) { return e->config; }

void pw_engine_free(pw_engine *e) {
    if (!e)
        return;
    if (e->wd_started) {
        pthread_mutex_lock(&e->lock);
        e->wd_quit = true;
        pthread_cond_signal(&e->wd_cond);
        pthread_mutex_unlock(&e->lock);
        pthread_join(e->wd_thread, NULL);
    }
    free(e->wd_stores);
    pthread_cond_destroy(&e->wd_cond);
    for (size_t i = 0; i < e->nsigs; i++)
        free(e->sigs[i]);
    free(e->sigs);
    pthread_mutex_destroy(&e->lock);
    free(e);
}

/* ---- modules ----------------------------------------------------------- */

pw_error *pw_module_new(pw_engine *engine, const uint8_t *bytes, size_t len, pw_module **out) {
    *out = NULL;
    if (!engine || (!bytes && len))
        return pw_error_new(PW_ERR_ARGUMENT, "pw_module_new: engine and bytes are required");
    pw_module *mod = calloc(1, sizeof *mod);
    if (!mod)
        return pw_error_new(PW_ERR_RESOURCE, "out of memory");
    atomic_init(&mod->refs, 1);
    mod->engine = engine;
    char err[256];
    int r = wm_decode(bytes, len, &mod->m, err, sizeof err);
    if (r != WM_OK) {
        free(mod);
        return pw_error_new(r == WM_MALFORMED ? PW_ERR_MALFORMED : PW_ERR_INVALID, "%s", err);
    }
    mod->sigs = calloc(mod->m.ntypes + 1, sizeof *mod->sigs);
    if (!mod->sigs) {
        pw_module_free(mod);
        return pw_error_new(PW_ERR_RESOURCE, "out of memory");
    }
    for (uint32_t i = 0; i < mod->m.ntypes; i++) {
        const wm_functype *t = &mod->m.types[i];
        mod->sigs[i] = pw_engine_intern_sig(engine, t->types, t->nparams, t->nresults);
        if (!mod->sigs[i]) {
            pw_module_free(mod);
            return pw_error_new(PW_ERR_RESOURCE, "out of memory");
        }
    }
    pw_error *e = pw_compile(mod);
    if (e) {
        pw_module_free(mod);
        return e;
    }
    *out = mod;
    return NULL;
}

pw_error *pw_module_from_file(pw_engine *engine, const char *path, pw_module **out) {
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return pw_error_new(PW_ERR_IO, "cannot open '%s': %s", path, strerror(errno));
    uint8_t *buf = NULL;
    size_t n = 0, cap = 0;
    for (;;) {
        if (n == cap) {
            cap = cap ? cap * 2 : 65536;
            uint8_t *p = realloc(buf, cap);
            if (!p) {
                free(buf);
                fclose(f);
                return pw_error_new(PW_ERR_RESOURCE, "out of memory reading '%s'", path);
            }
            buf = p;
        }
        size_t k = fread(buf + n, 1, cap - n, f);
        n += k;
        if (k == 0)
            break;
    }
    bool bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        return pw_error_new(PW_ERR_IO, "error reading '%s'", path);
    }
    pw_error *e = pw_module_new(engine, buf, n, out);
    free(buf);
    return e;
}

pw_module *pw_module_ref(pw_module *m) {
    atomic_fetch_add(&m->refs, 1);
    return m;
}

void pw_module_free(pw_module *m) {
    if (!m || atomic_fetch_sub(&m->refs, 1) != 1)
        return;
    if (m->funcs)
        for (uint32_t i = 0; i < m->m.ncodes; i++)
            pw_cfunc_free(&m->funcs[i]);
    free(m->funcs);
    free(m->sigs);
    wm_module_free(&m->m);
    free(m);
}

static pw_functype functype_of(const pw_sig *s) {
    return (pw_functype){s->nparams, s->nresults, s->kinds, s->kinds + s->nparams};
}

static void externtype_of(const pw_module *mod, uint8_t kind, uint32_t index, pw_externtype *t) {
    const wm_module *m = &mod->m;
    memset(t, 0, sizeof *t);
    t->kind = (pw_extern_kind)kind;
    switch (kind) {
    case WM_EXT_FUNC: t->func = functype_of(mod->sigs[m->func_types[index]]); break;
    case WM_EXT_TABLE:
        t->limits = (pw_limits){m->tables[index].limits.min, m->tables[index].limits.max, m->tables[index].limits.has_max};
        t->elem = pw_kind_of(m->tables[index].reftype);
        break;
    case WM_EXT_MEMORY:
        t->limits = (pw_limits){m->memories[index].min, m->memories[index].max, m->memories[index].has_max};
        break;
    default:
        t->valtype = pw_kind_of(m->global_types[index].valtype);
        t->mut = m->global_types[index].mut;
        break;
    }
}

size_t pw_module_import_count(const pw_module *m) { return m->m.nimports; }

bool pw_module_import(const pw_module *mod, size_t i, const char **module, const char **name, pw_externtype *type) {
    if (i >= mod->m.nimports)
        return false;
    const wm_import *im = &mod->m.imports[i];
    if (module)
        *module = im->module;
    if (name)
        *name = im->name;
    if (type) {
        /* The index of this import within its kind's index space. */
        uint32_t idx = 0;
        for (size_t k = 0; k < i; k++)
            if (mod->m.imports[k].kind == im->kind)
                idx++;
        externtype_of(mod, im->kind, idx, type);
    }
    return true;
}

size_t pw_module_export_count(const pw_module *m) { return m->m.nexports; }

bool pw_module_export(const pw_module *mod, size_t i, const char **name, pw_externtype *type) {
    if (i >= mod->m.nexports)
        return false;
    const wm_export *ex = &mod->m.exports[i];
    if (name)
        *name = ex->name;
    if (type)
        externtype_of(mod, ex->kind, ex->index, type);
    return true;
}

size_t pw_module_import_name_len(const pw_module *m, size_t i, size_t *module_len) {
    if (i >= m->m.nimports)
        return 0;
    if (module_len)
        *module_len = m->m.imports[i].module_len;
    return m->m.imports[i].name_len;
}

size_t pw_module_export_name_len(const pw_module *m, size_t i) {
    return i < m->m.nexports ? m->m.exports[i].name_len : 0;
}

const char *pw_module_func_name(const pw_module *m, uint32_t func_index) {
    if (!m->m.func_names || func_index >= m->m.nfuncs)
        return NULL;
    return m->m.func_names[func_index];
}

void pw_module_sizes(const pw_module *m, size_t *nfuncs, size_t *binary_bytes, size_t *code_bytes) {
    if (nfuncs)
        *nfuncs = m->m.ncodes;
    if (binary_bytes)
        *binary_bytes = m->m.nbytes;
    if (code_bytes)
        *code_bytes = m->code_bytes;
}

size_t pw_module_custom_count(const pw_module *m) { return m->m.ncustoms; }

bool pw_module_custom(const pw_module *m, size_t i, const char **name, const uint8_t **data, size_t *len) {
    if (i >= m->m.ncustoms)
        return false;
    if (name)
        *name = m->m.customs[i].name;
    if (data)
        *data = m->m.customs[i].data;
    if (len)
        *len = m->m.customs[i].len;
    return true;
}

/* ---- stores ------------------------------------------------------------ */

enum { OBJ_FUNC, OBJ_TABLE, OBJ_MEMORY, OBJ_GLOBAL, OBJ_INSTANCE };

pw_store *pw_store_new(pw_engine *engine) {
    pw_store *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->engine = engine;
    s->memory_limit = (uint64_t)MAX_PAGES * PAGE;
    s->max_call_depth = DEFAULT_CALL_DEPTH;
    s->stack_slots = DEFAULT_STACK_SLOTS;
    s->fuel = PW_FUEL_SLICE;
    atomic_init(&s->interrupt, 0);
    s->empty_memory.data = calloc(1, 8);
    s->empty_memory.store = s;
    s->empty_memory.limits = (pw_limits){0, 0, true};
    if (!s->empty_memory.data) {
        free(s);
        return NULL;
    }
    return s;
}

bool pw_store_own(pw_store *s, void *obj, int kind) {
    if (s->nobjs == s->capobjs) {
        size_t nc = s->capobjs ? s->capobjs * 2 : 64;
        void **o = realloc(s->objs, nc * sizeof *o);
        if (!o)
            return false;
        s->objs = o;
        uint8_t *k = realloc(s->obj_kinds, nc);
        if (!k)
            return false;
        s->obj_kinds = k;
        s->capobjs = nc;
    }
    s->objs[s->nobjs] = obj;
    s->obj_kinds[s->nobjs] = (uint8_t)kind;
    s->nobjs++;
    return true;
}

static void instance_free(pw_instance *inst) {
    const wm_module *m = &inst->module->m;
    if (inst->elem_items)
        for (uint32_t i = 0; i < m->nelems; i++)
            free(inst->elem_items[i]);
    free(inst->elem_items);
    free(inst->elem_sizes);
    free(inst->data_dropped);
    free(inst->funcs);
    free(inst->tables);
    free(inst->globals);
    free(inst->exports);
    pw_module_free(inst->module);
    free(inst);
}

void pw_store_free(pw_store *s) {
    if (!s)
        return;
    pw_deadline_disarm(s);
    for (size_t i = s->nobjs; i-- > 0;) {
        void *o = s->objs[i];
        switch (s->obj_kinds[i]) {
        case OBJ_FUNC: {
            pw_func *f = o;
            if (f->finalizer)
                f->finalizer(f->user_data);
            free(f);
            break;
        }
        case OBJ_TABLE:
            free(((pw_table *)o)->elems);
            free(o);
            break;
        case OBJ_MEMORY:
            free(((pw_memory *)o)->data);
            free(o);
            break;
        case OBJ_GLOBAL:
            free(o);
            break;
        default:
            instance_free(o);
            break;
        }
    }
    free(s->objs);
    free(s->obj_kinds);
    free(s->stack);
    free(s->frames);
    free(s->empty_memory.data);
    free(s);
}

void pw_store_set_memory_limit(pw_store *s, uint64_t max_bytes) { s->memory_limit = max_bytes; }

void pw_store_set_max_call_depth(pw_store *s, uint32_t depth) {
    if (depth == 0)
        depth = 1;
    s->max_call_depth = depth;
    /* Reallocated lazily, unless a call is in progress. */
    if (s->frames && s->fsp == s->frames && (size_t)(s->frames_end - s->frames) < depth) {
        free(s->frames);
        s->frames = s->frames_end = s->fsp = NULL;
    }
}

bool pw_store_stacks(pw_store *s) {
    if (!s->stack) {
        s->stack = malloc(s->stack_slots * sizeof *s->stack);
        if (!s->stack)
            return false;
        s->stack_end = s->stack + s->stack_slots;
        s->sp = s->stack;
    }
    if (!s->frames) {
        s->frames = malloc((size_t)s->max_call_depth * sizeof *s->frames);
        if (!s->frames)
            return false;
        s->frames_end = s->frames + s->max_call_depth;
        s->fsp = s->frames;
    }
    return true;
}

/* ---- limits and the deadline watchdog ------------------------------------ */

static uint64_t now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void pw_store_set_fuel(pw_store *s, uint64_t fuel) {
    uint64_t slice = fuel < PW_FUEL_SLICE ? fuel : PW_FUEL_SLICE;
    s->fuel = (int64_t)slice;
    s->fuel_reserve = fuel - slice;
    s->fuel_limited = true;
}

void pw_store_set_unlimited_fuel(pw_store *s) {
    s->fuel = PW_FUEL_SLICE;
    s->fuel_reserve = 0;
    s->fuel_limited = false;
}

uint64_t pw_store_fuel(const pw_store *s) {
    if (!s->fuel_limited)
        return UINT64_MAX;
    return (s->fuel > 0 ? (uint64_t)s->fuel : 0) + s->fuel_reserve;
}

void pw_store_interrupt(pw_store *s) { atomic_fetch_or(&s->interrupt, PW_INTERRUPT_USER); }

bool pw_store_interrupted(const pw_store *s) { return atomic_load(&((pw_store *)s)->interrupt) != 0; }

void pw_store_set_deadline(pw_store *s, uint64_t timeout_ns) { s->deadline_ns = timeout_ns; }

/* Sleeps until the earliest armed deadline, then flags the stores whose
 * deadline has passed. Stores leave the list when their call ends. */
static void *watchdog(void *arg) {
    pw_engine *e = arg;
    pthread_mutex_lock(&e->lock);
    while (!e->wd_quit) {
        uint64_t now = now_ns(), next = UINT64_MAX;
        for (size_t i = 0; i < e->wd_n;) {
            pw_store *s = e->wd_stores[i];
            if (s->deadline_at <= now) {
                atomic_fetch_or(&s->interrupt, PW_INTERRUPT_DEADLINE);
                e->wd_stores[i] = e->wd_stores[--e->wd_n];
                continue;
            }
            if (s->deadline_at < next)
                next = s->deadline_at;
            i++;
        }
        e->wd_wake = next;
        if (next == UINT64_MAX) {
            pthread_cond_wait(&e->wd_cond, &e->lock);
        } else {
            struct timespec ts = {(time_t)(next / 1000000000u), (long)(next % 1000000000u)};
            pthread_cond_timedwait(&e->wd_cond, &e->lock, &ts);
        }
    }
    pthread_mutex_unlock(&e->lock);
    return NULL;
}

void pw_deadline_arm(pw_store *s) {
    pw_engine *e = s->engine;
    atomic_fetch_and(&s->interrupt, ~PW_INTERRUPT_DEADLINE);
    pthread_mutex_lock(&e->lock);
    if (!e->wd_started) {
        if (pthread_create(&e->wd_thread, NULL, watchdog, e) == 0)
            e->wd_started = true;
    }
    if (e->wd_n == e->wd_cap) {
        size_t nc = e->wd_cap ? e->wd_cap * 2 : 8;
        pw_store **p = realloc(e->wd_stores, nc * sizeof *p);
        if (p) {
            e->wd_stores = p;
            e->wd_cap = nc;
        }
    }
    if (e->wd_n < e->wd_cap) {
        s->deadline_at = now_ns() + s->deadline_ns;
        e->wd_stores[e->wd_n++] = s;
        /* Wake the watchdog only if it would look too late: with the same
         * budget on every call, it usually already sleeps until an earlier
         * deadline, and waking it on every call would cost a context switch. */
        if (s->deadline_at < e->wd_wake)
            pthread_cond_signal(&e->wd_cond);
    }
    pthread_mutex_unlock(&e->lock);
}

void pw_deadline_disarm(pw_store *s) {
    pw_engine *e = s->engine;
    pthread_mutex_lock(&e->lock);
    for (size_t i = 0; i < e->wd_n; i++)
        if (e->wd_stores[i] == s) {
            e->wd_stores[i] = e->wd_stores[--e->wd_n];
            break;
        }
    pthread_mutex_unlock(&e->lock);
    atomic_fetch_and(&s->interrupt, ~PW_INTERRUPT_DEADLINE);
}

/* ---- functions --------------------------------------------------------- */

pw_func *pw_func_new(pw_store *store, const pw_valkind *params, uint32_t nparams, const pw_valkind *results,
                     uint32_t nresults, pw_host_fn fn, void *user_data, void (*finalizer)(void *)) {
    uint8_t small[64];
    uint8_t *types = nparams + nresults <= sizeof small ? small : malloc(nparams + nresults);
    if (!types)
        return NULL;
    for (uint32_t i = 0; i < nparams; i++)
        types[i] = valtype_of(params[i]);
    for (uint32_t i = 0; i < nresults; i++)
        types[nparams + i] = valtype_of(results[i]);
    const pw_sig *sig = pw_engine_intern_sig(store->engine, types, nparams, nresults);
    if (types != small)
        free(types);
    pw_func *f = calloc(1, sizeof *f);
    if (!sig || !f || !pw_store_own(store, f, OBJ_FUNC)) {
        free(f);
        return NULL;
    }
    f->sig = sig;
    f->host = fn;
    f->user_data = user_data;
    f->finalizer = finalizer;
    return f;
}

pw_functype pw_func_type(const pw_func *f) { return functype_of(f->sig); }

static pw_slot val_to_slot(pw_val v) {
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

static pw_val slot_to_val(pw_slot s, pw_valkind k) {
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

static void describe_types(char *buf, size_t cap, const pw_valkind *k, size_t n) {
    size_t at = 0;
    buf[0] = 0;
    for (size_t i = 0; i < n && at < cap; i++)
        at += (size_t)snprintf(buf + at, cap - at, "%s%s", i ? ", " : "", pw_valkind_name(k[i]));
}

pw_error *pw_func_call(pw_store *store, pw_func *f, const pw_val *args, size_t nargs, pw_val *results,
                       size_t nresults) {
    const pw_sig *sig = f->sig;
    bool ok = nargs == sig->nparams && nresults == sig->nresults;
    for (size_t i = 0; ok && i < nargs; i++)
        ok = args[i].kind == sig->kinds[i];
    if (!ok) {
        char want[256], got[256];
        describe_types(want, sizeof want, sig->kinds, sig->nparams);
        pw_valkind gk[32];
        size_t ng = nargs < 32 ? nargs : 32;
        for (size_t i = 0; i < ng; i++)
            gk[i] = args[i].kind;
        describe_types(got, sizeof got, gk, ng);
        if (nresults != sig->nresults && nargs == sig->nparams)
            return pw_error_new(PW_ERR_ARGUMENT, "function returns %u results, caller expects %zu", sig->nresults,
                                nresults);
        return pw_error_new(PW_ERR_ARGUMENT, "expected %u arguments (%s), got %zu (%s)", sig->nparams, want, nargs,
                            got);
    }
    pw_slot small[16];
    size_t n = sig->nparams > sig->nresults ? sig->nparams : sig->nresults;
    pw_slot *slots = n <= 16 ? small : malloc(n * sizeof *slots);
    if (!slots)
        return pw_error_new(PW_ERR_RESOURCE, "out of memory");
    for (size_t i = 0; i < nargs; i++)
        slots[i] = val_to_slot(args[i]);
    pw_error *e = pw_interp_call(store, f, slots);
    if (!e)
        for (size_t i = 0; i < nresults; i++)
            results[i] = slot_to_val(slots[i], sig->kinds[sig->nparams + i]);
    if (slots != small)
        free(slots);
    return e;
}

pw_error *pw_func_call_unchecked(pw_store *store, pw_func *f, uint64_t *slots) {
    return pw_interp_call(store, f, (pw_slot *)(void *)slots);
}

pw_memory *pw_caller_memory(pw_caller *c) {
    if (!c->inst || c->inst->mem0 == &c->store->empty_memory || !c->inst->module->m.nmemories)
        return NULL;
    return c->inst->mem0;
}
pw_store *pw_caller_store(pw_caller *c) { return c->store; }
bool pw_caller_export(pw_caller *c, const char *name, pw_extern *out) {
    return c->inst ? pw_instance_export(c->inst, name, out) : false;
}

/* ---- memories ---------------------------------------------------------- */

static pw_memory *memory_alloc(pw_store *s, pw_limits limits) {
    pw_memory *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->size = (uint64_t)limits.min * PAGE;
    m->data = calloc(1, m->size ? m->size : 8);
    if (!m->data || !pw_store_own(s, m, OBJ_MEMORY)) {
        free(m->data);
        free(m);
        return NULL;
    }
    m->pages = limits.min;
    m->limits = limits;
    m->store = s;
    return m;
}

pw_memory *pw_memory_new(pw_store *store, pw_limits limits) {
    if (limits.min > MAX_PAGES || (limits.has_max && (limits.max < limits.min || limits.max > MAX_PAGES)))
        return NULL;
    if ((uint64_t)limits.min * PAGE > store->memory_limit)
        return NULL;
    return memory_alloc(store, limits);
}

uint8_t *pw_memory_data(pw_memory *m) { return m->data; }
uint64_t pw_memory_size(const pw_memory *m) { return m->size; }
uint32_t pw_memory_pages(const pw_memory *m) { return m->pages; }
pw_limits pw_memory_limits(const pw_memory *m) { return m->limits; }

int64_t pw_memory_grow_pages(pw_memory *m, uint32_t delta) {
    uint64_t old = m->pages, np = old + delta;
    uint64_t max = m->limits.has_max ? m->limits.max : MAX_PAGES;
    if (np > max || np > MAX_PAGES || np * PAGE > m->store->memory_limit)
        return -1;
    if (delta == 0)
        return (int64_t)old;
    uint8_t *d = realloc(m->data, np * PAGE);
    if (!d)
        return -1;
    memset(d + m->size, 0, (np - old) * PAGE);
    m->data = d;
    m->size = np * PAGE;
    m->pages = (uint32_t)np;
    return (int64_t)old;
}

int64_t pw_memory_grow(pw_memory *m, uint32_t delta) { return pw_memory_grow_pages(m, delta); }

bool pw_memory_read(const pw_memory *m, uint64_t offset, void *dst, size_t len) {
    if (offset > m->size || len > m->size - offset)
        return false;
    if (len)
        memcpy(dst, m->data + offset, len);
    return true;
}

bool pw_memory_write(pw_memory *m, uint64_t offset, const void *src, size_t len) {
    if (offset > m->size || len > m->size - offset)
        return false;
    if (len)
        memcpy(m->data + offset, src, len);
    return true;
}

/* ---- tables ------------------------------------------------------------ */

static pw_table *table_alloc(pw_store *s, pw_valkind elem, pw_limits limits, void *init) {
    if (limits.min > TABLE_LIMIT)
        return NULL;
    pw_table *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->elems = calloc(limits.min ? limits.min : 1, sizeof *t->elems);
    if (!t->elems || !pw_store_own(s, t, OBJ_TABLE)) {
        free(t->elems);
        free(t);
        return NULL;
    }
    for (uint32_t i = 0; i < limits.min; i++)
        t->elems[i] = init;
    t->size = limits.min;
    t->limits = limits;
    t->elem = elem;
    return t;
}

pw_table *pw_table_new(pw_store *store, pw_valkind elem, pw_limits limits, pw_val init) {
    if ((elem != PW_FUNCREF && elem != PW_EXTERNREF) || init.kind != elem)
        return NULL;
    if (limits.has_max && limits.max < limits.min)
        return NULL;
    return table_alloc(store, elem, limits, val_to_slot(init).ref);
}

uint32_t pw_table_size(const pw_table *t) { return t->size; }
pw_limits pw_table_limits(const pw_table *t) { return t->limits; }
pw_valkind pw_table_elem(const pw_table *t) { return t->elem; }

bool pw_table_get(const pw_table *t, uint32_t i, pw_val *out) {
    if (i >= t->size)
        return false;
    pw_slot s;
    s.ref = t->elems[i];
    *out = slot_to_val(s, t->elem);
    return true;
}

bool pw_table_set(pw_table *t, uint32_t i, pw_val v) {
    if (i >= t->size || v.kind != t->elem)
        return false;
    t->elems[i] = val_to_slot(v).ref;
    return true;
}

int64_t pw_table_grow_raw(pw_table *t, uint32_t delta, void *init) {
    uint64_t old = t->size, ns = old + delta;
    uint64_t max = t->limits.has_max ? t->limits.max : UINT32_MAX;
    if (ns > max || ns > TABLE_LIMIT)
        return -1;
    if (delta == 0)
        return (int64_t)old;
    void **e = realloc(t->elems, ns * sizeof *e);
    if (!e)
        return -1;
    for (uint64_t i = old; i < ns; i++)
        e[i] = init;
    t->elems = e;
    t->size = (uint32_t)ns;
    return (int64_t)old;
}

int64_t pw_table_grow(pw_table *t, uint32_t delta, pw_val init) {
    if (init.kind != t->elem)
        return -1;
    return pw_table_grow_raw(t, delta, val_to_slot(init).ref);
}

/* ---- globals ----------------------------------------------------------- */

pw_global *pw_global_new(pw_store *store, pw_valkind type, bool mut, pw_val init) {
    if (init.kind != type)
        return NULL;
    pw_global *g = calloc(1, sizeof *g);
    if (!g || !pw_store_own(store, g, OBJ_GLOBAL)) {
        free(g);
        return NULL;
    }
    g->type = type;
    g->mut = mut;
    g->val = val_to_slot(init);
    return g;
}

pw_val pw_global_get(const pw_global *g) { return slot_to_val(g->val, g->type); }

bool pw_global_set(pw_global *g, pw_val v) {
    if (!g->mut || v.kind != g->type)
        return false;
    g->val = val_to_slot(v);
    return true;
}

pw_valkind pw_global_type(const pw_global *g, bool *mut) {
    if (mut)
        *mut = g->mut;
    return g->type;
}

/* ---- instantiation ----------------------------------------------------- */

const char *pw_extern_kind_name(pw_extern_kind k) {
    static const char *const n[] = {"function", "table", "memory", "global"};
    return (unsigned)k < 4 ? n[k] : "?";
}

static bool limits_match(pw_limits actual, uint32_t actual_size, wm_limits want) {
    if (actual_size < want.min)
        return false;
    if (want.has_max) {
        if (!actual.has_max || actual.max > want.max)
            return false;
    }
    return true;
}

static pw_slot eval_const(pw_instance *inst, const wm_constexpr *e) {
    pw_slot s;
    s.u64 = 0;
    switch (e->op) {
    case WM_CONST_GLOBAL_GET: s = inst->globals[e->value]->val; break;
    case WM_CONST_REF_NULL: s.ref = NULL; break;
    case WM_CONST_REF_FUNC: s.ref = inst->funcs[e->value]; break;
    default: s.u64 = e->value; break;
    }
    return s;
}

static pw_error *link_error(const wm_import *im, const char *why) {
    return pw_error_new(PW_ERR_LINK, "incompatible import type for %s '%s'.'%s': %s", pw_extern_kind_name((pw_extern_kind)im->kind), im->module,
                        im->name, why);
}

pw_error *pw_instance_new(pw_store *s, pw_module *mod, const pw_extern *imports, size_t nimports,
                          pw_instance **out) {
    *out = NULL;
    const wm_module *m = &mod->m;
    if (nimports != m->nimports)
        return pw_error_new(PW_ERR_ARGUMENT, "module expects %u imports, %zu given", m->nimports, nimports);
    /* Check every import before allocating anything. */
    for (uint32_t i = 0; i < m->nimports; i++) {
        const wm_import *im = &m->imports[i];
        const pw_extern *ex = &imports[i];
        if ((int)ex->kind != im->kind || !ex->of.func)
            return pw_error_new(PW_ERR_LINK, "incompatible import type for '%s'.'%s': expected a %s", im->module,
                                im->name, pw_extern_kind_name((pw_extern_kind)im->kind));
        switch (im->kind) {
        case WM_EXT_FUNC:
            if (ex->of.func->sig != mod->sigs[im->desc.type_index])
                return link_error(im, "function signature differs");
            break;
        case WM_EXT_TABLE: {
            const pw_table *t = ex->of.table;
            if (t->elem != pw_kind_of(im->desc.table.reftype))
                return link_error(im, "element type differs");
            if (!limits_match(t->limits, t->size, im->desc.table.limits))
                return link_error(im, "table limits do not match");
            break;
        }
        case WM_EXT_MEMORY: {
            const pw_memory *mm = ex->of.memory;
            if (!limits_match(mm->limits, mm->pages, im->desc.memory))
                return link_error(im, "memory limits do not match");
            break;
        }
        default: {
            const pw_global *g = ex->of.global;
            if (g->type != pw_kind_of(im->desc.global.valtype) || g->mut != im->desc.global.mut)
                return link_error(im, "global type or mutability differs");
            break;
        }
        }
    }
    for (uint32_t i = m->nmemories > m->nmemory_imports ? m->nmemory_imports : m->nmemories; i < m->nmemories; i++)
        if ((uint64_t)m->memories[i].min * PAGE > s->memory_limit)
            return pw_error_new(PW_ERR_RESOURCE,
                                "memory %u needs %u pages (%llu bytes), more than the store's limit of %llu bytes", i,
                                m->memories[i].min, (unsigned long long)m->memories[i].min * PAGE,
                                (unsigned long long)s->memory_limit);

    pw_instance *inst = calloc(1, sizeof *inst);
    if (!inst)
        return pw_error_new(PW_ERR_RESOURCE, "out of memory");
    inst->store = s;
    inst->module = pw_module_ref(mod);
    if (!pw_store_own(s, inst, OBJ_INSTANCE)) {
        instance_free(inst);
        return pw_error_new(PW_ERR_RESOURCE, "out of memory");
    }
    inst->funcs = calloc(m->nfuncs + 1, sizeof *inst->funcs);
    inst->tables = calloc(m->ntables + 1, sizeof *inst->tables);
    inst->globals = calloc(m->nglobals + 1, sizeof *inst->globals);
    inst->exports = calloc(m->nexports + 1, sizeof *inst->exports);
    inst->elem_items = calloc(m->nelems + 1, sizeof *inst->elem_items);
    inst->elem_sizes = calloc(m->nelems + 1, sizeof *inst->elem_sizes);
    inst->data_dropped = calloc(m->ndatas + 1, sizeof *inst->data_dropped);
    if (!inst->funcs || !inst->tables || !inst->globals || !inst->exports || !inst->elem_items || !inst->elem_sizes ||
        !inst->data_dropped)
        return pw_error_new(PW_ERR_RESOURCE, "out of memory");
    inst->mem0 = &s->empty_memory;

    uint32_t fi = 0, ti = 0, mi = 0, gi = 0;
    for (uint32_t i = 0; i < m->nimports; i++) {
        switch (m->imports[i].kind) {
        case WM_EXT_FUNC: inst->funcs[fi++] = imports[i].of.func; break;
        case WM_EXT_TABLE: inst->tables[ti++] = imports[i].of.table; break;
        case WM_EXT_MEMORY:
            if (mi++ == 0)
                inst->mem0 = imports[i].of.memory;
            break;
        default: inst->globals[gi++] = imports[i].of.global; break;
        }
    }
    for (uint32_t i = 0; i < m->ncodes; i++) {
        pw_func *f = calloc(1, sizeof *f);
        if (!f || !pw_store_own(s, f, OBJ_FUNC)) {
            free(f);
            return pw_error_new(PW_ERR_RESOURCE, "out of memory");
        }
        f->sig = mod->sigs[m->func_types[fi]];
        f->inst = inst;
        f->cf = &mod->funcs[i];
        inst->funcs[fi++] = f;
    }
    for (; ti < m->ntables; ti++) {
        const wm_tabletype *tt = &m->tables[ti];
        inst->tables[ti] = table_alloc(s, pw_kind_of(tt->reftype),
                                       (pw_limits){tt->limits.min, tt->limits.max, tt->limits.has_max}, NULL);
        if (!inst->tables[ti])
            return pw_error_new(PW_ERR_RESOURCE, "cannot allocate table %u of %u elements", ti, tt->limits.min);
    }
    for (; mi < m->nmemories; mi++) {
        const wm_limits *ml = &m->memories[mi];
        pw_memory *mm = memory_alloc(s, (pw_limits){ml->min, ml->max, ml->has_max});
        if (!mm)
            return pw_error_new(PW_ERR_RESOURCE, "cannot allocate memory %u of %u pages", mi, ml->min);
        if (mi == 0)
            inst->mem0 = mm;
    }
    for (; gi < m->nglobals; gi++) {
        const wm_global *g = &m->globals[gi - m->nglobal_imports];
        pw_global *pg = calloc(1, sizeof *pg);
        if (!pg || !pw_store_own(s, pg, OBJ_GLOBAL)) {
            free(pg);
            return pw_error_new(PW_ERR_RESOURCE, "out of memory");
        }
        pg->type = pw_kind_of(g->type.valtype);
        pg->mut = g->type.mut;
        inst->globals[gi] = pg;
        pg->val = eval_const(inst, &g->init);
    }
    for (uint32_t i = 0; i < m->nexports; i++) {
        const wm_export *ex = &m->exports[i];
        pw_extern *e = &inst->exports[i];
        e->kind = (pw_extern_kind)ex->kind;
        switch (ex->kind) {
        case WM_EXT_FUNC: e->of.func = inst->funcs[ex->index]; break;
        case WM_EXT_TABLE: e->of.table = inst->tables[ex->index]; break;
        case WM_EXT_MEMORY: e->of.memory = inst->mem0; break;
        default: e->of.global = inst->globals[ex->index]; break;
        }
    }
    for (uint32_t i = 0; i < m->nelems; i++) {
        const wm_elem *el = &m->elems[i];
        inst->elem_items[i] = calloc(el->count ? el->count : 1, sizeof(void *));
        if (!inst->elem_items[i])
            return pw_error_new(PW_ERR_RESOURCE, "out of memory");
        for (uint32_t k = 0; k < el->count; k++)
            inst->elem_items[i][k] = eval_const(inst, &el->items[k]).ref;
        inst->elem_sizes[i] = el->count;
    }
    /* Segment initialisation in the spec's order; a failure leaves the
     * writes already done in place (they may be visible through imports). */
    for (uint32_t i = 0; i < m->nelems; i++) {
        const wm_elem *el = &m->elems[i];
        if (el->mode == WM_SEG_ACTIVE) {
            pw_table *t = inst->tables[el->table];
            uint64_t off = eval_const(inst, &el->offset).u32;
            if (off + el->count > t->size)
                return pw_error_trap_new(PW_TRAP_TABLE_OOB);
            if (el->count)
                memcpy(t->elems + off, inst->elem_items[i], el->count * sizeof(void *));
        }
        if (el->mode != WM_SEG_PASSIVE) {
            free(inst->elem_items[i]);
            inst->elem_items[i] = NULL;
            inst->elem_sizes[i] = 0;
        }
    }
    for (uint32_t i = 0; i < m->ndatas; i++) {
        const wm_data *d = &m->datas[i];
        if (d->mode != WM_SEG_ACTIVE)
            continue;
        pw_memory *mm = inst->mem0;
        uint64_t off = eval_const(inst, &d->offset).u32;
        if (off + d->len > mm->size)
            return pw_error_trap_new(PW_TRAP_MEMORY_OOB);
        if (d->len)
            memcpy(mm->data + off, d->bytes, d->len);
        inst->data_dropped[i] = true;
    }
    if (m->has_start) {
        pw_slot slots[1];
        pw_error *e = pw_interp_call(s, inst->funcs[m->start], slots);
        if (e)
            return e;
    }
    *out = inst;
    return NULL;
}

bool pw_instance_export(pw_instance *inst, const char *name, pw_extern *out) {
    return pw_instance_export_n(inst, name, strlen(name), out);
}

bool pw_instance_export_n(pw_instance *inst, const char *name, size_t len, pw_extern *out) {
    const wm_module *m = &inst->module->m;
    for (uint32_t i = 0; i < m->nexports; i++)
        if (m->exports[i].name_len == len && !memcmp(m->exports[i].name, name, len)) {
            *out = inst->exports[i];
            return true;
        }
    return false;
}

pw_func *pw_instance_func(pw_instance *inst, const char *name) {
    pw_extern e;
    if (!pw_instance_export(inst, name, &e) || e.kind != PW_EXTERN_FUNC)
        return NULL;
    return e.of.func;
}

pw_module *pw_instance_module(pw_instance *inst) { return inst->module; }
size_t pw_instance_export_count(pw_instance *inst) { return inst->module->m.nexports; }
bool pw_instance_export_at(pw_instance *inst, size_t i, const char **name, pw_extern *out) {
    if (i >= inst->module->m.nexports)
        return false;
    if (name)
        *name = inst->module->m.exports[i].name;
    if (out)
        *out = inst->exports[i];
    return true;
}
