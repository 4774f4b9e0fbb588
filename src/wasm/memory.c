/* Linear memories. */
#include <stdlib.h>
#include <string.h>

#include "rt.h"

pw_memory *pw_memory_alloc(pw_store *s, pw_limits limits) {
    pw_memory *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->size = (uint64_t)limits.min * PW_PAGE;
    m->data = calloc(1, m->size ? m->size : 8);
    if (!m->data || !pw_store_own(s, m, PW_OBJ_MEMORY)) {
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
    if (limits.min > PW_MAX_PAGES || (limits.has_max && (limits.max < limits.min || limits.max > PW_MAX_PAGES)))
        return NULL;
    if ((uint64_t)limits.min * PW_PAGE > store->memory_limit)
        return NULL;
    return pw_memory_alloc(store, limits);
}

uint8_t *pw_memory_data(pw_memory *m) { return m->data; }
uint64_t pw_memory_size(const pw_memory *m) { return m->size; }
uint32_t pw_memory_pages(const pw_memory *m) { return m->pages; }
pw_limits pw_memory_limits(const pw_memory *m) { return m->limits; }

int64_t pw_memory_grow_pages(pw_memory *m, uint32_t delta) {
    uint64_t old = m->pages, np = old + delta;
    uint64_t max = m->limits.has_max ? m->limits.max : PW_MAX_PAGES;
    if (np > max || np > PW_MAX_PAGES || np * PW_PAGE > m->store->memory_limit)
        return -1;
    if (delta == 0)
        return (int64_t)old;
    uint8_t *d = realloc(m->data, np * PW_PAGE);
    if (!d)
        return -1;
    memset(d + m->size, 0, (np - old) * PW_PAGE);
    m->data = d;
    m->size = np * PW_PAGE;
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
