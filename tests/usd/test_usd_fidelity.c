/* Issue 15, reading what OpenUSD reads: attributes of unknown value types
 * kept with their values (and a warning), legacy type names, `.spline`
 * values kept, Unicode XID identifiers; list-op metadata and reorder
 * statements kept. Every accepted file must also write, read back and
 * write byte-identically. */
#include "tu.h"

/* Parses text, writes it, re-reads and re-writes: the two outputs must be
 * identical. Returns the first output (caller frees) and the layer. */
static char *round_trip(const char *text, pusd_layer **out) {
    pusd_error e;
    pusd_layer *l = tu_parse(text, &e);
    CHECK(l != NULL);
    if (!l) {
        fprintf(stderr, "parse failed: %d:%d %s\n", e.line, e.column, e.message);
        return NULL;
    }
    size_t n1, n2;
    char *t1 = pusd_layer_to_string(l, &n1);
    pusd_layer *l2 = tu_parse(t1, &e);
    CHECK(l2 != NULL);
    char *t2 = l2 ? pusd_layer_to_string(l2, &n2) : NULL;
    CHECK(t1 && t2 && !strcmp(t1, t2));
    if (t1 && t2 && strcmp(t1, t2))
        fprintf(stderr, "not stable:\n%s\n---\n%s\n", t1, t2);
    free(t2);
    pusd_layer_free(l2);
    *out = l;
    return t1;
}

static void unknown_types(void) {
    const char *t = "#usda 1.0\ndef \"A\" {\n    flaot[] x = []\n    uint2 u = (1, 2)\n"
                    "    vec3f v.timeSamples = {\n        0: (1, 2, 3),\n        1: None,\n    }\n"
                    "    matrix m\n    Foo::Bar q = [1, \"two\", (3)]\n}\n";
    pusd_layer *l;
    char *o = round_trip(t, &l);
    if (!o)
        return;
    CHECK(strstr(o, "flaot[] x = []\n") != NULL);
    CHECK(strstr(o, "uint2 u = (1, 2)\n") != NULL);
    CHECK(strstr(o, "vec3f v.timeSamples = {\n        0: (1, 2, 3),\n        1: None,\n") != NULL);
    CHECK(strstr(o, "matrix m\n") != NULL);
    CHECK(strstr(o, "Foo::Bar q = [1, \"two\", (3)]\n") != NULL);
    CHECK(pusd_layer_warning_count(l) == 5);
    const pusd_error *w = pusd_layer_warning(l, 0);
    CHECK(w && w->line == 3 && w->column == 5 && w->status == PUSD_OK && !strcmp(w->file, "test.usda"));
    CHECK(w && strstr(w->message, "unknown value type 'flaot' for attribute 'x'") &&
          strstr(w->message, "did you mean 'float'?"));
    w = pusd_layer_warning(l, 3);
    CHECK(w && strstr(w->message, "'matrix'") && strstr(w->message, "did you mean"));
    CHECK(pusd_layer_warning(l, 5) == NULL);
    /* the composed value is the text as written */
    pusd_stage *s;
    pusd_error e;
    CHECK(pusd_stage_from_layer(l, &s, &e) == 0);
    pusd_prim *a = pusd_stage_prim_at_path(s, "/A");
    pusd_value v;
    CHECK(a && pusd_prim_get_attr(a, "u", PUSD_TIME_DEFAULT, &v) == 0);
    CHECK(v.type == PUSD_T_UNKNOWN && v.data);
    CHECK_STR(pusd_value_get_string(&v, 0), "(1, 2)");
    CHECK_STR(pusd_prim_attr_type_name(a, "u"), "uint2");
    CHECK(pusd_prim_get_attr(a, "v", 0, &v) == 0 && v.type == PUSD_T_UNKNOWN);
    CHECK_STR(pusd_value_get_string(&v, 0), "(1, 2, 3)");
    pusd_layer *flat = pusd_stage_flatten(s, &e);
    char *fo = flat ? pusd_layer_to_string(flat, NULL) : NULL;
    CHECK(fo && strstr(fo, "uint2 u = (1, 2)\n"));
    free(fo);
    pusd_layer_free(flat);
    pusd_stage_free(s);
    free(o);
}

static void legacy_names(void) {
    const char *t =
        "#usda 1.0\ndef \"A\" {\n    ColorFloat c = (1, 0, 0)\n    PointFloat[] p = [(1, 2, 3)]\n"
        "    Vec3f v = (1, 2, 3)\n    Transform m = ((1, 0, 0, 0), (0, 1, 0, 0), (0, 0, 1, 0), (0, 0, 0, 1))\n"
        "    PointIndex i = 3\n}\n";
    pusd_layer *l;
    char *o = round_trip(t, &l);
    if (!o)
        return;
    CHECK(strstr(o, "color3f c = (1, 0, 0)\n") && strstr(o, "point3f[] p = [(1, 2, 3)]\n"));
    CHECK(strstr(o, "float3 v = (1, 2, 3)\n") && strstr(o, "matrix4d m = ( (1, 0, 0, 0),") &&
          strstr(o, "int i = 3\n"));
    CHECK(pusd_layer_warning_count(l) == 0);
    free(o);
    pusd_layer_free(l);
    bool arr;
    CHECK(pusd_type_parse("ColorFloat[]", &arr) == PUSD_T_COLOR3F && arr);
}

static void splines(void) {
    const char *t = "#usda 1.0\ndef \"A\" {\n    double a = 1\n    double a.spline = {\n        bezier,\n"
                    "        pre: held, post: sloped(0.57),\n        loop: (15, 25, 0, 2, 11.7),\n"
                    "        7: 5.5 & 7.21; pre (0, 0); post curve (2.5, -0.3),\n        15: 8.18; post held,\n"
                    "    }\n    float b.spline = {}\n}\n";
    pusd_layer *l;
    char *o = round_trip(t, &l);
    if (!o)
        return;
    CHECK(strstr(o, "    double a = 1\n    double a.spline = {\n        bezier,\n") != NULL);
    CHECK(strstr(o, "7: 5.5 & 7.21; pre (0, 0); post curve (2.5, -0.3),\n") != NULL);
    CHECK(strstr(o, "    float b.spline = {}\n") != NULL);
    free(o);
    pusd_layer_free(l);
    pusd_error e;
    CHECK(tu_parse("#usda 1.0\ndef \"A\" {\n    double a.spline = 3\n}\n", &e) == NULL);
    CHECK(strstr(e.message, "'{' starting a spline") != NULL);
}

static void identifiers(void) {
    /* letters of any script, '_' first, combining marks and digits after the first */
    const char *t =
        "#usda 1.0\ndef \"Gr\xc3\xb6\xc3\x9f"
        "e\" {\n    float \xc3\xb1"
        "ame = 1\n    float _x = 2\n"
        "    float \xe6\x97\xa5\xe6\x9c\xac:\xce\xb1\xcf\x80 = 3\n    float e\xcc\x81t\xc3\xa9 = 4\n}\n"
        "def \"_0\" {\n}\n";
    pusd_layer *l;
    char *o = round_trip(t, &l);
    if (!o)
        return;
    CHECK(pusd_layer_prim(l, "/Gr\xc3\xb6\xc3\x9f"
                             "e") != NULL);
    CHECK(strstr(o, "float \xe6\x97\xa5\xe6\x9c\xac:\xce\xb1\xcf\x80 = 3\n") != NULL);
    free(o);
    pusd_layer_free(l);
    pusd_error e;
    CHECK(tu_parse("#usda 1.0\ndef \"0a\" {\n}\n", &e) == NULL);
    pusd_layer *ok = tu_parse("#usda 1.0\ndef \"a\xcc\x81\" {\n}\n", &e);
    CHECK(ok != NULL);
    pusd_layer_free(ok);
    CHECK(tu_parse("#usda 1.0\ndef \"\xcc\x81"
                   "a\" {\n}\n",
                   &e) == NULL); /* a combining mark cannot start */
}

static void list_ops_and_reorders(void) {
    const char *t =
        "#usda 1.0\ndef \"P\" (\n    prepend myList = [\"a\"]\n    append myList = [\"b\"]\n"
        "    delete myList = [\"c\"]\n    append myList = [\"b2\"]\n    apiSchemas = [\"A\"]\n"
        "    prepend apiSchemas = [\"B\"]\n    other = [1]\n    other = [2]\n)\n{\n"
        "    reorder nameChildren = [\"c\", \"a\"]\n    reorder properties = [\"z\", \"x\"]\n"
        "    float x = 1\n    float y = 2\n    float z = 3\n    float w = 0\n"
        "    def \"a\" {\n    }\n    def \"b\" {\n    }\n    def \"c\" {\n    }\n    def \"d\" {\n    }\n}\n";
    pusd_layer *l;
    char *o = round_trip(t, &l);
    if (!o)
        return;
    /* every operation of an unregistered key is kept (a repeated one replaces its items) */
    CHECK(strstr(o, "    prepend myList = [\"a\"]\n    append myList = [\"b2\"]\n    delete myList = [\"c\"]\n"));
    CHECK(strstr(o, "other = [2]\n") && !strstr(o, "other = [1]"));
    /* an edit after an explicit list replaces it, as SdfListOp does */
    CHECK(strstr(o, "prepend apiSchemas = [\"B\"]\n") && !strstr(o, "apiSchemas = [\"A\"]"));
    /* written as Sdf writes them: reorder properties first */
    CHECK(strstr(
        o, "    reorder properties = [\"z\", \"x\"]\n    reorder nameChildren = [\"c\", \"a\"]\n    float x"));
    free(o);
    pusd_stage *s;
    pusd_error e;
    CHECK(pusd_stage_from_layer(l, &s, &e) == 0);
    pusd_prim *p = pusd_stage_prim_at_path(s, "/P");
    CHECK(p && pusd_prim_child_count(p) == 4);
    /* SdfListOp ordering: each ordered name keeps the unordered names that followed it */
    const char *want[] = {"c", "d", "a", "b"};
    for (size_t i = 0; p && i < 4; i++)
        CHECK_STR(pusd_prim_name(pusd_prim_child(p, i)), want[i]);
    /* dictionary order, then propertyOrder's names moved to the front (UsdPrim; SdfListOp would give w z x y) */
    const char *wantp[] = {"z", "x", "w", "y"};
    CHECK(p && pusd_prim_property_count(p) == 4);
    for (size_t i = 0; p && i < 4; i++)
        CHECK_STR(pusd_prim_property_name(p, i), wantp[i]);
    pusd_layer *flat = pusd_stage_flatten(s, &e);
    char *fo = flat ? pusd_layer_to_string(flat, NULL) : NULL;
    CHECK(fo && strstr(fo, "    reorder properties = [\"z\", \"x\"]\n    reorder nameChildren = [\"c\", \"a\"]\n "
                           "   float z = 3\n    float x = 1\n    float w = 0\n    float y = 2\n\n    def \"c\""));
    CHECK(fo && strstr(fo, "delete myList = [\"c\"]") && strstr(fo, "apiSchemas = [\"B\"]\n"));
    free(fo);
    pusd_layer_free(flat);
    pusd_stage_free(s);
}

int main(void) {
    unknown_types();
    legacy_names();
    splines();
    identifiers();
    list_ops_and_reorders();
    TU_END();
}
