/* `portalis compile`: precompiles a module to native code (a .pwo file that
 * `portalis run` accepts), as `wasmtime compile` does; and the --tier
 * option value shared with `portalis run`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "portalis/base.h"

bool cli_parse_tier(const char *v, pw_tier_kind *out) { return pw_tier_parse(v, out); }

static void compile_usage(FILE *f) {
    fprintf(f, "usage: portalis compile [--checks] [-O1|-O2|...] [-o OUT.pwo] MODULE.wasm\n\n"
               "Compiles MODULE to native code through the system C compiler (cc, gcc or clang in\n"
               "PATH, or $PORTALIS_CC) and writes a precompiled module: 'portalis run OUT.pwo' runs\n"
               "it natively with no compiler.\n"
               "The code keeps every sandbox check (memory bounds, indirect call types, call depth).\n\n"
               "  -o OUT.pwo     output file (default: MODULE with .pwo instead of .wasm)\n"
               "  --checks       include fuel and interruption checks: needed to run it with\n"
               "                 --fuel or --timeout (the code differs, see docs/aot.md)\n"
               "  -O0 .. -O3, -Os, --opt LEVEL\n"
               "                 the C compiler's optimisation level (default $PORTALIS_AOT_OPT,\n"
               "                 else -O2); -O1 compiles in about 0.7 of -O2's time, for slower code\n"
               "  -h, --help     this text\n\n"
               "exit status: 0 written, 1 the module or the compiler failed, 2 usage error\n");
}

int cmd_compile(int argc, char **argv) {
    const char *in = NULL, *out = NULL;
    bool checks = false;
    pw_native_opt opt = PW_NATIVE_OPT_DEFAULT;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            compile_usage(stdout);
            return 0;
        } else if (!strcmp(argv[i], "--checks"))
            checks = true;
        else if (!strcmp(argv[i], "-o") && i + 1 < argc)
            out = argv[++i];
        else if (pw_native_opt_parse(argv[i], &opt))
            continue;
        else if (!strcmp(argv[i], "--opt") && i + 1 < argc && pw_native_opt_parse(argv[i + 1], &opt))
            i++;
        else if (argv[i][0] == '-' || in) {
            fprintf(stderr, "portalis compile: unexpected argument %s\n", argv[i]);
            compile_usage(stderr);
            return 2;
        } else
            in = argv[i];
    }
    if (!in) {
        compile_usage(stderr);
        return 2;
    }
    pw_engine_config cfg = {
        .consume_fuel = checks, .interruptible = checks, .tier = PW_TIER_INTERP, .native_opt = opt};
    pw_engine *engine = pw_engine_new_with(&cfg);
    pw_module *m = NULL;
    if (!engine || !cli_load_module(engine, "compile", in, &m, NULL, NULL)) {
        pw_engine_free(engine);
        return CLI_EXIT_LOAD;
    }
    char def[4096]; /* MODULE.wasm -> MODULE.pwo */
    if (!out) {
        cli_output_name(in, ".pwo", def, sizeof def);
        out = def;
    }
    uint8_t *image = NULL;
    size_t len = 0;
    pw_error *e = pw_module_compile_native(m, &image, &len);
    int status = 0;
    pbase_error pe;
    if (e) {
        fprintf(stderr, "portalis compile: %s: %s\n", in, pw_error_message(e));
        pw_error_free(e);
        status = CLI_EXIT_LOAD;
    } else if (pbase_write_file_atomic(out, image, len, &pe) != 0) {
        fprintf(stderr, "portalis compile: %s\n", pe.message);
        status = CLI_EXIT_LOAD;
    }
    free(image);
    pw_module_free(m);
    pw_engine_free(engine);
    return status;
}
