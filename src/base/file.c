/* Whole-file reading and atomic file writing. */
#include <portalis/base.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int fail(pbase_error *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(pbase_error *err, int code, const char *fmt, ...) {
    if (err) {
        err->code = code;
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    }
    return code;
}

static const char *kind_of(mode_t m) {
    if (S_ISDIR(m)) return "a directory";
    if (S_ISFIFO(m)) return "a FIFO (pipe)";
    if (S_ISCHR(m)) return "a character device";
    if (S_ISBLK(m)) return "a block device";
    if (S_ISSOCK(m)) return "a socket";
    return "not a regular file";
}

/* Reads until end of file or one byte past max (so a file that grew since
 * fstat is still caught), into a buffer of the hinted size that grows when
 * the hint was short. Returns 0 or an errno value. */
static int read_all(int fd, size_t max, char **data, size_t *len, size_t hint) {
    if (max == SIZE_MAX) max--;
    size_t cap = (hint < max ? hint : max) + 2, n = 0; /* the byte past max, and the NUL */
    char *buf = malloc(cap);
    if (!buf) return ENOMEM;
    while (n <= max) {
        if (!PBASE_RESERVE(buf, cap, n + 2)) {
            free(buf);
            return ENOMEM;
        }
        size_t room = cap - 1 - n;
        if (room > max + 1 - n) room = max + 1 - n;
        ssize_t r = read(fd, buf + n, room);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            int e = errno;
            free(buf);
            return e;
        }
        if (r == 0) break;
        n += (size_t)r;
    }
    if (n > max) {
        free(buf);
        return EFBIG;
    }
    buf[n] = 0;
    *data = buf;
    *len = n;
    return 0;
}

int pbase_read_file(const char *path, size_t max_bytes, char **data, size_t *len, pbase_error *err) {
    *data = NULL;
    *len = 0;
    /* O_NONBLOCK: opening a FIFO without a writer must not hang before fstat can refuse it */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return fail(err, errno, "cannot open '%s': %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st)) {
        int e = errno;
        close(fd);
        return fail(err, e, "cannot read '%s': %s", path, strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return fail(err, S_ISDIR(st.st_mode) ? EISDIR : EINVAL, "cannot read '%s': it is %s, not a regular file", path,
                    kind_of(st.st_mode));
    }
    if ((uint64_t)st.st_size > max_bytes) {
        close(fd);
        return fail(err, EFBIG, "cannot read '%s': %lld bytes is over the limit of %zu bytes", path,
                    (long long)st.st_size, max_bytes);
    }
    int e = read_all(fd, max_bytes, data, len, (size_t)st.st_size);
    close(fd);
    if (e == EFBIG)
        return fail(err, e, "cannot read '%s': it grew over the limit of %zu bytes while being read", path, max_bytes);
    if (e) return fail(err, e, "cannot read '%s': %s", path, strerror(e));
    return 0;
}

int pbase_read_fd(int fd, const char *name, size_t max_bytes, char **data, size_t *len, pbase_error *err) {
    *data = NULL;
    *len = 0;
    int e = read_all(fd, max_bytes, data, len, 1 << 16);
    if (e == EFBIG) return fail(err, e, "cannot read %s: it is over the limit of %zu bytes", name, max_bytes);
    if (e) return fail(err, e, "cannot read %s: %s", name, strerror(e));
    return 0;
}
static bool is_device(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) || S_ISFIFO(st.st_mode));
}

static void afile_release(pbase_afile *a) {
    free(a->path);
    free(a->tmp);
    a->path = a->tmp = NULL;
    a->f = NULL;
}

int pbase_afile_open(pbase_afile *a, const char *path, pbase_error *err) {
    memset(a, 0, sizeof *a);
    size_t n = strlen(path);
    a->path = strdup(path);
    bool direct = is_device(path);
    if (!direct) a->tmp = malloc(n + 16);
    if (!a->path || (!direct && !a->tmp)) {
        afile_release(a);
        return fail(err, ENOMEM, "cannot write '%s': out of memory", path);
    }
    int fd;
    if (direct) {
        /* a FIFO that no process reads: wait for a reader for at most
         * PBASE_FIFO_WAIT_MS, never forever (a plain open would block) */
        for (int tries = 0;; tries++) {
            fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NONBLOCK);
            if (fd >= 0 || errno != ENXIO || tries * 10 >= PBASE_FIFO_WAIT_MS) break;
            struct timespec ts = {0, 10 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
        int fl = fd >= 0 ? fcntl(fd, F_GETFL) : -1;
        if (fl >= 0) fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    } else {
        snprintf(a->tmp, n + 16, "%s.tmp.XXXXXX", path);
        fd = mkstemp(a->tmp);
    }
    if (fd < 0) {
        int e = errno;
        afile_release(a);
        return direct
                   ? fail(err, e, "cannot write '%s': %s", path,
                          e == ENXIO ? "it is a FIFO that no process is reading" : strerror(e))
                   : fail(err, e, "cannot write '%s': cannot create a file in its directory (%s)", path, strerror(e));
    }
    a->f = fdopen(fd, "w");
    if (!a->f) {
        int e = errno;
        close(fd);
        if (a->tmp) unlink(a->tmp);
        afile_release(a);
        return fail(err, e, "cannot write '%s': %s", path, strerror(e));
    }
    return 0;
}

/* The new file keeps the mode of the one it replaces; a new file gets 0644. */
static int finish_tmp(pbase_afile *a, int fd) {
    struct stat st;
    mode_t mode = stat(a->path, &st) == 0 ? (st.st_mode & 07777) : 0644;
    if (fchmod(fd, mode)) return errno;
    if (fsync(fd)) return errno;
    return 0;
}

int pbase_afile_commit(pbase_afile *a, pbase_error *err) {
    int e = 0;
    errno = 0;
    if (fflush(a->f) || ferror(a->f)) e = errno ? errno : EIO;
    if (!e && a->tmp) e = finish_tmp(a, fileno(a->f));
    if (fclose(a->f) && !e) e = errno;
    if (!e && a->tmp && rename(a->tmp, a->path)) e = errno;
    if (e && a->tmp) unlink(a->tmp);
    int rc = 0;
    if (e)
        rc = a->tmp ? fail(err, e, "cannot write '%s' (previous file left untouched): %s", a->path, strerror(e))
                    : fail(err, e, "cannot write '%s': %s", a->path, strerror(e));
    afile_release(a);
    return rc;
}

void pbase_afile_abort(pbase_afile *a) {
    if (a->f) fclose(a->f);
    if (a->tmp) unlink(a->tmp);
    afile_release(a);
}

int pbase_write_file_atomic(const char *path, const void *data, size_t len, pbase_error *err) {
    pbase_afile a;
    int rc = pbase_afile_open(&a, path, err);
    if (rc) return rc;
    errno = 0;
    if (len && fwrite(data, 1, len, a.f) != len) {
        int e = errno ? errno : EIO;
        pbase_afile_abort(&a);
        return fail(err, e, "cannot write '%s' (previous file left untouched): %s", path, strerror(e));
    }
    return pbase_afile_commit(&a, err);
}
