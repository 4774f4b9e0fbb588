/* Path resolution beneath a preopened directory: the sandbox boundary.
 *
 * Preferred: Linux openat2() with RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS,
 * where the kernel refuses (EXDEV) any `..`, absolute path or symlink that
 * would leave the directory. Fallback (kernels without openat2, or on
 * request): a walk one component at a time with O_NOFOLLOW, keeping a stack
 * of directory fds so `..` pops a level instead of asking the file system,
 * and splicing relative symlink targets into the remaining path.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "internal.h"

#define MAX_SYMLINKS 40
#define MAX_DEPTH 256

uint16_t pwasi_errno_from_host(int err) {
    switch (err) {
    case 0: return WE_SUCCESS;
    case E2BIG: return WE_2BIG;
    case EACCES: return WE_ACCES;
    case EAGAIN: return WE_AGAIN;
    case EALREADY: return WE_ALREADY;
    case EBADF: return WE_BADF;
    case EBUSY: return WE_BUSY;
    case ECANCELED: return WE_CANCELED;
    case EDEADLK: return WE_DEADLK;
    case EDOM: return WE_DOM;
    case EDQUOT: return WE_DQUOT;
    case EEXIST: return WE_EXIST;
    case EFAULT: return WE_FAULT;
    case EFBIG: return WE_FBIG;
    case EILSEQ: return WE_ILSEQ;
    case EINTR: return WE_INTR;
    case EINVAL: return WE_INVAL;
    case EIO: return WE_IO;
    case EISDIR: return WE_ISDIR;
    case ELOOP: return WE_LOOP;
    case EMFILE: return WE_MFILE;
    case EMLINK: return WE_MLINK;
    case ENAMETOOLONG: return WE_NAMETOOLONG;
    case ENFILE: return WE_NFILE;
    case ENOBUFS: return WE_NOBUFS;
    case ENODEV: return WE_NODEV;
    case ENOENT: return WE_NOENT;
    case ENOEXEC: return WE_NOEXEC;
    case ENOLCK: return WE_NOLCK;
    case ENOMEM: return WE_NOMEM;
    case ENOSPC: return WE_NOSPC;
    case ENOSYS: return WE_NOSYS;
    case ENOTDIR: return WE_NOTDIR;
    case ENOTEMPTY: return WE_NOTEMPTY;
    case ENOTSOCK: return WE_NOTSOCK;
    case EOPNOTSUPP: return WE_NOTSUP;
    case ENOTTY: return WE_NOTTY;
    case ENXIO: return WE_NXIO;
    case EOVERFLOW: return WE_OVERFLOW;
    case EPERM: return WE_PERM;
    case EPIPE: return WE_PIPE;
    case ERANGE: return WE_RANGE;
    case EROFS: return WE_ROFS;
    case ESPIPE: return WE_SPIPE;
    case ESRCH: return WE_SRCH;
    case ESTALE: return WE_STALE;
    case ETIMEDOUT: return WE_TIMEDOUT;
    case ETXTBSY: return WE_TXTBSY;
    case EXDEV: return WE_XDEV;
    default: return WE_IO;
    }
}

static uint16_t open_openat2(int dirfd, const char *path, int flags, unsigned mode, bool follow, int *out) {
    struct open_how how;
    memset(&how, 0, sizeof how);
    how.flags = (uint64_t)(unsigned)(flags | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW));
    how.mode = ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE) ? mode : 0;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    for (int tries = 0; tries < 8; tries++) {
        long fd = syscall(SYS_openat2, dirfd, path, &how, sizeof how);
        if (fd >= 0) {
            *out = (int)fd;
            return WE_SUCCESS;
        }
        if (errno == EAGAIN || errno == EINTR)
            continue; /* a concurrent rename raced the `..` check: retry */
        if (errno == EXDEV)
            return WE_NOTCAPABLE;
        return pwasi_errno_from_host(errno);
    }
    return WE_AGAIN;
}

/* ---- manual walk ---------------------------------------------------------- */

typedef struct {
    int fds[MAX_DEPTH + 1]; /* fds[0] borrows dirfd; the rest are owned O_PATH dirs */
    int depth;
} walk_stack;

static void walk_free(walk_stack *w) {
    for (int i = 1; i <= w->depth; i++)
        close(w->fds[i]);
    w->depth = 0;
}

/* Replaces *rest by target + "/" + rest. */
static bool splice_path(char **rest_buf, const char *rest, const char *target) {
    size_t tl = strlen(target), rl = strlen(rest);
    char *n = malloc(tl + rl + 2);
    if (!n)
        return false;
    memcpy(n, target, tl);
    if (rl) {
        n[tl] = '/';
        memcpy(n + tl + 1, rest, rl + 1);
    } else {
        n[tl] = 0;
    }
    free(*rest_buf);
    *rest_buf = n;
    return true;
}

/* Reads the symlink `name` in dir `fd`: 0 and a malloc'd target, or a WASI errno. */
static uint16_t read_link(int fd, const char *name, char **target) {
    char buf[PATH_MAX];
    ssize_t n = readlinkat(fd, name, buf, sizeof buf - 1);
    if (n < 0)
        return pwasi_errno_from_host(errno);
    buf[n] = 0;
    if (buf[0] == '/')
        return WE_NOTCAPABLE; /* absolute symlink: leaves the sandbox */
    *target = strdup(buf);
    return *target ? WE_SUCCESS : WE_NOMEM;
}

/* Follows the symlink comp in top: what is left to walk (in *buf) becomes its
 * target, then rest (which may point into *buf). */
static uint16_t follow_link(int top, const char *comp, const char *rest, char **buf, int *links) {
    if (++*links > MAX_SYMLINKS)
        return WE_LOOP;
    char *target = NULL;
    uint16_t r = read_link(top, comp, &target);
    if (r)
        return r;
    char *copy = strdup(rest);
    bool ok = copy && splice_path(buf, copy, target);
    free(copy);
    free(target);
    return ok ? WE_SUCCESS : WE_NOMEM;
}

/* The walk ends on a directory it holds: opens it again with the caller's flags. */
static uint16_t open_here(int dir, int flags, unsigned mode, int *out) {
    int fd = openat(dir, ".", flags | O_CLOEXEC, mode);
    if (fd < 0)
        return pwasi_errno_from_host(errno);
    *out = fd;
    return WE_SUCCESS;
}

static uint16_t open_walk(int dirfd, const char *path, int flags, unsigned mode, bool follow, int *out) {
    if (path[0] == '/')
        return WE_NOTCAPABLE;
    if (!path[0])
        return WE_NOENT;
    walk_stack w;
    w.fds[0] = dirfd;
    w.depth = 0;
    char *buf = strdup(path);
    if (!buf)
        return WE_NOMEM;
    char *cur = buf; /* remaining path (points into buf) */
    int links = 0;
    uint16_t r = WE_SUCCESS;
    for (;;) {
        while (*cur == '/')
            cur++;
        char *slash = strchr(cur, '/');
        char comp[NAME_MAX + 2];
        size_t cl = slash ? (size_t)(slash - cur) : strlen(cur);
        if (cl > NAME_MAX) {
            r = WE_NAMETOOLONG;
            break;
        }
        memcpy(comp, cur, cl);
        comp[cl] = 0;
        const char *after = slash ? slash : cur + cl;
        const char *p = after;
        while (*p == '/')
            p++;
        bool last = *p == 0;
        bool trailing_slash = last && after[0] == '/';
        cur = (char *)p;
        int top = w.fds[w.depth];
        if (cl == 0 || !strcmp(comp, ".")) {
            if (last) {
                r = open_here(top, flags, mode, out);
                break;
            }
            continue;
        }
        if (!strcmp(comp, "..")) {
            if (w.depth == 0) {
                r = WE_NOTCAPABLE;
                break;
            }
            close(w.fds[w.depth]);
            w.depth--;
            if (last) {
                r = open_here(w.fds[w.depth], flags, mode, out);
                break;
            }
            continue;
        }
        if (!last) {
            int fd = openat(top, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (fd >= 0) {
                if (w.depth == MAX_DEPTH) {
                    close(fd);
                    r = WE_NAMETOOLONG;
                    break;
                }
                w.fds[++w.depth] = fd;
                continue;
            }
            int err = errno;
            struct stat st;
            if ((err == ENOTDIR || err == ELOOP) && fstatat(top, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
                S_ISLNK(st.st_mode)) {
                if ((r = follow_link(top, comp, cur, &buf, &links)))
                    break;
                cur = buf;
                continue;
            }
            r = pwasi_errno_from_host(err);
            break;
        }
        /* the final component: never let the kernel follow a symlink here */
        bool want_follow = follow || trailing_slash;
        int fflags = flags | O_NOFOLLOW | O_CLOEXEC | (trailing_slash ? O_DIRECTORY : 0);
        int fd = openat(top, comp, fflags, mode);
        struct stat st;
        if (fd >= 0 && want_follow && (flags & O_PATH) && fstat(fd, &st) == 0 && S_ISLNK(st.st_mode)) {
            close(fd);
            fd = -1;
            errno = ELOOP;
        }
        if (fd >= 0) {
            *out = fd;
            break;
        }
        int err = errno;
        if (want_follow && (err == ELOOP || err == ENOTDIR || err == EEXIST) &&
            fstatat(top, comp, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) {
            if (err == EEXIST) { /* O_CREAT|O_EXCL on a symlink: exists */
                r = WE_EXIST;
                break;
            }
            if ((r = follow_link(top, comp, trailing_slash ? "." : "", &buf, &links)))
                break;
            cur = buf;
            continue;
        }
        r = pwasi_errno_from_host(err);
        break;
    }
    walk_free(&w);
    free(buf);
    return r;
}

uint16_t pwasi_open_beneath(int dirfd, const char *path, int flags, unsigned mode, bool follow, bool *use_openat2,
                            int *out) {
    if (path[0] == '/')
        return WE_NOTCAPABLE;
    if (*use_openat2) {
        uint16_t r = open_openat2(dirfd, path, flags, mode, follow, out);
        if (r != WE_NOSYS)
            return r;
        *use_openat2 = false; /* kernel without openat2 (or filtered): walk */
    }
    return open_walk(dirfd, path, flags, mode, follow, out);
}
