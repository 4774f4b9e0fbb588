/* `portalis graph` command logic (src/cli/cmd_graph.c), linked directly:
 * prints the text dump and writes the DOT file for the example graph with a
 * nested, shared definition. */
#include "ef_test.h"

#include <fcntl.h>
#include <unistd.h>

int cmd_graph(int argc, char **argv);

static char *slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    size_t got = fread(buf, 1, (size_t)n, f);
    buf[got] = 0;
    fclose(f);
    return buf;
}

/* Runs cmd_graph with stdout captured into a file; returns its exit code. */
static int run_captured(int argc, char **argv, const char *out_path) {
    fflush(stdout);
    int saved = dup(1);
    int fd = open(out_path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    close(fd);
    int rc = cmd_graph(argc, argv);
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    return rc;
}

int main(void) {
    char dir[] = "/tmp/ef_cli_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char out[128], dot[128], trace[128];
    snprintf(out, sizeof out, "%s/out.txt", dir);
    snprintf(dot, sizeof dot, "%s/example.dot", dir);
    snprintf(trace, sizeof trace, "%s/trace.json", dir);

    char *a1[] = {"graph", "--example", "--dot", dot};
    CHECK_EQ_INT(run_captured(4, a1, out), 0);
    char *text = slurp(out);
    CHECK(text && strstr(text, "EXECUTION GRAPH | portalis.def.execution(0)\n") == text);
    CHECK(text && strstr(text, "body_a(1) | sim.def.rigid_body(2) graph parallel shared x3") != NULL);
    CHECK(text && strstr(text, "probe(4) | sim.def.rigid_body(2) graph parallel shared x3") != NULL);
    free(text);
    char *d = slurp(dot);
    CHECK(d && strstr(d, "digraph ExecutionGraph {") == d);
    CHECK(d && strstr(d, "EXECUTION GRAPH | portalis.def.execution(0)") != NULL);
    CHECK(d && strstr(d, "sim.def.rigid_body(2) shared") != NULL);
    free(d);

    char *a2[] = {"graph", "--example", "--run", "--trace", trace};
    CHECK_EQ_INT(run_captured(5, a2, out), 0);
    text = slurp(out);
    CHECK(text && strstr(text, "status: success") != NULL);
    CHECK(text && strstr(text, "/physics/body_a/integrate") != NULL);
    free(text);
    char *tr = slurp(trace);
    CHECK(tr && strstr(tr, "{\"traceEvents\":[") == tr);
    free(tr);

    char *a3[] = {"graph", "--help"};
    CHECK_EQ_INT(run_captured(2, a3, out), 0);
    text = slurp(out);
    CHECK(text && strstr(text, "usage: portalis graph") != NULL);
    free(text);
    char *a4[] = {"graph", "--bogus"};
    CHECK_EQ_INT(run_captured(2, a4, out), 2);
    char *a5[] = {"graph"};
    CHECK_EQ_INT(run_captured(1, a5, out), 2);

    unlink(out);
    unlink(dot);
    unlink(trace);
    rmdir(dir);
    TEST_END();
}
