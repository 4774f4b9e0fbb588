/* `portalis`: entry point; dispatches to the command named by argv[1]. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const cli_command commands[] = {
    {"run", "run a WebAssembly module (or a scene)", cmd_run},
    {"validate", "decode and validate a WebAssembly module", cmd_validate},
    {"inspect", "list a module's imports, exports and sizes", cmd_inspect},
    {"usd", "read, compose and write USD text scenes (.usda)", cmd_usd},
    {"graph", "print an execution graph (text dump, DOT, timing)", cmd_graph},
};

static void usage(FILE *out) {
    fprintf(out, "usage: portalis <command> [options] [args]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n'portalis <command> --help' describes a command.\n");
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "portalis: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
