/* `portalis usd cat/tree`: cat of our own output is byte for byte. */
#include <unistd.h>

#include "cli.h"
#include "tu.h"

static int run(const char *a0, const char *a1, const char *a2, const char *a3, const char *a4, const char *a5) {
    char *argv[8] = {(char *)a0, (char *)a1, (char *)a2, (char *)a3, (char *)a4, (char *)a5, NULL};
    int argc = 0;
    while (argv[argc]) argc++;
    fflush(stdout);
    return cmd_usd(argc, argv);
}

int main(void) {
    char *dir = tu_tmpdir();
    if (!dir) return 1;
    char in[1024], o1[1024], o2[1024], of[1024];
    snprintf(in, sizeof in, "%s/in.usda", dir);
    snprintf(o1, sizeof o1, "%s/o1.usda", dir);
    snprintf(o2, sizeof o2, "%s/o2.usda", dir);
    snprintf(of, sizeof of, "%s/flat.usda", dir);
    tu_write(dir, "in.usda", "#usda 1.0\n(defaultPrim = \"W\"\n subLayers = [@sub.usda@])\ndef Xform \"W\" (prepend references = @ref.usda@) {\n"
                             " float a = 0.1\n def \"C\" {}\n}\n");
    tu_write(dir, "sub.usda", "#usda 1.0\nover \"W\" {\n float fromSub = 2\n}\n");
    tu_write(dir, "ref.usda", "#usda 1.0\n(defaultPrim = \"R\")\ndef Scope \"R\" {\n float fromRef = 3\n def Mesh \"M\" {}\n}\n");
    CHECK(run("usd", "cat", in, "-o", o1, NULL) == 0);
    CHECK(run("usd", "cat", o1, "-o", o2, NULL) == 0);
    size_t n1, n2;
    char *t1 = tu_read(o1, &n1), *t2 = tu_read(o2, &n2);
    CHECK(t1 && t2 && n1 == n2 && !memcmp(t1, t2, n1)); /* byte for byte */
    free(t1);
    free(t2);
    CHECK(run("usd", "cat", in, "--flatten", "-o", of) == 0);
    char *f = tu_read(of, NULL);
    CHECK(f && strstr(f, "float fromSub = 2") && strstr(f, "float fromRef = 3") && strstr(f, "def Mesh \"M\"") && !strstr(f, "references"));
    free(f);
    /* tree to a file via stdout redirection */
    char tp[1024];
    snprintf(tp, sizeof tp, "%s/tree.txt", dir);
    fflush(stdout);
    int saved = dup(1);
    FILE *tf = freopen(tp, "w", stdout);
    int rc = run("usd", "tree", in, NULL, NULL, NULL);
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    if (tf) clearerr(stdout);
    CHECK(rc == 0);
    char *t = tu_read(tp, NULL);
    CHECK(t && strstr(t, "/\n    W [def Xform]\n        C [def]\n        M [def Mesh]\n"));
    free(t);
    CHECK(run("usd", "--help", NULL, NULL, NULL, NULL) == 0);
    CHECK(run("usd", NULL, NULL, NULL, NULL, NULL) == 2);
    CHECK(run("usd", "frobnicate", NULL, NULL, NULL, NULL) == 2);
    CHECK(run("usd", "cat", NULL, NULL, NULL, NULL) == 2);
    CHECK(run("usd", "cat", "/nonexistent.usda", NULL, NULL, NULL) == 1);
    tu_write(dir, "bad.usda", "#usda 1.0\ndef \"A\" {\n  float x = (\n}\n");
    char bad[1024];
    snprintf(bad, sizeof bad, "%s/bad.usda", dir);
    CHECK(run("usd", "cat", bad, NULL, NULL, NULL) == 1);
    CHECK(run("usd", "tree", bad, NULL, NULL, NULL) == 1);
    tu_rmrf(dir);
    free(dir);
    TU_END();
}
