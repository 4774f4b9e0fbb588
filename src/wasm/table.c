/* Tables. */
#include <stdlib.h>
#include <string.h>

#include "rt.h"

pw_table *pw_table_alloc(pw_store *s, pw_valkind elem, pw_limits limits, void *init) {
    if (limits.min > PW_TABLE_LIMIT)
        return NULL;
    pw_table *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->elems = calloc(limits.min ? limits.min : 1, sizeof *t->elems);
    if (!t->elems || !pw_store_own(s, t, PW_OBJ_TABLE)) {
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
    return pw_table_alloc(store, elem, limits, pw_val_to_slot(init).ref);
}

uint32_t pw_table_size(const pw_table *t) { return t->size; }
pw_limits pw_table_limits(const pw_table *t) { return t->limits; }
pw_valkind pw_table_elem(const pw_table *t) { return t->elem; }

bool pw_table_get(const pw_table *t, uint32_t i, pw_val *out) {
    if (i >= t->size)
        return false;
    pw_slot s;
    s.ref = t->elems[i];
    *out = pw_slot_to_val(s, t->elem);
    return true;
}

bool pw_table_set(pw_table *t, uint32_t i, pw_val v) {
    if (i >= t->size || v.kind != t->elem)
        return false;
    t->elems[i] = pw_val_to_slot(v).ref;
    return true;
}

int64_t pw_table_grow_raw(pw_table *t, uint32_t delta, void *init) {
    uint64_t old = t->size, ns = old + delta;
    uint64_t max = t->limits.has_max ? t->limits.max : UINT32_MAX;
    if (ns > max || ns > PW_TABLE_LIMIT)
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
    return pw_table_grow_raw(t, delta, pw_val_to_slot(init).ref);
}
