/* Linear memories, each in its own reserved range of address space. */
#include <stdlib.h>
#include <sys/mman.h>
#include <string.h>

#include "rt.h"

/* The largest range a memory may reach, and whether it could be reserved
 * with guard space: with PW_MEMORY_RESERVE_GUARDED bytes reserved, every
 * wasm32 address (u32 index + u32 offset + access size) falls inside the
 * reservation, so a tier may rely on PROT_NONE pages instead of a bounds
 * check. Without it (a small address space, a ulimit -v, valgrind), the
 * reservation is the most the memory can grow to. */
static uint64_t max_bytes(const pw_store *s, pw_limits limits) {
    uint64_t pages = limits.has_max ? limits.max : PW_MAX_PAGES;
    uint64_t bytes = pages * PW_PAGE;
    if (bytes > s->memory_limit)
        bytes = s->memory_limit / PW_PAGE * PW_PAGE;
    return bytes < (uint64_t)limits.min * PW_PAGE ? (uint64_t)limits.min * PW_PAGE : bytes;
}

static void *reserve(uint64_t bytes) {
    if (bytes == 0 || bytes > SIZE_MAX)
        return NULL;
    void *p = mmap(NULL, (size_t)bytes, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

/* Makes [from, to) bytes of the reservation usable. Fresh anonymous pages
 * read as zero and cost nothing until touched. */
static bool commit(pw_memory *m, uint64_t from, uint64_t to) {
    if (to == from)
        return true;
    return mprotect(m->data + from, (size_t)(to - from), PROT_READ | PROT_WRITE) == 0;
}

pw_memory *pw_memory_alloc(pw_store *s, pw_limits limits) {
    pw_memory *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    uint64_t want = max_bytes(s, limits);
    m->reserved = PW_MEMORY_RESERVE_GUARDED;
    m->data = sizeof(size_t) >= 8 ? reserve(m->reserved) : NULL;
    if (!m->data) {
        m->reserved = want > PW_PAGE ? want : PW_PAGE;
        m->data = reserve(m->reserved);
    }
    m->size = (uint64_t)limits.min * PW_PAGE;
    if (!m->data || !commit(m, 0, m->size) || !pw_store_own(s, m, PW_OBJ_MEMORY)) {
        if (m->data)
            munmap(m->data, (size_t)m->reserved);
        free(m);
        return NULL;
    }
    m->pages = limits.min;
    m->limits = limits;
    m->store = s;
    return m;
}

void pw_memory_release(pw_memory *m) {
    munmap(m->data, (size_t)m->reserved);
    free(m);
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
    /* In place: the data never moves, nothing is copied or zero-filled. */
    if (np * PW_PAGE > m->reserved || !commit(m, m->size, np * PW_PAGE))
        return -1;
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
