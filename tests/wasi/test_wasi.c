/* WASI tests: runs the guest programs through `portalis run` (exit status,
 * stdout, stderr) and exercises the embedding API in-process.
 *
 *   test_wasi PORTALIS GUEST_DIR [--rust]
 *   test_wasi --skip        (no wasm32-wasi toolchain: exits 77, a CTest skip)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <portalis/base.h>
#include <portalis/engine.h>
#include <portalis/wasi.h>

static int passed, failed;

static void check(int ok, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    printf("%s ", ok ? "ok  " : "FAIL");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
    if (ok)
        passed++;
    else
        failed++;
}

typedef struct {
    int status; /* exit status, or 128+signal */
    double seconds;
    char out[65536], err[65536];
} run_result;

static const char *portalis, *guests;
static char tmpdir[256];

static void slurp(const char *path, char *buf, size_t n) {
    buf[0] = 0;
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    size_t k = fread(buf, 1, n - 1, f);
    buf[k] = 0;
    fclose(f);
}

/* argv = portalis run ARGS... NULL (at most 61 ARGS). */
static void run_argv(const char *argv[64], const char *const *args) {
    int n = 0;
    argv[n++] = portalis;
    argv[n++] = "run";
    for (int i = 0; args[i] && n < 62; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
}

/* Runs portalis with the NULL-terminated args (after "run") and host fd `in`
 * as its stdin (-1: /dev/null). */
static void run_in(run_result *r, const char *const *args, int in) {
    char outp[300], errp[300];
    snprintf(outp, sizeof outp, "%s/stdout", tmpdir);
    snprintf(errp, sizeof errp, "%s/stderr", tmpdir);
    const char *argv[64];
    run_argv(argv, args);
    uint64_t t0 = pbase_now_ns();
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        int o = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0644),
            e = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (in < 0)
            in = open("/dev/null", O_RDONLY);
        dup2(o, 1);
        dup2(e, 2);
        dup2(in, 0);
        alarm(60); /* a hung child must not hang the test */
        execv(portalis, (char *const *)argv);
        _exit(127);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    r->seconds = (double)(pbase_now_ns() - t0) / 1e9;
    r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    slurp(outp, r->out, sizeof r->out);
    slurp(errp, r->err, sizeof r->err);
}

static void run(run_result *r, const char *const *args) { run_in(r, args, -1); }

static const char *guest(const char *name) {
    static char buf[8][512]; /* a few live paths per case; test-only rotating buffers */
    static int k;
    k = (k + 1) % 8;
    snprintf(buf[k], sizeof buf[k], "%s/%s.wasm", guests, name);
    return buf[k];
}

static void show(const run_result *r) {
    if (failed) {
        printf("---- status %d, stdout:\n%s---- stderr:\n%s----\n", r->status, r->out, r->err);
    }
}

/* Makes a fresh sandbox directory with an input file and two symlinks leading out. */
static void make_sandbox(char *dir, size_t n, const char *name) {
    snprintf(dir, n, "%s/%s", tmpdir, name);
    char cmd[1200];
    snprintf(
        cmd, sizeof cmd,
        "rm -rf '%s' && mkdir -p '%s/a' && printf 'from the host\\n' > '%s/input.txt' && ln -s /etc '%s/out' "
        "&& ln -s ../.. '%s/outrel'",
        dir, dir, dir, dir, dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot prepare %s\n", dir);
}

static run_result R;

static void test_hello(void) {
    setenv("BAR", "inherited", 1);
    const char *args[] = {"--env", "FOO=bar", "--env", "BAR", guest("hello"), "a", "b c", NULL};
    run(&R, args);
    int f0 = failed;
    check(R.status == 0, "hello: exit status 0 (got %d)", R.status);
    check(strstr(R.out, "hello from wasm\n") != NULL, "hello: printf");
    check(strstr(R.out, "argc=3\n") && strstr(R.out, "argv[1]=a\n") && strstr(R.out, "argv[2]=b c\n"),
          "hello: args");
    check(strstr(R.out, "argv[0]=") && strstr(R.out, "hello.wasm\n"), "hello: argv[0] is the module");
    check(strstr(R.out, "FOO=bar\n") && strstr(R.out, "BAR=inherited\n"), "hello: --env NAME=VAL and --env NAME");
    check(strstr(R.err, "to stderr\n") != NULL, "hello: stderr");
    if (failed != f0)
        show(&R);
}

static void test_exit_trap_clocks(void) {
    const char *a1[] = {guest("exit7"), NULL};
    run(&R, a1);
    check(R.status == 7 && strstr(R.out, "exiting with 7"), "exit(7) gives exit status 7 (got %d)", R.status);
    const char *a2[] = {guest("trap"), NULL};
    run(&R, a2);
    check(R.status == 134, "trap: exit status 134 (got %d)", R.status);
    check(strstr(R.err, "unreachable") != NULL, "trap: message on stderr");
    check(strstr(R.err, "crash_here") && strstr(R.err, "_start"), "trap: backtrace with names");
    const char *a3[] = {guest("clocks"), NULL};
    run(&R, a3);
    check(R.status == 0 && strstr(R.out, "clocks ok"), "clocks and sleep");
    if (R.status)
        show(&R);
}

static void test_files(const char *mode) {
    char dir[512], map[600], flag[64];
    make_sandbox(dir, sizeof dir, "files");
    snprintf(map, sizeof map, "%s::/sandbox", dir);
    snprintf(flag, sizeof flag, "--dir-resolve=%s", mode);
    const char *args[] = {flag, "--dir", map, guest("files"), NULL};
    run(&R, args);
    check(R.status == 0 && strstr(R.out, "files ok"), "files (%s resolution)", mode);
    if (R.status)
        show(&R);
    char p[600], buf[64];
    snprintf(p, sizeof p, "%s/append.txt", dir);
    slurp(p, buf, sizeof buf);
    check(!strcmp(buf, "abcd"), "files: the host sees what the guest wrote (%s)", mode);
}

static void test_escape(const char *mode) {
    char dir[512], map[600], flag[64];
    make_sandbox(dir, sizeof dir, "esc/box");
    snprintf(map, sizeof map, "%s::/sandbox", dir);
    snprintf(flag, sizeof flag, "--dir-resolve=%s", mode);
    const char *args[] = {flag, "--dir", map, guest("escape"), NULL};
    run(&R, args);
    check(R.status == 0 && strstr(R.out, "escape ok"), "escape attempts refused, bad pointers EFAULT (%s)", mode);
    if (R.status)
        show(&R);
    char p[600];
    struct stat st;
    const char *outside[] = {"evil", "stolen.txt", "hard", "victim"};
    int clean = 1;
    for (int i = 0; i < 4; i++) {
        snprintf(p, sizeof p, "%s/esc/%s", tmpdir, outside[i]);
        if (lstat(p, &st) == 0)
            clean = 0;
    }
    check(clean, "escape: nothing was created outside the sandbox (%s)", mode);
}

/* The rights and trailing-slash rules (guest/rules.c, docs/wasi.md): one
 * check per rule line the guest prints, and the count, so that a rule cannot
 * silently drop out. */
#define RULE_CHECKS 287

static void test_rules(const char *mode) {
    char dir[512], map[600], flag[64];
    make_sandbox(dir, sizeof dir, "rules");
    snprintf(map, sizeof map, "%s::/sandbox", dir);
    snprintf(flag, sizeof flag, "--dir-resolve=%s", mode);
    const char *args[] = {flag, "--dir", map, guest("rules"), NULL};
    run(&R, args);
    int n = 0, nfail = -1;
    for (char *line = R.out; line && *line;) {
        char *end = strchr(line, '\n');
        if (end)
            *end = 0;
        if (!strncmp(line, "ok ", 3) || !strncmp(line, "FAIL ", 5))
            check(line[0] == 'o', "rule (%s): %s", mode, line + (line[0] == 'o' ? 3 : 5));
        else
            (void)sscanf(line, "rules: %d checked, %d failed", &n, &nfail);
        line = end ? end + 1 : NULL;
    }
    check(R.status == 0 && n == RULE_CHECKS && nfail == 0, "rules (%s): %d of %d checked, %d failed, status %d",
          mode, n, RULE_CHECKS, nfail, R.status);
    if (R.status)
        show(&R);
}

/* Runs portalis with its stdout a pipe; with `drain`, reads the pipe to its
 * end (the byte count in *got), else never reads it. stderr goes to r->err. */
static void run_stdout_pipe(run_result *r, const char *const *args, bool drain, size_t *got) {
    char errp[300];
    snprintf(errp, sizeof errp, "%s/stderr", tmpdir);
    int p[2];
    *got = 0;
    if (pipe(p) != 0) {
        r->status = -1;
        return;
    }
    const char *argv[64];
    run_argv(argv, args);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        int e = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0644), in = open("/dev/null", O_RDONLY);
        dup2(p[1], 1);
        dup2(e, 2);
        dup2(in, 0);
        close(p[0]);
        alarm(60);
        execv(portalis, (char *const *)argv);
        _exit(127);
    }
    close(p[1]);
    char buf[65536];
    ssize_t k;
    while (drain && (k = read(p[0], buf, sizeof buf)) > 0)
        *got += (size_t)k;
    int st = 0;
    waitpid(pid, &st, 0);
    close(p[0]);
    r->status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    slurp(errp, r->err, sizeof r->err);
    r->out[0] = 0;
}

/* FIFOs and pipes: opening never waits for the other end, reads and writes
 * wait for the other end but the store's deadline ends the wait. */
static void test_fifo(void) {
    char dir[512], map[600], fifo[600];
    make_sandbox(dir, sizeof dir, "fifo");
    snprintf(map, sizeof map, "%s::/sandbox", dir);
    snprintf(fifo, sizeof fifo, "%s/fifo", dir);
    if (mkfifo(fifo, 0600) != 0) {
        check(0, "fifo: mkfifo %s: %s", fifo, strerror(errno));
        return;
    }
    pid_t writer = fork();
    if (writer == 0) { /* opening for writing waits for the guest to open for reading */
        alarm(60);
        int fd = open(fifo, O_WRONLY);
        _exit(fd >= 0 && write(fd, "ping", 4) == 4 ? 0 : 1);
    }
    const char *a1[] = {"--dir", map, guest("fifo"), "read", NULL};
    run(&R, a1);
    int st = 0;
    waitpid(writer, &st, 0);
    check(R.status == 0 && strstr(R.out, "fifo: read \"ping\" then end of file"),
          "fifo: a guest reads what a host process writes into a FIFO, then its end");
    if (R.status)
        show(&R);
    int p[2];
    if (pipe(p) != 0 || write(p[1], "hello", 5) != 5) {
        check(0, "fifo: pipe: %s", strerror(errno));
        return;
    }
    close(p[1]);
    const char *a2[] = {guest("fifo"), "stdin", NULL};
    run_in(&R, a2, p[0]);
    close(p[0]);
    check(R.status == 0 && strstr(R.out, "stdin: read \"hello\" then end of file"), "fifo: stdin from a pipe");
    size_t got = 0;
    const char *a5[] = {guest("fifo"), "bigwrite", NULL};
    run_stdout_pipe(&R, a5, true, &got);
    check(R.status == 0 && got == 1u << 20 && strstr(R.err, "wrote 1048576 in 1 calls"),
          "fifo: a 1 MiB fd_write to a pipe is complete in one call (got %zu, status %d)", got, R.status);
    const char *a3[] = {"--timeout", "500ms", "--dir", map, guest("fifo"), "open", NULL};
    run(&R, a3);
    check(strstr(R.out, "write-open: ENXIO") != NULL,
          "fifo: opening for writing without a reader: ENXIO at once");
    check(strstr(R.out, "read-open: ok") != NULL, "fifo: opening for reading without a writer does not wait");
    check(R.status == 134 && strstr(R.err, "deadline"),
          "fifo: a read with no writer ends at --timeout (status %d)", R.status);
    if (pipe(p) != 0) {
        check(0, "fifo: pipe: %s", strerror(errno));
        return;
    }
    const char *a4[] = {"--timeout", "500ms", guest("fifo"), "stdin", NULL};
    run_in(&R, a4, p[0]); /* the write end stays open, empty */
    close(p[0]);
    close(p[1]);
    check(R.status == 134 && strstr(R.err, "deadline"),
          "fifo: a read of a pipe that never delivers ends at --timeout (status %d)", R.status);
    const char *a6[] = {"--timeout", "500ms", guest("fifo"), "bigwrite", NULL};
    run_stdout_pipe(&R, a6, false, &got);
    check(R.status == 134 && strstr(R.err, "deadline"),
          "fifo: a write to a pipe nobody drains ends at --timeout (status %d)", R.status);
}

static void test_reactor_cli(void) {
    const char *args[] = {"--invoke", "add_base", guest("reactor"), "5", NULL};
    run(&R, args);
    check(R.status == 0 && strstr(R.out, "105\n") && strstr(R.out, "with base 100"),
          "reactor: _initialize then --invoke add_base 5 = 105");
    if (R.status)
        show(&R);
}

static void test_rust(void) {
    char dir[512], map[600];
    make_sandbox(dir, sizeof dir, "rust");
    snprintf(map, sizeof map, "%s::/sandbox", dir);
    const char *args[] = {"--dir", map, "--env", "GREETING=hi", guest("rfiles"), "one", "two", NULL};
    run(&R, args);
    check(R.status == 0 && strstr(R.out, "rust ok"), "rust: std file I/O, read_dir, rename, remove");
    check(strstr(R.out, "rust GREETING=hi") != NULL, "rust: env");
    check(strstr(R.out, "\"one\", \"two\"]") != NULL, "rust: args");
    check(strstr(R.out, "rust escape refused: 76") != NULL, "rust: ../ refused with ENOTCAPABLE");
    if (R.status)
        show(&R);
}

static void test_limits(void) {
    const char *g1[] = {"--max-memory-mb", "16", guest("grow"), NULL};
    run(&R, g1);
    unsigned long pages = 0;
    const char *p = strstr(R.out, "failed at ");
    if (p)
        pages = strtoul(p + 10, NULL, 10);
    check(R.status == 0 && pages > 0 && pages <= 256, "--max-memory-mb 16: memory.grow fails at %lu pages",
          pages);
    const char *g2[] = {"--max-memory-mb", "16", guest("bigmem"), NULL};
    run(&R, g2);
    check(R.status == 1 && R.err[0], "--max-memory-mb 16: a module needing 48 MiB fails to instantiate (%d)",
          R.status);
    const char *g3[] = {guest("bigmem"), NULL};
    run(&R, g3);
    check(R.status == 0, "without a cap the 48 MiB module runs");
    const char *r1[] = {"--max-call-depth", "500", guest("recurse"), NULL};
    run(&R, r1);
    check(R.status == 134 && strstr(R.err, "call stack exhausted") && strstr(R.err, "--max-call-depth 500"),
          "--max-call-depth 500: unbounded recursion traps");
    const char *r2[] = {guest("recurse"), NULL};
    run(&R, r2);
    /* without a cap, the guest's 64 KiB shadow stack in linear memory runs out first */
    check(R.status == 134 && (strstr(R.err, "call stack exhausted") || strstr(R.err, "out of bounds")),
          "unbounded recursion traps without a cap, the host survives");
    /* what proves the deadline is the trap kind (and no "woke"); the time
     * bound is only a hang guard, far above the budget on a loaded machine */
    const char *l1[] = {"--timeout", "200ms", guest("loop"), NULL};
    run(&R, l1);
    check(R.status == 134 && strstr(R.err, "deadline") && R.seconds < 30.0,
          "--timeout 200ms stops an infinite loop (%.2fs, status %d)", R.seconds, R.status);
    const char *sl[] = {"--timeout", "300ms", guest("sleep10"), NULL};
    run(&R, sl);
    check(R.status == 134 && strstr(R.err, "deadline") && !strstr(R.out, "woke") && R.seconds < 30.0,
          "--timeout 300ms cuts a 10 s sleep short and traps (%.2fs, status %d)", R.seconds, R.status);
    const char *l2[] = {"--fuel", "1000000", guest("loop"), NULL};
    run(&R, l2);
    check(R.status == 134 && strstr(R.err, "out of fuel"), "--fuel 1000000 stops an infinite loop");
    const char *l3[] = {"--fuel", "100000000", "--timeout", "10s", guest("exit7"), NULL};
    run(&R, l3);
    check(R.status == 7, "enough fuel and time: a program runs to its end");
}

/* ---- embedding API, in process ---------------------------------------------- */

static pw_error *host_add(pw_caller *caller, void *ud, const pw_val *args, pw_val *results) {
    (void)caller;
    int *calls = ud;
    (*calls)++;
    results[0].kind = PW_I32;
    results[0].of.i32 = args[0].of.i32 + args[1].of.i32;
    return NULL;
}

static pw_module *load(pw_engine *e, const char *name) {
    pw_module *m = NULL;
    pw_error *err = pw_module_from_file(e, guest(name), &m);
    if (err) {
        printf("cannot load %s: %s\n", name, pw_error_message(err));
        pw_error_free(err);
    }
    return m;
}

static void test_api(void) {
    check(pwasi_function_count() == 46, "46 WASI functions (%zu)", pwasi_function_count());
    pw_engine *e = pw_engine_new();
    pw_module *m = load(e, "reactor_host");
    pw_module *m7 = load(e, "exit7");
    if (!m || !m7) {
        check(0, "load guests");
        return;
    }
    check(pwasi_module_uses_wasi(m), "the reactor imports WASI");
    pw_store *s = pw_store_new(e);
    pwasi_ctx *ctx = pwasi_ctx_new();
    char outp[300];
    snprintf(outp, sizeof outp, "%s/api-stdout", tmpdir);
    int ofd = open(outp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    pwasi_ctx_set_stdio(ctx, -1, ofd, 2);
    pw_extern *imports = NULL;
    pwasi_error *we = pwasi_link(ctx, s, m, NULL, 0, &imports);
    check(we && strstr(pwasi_error_message(we), "\"env\" \"host_add\""),
          "link error names the missing import: %s", we ? pwasi_error_message(we) : "(none)");
    pwasi_error_free(we);
    int calls = 0;
    pw_valkind ii[2] = {PW_I32, PW_I32}, i1[1] = {PW_I32};
    pwasi_import extra = {
        "env", "host_add", {PW_EXTERN_FUNC, {.func = pw_func_new(s, ii, 2, i1, 1, host_add, &calls, NULL)}}};
    we = pwasi_link(ctx, s, m, &extra, 1, &imports);
    check(!we && imports, "link with an extra host import");
    pwasi_error_free(we);
    pw_instance *inst = NULL;
    pw_error *err = imports ? pw_instance_new(s, m, imports, pw_module_import_count(m), &inst) : NULL;
    check(inst && !err, "instantiate the reactor");
    pw_error_free(err);
    free(imports);
    if (inst) {
        err = pwasi_initialize(s, inst);
        check(!err, "_initialize");
        pw_error_free(err);
        pw_val arg = {.kind = PW_I32, .of.i32 = 5}, res;
        err = pw_func_call(s, pw_instance_func(inst, "call_host"), &arg, 1, &res, 1);
        check(!err && res.of.i32 == 105 && calls == 1, "reactor export calls the host import: 105");
        pw_error_free(err);
        err = pw_func_call(s, pw_instance_func(inst, "add_base"), &arg, 1, &res, 1);
        check(!err && res.of.i32 == 105, "reactor export with WASI stdout");
        pw_error_free(err);
        char buf[256];
        slurp(outp, buf, sizeof buf);
        check(strstr(buf, "add_base(5) with base 100") != NULL, "guest stdout went to the fd given to set_stdio");
    }
    /* a command in the same store, with its own context: exit code surfaces */
    pwasi_ctx *ctx7 = pwasi_ctx_new();
    pwasi_ctx_set_stdio(ctx7, -1, ofd, 2);
    const char *argv7[] = {"exit7"};
    pwasi_error_free(pwasi_ctx_set_args(ctx7, 1, argv7));
    we = pwasi_link(ctx7, s, m7, NULL, 0, &imports);
    inst = NULL;
    err = we ? NULL : pw_instance_new(s, m7, imports, pw_module_import_count(m7), &inst);
    pwasi_error_free(we);
    pw_error_free(err);
    free(imports);
    if (inst) {
        err = pw_func_call(s, pw_instance_func(inst, "_start"), NULL, 0, NULL, 0);
        int code = -1;
        check(err && pw_error_trap(err) == PW_TRAP_EXIT && pw_error_exit_code(err) == 7 &&
                  pwasi_ctx_exited(ctx7, &code) && code == 7,
              "proc_exit(7) unwinds with PW_TRAP_EXIT, code 7");
        pw_error_free(err);
    } else {
        check(0, "instantiate exit7");
    }
    we = pwasi_ctx_preopen_dir(ctx7, "/nonexistent/dir", "/x");
    check(we && strstr(pwasi_error_message(we), "/nonexistent/dir"), "preopen error names the directory: %s",
          we ? pwasi_error_message(we) : "");
    pwasi_error_free(we);
    pw_store_free(s);
    pwasi_ctx_free(ctx);
    pwasi_ctx_free(ctx7);
    close(ofd);
    pw_module_free(m);
    pw_module_free(m7);
    pw_engine_free(e);
}

int main(int argc, char **argv) {
    if (argc >= 2 && !strcmp(argv[1], "--skip")) {
        printf("skipped: clang with the wasm32-wasi target and wasi-libc are needed to build the guests\n");
        printf("0 passed, 0 failed\n");
        return 77;
    }
    if (argc < 3) {
        fprintf(stderr, "usage: test_wasi PORTALIS GUEST_DIR [--rust]\n");
        return 2;
    }
    portalis = argv[1];
    guests = argv[2];
    bool rust = argc > 3 && !strcmp(argv[3], "--rust");
    snprintf(tmpdir, sizeof tmpdir, "/tmp/portalis-wasi-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    char esc[300];
    snprintf(esc, sizeof esc, "%s/esc", tmpdir);
    mkdir(esc, 0755);
    test_hello();
    test_exit_trap_clocks();
    test_files("auto");
    test_files("manual");
    test_escape("auto");
    test_escape("manual");
    test_rules("auto");
    test_rules("manual");
    test_fifo();
    test_reactor_cli();
    if (rust)
        test_rust();
    else
        printf("skip rust cases: /usr/bin/rustc with wasm32-wasi not found\n");
    test_limits();
    test_api();
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
