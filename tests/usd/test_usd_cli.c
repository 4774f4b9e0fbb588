/* `portalis usd cat/tree`: cat of our own output is byte for byte. */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "tu.h"

static int run(const char *a0, const char *a1, const char *a2, const char *a3, const char *a4, const char *a5) {
    char *argv[8] = {(char *)a0, (char *)a1, (char *)a2, (char *)a3, (char *)a4, (char *)a5, NULL};
    int argc = 0;
    while (argv[argc])
        argc++;
    fflush(stdout);
    return cmd_usd(argc, argv);
}

/* Runs cmd_usd with stdout (and, when in is not NULL, stdin) redirected to
 * files; returns the exit code and the captured output in *out. */
static int run_io(const char *dir, const char *in, char **out, const char *const *args) {
    char *argv[16];
    int argc = 0;
    argv[argc++] = "usd";
    while (args[argc - 1] && argc < 15) {
        argv[argc] = (char *)args[argc - 1];
        argc++;
    }
    argv[argc] = NULL;
    char op[1024];
    snprintf(op, sizeof op, "%s/captured.txt", dir);
    fflush(stdout);
    int saved = dup(1), saved_in = -1;
    if (!freopen(op, "w", stdout))
        return -1;
    if (in) {
        saved_in = dup(0);
        int fd = open(in, O_RDONLY);
        if (fd >= 0) {
            dup2(fd, 0);
            close(fd);
        }
    }
    int rc = cmd_usd(argc, argv);
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    clearerr(stdout);
    if (saved_in >= 0) {
        dup2(saved_in, 0);
        close(saved_in);
    }
    *out = tu_read(op, NULL);
    if (!*out)
        *out = strdup("");
    return rc;
}

#define RUN(out, ...) run_io(dir, NULL, out, (const char *const[]){__VA_ARGS__, NULL})

static void usdcat_options(const char *dir) {
    char root[1024], sub[1024], ref[1024], flat[1024], usdc[1024], fifo[1024], bin[1024];
    snprintf(root, sizeof root, "%s/root.usda", dir);
    snprintf(sub, sizeof sub, "%s/sub.usda", dir);
    snprintf(ref, sizeof ref, "%s/ref.usda", dir);
    snprintf(flat, sizeof flat, "%s/o.usda", dir);
    snprintf(usdc, sizeof usdc, "%s/o.usdc", dir);
    snprintf(fifo, sizeof fifo, "%s/in.fifo", dir);
    snprintf(bin, sizeof bin, "%s/bin.usd", dir);
    tu_write(dir, "root.usda",
             "#usda 1.0\n(\n    doc = \"mine\"\n    subLayers = [@sub.usda@ (offset = 10)]\n)\n"
             "def Xform \"W\" (kind = \"component\"\n prepend references = @ref.usda@) {\n float a = 1\n}\n");
    tu_write(dir, "sub.usda",
             "#usda 1.0\nover \"W\" {\n float a = 5\n float b.timeSamples = { 0: 1, 2: 3 }\n}\n");
    tu_write(dir, "ref.usda", "#usda 1.0\n(defaultPrim = \"R\")\ndef Scope \"R\" {\n def Mesh \"M\" {}\n}\n");
    char *o;
    /* several files, one after the other */
    CHECK(RUN(&o, "cat", sub, ref) == 0 && strstr(o, "over \"W\"") && strstr(o, "def Scope \"R\"") &&
          strstr(o, "over \"W\"") < strstr(o, "def Scope \"R\""));
    free(o);
    /* a bad input is reported and the others still written; exit 1 */
    CHECK(RUN(&o, "cat", "/nonexistent.usda", ref) == 1 && strstr(o, "def Scope \"R\""));
    free(o);
    /* '-' is standard input */
    CHECK(run_io(dir, ref, &o, (const char *const[]){"cat", "-", NULL}) == 0 && strstr(o, "def Mesh \"M\""));
    free(o);
    CHECK(run_io(dir, ref, &o, (const char *const[]){"cat", "--", "-", NULL}) == 0 &&
          strstr(o, "def Mesh \"M\""));
    free(o);
    /* --flatten records its source in doc, after an authored doc; --skipSourceFileComment leaves it out */
    CHECK(RUN(&o, "cat", "-f", root) == 0 &&
          strstr(o, "doc = \"\"\"mine\n\nGenerated from Composed Stage of root layer /") &&
          strstr(o, "/root.usda\n\"\"\"") && strstr(o, "def Mesh \"M\"") && !strstr(o, "references"));
    free(o);
    CHECK(RUN(&o, "cat", "--flatten", "--skipSourceFileComment", root) == 0 && !strstr(o, "Generated from") &&
          strstr(o, "doc = \"mine\""));
    free(o);
    /* --flattenLayerStack: sublayer opinions merged (offset applied), arcs kept, asset paths absolute */
    CHECK(RUN(&o, "cat", "--flattenLayerStack", root) == 0 && strstr(o, "prepend references = @/") &&
          strstr(o, "/ref.usda@") && strstr(o, "float a = 1\n") && strstr(o, "10: 1,\n") &&
          strstr(o, "12: 3,\n") && !strstr(o, "subLayers") && !strstr(o, "def Mesh") &&
          !strstr(o, "Generated from"));
    free(o);
    CHECK(RUN(&o, "cat", "--flatten", "--flattenLayerStack", root) == 2);
    free(o);
    /* -o: one input, text only */
    CHECK(RUN(&o, "cat", root, ref, "-o", flat) == 2);
    free(o);
    CHECK(RUN(&o, "cat", root, "-o", usdc) == 1 && access(usdc, F_OK) != 0);
    free(o);
    CHECK(RUN(&o, "cat", "--flatten", root, "-o", flat) == 0 && access(flat, F_OK) == 0);
    free(o);
    /* binary crate input: refused with the conversion hint; a FIFO does not hang */
    FILE *bf = fopen(bin, "wb");
    if (bf) {
        fwrite("PXR-USDC\0\0\0\0", 1, 12, bf);
        fclose(bf);
    }
    CHECK(RUN(&o, "cat", bin) == 1 && !o[0]);
    free(o);
    if (!mkfifo(fifo, 0600)) {
        CHECK(RUN(&o, "cat", fifo) == 1);
        free(o);
    }
}

static void usdtree_options(const char *dir) {
    char root[1024];
    snprintf(root, sizeof root, "%s/root.usda", dir);
    char *o;
    CHECK(RUN(&o, "tree", root) == 0 && strstr(o, "/\n    W [def Xform]\n        M [def Mesh]\n") &&
          !strstr(o, ".a\n"));
    free(o);
    CHECK(RUN(&o, "tree", "-a", root) == 0 &&
          strstr(o, "    W [def Xform]\n        .a\n        .b\n        M [def Mesh]\n"));
    free(o);
    CHECK(RUN(&o, "tree", "--metadata", root) == 0 &&
          strstr(o, "    W [def Xform]\n        (references)\n        M [def Mesh]\n") && !strstr(o, "(kind)"));
    free(o);
    CHECK(RUN(&o, "tree", "-m", "--attributes", "--flatten", root) == 0 &&
          strstr(o, "    W [def Xform]\n        (references)\n        .a\n        .b\n        M [def Mesh]\n"));
    free(o);
    CHECK(RUN(&o, "tree", "-x", root) == 2);
    free(o);
}

int main(void) {
    char *dir = tu_tmpdir();
    if (!dir)
        return 1;
    char in[1024], o1[1024], o2[1024], of[1024];
    snprintf(in, sizeof in, "%s/in.usda", dir);
    snprintf(o1, sizeof o1, "%s/o1.usda", dir);
    snprintf(o2, sizeof o2, "%s/o2.usda", dir);
    snprintf(of, sizeof of, "%s/flat.usda", dir);
    tu_write(dir, "in.usda",
             "#usda 1.0\n(defaultPrim = \"W\"\n subLayers = [@sub.usda@])\ndef Xform \"W\" (prepend references = "
             "@ref.usda@) {\n"
             " float a = 0.1\n def \"C\" {}\n}\n");
    tu_write(dir, "sub.usda", "#usda 1.0\nover \"W\" {\n float fromSub = 2\n}\n");
    tu_write(dir, "ref.usda",
             "#usda 1.0\n(defaultPrim = \"R\")\ndef Scope \"R\" {\n float fromRef = 3\n def Mesh \"M\" {}\n}\n");
    CHECK(run("usd", "cat", in, "-o", o1, NULL) == 0);
    CHECK(run("usd", "cat", o1, "-o", o2, NULL) == 0);
    size_t n1, n2;
    char *t1 = tu_read(o1, &n1), *t2 = tu_read(o2, &n2);
    CHECK(t1 && t2 && n1 == n2 && !memcmp(t1, t2, n1)); /* byte for byte */
    free(t1);
    free(t2);
    /* an unknown value type is a warning (on stderr), not a failure; the attribute is written back */
    char typo[1024], typo_out[1024];
    snprintf(typo, sizeof typo, "%s/typo.usda", dir);
    snprintf(typo_out, sizeof typo_out, "%s/typo_out.usda", dir);
    tu_write(dir, "typo.usda", "#usda 1.0\ndef \"A\" {\n    flaot[] x = [1]\n}\n");
    CHECK(run("usd", "cat", typo, "-o", typo_out, NULL) == 0);
    char *tt = tu_read(typo_out, NULL);
    CHECK(tt && strstr(tt, "flaot[] x = [1]"));
    free(tt);
    CHECK(run("usd", "cat", in, "--flatten", "-o", of) == 0);
    char *f = tu_read(of, NULL);
    CHECK(f && strstr(f, "float fromSub = 2") && strstr(f, "float fromRef = 3") && strstr(f, "def Mesh \"M\"") &&
          !strstr(f, "references"));
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
    if (tf)
        clearerr(stdout);
    CHECK(rc == 0);
    char *t = tu_read(tp, NULL);
    /* the referenced (weaker) prim's children first, as Pcp composes them */
    CHECK(t && strstr(t, "/\n    W [def Xform]\n        M [def Mesh]\n        C [def]\n"));
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
    usdcat_options(dir);
    usdtree_options(dir);
    tu_rmrf(dir);
    free(dir);
    TU_END();
}
