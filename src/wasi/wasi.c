/* The wasi_snapshot_preview1 function table, pwasi_link, and the functions
 * that are neither fd_* (fd.c) nor path_* (path.c): args, environ, clocks,
 * random, poll_oneoff, proc_*, sockets.
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

#include <portalis/base.h>

#include "call.h"

#define WASI_MODULE "wasi_snapshot_preview1"

typedef uint16_t (*wasi_impl)(wcall *c, const pw_val *a);

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

/* clock_res_get and clock_time_get: query (clock_getres or clock_gettime)
 * of the host clock for WASI clock id, in ns at guest address out. */
static uint16_t clock_query(wcall *c, uint32_t id, uint32_t out, int (*query)(clockid_t, struct timespec *)) {
    clockid_t hc;
    if (!host_clock(id, &hc))
        return WE_INVAL;
    struct timespec t;
    if (query(hc, &t))
        return HOSTERR();
    return out64(c, out, ts_ns(&t));
}

WASI(clock_res_get) { return clock_query(c, A32(0), A32(1), clock_getres); }

WASI(clock_time_get) { return clock_query(c, A32(0), A32(2), clock_gettime); }

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

/* The error of an fd_read (tag 1) or fd_write (2) subscription on f, found
 * before polling, or 0. */
static uint16_t poll_fd_error(const wfd *f, uint8_t tag) {
    if (!f || f->filetype == FT_DIRECTORY)
        return WE_BADF;
    if (!(f->base & (tag == 1 ? R_FD_READ : R_FD_WRITE)))
        return WE_BADF; /* as fd_read/fd_write on an fd opened the other way */
    if (!(f->base & R_POLL_FD_READWRITE))
        return WE_NOTCAPABLE;
    return WE_SUCCESS;
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
    uint64_t start = pbase_now_ns(), wait_until = UINT64_MAX;
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
            wfd *f = pwasi_get_fd(c, get32(s + 16));
            uint16_t ferr = poll_fd_error(f, tag);
            if (ferr) {
                early[i] = (uint16_t)(ferr + 1);
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
            t = pbase_now_ns();
            if (t >= end_at || pw_store_interrupted(c->store))
                break;
        }
    }
    uint64_t t_end = pbase_now_ns();
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

/* ---- sockets: not supported ---------------------------------------------- */

static uint16_t sock_common(wcall *c, uint32_t fd) {
    wfd *f = pwasi_get_fd(c, fd);
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

#define F(n, p)                                                                                                  \
    { #n, p, "i", pwasi_w_##n }
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

size_t pwasi_function_count(void) { return NFNS; }

const char *pwasi_function_name(size_t i) { return i < NFNS ? wasi_fns[i].name : NULL; }

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
            pw_func *fn =
                pw_func_new(store, ps, (uint32_t)np, rs, (uint32_t)strlen(f->results), host_call, b, free);
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
