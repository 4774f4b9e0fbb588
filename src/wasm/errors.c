/* Errors and traps as values: messages, backtrace frames. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tier.h"

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
bool pw_error_frame(const pw_error *e, size_t i, uint32_t *func_index, const char **func_name,
                    uint32_t *code_offset) {
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

void pw_error_add_wasm_frame(pw_error *e, const pw_module *mod, uint32_t func_index, uint32_t offset) {
    const wm_module *m = &mod->m;
    const char *name = m->func_names && func_index < m->nfuncs ? m->func_names[func_index] : NULL;
    pw_error_add_frame(e, func_index, name, offset);
}
