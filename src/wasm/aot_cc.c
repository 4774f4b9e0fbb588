/* The native tier's compiler driver: finds the system C compiler at run
 * time, compiles generated C to a shared object in a private temporary
 * directory, and loads shared objects from memory (memfd) so that exactly the
 * bytes that were verified are the ones mapped. */
#include <dlfcn.h>
#include <sched.h>
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "aot_cc.h"
#include "portalis/base.h"

extern char **environ;

/* Flags every compile uses. -ffp-contract=off and -fsignaling-nans keep
 * float results bit-identical to the interpreter's; -fno-math-errno lets
 * sqrt be one instruction (errno is not observable from wasm);
 * -fstack-clash-protection touches every page of a frame larger than a
 * page in order, so an overflowing frame faults on the guard page below a
 * thread's stack instead of jumping over it (guard mode has no other stack
 * check, aot_guard.c). */
#define FLAGS_TEXT                                                                                               \
    "-fPIC -shared -std=gnu11 -ffp-contract=off -fsignaling-nans -fno-math-errno -fvisibility=hidden "           \
    "-fno-strict-aliasing -w -fno-asynchronous-unwind-tables -fstack-clash-protection -pipe"

static bool executable(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* Resolves a command name through PATH (or takes a path as is). */
static bool resolve(const char *name, char *out, size_t cap) {
    if (strchr(name, '/')) {
        if (!executable(name) || !realpath(name, out))
            return false;
        return true;
    }
    const char *path = getenv("PATH");
    if (!path || !*path)
        path = "/usr/local/bin:/usr/bin:/bin";
    while (*path) {
        const char *colon = strchr(path, ':');
        size_t n = colon ? (size_t)(colon - path) : strlen(path);
        char cand[4096];
        if (n && n + strlen(name) + 2 < sizeof cand) {
            memcpy(cand, path, n);
            cand[n] = '/';
            strcpy(cand + n + 1, name);
            char real[4096];
            if (executable(cand) && realpath(cand, real) && strlen(real) < cap) {
                strcpy(out, real);
                return true;
            }
        }
        path += n + (colon ? 1 : 0);
    }
    return false;
}

bool pw_aot_cc_find(aot_cc *cc, char *err, size_t errcap) {
    memset(cc, 0, sizeof *cc);
    const char *want = getenv("PORTALIS_CC");
    const char *const cands[] = {"cc", "gcc", "clang", NULL};
    bool ok = false;
    if (want && *want)
        ok = resolve(want, cc->path, sizeof cc->path);
    for (int i = 0; !ok && !(want && *want) && cands[i]; i++)
        ok = resolve(cands[i], cc->path, sizeof cc->path);
    if (!ok) {
        snprintf(err, errcap,
                 want && *want ? "PORTALIS_CC='%s' is not an executable C compiler"
                               : "no C compiler found (looked for cc, gcc, clang in PATH%s); install gcc or set "
                                 "PORTALIS_CC",
                 want && *want ? want : "");
        return false;
    }
    /* Identity for the cache key: the resolved binary, its size and time. A
     * compiler upgrade replaces the file, so it changes the key. */
    struct stat st;
    if (stat(cc->path, &st) != 0) {
        snprintf(err, errcap, "cannot stat the C compiler '%s': %s", cc->path, strerror(errno));
        return false;
    }
    snprintf(cc->identity, sizeof cc->identity, "%s|%lld|%lld|%lld", cc->path, (long long)st.st_size,
             (long long)st.st_mtim.tv_sec, (long long)st.st_mtim.tv_nsec);
    return true;
}

const char *pw_aot_cc_flags_text(void) { return FLAGS_TEXT; }

/* Starts argv with stderr into errpath; returns the pid or -1. */
static pid_t start(char *const argv[], const char *errpath) {
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 2, errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    pid_t pid;
    int rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    return rc == 0 ? pid : -1;
}

/* The exit status of a child started by start(), or -1. */
static int finish(pid_t pid) {
    if (pid < 0)
        return -1;
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The first line of the compiler's complaint, for the error message. */
static void first_line(const char *path, char *out, size_t cap) {
    char *text = NULL;
    size_t len = 0;
    pbase_error e;
    out[0] = 0;
    if (pbase_read_file(path, 1 << 16, &text, &len, &e) != 0)
        return;
    size_t n = strcspn(text, "\n");
    snprintf(out, cap, "%.*s", (int)(n < 300 ? n : 300), text);
    free(text);
}

/* Compiler processes to run at once: the processors this thread may use. */
uint32_t pw_aot_cc_jobs(void) {
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof set, &set) == 0 && CPU_COUNT(&set) > 0)
        return (uint32_t)CPU_COUNT(&set);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (uint32_t)n : 1;
}

/* A private temporary folder and the paths of its files. */
typedef struct {
    char dir[4096];
    char path[4200];
    uint32_t nunits;
} workdir;

static const char *at(workdir *w, const char *fmt, uint32_t k) {
    char name[32];
    snprintf(name, sizeof name, fmt, k);
    snprintf(w->path, sizeof w->path, "%s/%s", w->dir, name);
    return w->path;
}

static void cleanup(workdir *w) {
    static const char *const fmts[] = {"u%u.c", "u%u.o", "err%u.txt"};
    for (uint32_t k = 0; k < w->nunits; k++)
        for (int f = 0; f < 3; f++)
            unlink(at(w, fmts[f], k));
    unlink(at(w, "m.h", 0));
    unlink(at(w, "m.so", 0));
    unlink(at(w, "link.txt", 0));
    rmdir(w->dir);
}

/* cc OPT FLAGS <extra...> -lm; argv strings are copied into store */
static bool cc_argv(const aot_cc *cc, const char *opt, char *flags, const char *const *extra, char **argv,
                    int cap) {
    char *save = NULL;
    int n = 0;
    argv[n++] = (char *)cc->path;
    argv[n++] = (char *)opt;
    for (char *t = strtok_r(flags, " ", &save); t && n < 24; t = strtok_r(NULL, " ", &save))
        argv[n++] = t;
    for (int i = 0; extra[i]; i++) {
        if (n + 2 >= cap)
            return false;
        argv[n++] = (char *)extra[i];
    }
    argv[n++] = "-lm";
    argv[n] = NULL;
    return true;
}

/* Runs one compiler process per unit, at most `pw_aot_cc_jobs()` at a time
 * (waiting for the oldest, the units being of similar size), then links the
 * objects; a single unit is compiled and linked in one process. Returns the
 * failing step's stderr file in errfile, or NULL. */
static const char *build(workdir *w, const aot_cc *cc, const char *opt, uint32_t n, char *errfile, size_t cap) {
    char **paths = calloc(3 * (size_t)n + 4, sizeof *paths);
    pid_t *pids = calloc(n + 1, sizeof *pids);
    const char *failed = NULL;
    if (!paths || !pids) {
        failed = "out of memory";
        goto out;
    }
    uint32_t jobs = pw_aot_cc_jobs(), started = 0, done = 0;
    char so[4200];
    snprintf(so, sizeof so, "%s", at(w, "m.so", 0));
    for (uint32_t k = 0; k < n; k++) {
        paths[3 * k] = strdup(at(w, "u%u.c", k));
        paths[3 * k + 1] = strdup(at(w, n == 1 ? "m.so" : "u%u.o", k));
        paths[3 * k + 2] = strdup(at(w, "err%u.txt", k));
        if (!paths[3 * k] || !paths[3 * k + 1] || !paths[3 * k + 2]) {
            failed = "out of memory";
            goto out;
        }
    }
    while (done < n && !failed) {
        while (started < n && started - done < jobs) {
            char flags[] = FLAGS_TEXT, *argv[40];
            const char *one[] = {"-o", paths[3 * started + 1], paths[3 * started], NULL};
            const char *unit[] = {"-c", "-o", paths[3 * started + 1], paths[3 * started], NULL};
            cc_argv(cc, opt, flags, n == 1 ? one : unit, argv, 40);
            pids[started] = start(argv, paths[3 * started + 2]);
            started++;
        }
        if (finish(pids[done]) != 0) {
            snprintf(errfile, cap, "%s", paths[3 * done + 2]);
            failed = "compile";
        }
        done++;
    }
    while (done < started)
        finish(pids[done++]);
    if (!failed && n > 1) {
        char flags[] = FLAGS_TEXT, **argv = calloc(n + 32, sizeof *argv);
        const char **extra = calloc(n + 4, sizeof *extra);
        if (!argv || !extra) {
            failed = "out of memory";
        } else {
            extra[0] = "-o";
            extra[1] = so;
            for (uint32_t k = 0; k < n; k++)
                extra[2 + k] = paths[3 * k + 1];
            cc_argv(cc, opt, flags, extra, argv, (int)n + 32);
            snprintf(errfile, cap, "%s", at(w, "link.txt", 0));
            if (finish(start(argv, errfile)) != 0)
                failed = "link";
        }
        free(argv);
        free(extra);
    }
out:
    for (uint32_t k = 0; paths && k < 3 * n; k++)
        free(paths[k]);
    free(paths);
    free(pids);
    return failed;
}

bool pw_aot_cc_compile(const aot_cc *cc, const aot_buf *head, const aot_units *units, const char *opt,
                       uint8_t **so, size_t *solen, char *err, size_t errcap) {
    const char *tmp = getenv("TMPDIR");
    workdir w = {.nunits = units->n};
    snprintf(w.dir, sizeof w.dir, "%s/portalis-aot-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(w.dir)) {
        snprintf(err, errcap, "cannot create a temporary directory in %s: %s", tmp && *tmp ? tmp : "/tmp",
                 strerror(errno));
        return false;
    }
    pbase_error pe;
    bool ok = false;
    if (pbase_write_file_atomic(at(&w, "m.h", 0), head->s, head->n, &pe) != 0) {
        snprintf(err, errcap, "%s", pe.message);
        goto out;
    }
    for (uint32_t k = 0; k < units->n; k++)
        if (pbase_write_file_atomic(at(&w, "u%u.c", k), units->units[k].s, units->units[k].n, &pe) != 0) {
            snprintf(err, errcap, "%s", pe.message);
            goto out;
        }
    char epath[4200] = "";
    const char *failed = build(&w, cc, opt, units->n, epath, sizeof epath);
    if (failed) {
        char why[320] = "";
        if (epath[0])
            first_line(epath, why, sizeof why);
        snprintf(err, errcap, "the C compiler '%s' failed (%s)%s%s", cc->path, failed, why[0] ? ": " : "", why);
        goto out;
    }
    char *data = NULL;
    size_t len = 0;
    if (pbase_read_file(at(&w, "m.so", 0), (size_t)1 << 31, &data, &len, &pe) != 0) {
        snprintf(err, errcap, "%s", pe.message);
        goto out;
    }
    *so = (uint8_t *)data;
    *solen = len;
    ok = true;
out:
    cleanup(&w);
    return ok;
}

void *pw_aot_dlopen_bytes(const uint8_t *so, size_t len, int *fdout, char *err, size_t errcap) {
    int fd = memfd_create("portalis-aot", MFD_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errcap, "memfd_create: %s", strerror(errno));
        return NULL;
    }
    size_t done = 0;
    while (done < len) {
        ssize_t w = write(fd, so + done, len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            snprintf(err, errcap, "writing the native code: %s", strerror(errno));
            close(fd);
            return NULL;
        }
        done += (size_t)w;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    /* The fd stays open while the object is loaded: the dynamic loader
     * recognises objects by name, and a reused fd number would make it hand
     * back the previous module's code. */
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        snprintf(err, errcap, "cannot load the native code: %s", dlerror());
        close(fd);
        return NULL;
    }
    *fdout = fd;
    return h;
}
