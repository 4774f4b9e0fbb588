/* WebAssembly text given where a module is expected: converted with wabt's
 * wat2wasm (Debian package wabt) when it is installed, as wasmtime accepts
 * .wat files; without it the user gets the command that converts the file.
 * The conversion writes a private temporary file, removed afterwards. */
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <portalis/base.h>

#include "cli.h"

extern char **environ;

/* Runs wat2wasm IN -o OUT; its own diagnostics (file:line:column) go to our
 * stderr. Returns 0, -1 if wat2wasm is not installed, or 1 if it failed. */
static int run_wat2wasm(const char *in, const char *out) {
    char *argv[] = {"wat2wasm", (char *)in, "-o", (char *)out, NULL};
    pid_t pid;
    int rc = posix_spawnp(&pid, "wat2wasm", NULL, NULL, argv, environ);
    if (rc == ENOENT)
        return -1;
    if (rc)
        return 1;
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return 1;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
        return -1;
    return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}

uint8_t *cli_wat_to_wasm(const char *path, size_t *len, char *err, size_t errn) {
    const char *dir = getenv("TMPDIR");
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s/portalis-wat-XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(tmp);
    if (fd < 0) {
        snprintf(err, errn, "%s: cannot create a temporary file to convert it: %s", path, strerror(errno));
        return NULL;
    }
    close(fd);
    int rc = run_wat2wasm(path, tmp);
    char *data = NULL;
    pbase_error e;
    if (rc < 0)
        snprintf(err, errn, "%s: %s", path, cli_not_a_module(CLI_FILE_WAT));
    else if (rc > 0)
        snprintf(err, errn, "%s: WebAssembly text that wat2wasm could not convert (its messages are above)",
                 path);
    else if (pbase_read_file(tmp, CLI_MAX_MODULE_BYTES, &data, len, &e))
        snprintf(err, errn, "%s: %s", path, e.message);
    unlink(tmp);
    return (uint8_t *)data;
}
