/* The 46 wasi_snapshot_preview1 functions and pwasi_link.
 *
 * Every function reads its arguments as wasm values, touches guest memory
 * only through gmem() (a bounds check against the memory's current size,
 * failing with EFAULT) and returns a WASI errno; proc_exit unwinds with
 * pw_exit_new. Guest structures are little-endian and unaligned: they are
 * read and written byte by byte.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "wasi_impl.h"

#define WASI_MODULE "wasi_snapshot_preview1"
#define MAX_IOVS 1024
#define MAX_PATH_LEN 4096

/* ---- guest memory -------------------------------------------------------- */

typedef struct {
    pwasi_ctx *ctx;
    uint8_t *base;
    uint64_t size;
    pw_store *store; /* of the calling instance: waits end early when it is interrupted */
} wcall;

/* Waits are cut into slices this long so that an interrupt or an expired
 * deadline of the store ends them promptly (the guest then traps at its next
 * check). */
#define WAIT_SLICE_NS 10000000ull

/* The guest bytes [off, off+len), or NULL if they are not all inside memory. */
static uint8_t *gmem(const wcall *c, uint32_t off, uint64_t len) {
    if (!c->base || (uint64_t)off + len > c->size)
        return NULL;
    return c->base + off;
}

static void put16(uint8_t *p, uint16_t v) {
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}
static void put32(uint8_t *p, uint32_t v) {
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static void put64(uint8_t *p, uint64_t v) {
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}
static uint16_t get16(const uint8_t *p) {
    return (uint16_t)(p[0] | (p[1] << 8));
}
static uint32_t get32(const uint8_t *p) {
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static uint64_t get64(const uint8_t *p) {
    return (uint64_t)get32(p) | ((uint64_t)get32(p + 4) << 32);
}

/* Writes a u32/u64 result to guest memory: WE_FAULT if out of bounds. */
static uint16_t out32(wcall *c, uint32_t ptr, uint32_t v) {
    uint8_t *p = gmem(c, ptr, 4);
    if (!p)
        return WE_FAULT;
    put32(p, v);
    return WE_SUCCESS;
}
static uint16_t out64(wcall *c, uint32_t ptr, uint64_t v) {
    uint8_t *p = gmem(c, ptr, 8);
    if (!p)
        return WE_FAULT;
    put64(p, v);
    return WE_SUCCESS;
}

#define A32(i) ((uint32_t)a[i].of.i32)
#define A64(i) ((uint64_t)a[i].of.i64)
#define HOSTERR() pwasi_errno_from_host(errno)

/* ---- fds and paths ------------------------------------------------------- */

static wfd *get_fd(wcall *c, uint32_t fd) {
    if (fd >= c->ctx->nfds || !c->ctx->fds[fd].used)
        return NULL;
    return &c->ctx->fds[fd];
}

/* Looks up fd needing `rights`: BADF if not open, NOTCAPABLE if a right is missing. */
static uint16_t fd_with(wcall *c, uint32_t fd, uint64_t rights, wfd **out) {
    wfd *f = get_fd(c, fd);
    if (!f)
        return WE_BADF;
    if ((f->base & rights) != rights) {
        /* reading/writing a file opened the other way is EBADF, as on POSIX */
        if (rights & (R_FD_READ | R_FD_WRITE))
            return f->filetype == FT_DIRECTORY ? WE_ISDIR : WE_BADF;
        if (f->filetype == FT_DIRECTORY && (rights & (R_FD_SEEK | R_FD_TELL)))
            return WE_BADF;
        if (f->filetype != FT_DIRECTORY && (rights & (R_PATH_OPEN | R_FD_READDIR | R_PATH_CREATE_FILE |
                                                      R_PATH_CREATE_DIRECTORY | R_PATH_FILESTAT_GET)))
            return WE_NOTDIR;
        return WE_NOTCAPABLE;
    }
    *out = f;
    return WE_SUCCESS;
}

/* Copies a guest path into a NUL-terminated host string. */
static uint16_t read_path(wcall *c, uint32_t ptr, uint32_t len, char **out) {
    const uint8_t *p = gmem(c, ptr, len);
    if (!p)
        return WE_FAULT;
    if (len > MAX_PATH_LEN)
        return WE_NAMETOOLONG;
    if (memchr(p, 0, len))
        return WE_INVAL;
    char *s = malloc((size_t)len + 1);
    if (!s)
        return WE_NOMEM;
    memcpy(s, p, len);
    s[len] = 0;
    *out = s;
    return WE_SUCCESS;
}

/* Resolves the directory holding the last component of `path` beneath
 * dir fd `d`: *pfd is an owned O_PATH fd, *name points into path (the last
 * component, trailing slashes removed; "." when the path ends in "." or
 * "..", so that the operation applies to the resolved directory itself). */
static uint16_t resolve_parent(wcall *c, wfd *d, char *path, int *pfd, const char **name) {
    size_t n = strlen(path);
    if (!n)
        return WE_NOENT;
    if (path[0] == '/')
        return WE_NOTCAPABLE;
    while (n > 1 && path[n - 1] == '/')
        path[--n] = 0;
    char *slash = strrchr(path, '/');
    const char *last = slash ? slash + 1 : path;
    const char *dirpart;
    if (!strcmp(last, ".") || !strcmp(last, "..")) {
        dirpart = path;
        *name = ".";
    } else if (slash) {
        *slash = 0;
        dirpart = path[0] ? path : ".";
        *name = last;
    } else {
        dirpart = ".";
        *name = last;
    }
    return pwasi_open_beneath(d->host, dirpart, O_PATH | O_DIRECTORY, 0, true, &c->ctx->use_openat2, pfd);
}

static void write_filestat(uint8_t *p, const struct stat *st) {
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
static uint16_t make_times(uint64_t atim, uint64_t mtim, uint16_t fst, struct timespec ts[2]) {
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

/* ---- host function plumbing ---------------------------------------------- */

typedef uint16_t (*wasi_impl)(wcall *c, const pw_val *a);

#define WASI(name) static uint16_t w_##name(wcall *c, const pw_val *a)

/* ---- args, environ ------------------------------------------------------- */

static uint16_t strv_sizes(wcall *c, char **v, size_t n, uint32_t pcount, uint32_t psize) {
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += strlen(v[i]) + 1;
    if (total > UINT32_MAX)
        return WE_OVERFLOW;
    uint16_t r = out32(c, pcount, (uint32_t)n);
    return r ? r : out32(c, psize, (uint32_t)total);
}

static uint16_t strv_get(wcall *c, char **v, size_t n, uint32_t pptrs, uint32_t pbuf) {
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += strlen(v[i]) + 1;
    uint8_t *ptrs = gmem(c, pptrs, (uint64_t)n * 4);
    uint8_t *buf = gmem(c, pbuf, total);
    if (!ptrs || !buf)
        return WE_FAULT;
    uint32_t off = 0;
    for (size_t i = 0; i < n; i++) {
        size_t l = strlen(v[i]) + 1;
        put32(ptrs + 4 * i, pbuf + off);
        memcpy(buf + off, v[i], l);
        off += (uint32_t)l;
    }
    return WE_SUCCESS;
}

WASI(args_sizes_get) { return strv_sizes(c, c->ctx->args, c->ctx->nargs, A32(0), A32(1)); }
WASI(args_get) { return strv_get(c, c->ctx->args, c->ctx->nargs, A32(0), A32(1)); }
WASI(environ_sizes_get) { return strv_sizes(c, c->ctx->env, c->ctx->nenv, A32(0), A32(1)); }
WASI(environ_get) { return strv_get(c, c->ctx->env, c->ctx->nenv, A32(0), A32(1)); }

/* ---- clocks, random, scheduling ----------------------------------------- */

static bool host_clock(uint32_t id, clockid_t *out) {
    switch (id) {
    case 0: *out = CLOCK_REALTIME; return true;
    case 1: *out = CLOCK_MONOTONIC; return true;
    case 2: *out = CLOCK_PROCESS_CPUTIME_ID; return true;
    case 3: *out = CLOCK_THREAD_CPUTIME_ID; return true;
    }
    return false;
}

static uint64_t ts_ns(const struct timespec *t) {
    return (uint64_t)t->tv_sec * 1000000000ull + (uint64_t)t->tv_nsec;
}

WASI(clock_res_get) {
    clockid_t id;
    if (!host_clock(A32(0), &id))
        return WE_INVAL;
    struct timespec t;
    if (clock_getres(id, &t))
        return HOSTERR();
    return out64(c, A32(1), ts_ns(&t));
}

WASI(clock_time_get) {
    clockid_t id;
    if (!host_clock(A32(0), &id))
        return WE_INVAL;
    struct timespec t;
    if (clock_gettime(id, &t))
        return HOSTERR();
    return out64(c, A32(2), ts_ns(&t));
}

WASI(random_get) {
    uint8_t *p = gmem(c, A32(0), A32(1));
    if (!p)
        return WE_FAULT;
    size_t len = A32(1), done = 0;
    while (done < len) {
        ssize_t n = getrandom(p + done, len - done, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return HOSTERR();
        }
        done += (size_t)n;
    }
    return WE_SUCCESS;
}

WASI(sched_yield) {
    (void)c;
    (void)a;
    sched_yield();
    return WE_SUCCESS;
}

WASI(proc_raise) {
    (void)c;
    (void)a;
    return WE_NOSYS; /* signals are not part of the sandbox */
}

/* poll_oneoff: clock subscriptions sleep; fd_read/fd_write subscriptions
 * are polled on the host fd (regular files are always ready). */
WASI(poll_oneoff) {
    uint32_t in = A32(0), outp = A32(1), n = A32(2);
    if (n == 0)
        return WE_INVAL;
    if (n > 4096)
        return WE_NOTSUP;
    const uint8_t *subs = gmem(c, in, (uint64_t)n * 48);
    uint8_t *evs = gmem(c, outp, (uint64_t)n * 32);
    if (!subs || !evs || !gmem(c, A32(3), 4))
        return WE_FAULT;
    struct pollfd *pfd = calloc(n, sizeof *pfd);
    uint32_t *pidx = calloc(n, sizeof *pidx);
    uint16_t *early = calloc(n, sizeof *early); /* per-sub immediate error + 1 */
    uint64_t *due = calloc(n, sizeof *due);     /* clock subs: monotonic due time */
    if (!pfd || !pidx || !early || !due) {
        free(pfd);
        free(pidx);
        free(early);
        free(due);
        return WE_NOMEM;
    }
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    uint64_t start = ts_ns(&now), wait_until = UINT64_MAX;
    uint32_t npfd = 0;
    bool immediate = false;
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *s = subs + 48 * i;
        uint8_t tag = s[8];
        if (tag == 0) {
            uint32_t cid = get32(s + 16);
            uint64_t timeout = get64(s + 24);
            uint16_t flags = get16(s + 40);
            clockid_t hc;
            if (!host_clock(cid, &hc)) {
                early[i] = WE_INVAL + 1;
                immediate = true;
                continue;
            }
            uint64_t rel = timeout;
            if (flags & 1) {
                struct timespec t;
                clock_gettime(hc, &t);
                uint64_t cur = ts_ns(&t);
                rel = timeout > cur ? timeout - cur : 0;
            }
            due[i] = rel > UINT64_MAX - start ? UINT64_MAX : start + rel;
            if (due[i] < wait_until)
                wait_until = due[i];
        } else if (tag == 1 || tag == 2) {
            wfd *f = get_fd(c, get32(s + 16));
            if (!f || f->filetype == FT_DIRECTORY) {
                early[i] = WE_BADF + 1;
                immediate = true;
                continue;
            }
            pfd[npfd].fd = f->host;
            pfd[npfd].events = tag == 1 ? POLLIN : POLLOUT;
            pidx[npfd++] = i;
        } else {
            early[i] = WE_INVAL + 1;
            immediate = true;
        }
    }
    uint64_t wait_ns = immediate ? 0 : (wait_until == UINT64_MAX ? UINT64_MAX : wait_until - start);
    int ready = 0;
    if (npfd || (!immediate && wait_ns != UINT64_MAX)) {
        uint64_t t = start, end_at = wait_ns == UINT64_MAX ? UINT64_MAX : start + wait_ns;
        for (;;) {
            uint64_t left = end_at > t ? end_at - t : 0;
            uint64_t slice = left < WAIT_SLICE_NS ? left : WAIT_SLICE_NS;
            struct timespec ts = {(time_t)(slice / 1000000000ull), (long)(slice % 1000000000ull)};
            if (npfd) {
                ready = ppoll(pfd, npfd, &ts, NULL);
                if (ready < 0 && errno != EINTR)
                    ready = 0;
                if (ready > 0)
                    break;
                ready = 0;
            } else {
                nanosleep(&ts, NULL);
            }
            clock_gettime(CLOCK_MONOTONIC, &now);
            t = ts_ns(&now);
            if (t >= end_at || pw_store_interrupted(c->store))
                break;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &now);
    uint64_t t_end = ts_ns(&now);
    uint32_t nev = 0;
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *s = subs + 48 * i;
        uint8_t *e = evs + 32 * nev;
        uint8_t tag = s[8];
        bool fire = false;
        uint16_t err = 0, rwflags = 0;
        uint64_t nbytes = 0;
        if (early[i]) {
            fire = true;
            err = (uint16_t)(early[i] - 1);
        } else if (tag == 0) {
            fire = !ready && due[i] <= t_end;
        } else {
            for (uint32_t k = 0; k < npfd; k++) {
                if (pidx[k] != i || !pfd[k].revents)
                    continue;
                fire = true;
                if (pfd[k].revents & POLLNVAL)
                    err = WE_BADF;
                if (pfd[k].revents & POLLHUP)
                    rwflags |= 1;
                if (tag == 1) {
                    struct stat st;
                    int avail = 0;
                    if (fstat(pfd[k].fd, &st) == 0 && S_ISREG(st.st_mode)) {
                        off_t pos = lseek(pfd[k].fd, 0, SEEK_CUR);
                        nbytes = pos >= 0 && st.st_size > pos ? (uint64_t)(st.st_size - pos) : 0;
                    } else if (ioctl(pfd[k].fd, FIONREAD, &avail) == 0 && avail > 0) {
                        nbytes = (uint64_t)avail;
                    }
                }
            }
        }
        if (!fire)
            continue;
        memset(e, 0, 32);
        memcpy(e, s, 8); /* userdata */
        put16(e + 8, err);
        e[10] = tag <= 2 ? tag : 0;
        put64(e + 16, nbytes);
        put16(e + 24, rwflags);
        nev++;
    }
    free(pfd);
    free(pidx);
    free(early);
    free(due);
    return out32(c, A32(3), nev);
}

/* ---- fd operations -------------------------------------------------------- */

WASI(fd_prestat_get) {
    wfd *f = get_fd(c, A32(0));
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
    wfd *f = get_fd(c, A32(0));
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
    wfd *f = get_fd(c, A32(0));
    if (!f)
        return WE_BADF;
    pwasi_fd_release(f);
    return WE_SUCCESS;
}

WASI(fd_renumber) {
    uint32_t from = A32(0), to = A32(1);
    wfd *f = get_fd(c, from), *t = get_fd(c, to);
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

static uint16_t do_rw(wcall *c, const pw_val *a, bool write, bool positional) {
    wfd *f;
    uint16_t r = fd_with(c, A32(0), write ? R_FD_WRITE : R_FD_READ, &f);
    if (r)
        return r;
    if (positional && !(f->base & R_FD_SEEK))
        return f->filetype == FT_REGULAR_FILE ? WE_NOTCAPABLE : WE_SPIPE;
    struct iovec iov[MAX_IOVS];
    int n = 0;
    if ((r = make_iovs(c, A32(1), A32(2), iov, &n)))
        return r;
    uint32_t pres = positional ? A32(4) : A32(3);
    if (!gmem(c, pres, 4))
        return WE_FAULT;
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

WASI(fd_seek) {
    wfd *f;
    int64_t off = a[1].of.i64;
    uint32_t whence = A32(2);
    uint64_t need = (off == 0 && whence == 1) ? R_FD_TELL : R_FD_SEEK;
    wfd *g = get_fd(c, A32(0));
    if (g && !(g->base & need) && (g->filetype == FT_CHARACTER_DEVICE || g->filetype == FT_UNKNOWN ||
                                   g->filetype == FT_SOCKET_STREAM))
        return WE_SPIPE; /* a terminal or pipe */
    uint16_t r = fd_with(c, A32(0), need, &f);
    if (r)
        return r;
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
    wfd *f;
    uint16_t r = fd_with(c, A32(0), R_FD_TELL, &f);
    if (r)
        return r;
    off_t pos = lseek(f->host, 0, SEEK_CUR);
    if (pos < 0)
        return HOSTERR();
    return out64(c, A32(1), (uint64_t)pos);
}

WASI(fd_sync) {
    wfd *f;
    uint16_t r = fd_with(c, A32(0), R_FD_SYNC, &f);
    if (r)
        return r;
    return fsync(f->host) ? HOSTERR() : WE_SUCCESS;
}

WASI(fd_datasync) {
    wfd *f;
    uint16_t r = fd_with(c, A32(0), R_FD_DATASYNC, &f);
    if (r)
        return r;
    return fdatasync(f->host) ? HOSTERR() : WE_SUCCESS;
}

WASI(fd_fdstat_get) {
    wfd *f = get_fd(c, A32(0));
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
    wfd *f;
    uint16_t r = fd_with(c, A32(0), R_FD_FDSTAT_SET_FLAGS, &f);
    if (r)
        return r;
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
    return fcntl(f->host, F_SETFL, nfl) ? HOSTERR() : WE_SUCCESS;
}

WASI(fd_fdstat_set_rights) {
    wfd *f = get_fd(c, A32(0));
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
    wfd *f;
    uint16_t r = fd_with(c, A32(0), R_FD_FILESTAT_GET, &f);
    if (r)
        return r;
    uint8_t *p = gmem(c, A32(1), 64);
    if (!p)
        return WE_FAULT;
    struct stat st;
    if (fstat(f->host, &st))
        return HOSTERR();
    write_filestat(p, &st);
    if (!f->own && p[16] == FT_DIRECTORY)
        p[16] = FT_UNKNOWN;
    return WE_SUCCESS;
}

WASI(fd_filestat_set_size) {
    wfd *f;
    uint16_t r = fd_with(c, A32(0), R_FD_FILESTAT_SET_SIZE, &f);
    if (r)
        return r;
    if ((int64_t)A64(1) < 0)
        return WE_INVAL;
    return ftruncate(f->host, (off_t)A64(1)) ? HOSTERR() : WE_SUCCESS;
}

WASI(fd_filestat_set_times) {
    wfd *f;
    uint16_t r = fd_with(c, A32(0), R_FD_FILESTAT_SET_TIMES, &f);
    if (r)
        return r;
    struct timespec ts[2];
    if ((r = make_times(A64(1), A64(2), (uint16_t)A32(3), ts)))
        return r;
    return futimens(f->host, ts) ? HOSTERR() : WE_SUCCESS;
}

WASI(fd_advise) {
    wfd *f;
    uint16_t r = fd_with(c, A32(0), R_FD_ADVISE, &f);
    if (r)
        return r;
    static const int adv[] = {POSIX_FADV_NORMAL,   POSIX_FADV_SEQUENTIAL, POSIX_FADV_RANDOM,
                              POSIX_FADV_WILLNEED, POSIX_FADV_DONTNEED,   POSIX_FADV_NOREUSE};
    if (A32(3) > 5 || (int64_t)A64(1) < 0 || (int64_t)A64(2) < 0)
        return WE_INVAL;
    int e = posix_fadvise(f->host, (off_t)A64(1), (off_t)A64(2), adv[A32(3)]);
    return e ? pwasi_errno_from_host(e) : WE_SUCCESS;
}

WASI(fd_allocate) {
    wfd *f;
    uint16_t r = fd_with(c, A32(0), R_FD_ALLOCATE, &f);
    if (r)
        return r;
    if ((int64_t)A64(1) < 0 || (int64_t)A64(2) <= 0)
        return WE_INVAL;
    int e = posix_fallocate(f->host, (off_t)A64(1), (off_t)A64(2));
    return e ? pwasi_errno_from_host(e) : WE_SUCCESS;
}

/* fd_readdir: the cookie is the index of the next entry in host readdir
 * order; each call rereads the directory from the start. */
WASI(fd_readdir) {
    wfd *f;
    uint16_t r = fd_with(c, A32(0), R_FD_READDIR, &f);
    if (r)
        return r;
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

/* ---- path operations ------------------------------------------------------ */

/* Common prologue: the directory fd with `rights`, the path string. */
static uint16_t path_begin(wcall *c, uint32_t fd, uint64_t rights, uint32_t ptr, uint32_t len, wfd **d,
                           char **path) {
    uint16_t r = fd_with(c, fd, rights, d);
    if (r)
        return r;
    if ((*d)->filetype != FT_DIRECTORY)
        return WE_NOTDIR;
    return read_path(c, ptr, len, path);
}

WASI(path_open) {
    wfd *d;
    char *path = NULL;
    uint32_t oflags = A32(4), fdflags = A32(7);
    uint64_t base = A64(5), inh = A64(6);
    uint16_t r = path_begin(c, A32(0), R_PATH_OPEN, A32(2), A32(3), &d, &path);
    if (r)
        return r;
    if (!gmem(c, A32(8), 4)) {
        free(path);
        return WE_FAULT;
    }
    if ((oflags & 1) && !(d->base & R_PATH_CREATE_FILE)) {
        free(path);
        return WE_NOTCAPABLE;
    }
    base &= d->inheriting;
    inh &= d->inheriting;
    bool rd = base & (R_FD_READ | R_FD_READDIR);
    bool wr = base & (R_FD_WRITE | R_FD_ALLOCATE | R_FD_FILESTAT_SET_SIZE | R_FD_DATASYNC);
    if ((fdflags & 1))
        wr = true;
    int flags = wr ? (rd ? O_RDWR : O_WRONLY) : O_RDONLY;
    if (oflags & 1)
        flags |= O_CREAT;
    if (oflags & 2)
        flags |= O_DIRECTORY;
    if (oflags & 4)
        flags |= O_EXCL;
    if (oflags & 8)
        flags |= O_TRUNC;
    if (fdflags & 1)
        flags |= O_APPEND;
    if (fdflags & 2)
        flags |= O_DSYNC;
    if (fdflags & 4)
        flags |= O_NONBLOCK;
    if (fdflags & 8)
        flags |= O_RSYNC;
    if (fdflags & 16)
        flags |= O_SYNC;
    bool follow = A32(1) & 1;
    int hfd = -1;
    size_t pl = strlen(path);
    if (pl && path[pl - 1] == '/')
        flags |= O_DIRECTORY;
    r = pwasi_open_beneath(d->host, path, flags, 0666, follow, &c->ctx->use_openat2, &hfd);
    if (r == WE_ISDIR && wr && !(oflags & (1 | 8)) && !(fdflags & 1)) {
        /* wasi-libc asks for write rights it may not need; a directory opens read-only */
        flags = (flags & ~O_ACCMODE) | O_RDONLY;
        wr = false;
        r = pwasi_open_beneath(d->host, path, flags, 0666, follow, &c->ctx->use_openat2, &hfd);
    }
    free(path);
    if (r)
        return r;
    struct stat st;
    if (fstat(hfd, &st)) {
        r = HOSTERR();
        close(hfd);
        return r;
    }
    uint32_t nfd = pwasi_fd_alloc(c->ctx);
    if (nfd == UINT32_MAX) {
        close(hfd);
        return WE_MFILE;
    }
    wfd *f = &c->ctx->fds[nfd];
    memset(f, 0, sizeof *f);
    f->used = true;
    f->own = true;
    f->host = hfd;
    f->filetype = pwasi_filetype_of(st.st_mode);
    if (f->filetype == FT_DIRECTORY) {
        f->base = base & DIR_RIGHTS;
        f->inheriting = inh;
    } else {
        f->base = base & FILE_RIGHTS;
        if (!S_ISREG(st.st_mode))
            f->base &= ~(R_FD_SEEK | R_FD_TELL);
        f->inheriting = 0;
    }
    if (!rd && f->filetype != FT_DIRECTORY)
        f->base &= ~R_FD_READ;
    if (!wr)
        f->base &= ~(R_FD_WRITE | R_FD_ALLOCATE | R_FD_FILESTAT_SET_SIZE);
    f->readable = rd;
    f->writable = wr;
    return out32(c, A32(8), nfd);
}

WASI(path_create_directory) {
    wfd *d;
    char *path = NULL;
    uint16_t r = path_begin(c, A32(0), R_PATH_CREATE_DIRECTORY, A32(1), A32(2), &d, &path);
    if (r)
        return r;
    int pfd = -1;
    const char *name;
    if (!(r = resolve_parent(c, d, path, &pfd, &name))) {
        if (mkdirat(pfd, name, 0777))
            r = HOSTERR();
        close(pfd);
    }
    free(path);
    return r;
}

static uint16_t unlink_common(wcall *c, const pw_val *a, uint64_t right, int flag) {
    wfd *d;
    char *path = NULL;
    uint16_t r = path_begin(c, A32(0), right, A32(1), A32(2), &d, &path);
    if (r)
        return r;
    bool trailing = strlen(path) > 1 && path[strlen(path) - 1] == '/';
    int pfd = -1;
    const char *name;
    if (!(r = resolve_parent(c, d, path, &pfd, &name))) {
        struct stat st;
        if (!flag && trailing && fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
            r = S_ISDIR(st.st_mode) ? WE_ISDIR : WE_NOTDIR;
        else if (unlinkat(pfd, name, flag))
            r = HOSTERR();
        close(pfd);
    }
    free(path);
    return r;
}

WASI(path_remove_directory) { return unlink_common(c, a, R_PATH_REMOVE_DIRECTORY, AT_REMOVEDIR); }
WASI(path_unlink_file) { return unlink_common(c, a, R_PATH_UNLINK_FILE, 0); }

WASI(path_filestat_get) {
    wfd *d;
    char *path = NULL;
    uint16_t r = path_begin(c, A32(0), R_PATH_FILESTAT_GET, A32(2), A32(3), &d, &path);
    if (r)
        return r;
    uint8_t *p = gmem(c, A32(4), 64);
    if (!p) {
        free(path);
        return WE_FAULT;
    }
    int fd = -1;
    r = pwasi_open_beneath(d->host, path, O_PATH, 0, A32(1) & 1, &c->ctx->use_openat2, &fd);
    free(path);
    if (r)
        return r;
    struct stat st;
    if (fstat(fd, &st))
        r = HOSTERR();
    else
        write_filestat(p, &st);
    close(fd);
    return r;
}

WASI(path_filestat_set_times) {
    wfd *d;
    char *path = NULL;
    uint16_t r = path_begin(c, A32(0), R_PATH_FILESTAT_SET_TIMES, A32(2), A32(3), &d, &path);
    if (r)
        return r;
    struct timespec ts[2];
    if ((r = make_times(A64(4), A64(5), (uint16_t)A32(6), ts))) {
        free(path);
        return r;
    }
    if (A32(1) & 1) {
        /* follow: resolve the whole path beneath, then act on the fd */
        int fd = -1;
        r = pwasi_open_beneath(d->host, path, O_PATH, 0, true, &c->ctx->use_openat2, &fd);
        if (!r) {
            char proc[64];
            snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
            if (utimensat(AT_FDCWD, proc, ts, 0))
                r = HOSTERR();
            close(fd);
        }
    } else {
        int pfd = -1;
        const char *name;
        if (!(r = resolve_parent(c, d, path, &pfd, &name))) {
            if (utimensat(pfd, name, ts, AT_SYMLINK_NOFOLLOW))
                r = HOSTERR();
            close(pfd);
        }
    }
    free(path);
    return r;
}

WASI(path_readlink) {
    wfd *d;
    char *path = NULL;
    uint16_t r = path_begin(c, A32(0), R_PATH_READLINK, A32(1), A32(2), &d, &path);
    if (r)
        return r;
    uint8_t *buf = gmem(c, A32(3), A32(4));
    if (!buf || !gmem(c, A32(5), 4)) {
        free(path);
        return WE_FAULT;
    }
    int pfd = -1;
    const char *name;
    if (!(r = resolve_parent(c, d, path, &pfd, &name))) {
        char tmp[PATH_MAX];
        ssize_t n = readlinkat(pfd, name, tmp, sizeof tmp);
        if (n < 0) {
            r = HOSTERR();
        } else {
            uint32_t k = (uint64_t)n < A32(4) ? (uint32_t)n : A32(4);
            memcpy(buf, tmp, k);
            r = out32(c, A32(5), k);
        }
        close(pfd);
    }
    free(path);
    return r;
}

WASI(path_symlink) {
    char *target = NULL, *path = NULL;
    uint16_t r = read_path(c, A32(0), A32(1), &target);
    if (r)
        return r;
    wfd *d;
    if ((r = path_begin(c, A32(2), R_PATH_SYMLINK, A32(3), A32(4), &d, &path))) {
        free(target);
        return r;
    }
    if (target[0] == '/') {
        r = WE_NOTCAPABLE; /* an absolute target could only ever point outside */
    } else {
        int pfd = -1;
        const char *name;
        if (!(r = resolve_parent(c, d, path, &pfd, &name))) {
            if (symlinkat(target, pfd, name))
                r = HOSTERR();
            close(pfd);
        }
    }
    free(target);
    free(path);
    return r;
}

WASI(path_link) {
    if (A32(1) & 1)
        return WE_INVAL; /* following a symlink when linking is refused, as in wasmtime */
    wfd *od, *nd;
    char *op = NULL, *np = NULL;
    uint16_t r = path_begin(c, A32(0), R_PATH_LINK_SOURCE, A32(2), A32(3), &od, &op);
    if (r)
        return r;
    if ((r = path_begin(c, A32(4), R_PATH_LINK_TARGET, A32(5), A32(6), &nd, &np))) {
        free(op);
        return r;
    }
    int opfd = -1, npfd = -1;
    const char *on, *nn;
    if (!(r = resolve_parent(c, od, op, &opfd, &on)) && !(r = resolve_parent(c, nd, np, &npfd, &nn))) {
        if (linkat(opfd, on, npfd, nn, 0))
            r = HOSTERR();
    }
    if (opfd >= 0)
        close(opfd);
    if (npfd >= 0)
        close(npfd);
    free(op);
    free(np);
    return r;
}

WASI(path_rename) {
    wfd *od, *nd;
    char *op = NULL, *np = NULL;
    uint16_t r = path_begin(c, A32(0), R_PATH_RENAME_SOURCE, A32(1), A32(2), &od, &op);
    if (r)
        return r;
    if ((r = path_begin(c, A32(3), R_PATH_RENAME_TARGET, A32(4), A32(5), &nd, &np))) {
        free(op);
        return r;
    }
    int opfd = -1, npfd = -1;
    const char *on, *nn;
    if (!(r = resolve_parent(c, od, op, &opfd, &on)) && !(r = resolve_parent(c, nd, np, &npfd, &nn))) {
        if (renameat(opfd, on, npfd, nn))
            r = HOSTERR();
    }
    if (opfd >= 0)
        close(opfd);
    if (npfd >= 0)
        close(npfd);
    free(op);
    free(np);
    return r;
}

/* ---- sockets: not supported ---------------------------------------------- */

static uint16_t sock_common(wcall *c, uint32_t fd) {
    wfd *f = get_fd(c, fd);
    if (!f)
        return WE_BADF;
    return f->filetype == FT_SOCKET_STREAM || f->filetype == FT_SOCKET_DGRAM ? WE_NOTSUP : WE_NOTSOCK;
}
WASI(sock_accept) { return sock_common(c, A32(0)); }
WASI(sock_recv) { return sock_common(c, A32(0)); }
WASI(sock_send) { return sock_common(c, A32(0)); }
WASI(sock_shutdown) { return sock_common(c, A32(0)); }

/* ---- the function table --------------------------------------------------- */

typedef struct {
    const char *name;
    const char *params;  /* 'i' = i32, 'I' = i64 */
    const char *results; /* "i" (errno) or "" */
    wasi_impl impl;
} wasi_fn;

#define F(n, p) {#n, p, "i", w_##n}
static const wasi_fn wasi_fns[] = {
    F(args_get, "ii"),
    F(args_sizes_get, "ii"),
    F(environ_get, "ii"),
    F(environ_sizes_get, "ii"),
    F(clock_res_get, "ii"),
    F(clock_time_get, "iIi"),
    F(fd_advise, "iIIi"),
    F(fd_allocate, "iII"),
    F(fd_close, "i"),
    F(fd_datasync, "i"),
    F(fd_fdstat_get, "ii"),
    F(fd_fdstat_set_flags, "ii"),
    F(fd_fdstat_set_rights, "iII"),
    F(fd_filestat_get, "ii"),
    F(fd_filestat_set_size, "iI"),
    F(fd_filestat_set_times, "iIIi"),
    F(fd_pread, "iiiIi"),
    F(fd_prestat_get, "ii"),
    F(fd_prestat_dir_name, "iii"),
    F(fd_pwrite, "iiiIi"),
    F(fd_read, "iiii"),
    F(fd_readdir, "iiiIi"),
    F(fd_renumber, "ii"),
    F(fd_seek, "iIii"),
    F(fd_sync, "i"),
    F(fd_tell, "ii"),
    F(fd_write, "iiii"),
    F(path_create_directory, "iii"),
    F(path_filestat_get, "iiiii"),
    F(path_filestat_set_times, "iiiiIIi"),
    F(path_link, "iiiiiii"),
    F(path_open, "iiiiiIIii"),
    F(path_readlink, "iiiiii"),
    F(path_remove_directory, "iii"),
    F(path_rename, "iiiiii"),
    F(path_symlink, "iiiii"),
    F(path_unlink_file, "iii"),
    F(poll_oneoff, "iiii"),
    {"proc_exit", "i", "", NULL},
    F(proc_raise, "i"),
    F(sched_yield, ""),
    F(random_get, "ii"),
    F(sock_accept, "iii"),
    F(sock_recv, "iiiiii"),
    F(sock_send, "iiiii"),
    F(sock_shutdown, "ii"),
};
#undef F
#define NFNS (sizeof wasi_fns / sizeof wasi_fns[0])

size_t pwasi_function_count(void) {
    return NFNS;
}

const char *pwasi_function_name(size_t i) {
    return i < NFNS ? wasi_fns[i].name : NULL;
}

/* Host functions get a binding {ctx, fn} as user data. */
typedef struct {
    pwasi_ctx *ctx;
    const wasi_fn *fn;
} binding;

static pw_error *host_call(pw_caller *caller, void *ud, const pw_val *args, pw_val *results) {
    binding *b = ud;
    if (!b->fn->impl) { /* proc_exit */
        uint32_t code = (uint32_t)args[0].of.i32;
        b->ctx->exited = true;
        b->ctx->exit_code = (int)code;
        return pw_exit_new((int)code);
    }
    wcall c;
    c.ctx = b->ctx;
    c.store = pw_caller_store(caller);
    pw_memory *m = pw_caller_memory(caller);
    c.base = m ? pw_memory_data(m) : NULL;
    c.size = m ? pw_memory_size(m) : 0;
    if (!m && b->fn->params[0])
        return pw_trap_new("%s.%s: the calling instance has no memory", WASI_MODULE, b->fn->name);
    uint16_t r = b->fn->impl(&c, args);
    results[0].kind = PW_I32;
    results[0].of.i32 = r;
    return NULL;
}

static bool name_eq(const char *a, size_t alen, const char *b) {
    return strlen(b) == alen && !memcmp(a, b, alen);
}

static void sig_text(char *buf, size_t n, const pw_functype *t) {
    size_t o = 0;
    o += (size_t)snprintf(buf + o, n - o, "(");
    for (uint32_t i = 0; i < t->nparams && o < n; i++)
        o += (size_t)snprintf(buf + o, n - o, "%s%s", i ? " " : "", pw_valkind_name(t->params[i]));
    if (o < n)
        o += (size_t)snprintf(buf + o, n - o, ") -> (");
    for (uint32_t i = 0; i < t->nresults && o < n; i++)
        o += (size_t)snprintf(buf + o, n - o, "%s%s", i ? " " : "", pw_valkind_name(t->results[i]));
    if (o < n)
        snprintf(buf + o, n - o, ")");
}

static bool sig_matches(const wasi_fn *f, const pw_functype *t) {
    size_t np = strlen(f->params), nr = strlen(f->results);
    if (t->nparams != np || t->nresults != nr)
        return false;
    for (size_t i = 0; i < np; i++)
        if (t->params[i] != (f->params[i] == 'I' ? PW_I64 : PW_I32))
            return false;
    for (size_t i = 0; i < nr; i++)
        if (t->results[i] != PW_I32)
            return false;
    return true;
}

bool pwasi_module_uses_wasi(const pw_module *m) {
    size_t n = pw_module_import_count(m);
    for (size_t i = 0; i < n; i++) {
        const char *mod, *name;
        pw_externtype t;
        if (pw_module_import(m, i, &mod, &name, &t) && !strcmp(mod, WASI_MODULE))
            return true;
    }
    return false;
}

pwasi_error *pwasi_link(pwasi_ctx *ctx, pw_store *store, pw_module *m, const pwasi_import *extra, size_t nextra,
                        pw_extern **out) {
    *out = NULL;
    size_t n = pw_module_import_count(m);
    pw_extern *ext = calloc(n ? n : 1, sizeof *ext);
    if (!ext)
        return pwasi_error_new("out of memory");
    for (size_t i = 0; i < n; i++) {
        const char *mod, *name;
        pw_externtype t;
        memset(&t, 0, sizeof t);
        pw_module_import(m, i, &mod, &name, &t);
        size_t mlen = 0, nlen = pw_module_import_name_len(m, i, &mlen);
        bool found = false;
        for (size_t k = 0; k < nextra && !found; k++) {
            if (name_eq(mod, mlen, extra[k].module) && name_eq(name, nlen, extra[k].name)) {
                if (extra[k].ext.kind != t.kind) {
                    pwasi_error *e = pwasi_error_new("import \"%s\" \"%s\" #%zu: the module wants a %s, the host "
                                                     "supplies a %s",
                                                     mod, name, i, pw_extern_kind_name(t.kind),
                                                     pw_extern_kind_name(extra[k].ext.kind));
                    free(ext);
                    return e;
                }
                ext[i] = extra[k].ext;
                found = true;
            }
        }
        if (found)
            continue;
        if (name_eq(mod, mlen, WASI_MODULE)) {
            const wasi_fn *f = NULL;
            for (size_t k = 0; k < NFNS; k++)
                if (name_eq(name, nlen, wasi_fns[k].name))
                    f = &wasi_fns[k];
            if (!f) {
                free(ext);
                return pwasi_error_new("import \"%s\" \"%s\" #%zu: no such function in %s (WASI preview 1 has "
                                       "46 functions; is the module built for another WASI version?)",
                                       mod, name, i, WASI_MODULE);
            }
            if (t.kind != PW_EXTERN_FUNC || !sig_matches(f, &t.func)) {
                char want[160];
                if (t.kind == PW_EXTERN_FUNC)
                    sig_text(want, sizeof want, &t.func);
                else
                    snprintf(want, sizeof want, "a %s", pw_extern_kind_name(t.kind));
                pwasi_error *e = pwasi_error_new("import \"%s\" \"%s\" #%zu: the module declares it as %s, which "
                                                 "is not its WASI signature",
                                                 mod, name, i, want);
                free(ext);
                return e;
            }
            binding *b = malloc(sizeof *b);
            if (!b) {
                free(ext);
                return pwasi_error_new("out of memory");
            }
            b->ctx = ctx;
            b->fn = f;
            pw_valkind ps[16], rs[1] = {PW_I32};
            size_t np = strlen(f->params);
            for (size_t k = 0; k < np; k++)
                ps[k] = f->params[k] == 'I' ? PW_I64 : PW_I32;
            pw_func *fn = pw_func_new(store, ps, (uint32_t)np, rs, (uint32_t)strlen(f->results), host_call, b, free);
            if (!fn) {
                free(b);
                free(ext);
                return pwasi_error_new("out of memory creating %s.%s", mod, name);
            }
            ext[i].kind = PW_EXTERN_FUNC;
            ext[i].of.func = fn;
            continue;
        }
        pwasi_error *e;
        if (t.kind == PW_EXTERN_FUNC) {
            char sig[160];
            sig_text(sig, sizeof sig, &t.func);
            e = pwasi_error_new("import \"%s\" \"%s\" #%zu (function %s) is not provided: only %s is built in; "
                                "supply other imports as extra host imports",
                                mod, name, i, sig, WASI_MODULE);
        } else {
            e = pwasi_error_new("import \"%s\" \"%s\" #%zu (%s) is not provided: only %s functions are built in",
                                mod, name, i, pw_extern_kind_name(t.kind), WASI_MODULE);
        }
        free(ext);
        return e;
    }
    *out = ext;
    return NULL;
}

pw_error *pwasi_initialize(pw_store *store, pw_instance *inst) {
    pw_func *f = pw_instance_func(inst, "_initialize");
    if (!f)
        return NULL;
    pw_functype t = pw_func_type(f);
    if (t.nparams || t.nresults)
        return pw_trap_new("_initialize has the type of a function with parameters or results; a reactor's "
                           "_initialize takes none");
    return pw_func_call(store, f, NULL, 0, NULL, 0);
}
