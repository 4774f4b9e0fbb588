/* The fd_* functions of wasi_snapshot_preview1: reads and writes, seeking,
 * flags and rights, file status, directory listing. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "call.h"

/* Builds host iovecs from a guest iovec array; all must be in bounds. */
static uint16_t make_iovs(wcall *c, uint32_t iovs, uint32_t n, struct iovec *out, int *nout) {
    if (n > MAX_IOVS)
        n = MAX_IOVS; /* a partial transfer, as readv/writev do past IOV_MAX */
    const uint8_t *p = gmem(c, iovs, (uint64_t)n * 8);
    if (!p)
        return WE_FAULT;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t b = get32(p + 8 * i), l = get32(p + 8 * i + 4);
        uint8_t *buf = gmem(c, b, l);
        if (!buf)
            return WE_FAULT;
        out[i].iov_base = buf;
        out[i].iov_len = l;
    }
    *nout = (int)n;
    return WE_SUCCESS;
}

WASI(fd_prestat_get) {
    wfd *f = pwasi_get_fd(c, A32(0));
    if (!f)
        return WE_BADF;
    if (!f->preopen)
        return WE_BADF;
    uint8_t *p = gmem(c, A32(1), 8);
    if (!p)
        return WE_FAULT;
    memset(p, 0, 8);
    put32(p + 4, (uint32_t)strlen(f->preopen));
    return WE_SUCCESS;
}

WASI(fd_prestat_dir_name) {
    wfd *f = pwasi_get_fd(c, A32(0));
    if (!f || !f->preopen)
        return WE_BADF;
    size_t l = strlen(f->preopen);
    if (A32(2) < l)
        return WE_NAMETOOLONG;
    uint8_t *p = gmem(c, A32(1), l);
    if (!p)
        return WE_FAULT;
    memcpy(p, f->preopen, l);
    return WE_SUCCESS;
}

WASI(fd_close) {
    wfd *f = pwasi_get_fd(c, A32(0));
    if (!f)
        return WE_BADF;
    pwasi_fd_release(f);
    return WE_SUCCESS;
}

WASI(fd_renumber) {
    uint32_t from = A32(0), to = A32(1);
    wfd *f = pwasi_get_fd(c, from), *t = pwasi_get_fd(c, to);
    if (!f || !t)
        return WE_BADF;
    if (from == to)
        return WE_SUCCESS;
    pwasi_fd_release(t);
    *t = *f;
    memset(f, 0, sizeof *f);
    f->host = -1;
    return WE_SUCCESS;
}

/* A read or write on a pipe, FIFO, terminal or socket in blocking mode
 * waits here, in slices, rather than inside the host call: an interrupt or
 * the store's deadline ends the wait with INTR (the guest then traps at its
 * next check), so a guest cannot block the host beyond the engine's limits. */
static uint16_t wait_ready(wcall *c, const wfd *f, bool write) {
    if (f->filetype == FT_REGULAR_FILE || f->filetype == FT_DIRECTORY)
        return WE_SUCCESS;
    int fl = fcntl(f->host, F_GETFL);
    if (fl < 0 || (fl & O_NONBLOCK))
        return WE_SUCCESS; /* the call itself reports AGAIN */
    struct pollfd p = {.fd = f->host, .events = write ? POLLOUT : POLLIN};
    for (;;) {
        struct timespec ts = {0, (long)WAIT_SLICE_NS};
        int k = ppoll(&p, 1, &ts, NULL);
        if (k > 0 || (k < 0 && errno != EINTR))
            return WE_SUCCESS; /* ready, hung up or failed: the call reports which */
        if (pw_store_interrupted(c->store))
            return WE_INTR;
    }
}

/* A write to a pipe, FIFO or socket, in pieces that cannot block: once it
 * is ready to write, a pipe has room for PIPE_BUF bytes. The write is
 * complete unless the store is interrupted or the fd is non-blocking; then
 * it is short (the bytes written so far), or INTR/AGAIN if there are none. */
static uint16_t write_pipe(wcall *c, const wfd *f, struct iovec *iov, int n, size_t *done) {
    *done = 0;
    for (int i = 0; i < n && *done < (1u << 30);) {
        if (!iov[i].iov_len) {
            i++;
            continue;
        }
        uint16_t r = wait_ready(c, f, true);
        if (r)
            return *done ? WE_SUCCESS : r;
        ssize_t w = write(f->host, iov[i].iov_base, iov[i].iov_len < PIPE_BUF ? iov[i].iov_len : PIPE_BUF);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return *done ? WE_SUCCESS : HOSTERR();
        *done += (size_t)w;
        iov[i].iov_base = (uint8_t *)iov[i].iov_base + w;
        iov[i].iov_len -= (size_t)w;
    }
    return WE_SUCCESS;
}

static uint16_t do_rw(wcall *c, const pw_val *a, bool write, bool positional) {
    FD_ARG(f, write ? R_FD_WRITE : R_FD_READ);
    if (positional && !(f->base & R_FD_SEEK))
        return f->filetype == FT_REGULAR_FILE ? WE_NOTCAPABLE : WE_SPIPE;
    struct iovec iov[MAX_IOVS];
    int n = 0;
    uint16_t r = make_iovs(c, A32(1), A32(2), iov, &n);
    if (r)
        return r;
    uint32_t pres = positional ? A32(4) : A32(3);
    if (!gmem(c, pres, 4))
        return WE_FAULT;
    if (!positional && write && (f->filetype == FT_UNKNOWN || f->filetype == FT_SOCKET_STREAM)) {
        size_t done = 0;
        r = write_pipe(c, f, iov, n, &done);
        return r ? r : out32(c, pres, (uint32_t)done);
    }
    if (!positional && (r = wait_ready(c, f, write)))
        return r;
    ssize_t done;
    do {
        if (positional) {
            off_t off = (off_t)A64(3);
            if (off < 0)
                return WE_INVAL;
            done = write ? pwritev(f->host, iov, n, off) : preadv(f->host, iov, n, off);
        } else {
            done = write ? writev(f->host, iov, n) : readv(f->host, iov, n);
        }
    } while (done < 0 && errno == EINTR);
    if (done < 0)
        return HOSTERR();
    return out32(c, pres, (uint32_t)done);
}

WASI(fd_read) { return do_rw(c, a, false, false); }
WASI(fd_write) { return do_rw(c, a, true, false); }
WASI(fd_pread) { return do_rw(c, a, false, true); }
WASI(fd_pwrite) { return do_rw(c, a, true, true); }

/* The right that allows reading the offset of fd: FD_TELL, or FD_SEEK,
 * which implies it (rights::fd_seek in the specification). */
static uint64_t tell_right(wcall *c, uint32_t fd) {
    wfd *f = pwasi_get_fd(c, fd);
    return f && (f->base & R_FD_SEEK) ? R_FD_SEEK : R_FD_TELL;
}

WASI(fd_seek) {
    int64_t off = a[1].of.i64;
    uint32_t whence = A32(2);
    uint64_t need = (off == 0 && whence == 1) ? tell_right(c, A32(0)) : R_FD_SEEK;
    wfd *g = pwasi_get_fd(c, A32(0));
    if (g && !(g->base & need) &&
        (g->filetype == FT_CHARACTER_DEVICE || g->filetype == FT_UNKNOWN || g->filetype == FT_SOCKET_STREAM))
        return WE_SPIPE; /* a terminal or pipe */
    FD_ARG(f, need);
    int w = whence == 0 ? SEEK_SET : whence == 1 ? SEEK_CUR : whence == 2 ? SEEK_END : -1;
    if (w < 0)
        return WE_INVAL;
    if (!gmem(c, A32(3), 8))
        return WE_FAULT;
    off_t pos = lseek(f->host, (off_t)off, w);
    if (pos < 0)
        return HOSTERR();
    return out64(c, A32(3), (uint64_t)pos);
}

WASI(fd_tell) {
    FD_ARG(f, tell_right(c, A32(0)));
    off_t pos = lseek(f->host, 0, SEEK_CUR);
    if (pos < 0)
        return HOSTERR();
    return out64(c, A32(1), (uint64_t)pos);
}

WASI(fd_sync) {
    FD_ARG(f, R_FD_SYNC);
    return host_rc(fsync(f->host));
}

WASI(fd_datasync) {
    FD_ARG(f, R_FD_DATASYNC);
    return host_rc(fdatasync(f->host));
}

WASI(fd_fdstat_get) {
    wfd *f = pwasi_get_fd(c, A32(0));
    if (!f)
        return WE_BADF;
    uint8_t *p = gmem(c, A32(1), 24);
    if (!p)
        return WE_FAULT;
    int fl = fcntl(f->host, F_GETFL);
    uint16_t flags = 0;
    if (fl >= 0) {
        if (fl & O_APPEND)
            flags |= 1;
        if ((fl & O_DSYNC) == O_DSYNC)
            flags |= 2;
        if (fl & O_NONBLOCK)
            flags |= 4;
        if ((fl & O_SYNC) == O_SYNC)
            flags |= 16;
    }
    memset(p, 0, 24);
    p[0] = f->filetype;
    put16(p + 2, flags);
    put64(p + 8, f->base);
    put64(p + 16, f->inheriting);
    return WE_SUCCESS;
}

WASI(fd_fdstat_set_flags) {
    FD_ARG(f, R_FD_FDSTAT_SET_FLAGS);
    uint32_t want = A32(1);
    if (want & ~(1u | 4u))
        return WE_INVAL; /* only APPEND and NONBLOCK can change after open, as in wasmtime */
    int fl = fcntl(f->host, F_GETFL);
    if (fl < 0)
        return HOSTERR();
    int nfl = (fl & ~(O_APPEND | O_NONBLOCK)) | ((want & 1) ? O_APPEND : 0) | ((want & 4) ? O_NONBLOCK : 0);
    if (nfl == fl)
        return WE_SUCCESS;
    if (!f->own)
        return WE_NOTSUP; /* stdio is shared with the host process: leave its flags alone */
    return host_rc(fcntl(f->host, F_SETFL, nfl));
}

WASI(fd_fdstat_set_rights) {
    wfd *f = pwasi_get_fd(c, A32(0));
    if (!f)
        return WE_BADF;
    uint64_t base = A64(1), inh = A64(2);
    if ((base & ~f->base) || (inh & ~f->inheriting))
        return WE_NOTCAPABLE; /* rights can only be dropped */
    f->base = base;
    f->inheriting = inh;
    return WE_SUCCESS;
}

WASI(fd_filestat_get) {
    FD_ARG(f, R_FD_FILESTAT_GET);
    uint8_t *p = gmem(c, A32(1), 64);
    if (!p)
        return WE_FAULT;
    struct stat st;
    if (fstat(f->host, &st))
        return HOSTERR();
    pwasi_write_filestat(p, &st);
    if (!f->own && p[16] == FT_DIRECTORY)
        p[16] = FT_UNKNOWN;
    return WE_SUCCESS;
}

WASI(fd_filestat_set_size) {
    FD_ARG(f, R_FD_FILESTAT_SET_SIZE);
    if ((int64_t)A64(1) < 0)
        return WE_INVAL;
    return host_rc(ftruncate(f->host, (off_t)A64(1)));
}

WASI(fd_filestat_set_times) {
    FD_ARG(f, R_FD_FILESTAT_SET_TIMES);
    struct timespec ts[2];
    uint16_t r = pwasi_make_times(A64(1), A64(2), (uint16_t)A32(3), ts);
    if (r)
        return r;
    return host_rc(futimens(f->host, ts));
}

WASI(fd_advise) {
    FD_ARG(f, R_FD_ADVISE);
    static const int adv[] = {POSIX_FADV_NORMAL,   POSIX_FADV_SEQUENTIAL, POSIX_FADV_RANDOM,
                              POSIX_FADV_WILLNEED, POSIX_FADV_DONTNEED,   POSIX_FADV_NOREUSE};
    if (A32(3) > 5 || (int64_t)A64(1) < 0 || (int64_t)A64(2) < 0)
        return WE_INVAL;
    int e = posix_fadvise(f->host, (off_t)A64(1), (off_t)A64(2), adv[A32(3)]);
    return e ? pwasi_errno_from_host(e) : WE_SUCCESS;
}

WASI(fd_allocate) {
    FD_ARG(f, R_FD_ALLOCATE);
    if ((int64_t)A64(1) < 0 || (int64_t)A64(2) <= 0)
        return WE_INVAL;
    /* fallocate(2), not posix_fallocate: glibc emulates the latter by
     * writing every block, which a huge length would make endless */
    return host_rc(fallocate(f->host, 0, (off_t)A64(1), (off_t)A64(2)));
}

/* fd_readdir: the cookie is the index of the next entry in host readdir
 * order; each call rereads the directory from the start. */
WASI(fd_readdir) {
    FD_ARG(f, R_FD_READDIR);
    uint32_t bufp = A32(1), buflen = A32(2);
    uint64_t cookie = A64(3);
    uint8_t *buf = gmem(c, bufp, buflen);
    if (!buf || !gmem(c, A32(4), 4))
        return WE_FAULT;
    int dfd = openat(f->host, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
        return HOSTERR();
    DIR *d = fdopendir(dfd);
    if (!d) {
        close(dfd);
        return HOSTERR();
    }
    uint64_t idx = 0;
    uint32_t used = 0;
    struct dirent *de;
    errno = 0;
    while (used < buflen && (de = readdir(d))) {
        if (idx++ < cookie)
            continue;
        size_t nl = strlen(de->d_name);
        uint8_t hdr[24];
        memset(hdr, 0, sizeof hdr);
        put64(hdr, idx);
        put64(hdr + 8, (uint64_t)de->d_ino);
        put32(hdr + 16, (uint32_t)nl);
        uint8_t t = FT_UNKNOWN;
        switch (de->d_type) {
        case DT_REG: t = FT_REGULAR_FILE; break;
        case DT_DIR: t = FT_DIRECTORY; break;
        case DT_LNK: t = FT_SYMBOLIC_LINK; break;
        case DT_CHR: t = FT_CHARACTER_DEVICE; break;
        case DT_BLK: t = FT_BLOCK_DEVICE; break;
        case DT_SOCK: t = FT_SOCKET_STREAM; break;
        case DT_UNKNOWN: {
            struct stat st;
            if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
                t = pwasi_filetype_of(st.st_mode);
            break;
        }
        default: break;
        }
        hdr[20] = t;
        uint32_t k = buflen - used < 24 ? buflen - used : 24;
        memcpy(buf + used, hdr, k);
        used += k;
        k = buflen - used < nl ? buflen - used : (uint32_t)nl;
        memcpy(buf + used, de->d_name, k);
        used += k;
    }
    closedir(d);
    return out32(c, A32(4), used);
}
