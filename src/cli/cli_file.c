/* What a file given on the command line is, and bounded reads of modules.
 *
 * Files are opened without blocking and must be regular files: a FIFO would
 * block the open or the read forever and /dev/zero would be read until memory
 * runs out, so both are refused before any byte is read (pbase_read_file
 * reads modules with the size bound). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <portalis/base.h>
#include <portalis/engine.h>
#include <portalis/usd.h>

#include "cli.h"

/* Opens a regular file for reading; -1 with a message otherwise. */
static int open_regular(const char *path, bool *missing, char *err, size_t errn) {
    *missing = false;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        *missing = errno == ENOENT;
        snprintf(err, errn, "%s: cannot open: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (!fstat(fd, &st) && S_ISREG(st.st_mode))
        return fd;
    close(fd);
    /* the base library refuses it without reading, in the project's words */
    pbase_error e = {0, ""};
    char *data = NULL;
    size_t len = 0;
    if (!pbase_read_file(path, 0, &data, &len, &e))
        snprintf(e.message, sizeof e.message, "cannot read '%s': not a regular file", path);
    free(data);
    snprintf(err, errn, "%s", e.message);
    return -1;
}

/* Reads up to n bytes (fewer only at end of file); -1 on error. */
static ssize_t read_full(int fd, uint8_t *buf, size_t n) {
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return -1;
        if (r == 0)
            break;
        got += (size_t)r;
    }
    return (ssize_t)got;
}

/* True if the text starts, after blanks and comments, with "(". */
static bool looks_like_wat(const uint8_t *b, size_t n) {
    size_t i = 0;
    if (n >= 3 && b[0] == 0xef && b[1] == 0xbb && b[2] == 0xbf)
        i = 3; /* UTF-8 byte order mark */
    while (i < n) {
        if (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
            i++;
        } else if (i + 1 < n && b[i] == ';' && b[i + 1] == ';') {
            while (i < n && b[i] != '\n')
                i++;
        } else if (i + 1 < n && b[i] == '(' && b[i + 1] == ';') {
            int depth = 0; /* block comments nest */
            do {
                if (i + 1 < n && b[i] == '(' && b[i + 1] == ';')
                    depth++, i += 2;
                else if (i + 1 < n && b[i] == ';' && b[i + 1] == ')')
                    depth--, i += 2;
                else
                    i++;
            } while (depth > 0 && i < n);
        } else {
            return b[i] == '(';
        }
    }
    return false;
}

bool cli_sniff_file(const char *path, cli_file_kind *kind, bool *missing, char *err, size_t errn) {
    int fd = open_regular(path, missing, err, errn);
    if (fd < 0)
        return false;
    uint8_t head[4096];
    ssize_t n = read_full(fd, head, sizeof head);
    int saved = errno;
    close(fd);
    if (n < 0) {
        snprintf(err, errn, "%s: cannot read: %s", path, strerror(saved));
        return false;
    }
    *kind = cli_classify(head, (size_t)n);
    return true;
}

cli_file_kind cli_classify(const uint8_t *b, size_t len) {
    if (len >= 4 && !memcmp(b, "\0asm", 4))
        return CLI_FILE_WASM;
    if (len >= 8 && !memcmp(b, "PWAOT01\n", 8)) /* a module compiled by 'portalis compile' */
        return CLI_FILE_WASM;
    switch (pusd_sniff(b, len)) {
    case PUSD_FILE_USDA: return CLI_FILE_USDA;
    case PUSD_FILE_USDC: return CLI_FILE_USDC;
    case PUSD_FILE_USDZ: return CLI_FILE_USDZ;
    case PUSD_FILE_NOT_USD: break;
    }
    return looks_like_wat(b, len < 4096 ? len : 4096) ? CLI_FILE_WAT : CLI_FILE_OTHER;
}

const char *cli_not_a_module(cli_file_kind kind) {
    switch (kind) {
    case CLI_FILE_WAT:
        return "this is WebAssembly text (.wat), which portalis converts with wat2wasm, and wat2wasm is not "
               "installed: install the Debian package wabt (or convert it yourself: wat2wasm FILE.wat -o "
               "FILE.wasm)";
    case CLI_FILE_USDA: return "this is a USD scene, not a WebAssembly module (run it with 'portalis run SCENE')";
    case CLI_FILE_USDC:
        return "binary USD (crate) files are not supported yet; convert with usdcat "
               "(usdcat -o scene.usda scene.usdc)";
    case CLI_FILE_USDZ:
        return "USDZ packages are not supported yet; unzip the package and run its root layer "
               "(convert a .usdc one with usdcat)";
    case CLI_FILE_WASM:
    case CLI_FILE_OTHER: break;
    }
    return NULL;
}

bool cli_load_module(pw_engine *engine, const char *cmd, const char *path, pw_module **m, uint8_t **bytes,
                     size_t *len) {
    pbase_error err;
    size_t n = 0;
    char *text = NULL;
    *m = NULL;
    if (pbase_read_file(path, CLI_MAX_MODULE_BYTES, &text, &n, &err)) {
        fprintf(stderr, "portalis %s: %s\n", cmd, err.message);
        return false;
    }
    uint8_t *b = (uint8_t *)text;
    if (cli_classify(b, n) == CLI_FILE_WAT) {
        char msg[4200];
        free(b);
        if (!(b = cli_wat_to_wasm(path, &n, msg, sizeof msg))) {
            fprintf(stderr, "portalis %s: %s\n", cmd, msg);
            return false;
        }
    }
    const char *why = cli_not_a_module(cli_classify(b, n));
    pw_error *e = why ? NULL : pw_module_new(engine, b, n, m);
    if (why || e) {
        fprintf(stderr, "portalis %s: %s: %s\n", cmd, path, why ? why : pw_error_message(e));
        pw_error_free(e);
        free(b);
        return false;
    }
    if (bytes) {
        *bytes = b;
        *len = n;
    } else {
        free(b);
    }
    return true;
}
