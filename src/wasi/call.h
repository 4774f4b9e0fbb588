/* What the WASI host functions share: the call (context, guest memory,
 * store), bounds-checked guest memory access, fd lookup with rights, and
 * the functions each file implements for the table in wasi.c. */
#ifndef PORTALIS_WASI_CALL_H
#define PORTALIS_WASI_CALL_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>

#include <portalis/engine.h>

#include "wasi_impl.h"

#define MAX_IOVS 1024
#define MAX_PATH_LEN 4096

/* Waits are cut into slices this long so that an interrupt or an expired
 * deadline of the store ends them promptly (the guest then traps at its next
 * check). */
#define WAIT_SLICE_NS 10000000ull

typedef struct {
    pwasi_ctx *ctx;
    uint8_t *base;
    uint64_t size;
    pw_store *store; /* of the calling instance: waits end early when it is interrupted */
} wcall;

/* The guest bytes [off, off+len), or NULL if they are not all inside memory. */
static inline uint8_t *gmem(const wcall *c, uint32_t off, uint64_t len) {
    if (!c->base || (uint64_t)off + len > c->size)
        return NULL;
    return c->base + off;
}

static inline void put16(uint8_t *p, uint16_t v) {
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static inline void put32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static inline void put64(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static inline uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static inline uint32_t get32(const uint8_t *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline uint64_t get64(const uint8_t *p) { return (uint64_t)get32(p) | ((uint64_t)get32(p + 4) << 32); }

/* Writes a u32/u64 result to guest memory: WE_FAULT if out of bounds. */
static inline uint16_t out32(wcall *c, uint32_t ptr, uint32_t v) {
    uint8_t *p = gmem(c, ptr, 4);
    if (!p)
        return WE_FAULT;
    put32(p, v);
    return WE_SUCCESS;
}
static inline uint16_t out64(wcall *c, uint32_t ptr, uint64_t v) {
    uint8_t *p = gmem(c, ptr, 8);
    if (!p)
        return WE_FAULT;
    put64(p, v);
    return WE_SUCCESS;
}

#define A32(i) ((uint32_t)a[i].of.i32)
#define A64(i) ((uint64_t)a[i].of.i64)
#define HOSTERR() pwasi_errno_from_host(errno)

/* A host call's result (0, or -1 with errno set) as a WASI errno. */
static inline uint16_t host_rc(int rc) { return rc ? HOSTERR() : WE_SUCCESS; }

/* How the fd_* functions begin: declares f, the fd of argument 0 open with
 * rights, or returns its error (pwasi_fd_with) from the host function. */
#define FD_ARG(f, rights)                                                                                        \
    wfd *f;                                                                                                      \
    do {                                                                                                         \
        uint16_t fd_err_ = pwasi_fd_with(c, A32(0), (rights), &f);                                               \
        if (fd_err_)                                                                                             \
            return fd_err_;                                                                                      \
    } while (0)

/* The open fd `fd`, or NULL. */
wfd *pwasi_get_fd(wcall *c, uint32_t fd);
/* Looks up fd needing `rights`: BADF if not open, NOTCAPABLE if a right is missing. */
uint16_t pwasi_fd_with(wcall *c, uint32_t fd, uint64_t rights, wfd **out);
void pwasi_write_filestat(uint8_t *p, const struct stat *st);
/* Converts WASI times + fstflags to a utimensat() pair. */
uint16_t pwasi_make_times(uint64_t atim, uint64_t mtim, uint16_t fst, struct timespec ts[2]);

/* A host function: reads its wasm arguments, returns a WASI errno. */
#define WASI(name) uint16_t pwasi_w_##name(wcall *c, const pw_val *a)

WASI(fd_prestat_get);
WASI(fd_prestat_dir_name);
WASI(fd_close);
WASI(fd_renumber);
WASI(fd_read);
WASI(fd_write);
WASI(fd_pread);
WASI(fd_pwrite);
WASI(fd_seek);
WASI(fd_tell);
WASI(fd_sync);
WASI(fd_datasync);
WASI(fd_fdstat_get);
WASI(fd_fdstat_set_flags);
WASI(fd_fdstat_set_rights);
WASI(fd_filestat_get);
WASI(fd_filestat_set_size);
WASI(fd_filestat_set_times);
WASI(fd_advise);
WASI(fd_allocate);
WASI(fd_readdir);

WASI(path_open);
WASI(path_create_directory);
WASI(path_remove_directory);
WASI(path_unlink_file);
WASI(path_filestat_get);
WASI(path_filestat_set_times);
WASI(path_readlink);
WASI(path_symlink);
WASI(path_link);
WASI(path_rename);

#endif
