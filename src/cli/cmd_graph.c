/* `portalis graph`: show an execution graph.
 *   portalis graph --example [--dot OUT.dot] [--run [--trace OUT.json]]
 * prints the text dump of an example graph with a nested, shared
 * definition, optionally writes its flattened Graphviz DOT file, and with
 * --run executes it once and prints per-node timing.
 *   portalis graph SCENE [--dot OUT.dot]
 * is the scene's graph, built by the host (cmd_scene.c). A scene is known by
 * its content, as `portalis run` knows it, whatever its name. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "portalis/ef.h"

static void graph_usage(FILE *out) {
    fprintf(out, "usage: portalis graph --example [--dot OUT.dot] [--run] [--trace OUT.json]\n"
                 "       portalis graph SCENE [--dot OUT.dot]  (USD text; default OUT: SCENE.dot)\n"
                 "\n"
                 "Prints the execution graph as text (EXECUTION GRAPH | <top def>(<id>) ...).\n"
                 "  --example         use the built-in example graph (nested, shared definitions)\n"
                 "  --dot OUT.dot     also write a flattened Graphviz DOT file\n"
                 "  --run             execute the graph once and print per-node timing\n"
                 "  --trace OUT.json  with --run: write a Chrome trace (chrome://tracing, Perfetto)\n");
}

/* The first argument that is neither an option nor an option's value, or -1. */
static int file_argument(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--dot") || !strcmp(argv[i], "--trace"))
            i++;
        else if (argv[i][0] != '-')
            return i;
    }
    return -1;
}

/* A file argument goes to the scene graph when its content is USD (or it is
 * missing: the host then says so); anything else is refused with what it is.
 * Returns -1 when there is no file argument. */
static int scene_graph(int argc, char **argv) {
    int i = file_argument(argc, argv);
    if (i < 0)
        return -1;
    cli_file_kind kind;
    bool missing = false;
    char err[4200];
    if (!cli_sniff_file(argv[i], &kind, &missing, err, sizeof err) && !missing) {
        fprintf(stderr, "portalis graph: %s\n", err);
        return 1;
    }
    if (missing || kind == CLI_FILE_USDA || kind == CLI_FILE_USDC || kind == CLI_FILE_USDZ)
        return cmd_scene_graph(argc, argv);
    fprintf(stderr, "portalis graph: %s: not a USD scene (%s); give a scene or --example\n", argv[i],
            kind == CLI_FILE_WASM  ? "a WebAssembly module"
            : kind == CLI_FILE_WAT ? "WebAssembly text"
                                   : "neither USD text nor a module");
    return 1;
}

static int write_trace(FILE *out, void *ctx) { return ef_context_write_trace(ctx, out); }

int cmd_graph(int argc, char **argv) {
    const char *dot = NULL, *trace = NULL;
    int rc = scene_graph(argc, argv);
    if (rc >= 0)
        return rc;
    int example = 0, run = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            graph_usage(stdout);
            return 0;
        } else if (!strcmp(argv[i], "--example")) {
            example = 1;
        } else if (!strcmp(argv[i], "--run")) {
            run = 1;
        } else if (!strcmp(argv[i], "--dot") && i + 1 < argc) {
            dot = argv[++i];
        } else if (!strcmp(argv[i], "--trace") && i + 1 < argc) {
            trace = argv[++i];
        } else {
            fprintf(stderr, "portalis graph: unexpected argument '%s'\n", argv[i]);
            graph_usage(stderr);
            return 2;
        }
    }
    if (!example) {
        fprintf(stderr, "portalis graph: give a SCENE or --example\n");
        graph_usage(stderr);
        return 2;
    }
    ef_graph *g = ef_example_graph();
    if (!g) {
        fprintf(stderr, "portalis graph: out of memory\n");
        return 1;
    }
    rc = ef_dump_text(g, stdout) ? 1 : 0;
    if (dot && cli_write_dot(dot, g))
        rc = 1;
    if (run && !rc) {
        ef_pool *pool = ef_pool_create(1);
        ef_context *ctx = ef_context_create(g, pool);
        ef_context_set_profiling(ctx, 1);
        ef_context_set_tracing(ctx, trace != NULL);
        char buf[64];
        ef_status st = ef_context_execute(ctx);
        printf("\nstatus: %s\n", ef_status_str(st, buf, sizeof buf));
        ef_context_dump_timing(ctx, stdout);
        if (trace && cli_write_file("graph", trace, write_trace, ctx))
            rc = 1;
        ef_context_free(ctx);
        ef_pool_free(pool);
    }
    ef_graph_free(g);
    return rc;
}
