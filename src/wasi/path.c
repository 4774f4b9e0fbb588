/* The path_* functions of wasi_snapshot_preview1. Every path is resolved
 * beneath the directory fd of the call (resolve.c); operations on a name
 * resolve its parent directory and act on the last component without
 * following it. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "call.h"

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

/* Common prologue: the directory fd `fd` (BADF if not open, NOTDIR if not a
 * directory, NOTCAPABLE without `rights`) and the path string. */
static uint16_t path_begin(wcall *c, uint32_t fd, uint64_t rights, uint32_t ptr, uint32_t len, wfd **d,
                           char **path) {
    wfd *f = pwasi_get_fd(c, fd);
    if (!f)
        return WE_BADF;
    if (f->filetype != FT_DIRECTORY)
        return WE_NOTDIR;
    if ((f->base & rights) != rights)
        return WE_NOTCAPABLE;
    *d = f;
    return read_path(c, ptr, len, path);
}

/* How the path_* functions begin: declares d (the directory fd of argument
 * 0, with rights), path (the string at arguments pa and pa + 1; the caller
 * frees it) and r, or returns path_begin's error from the host function. */
#define PATH_ARG(rights, pa)                                                                                     \
    wfd *d;                                                                                                      \
    char *path = NULL;                                                                                           \
    uint16_t r = path_begin(c, A32(0), (rights), A32(pa), A32((pa) + 1), &d, &path);                             \
    if (r)                                                                                                       \
    return r

/* A path ending in '/' names a directory (POSIX): its last component must
 * be one, or a symlink to one. */
static bool trailing_slash(const char *path) {
    size_t n = strlen(path);
    return n > 1 && path[n - 1] == '/';
}

/* Resolves all of `path` beneath d as a directory, following a final
 * symlink (as POSIX resolves "name/"): 0 if it is one, else the errno
 * (NOTDIR, NOENT, LOOP, NOTCAPABLE). */
static uint16_t resolves_to_dir(wcall *c, const wfd *d, const char *path) {
    int fd = -1;
    uint16_t r = pwasi_open_beneath(d->host, path, O_PATH | O_DIRECTORY, 0, true, &c->ctx->use_openat2, &fd);
    if (!r)
        close(fd);
    return r;
}

/* A non-directory (symlink, hard link) created under a name given with a
 * trailing slash: a missing name is NOENT (never a new entry); an existing
 * one is left to the call, which fails with EXIST. */
static uint16_t new_name_slash(int pfd, const char *name, bool trailing) {
    struct stat st;
    if (trailing && fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
        return errno == ENOENT ? WE_NOENT : HOSTERR();
    return WE_SUCCESS;
}

enum { OF_CREAT = 1, OF_DIRECTORY = 2, OF_EXCL = 4, OF_TRUNC = 8 };
enum { FDF_APPEND = 1, FDF_DSYNC = 2, FDF_NONBLOCK = 4, FDF_RSYNC = 8, FDF_SYNC = 16 };

/* path_open's rules that need no host call (docs/wasi.md, "Rights"). */
static uint16_t open_rules(const wfd *d, uint32_t oflags, uint32_t fdflags, bool trailing) {
    if ((oflags & OF_DIRECTORY) && (oflags & (OF_CREAT | OF_EXCL | OF_TRUNC)))
        return WE_INVAL; /* as wasmtime: path_open never creates or truncates a directory */
    if ((oflags & OF_CREAT) && !(d->base & R_PATH_CREATE_FILE))
        return WE_NOTCAPABLE;
    if ((oflags & OF_TRUNC) && !(d->base & R_PATH_FILESTAT_SET_SIZE))
        return WE_NOTCAPABLE;
    if ((fdflags & FDF_DSYNC) && !(d->inheriting & (R_FD_DATASYNC | R_FD_SYNC)))
        return WE_NOTCAPABLE;
    if ((fdflags & (FDF_RSYNC | FDF_SYNC)) && !(d->inheriting & R_FD_SYNC))
        return WE_NOTCAPABLE;
    if ((oflags & OF_CREAT) && trailing)
        return WE_ISDIR; /* open(2): O_CREAT on "name/" */
    return WE_SUCCESS;
}

static int host_open_flags(uint32_t oflags, uint32_t fdflags, bool rd, bool wr) {
    int flags = wr ? (rd ? O_RDWR : O_WRONLY) : O_RDONLY;
    static const struct {
        uint32_t wasi;
        int host;
    } of[] = {{OF_CREAT, O_CREAT}, {OF_DIRECTORY, O_DIRECTORY}, {OF_EXCL, O_EXCL}, {OF_TRUNC, O_TRUNC}},
      ff[] = {{FDF_APPEND, O_APPEND},
              {FDF_DSYNC, O_DSYNC},
              {FDF_NONBLOCK, O_NONBLOCK},
              {FDF_RSYNC, O_RSYNC},
              {FDF_SYNC, O_SYNC}};
    for (size_t i = 0; i < sizeof of / sizeof of[0]; i++)
        if (oflags & of[i].wasi)
            flags |= of[i].host;
    for (size_t i = 0; i < sizeof ff / sizeof ff[0]; i++)
        if (fdflags & ff[i].wasi)
            flags |= ff[i].host;
    return flags;
}

/* Installs host fd `hfd` as a new guest fd: the rights asked for, limited to
 * those that apply to its type and to how it was opened. */
static uint16_t install_fd(wcall *c, int hfd, uint64_t base, uint64_t inh, bool rd, bool wr, uint32_t *out) {
    struct stat st;
    if (fstat(hfd, &st)) {
        uint16_t r = HOSTERR();
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
    if (!wr)
        f->base &= ~(R_FD_WRITE | R_FD_ALLOCATE | R_FD_FILESTAT_SET_SIZE);
    f->readable = rd;
    f->writable = wr;
    *out = nfd;
    return WE_SUCCESS;
}

static uint16_t clear_nonblock(int fd) {
    int fl = fcntl(fd, F_GETFL);
    return fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) ? HOSTERR() : WE_SUCCESS;
}

WASI(path_open) {
    uint32_t oflags = A32(4), fdflags = A32(7);
    PATH_ARG(R_PATH_OPEN, 2);
    bool trailing = trailing_slash(path);
    r = gmem(c, A32(8), 4) ? open_rules(d, oflags, fdflags, trailing) : WE_FAULT;
    if (r) {
        free(path);
        return r;
    }
    /* a new fd gets at most the directory's inheriting rights */
    uint64_t base = A64(5) & d->inheriting, inh = A64(6) & d->inheriting;
    bool rd = base & (R_FD_READ | R_FD_READDIR);
    bool wr = (base & (R_FD_WRITE | R_FD_ALLOCATE | R_FD_FILESTAT_SET_SIZE)) || (fdflags & FDF_APPEND);
    /* O_NONBLOCK: opening a FIFO must not wait for the other end (a reader
     * gets its fd now, a writer without a reader NXIO); cleared below */
    int flags = host_open_flags(oflags, fdflags, rd, wr) | (trailing ? O_DIRECTORY : 0) | O_NONBLOCK;
    bool follow = A32(1) & 1;
    int hfd = -1;
    r = pwasi_open_beneath(d->host, path, flags, 0666, follow, &c->ctx->use_openat2, &hfd);
    if (r == WE_ISDIR && wr && !(base & R_FD_WRITE) && !(fdflags & FDF_APPEND) &&
        !(oflags & (OF_CREAT | OF_TRUNC))) {
        /* FD_ALLOCATE and FD_FILESTAT_SET_SIZE do not apply to a directory,
         * so they do not make it one opened for writing; FD_WRITE does (ISDIR) */
        flags = (flags & ~O_ACCMODE) | O_RDONLY;
        wr = false;
        r = pwasi_open_beneath(d->host, path, flags, 0666, follow, &c->ctx->use_openat2, &hfd);
    }
    free(path);
    if (!r && !(fdflags & FDF_NONBLOCK) && (r = clear_nonblock(hfd)))
        close(hfd);
    uint32_t nfd = 0;
    if (!r)
        r = install_fd(c, hfd, base, inh, rd, wr, &nfd);
    return r ? r : out32(c, A32(8), nfd);
}

WASI(path_create_directory) {
    PATH_ARG(R_PATH_CREATE_DIRECTORY, 1);
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
    PATH_ARG(right, 1);
    bool trailing = trailing_slash(path);
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
    PATH_ARG(R_PATH_FILESTAT_GET, 2);
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
        pwasi_write_filestat(p, &st);
    close(fd);
    return r;
}

WASI(path_filestat_set_times) {
    PATH_ARG(R_PATH_FILESTAT_SET_TIMES, 2);
    struct timespec ts[2];
    if ((r = pwasi_make_times(A64(4), A64(5), (uint16_t)A32(6), ts))) {
        free(path);
        return r;
    }
    if ((A32(1) & 1) || trailing_slash(path)) {
        /* follow ("name/" follows too): resolve the whole path beneath, then act on the fd */
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
    PATH_ARG(R_PATH_READLINK, 1);
    uint8_t *buf = gmem(c, A32(3), A32(4));
    if (!buf || !gmem(c, A32(5), 4)) {
        free(path);
        return WE_FAULT;
    }
    int pfd = -1;
    const char *name;
    if (trailing_slash(path) && !(r = resolves_to_dir(c, d, path)))
        r = WE_INVAL; /* "link/" follows the link: a directory is not a symlink */
    if (!r && !(r = resolve_parent(c, d, path, &pfd, &name))) {
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
        bool trailing = trailing_slash(path);
        if (!(r = resolve_parent(c, d, path, &pfd, &name))) {
            if (!(r = new_name_slash(pfd, name, trailing)) && symlinkat(target, pfd, name))
                r = HOSTERR();
            close(pfd);
        }
    }
    free(target);
    free(path);
    return r;
}

/* renameat(2) with a trailing slash on either name: the source (not
 * followed) must be a directory. */
static uint16_t rename_slash(int pfd, const char *name, bool trailing) {
    struct stat st;
    if (trailing && fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(st.st_mode))
        return WE_NOTDIR;
    return WE_SUCCESS;
}

/* path_link (`link`) and path_rename: an old and a new path, each beneath
 * its own directory fd (argument o, n) with its own right, each resolved to
 * its parent. */
static uint16_t two_paths(wcall *c, const pw_val *a, int o, uint64_t oright, int n, uint64_t nright, bool link) {
    wfd *od, *nd;
    char *op = NULL, *np = NULL;
    int op_at = o + (link ? 2 : 1); /* path_link has lookup flags after its old fd */
    uint16_t r = path_begin(c, A32(o), oright, A32(op_at), A32(op_at + 1), &od, &op);
    if (!r)
        r = path_begin(c, A32(n), nright, A32(n + 1), A32(n + 2), &nd, &np);
    bool otrail = !r && trailing_slash(op), ntrail = !r && trailing_slash(np);
    if (!r && link && otrail && !(r = resolves_to_dir(c, od, op)))
        r = WE_PERM; /* "dir/" resolved: a directory cannot be hard-linked */
    int opfd = -1, npfd = -1;
    const char *on, *nn;
    if (!r && !(r = resolve_parent(c, od, op, &opfd, &on)) && !(r = resolve_parent(c, nd, np, &npfd, &nn))) {
        if (link) {
            if (!(r = new_name_slash(npfd, nn, ntrail)) && linkat(opfd, on, npfd, nn, 0))
                r = HOSTERR();
        } else {
            if (!(r = rename_slash(opfd, on, otrail || ntrail)) && renameat(opfd, on, npfd, nn))
                r = HOSTERR();
        }
    }
    if (opfd >= 0)
        close(opfd);
    if (npfd >= 0)
        close(npfd);
    free(op);
    free(np);
    return r;
}

WASI(path_link) {
    if (A32(1) & 1)
        return WE_INVAL; /* following a symlink when linking is refused, as in wasmtime */
    return two_paths(c, a, 0, R_PATH_LINK_SOURCE, 4, R_PATH_LINK_TARGET, true);
}

WASI(path_rename) { return two_paths(c, a, 0, R_PATH_RENAME_SOURCE, 3, R_PATH_RENAME_TARGET, false); }
