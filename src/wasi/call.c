/* Helpers shared by the WASI host functions: fd lookup with rights, filestat
 * and timestamp conversion. */
#include <string.h>
#include <sys/stat.h>

#include "call.h"

wfd *pwasi_get_fd(wcall *c, uint32_t fd) {
    if (fd >= c->ctx->nfds || !c->ctx->fds[fd].used)
        return NULL;
    return &c->ctx->fds[fd];
}

/* Looks up fd needing `rights`: BADF if not open, NOTCAPABLE if a right is missing. */
uint16_t pwasi_fd_with(wcall *c, uint32_t fd, uint64_t rights, wfd **out) {
    wfd *f = pwasi_get_fd(c, fd);
    if (!f)
        return WE_BADF;
    if ((f->base & rights) != rights) {
        /* reading/writing a file opened the other way is EBADF, as on POSIX */
        if (rights & (R_FD_READ | R_FD_WRITE))
            return f->filetype == FT_DIRECTORY ? WE_ISDIR : WE_BADF;
        if (f->filetype == FT_DIRECTORY && (rights & (R_FD_SEEK | R_FD_TELL)))
            return WE_BADF;
        if (f->filetype != FT_DIRECTORY && (rights & R_FD_READDIR))
            return WE_NOTDIR; /* listing a file */
        return WE_NOTCAPABLE;
    }
    *out = f;
    return WE_SUCCESS;
}

void pwasi_write_filestat(uint8_t *p, const struct stat *st) {
    memset(p, 0, 64);
    put64(p, (uint64_t)st->st_dev);
    put64(p + 8, (uint64_t)st->st_ino);
    p[16] = pwasi_filetype_of(st->st_mode);
    put64(p + 24, (uint64_t)st->st_nlink);
    put64(p + 32, (uint64_t)st->st_size);
    put64(p + 40, (uint64_t)st->st_atim.tv_sec * 1000000000ull + (uint64_t)st->st_atim.tv_nsec);
    put64(p + 48, (uint64_t)st->st_mtim.tv_sec * 1000000000ull + (uint64_t)st->st_mtim.tv_nsec);
    put64(p + 56, (uint64_t)st->st_ctim.tv_sec * 1000000000ull + (uint64_t)st->st_ctim.tv_nsec);
}

/* Converts WASI times + fstflags to a utimensat() pair. */
uint16_t pwasi_make_times(uint64_t atim, uint64_t mtim, uint16_t fst, struct timespec ts[2]) {
    if (((fst & 1) && (fst & 2)) || ((fst & 4) && (fst & 8)) || (fst & ~15u))
        return WE_INVAL;
    ts[0].tv_sec = (time_t)(atim / 1000000000ull);
    ts[0].tv_nsec = (long)(atim % 1000000000ull);
    ts[1].tv_sec = (time_t)(mtim / 1000000000ull);
    ts[1].tv_nsec = (long)(mtim % 1000000000ull);
    if (fst & 2)
        ts[0].tv_nsec = UTIME_NOW;
    else if (!(fst & 1))
        ts[0].tv_nsec = UTIME_OMIT;
    if (fst & 8)
        ts[1].tv_nsec = UTIME_NOW;
    else if (!(fst & 4))
        ts[1].tv_nsec = UTIME_OMIT;
    return WE_SUCCESS;
}
