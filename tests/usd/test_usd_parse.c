/* Reader tests: every grammar feature and value type, and error positions. */
#include "tu.h"

static int parse_double_check(const char *s, double *out) {
    char *end;
    *out = strtod(s, &end);
    return *end == 0;
}

static pusd_stage *stage_of(const char *text) {
    pusd_error e;
    pusd_layer *l = tu_parse(text, &e);
    if (!l) {
        char b[1200];
        pusd_error_format(&e, b, sizeof b);
        fprintf(stderr, "unexpected parse failure: %s\n", b);
        return NULL;
    }
    pusd_stage *s;
    if (pusd_stage_from_layer(l, &s, &e))
        return NULL;
    return s;
}

static pusd_value attr(pusd_stage *s, const char *path, const char *name) {
    pusd_value v = {0};
    pusd_prim *p = pusd_stage_prim_at_path(s, path);
    if (p)
        pusd_prim_get_attr(p, name, PUSD_TIME_DEFAULT, &v);
    return v;
}

static void test_header_comments(void) {
    pusd_stage *s = stage_of("#usda 1.0 trailing text ignored\n# comment\n// comment\n/* block\n comment */\n"
                             "def \"A\" /* inline */ { # c\n int x = 1 // c\n}");
    CHECK(s != NULL);
    if (!s)
        return;
    CHECK(pusd_stage_prim_at_path(s, "/A") != NULL);
    pusd_value v = attr(s, "/A", "x");
    CHECK(v.type == PUSD_T_INT && ((const int32_t *)v.data)[0] == 1);
    pusd_stage_free(s);
    pusd_layer *l = tu_parse("#sdf 1.4.32\ndef \"B\"\n{\n}\n", NULL);
    CHECK(l != NULL);
    pusd_layer_free(l);
    l = tu_parse("#usda 1.0\r\ndef \"B\"\r\n{\r\n    float f = 1\r\n}\r\n", NULL); /* CRLF */
    CHECK(l != NULL);
    pusd_layer_free(l);
    l = tu_parse("#usda 1.0\ndef \"A\" {\n}; def \"B\" {\n}", NULL); /* ';' separator, no ending newline */
    CHECK(l != NULL && pusd_layer_prim(l, "/B"));
    pusd_layer_free(l);
}

static void test_layer_metadata(void) {
    const char *t =
        "#usda 1.0\n(\n    \"the comment\"\n    defaultPrim = \"World\"\n    upAxis = \"Z\"\n    metersPerUnit = "
        "0.01\n"
        "    timeCodesPerSecond = 60\n    framesPerSecond = 30\n    startTimeCode = 1\n    endTimeCode = 240\n"
        "    doc = \"\"\"Layer\ndoc\"\"\"\n    customLayerData = {\n        string creator = \"me\"\n        "
        "dictionary d = { int a = 1 }\n    }\n"
        "    subLayers = [\n        @./a.usda@ (offset = 10; scale = 2),\n        @b.usda@\n    ]\n"
        "    myStudio:unknownKey = { <a> : <b> }\n    otherUnknown = [1, \"two\", (3, 4)]\n)\ndef Xform "
        "\"World\" {\n}\n";
    pusd_error e;
    pusd_layer *l = tu_parse(t, &e);
    CHECK(l != NULL);
    if (!l)
        return;
    pusd_value v;
    CHECK(!pusd_layer_get_metadata(l, "defaultPrim", &v) && !strcmp(pusd_value_get_string(&v, 0), "World"));
    CHECK(!pusd_layer_get_metadata(l, "upAxis", &v) && v.type == PUSD_T_TOKEN);
    CHECK(!pusd_layer_get_metadata(l, "metersPerUnit", &v) && pusd_value_get_double(&v, 0, 0) == 0.01);
    CHECK(!pusd_layer_get_metadata(l, "timeCodesPerSecond", &v) && pusd_value_get_double(&v, 0, 0) == 60);
    CHECK(!pusd_layer_get_metadata(l, "framesPerSecond", &v) && pusd_value_get_double(&v, 0, 0) == 30);
    CHECK(!pusd_layer_get_metadata(l, "startTimeCode", &v) && pusd_value_get_double(&v, 0, 0) == 1);
    CHECK(!pusd_layer_get_metadata(l, "endTimeCode", &v) && pusd_value_get_double(&v, 0, 0) == 240);
    CHECK(!pusd_layer_get_metadata(l, "doc", &v) && !strcmp(pusd_value_get_string(&v, 0), "Layer\ndoc"));
    CHECK(!pusd_layer_get_metadata(l, "comment", &v) && !strcmp(pusd_value_get_string(&v, 0), "the comment"));
    CHECK(!pusd_layer_get_metadata(l, "customLayerData", &v) && v.type == PUSD_T_DICTIONARY);
    if (v.type == PUSD_T_DICTIONARY) {
        const pusd_dict *d = v.data;
        CHECK(d->count == 2 && !strcmp(d->entries[0].key, "creator") &&
              d->entries[1].value.type == PUSD_T_DICTIONARY);
    }
    CHECK(!pusd_layer_get_metadata(l, "myStudio:unknownKey", &v) && v.type == PUSD_T_RAW &&
          !strcmp(pusd_value_get_string(&v, 0), "{ <a> : <b> }"));
    CHECK(!pusd_layer_get_metadata(l, "otherUnknown", &v) && v.type == PUSD_T_RAW);
    double off, sc;
    CHECK(pusd_layer_sublayer_count(l) == 2);
    CHECK_STR(pusd_layer_sublayer(l, 0, &off, &sc), "./a.usda");
    CHECK(off == 10 && sc == 2);
    CHECK_STR(pusd_layer_sublayer(l, 1, &off, &sc), "b.usda");
    CHECK(off == 0 && sc == 1);
    pusd_layer_free(l);
}

static void test_prims(void) {
    const char *t = "#usda 1.0\ndef \"Typeless\"\n{\n}\nover \"O\" {\n}\nclass \"_C\" {\n}\n"
                    "def Xform \"A\" {\n    def Scope \"B\" {\n        def Mesh \"C\" {\n            def \"D\" "
                    "{\n                def \"E\" {\n}\n}\n}\n}\n}\n"
                    "def My::Custom \"Cust\" {\n}\ndef \"Ünïcødé_名前\" {\n}\n";
    pusd_stage *s = stage_of(t);
    CHECK(s != NULL);
    if (!s)
        return;
    pusd_prim *p = pusd_stage_prim_at_path(s, "/Typeless");
    CHECK(p && !strcmp(pusd_prim_type_name(p), "") && pusd_prim_specifier(p) == 'd');
    p = pusd_stage_prim_at_path(s, "/O");
    CHECK(p && pusd_prim_specifier(p) == 'o' && !pusd_prim_is_defined(p));
    p = pusd_stage_prim_at_path(s, "/_C");
    CHECK(p && pusd_prim_specifier(p) == 'c');
    p = pusd_stage_prim_at_path(s, "/A/B/C/D/E");
    CHECK(p != NULL);
    CHECK_STR(pusd_prim_type_name(pusd_stage_prim_at_path(s, "/A/B/C")), "Mesh");
    CHECK_STR(pusd_prim_type_name(pusd_stage_prim_at_path(s, "/Cust")), "My::Custom");
    CHECK(pusd_stage_prim_at_path(s, "/Ünïcødé_名前") != NULL);
    /* default traversal skips over and class prims */
    size_t n = pusd_stage_traverse(s, NULL, NULL, NULL);
    CHECK(n == 8);
    pusd_filter f = {"Mesh", NULL, 0};
    CHECK(pusd_stage_traverse(s, &f, NULL, NULL) == 1);
    pusd_stage_free(s);
}

static void test_prim_metadata(void) {
    const char *t = "#usda 1.0\n"
                    "def \"Base\" {\n}\n"
                    "def Xform \"P\" (\n"
                    "    \"doc string\"\n"
                    "    kind = \"component\"\n"
                    "    active = true\n"
                    "    hidden = false\n"
                    "    instanceable = true\n"
                    "    customData = { string a = \"b\"; int[] c = [1, 2] }\n"
                    "    assetInfo = { asset identifier = @./x.usda@ ; string version = \"1\" }\n"
                    "    documentation = \"more\"\n"
                    "    prepend apiSchemas = [\"A1API\", \"A2API\"]\n"
                    "    append apiSchemas = \"A3API\"\n"
                    "    delete apiSchemas = [\"A2API\"]\n"
                    "    add references = </Base>\n"
                    "    prepend payload = @./p.usda@</X> (offset = 1.5; scale = 2)\n"
                    "    inherits = [</Base>]\n"
                    "    specializes = None\n"
                    "    variants = { string v = \"a\" }\n"
                    "    prepend variantSets = [\"v\"]\n"
                    "    permission = public\n"
                    "    symmetryFunction = \n"
                    "    displayName = \"Pretty\"\n"
                    ") {\n}\n";
    /* symmetryFunction with empty value is not valid; use a name */
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", t);
    char *q = strstr(buf, "symmetryFunction = \n");
    memcpy(q, "symmetryFunction=f\n", 19);
    memmove(q + 19, q + 20, strlen(q + 20) + 1);
    pusd_error e;
    pusd_layer *l = tu_parse(buf, &e);
    if (!l) {
        char b[1200];
        pusd_error_format(&e, b, sizeof b);
        fprintf(stderr, "%s\n", b);
    }
    CHECK(l != NULL);
    if (!l)
        return;
    pusd_stage *s;
    pusd_stage_from_layer(l, &s, &e);
    pusd_prim *p = pusd_stage_prim_at_path(s, "/P");
    CHECK(p != NULL);
    if (p) {
        pusd_value v;
        CHECK(!pusd_prim_get_metadata(p, "kind", &v) && !strcmp(pusd_value_get_string(&v, 0), "component"));
        CHECK(!pusd_prim_get_metadata(p, "comment", &v) && !strcmp(pusd_value_get_string(&v, 0), "doc string"));
        CHECK(!pusd_prim_get_metadata(p, "instanceable", &v) && ((const uint8_t *)v.data)[0] == 1);
        CHECK(!pusd_prim_get_metadata(p, "hidden", &v) && ((const uint8_t *)v.data)[0] == 0);
        CHECK(!pusd_prim_get_metadata(p, "customData", &v) && v.type == PUSD_T_DICTIONARY);
        CHECK(!pusd_prim_get_metadata(p, "assetInfo", &v) &&
              ((const pusd_dict *)v.data)->entries[0].value.type == PUSD_T_ASSET);
        CHECK(!pusd_prim_get_metadata(p, "permission", &v) && !strcmp(pusd_value_get_string(&v, 0), "public"));
        CHECK(!pusd_prim_get_metadata(p, "payload", &v) && v.type == PUSD_T_PAYLOAD_LISTOP);
        if (v.type == PUSD_T_PAYLOAD_LISTOP) {
            const pusd_listop *lo = v.data;
            const pusd_reference *r = lo->items[PUSD_LISTOP_PREPEND];
            CHECK(lo->count[PUSD_LISTOP_PREPEND] == 1 && !strcmp(r->asset_path, "./p.usda") &&
                  !strcmp(r->prim_path, "/X") && r->offset == 1.5 && r->scale == 2);
        }
        CHECK(!pusd_prim_get_metadata(p, "references", &v) &&
              ((const pusd_listop *)v.data)->count[PUSD_LISTOP_ADD] == 1);
        CHECK(!pusd_prim_get_metadata(p, "specializes", &v) && ((const pusd_listop *)v.data)->is_explicit);
        /* within one spec SdfListOp applies delete, add, prepend, append, reorder in that order */
        CHECK(pusd_prim_api_schema_count(p) == 3);
        CHECK_STR(pusd_prim_api_schema(p, 0), "A1API");
        CHECK_STR(pusd_prim_api_schema(p, 2), "A3API");
        CHECK(pusd_prim_has_api(p, "A3API") && pusd_prim_has_api(p, "A2API"));
        CHECK_STR(pusd_prim_variant_selection(p, "v"), "a");
        pusd_filter f = {NULL, "A1API", 0};
        CHECK(pusd_stage_traverse(s, &f, NULL, NULL) == 1);
    }
    pusd_stage_free(s);
}

static void test_value_types(void) {
    const char *t =
        "#usda 1.0\ndef \"V\" {\n"
        "    bool b1 = true\n    bool b2 = 0\n    bool b3 = Yes\n    uchar uc = 255\n    int i = -2147483648\n   "
        " uint u = 4294967295\n"
        "    int64 i64 = -9223372036854775808\n    uint64 u64 = 18446744073709551615\n    half h = 0.5\n    "
        "float f = 1.5e-3\n"
        "    double d = .25\n    timecode tc = 12.5\n    string s = \"a\\tb\\x41\\101\\q\"\n    token t = 'tok'\n"
        "    asset a = @./x.usda@\n    asset a2 = @@@a@b.usda@@@\n"
        "    int2 i2 = (1, 2)\n    int3 i3 = (1, 2, 3)\n    int4 i4 = (1, 2, 3, 4)\n    half2 h2 = (1, 2)\n    "
        "half3 h3 = (1, 2, 3)\n"
        "    half4 h4 = (1, 2, 3, 4)\n    float2 f2 = (1, 2)\n    float3 f3 = (1, 2, 3)\n    float4 f4 = (1, 2, "
        "3, 4)\n"
        "    double2 d2 = (1, 2)\n    double3 d3 = (1, 2, 3)\n    double4 d4 = (1, 2, 3, 4)\n"
        "    point3h p3h = (1, 2, 3)\n    point3f p3f = (1, 2, 3)\n    point3d p3d = (1, 2, 3)\n"
        "    vector3h v3h = (1, 2, 3)\n    vector3f v3f = (1, 2, 3)\n    vector3d v3d = (1, 2, 3)\n"
        "    normal3h n3h = (1, 2, 3)\n    normal3f n3f = (0, 0, 1)\n    normal3d n3d = (1, 2, 3)\n"
        "    color3h c3h = (1, 2, 3)\n    color3f c3f = (1, 0.5, 0)\n    color3d c3d = (1, 2, 3)\n"
        "    color4h c4h = (1, 2, 3, 4)\n    color4f c4f = (1, 2, 3, 4)\n    color4d c4d = (1, 2, 3, 4)\n"
        "    texCoord2h t2h = (1, 2)\n    texCoord2f t2f = (1, 2)\n    texCoord2d t2d = (1, 2)\n"
        "    texCoord3h t3h = (1, 2, 3)\n    texCoord3f t3f = (1, 2, 3)\n    texCoord3d t3d = (1, 2, 3)\n"
        "    quath qh = (1, 0, 0, 0)\n    quatf qf = (0.5, 0.1, 0.2, 0.3)\n    quatd qd = (1, 0, 0, 0)\n"
        "    matrix2d m2 = ((1, 2), (3, 4))\n    matrix3d m3 = ((1, 0, 0), (0, 1, 0), (0, 0, 1))\n"
        "    matrix4d m4 = ( (1, 0, 0, 0), (0, 1, 0, 0), (0, 0, 1, 0), (5, 6, 7, 1) )\n"
        "    frame4d fr = ((1, 0, 0, 0), (0, 1, 0, 0), (0, 0, 1, 0), (0, 0, 0, 1))\n"
        "    float[] fa = [1, 2, 3,]\n    point3f[] pts = [(1, 2, 3), (4, 5, 6)]\n    token[] ta = [\"a\", "
        "\"b\"]\n"
        "    matrix4d[] ma = [((1, 0, 0, 0), (0, 1, 0, 0), (0, 0, 1, 0), (0, 0, 0, 1))]\n    int[] empty = []\n"
        "    string[] sa = [\"x\", '''y\nz''']\n    asset[] aa = [@a@, @b@]\n    quatf[] qa = [(1, 0, 0, 0)]\n"
        "    bool[] ba = [true, false, 1]\n    half[] ha = [0.1, 65504]\n    double[] da = [inf, -inf, nan, "
        "1e308]\n"
        "    custom uniform float cu = 1\n    config int cfg = 1\n    float blocked = None\n    float3 extent\n"
        "    opaque op\n    group grp\n    pathExpression pe = \"/World//*\"\n"
        "    uniform token[] xformOpOrder = [\"xformOp:translate\"]\n"
        "}\n";
    pusd_stage *s = stage_of(t);
    CHECK(s != NULL);
    if (!s)
        return;
    pusd_value v;
    v = attr(s, "/V", "b1");
    CHECK(v.type == PUSD_T_BOOL && ((const uint8_t *)v.data)[0] == 1);
    v = attr(s, "/V", "b3");
    CHECK(((const uint8_t *)v.data)[0] == 1);
    v = attr(s, "/V", "uc");
    CHECK(((const uint8_t *)v.data)[0] == 255);
    v = attr(s, "/V", "i");
    CHECK(((const int32_t *)v.data)[0] == INT32_MIN);
    v = attr(s, "/V", "u");
    CHECK(((const uint32_t *)v.data)[0] == UINT32_MAX);
    v = attr(s, "/V", "i64");
    CHECK(((const int64_t *)v.data)[0] == INT64_MIN);
    v = attr(s, "/V", "u64");
    CHECK(((const uint64_t *)v.data)[0] == UINT64_MAX);
    v = attr(s, "/V", "h");
    CHECK(v.type == PUSD_T_HALF && ((const uint16_t *)v.data)[0] == 0x3800);
    v = attr(s, "/V", "f");
    CHECK(((const float *)v.data)[0] == 1.5e-3f);
    v = attr(s, "/V", "d");
    CHECK(((const double *)v.data)[0] == 0.25);
    v = attr(s, "/V", "tc");
    CHECK(v.type == PUSD_T_TIMECODE && pusd_value_get_double(&v, 0, 0) == 12.5);
    v = attr(s, "/V", "s");
    CHECK_STR(pusd_value_get_string(&v, 0), "a\tbAAq");
    v = attr(s, "/V", "t");
    CHECK_STR(pusd_value_get_string(&v, 0), "tok");
    v = attr(s, "/V", "a2");
    CHECK_STR(pusd_value_get_string(&v, 0), "a@b.usda");
    static const char *const tuples[] = {"i2",  "i3",  "i4",  "h2",  "h3",  "h4",  "f2",  "f3",
                                         "f4",  "d2",  "d3",  "d4",  "p3h", "p3f", "p3d", "v3h",
                                         "v3f", "v3d", "n3h", "n3d", "c3h", "c3d", "c4h", "c4f",
                                         "c4d", "t2h", "t2f", "t2d", "t3h", "t3f", "t3d"};
    for (size_t i = 0; i < sizeof tuples / sizeof tuples[0]; i++) {
        v = attr(s, "/V", tuples[i]);
        int nc = pusd_type_components(v.type);
        CHECK(v.data && nc >= 2 && pusd_value_get_double(&v, 0, 0) == 1 &&
              pusd_value_get_double(&v, 0, nc - 1) == nc);
    }
    v = attr(s, "/V", "qf");
    CHECK(v.type == PUSD_T_QUATF && ((const float *)v.data)[0] == 0.5f && ((const float *)v.data)[3] == 0.3f);
    v = attr(s, "/V", "m2");
    CHECK(v.type == PUSD_T_MATRIX2D && ((const double *)v.data)[2] == 3);
    v = attr(s, "/V", "m4");
    CHECK(v.type == PUSD_T_MATRIX4D && ((const double *)v.data)[12] == 5 && ((const double *)v.data)[15] == 1);
    v = attr(s, "/V", "fr");
    CHECK(v.type == PUSD_T_FRAME4D);
    v = attr(s, "/V", "fa");
    CHECK((v.flags & PUSD_VF_ARRAY) && v.count == 3 && ((const float *)v.data)[2] == 3);
    v = attr(s, "/V", "pts");
    CHECK(v.count == 2 && ((const float *)v.data)[5] == 6);
    v = attr(s, "/V", "ta");
    CHECK(v.count == 2 && !strcmp(pusd_value_get_string(&v, 1), "b"));
    v = attr(s, "/V", "ma");
    CHECK(v.count == 1 && v.type == PUSD_T_MATRIX4D);
    v = attr(s, "/V", "empty");
    CHECK((v.flags & PUSD_VF_ARRAY) && v.count == 0);
    v = attr(s, "/V", "sa");
    CHECK(v.count == 2 && !strcmp(pusd_value_get_string(&v, 1), "y\nz"));
    v = attr(s, "/V", "ba");
    CHECK(v.count == 3 && ((const uint8_t *)v.data)[2] == 1);
    v = attr(s, "/V", "ha");
    CHECK(v.count == 2 && ((const uint16_t *)v.data)[1] == 0x7bff);
    v = attr(s, "/V", "da");
    CHECK(v.count == 4 && isinf(((const double *)v.data)[0]) && isnan(((const double *)v.data)[2]));
    v = attr(s, "/V", "blocked");
    CHECK(v.flags & PUSD_VF_BLOCKED);
    pusd_prim *p = pusd_stage_prim_at_path(s, "/V");
    CHECK(pusd_prim_get_attr(p, "extent", PUSD_TIME_DEFAULT, &v) == PUSD_ERR_NOT_FOUND);
    CHECK_STR(pusd_prim_attr_type_name(p, "extent"), "float3");
    CHECK_STR(pusd_prim_attr_type_name(p, "op"), "opaque");
    CHECK_STR(pusd_prim_attr_type_name(p, "xformOpOrder"), "token[]");
    v = attr(s, "/V", "pe");
    CHECK(v.type == PUSD_T_PATHEXPRESSION);
    pusd_stage_free(s);
}

static void test_properties(void) {
    const char *t =
        "#usda 1.0\ndef \"P\" {\n"
        "    float a = 1 (\n        interpolation = \"vertex\"\n        elementSize = 3\n        allowedTokens = "
        "[\"x\", \"y\"]\n"
        "        doc = \"attr doc\"\n        customData = { bool ok = 1 }\n        hidden = true\n        "
        "displayUnit = mm\n"
        "        unknownMeta = 5\n    )\n"
        "    float a.timeSamples = {\n        0: 0,\n        10: 10,\n        5: None,\n        -2.5: 7,\n    }\n"
        "    color3f inputs:c.connect = </M/S.outputs:rgb>\n"
        "    color3f inputs:d.connect = [</M/S.outputs:a>, </M/S.outputs:b>]\n"
        "    rel r1\n    rel r2 = </A>\n    rel r3 = [</A>, </B>, ]\n    rel r4 = None\n"
        "    prepend rel r5 = </C>\n    delete rel r5 = </D>\n    custom varying rel r6 = </E>\n"
        "    rel r7.default = </F>\n"
        "    reorder nameChildren = [\"Z\", \"Y\"]\n    reorder properties = [\"r2\", \"r1\"]\n"
        "    def \"Y\" {\n    }\n    def \"Z\" {\n    }\n"
        "    variantSet \"shape\" = {\n        \"cube\" (\n            kind = \"x\"\n        ) {\n            "
        "float size = 2\n"
        "            def \"Inner\" {\n            }\n        }\n        \".sphere-1|x\" {\n        }\n    }\n"
        "}\ndef \"A\" {\n}\ndef \"B\" {\n}\ndef \"M\" {\n    def \"S\" {\n        color3f outputs:rgb\n    "
        "}\n}\n";
    pusd_stage *s = stage_of(t);
    CHECK(s != NULL);
    if (!s)
        return;
    pusd_prim *p = pusd_stage_prim_at_path(s, "/P");
    pusd_value v;
    CHECK(!pusd_prim_get_attr(p, "a", PUSD_TIME_DEFAULT, &v) && ((const float *)v.data)[0] == 1);
    const double *times;
    size_t nt = pusd_prim_attr_sample_times(p, "a", &times);
    CHECK(nt == 4 && times[0] == -2.5 && times[3] == 10);
    CHECK(!pusd_prim_get_attr(p, "a", 5, &v) && (v.flags & PUSD_VF_BLOCKED));
    CHECK(!pusd_prim_get_attr(p, "a", 7.5, &v) && (v.flags & PUSD_VF_BLOCKED)); /* a None sample is held */
    CHECK(!pusd_prim_get_attr(p, "a", -1.25, &v) && v.data && ((const float *)v.data)[0] == 3.5f);
    CHECK(!pusd_prim_get_attr(p, "a", 100, &v) && v.data && ((const float *)v.data)[0] == 10);
    const char **paths;
    CHECK(pusd_prim_targets(p, "inputs:c", true, &paths) == 1 && !strcmp(paths[0], "/M/S.outputs:rgb"));
    CHECK(pusd_prim_targets(p, "inputs:d", true, &paths) == 2);
    CHECK(pusd_prim_targets(p, "r1", false, &paths) == 0);
    CHECK(pusd_prim_targets(p, "r3", false, &paths) == 2 && !strcmp(paths[1], "/B"));
    CHECK(pusd_prim_targets(p, "r4", false, &paths) == 0);
    CHECK(pusd_prim_targets(p, "r5", false, &paths) == 1 && !strcmp(paths[0], "/C"));
    CHECK(pusd_prim_is_relationship(p, "r6") && !pusd_prim_is_relationship(p, "a"));
    CHECK(pusd_prim_child_count(p) == 2 && !strcmp(pusd_prim_name(pusd_prim_child(p, 0)), "Z"));
    pusd_stage_free(s);
}

static void test_strings(void) {
    pusd_stage *s = stage_of("#usda 1.0\ndef \"S\" {\n    string a = \"dq 'x'\"\n    string b = 'sq \"x\"'\n"
                             "    string c = \"\"\"tri\n\"ple\"\"\"\n    string d = '''tri\n'ple'''\n    string "
                             "e = \"\\\\ \\a\\b\\f\\n\\r\\t\\v\\'\\\"\"\n"
                             "    string f = \"utf8 ☃\"\n    string g = \"oct \\101\"\n}\n");
    CHECK(s != NULL);
    if (!s)
        return;
    pusd_value v = attr(s, "/S", "a");
    CHECK_STR(pusd_value_get_string(&v, 0), "dq 'x'");
    v = attr(s, "/S", "b");
    CHECK_STR(pusd_value_get_string(&v, 0), "sq \"x\"");
    v = attr(s, "/S", "c");
    CHECK_STR(pusd_value_get_string(&v, 0), "tri\n\"ple");
    v = attr(s, "/S", "d");
    CHECK_STR(pusd_value_get_string(&v, 0), "tri\n'ple");
    v = attr(s, "/S", "e");
    CHECK_STR(pusd_value_get_string(&v, 0), "\\ \a\b\f\n\r\t\v'\"");
    v = attr(s, "/S", "f");
    CHECK_STR(pusd_value_get_string(&v, 0), "utf8 ☃");
    v = attr(s, "/S", "g");
    CHECK_STR(pusd_value_get_string(&v, 0), "oct A");
    pusd_stage_free(s);
}

/* Broken files: each must fail with the right line:column and message. */
static void test_errors(void) {
    static const struct {
        const char *text;
        int line, col;
        const char *msg;
    } cases[] = {
        {"#usda 1.0\ndef \"A\" {\n}\ndef \"A\" {\n}\n", 4, 5, "duplicate prim"},
        {"#usda 1.0\ndef \"A\" {\n}def \"B\" {\n}\n", 3, 2, "expected a newline"},
        {"#usda 1.0\ndef \"A\" {\n    float3 x = (1, 2)\n}\n", 3, 16, "needs 3 components"},
        {"#usda 1.0\ndef \"A\" {\n    prepend rel r = []\n}\n", 3, 21, "empty target list for 'prepend rel r'"},
        {"#usda 1.0\ndef \"A\" {\n    append rel r = [ ]\n}\n", 3, 20, "OpenUSD rejects"},
        {"#usda 1.0\ndef \"A\" {\n    float a\xc2\xa0"
         "b = 1\n}\n",
         3, 12, "U+00A0 cannot be part of"},
        {"#usda 1.0\ndef \"A\" {\n    float \xe2\x80\xbf"
         "x = 1\n}\n",
         3, 11, "U+203F cannot start"},
        {"#usda 1.0\ndef \"A\" {\n    float a\xc0\xaf = 1\n}\n", 3, 12, "invalid UTF-8"},
        {"#usda 1.0\ndef \"\xf0\x9f\x98\x80\" {\n}\n", 2, 5, "not a valid prim name"},
        {"#usda 1.0\ndef \"A\" {\n    uchar x = 256\n}\n", 3, 15, "out of range"},
        {"#usda 1.0\ndef \"A\" {\n    string s = \"abc\n}\n", 3, 20, "newline in a single-quoted string"},
        {"#usda 1.0\ndef \"A\" (\n    references = </B{v=x}C>\n) {\n}\n", 3, 21,
         "variant selections are not allowed"},
        {"#usda 1.0\ndef \"bad name\" {\n}\n", 2, 5, "not a valid prim name"},
        {"#usda 1.0\ndef \"A\" {\n    float x = 1\n    double x = 2\n}\n", 4, 5, "redeclared with type"},
        {"#usda 1.0\ndef \"A\" {\n    float x = 1\n    uniform float x.timeSamples = { 0: 1 }\n}\n", 4, 5,
         "variability"},
        {"#usda 1.0\ndef \"A\" {\n    opaque x = 1\n}\n", 3, 5, "cannot have an authored value"},
        {"hello\n", 1, 1, "#usda 1.0"},
        {"#usda 1.0\ndef \"A\" {\n", 2, 9, "missing '}'"},
        {"#usda 1.0\n(\n    customLayerData = { strin x = \"a\" }\n)\n", 3, 25,
         "unrecognized value type name 'strin'"},
        {"#usda 1.0\ndef \"A\" {\n    int[] a = [1, 2\n}\n", 4, 1, "expected ',' or ']'"},
        {"#usda 1.0\ndef \"A\" {\n    matrix2d m = ((1, 0), (0, 1), (0, 0))\n}\n", 3, 18, "needs 2 rows"},
        {"#usda 1.0\ndef \"A\" (\n    prepend kind = \"x\"\n) {\n}\n", 3, 13, "cannot be list-edited"},
        {"#usda 1.0\ndef def \"A\" {\n}\n", 2, 5, "keyword"},
        {"#usda 1.0\ndef \"A\" {\n    float a = 1 /* unterminated\n}\n", 3, 17, "unterminated /*"},
        {"#usda 1.0\ndef \"A\" {\n    asset a = @x.usda\n}\n", 3, 15, "unterminated asset path"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        pusd_error e;
        memset(&e, 0, sizeof e);
        pusd_layer *l = tu_parse(cases[i].text, &e);
        bool ok = !l && e.status == PUSD_ERR_SYNTAX && e.line == cases[i].line && e.column == cases[i].col &&
                  strstr(e.message, cases[i].msg) && !strcmp(e.file, "test.usda");
        if (!ok)
            fprintf(stderr, "error case %zu: got %d:%d '%s'\n", i, e.line, e.column, e.message);
        CHECK(ok);
        pusd_layer_free(l);
    }
    pusd_error e;
    pusd_layer *l;
    CHECK(pusd_layer_open("/nonexistent/dir/x.usda", &l, &e) == PUSD_ERR_IO && l == NULL &&
          strstr(e.message, "cannot open"));
    char buf[1300];
    tu_parse("#usda 1.0\ndef \"A\" {\n}def \"B\" {\n}\n", &e);
    pusd_error_format(&e, buf, sizeof buf);
    CHECK(!strncmp(buf, "test.usda:3:2: error: expected a newline", 40));
}

static void test_numbers_format(void) {
    char b[40];
    pusd_format_double(0.1, b);
    CHECK_STR(b, "0.1");
    pusd_format_double(1e-7, b);
    CHECK_STR(b, "1e-7");
    pusd_format_double(1e21, b);
    CHECK_STR(b, "1e+21");
    pusd_format_double(123456789012, b);
    CHECK_STR(b, "123456789012");
    pusd_format_double(-0.000015, b);
    CHECK_STR(b, "-0.000015");
    pusd_format_float(0.1f, b);
    CHECK_STR(b, "0.1");
    pusd_format_float(3.4028235e38f, b);
    CHECK_STR(b, "3.4028235e+38");
    pusd_format_half(0x3555, b); /* 0.333251953125 */
    CHECK_STR(b, "0.3333");
    /* round trip of many random doubles and floats */
    unsigned long long x = 88172645463325252ull;
    int bad = 0;
    for (int i = 0; i < 20000; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        double d;
        uint64_t bits = x;
        memcpy(&d, &bits, 8);
        if (isnan(d) || isinf(d))
            continue;
        pusd_format_double(d, b);
        double r;
        if (!parse_double_check(b, &r))
            bad++;
        if (memcmp(&r, &d, 8))
            bad++;
        float f;
        uint32_t fb = (uint32_t)x;
        memcpy(&f, &fb, 4);
        if (isnan(f) || isinf(f))
            continue;
        pusd_format_float(f, b);
        float rf = strtof(b, NULL);
        if (memcmp(&rf, &f, 4))
            bad++;
    }
    CHECK(bad == 0);
    /* the reader's fast float path agrees with strtof on tricky inputs */
    static const char *const inputs[] = {
        "0.1",    "1.17549435e-38", "3.4028235e38",     "16777217", "0.30000001192092896", "1e-45", "8.589973e9",
        "2.5e-8", "123456.789e3",   "9007199254740993", "0.000001"};
    for (size_t i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        char text[200];
        snprintf(text, sizeof text, "#usda 1.0\ndef \"N\" {\n    float f = %s\n    double d = %s\n}\n", inputs[i],
                 inputs[i]);
        pusd_stage *s = stage_of(text);
        pusd_value v = attr(s, "/N", "f");
        float want = strtof(inputs[i], NULL);
        CHECK(v.data && !memcmp(v.data, &want, 4));
        v = attr(s, "/N", "d");
        double wd = strtod(inputs[i], NULL);
        CHECK(v.data && !memcmp(v.data, &wd, 8));
        pusd_stage_free(s);
    }
}

int main(void) {
    test_header_comments();
    test_layer_metadata();
    test_prims();
    test_prim_metadata();
    test_value_types();
    test_properties();
    test_strings();
    test_errors();
    test_numbers_format();
    TU_END();
}
