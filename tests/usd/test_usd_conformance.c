/* usd_conformance DIR: every DIR/<rule>/scene.usda, composed and flattened,
 * must equal DIR/<rule>/expected.usda byte for byte (expected outputs are
 * worked out by hand from OpenUSD's documented behaviour; see README.md).
 * usd_conformance --roundtrip ROOT: every .usda below ROOT (build and
 * hidden folders skipped) must read, write, re-read and re-write with the
 * two written texts identical. */
#define _XOPEN_SOURCE 700
#include <dirent.h>
#include <ftw.h>
#include <limits.h>
#include <stdlib.h>
#include <unistd.h>

#include "tu.h"

static int nfiles;

/* text with every occurrence of from replaced by to (malloc'ed; text freed) */
static char *replace_all(char *text, const char *from, const char *to) {
    size_t nf = strlen(from), nt = strlen(to), n = 0;
    if (!text || !nf)
        return text;
    for (const char *p = strstr(text, from); p; p = strstr(p + nf, from))
        n++;
    char *r = malloc(strlen(text) + n * nt + 1), *w = r;
    if (!r)
        return text;
    const char *p = text;
    for (const char *q = strstr(p, from); q; p = q + nf, q = strstr(p, from)) {
        memcpy(w, p, (size_t)(q - p));
        w += q - p;
        memcpy(w, to, nt);
        w += nt;
    }
    strcpy(w, p);
    free(text);
    return r;
}

/* Flattening anchors relative asset paths to the layer that authored them (absolute paths): the
 * scene folder is written SCENE_DIR in expected.usda so the files do not depend on the checkout. */
static char *placeholder_dir(char *text, const char *scene) {
    char dir[2048], cwd[1024], real[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", scene);
    char *slash = strrchr(dir, '/');
    if (slash)
        *slash = 0;
    if (realpath(dir, real))
        text = replace_all(text, real, "SCENE_DIR");
    if (dir[0] != '/' && getcwd(cwd, sizeof cwd)) {
        char abs[3200];
        snprintf(abs, sizeof abs, "%s/%s", cwd, dir);
        text = replace_all(text, abs, "SCENE_DIR");
    } else
        text = replace_all(text, dir, "SCENE_DIR");
    return text;
}

typedef struct {
    char *text;
    size_t len, cap;
} strbuf;

static bool add_path(pusd_prim *p, void *ctx) {
    strbuf *b = ctx;
    size_t n = strlen(pusd_prim_path(p)) + 1;
    if (b->len + n + 1 > b->cap) {
        size_t cap = (b->cap + n + 1) * 2;
        char *t = realloc(b->text, cap);
        if (!t)
            return false;
        b->text = t;
        b->cap = cap;
    }
    memcpy(b->text + b->len, pusd_prim_path(p), n - 1);
    b->text[b->len + n - 1] = '\n';
    b->len += n;
    b->text[b->len] = 0;
    return true;
}

/* DIR/<rule>/traversal.txt, when present: the prims the default traversal visits, one path a
 * line, in order (UsdStage::Traverse). */
static void check_traversal(pusd_stage *s, const char *traversal) {
    char *want = tu_read(traversal, NULL);
    if (!want)
        return;
    strbuf b = {NULL, 0, 0};
    pusd_stage_traverse(s, NULL, add_path, &b);
    bool same = b.text && !strcmp(b.text, want);
    if (!same)
        fprintf(stderr, "%s: traversal differs\n--- got\n%s--- expected\n%s", traversal, b.text ? b.text : "",
                want);
    CHECK(same);
    free(b.text);
    free(want);
}

static void conformance(const char *dir) {
    struct dirent **ents;
    int n = scandir(dir, &ents, NULL, alphasort);
    CHECK(n > 0);
    int cases = 0;
    for (int i = 0; i < n; i++) {
        char scene[1024], expected[1024], traversal[1024];
        snprintf(scene, sizeof scene, "%s/%s/scene.usda", dir, ents[i]->d_name);
        snprintf(traversal, sizeof traversal, "%s/%s/traversal.txt", dir, ents[i]->d_name);
        snprintf(expected, sizeof expected, "%s/%s/expected.usda", dir, ents[i]->d_name);
        char *want = ents[i]->d_name[0] != '.' ? tu_read(expected, NULL) : NULL;
        if (want) {
            cases++;
            pusd_stage *s = NULL;
            pusd_error e;
            char *got = NULL;
            if (pusd_stage_open(scene, &s, &e) == 0) {
                pusd_layer *flat = pusd_stage_flatten(s, &e);
                got = flat ? placeholder_dir(pusd_layer_to_string(flat, NULL), scene) : NULL;
                pusd_layer_free(flat);
                check_traversal(s, traversal);
            } else
                fprintf(stderr, "%s: %s\n", scene, e.message);
            bool same = got && !strcmp(got, want);
            if (!same)
                fprintf(stderr, "%s: flatten differs\n--- got\n%s--- expected\n%s", scene, got ? got : "", want);
            CHECK(same);
            free(got);
            pusd_stage_free(s);
            free(want);
        }
        free(ents[i]);
    }
    free(ents);
    printf("%d conformance scenes\n", cases);
    CHECK(cases >= 10);
}

static int visit(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st;
    const char *base = path + ftw->base;
    if (flag == FTW_D && ftw->level > 0 &&
        (base[0] == '.' || !strncmp(base, "build", 5) || !strcmp(base, "node_modules")))
        return FTW_SKIP_SUBTREE;
    size_t n = strlen(base);
    if (flag != FTW_F || n < 5 || strcmp(base + n - 5, ".usda"))
        return FTW_CONTINUE;
    nfiles++;
    pusd_layer *l = NULL, *l2 = NULL;
    pusd_error e;
    if (pusd_layer_open(path, &l, &e)) {
        fprintf(stderr, "%s:%d:%d: %s\n", path, e.line, e.column, e.message);
        CHECK(0);
        return FTW_CONTINUE;
    }
    size_t n1 = 0, n2 = 0;
    char *t1 = pusd_layer_to_string(l, &n1), *t2 = NULL;
    if (t1 && !pusd_layer_parse(path, t1, n1, &l2, &e))
        t2 = pusd_layer_to_string(l2, &n2);
    bool same = t1 && t2 && n1 == n2 && !memcmp(t1, t2, n1);
    if (!same)
        fprintf(stderr, "%s: read -> write -> read -> write is not byte-identical\n", path);
    CHECK(same);
    free(t1);
    free(t2);
    pusd_layer_free(l);
    pusd_layer_free(l2);
    return FTW_CONTINUE;
}

int main(int argc, char **argv) {
    if (argc == 3 && !strcmp(argv[1], "--roundtrip")) {
        CHECK(nftw(argv[2], visit, 16, FTW_PHYS | FTW_ACTIONRETVAL) == 0);
        printf("%d .usda files\n", nfiles);
        CHECK(nfiles >= 20);
    } else if (argc == 2)
        conformance(argv[1]);
    else {
        fprintf(stderr, "usage: test_usd_conformance DIR | --roundtrip ROOT\n");
        return 2;
    }
    TU_END();
}
