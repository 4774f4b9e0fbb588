/* Composition: sublayer strength and offsets, references (external and
 * internal), payloads, inherits, specializes, variants, LIVRPS order,
 * list-op composition, cycles and flattening. */
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

static double num(pusd_stage *s, const char *path, const char *attr, double t) {
    pusd_prim *p = pusd_stage_prim_at_path(s, path);
    pusd_value v;
    if (!p || pusd_prim_get_attr(p, attr, t, &v) || !v.data)
        return NAN;
    return pusd_value_get_double(&v, 0, 0);
}

static void sublayers(void) {
    tu_write(dir, "sub_root.usda",
             "#usda 1.0\n(\n    subLayers = [@./sub_strong.usda@, @sub_weak.usda@ (offset = 10; scale = 2)]\n)\n"
             "over \"W\" {\n    float local = 1\n}\n");
    tu_write(dir, "sub_strong.usda",
             "#usda 1.0\ndef Xform \"W\" (\n    prepend apiSchemas = [\"CAPI\"]\n    delete apiSchemas = "
             "[\"AAPI\"]\n)\n{\n"
             "    float x = 2\n    float local = 99\n}\n");
    tu_write(
        dir, "sub_weak.usda",
        "#usda 1.0\ndef Scope \"W\" (\n    prepend apiSchemas = [\"AAPI\", \"BAPI\"]\n)\n{\n    float x = 3\n"
        "    float y = 4\n    float anim.timeSamples = { 0: 0, 10: 100 }\n    def \"OnlyWeak\" {\n    }\n}\n");
    pusd_stage *s = open_root("sub_root.usda");
    CHECK(s != NULL);
    if (!s)
        return;
    CHECK(num(s, "/W", "local", PUSD_TIME_DEFAULT) == 1); /* root layer strongest */
    CHECK(num(s, "/W", "x", PUSD_TIME_DEFAULT) == 2);     /* first sublayer stronger than second */
    CHECK(num(s, "/W", "y", PUSD_TIME_DEFAULT) == 4);
    /* weak layer: offset 10, scale 2: layer time 10 is stage time 30 */
    CHECK(num(s, "/W", "anim", 10) == 0);
    CHECK(num(s, "/W", "anim", 30) == 100);
    CHECK(num(s, "/W", "anim", 20) == 50);
    pusd_prim *w = pusd_stage_prim_at_path(s, "/W");
    CHECK_STR(pusd_prim_type_name(w), "Xform"); /* strongest typeName */
    CHECK(pusd_prim_specifier(w) == 'd');
    /* apiSchemas: weak [A, B]; strong delete A, prepend C -> [C, B] */
    CHECK(pusd_prim_api_schema_count(w) == 2);
    CHECK_STR(pusd_prim_api_schema(w, 0), "CAPI");
    CHECK_STR(pusd_prim_api_schema(w, 1), "BAPI");
    CHECK(pusd_stage_prim_at_path(s, "/W/OnlyWeak") != NULL);
    const double *times;
    CHECK(pusd_prim_attr_sample_times(w, "anim", &times) == 2 && times[0] == 10 && times[1] == 30);
    CHECK(pusd_stage_diagnostic_count(s) == 0);
    pusd_stage_free(s);
}

static void references(void) {
    tu_write(
        dir, "asset.usda",
        "#usda 1.0\n(\n    defaultPrim = \"Robot\"\n)\ndef Xform \"Robot\" (\n    kind = \"component\"\n)\n{\n"
        "    float mass = 5\n    float speed = 1\n    rel target = </Robot/Arm>\n"
        "    float anim.timeSamples = { 0: 0, 1: 1 }\n    def \"Arm\" {\n        float len = 2\n    }\n}\n"
        "def \"Other\" {\n    float v = 7\n}\n");
    tu_write(dir, "ref_root.usda",
             "#usda 1.0\ndef \"World\" {\n"
             "    def \"R1\" (\n        references = @./asset.usda@ (offset = 100)\n    )\n    {\n        float "
             "speed = 9\n"
             "        over \"Arm\" {\n            float len = 3\n        }\n    }\n"
             "    def \"R2\" (\n        prepend references = [@asset.usda@</Other>, </World/R1>]\n    )\n    {\n "
             "   }\n"
             "    def \"P\" (\n        payload = @./asset.usda@</Robot>\n    )\n    {\n    }\n"
             "    def \"Missing\" (\n        references = @./nope.usda@\n    )\n    {\n    }\n"
             "    def \"BadTarget\" (\n        references = @./asset.usda@</Nope>\n    )\n    {\n    }\n}\n");
    pusd_stage *s = open_root("ref_root.usda");
    CHECK(s != NULL);
    if (!s)
        return;
    CHECK(num(s, "/World/R1", "mass", PUSD_TIME_DEFAULT) == 5);  /* from the referenced file's default prim */
    CHECK(num(s, "/World/R1", "speed", PUSD_TIME_DEFAULT) == 9); /* local beats reference */
    CHECK(num(s, "/World/R1/Arm", "len", PUSD_TIME_DEFAULT) == 3);
    CHECK(num(s, "/World/R1", "anim", 100.5) == 0.5); /* reference layer offset */
    pusd_prim *r1 = pusd_stage_prim_at_path(s, "/World/R1");
    pusd_value v;
    CHECK(r1 && !pusd_prim_get_metadata(r1, "kind", &v) && !strcmp(pusd_value_get_string(&v, 0), "component"));
    const char **t;
    CHECK(r1 && pusd_prim_targets(r1, "target", false, &t) == 1 && !strcmp(t[0], "/World/R1/Arm")); /* mapped */
    CHECK_STR(pusd_prim_type_name(r1), "Xform");
    CHECK(num(s, "/World/R2", "v", PUSD_TIME_DEFAULT) == 7); /* explicit prim path */
    CHECK(num(s, "/World/R2", "speed", PUSD_TIME_DEFAULT) ==
          9); /* internal reference to R1 (and its reference) */
    CHECK(num(s, "/World/R2/Arm", "len", PUSD_TIME_DEFAULT) == 3);
    CHECK(num(s, "/World/P", "mass", PUSD_TIME_DEFAULT) == 5); /* payload */
    CHECK(tu_has_diag(s, "cannot open layer"));
    CHECK(tu_has_diag(s, "<Nope>") || tu_has_diag(s, "/Nope"));
    CHECK(pusd_stage_prim_at_path(s, "/World/Missing") != NULL);
    pusd_stage_free(s);
}

static void livrps(void) {
    const char *base =
        "#usda 1.0\nclass \"_Cls\" {\n    float a = 1\n}\nclass \"_Spec\" {\n    float a = 5\n    float onlySpec "
        "= 5\n}\n"
        "def \"Src\" {\n    float a = 4\n    float onlyRef = 4\n}\n"
        "def \"X\" (\n    %s\n    references = </Src>\n    specializes = </_Spec>\n"
        "    variants = {\n        string v = \"one\"\n    }\n    prepend variantSets = \"v\"\n)\n{\n"
        "    variantSet \"v\" = {\n        \"one\" {\n            float a = 3\n            float onlyVar = 3\n"
        "            def \"FromVariant\" {\n            }\n        }\n        \"two\" {\n            float a = "
        "30\n        }\n    }\n}\n";
    char text[4096];
    snprintf(text, sizeof text, base, "inherits = </_Cls>");
    tu_write(dir, "livrps1.usda", text);
    snprintf(text, sizeof text, base, "");
    tu_write(dir, "livrps2.usda", text);
    pusd_stage *s = open_root("livrps1.usda");
    CHECK(s != NULL);
    if (!s)
        return;
    CHECK(num(s, "/X", "a", PUSD_TIME_DEFAULT) == 1); /* inherits beat variants, references, specializes */
    CHECK(num(s, "/X", "onlyVar", PUSD_TIME_DEFAULT) == 3);
    CHECK(num(s, "/X", "onlyRef", PUSD_TIME_DEFAULT) == 4);
    CHECK(num(s, "/X", "onlySpec", PUSD_TIME_DEFAULT) == 5);
    CHECK(pusd_stage_prim_at_path(s, "/X/FromVariant") != NULL);
    CHECK_STR(pusd_prim_variant_selection(pusd_stage_prim_at_path(s, "/X"), "v"), "one");
    pusd_stage_free(s);
    s = open_root("livrps2.usda");
    CHECK(num(s, "/X", "a", PUSD_TIME_DEFAULT) == 3); /* variant beats reference */
    /* switch the selection by authoring variants metadata */
    const char *two = "two";
    pusd_dict_entry de = {"v", pusd_val_scalar(PUSD_T_STRING, &two)};
    pusd_dict d = {1, &de};
    pusd_value dv = {PUSD_T_DICTIONARY, 0, 1, &d};
    CHECK(!pusd_stage_set_prim_metadata(s, "/X", "variants", &dv, NULL));
    CHECK(num(s, "/X", "a", PUSD_TIME_DEFAULT) == 30);
    CHECK(pusd_stage_prim_at_path(s, "/X/FromVariant") == NULL);
    pusd_stage_free(s);
}

static void cycles(void) {
    tu_write(
        dir, "cyc.usda",
        "#usda 1.0\ndef \"A\" (\n    references = </B>\n)\n{\n}\ndef \"B\" (\n    references = </A>\n)\n{\n}\n"
        "def \"C\" (\n    inherits = </C>\n)\n{\n}\n");
    pusd_stage *s = open_root("cyc.usda");
    CHECK(s != NULL);
    if (!s)
        return;
    CHECK(tu_has_diag(s, "cycle"));
    CHECK(pusd_stage_prim_at_path(s, "/A") && pusd_stage_prim_at_path(s, "/C"));
    pusd_stage_free(s);
    tu_write(dir, "cyc_s1.usda", "#usda 1.0\n(\n    subLayers = [@cyc_s2.usda@]\n)\n");
    tu_write(dir, "cyc_s2.usda", "#usda 1.0\n(\n    subLayers = [@cyc_s1.usda@]\n)\ndef \"Z\" {\n}\n");
    s = open_root("cyc_s1.usda");
    CHECK(s && tu_has_diag(s, "sublayer cycle"));
    CHECK(s && pusd_stage_prim_at_path(s, "/Z"));
    pusd_stage_free(s);
    tu_write(dir, "cyc_e1.usda", "#usda 1.0\ndef \"R\" (\n    references = @cyc_e2.usda@</R>\n)\n{\n}\n");
    tu_write(dir, "cyc_e2.usda", "#usda 1.0\ndef \"R\" (\n    references = @cyc_e1.usda@</R>\n)\n{\n}\n");
    s = open_root("cyc_e1.usda");
    CHECK(s && tu_has_diag(s, "cycle"));
    pusd_stage_free(s);
}

/* An arc to an ancestor or a descendant of a site in the arc chain (ancestral sites included) is
 * a cycle, as Pcp reports it (its ErrorArcCycle museum scene): it would nest the prim inside itself,
 * and followed it recursed through namespace until the depth limit (slow, no clear error). */
static size_t count_all(pusd_stage *s) {
    pusd_filter f = {0};
    f.flags = PUSD_TRAVERSE_ALL;
    return pusd_stage_traverse(s, &f, NULL, NULL);
}

static void ancestor_cycles(void) {
    tu_write(dir, "cyc_anc.usda",
             "#usda 1.0\ndef \"Parent\"\n{\n    def \"Child\" (\n        inherits = </Parent>\n    )\n    {\n    "
             "}\n}\n"
             "def \"Holder\" (\n    inherits = </Holder/Class>\n)\n{\n    class \"Class\"\n    {\n        def "
             "\"Leaf\"\n"
             "        {\n        }\n    }\n}\n"
             "def \"Co1\"\n{\n    def \"Child1\" (\n        inherits = </Co2>\n    )\n    {\n    }\n}\n"
             "def \"Co2\"\n{\n    def \"Child2\" (\n        specializes = </Co1>\n    )\n    {\n    }\n}\n"
             "def \"Anc\"\n{\n    def \"Kid\" (\n        references = </Anc>\n    )\n    {\n    }\n}\n");
    pusd_stage *s = open_root("cyc_anc.usda");
    CHECK(s != NULL);
    if (!s)
        return;
    CHECK(
        tu_has_diag(s, "inherits arc from </Parent/Child> to </Parent> targets an ancestor of </Parent/Child>"));
    CHECK(tu_has_diag(s, "inherits arc from </Holder> to </Holder/Class> targets a descendant of </Holder>"));
    CHECK(tu_has_diag(s, "reference arc from </Anc/Kid> to </Anc> targets an ancestor of </Anc/Kid>"));
    /* co-recursive arcs compose one level, then the arc back to an ancestor is the cycle */
    CHECK(tu_has_diag(
        s, "specializes arc from </Co2/Child2> to </Co1> targets an ancestor of </Co1/Child1/Child2>"));
    CHECK(
        tu_has_diag(s, "inherits arc from </Co1/Child1> to </Co2> targets an ancestor of </Co2/Child2/Child1>"));
    CHECK(!tu_has_diag(s, "too deep"));
    pusd_prim *c = pusd_stage_prim_at_path(s, "/Parent/Child");
    CHECK(c && pusd_prim_child_count(c) == 0);
    CHECK(pusd_stage_prim_at_path(s, "/Co1/Child1/Child2") != NULL);
    c = pusd_stage_prim_at_path(s, "/Co1/Child1/Child2");
    CHECK(c && pusd_prim_child_count(c) == 0);
    /* Parent Child Holder Class Leaf Co1 Child1 Child2 Co2 Child2 Child1 Anc Kid */
    CHECK(count_all(s) == 13);
    pusd_stage_free(s);
#ifdef USD_FUZZ_REGRESS
    /* the fuzzer's input: a 200-character prim inheriting the pseudo root through a path with NULs */
    size_t n = 0;
    char *text = tu_read(USD_FUZZ_REGRESS "/slow-inherit-ancestor-deep-namespace.fuzz", &n);
    pusd_layer *l = NULL;
    pusd_error e;
    s = NULL;
    CHECK(text && !pusd_layer_parse("fuzz.usda", text, n, &l, &e) && !pusd_stage_from_layer(l, &s, &e));
    if (l && s) {
        CHECK(tu_has_diag(s, "composition cycle: inherits arc"));
        CHECK(!tu_has_diag(s, "too deep"));
        CHECK(count_all(s) == 1);
        pusd_stage_free(s);
    }
    free(text);
#endif
}

/* customData composes key by key: the strongest opinion of each key, nested dictionaries merged */
static void dictionaries(void) {
    tu_write(
        dir, "dict_weak.usda",
        "#usda 1.0\nover \"P\" (\n    customData = {\n        int a = 9\n        int b = 2\n"
        "        dictionary n = {\n            int x = 9\n            int y = 2\n        }\n    }\n)\n{\n}\n");
    tu_write(dir, "dict_root.usda",
             "#usda 1.0\n(\n    subLayers = [@dict_weak.usda@]\n)\ndef \"P\" (\n    customData = {\n        int "
             "a = 1\n"
             "        dictionary n = {\n            int x = 1\n        }\n    }\n)\n{\n}\n");
    pusd_stage *s = open_root("dict_root.usda");
    pusd_prim *p = s ? pusd_stage_prim_at_path(s, "/P") : NULL;
    pusd_value v;
    CHECK(p && !pusd_prim_get_metadata(p, "customData", &v) && v.type == PUSD_T_DICTIONARY);
    const pusd_dict *d = p ? v.data : NULL;
    CHECK(d && d->count == 3);
    if (d && d->count == 3) {
        CHECK_STR(d->entries[0].key, "a");
        CHECK(((const int32_t *)d->entries[0].value.data)[0] == 1);
        CHECK_STR(d->entries[1].key, "b");
        const pusd_dict *n = d->entries[2].value.data;
        CHECK(n && n->count == 2 && ((const int32_t *)n->entries[0].value.data)[0] == 1);
    }
    pusd_stage_free(s);
}

static bool collect_path(pusd_prim *p, void *ctx) {
    char *buf = ctx;
    size_t n = strlen(buf);
    snprintf(buf + n, 256 - n, "%s ", pusd_prim_path(p));
    return true;
}

/* below an instance only the arcs' opinions apply: a local override and a local-only child are
 * ignored (Pcp ignores local opinions on an instance's descendants); a non-instance keeps them */
static void instances(void) {
    tu_write(dir, "inst_asset.usda",
             "#usda 1.0\n(\n    defaultPrim = \"A\"\n)\ndef \"A\"\n{\n    def \"Kid\"\n    {\n        float v = "
             "1\n    "
             "}\n}\n");
    tu_write(
        dir, "inst_root.usda",
        "#usda 1.0\ndef \"I\" (\n    instanceable = true\n    references = @inst_asset.usda@\n)\n{\n"
        "    over \"Kid\"\n    {\n        float v = 2\n    }\n    def \"LocalOnly\"\n    {\n    }\n}\n"
        "def \"N\" (\n    references = @inst_asset.usda@\n)\n{\n    over \"Kid\"\n    {\n        float v = 2\n"
        "    }\n}\n");
    pusd_stage *s = open_root("inst_root.usda");
    CHECK(s != NULL);
    if (!s)
        return;
    CHECK(num(s, "/I/Kid", "v", PUSD_TIME_DEFAULT) == 1);
    CHECK(pusd_stage_prim_at_path(s, "/I/LocalOnly") == NULL);
    CHECK(num(s, "/N/Kid", "v", PUSD_TIME_DEFAULT) == 2);
    /* traversal visits an instance but not its proxies unless asked (UsdPrimDefaultPredicate) */
    char seen[256] = "";
    CHECK(pusd_stage_traverse(s, NULL, NULL, NULL) == 3);
    CHECK(pusd_stage_traverse(s, NULL, collect_path, seen) == 3);
    CHECK(!strcmp(seen, "/I /N /N/Kid "));
    pusd_filter all = {NULL, NULL, PUSD_TRAVERSE_ALL};
    CHECK(pusd_stage_traverse(s, &all, NULL, NULL) == 3);
    pusd_filter px = {NULL, NULL, PUSD_TRAVERSE_INSTANCE_PROXIES};
    seen[0] = 0;
    CHECK(pusd_stage_traverse(s, &px, collect_path, seen) == 4);
    CHECK(!strcmp(seen, "/I /I/Kid /N /N/Kid "));
    pusd_prim *ip = pusd_stage_prim_at_path(s, "/I"), *kp = pusd_stage_prim_at_path(s, "/I/Kid");
    CHECK(ip && pusd_prim_is_instance(ip) && !pusd_prim_is_instance_proxy(ip));
    CHECK(kp && !pusd_prim_is_instance(kp) && pusd_prim_is_instance_proxy(kp));
    pusd_prim *np = pusd_stage_prim_at_path(s, "/N");
    CHECK(np && !pusd_prim_is_instance(np));
    pusd_stage_free(s);
}

/* value clips answer time queries between their samples (interpolated inside the active clip at
 * the mapped time), list their samples, never a default; a stronger default in the anchoring
 * layer hides them; below them a weaker layer's samples are not reached */
static void value_clips(void) {
    tu_write(dir, "vc_a.usda",
             "#usda 1.0\ndef \"M\"\n{\n    double v.timeSamples = {\n        0: 0,\n        10: 10,\n    }\n}\n");
    tu_write(
        dir, "vc_b.usda",
        "#usda 1.0\ndef \"M\"\n{\n    double v.timeSamples = {\n        0: 100,\n        10: 200,\n    }\n}\n");
    tu_write(dir, "vc_weak.usda",
             "#usda 1.0\nover \"P\"\n{\n    double v.timeSamples = {\n        0: -1,\n    }\n}\n");
    tu_write(
        dir, "vc_root.usda",
        "#usda 1.0\n(\n    subLayers = [@vc_weak.usda@]\n)\ndef \"P\" (\n    clips = {\n        dictionary "
        "default = {\n"
        "            double2[] active = [(0, 0), (10, 1)]\n"
        "            asset[] assetPaths = [@./vc_a.usda@, @./vc_b.usda@]\n            string primPath = \"/M\"\n"
        "            double2[] times = [(0, 0), (20, 10)]\n        }\n    }\n)\n{\n    double v = 7\n}\n"
        "def \"Q\" (\n    clips = {\n        dictionary default = {\n            double2[] active = [(0, 0)]\n"
        "            asset[] assetPaths = [@./vc_a.usda@]\n            string primPath = \"/M\"\n        }\n    "
        "}\n)\n"
        "{\n    double v\n}\n");
    pusd_stage *s = open_root("vc_root.usda");
    CHECK(s != NULL);
    if (!s)
        return;
    CHECK(num(s, "/P", "v", 5) == 7); /* the anchoring layer's default is stronger */
    CHECK(num(s, "/P", "v", PUSD_TIME_DEFAULT) == 7);
    CHECK(num(s, "/Q", "v", 2.5) == 2.5); /* clip a, identity times */
    CHECK(num(s, "/Q", "v", 50) == 10);   /* held after the last sample */
    CHECK(isnan(num(s, "/Q", "v", PUSD_TIME_DEFAULT)));
    const double *t;
    size_t n = pusd_prim_attr_sample_times(pusd_stage_prim_at_path(s, "/Q"), "v", &t);
    CHECK(n == 2 && t[0] == 0 && t[1] == 10);
    pusd_stage_free(s);
    /* without the stronger default: clip b from 10, times halve stage time */
    tu_write(
        dir, "vc_root2.usda",
        "#usda 1.0\n(\n    subLayers = [@vc_weak.usda@]\n)\ndef \"P\" (\n    clips = {\n        dictionary "
        "default = {\n"
        "            double2[] active = [(0, 0), (10, 1)]\n"
        "            asset[] assetPaths = [@./vc_a.usda@, @./vc_b.usda@]\n            string primPath = \"/M\"\n"
        "            double2[] times = [(0, 0), (20, 10)]\n        }\n    }\n)\n{\n    double v\n}\n");
    s = open_root("vc_root2.usda");
    CHECK(s != NULL);
    if (!s)
        return;
    /* clip a's only sample in its range [-inf, 10) is at stage time 0 (clip time 10 maps to 20):
     * after it Usd brackets with clip b's start and interpolates between clip a at 0 (0) and clip
     * b at 10 (clip time 5: 150), as Usd_ClipSet::GetBracketingTimeSamplesForPath does */
    CHECK(num(s, "/P", "v", 4) == 60);
    CHECK(num(s, "/P", "v", 15) == 175); /* clip b at clip time 7.5 */
    n = pusd_prim_attr_sample_times(pusd_stage_prim_at_path(s, "/P"), "v", &t);
    CHECK(n == 3 && t[0] == 0 && t[1] == 10 && t[2] == 20);
    pusd_stage_free(s);
    /* two sets on one prim: by name, unless clipSets orders them */
    const char *sets =
        "    clips = {\n        dictionary a = {\n            double2[] active = [(0, 0)]\n"
        "            asset[] assetPaths = [@./vc_a.usda@]\n            string primPath = \"/M\"\n        }\n"
        "        dictionary b = {\n            double2[] active = [(0, 0)]\n"
        "            asset[] assetPaths = [@./vc_b.usda@]\n            string primPath = \"/M\"\n        }\n    "
        "}\n";
    char text[2048];
    snprintf(
        text, sizeof text,
        "#usda 1.0\ndef \"S1\" (\n%s)\n{\n    double v\n}\ndef \"S2\" (\n%s    prepend clipSets = [\"b\"]\n)\n{\n"
        "    double v\n}\n",
        sets, sets);
    tu_write(dir, "vc_sets.usda", text);
    s = open_root("vc_sets.usda");
    CHECK(s != NULL);
    if (!s)
        return;
    CHECK(num(s, "/S1", "v", 5) == 5);
    CHECK(num(s, "/S2", "v", 5) == 150);
    pusd_stage_free(s);
    /* through a reference with offset 100: active and times move with the anchoring layer */
    tu_write(dir, "vc_root3.usda",
             "#usda 1.0\ndef \"X\" (\n    references = @vc_root2.usda@</P> (offset = 100)\n)\n{\n}\n");
    s = open_root("vc_root3.usda");
    CHECK(s != NULL);
    if (!s)
        return;
    CHECK(num(s, "/X", "v", 104) == 60); /* as /P at 4 above */
    CHECK(num(s, "/X", "v", 115) == 175);
    n = pusd_prim_attr_sample_times(pusd_stage_prim_at_path(s, "/X"), "v", &t);
    CHECK(n == 3 && t[0] == 100 && t[1] == 110 && t[2] == 120);
    pusd_stage_free(s);
    /* interpolateMissingClipValues: g1 has no v; with it, g0's last sample (5: 50) is bridged to
     * g2's start (20: 200); without it g1's start gives a blocked value, held before g1 */
    tu_write(dir, "vc_g0.usda",
             "#usda 1.0\ndef \"M\"\n{\n    double v.timeSamples = {\n        0: 0,\n        5: 50,\n    }\n}\n");
    tu_write(dir, "vc_g1.usda",
             "#usda 1.0\ndef \"M\"\n{\n    double w.timeSamples = {\n        10: 1,\n    }\n}\n");
    tu_write(dir, "vc_g2.usda",
             "#usda 1.0\ndef \"M\"\n{\n    double v.timeSamples = {\n        20: 200,\n    }\n}\n");
    const char *gaps =
        "    clips = {\n        dictionary default = {\n            double2[] active = [(0, 0), (10, 1), "
        "(20, 2)]\n            asset[] assetPaths = [@./vc_g0.usda@, @./vc_g1.usda@, @./vc_g2.usda@]\n"
        "            string primPath = \"/M\"\n%s        }\n    }\n";
    char g_on[1024], g_off[1024], gtext[3072];
    snprintf(g_on, sizeof g_on, gaps, "            bool interpolateMissingClipValues = true\n");
    snprintf(g_off, sizeof g_off, gaps, "");
    snprintf(gtext, sizeof gtext,
             "#usda 1.0\ndef \"On\" (\n%s)\n{\n    double v\n}\ndef \"Off\" (\n%s)\n{\n    double v\n}\n", g_on,
             g_off);
    tu_write(dir, "vc_gaps.usda", gtext);
    s = open_root("vc_gaps.usda");
    CHECK(s != NULL);
    if (!s)
        return;
    CHECK(num(s, "/On", "v", 15) == 150);
    CHECK(num(s, "/On", "v", 7) == 70);
    CHECK(isnan(num(s, "/Off", "v", 15)));
    CHECK(num(s, "/Off", "v", 7) == 50);
    n = pusd_prim_attr_sample_times(pusd_stage_prim_at_path(s, "/On"), "v", &t);
    CHECK(n == 3 && t[0] == 0 && t[1] == 5 && t[2] == 20);
    pusd_stage_free(s);
    /* clips define no attribute: a built-in one (Sphere's radius) gets their values unauthored,
     * an undeclared one (extra) none, although the generated manifest lists both */
    tu_write(dir, "vc_s0.usda",
             "#usda 1.0\ndef \"M\"\n{\n    double radius.timeSamples = {\n        0: 2,\n    }\n"
             "    double extra.timeSamples = {\n        0: 3,\n    }\n}\n");
    tu_write(dir, "vc_sphere.usda",
             "#usda 1.0\ndef Sphere \"S\" (\n    clips = {\n        dictionary default = {\n"
             "            double2[] active = [(0, 0)]\n            asset[] assetPaths = [@./vc_s0.usda@]\n"
             "            string primPath = \"/M\"\n        }\n    }\n)\n{\n}\n");
    s = open_root("vc_sphere.usda");
    CHECK(s != NULL);
    if (!s)
        return;
    CHECK(num(s, "/S", "radius", 1) == 2);
    pusd_value ev;
    CHECK(pusd_prim_get_attr(pusd_stage_prim_at_path(s, "/S"), "extra", 1, &ev) == PUSD_ERR_NOT_FOUND);
    CHECK(pusd_prim_attr_sample_times(pusd_stage_prim_at_path(s, "/S"), "extra", &t) == 0);
    pusd_stage_free(s);
}

static bool count_prim(pusd_prim *p, void *ctx) {
    (void)p;
    (*(int *)ctx)++;
    return true;
}

/* relocates: the moved prim answers at its new path with the arc's opinions under local ones,
 * the source path is gone, counting and callback traversals agree, invalid entries are reported */
static void relocates(void) {
    tu_write(
        dir, "rl_rig.usda",
        "#usda 1.0\n(\n    defaultPrim = \"C\"\n)\ndef \"C\"\n{\n    def \"Rig\"\n    {\n        def \"Arm\"\n"
        "        {\n            float a = 1\n            float b = 2\n        }\n    }\n}\n");
    tu_write(dir, "rl_root.usda",
             "#usda 1.0\n(\n    relocates = {\n        </C/Rig/Arm>: </Arm2>,\n        </C/Rig>: </C/Rig/Sub>\n  "
             "  }\n)\n"
             "def \"C\" (\n    references = @rl_rig.usda@\n)\n{\n    over \"Rig\"\n    {\n        over \"Arm\"\n "
             "       {\n"
             "            float a = 9\n        }\n    }\n}\ndef \"Arm2\"\n{\n    float a = 5\n}\n");
    pusd_stage *s = open_root("rl_root.usda");
    CHECK(s != NULL);
    if (!s)
        return;
    CHECK(pusd_stage_prim_at_path(s, "/C/Rig/Arm") == NULL);
    CHECK(num(s, "/Arm2", "a", PUSD_TIME_DEFAULT) == 5);
    CHECK(num(s, "/Arm2", "b", PUSD_TIME_DEFAULT) == 2);
    int calls = 0;
    CHECK(pusd_stage_traverse(s, NULL, NULL, NULL) == 3); /* C, C/Rig, Arm2 */
    CHECK(pusd_stage_traverse(s, NULL, count_prim, &calls) == 3 && calls == 3);
    CHECK(tu_has_diag(s, "moves a prim onto itself, an ancestor or a descendant"));
    CHECK(tu_has_diag(s, "opinion at the relocation source </C/Rig/Arm> is ignored"));
    pusd_stage_free(s);
    /* relocated to <>: deleted; a root prim as the source: reported and ignored */
    tu_write(dir, "rl_del.usda",
             "#usda 1.0\n(\n    relocates = {\n        </C/Rig/Arm>: <>,\n        </C>: </D/C>\n    }\n)\n"
             "def \"C\" (\n    references = @rl_rig.usda@\n)\n{\n}\ndef \"D\"\n{\n}\n");
    s = open_root("rl_del.usda");
    CHECK(s != NULL);
    if (!s)
        return;
    CHECK(pusd_stage_prim_at_path(s, "/C/Rig/Arm") == NULL);
    CHECK(pusd_stage_prim_at_path(s, "/C/Rig") != NULL);
    CHECK(pusd_stage_prim_at_path(s, "/D/C") == NULL);
    CHECK(pusd_stage_traverse(s, NULL, NULL, NULL) == 3); /* C, C/Rig, D */
    CHECK(tu_has_diag(s, "root prims cannot be the source of a relocate"));
    pusd_stage_free(s);
    /* relocates onto each other (a cycle) are both invalid in USD, as PcpLayerStack rejects them */
    tu_write(
        dir, "rl_cyc.usda",
        "#usda 1.0\n(\n    relocates = {\n        </C/Rig>: </C/Rig2>,\n        </C/Rig2>: </C/Rig>\n    }\n)\n"
        "def \"C\" (\n    references = @rl_rig.usda@\n)\n{\n}\n");
    s = open_root("rl_cyc.usda");
    CHECK(s != NULL);
    if (!s)
        return;
    CHECK(pusd_stage_prim_at_path(s, "/C/Rig/Arm") != NULL);
    CHECK(pusd_stage_prim_at_path(s, "/C/Rig2") == NULL);
    CHECK(tu_has_diag(s, "relocates: </C/Rig>: </C/Rig2> conflicts with </C/Rig2>: </C/Rig> (the target is the "
                         "other's source); ignored"));
    pusd_stage_free(s);
}

static void listops_refs(void) {
    tu_write(dir, "lo_a.usda", "#usda 1.0\ndef \"P\" {\n    float a = 1\n}\n");
    tu_write(dir, "lo_b.usda", "#usda 1.0\ndef \"P\" {\n    float b = 2\n}\n");
    tu_write(dir, "lo_weak.usda",
             "#usda 1.0\ndef \"X\" (\n    prepend references = [@lo_a.usda@</P>, @lo_b.usda@</P>]\n)\n{\n}\n");
    tu_write(dir, "lo_root.usda",
             "#usda 1.0\n(\n    subLayers = [@lo_weak.usda@]\n)\nover \"X\" (\n    delete references = "
             "@lo_a.usda@</P>\n)\n{\n}\n");
    pusd_stage *s = open_root("lo_root.usda");
    CHECK(s != NULL);
    if (!s)
        return;
    CHECK(isnan(num(s, "/X", "a", PUSD_TIME_DEFAULT))); /* deleted by the stronger layer */
    CHECK(num(s, "/X", "b", PUSD_TIME_DEFAULT) == 2);
    pusd_stage_free(s);
}

static void flatten(void) {
    pusd_stage *s = open_root("ref_root.usda");
    CHECK(s != NULL);
    if (!s)
        return;
    pusd_error e;
    pusd_layer *f = pusd_stage_flatten(s, &e);
    CHECK(f != NULL);
    size_t n;
    char *t = pusd_layer_to_string(f, &n);
    CHECK(strstr(t, "references") == NULL && strstr(t, "payload") == NULL);
    CHECK(strstr(t, "def Xform \"R1\"") != NULL);
    CHECK(strstr(t, "float mass = 5") != NULL);
    CHECK(strstr(t, "100: 0,") != NULL && strstr(t, "101: 1,") != NULL); /* samples in stage time */
    CHECK(strstr(t, "rel target = </World/R1/Arm>") != NULL);
    /* flattening is idempotent: the flattened layer flattens to itself */
    pusd_stage *s2;
    pusd_layer *f2 = tu_parse(t, NULL);
    pusd_stage_from_layer(f2, &s2, NULL);
    pusd_layer *ff = pusd_stage_flatten(s2, NULL);
    char *t2 = pusd_layer_to_string(ff, &n);
    CHECK_STR(t2, t);
    free(t);
    free(t2);
    pusd_layer_free(f);
    pusd_layer_free(ff);
    pusd_stage_free(s2);
    pusd_stage_free(s);
}

/* Flattening the layer stack keeps arcs and variants but means the same:
 * the stage composed over the merged layer flattens to what the original
 * stage flattens to. */
static void flatten_layer_stack(void) {
    tu_write(dir, "ls_root.usda",
             "#usda 1.0\n(\n    defaultPrim = \"W\"\n    subLayers = [@ls_mid.usda@ (offset = 5; scale = 2), "
             "@ls_weak.usda@]\n)\n"
             "def Xform \"W\" (\n    prepend references = @ls_ref.usda@\n    variants = {\n        string look = "
             "\"red\"\n    }\n)\n{\n"
             "    float a = 1\n    rel target = </W/Kid>\n    def \"Kid\" {\n    }\n}\n"
             "class \"Base\" {\n    float fromClass = 7\n}\n"
             "def \"L\" (\n    delete apiSchemas = [\"B\"]\n    append apiSchemas = [\"R\"]\n)\n{\n}\n"
             "def \"E\" (\n    add apiSchemas = [\"X\"]\n)\n{\n}\n");
    tu_write(dir, "ls_mid.usda",
             "#usda 1.0\nover \"W\" (\n    prepend references = @ls_ref2.usda@\n    prepend apiSchemas = "
             "[\"MidAPI\"]\n"
             "    inherits = </Base>\n    prepend variantSets = \"look\"\n)\n{\n"
             "    float a = 5\n    float b.timeSamples = {\n        0: 1,\n        2: 3,\n    }\n"
             "    variantSet \"look\" = {\n        \"red\" {\n            float color = 1\n        }\n"
             "        \"blue\" {\n            float color = 2\n        }\n    }\n}\n");
    tu_write(
        dir, "ls_weak.usda",
        "#usda 1.0\nover \"W\" (\n    prepend apiSchemas = [\"WeakAPI\"]\n)\n{\n    float c = 9\n"
        "    def \"WeakKid\" {\n        float k = 4\n    }\n}\ndef \"OnlyWeak\" {\n}\n"
        "over \"L\" (\n    prepend apiSchemas = [\"A\", \"B\"]\n    append apiSchemas = [\"R\", \"W\"]\n)\n{\n}\n"
        "over \"E\" (\n    apiSchemas = [\"Y\"]\n)\n{\n}\n");
    tu_write(dir, "ls_ref.usda",
             "#usda 1.0\n(defaultPrim = \"R\")\ndef Scope \"R\" {\n    float fromRef = 3\n}\n");
    tu_write(dir, "ls_ref2.usda",
             "#usda 1.0\n(defaultPrim = \"R\")\ndef Scope \"R\" {\n    float fromRef2 = 4\n}\n");
    pusd_stage *s = open_root("ls_root.usda");
    pusd_error e;
    pusd_layer *merged = s ? pusd_stage_flatten_layer_stack(s, &e) : NULL;
    CHECK(merged != NULL);
    if (!merged) {
        pusd_stage_free(s);
        return;
    }
    CHECK(pusd_layer_sublayer_count(merged) == 0);
    size_t n;
    char *text = pusd_layer_to_string(merged, &n);
    CHECK(text && strstr(text, "variantSet \"look\"") && strstr(text, "inherits = </Base>") &&
          strstr(text, "references = [@/") && strstr(text, "9: 3,") && !strstr(text, "fromRef"));
    /* an explicit or add/reorder op does not combine: the composed items as an explicit list */
    CHECK(text && strstr(text, "def \"E\" (\n    apiSchemas = [\"Y\", \"X\"]\n)"));
    /* list ops of several layers combine into one edit list where they can, as SdfListOp does */
    CHECK(text && strstr(text, "prepend references = [@/") &&
          strstr(text, "prepend apiSchemas = [\"MidAPI\", \"WeakAPI\"]") &&
          strstr(text, "delete apiSchemas = [\"B\"]\n    prepend apiSchemas = [\"A\"]\n    append apiSchemas = "
                       "[\"W\", \"R\"]"));
    free(text);
    /* the same composed scene */
    pusd_stage *s2 = NULL;
    CHECK(!pusd_stage_from_layer(merged, &s2, &e) && s2);
    pusd_layer *f1 = pusd_stage_flatten(s, &e), *f2 = s2 ? pusd_stage_flatten(s2, &e) : NULL;
    char *t1 = f1 ? pusd_layer_to_string(f1, NULL) : NULL, *t2 = f2 ? pusd_layer_to_string(f2, NULL) : NULL;
    CHECK(t1 && t2 && !strcmp(t1, t2));
    CHECK(t1 && strstr(t1, "fromRef = 3") && strstr(t1, "fromRef2 = 4") && strstr(t1, "color = 1") &&
          strstr(t1, "fromClass = 7") && strstr(t1, "k = 4"));
    if (t1 && t2 && strcmp(t1, t2))
        fprintf(stderr, "--- stage flatten\n%s--- over the merged layer stack\n%s", t1, t2);
    pusd_prim *lp = pusd_stage_prim_at_path(s2, "/L");
    CHECK(lp && pusd_prim_api_schema_count(lp) == 3 && !strcmp(pusd_prim_api_schema(lp, 0), "A") &&
          !strcmp(pusd_prim_api_schema(lp, 1), "W") && !strcmp(pusd_prim_api_schema(lp, 2), "R"));
    CHECK(num(s2, "/W", "b", 9) == 3 && num(s, "/W", "b", 9) == 3 && num(s2, "/W", "a", PUSD_TIME_DEFAULT) == 1);
    free(t1);
    free(t2);
    pusd_layer_free(f1);
    pusd_layer_free(f2);
    pusd_stage_free(s2);
    pusd_stage_free(s);
}

int main(void) {
    dir = tu_tmpdir();
    if (!dir)
        return 1;
    sublayers();
    references();
    livrps();
    cycles();
    ancestor_cycles();
    dictionaries();
    instances();
    value_clips();
    relocates();
    listops_refs();
    flatten();
    flatten_layer_stack();
    tu_rmrf(dir);
    free(dir);
    TU_END();
}
