/* Shared declarations of the `portalis` command line. Each command is a
 * function taking the arguments after its name (argv[0] is the command name)
 * and returning the process exit status. */
#ifndef PORTALIS_CLI_H
#define PORTALIS_CLI_H

typedef struct {
    const char *name;
    const char *summary;
    int (*run)(int argc, char **argv);
} cli_command;

/* One line per command file; add your command's declaration here and its
 * entry in the table in main.c. */
int cmd_run(int argc, char **argv);      /* cmd_run.c: run a module (or scene) */
int cmd_validate(int argc, char **argv); /* cmd_wasm.c */
int cmd_inspect(int argc, char **argv);  /* cmd_wasm.c */
int cmd_usd(int argc, char **argv);      /* cmd_usd.c: cat / tree of .usda scenes */
int cmd_graph(int argc, char **argv);    /* cmd_graph.c: execution graph dump / DOT */
int cmd_scene_run(int argc, char **argv);   /* cmd_scene.c: portalis run SCENE.usda */
int cmd_scene_graph(int argc, char **argv); /* cmd_scene.c: portalis graph SCENE.usda */

#endif
