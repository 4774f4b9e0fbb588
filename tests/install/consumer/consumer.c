/* A program of a Portalis user, built against an installed Portalis (by
 * tests/install/install_test.sh, with pkg-config and with CMake): it uses
 * each layer's public API once and prints "consumer ok". */
#include <portalis/bridge.h>
#include <portalis/ef.h>
#include <portalis/engine.h>
#include <portalis/host.h>
#include <portalis/usd.h>
#include <portalis/wasi.h>

#include <stdio.h>
#include <string.h>

/* (module (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)) */
static const uint8_t ADD[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x07, 0x01, 0x60, 0x02, 0x7f,
                              0x7f, 0x01, 0x7f, 0x03, 0x02, 0x01, 0x00, 0x07, 0x07, 0x01, 0x03, 0x61, 0x64, 0x64,
                              0x00, 0x00, 0x0a, 0x09, 0x01, 0x07, 0x00, 0x20, 0x00, 0x20, 0x01, 0x6a, 0x0b};

int main(void) {
    pb_config cfg = {0};
    pb_bridge *b = pb_bridge_new(&cfg);
    pb_error e = {0};
    pb_module_id id;
    if (!b || pb_load_module_bytes(b, ADD, sizeof ADD, NULL, &id, &e)) {
        fprintf(stderr, "load: %s\n", e.message);
        return 1;
    }
    pw_val args[2] = {{.kind = PW_I32, .of.i32 = 40}, {.kind = PW_I32, .of.i32 = 2}}, res[1];
    if (pb_call(b, id, "add", args, 2, res, 1, &e) || res[0].of.i32 != 42) {
        fprintf(stderr, "call: %s\n", e.message);
        return 1;
    }
    pb_bridge_free(b);

    const char *text = "#usda 1.0\ndef Xform \"World\"\n{\n    double x = 3\n}\n";
    pusd_layer *l = NULL;
    pusd_error ue;
    memset(&ue, 0, sizeof ue);
    if (pusd_layer_parse("c.usda", text, strlen(text), &l, &ue)) {
        fprintf(stderr, "usd: %s\n", ue.message);
        return 1;
    }
    pusd_layer_free(l);
    pw_engine *eng = pw_engine_new();
    if (!eng)
        return 1;
    pw_engine_free(eng);
    printf("consumer ok\n");
    return 0;
}
