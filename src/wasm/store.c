/* Stores: the objects they own, and the execution stacks. */
#include <stdlib.h>
#include <string.h>

#include "rt.h"

pw_store *pw_store_new(pw_engine *engine) {
    pw_store *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->engine = engine;
    s->memory_limit = (uint64_t)PW_MAX_PAGES * PW_PAGE;
    s->max_call_depth = PW_DEFAULT_CALL_DEPTH;
    s->stack_slots = PW_DEFAULT_STACK_SLOTS;
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
    if (!PBASE_RESERVE(s->objs, s->capobjs, s->nobjs + 1) ||
        !PBASE_RESERVE(s->obj_kinds, s->capkinds, s->nobjs + 1))
        return false;
    s->objs[s->nobjs] = obj;
    s->obj_kinds[s->nobjs] = (uint8_t)kind;
    s->nobjs++;
    return true;
}

void pw_store_free(pw_store *s) {
    if (!s)
        return;
    pw_deadline_disarm(s);
    for (size_t i = s->nobjs; i-- > 0;) {
        void *o = s->objs[i];
        switch (s->obj_kinds[i]) {
        case PW_OBJ_FUNC: {
            pw_func *f = o;
            if (f->finalizer)
                f->finalizer(f->user_data);
            free(f);
            break;
        }
        case PW_OBJ_TABLE:
            free(((pw_table *)o)->elems);
            free(o);
            break;
        case PW_OBJ_MEMORY: pw_memory_release(o); break;
        case PW_OBJ_GLOBAL: free(o); break;
        default: pw_instance_free(o); break;
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
