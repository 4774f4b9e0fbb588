/* USD file handling: detection by content (text, crate, usdz), the crate
 * message wherever a layer is opened, refusing to write text under a binary
 * name, non-regular and oversized files refused without blocking, "T[]"
 * type names, schema typo hints and the binding attributes in the schema. */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tu.h"

static char *dir;

static void path_of(char *buf, size_t n, const char *name) { snprintf(buf, n, "%s/%s", dir, name); }

static void write_bytes(const char *name, const void *data, size_t len) {
    char p[1024];
    path_of(p, sizeof p, name);
    FILE *f = fopen(p, "wb");
    if (!f)
        return;
    fwrite(data, 1, len, f);
    fclose(f);
}

/* A zip local file header whose first entry is called name. */
static size_t zip_with_entry(unsigned char *buf, const char *name) {
    size_t n = strlen(name);
    memset(buf, 0, 30);
    memcpy(buf, "PK\3\4", 4);
    buf[26] = (unsigned char)n;
    memcpy(buf + 30, name, n);
    return 30 + n;
}

static void type_parse(void) {
    bool arr = true;
    CHECK(pusd_type_parse("point3f[]", &arr) == PUSD_T_POINT3F && arr);
    CHECK(pusd_type_parse("double3", &arr) == PUSD_T_DOUBLE3 && !arr);
    CHECK(pusd_type_parse("token[]", NULL) == PUSD_T_TOKEN);
    CHECK(pusd_type_parse("matrix4d[]", &arr) == PUSD_T_MATRIX4D && arr);
    arr = true;
    CHECK(pusd_type_parse("flaot[]", &arr) == PUSD_T_INVALID && !arr);
    CHECK(pusd_type_parse("[]", &arr) == PUSD_T_INVALID && !arr);
    CHECK(pusd_type_parse("", &arr) == PUSD_T_INVALID);
    CHECK(pusd_type_parse(NULL, &arr) == PUSD_T_INVALID);
    CHECK(pusd_type_parse("float[][]", &arr) == PUSD_T_INVALID);
    CHECK(pusd_type_parse("float[", &arr) == PUSD_T_INVALID);
}

static void sniff(void) {
    CHECK(pusd_sniff("#usda 1.0\n", 10) == PUSD_FILE_USDA);
    CHECK(pusd_sniff("\xef\xbb\xbf#usda 1.0\n", 13) == PUSD_FILE_USDA);
    CHECK(pusd_sniff("#sdf 1.4.32\n", 12) == PUSD_FILE_USDA);
    CHECK(pusd_sniff("PXR-USDC\0\0\0\0", 12) == PUSD_FILE_USDC);
    CHECK(pusd_sniff("\0asm\1\0\0\0", 8) == PUSD_FILE_NOT_USD);
    CHECK(pusd_sniff("#usd", 4) == PUSD_FILE_NOT_USD);
    CHECK(pusd_sniff("", 0) == PUSD_FILE_NOT_USD);
    CHECK(pusd_sniff(NULL, 5) == PUSD_FILE_NOT_USD);
    unsigned char z[300];
    CHECK(pusd_sniff(z, zip_with_entry(z, "scene.usdc")) == PUSD_FILE_USDZ);
    CHECK(pusd_sniff(z, zip_with_entry(z, "root.usda")) == PUSD_FILE_USDZ);
    CHECK(pusd_sniff(z, zip_with_entry(z, "a.usd")) == PUSD_FILE_USDZ);
    CHECK(pusd_sniff(z, zip_with_entry(z, "readme.txt")) == PUSD_FILE_NOT_USD); /* any other zip */
    size_t n = zip_with_entry(z, "scene.usdc");
    CHECK(pusd_sniff(z, n - 3) == PUSD_FILE_NOT_USD); /* name cut short */

    /* files, by content whatever the extension */
    char p[1024];
    tu_write(dir, "scene.usd", "#usda 1.0\ndef \"A\" {\n}\n");
    path_of(p, sizeof p, "scene.usd");
    CHECK(pusd_sniff_file(p) == PUSD_FILE_USDA);
    write_bytes("crate.usd", "PXR-USDC\x00\x08\x00\x00\x00\x00\x00\x00", 16);
    path_of(p, sizeof p, "crate.usd");
    CHECK(pusd_sniff_file(p) == PUSD_FILE_USDC);
    write_bytes("pkg.usdz", z, n);
    path_of(p, sizeof p, "pkg.usdz");
    CHECK(pusd_sniff_file(p) == PUSD_FILE_USDZ);
    write_bytes("mod.usda", "\0asm\1\0\0\0", 8); /* a wasm module named .usda is not USD */
    path_of(p, sizeof p, "mod.usda");
    CHECK(pusd_sniff_file(p) == PUSD_FILE_NOT_USD);
    path_of(p, sizeof p, "missing.usda");
    CHECK(pusd_sniff_file(p) == PUSD_FILE_NOT_USD);
    CHECK(pusd_sniff_file(dir) == PUSD_FILE_NOT_USD);
    path_of(p, sizeof p, "sniff.fifo");
    if (!mkfifo(p, 0600))
        CHECK(pusd_sniff_file(p) == PUSD_FILE_NOT_USD); /* returns; no writer needed */
}

static void crate_everywhere(void) {
    static const char crate_msg[] = "binary USD (crate) files are not supported yet; convert with usdcat";
    write_bytes("bin.usdc", "PXR-USDC\x00\x08\x00\x00\x00\x00\x00\x00", 16);
    char p[1024];
    path_of(p, sizeof p, "bin.usdc");
    pusd_layer *l = NULL;
    pusd_error e;
    CHECK(pusd_layer_open(p, &l, &e) && !l && strstr(e.message, crate_msg));
    CHECK(pusd_layer_parse("mem.usd", "PXR-USDC\0\0", 10, &l, &e) && !l && strstr(e.message, crate_msg));
    pusd_stage *s = NULL;
    CHECK(pusd_stage_open(p, &s, &e) && !s && strstr(e.message, crate_msg));
    unsigned char z[300];
    write_bytes("pkg2.usdz", z, zip_with_entry(z, "root.usdc"));
    path_of(p, sizeof p, "pkg2.usdz");
    CHECK(pusd_layer_open(p, &l, &e) && !l && strstr(e.message, "USDZ packages are not supported yet"));
    /* sublayers, references and payloads */
    tu_write(dir, "uses_bin.usda",
             "#usda 1.0\n(subLayers = [@bin.usdc@])\ndef \"R\" (references = @bin.usdc@</X>) {\n}\n"
             "def \"P\" (payload = @pkg2.usdz@) {\n}\n");
    path_of(p, sizeof p, "uses_bin.usda");
    CHECK(!pusd_stage_open(p, &s, &e) && s);
    if (s) {
        size_t crate = 0;
        for (size_t i = 0; i < pusd_stage_diagnostic_count(s); i++)
            if (strstr(pusd_stage_diagnostic(s, i)->message, crate_msg))
                crate++;
        CHECK(crate >= 1); /* the layer opens once per stage: one message, used by sublayer and reference */
        CHECK(tu_has_diag(s, "USDZ packages are not supported yet"));
        CHECK(pusd_stage_prim_at_path(s, "/R") != NULL);
        pusd_stage_free(s);
    }
    tu_write(dir, "ref_bin.usda", "#usda 1.0\ndef \"R\" (references = @bin.usdc@</X>) {\n}\n");
    path_of(p, sizeof p, "ref_bin.usda");
    CHECK(!pusd_stage_open(p, &s, &e) && s && tu_has_diag(s, crate_msg));
    pusd_stage_free(s);
}

static void no_text_under_binary_name(void) {
    pusd_layer *l = tu_parse("#usda 1.0\ndef \"A\" {\n}\n", NULL);
    char p[1024];
    pusd_error e;
    struct stat st;
    path_of(p, sizeof p, "out.usdc");
    CHECK(pusd_layer_save(l, p, &e) == PUSD_ERR_INVALID && strstr(e.message, "not supported") &&
          strstr(e.message, "usdcat"));
    CHECK(stat(p, &st) != 0); /* nothing written */
    path_of(p, sizeof p, "out.usdz");
    CHECK(pusd_layer_save(l, p, &e) == PUSD_ERR_INVALID && stat(p, &st) != 0);
    path_of(p, sizeof p, "out.usd"); /* .usd holds either format: text is fine */
    CHECK(!pusd_layer_save(l, p, &e) && pusd_sniff_file(p) == PUSD_FILE_USDA);
    pusd_stage *s = pusd_stage_new("mem.usda");
    path_of(p, sizeof p, "flat.usdc");
    CHECK(s && pusd_stage_export(s, p, &e) == PUSD_ERR_INVALID && stat(p, &st) != 0);
    pusd_stage_free(s);
    pusd_layer_free(l);
}

static void bounded_loading(void) {
    char p[1024];
    pusd_layer *l = NULL;
    pusd_error e;
    /* a FIFO without a writer: refused at once instead of blocking in open() */
    path_of(p, sizeof p, "scene.fifo");
    if (!mkfifo(p, 0600)) {
        CHECK(pusd_layer_open(p, &l, &e) == PUSD_ERR_IO && !l && strstr(e.message, "FIFO") &&
              strstr(e.message, "not a regular file"));
        pusd_stage *s = NULL;
        CHECK(pusd_stage_open(p, &s, &e) == PUSD_ERR_IO && !s);
        /* as a sublayer: a diagnostic, and the stage still opens */
        tu_write(dir, "uses_fifo.usda", "#usda 1.0\n(subLayers = [@scene.fifo@])\ndef \"A\" {\n}\n");
        path_of(p, sizeof p, "uses_fifo.usda");
        CHECK(!pusd_stage_open(p, &s, &e) && s && tu_has_diag(s, "FIFO"));
        pusd_stage_free(s);
    }
    CHECK(pusd_layer_open(dir, &l, &e) == PUSD_ERR_IO && strstr(e.message, "directory"));
    CHECK(pusd_layer_open("/dev/zero", &l, &e) == PUSD_ERR_IO && strstr(e.message, "not a regular file"));
    /* over the documented maximum: a sparse file, refused before reading */
    path_of(p, sizeof p, "huge.usda");
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd >= 0) {
        bool sized = ftruncate(fd, (off_t)PUSD_LAYER_MAX_BYTES + 1) == 0;
        close(fd);
        if (sized)
            CHECK(pusd_layer_open(p, &l, &e) == PUSD_ERR_IO && !l &&
                  strstr(e.message, "over the limit of 2147483647 bytes"));
        unlink(p);
    }
    /* an empty regular file is read (and rejected for its missing header) */
    tu_write(dir, "empty.usda", "");
    path_of(p, sizeof p, "empty.usda");
    CHECK(pusd_layer_open(p, &l, &e) == PUSD_ERR_SYNTAX && strstr(e.message, "#usda 1.0"));
}

typedef struct hint {
    char path[64], type[64], suggestion[64];
    int n;
} hint;

static void on_hint(const char *path, const char *type, const char *suggestion, void *ctx) {
    hint *h = ctx;
    if (h->n++)
        return;
    snprintf(h->path, sizeof h->path, "%s", path);
    snprintf(h->type, sizeof h->type, "%s", type);
    snprintf(h->suggestion, sizeof h->suggestion, "%s", suggestion);
}

static void schema_hints(void) {
    pusd_schema_registry *r = pusd_schema_registry_new();
    CHECK_STR(pusd_schema_suggest(r, "WasmPhysic"), "WasmPhysics");
    CHECK_STR(pusd_schema_suggest(r, "WasmPhysiscs"), "WasmPhysics");
    CHECK_STR(pusd_schema_suggest(r, "wasmphysics"), "WasmPhysics"); /* case only */
    CHECK_STR(pusd_schema_suggest(r, "WasmModul"), "WasmModule");
    CHECK_STR(pusd_schema_suggest(r, "WasmSenser"), "WasmSensor");
    CHECK(pusd_schema_suggest(r, "WasmPhysics") == NULL); /* registered */
    CHECK(pusd_schema_suggest(r, "Mesh") == NULL);
    CHECK(pusd_schema_suggest(r, "Xform") == NULL);
    CHECK(pusd_schema_suggest(r, "WasmThing") == NULL);
    CHECK(pusd_schema_suggest(r, "") == NULL);
    CHECK(pusd_schema_suggest(r, NULL) == NULL);
    pusd_layer *l = tu_parse(
        "#usda 1.0\ndef Xform \"W\" {\n    def WasmPhysic \"Ball\" {\n    }\n    def Mesh \"M\" {\n    }\n"
        "    def WasmPhysics \"Ok\" {\n    }\n}\n",
        NULL);
    pusd_stage *s = NULL;
    pusd_error e;
    CHECK(l && !pusd_stage_from_layer(l, &s, &e));
    hint h = {0};
    CHECK(pusd_schema_check_types(s, r, on_hint, &h) == 1 && h.n == 1);
    CHECK_STR(h.path, "/W/Ball");
    CHECK_STR(h.type, "WasmPhysic");
    CHECK_STR(h.suggestion, "WasmPhysics");
    CHECK(pusd_schema_check_types(s, r, NULL, NULL) == 1);

    /* the binding attributes are declared (no fallback: unauthored means a tick module) */
    static const char *const binding[] = {"wasm:params", "wasm:results", "wasm:events"};
    for (int i = 0; i < 3; i++) {
        const pusd_schema_attr *a = pusd_schema_attr_find(r, "WasmPhysics", binding[i]);
        CHECK(a && !strcmp(a->type_name, "token[]") && a->uniform && !a->fallback && a->doc && a->doc[0]);
    }
    CHECK(!pusd_schema_define(s, r, "WasmModule", "/Mod", &e));
    pusd_prim *m = pusd_stage_prim_at_path(s, "/Mod");
    pusd_value v;
    CHECK(m && pusd_prim_get_attr(m, "wasm:params", PUSD_TIME_DEFAULT, &v) == PUSD_ERR_NOT_FOUND);
    CHECK(m && pusd_prim_get_attr(m, "wasm:updateRate", PUSD_TIME_DEFAULT, &v) == 0);
    pusd_stage_free(s);
    pusd_schema_registry_free(r);
}

int main(void) {
    dir = tu_tmpdir();
    if (!dir)
        return 1;
    type_parse();
    sniff();
    crate_everywhere();
    no_text_under_binary_name();
    bounded_loading();
    schema_hints();
    tu_rmrf(dir);
    free(dir);
    TU_END();
}
