/* Lazy composition: prims whose subtree authors no arcs are composed on first
 * access, and counting traversals walk their specs. These tests check that
 * the answers are the ones full composition gives: counts with and without a
 * callback, filters, sublayer stacks, reorder statements, inactive and
 * abstract prims, path lookup of uncomposed prims, diagnostics complete
 * right after open, structural edits under lazy prims. */
#include "tu.h"

static char *dir;

static pusd_stage *open_root(const char *name) {
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    pusd_stage *s = NULL;
    pusd_error e;
    if (pusd_stage_open(p, &s, &e))
        fprintf(stderr, "open %s: %d:%d %s\n", p, e.line, e.column, e.message);
    return s;
}

typedef struct collect {
    char buf[4096];
} collect;

static bool collect_fn(pusd_prim *p, void *ctx) {
    collect *c = ctx;
    size_t n = strlen(c->buf);
    snprintf(c->buf + n, sizeof c->buf - n, "%s ", pusd_prim_path(p));
    return true;
}

static bool count_fn(pusd_prim *p, void *ctx) {
    (void)p;
    (*(size_t *)ctx)++;
    return true;
}

/* a traversal that only counts must agree with one that hands out prims */
static void same_counts(const char *root) {
    const char *types[] = {NULL, "Xform", "Scope", "Mesh"};
    const char *apis[] = {NULL, "AAPI", "BAPI", "CAPI"};
    for (unsigned flags = 0; flags < 2; flags++)
        for (int t = 0; t < 4; t++)
            for (int a = 0; a < 4; a++) {
                pusd_filter f = {types[t], apis[a], flags};
                pusd_stage *s1 = open_root(root), *s2 = open_root(root);
                if (!s1 || !s2) {
                    CHECK(0);
                    return;
                }
                size_t n = 0;
                size_t c1 = pusd_stage_traverse(s1, &f, NULL, NULL);   /* lazy: walks specs */
                size_t c2 = pusd_stage_traverse(s2, &f, count_fn, &n); /* composes every visited prim */
                size_t c3 = pusd_stage_traverse(s1, &f, NULL, NULL);
                size_t c4 = pusd_stage_traverse(s2, &f, NULL, NULL); /* now everything is composed */
                if (c1 != c2 || c2 != n || c3 != c1 || c4 != c2)
                    fprintf(stderr, "%s flags %u type %s api %s: %zu %zu %zu %zu %zu\n", root, flags,
                            types[t] ? types[t] : "-", apis[a] ? apis[a] : "-", c1, c2, n, c3, c4);
                CHECK(c1 == c2 && c2 == n && c3 == c1 && c4 == c2);
                pusd_stage_free(s1);
                pusd_stage_free(s2);
            }
    /* default predicate (NULL filter) too */
    pusd_stage *s1 = open_root(root), *s2 = open_root(root);
    size_t n = 0;
    CHECK(pusd_stage_traverse(s1, NULL, NULL, NULL) == pusd_stage_traverse(s2, NULL, count_fn, &n));
    pusd_stage_free(s1);
    pusd_stage_free(s2);
}

static void layer_stack(void) {
    tu_write(dir, "lz_root.usda",
             "#usda 1.0\n(\n    subLayers = [@lz_strong.usda@, @lz_weak.usda@]\n)\n"
             "reorder rootPrims = [\"Z\", \"World\"]\n"
             "def Xform \"World\" (\n    prepend apiSchemas = [\"AAPI\"]\n)\n{\n"
             "    reorder nameChildren = [\"C\", \"A\"]\n"
             "    def Xform \"A\" {\n        def Mesh \"M\" {\n        }\n    }\n"
             "    def Scope \"B\" (\n        active = false\n    )\n    {\n        def Mesh \"Hidden\" {\n       "
             " }\n    }\n"
             "    over \"C\" {\n        def Mesh \"UnderOver\" {\n        }\n    }\n"
             "    class Xform \"K\" {\n        def Mesh \"InClass\" {\n        }\n    }\n"
             "}\n"
             "def \"Z\" {\n    def Xform \"Z1\" (\n        apiSchemas = [\"BAPI\", \"CAPI\"]\n    )\n    {\n    "
             "}\n}\n");
    tu_write(dir, "lz_strong.usda",
             "#usda 1.0\nover \"World\" (\n    delete apiSchemas = [\"AAPI\"]\n    prepend apiSchemas = "
             "[\"BAPI\"]\n)\n{\n"
             "    over \"A\" {\n        float x = 2\n        def Scope \"FromStrong\" {\n        }\n    }\n"
             "    def Scope \"D\" {\n    }\n"
             "    over \"B\" (\n        active = true\n    )\n    {\n    }\n"
             "}\n");
    tu_write(
        dir, "lz_weak.usda",
        "#usda 1.0\ndef Scope \"World\" {\n    def \"C\" {\n        def Mesh \"FromWeak\" {\n        }\n    }\n"
        "    over \"A\" {\n        float x = 3\n        float y = 4\n    }\n}\n");
    same_counts("lz_root.usda");

    pusd_stage *s = open_root("lz_root.usda");
    if (!s) {
        CHECK(0);
        return;
    }
    collect c = {{0}};
    pusd_filter all = {NULL, NULL, PUSD_TRAVERSE_ALL};
    pusd_stage_traverse(s, &all, collect_fn, &c);
    /* rootPrims reorder; World's children as Pcp composes them, weakest layer first (weak: C A,
     * strong adds D B, root adds K), then the root's reorder C, A (each ordered name keeps the
     * unordered names that followed it); likewise C: FromWeak UnderOver, A: FromStrong M */
    CHECK_STR(
        c.buf,
        "/Z /Z/Z1 /World /World/C /World/C/FromWeak /World/C/UnderOver /World/A /World/A/FromStrong /World/A/M "
        "/World/D /World/B /World/K /World/K/InClass ");
    /* B: root says active = false, stronger than the sublayer's active = true: no children */
    pusd_prim *b = pusd_stage_prim_at_path(s, "/World/B");
    CHECK(b && !pusd_prim_is_active(b) && pusd_prim_child_count(b) == 0);
    CHECK(pusd_stage_prim_at_path(s, "/World/B/Hidden") == NULL);
    pusd_stage_free(s);

    /* lookups of uncomposed prims, before any traversal */
    s = open_root("lz_root.usda");
    pusd_prim *a = pusd_stage_prim_at_path(s, "/World/A");
    CHECK(a != NULL);
    if (a) {
        pusd_value v;
        CHECK(!pusd_prim_get_attr(a, "x", PUSD_TIME_DEFAULT, &v) && pusd_value_get_double(&v, 0, 0) == 2);
        CHECK(!pusd_prim_get_attr(a, "y", PUSD_TIME_DEFAULT, &v) && pusd_value_get_double(&v, 0, 0) == 4);
        CHECK_STR(pusd_prim_type_name(a), "Xform");
        CHECK(pusd_prim_child_count(a) == 2);
        CHECK_STR(pusd_prim_path(pusd_prim_child(a, 1)), "/World/A/M");
        CHECK(pusd_prim_parent(a) == pusd_stage_prim_at_path(s, "/World"));
    }
    CHECK(pusd_stage_prim_at_path(s, "/World/A") == a); /* same handle */
    pusd_prim *w = pusd_stage_prim_at_path(s, "/World");
    /* weakest to strongest: strong layer deletes AAPI (nothing yet) and prepends BAPI, root prepends AAPI */
    CHECK(w && pusd_prim_api_schema_count(w) == 2 && !strcmp(pusd_prim_api_schema(w, 0), "AAPI") &&
          !strcmp(pusd_prim_api_schema(w, 1), "BAPI"));
    CHECK_STR(pusd_prim_type_name(w), "Xform");
    CHECK(pusd_stage_prim_at_path(s, "/World/A/") == NULL);
    CHECK(pusd_stage_prim_at_path(s, "//World") == NULL);
    CHECK(pusd_stage_prim_at_path(s, "World/A") == NULL);
    CHECK(pusd_stage_prim_at_path(s, "/World//A") == NULL);
    CHECK(pusd_stage_prim_at_path(s, "/World/Nope") == NULL);
    CHECK(pusd_stage_prim_at_path(s, "/World/A/M/Deeper") == NULL);
    CHECK(pusd_stage_prim_at_path(s, "/World/C/FromWeak") != NULL);
    CHECK(pusd_stage_prim_at_path(s, "/Z/Z1") != NULL &&
          pusd_prim_has_api(pusd_stage_prim_at_path(s, "/Z/Z1"), "CAPI"));
    CHECK(pusd_stage_default_prim(s) == NULL);
    CHECK(pusd_stage_diagnostic_count(s) == 0);
    pusd_stage_free(s);
}

/* many siblings: the child lookup index, handles by index and by path agree */
static void fan_out(void) {
    size_t cap = 1 << 16, len = 0;
    char *t = malloc(cap);
    len += (size_t)snprintf(t + len, cap - len,
                            "#usda 1.0\n(\n    defaultPrim = \"World\"\n)\ndef Xform \"World\"\n{\n");
    for (int i = 0; i < 300; i++)
        len += (size_t)snprintf(t + len, cap - len, "    def %s \"P%d\" {\n        float v = %d\n    }\n",
                                i % 3 ? "Xform" : "Scope", i, i);
    snprintf(t + len, cap - len, "}\n");
    tu_write(dir, "lz_fan.usda", t);
    free(t);
    same_counts("lz_fan.usda");
    pusd_stage *s = open_root("lz_fan.usda");
    if (!s) {
        CHECK(0);
        return;
    }
    CHECK(pusd_stage_default_prim(s) == pusd_stage_prim_at_path(s, "/World"));
    int bad = 0;
    for (int i = 299; i >= 0; i -= 7) {
        char p[64];
        snprintf(p, sizeof p, "/World/P%d", i);
        pusd_prim *q = pusd_stage_prim_at_path(s, p);
        pusd_value v;
        if (!q || pusd_prim_get_attr(q, "v", PUSD_TIME_DEFAULT, &v) || pusd_value_get_double(&v, 0, 0) != i)
            bad++;
        if (q != pusd_prim_child(pusd_stage_prim_at_path(s, "/World"), (size_t)i))
            bad++;
    }
    CHECK(bad == 0);
    CHECK(pusd_stage_prim_at_path(s, "/World/P300") == NULL);
    CHECK(pusd_stage_prim_at_path(s, "/World/P") == NULL);
    pusd_filter f = {"Scope", NULL, 0};
    CHECK(pusd_stage_traverse(s, &f, NULL, NULL) == 100);
    /* flatten composes what is left and writes every prim */
    pusd_layer *fl = pusd_stage_flatten(s, NULL);
    CHECK(fl && pusd_layer_prim_count(fl) == 301);
    pusd_layer_free(fl);
    pusd_stage_free(s);
}

/* arcs deep below arc-free siblings are composed when the stage opens, so
 * their diagnostics are there right after open, in document order */
static void arcs_below_lazy(void) {
    tu_write(dir, "lz_arcs_ref.usda",
             "#usda 1.0\n(\n    defaultPrim = \"Asset\"\n)\ndef Xform \"Asset\" {\n    float r = 7\n"
             "    def Mesh \"Geo\" {\n    }\n}\n");
    tu_write(dir, "lz_arcs.usda",
             "#usda 1.0\ndef Xform \"World\" {\n    def Xform \"Plain\" {\n        def Mesh \"G\" {\n        }\n "
             "   }\n"
             "    def Xform \"Group\" {\n        def Xform \"Missing\" (\n            references = @nope.usda@\n "
             "       )\n        {\n        }\n"
             "        def Xform \"Inst\" (\n            references = @lz_arcs_ref.usda@\n        )\n        {\n  "
             "      }\n"
             "        def Xform \"Cyc\" (\n            inherits = </World/Group/Cyc>\n        )\n        {\n     "
             "   }\n    }\n}\n");
    pusd_stage *s = open_root("lz_arcs.usda");
    if (!s) {
        CHECK(0);
        return;
    }
    CHECK(pusd_stage_diagnostic_count(s) == 2);
    if (pusd_stage_diagnostic_count(s) == 2) {
        CHECK(strstr(pusd_stage_diagnostic(s, 0)->message, "nope.usda") != NULL);
        CHECK(strstr(pusd_stage_diagnostic(s, 1)->message, "cycle") != NULL);
    }
    pusd_prim *g = pusd_stage_prim_at_path(s, "/World/Group/Inst/Geo");
    CHECK(g && !strcmp(pusd_prim_type_name(g), "Mesh"));
    pusd_value v;
    pusd_prim *in = pusd_stage_prim_at_path(s, "/World/Group/Inst");
    CHECK(in && !pusd_prim_get_attr(in, "r", PUSD_TIME_DEFAULT, &v) && pusd_value_get_double(&v, 0, 0) == 7);
    pusd_stage_free(s);
    same_counts("lz_arcs.usda");
}

/* structural edits under lazy prims recompose; adding an arc to a prim that
 * was lazy brings in the referenced children */
static void edits(void) {
    tu_write(dir, "lz_edit_ref.usda",
             "#usda 1.0\n(\n    defaultPrim = \"Asset\"\n)\ndef Xform \"Asset\" {\n    def Mesh \"Body\" {\n    "
             "}\n}\n");
    tu_write(dir, "lz_edit.usda",
             "#usda 1.0\ndef Xform \"World\" {\n    def Xform \"A\" {\n    }\n    def Xform \"B\" {\n    }\n}\n");
    pusd_stage *s = open_root("lz_edit.usda");
    if (!s) {
        CHECK(0);
        return;
    }
    CHECK(pusd_stage_traverse(s, NULL, NULL, NULL) == 3);
    pusd_error e;
    CHECK(pusd_stage_define_prim(s, "/World/A/New", "Mesh", &e) == 0);
    CHECK(pusd_stage_traverse(s, NULL, NULL, NULL) == 4);
    pusd_prim *n = pusd_stage_prim_at_path(s, "/World/A/New");
    CHECK(n && !strcmp(pusd_prim_type_name(n), "Mesh"));
    CHECK(pusd_stage_add_reference(s, "/World/B", "lz_edit_ref.usda", "", &e) == 0);
    CHECK(pusd_stage_prim_at_path(s, "/World/B/Body") != NULL);
    CHECK(pusd_stage_traverse(s, NULL, NULL, NULL) == 5);
    uint8_t f = 0;
    pusd_value fv = pusd_val_bool(&f);
    CHECK(pusd_stage_set_prim_metadata(s, "/World/A", "active", &fv, &e) == 0);
    CHECK(pusd_stage_prim_at_path(s, "/World/A/New") == NULL);
    CHECK(pusd_stage_traverse(s, NULL, NULL, NULL) == 3);
    /* a namespace deeper than composition allows (only authoring can make one) is reported as
     * soon as the stage recomposes, lazily composed or not */
    char *deep = malloc(405 * 3 + 16);
    size_t dl = (size_t)sprintf(deep, "/World");
    for (int i = 0; i < 405; i++)
        dl += (size_t)sprintf(deep + dl, "/D");
    CHECK(pusd_stage_define_prim(s, deep, "Xform", &e) == 0);
    free(deep);
    size_t n1 = pusd_stage_traverse(s, NULL, NULL, NULL), cnt = 0;
    bool too_deep = false;
    for (size_t i = 0; i < pusd_stage_diagnostic_count(s); i++)
        if (strstr(pusd_stage_diagnostic(s, i)->message, "namespace too deep"))
            too_deep = true;
    CHECK(too_deep);
    CHECK(pusd_stage_traverse(s, NULL, count_fn, &cnt) == n1 && cnt == n1);
    CHECK(n1 == 3 + 400); /* /World/D... down to depth 401; the prims below are not composed */
    pusd_stage_free(s);
}

int main(void) {
    dir = tu_tmpdir();
    if (!dir)
        return 1;
    layer_stack();
    fan_out();
    arcs_below_lazy();
    edits();
    TU_END();
}
