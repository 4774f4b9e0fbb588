/* Round trip: parse -> write -> parse gives identical data and the writer
 * is byte-stable; floats print in the shortest form that reads back. */
#include "tu.h"

static char *write_of(pusd_layer *l) {
    size_t n;
    return pusd_layer_to_string(l, &n);
}

static void roundtrip_file(const char *path) {
    pusd_layer *l;
    pusd_error e;
    int rc = pusd_layer_open(path, &l, &e);
    CHECK(rc == 0);
    if (rc) {
        fprintf(stderr, "%s:%d:%d: %s\n", e.file, e.line, e.column, e.message);
        return;
    }
    char *t1 = write_of(l);
    pusd_layer *l2 = tu_parse(t1, &e);
    CHECK(l2 != NULL);
    if (!l2) {
        fprintf(stderr, "re-read failed %d:%d %s\n%s\n", e.line, e.column, e.message, t1);
        free(t1);
        pusd_layer_free(l);
        return;
    }
    char *t2 = write_of(l2);
    CHECK(t1 && t2 && !strcmp(t1, t2));
    CHECK(pusd_layer_prim_count(l) == pusd_layer_prim_count(l2));
    free(t1);
    free(t2);
    pusd_layer_free(l);
    pusd_layer_free(l2);
}

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint64_t next(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* Author random bit patterns of every float kind, write, read: same bits. */
static void float_bits(void) {
    enum { N = 3000 };
    static double d[N];
    static float f[N];
    static uint16_t h[N];
    for (int i = 0; i < N; i++) {
        uint64_t x = next();
        memcpy(&d[i], &x, 8);
        uint32_t y = (uint32_t)(x >> 7);
        memcpy(&f[i], &y, 4);
        h[i] = (uint16_t)(x >> 21);
        if (isnan(d[i]))
            d[i] = (double)i;
        if (isnan(f[i]))
            f[i] = (float)i;
        if ((h[i] & 0x7c00) == 0x7c00 && (h[i] & 0x3ff))
            h[i] = 0;
    }
    d[0] = 5e-324;
    d[1] = 1.7976931348623157e308;
    d[2] = -0.0;
    f[0] = 1e-45f;
    f[1] = 3.4028235e38f;
    h[0] = 1;
    h[1] = 0x7bff;
    pusd_stage *s = pusd_stage_new("/tmp/pusd_bits.usda");
    pusd_value v = pusd_val_array(PUSD_T_DOUBLE, d, N);
    CHECK(!pusd_stage_set_attr(s, "/B", "d", "double[]", false, PUSD_TIME_DEFAULT, &v, NULL));
    v = pusd_val_array(PUSD_T_FLOAT, f, N);
    CHECK(!pusd_stage_set_attr(s, "/B", "f", "float[]", false, PUSD_TIME_DEFAULT, &v, NULL));
    v = pusd_val_array(PUSD_T_HALF, h, N);
    CHECK(!pusd_stage_set_attr(s, "/B", "h", "half[]", false, PUSD_TIME_DEFAULT, &v, NULL));
    size_t n;
    char *text = pusd_layer_to_string(pusd_stage_root_layer(s), &n);
    pusd_layer *l = tu_parse(text, NULL);
    CHECK(l != NULL);
    if (l) {
        pusd_stage *s2;
        pusd_stage_from_layer(l, &s2, NULL);
        pusd_prim *p = pusd_stage_prim_at_path(s2, "/B");
        pusd_value r;
        CHECK(p && !pusd_prim_get_attr(p, "d", PUSD_TIME_DEFAULT, &r) && r.count == N &&
              !memcmp(r.data, d, sizeof d));
        CHECK(p && !pusd_prim_get_attr(p, "f", PUSD_TIME_DEFAULT, &r) && r.count == N &&
              !memcmp(r.data, f, sizeof f));
        CHECK(p && !pusd_prim_get_attr(p, "h", PUSD_TIME_DEFAULT, &r) && r.count == N &&
              !memcmp(r.data, h, sizeof h));
        pusd_stage_free(s2);
    }
    /* shortest: no value prints longer than needed (0.1f -> "0.1") */
    CHECK(strstr(text, "-0") != NULL);
    free(text);
    pusd_stage_free(s);
}

/* Unknown metadata and type names survive a round trip unchanged. */
static void unknowns(void) {
    const char *t = "#usda 1.0\n(\n    studio:pipelineData = {\n        int a = 1\n    }\n    anotherKey = [<a>, "
                    "@b@, \"c\"]\n)\n\n"
                    "def Strange::Type \"X\" (\n    prepend myListOp = [\"a\"]\n    unknownMeta = 1.5\n)\n{\n"
                    "    Mystery::Type thing (\n        unknownAttrMeta = (1, 2)\n    )\n}\n";
    pusd_layer *l = tu_parse(t, NULL);
    CHECK(l != NULL);
    if (!l)
        return;
    char *o = write_of(l);
    CHECK(strstr(o, "studio:pipelineData = {\n        int a = 1\n    }") != NULL);
    CHECK(strstr(o, "anotherKey = [<a>, @b@, \"c\"]") != NULL);
    CHECK(strstr(o, "def Strange::Type \"X\"") != NULL);
    CHECK(strstr(o, "prepend myListOp = [\"a\"]") != NULL);
    CHECK(strstr(o, "unknownMeta = 1.5") != NULL);
    CHECK(strstr(o, "Mystery::Type thing (\n        unknownAttrMeta = (1, 2)\n    )") != NULL);
    pusd_layer *l2 = tu_parse(o, NULL);
    char *o2 = l2 ? write_of(l2) : NULL;
    CHECK(o2 && !strcmp(o, o2));
    free(o);
    free(o2);
    pusd_layer_free(l);
    pusd_layer_free(l2);
}

/* The canonical layout (what usdcat prints). */
static void layout(void) {
    const char *t = "#usda 1.0\n(\n defaultPrim = \"W\"\n)\ndef Xform \"W\" ( kind = \"group\" ) {\n double3 "
                    "xformOp:translate = (1,2,3)\n"
                    " def \"C\" { float a.timeSamples = { 1: 2, 0: 1 } }\n def \"D\" {}\n}\n";
    const char *want =
        "#usda 1.0\n(\n    defaultPrim = \"W\"\n)\n\ndef Xform \"W\" (\n    kind = \"group\"\n)\n{\n"
        "    double3 xformOp:translate = (1, 2, 3)\n\n    def \"C\"\n    {\n        float a.timeSamples = {\n"
        "            0: 1,\n            1: 2,\n        }\n    }\n\n    def \"D\"\n    {\n    }\n}\n";
    pusd_layer *l = tu_parse(t, NULL);
    CHECK(l != NULL);
    if (!l)
        return;
    char *o = write_of(l);
    CHECK_STR(o, want);
    free(o);
    pusd_layer_free(l);
}

/* Bytes that are not UTF-8 are written as \xNN (as OpenUSD does), valid
 * UTF-8 as it is, so the output is UTF-8 and reads back to the same bytes. */
static void invalid_utf8(void) {
    /* lone continuation, overlong '/', surrogate, truncated euro sign, F5; then valid é and 😀 */
    const char *t = "#usda 1.0\ndef \"A\" {\n string s = \"a\x80"
                    "b\xc0\xaf\xed\xa0\x80\xe2\x82\xf5 "
                    "\xc3\xa9\xf0\x9f\x98\x80\"\n}\n";
    pusd_layer *l = tu_parse(t, NULL);
    CHECK(l != NULL);
    if (!l)
        return;
    char *o = write_of(l);
    CHECK(o &&
          strstr(o, "string s = \"a\\x80b\\xc0\\xaf\\xed\\xa0\\x80\\xe2\\x82\\xf5 \xc3\xa9\xf0\x9f\x98\x80\"\n"));
    size_t high = 0; /* only the 6 bytes of the valid characters stay raw */
    for (const unsigned char *p = (const unsigned char *)o; o && *p; p++)
        high += *p >= 0x80;
    CHECK(high == 6);
    pusd_layer *l2 = o ? tu_parse(o, NULL) : NULL;
    CHECK(l2 != NULL);
    char *o2 = l2 ? write_of(l2) : NULL;
    CHECK(o && o2 && !strcmp(o, o2));
    free(o);
    free(o2);
    pusd_layer_free(l);
    pusd_layer_free(l2);
}

int main(void) {
    const char *files[] = {"all_features.usda", "wasm_scene.usda", "composition/root.usda"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char p[1024];
        snprintf(p, sizeof p, "%s/%s", USD_TEST_DATA, files[i]);
        roundtrip_file(p);
    }
    float_bits();
    unknowns();
    layout();
    invalid_utf8();
    TU_END();
}
