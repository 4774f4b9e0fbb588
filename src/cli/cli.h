/* Shared declarations of the `portalis` command line. Each command is a
 * function taking the arguments after its name (argv[0] is the command name)
 * and returning the process exit status. */
#ifndef PORTALIS_CLI_H
#define PORTALIS_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <portalis/engine.h>

typedef struct {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);
} cli_command;

/* One line per command file; add your command's declaration here and its
 * entry in the table in main.c. */
int cmd_run(int argc, char **argv);         /* cmd_run.c: run a module (or scene) */
int cmd_validate(int argc, char **argv);    /* cmd_wasm.c */
int cmd_inspect(int argc, char **argv);     /* cmd_wasm.c */
int cmd_compile(int argc, char **argv);     /* cmd_compile.c */
int cmd_usd(int argc, char **argv);         /* cmd_usd.c: cat / tree of .usda scenes */
int cmd_graph(int argc, char **argv);       /* cmd_graph.c: execution graph dump / DOT */
int cmd_new(int argc, char **argv);         /* cmd_new.c: scaffold a module project */
int cmd_serve(int argc, char **argv);       /* cmd_serve.c: live viewer and KServe v2 server */
int cmd_bench(int argc, char **argv);       /* cmd_bench.c: scene benchmarks, the benchmark suite */
int cmd_scene_run(int argc, char **argv);   /* cmd_scene.c: portalis run SCENE.usda */
int cmd_scene_graph(int argc, char **argv); /* cmd_scene.c: portalis graph SCENE.usda */

/* Exit statuses shared by the commands (README "Exit status"). A guest's
 * proc_exit code is passed through as is. */
enum {
    CLI_EXIT_OK = 0,
    CLI_EXIT_LOAD = 1,   /* a file cannot be read, decoded, validated or linked */
    CLI_EXIT_USAGE = 2,  /* bad command line */
    CLI_EXIT_MODULE = 3, /* scene runs: the run completed but some module failed */
    CLI_EXIT_TRAP = 134, /* the module trapped (wasmtime's code: 128 + SIGABRT) */
};

/* ---- cli_args.c: numeric option values, range-checked --------------------
 * Each returns false (leaving *out untouched) unless the whole of s is one
 * number within [min, max]: no sign on unsigned values, no trailing text, no
 * overflow, no NaN. Callers print "bad value for --opt: 's' (expected ...)". */
bool cli_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);
bool cli_parse_i64(const char *s, int64_t min, int64_t max, int64_t *out);
bool cli_parse_double(const char *s, double min, double max, double *out);
/* "500ms", "2s", "1.5s", "1m", "1h", "250us", "10ns"; a bare number is
 * seconds. False if malformed, negative or past 100 years. */
bool cli_parse_duration(const char *s, uint64_t *ns);

/* ---- cli_file.c: what a file is, and reading modules with a bound -------- */

/* Largest module file the commands read: the engine's limit (docs/engine.md). */
#define CLI_MAX_MODULE_BYTES ((size_t)PW_LIMIT_MODULE_BYTES)

typedef enum {
    CLI_FILE_WASM,  /* starts with the wasm magic "\0asm" */
    CLI_FILE_WAT,   /* WebAssembly text: its first token is "(" */
    CLI_FILE_USDA,  /* USD text (pusd_sniff: "#usda" after an optional BOM) */
    CLI_FILE_USDC,  /* binary USD (crate): "PXR-USDC" */
    CLI_FILE_USDZ,  /* a USDZ package (a zip whose first entry is a USD layer) */
    CLI_FILE_OTHER, /* anything else (the module loader names the problem) */
} cli_file_kind;

/* Opens path without blocking, refuses anything but a regular file (FIFOs,
 * devices, directories) and classifies it by its first bytes. Returns false
 * with a one-line message in err (errno-style text for a missing file; *missing
 * is then true so callers may defer to a loader with its own message). */
bool cli_sniff_file(const char *path, cli_file_kind *kind, bool *missing, char *err, size_t errn);
/* Classifies the first bytes of a file. */
cli_file_kind cli_classify(const uint8_t *bytes, size_t len);
/* Reads (bounded), classifies and loads a module, printing "portalis CMD:
 * FILE: why" on failure. With bytes non-NULL the file's bytes are returned
 * too (the caller frees them). */
bool cli_load_module(pw_engine *engine, const char *cmd, const char *path, pw_module **m, uint8_t **bytes,
                     size_t *len);
/* cli_wat.c: converts WebAssembly text with wat2wasm (Debian: wabt); NULL
 * with a message (naming the package when it is not installed). */
uint8_t *cli_wat_to_wasm(const char *path, size_t *len, char *err, size_t errn);
/* --tier interp|native|auto (cmd_compile.c). */
bool cli_parse_tier(const char *v, pw_tier_kind *out);

/* ---- cli_out.c: output files --------------------------------------------
 * The default name of an output made from in: in without its extension when
 * that is an input's (.usda .usd .usdc .usdz .wasm .wat), followed by ext
 * ("scene.usda", ".dot" -> "scene.dot"). */
void cli_output_name(const char *in, const char *ext, char *buf, size_t cap);
/* Writes path atomically with write(out, ctx) (non-zero: failed), printing
 * "portalis CMD: why" on failure; returns 0 or 1. */
int cli_write_file(const char *cmd, const char *path, int (*write)(FILE *out, void *ctx), void *ctx);
/* `portalis graph`'s Graphviz file of g, then "wrote PATH" on stderr. */
struct ef_graph;
int cli_write_dot(const char *path, struct ef_graph *g);

/* The message for a file that is not a binary module, or NULL if it is one
 * (or not recognised: the loader then reports it). */
const char *cli_not_a_module(cli_file_kind kind);

#endif
