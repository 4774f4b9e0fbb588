/* WASI contexts: arguments, environment, the fd table, preopens, errors. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <portalis/base.h>

#include "wasi_impl.h"

struct pwasi_error {
    char *msg;
};

pwasi_error *pwasi_error_new(const char *fmt, ...) {
    pwasi_error *e = malloc(sizeof *e);
    if (!e)
        return NULL; /* out of memory: callers treat NULL as success, so... */
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    e->msg = malloc(n > 0 ? (size_t)n + 1 : 1);
    if (e->msg) {
        va_start(ap, fmt);
        vsnprintf(e->msg, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    return e;
}

const char *pwasi_error_message(const pwasi_error *e) { return e && e->msg ? e->msg : "out of memory"; }

void pwasi_error_free(pwasi_error *e) {
    if (e) {
        free(e->msg);
        free(e);
    }
}

#define OOM() pwasi_error_new("out of memory")

pwasi_ctx *pwasi_ctx_new(void) {
    pwasi_ctx *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->use_openat2 = true;
    c->nfds = 3;
    c->fds = calloc(8, sizeof *c->fds);
    if (!c->fds) {
        free(c);
        return NULL;
    }
    c->capfds = 8;
    pwasi_ctx_set_stdio(c, 0, 1, 2);
    return c;
}

static void free_strv(char **v, size_t n) {
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void pwasi_fd_release(wfd *f) {
    if (!f->used)
        return;
    if (f->own && f->host >= 0)
        close(f->host);
    free(f->preopen);
    memset(f, 0, sizeof *f);
    f->host = -1;
}

void pwasi_ctx_free(pwasi_ctx *c) {
    if (!c)
        return;
    for (uint32_t i = 0; i < c->nfds; i++)
        pwasi_fd_release(&c->fds[i]);
    free(c->fds);
    free_strv(c->args, c->nargs);
    free_strv(c->env, c->nenv);
    free(c);
}

pwasi_error *pwasi_ctx_set_args(pwasi_ctx *c, int argc, const char *const *argv) {
    char **v = calloc(argc > 0 ? (size_t)argc : 1, sizeof *v);
    if (!v)
        return OOM();
    for (int i = 0; i < argc; i++) {
        v[i] = strdup(argv[i]);
        if (!v[i]) {
            free_strv(v, (size_t)i);
            return OOM();
        }
    }
    free_strv(c->args, c->nargs);
    c->args = v;
    c->nargs = argc > 0 ? (size_t)argc : 0;
    return NULL;
}

pwasi_error *pwasi_ctx_set_env(pwasi_ctx *c, const char *name, const char *value) {
    if (!name[0] || strchr(name, '='))
        return pwasi_error_new("environment variable name '%s' is empty or contains '='", name);
    size_t nl = strlen(name), vl = strlen(value);
    char *s = malloc(nl + vl + 2);
    if (!s)
        return OOM();
    memcpy(s, name, nl);
    s[nl] = '=';
    memcpy(s + nl + 1, value, vl + 1);
    for (size_t i = 0; i < c->nenv; i++) {
        if (!strncmp(c->env[i], name, nl) && c->env[i][nl] == '=') {
            free(c->env[i]);
            c->env[i] = s;
            return NULL;
        }
    }
    if (!PBASE_RESERVE(c->env, c->capenv, c->nenv + 1)) {
        free(s);
        return OOM();
    }
    c->env[c->nenv++] = s;
    return NULL;
}

uint8_t pwasi_filetype_of(mode_t m) {
    if (S_ISREG(m))
        return FT_REGULAR_FILE;
    if (S_ISDIR(m))
        return FT_DIRECTORY;
    if (S_ISCHR(m))
        return FT_CHARACTER_DEVICE;
    if (S_ISBLK(m))
        return FT_BLOCK_DEVICE;
    if (S_ISLNK(m))
        return FT_SYMBOLIC_LINK;
    if (S_ISSOCK(m))
        return FT_SOCKET_STREAM;
    return FT_UNKNOWN;
}

static void set_stdio_fd(pwasi_ctx *c, uint32_t i, int host) {
    wfd *f = &c->fds[i];
    pwasi_fd_release(f);
    if (host < 0)
        return;
    struct stat st;
    f->used = true;
    f->host = host;
    f->own = false;
    f->filetype = fstat(host, &st) == 0 ? pwasi_filetype_of(st.st_mode) : FT_UNKNOWN;
    if (f->filetype == FT_DIRECTORY)
        f->filetype = FT_UNKNOWN;
    uint64_t r = R_FD_FDSTAT_SET_FLAGS | R_FD_FILESTAT_GET | R_POLL_FD_READWRITE | R_FD_SYNC | R_FD_DATASYNC;
    r |= i == 0 ? R_FD_READ : R_FD_WRITE;
    if (f->filetype == FT_REGULAR_FILE)
        r |= R_FD_SEEK | R_FD_TELL | R_FD_ADVISE | R_FD_ALLOCATE | R_FD_FILESTAT_SET_SIZE;
    /* a terminal or pipe is not seekable: without FD_SEEK/FD_TELL wasi-libc's isatty() answers yes */
    f->base = r;
    f->inheriting = 0;
}

void pwasi_ctx_set_stdio(pwasi_ctx *c, int in_fd, int out_fd, int err_fd) {
    set_stdio_fd(c, 0, in_fd);
    set_stdio_fd(c, 1, out_fd);
    set_stdio_fd(c, 2, err_fd);
}

void pwasi_ctx_set_resolve_mode(pwasi_ctx *c, pwasi_resolve_mode mode) {
    c->use_openat2 = mode == PWASI_RESOLVE_AUTO;
}

bool pwasi_ctx_exited(const pwasi_ctx *c, int *code) {
    if (c->exited && code)
        *code = c->exit_code;
    return c->exited;
}

/* Lowest free fd number, growing the table; UINT32_MAX if the table is full. */
uint32_t pwasi_fd_alloc(pwasi_ctx *c) {
    for (uint32_t i = 0; i < c->nfds; i++)
        if (!c->fds[i].used)
            return i;
    if (c->nfds >= MAX_FDS)
        return UINT32_MAX;
    size_t old = c->capfds;
    if (!PBASE_RESERVE(c->fds, c->capfds, (size_t)c->nfds + 1))
        return UINT32_MAX;
    memset(c->fds + old, 0, (c->capfds - old) * sizeof *c->fds);
    c->fds[c->nfds].used = false;
    return c->nfds++;
}

pwasi_error *pwasi_ctx_preopen_dir(pwasi_ctx *c, const char *host_path, const char *guest_path) {
    int fd = open(host_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return pwasi_error_new("cannot preopen '%s': %s (it must be an existing, readable directory)", host_path,
                               strerror(errno));
    char *name = strdup(guest_path && guest_path[0] ? guest_path : host_path);
    uint32_t i = pwasi_fd_alloc(c);
    if (!name || i == UINT32_MAX) {
        free(name);
        close(fd);
        return pwasi_error_new("cannot preopen '%s': out of memory or too many descriptors", host_path);
    }
    wfd *f = &c->fds[i];
    memset(f, 0, sizeof *f);
    f->used = true;
    f->host = fd;
    f->own = true;
    f->filetype = FT_DIRECTORY;
    f->base = DIR_RIGHTS;
    f->inheriting = DIR_RIGHTS | FILE_RIGHTS;
    f->preopen = name;
    return NULL;
}
