/* The native tier's compiler driver: finds the system C compiler at run
 * time, compiles generated C to a shared object in a private temporary
 * directory, and loads shared objects from memory (memfd) so that exactly the
 * bytes that were verified are the ones mapped. */
#include <dlfcn.h>
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
 * sqrt be one instruction (errno is not observable from wasm). */
#define FLAGS_TEXT                                                                                               \
    "-fPIC -shared -std=gnu11 -ffp-contract=off -fsignaling-nans -fno-math-errno -fvisibility=hidden "           \
    "-fno-strict-aliasing -w -fno-asynchronous-unwind-tables"

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

/* Runs argv, stderr into errpath; returns the exit status or -1. */
static int run(char *const argv[], const char *errpath) {
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 2, errpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    pid_t pid;
    int rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0)
        return -1;
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void rmtree(const char *dir, const char *const *names) {
    char p[4200];
    for (int i = 0; names[i]; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, names[i]);
        unlink(p);
    }
    rmdir(dir);
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

bool pw_aot_cc_compile(const aot_cc *cc, const char *csrc, size_t clen, const char *opt, uint8_t **so,
                       size_t *solen, char *err, size_t errcap) {
    const char *tmp = getenv("TMPDIR");
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/portalis-aot-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(dir)) {
        snprintf(err, errcap, "cannot create a temporary directory in %s: %s", tmp && *tmp ? tmp : "/tmp",
                 strerror(errno));
        return false;
    }
    static const char *const names[] = {"m.c", "m.so", "err.txt", NULL};
    char cpath[4200], sopath[4200], epath[4200];
    snprintf(cpath, sizeof cpath, "%s/m.c", dir);
    snprintf(sopath, sizeof sopath, "%s/m.so", dir);
    snprintf(epath, sizeof epath, "%s/err.txt", dir);
    pbase_error pe;
    bool ok = false;
    if (pbase_write_file_atomic(cpath, csrc, clen, &pe) != 0) {
        snprintf(err, errcap, "%s", pe.message);
        goto out;
    }
    char flags[] = FLAGS_TEXT, *save = NULL;
    char *argv[32];
    int n = 0;
    argv[n++] = (char *)cc->path;
    argv[n++] = (char *)opt;
    for (char *t = strtok_r(flags, " ", &save); t && n < 24; t = strtok_r(NULL, " ", &save))
        argv[n++] = t;
    argv[n++] = "-o";
    argv[n++] = sopath;
    argv[n++] = cpath;
    argv[n++] = "-lm";
    argv[n] = NULL;
    int rc = run(argv, epath);
    if (rc != 0) {
        char why[320];
        first_line(epath, why, sizeof why);
        snprintf(err, errcap, "the C compiler '%s' failed (status %d)%s%s", cc->path, rc, why[0] ? ": " : "",
                 why);
        goto out;
    }
    char *data = NULL;
    size_t len = 0;
    if (pbase_read_file(sopath, (size_t)1 << 31, &data, &len, &pe) != 0) {
        snprintf(err, errcap, "%s", pe.message);
        goto out;
    }
    *so = (uint8_t *)data;
    *solen = len;
    ok = true;
out:
    rmtree(dir, names);
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
