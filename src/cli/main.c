/* `portalis`: entry point; dispatches to the command named by argv[1]. */
#include <stdio.h>
#include <string.h>

#include "cli.h"

#ifndef PORTALIS_VERSION
#define PORTALIS_VERSION "unknown"
#endif

static int cmd_version(int argc, char **argv);
static int cmd_help(int argc, char **argv);

static const cli_command commands[] = {
    {"run", "run a WebAssembly module (or a scene)", cmd_run},
    {"validate", "decode and validate a WebAssembly module", cmd_validate},
    {"inspect", "list a module's imports, exports and sizes", cmd_inspect},
    {"compile", "precompile a module to native code (.pwo)", cmd_compile},
    {"usd", "read, compose and write USD text scenes (.usda)", cmd_usd},
    {"graph", "print an execution graph (text dump, DOT, timing)", cmd_graph},
    {"version", "print the version of portalis", cmd_version},
    {"help", "describe a command (portalis help COMMAND)", cmd_help},
    {"new", "start a module project: portalis new module NAME --lang c|rust", cmd_new},
    {"serve", "serve a live scene viewer and models over KServe v2 (HTTP)", cmd_serve},
    {"bench", "benchmark scenes on each tier, or run the benchmark suite", cmd_bench},
};
#define NCOMMANDS (sizeof commands / sizeof commands[0])

static void usage(FILE *out) {
    fprintf(out, "usage: portalis <command> [options] [args]\n\ncommands:\n");
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n'portalis help <command>' or 'portalis <command> --help' describes a command;\n"
                 "'portalis --version' prints the version.\n\n"
                 "exit status: 0 success, 1 a file cannot be read or loaded, 2 usage error,\n"
                 "3 a scene ran but some module failed, 134 a module trapped; a WASI module's\n"
                 "proc_exit code is passed through.\n");
}

static const cli_command *find_command(const char *name) {
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (!strcmp(name, commands[i].name))
            return &commands[i];
    return NULL;
}

static int cmd_version(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "--help") && strcmp(argv[1], "-h")) {
        fprintf(stderr, "portalis version: unexpected argument '%s'\n", argv[1]);
        return CLI_EXIT_USAGE;
    }
    if (argc > 1) {
        printf("usage: portalis version (or portalis --version, -V)\n\nPrints the version of portalis.\n");
        return CLI_EXIT_OK;
    }
    printf("portalis %s\n", PORTALIS_VERSION);
    return CLI_EXIT_OK;
}

/* `portalis help [COMMAND]`: the command's own --help text. */
static int cmd_help(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(stdout);
        return CLI_EXIT_OK;
    }
    const cli_command *c = find_command(argv[1]);
    if (!c || c->run == cmd_help) {
        if (c) {
            usage(stdout);
            return CLI_EXIT_OK;
        }
        fprintf(stderr, "portalis help: unknown command '%s'\n", argv[1]);
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    char *av[] = {argv[1], "--help", NULL};
    return c->run(2, av);
}

int main(int argc, char **argv) {
    if (argc < 2) {
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(stdout);
        return CLI_EXIT_OK;
    }
    if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V"))
        return cmd_version(1, argv + 1);
    const cli_command *c = find_command(argv[1]);
    if (c)
        return c->run(argc - 1, argv + 1);
    fprintf(stderr, "portalis: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return CLI_EXIT_USAGE;
}
