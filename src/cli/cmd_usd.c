/* `portalis usd`: print (cat) and inspect (tree) USD text scenes, with the
 * options of OpenUSD's usdcat and usdtree that apply to text layers. */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <portalis/base.h>

#include "cli.h"
#include "portalis/usd.h"

static void usd_usage(FILE *out) {
    fprintf(out, "usage: portalis usd cat [-f|--flatten | --flattenLayerStack] [--skipSourceFileComment] [-o "
                 "OUT] FILE...\n"
                 "       portalis usd tree [-a|--attributes] [-m|--metadata] [-f|--flatten] FILE\n"
                 "\n"
                 "  cat     read .usda layers and write each back in canonical form to stdout,\n"
                 "          one after the other (FILE '-' reads standard input)\n"
                 "          -f, --flatten      compose the stage (sublayers, references, payloads,\n"
                 "                             inherits, specializes, variants) into one layer; its doc\n"
                 "                             says \"Generated from Composed Stage of root layer PATH\"\n"
                 "          --flattenLayerStack  merge the root layer and its sublayers into one layer,\n"
                 "                             keeping references, payloads, inherits, specializes\n"
                 "                             and variants (arcs are not composed)\n"
                 "          --skipSourceFileComment  with --flatten, leave out the doc comment\n"
                 "          -o, --out OUT      write the one FILE to OUT (atomically) instead of stdout;\n"
                 "                             text only: OUT ending in .usdc or .usdz is refused\n"
                 "  tree    print the composed prim hierarchy: name [specifier Type] (apiSchemas)\n"
                 "          -a, --attributes   also list each prim's authored properties (.name)\n"
                 "          -m, --metadata     also list each prim's authored metadata keys ((key))\n"
                 "          -f, --flatten      show the composed stage (the default)\n");
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

/* What the reader accepted but flags (an unknown value type...), as file:line:column. */
static void print_layer_warnings(const pusd_layer *l) {
    for (size_t i = 0; i < pusd_layer_warning_count(l); i++) {
        const pusd_error *w = pusd_layer_warning(l, i);
        fprintf(stderr, "portalis usd: %s:%d:%d: warning: %s\n", w->file, w->line, w->column, w->message);
    }
}

/* Standard input as a layer, read with the same bound as a file. */
static int parse_stdin(pusd_layer **out, pusd_error *err) {
    char *buf;
    size_t n;
    pbase_error e;
    if (pbase_read_fd(0, "standard input", PUSD_LAYER_MAX_BYTES, &buf, &n, &e)) {
        fprintf(stderr, "portalis usd: %s\n", e.message);
        return 1;
    }
    int rc = pusd_layer_parse("<stdin>", buf, n, out, err);
    free(buf);
    if (rc)
        print_error(err);
    return rc ? 1 : 0;
}

/* The layer at file ('-': standard input); with a stage when compose is set.
 * absolute opens it by its real path, so asset paths anchored to it are absolute. */
static int load(const char *file, bool compose, bool absolute, pusd_layer **layer, pusd_stage **stage) {
    pusd_error err;
    *layer = NULL;
    *stage = NULL;
    char real[PATH_MAX];
    if (absolute && strcmp(file, "-") && realpath(file, real))
        file = real;
    if (!strcmp(file, "-")) {
        if (parse_stdin(layer, &err))
            return 1;
    } else if (pusd_layer_open(file, layer, &err)) {
        print_error(&err);
        return 1;
    }
    print_layer_warnings(*layer);
    if (!compose)
        return 0;
    int rc = pusd_stage_from_layer(*layer, stage, &err); /* takes the layer, also on failure */
    *layer = NULL;
    if (rc) {
        print_error(&err);
        return 1;
    }
    print_diags(*stage);
    return 0;
}

typedef struct cat_opts {
    const char *out;
    bool flatten, flatten_stack, skip_comment;
} cat_opts;

/* usdcat's --flatten records where the layer came from in its doc. */
static void add_source_comment(pusd_layer *flat, const char *file) {
    char real[PATH_MAX];
    const char *src = strcmp(file, "-") && realpath(file, real) ? real : file;
    pusd_value v;
    const char *doc = "";
    if (!pusd_layer_get_metadata(flat, "doc", &v) && v.type == PUSD_T_STRING && v.data)
        doc = ((const char *const *)v.data)[0];
    size_t n = strlen(doc) + strlen(src) + 64;
    char *text = malloc(n);
    if (!text)
        return;
    snprintf(text, n, "%s%sGenerated from Composed Stage of root layer %s\n", doc, doc[0] ? "\n\n" : "", src);
    const char *item = text;
    v = pusd_val_scalar(PUSD_T_STRING, &item);
    pusd_layer_set_metadata(flat, "doc", &v);
    free(text);
}

/* The layer to write for one input, owned by the caller. */
static pusd_layer *cat_layer(const char *file, const cat_opts *o) {
    pusd_layer *layer;
    pusd_stage *stage;
    if (load(file, o->flatten || o->flatten_stack, o->flatten_stack, &layer, &stage))
        return NULL;
    if (!stage)
        return layer;
    pusd_error err;
    layer = o->flatten ? pusd_stage_flatten(stage, &err) : pusd_stage_flatten_layer_stack(stage, &err);
    if (!layer)
        print_error(&err);
    else if (o->flatten && !o->skip_comment)
        add_source_comment(layer, file);
    pusd_stage_free(stage);
    return layer;
}

static int cat_one(const char *file, const cat_opts *o) {
    pusd_layer *layer = cat_layer(file, o);
    if (!layer)
        return 1;
    int rc = 0;
    pusd_error err;
    if (o->out) {
        if (pusd_layer_save(layer, o->out, &err)) {
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
    return rc;
}

static bool binary_name(const char *path) {
    size_t n = strlen(path);
    return n >= 5 && (!strcmp(path + n - 5, ".usdc") || !strcmp(path + n - 5, ".usdz"));
}

/* Parses cat's arguments into o and files; returns -1 to go on, else the exit code. */
static int cat_args(int argc, char **argv, cat_opts *o, const char **files, int *nfiles) {
    bool opts = true;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (opts && !strcmp(a, "--"))
            opts = false;
        else if (opts && (!strcmp(a, "--flatten") || !strcmp(a, "-f")))
            o->flatten = true;
        else if (opts && !strcmp(a, "--flattenLayerStack"))
            o->flatten_stack = true;
        else if (opts && !strcmp(a, "--skipSourceFileComment"))
            o->skip_comment = true;
        else if (opts && (!strcmp(a, "-o") || !strcmp(a, "--out"))) {
            if (++i >= argc) {
                fprintf(stderr, "portalis usd cat: -o needs a file name\n");
                return 2;
            }
            o->out = argv[i];
        } else if (opts && (!strcmp(a, "--help") || !strcmp(a, "-h"))) {
            usd_usage(stdout);
            return 0;
        } else if (opts && a[0] == '-' && a[1]) {
            fprintf(stderr, "portalis usd cat: unknown option '%s'\n", a);
            usd_usage(stderr);
            return 2;
        } else
            files[(*nfiles)++] = a;
    }
    return -1;
}

static int usd_cat(int argc, char **argv) {
    cat_opts o = {0};
    const char **files = calloc((size_t)argc, sizeof *files);
    int n = 0, rc = files ? cat_args(argc, argv, &o, files, &n) : 1;
    if (rc < 0 && !n) {
        usd_usage(stderr);
        rc = 2;
    } else if (rc < 0 && o.flatten && o.flatten_stack) {
        fprintf(stderr, "portalis usd cat: --flatten and --flattenLayerStack exclude each other; choose one\n");
        rc = 2;
    } else if (rc < 0 && o.out && n != 1) {
        fprintf(stderr, "portalis usd cat: -o writes one layer: give exactly one input FILE (got %d)\n", n);
        rc = 2;
    } else if (rc < 0 && o.out && binary_name(o.out)) {
        fprintf(stderr,
                "portalis usd cat: cannot write '%s': binary USD (%s) output is not supported; write a .usda "
                "(or .usd) file and convert it with usdcat\n",
                o.out, o.out[strlen(o.out) - 1] == 'z' ? "usdz" : "crate");
        rc = 1;
    }
    for (int i = 0; rc < 0 && i < n; i++) /* like usdcat: report a bad input and go on with the next */
        if (cat_one(files[i], &o))
            rc = -2;
    free(files);
    return rc == -2 ? 1 : rc < 0 ? 0 : rc;
}

typedef struct tree_opts {
    bool attributes, metadata;
} tree_opts;

static void tree_details(pusd_prim *c, int depth, const tree_opts *o) {
    if (o->metadata) {
        const char **keys;
        size_t nk = pusd_prim_metadata_keys(c, &keys);
        for (size_t k = 0; k < nk; k++) /* kind and active are part of the label in usdtree */
            if (strcmp(keys[k], "kind") && strcmp(keys[k], "active"))
                printf("%*s(%s)\n", depth * 4, "", keys[k]);
    }
    if (o->attributes)
        for (size_t k = 0; k < pusd_prim_property_count(c); k++)
            printf("%*s.%s\n", depth * 4, "", pusd_prim_property_name(c, k));
}

static void tree_print(pusd_prim *p, int depth, const tree_opts *o) {
    for (size_t i = 0; i < pusd_prim_child_count(p); i++) {
        pusd_prim *c = pusd_prim_child(p, i);
        char sp = pusd_prim_specifier(c);
        printf("%*s%s [%s%s%s]", depth * 4, "", pusd_prim_name(c),
               sp == 'd'   ? "def"
               : sp == 'o' ? "over"
                           : "class",
               pusd_prim_type_name(c)[0] ? " " : "", pusd_prim_type_name(c));
        size_t na = pusd_prim_api_schema_count(c);
        if (na) {
            printf(" (");
            for (size_t k = 0; k < na; k++)
                printf("%s%s", k ? ", " : "", pusd_prim_api_schema(c, k));
            printf(")");
        }
        if (!pusd_prim_is_active(c))
            printf(" inactive");
        printf("\n");
        tree_details(c, depth + 1, o);
        tree_print(c, depth + 1, o);
    }
}

static void warn_type(const char *path, const char *type, const char *suggestion, void *ctx) {
    (void)ctx;
    fprintf(stderr, "portalis usd: warning: %s: unknown prim type '%s'; did you mean '%s'?\n", path, type,
            suggestion);
}

static int usd_tree(int argc, char **argv) {
    const char *file = NULL;
    tree_opts o = {0};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usd_usage(stdout);
            return 0;
        }
        if (!strcmp(a, "-a") || !strcmp(a, "--attributes"))
            o.attributes = true;
        else if (!strcmp(a, "-m") || !strcmp(a, "--metadata"))
            o.metadata = true;
        else if (!strcmp(a, "-f") || !strcmp(a, "--flatten"))
            continue; /* composed is what tree shows */
        else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "portalis usd tree: unknown option '%s'\n", a);
            return 2;
        } else if (file) {
            fprintf(stderr, "portalis usd tree: only one FILE is accepted ('%s')\n", a);
            return 2;
        } else
            file = a;
    }
    if (!file) {
        usd_usage(stderr);
        return 2;
    }
    pusd_layer *layer;
    pusd_stage *stage;
    if (load(file, true, false, &layer, &stage))
        return 1;
    pusd_schema_registry *reg = pusd_schema_registry_new();
    if (reg)
        pusd_schema_check_types(stage, reg, warn_type, NULL);
    pusd_schema_registry_free(reg);
    printf("/\n");
    tree_print(pusd_stage_pseudo_root(stage), 1, &o);
    pusd_stage_free(stage);
    return 0;
}

int cmd_usd(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usd_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "cat"))
        return usd_cat(argc - 1, argv + 1);
    if (!strcmp(argv[1], "tree"))
        return usd_tree(argc - 1, argv + 1);
    fprintf(stderr, "portalis usd: unknown subcommand '%s'\n", argv[1]);
    usd_usage(stderr);
    return 2;
}
