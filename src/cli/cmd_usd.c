/* `portalis usd`: print (cat) and inspect (tree) USD text scenes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "portalis/usd.h"

static void usd_usage(FILE *out) {
    fprintf(out,
            "usage: portalis usd cat FILE [--flatten] [-o OUT]\n"
            "       portalis usd tree FILE\n"
            "\n"
            "  cat     read a .usda layer and write it back in canonical form\n"
            "          --flatten  compose the stage (sublayers, references, payloads,\n"
            "                     inherits, specializes, variants) into one layer\n"
            "          -o OUT     write to OUT (atomically) instead of stdout\n"
            "  tree    print the composed prim hierarchy with types and apiSchemas\n");
}

static void print_error(const pusd_error *e) {
    char buf[1200];
    pusd_error_format(e, buf, sizeof buf);
    fprintf(stderr, "portalis usd: %s\n", buf);
}

static void print_diags(pusd_stage *s) {
    for (size_t i = 0; i < pusd_stage_diagnostic_count(s); i++) {
        const pusd_error *d = pusd_stage_diagnostic(s, i);
        fprintf(stderr, "portalis usd: warning: %s%s%s\n", d->file, d->file[0] ? ": " : "", d->message);
    }
}

static int usd_cat(int argc, char **argv) {
    const char *file = NULL, *out = NULL;
    int flatten = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--flatten")) flatten = 1;
        else if (!strcmp(argv[i], "-o") || !strcmp(argv[i], "--out")) {
            if (++i >= argc) {
                fprintf(stderr, "portalis usd cat: -o needs a file name\n");
                return 2;
            }
            out = argv[i];
        } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usd_usage(stdout);
            return 0;
        } else if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "portalis usd cat: unknown option '%s'\n", argv[i]);
            usd_usage(stderr);
            return 2;
        } else if (!file)
            file = argv[i];
        else {
            fprintf(stderr, "portalis usd cat: only one FILE is accepted ('%s')\n", argv[i]);
            return 2;
        }
    }
    if (!file) {
        usd_usage(stderr);
        return 2;
    }
    pusd_error err;
    pusd_layer *layer = NULL;
    pusd_stage *stage = NULL;
    if (flatten) {
        if (pusd_stage_open(file, &stage, &err)) {
            print_error(&err);
            return 1;
        }
        print_diags(stage);
        layer = pusd_stage_flatten(stage, &err);
        if (!layer) {
            print_error(&err);
            pusd_stage_free(stage);
            return 1;
        }
    } else if (pusd_layer_open(file, &layer, &err)) {
        print_error(&err);
        return 1;
    }
    int rc = 0;
    if (out) {
        if (pusd_layer_save(layer, out, &err)) {
            print_error(&err);
            rc = 1;
        }
    } else {
        size_t n;
        char *text = pusd_layer_to_string(layer, &n);
        if (!text || fwrite(text, 1, n, stdout) != n || fflush(stdout)) {
            fprintf(stderr, "portalis usd cat: cannot write output\n");
            rc = 1;
        }
        free(text);
    }
    pusd_layer_free(layer);
    pusd_stage_free(stage);
    return rc;
}

static void tree_print(pusd_prim *p, int depth) {
    for (size_t i = 0; i < pusd_prim_child_count(p); i++) {
        pusd_prim *c = pusd_prim_child(p, i);
        char sp = pusd_prim_specifier(c);
        printf("%*s%s [%s%s%s]", depth * 4, "", pusd_prim_name(c), sp == 'd' ? "def" : sp == 'o' ? "over" : "class",
               pusd_prim_type_name(c)[0] ? " " : "", pusd_prim_type_name(c));
        size_t na = pusd_prim_api_schema_count(c);
        if (na) {
            printf(" (");
            for (size_t k = 0; k < na; k++) printf("%s%s", k ? ", " : "", pusd_prim_api_schema(c, k));
            printf(")");
        }
        if (!pusd_prim_is_active(c)) printf(" inactive");
        printf("\n");
        tree_print(c, depth + 1);
    }
}

static int usd_tree(int argc, char **argv) {
    const char *file = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            usd_usage(stdout);
            return 0;
        }
        if (argv[i][0] == '-' && argv[i][1]) {
            fprintf(stderr, "portalis usd tree: unknown option '%s'\n", argv[i]);
            return 2;
        }
        file = argv[i];
    }
    if (!file) {
        usd_usage(stderr);
        return 2;
    }
    pusd_stage *stage;
    pusd_error err;
    if (pusd_stage_open(file, &stage, &err)) {
        print_error(&err);
        return 1;
    }
    print_diags(stage);
    printf("/\n");
    tree_print(pusd_stage_pseudo_root(stage), 1);
    pusd_stage_free(stage);
    return 0;
}

int cmd_usd(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usd_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "cat")) return usd_cat(argc - 1, argv + 1);
    if (!strcmp(argv[1], "tree")) return usd_tree(argc - 1, argv + 1);
    fprintf(stderr, "portalis usd: unknown subcommand '%s'\n", argv[1]);
    usd_usage(stderr);
    return 2;
}
