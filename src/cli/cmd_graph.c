/* `portalis graph`: show an execution graph.
 *   portalis graph --example [--dot OUT.dot] [--run [--trace OUT.json]]
 * prints the text dump of an example graph with a nested, shared
 * definition, optionally writes its flattened Graphviz DOT file, and with
 * --run executes it once and prints per-node timing.
 *   portalis graph SCENE.usda [--dot OUT.dot]
 * is the scene's graph, built by the host (cmd_scene.c). */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "portalis/ef.h"

static void graph_usage(FILE *out) {
    fprintf(out, "usage: portalis graph --example [--dot OUT.dot] [--run] [--trace OUT.json]\n"
                 "       portalis graph SCENE.usda [--dot OUT.dot]  (default OUT: SCENE.dot)\n"
                 "\n"
                 "Prints the execution graph as text (EXECUTION GRAPH | <top def>(<id>) ...).\n"
                 "  --example         use the built-in example graph (nested, shared definitions)\n"
                 "  --dot OUT.dot     also write a flattened Graphviz DOT file\n"
                 "  --run             execute the graph once and print per-node timing\n"
                 "  --trace OUT.json  with --run: write a Chrome trace (chrome://tracing, Perfetto)\n");
}

int cmd_graph(int argc, char **argv) {
    const char *dot = NULL, *trace = NULL;
    for (int i = 1; i < argc; i++) {
        size_t n = strlen(argv[i]);
        if (n > 5 && !strcmp(argv[i] + n - 5, ".usda")) {
            return cmd_scene_graph(argc, argv);
        }
    }
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
        fprintf(stderr, "portalis graph: give a SCENE.usda or --example\n");
        graph_usage(stderr);
        return 2;
    }
    ef_graph *g = ef_example_graph();
    if (!g) {
        fprintf(stderr, "portalis graph: out of memory\n");
        return 1;
    }
    int rc = 0;
    if (ef_dump_text(g, stdout))
        rc = 1;
    if (dot) {
        FILE *f = fopen(dot, "w");
        if (!f || ef_dump_dot(g, f) || fclose(f)) {
            fprintf(stderr, "portalis graph: cannot write %s\n", dot);
            rc = 1;
        } else {
            fprintf(stderr, "wrote %s\n", dot);
        }
    }
    if (run && !rc) {
        ef_pool *pool = ef_pool_create(1);
        ef_context *ctx = ef_context_create(g, pool);
        ef_context_set_profiling(ctx, 1);
        ef_context_set_tracing(ctx, trace != NULL);
        char buf[64];
        ef_status st = ef_context_execute(ctx);
        printf("\nstatus: %s\n", ef_status_str(st, buf, sizeof buf));
        ef_context_dump_timing(ctx, stdout);
        if (trace) {
            FILE *f = fopen(trace, "w");
            if (!f || ef_context_write_trace(ctx, f) || fclose(f)) {
                fprintf(stderr, "portalis graph: cannot write %s\n", trace);
                rc = 1;
            }
        }
        ef_context_free(ctx);
        ef_pool_free(pool);
    }
    ef_graph_free(g);
    return rc;
}
