/* Output files of the commands: their default names, and writing them
 * atomically (a reader never sees half a DOT file or trace). */
#include <stdio.h>
#include <string.h>

#include <portalis/base.h>
#include <portalis/ef.h>

#include "cli.h"

void cli_output_name(const char *in, const char *ext, char *buf, size_t cap) {
    static const char *const inputs[] = {".usda", ".usd", ".usdc", ".usdz", ".wasm", ".wat"};
    const char *base = strrchr(in, '/');
    const char *dot = strrchr(base ? base + 1 : in, '.');
    size_t n = strlen(in);
    for (size_t i = 0; dot && dot != (base ? base + 1 : in) && i < sizeof inputs / sizeof inputs[0]; i++)
        if (!strcmp(dot, inputs[i]))
            n = (size_t)(dot - in);
    snprintf(buf, cap, "%.*s%s", (int)n, in, ext);
}

int cli_write_file(const char *cmd, const char *path, int (*write)(FILE *out, void *ctx), void *ctx) {
    pbase_afile a;
    pbase_error e;
    if (pbase_afile_open(&a, path, &e)) {
        fprintf(stderr, "portalis %s: %s\n", cmd, e.message);
        return 1;
    }
    if (write(a.f, ctx)) {
        pbase_afile_abort(&a);
        fprintf(stderr, "portalis %s: cannot write %s\n", cmd, path);
        return 1;
    }
    if (pbase_afile_commit(&a, &e)) {
        fprintf(stderr, "portalis %s: %s\n", cmd, e.message);
        return 1;
    }
    return 0;
}

static int write_dot(FILE *out, void *g) { return ef_dump_dot(g, out); }

int cli_write_dot(const char *path, ef_graph *g) {
    if (cli_write_file("graph", path, write_dot, g))
        return 1;
    fprintf(stderr, "wrote %s\n", path);
    return 0;
}
