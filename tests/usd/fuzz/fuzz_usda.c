/* libFuzzer target for the .usda reader: parse, write, re-parse, compose,
 * flatten (stage and layer stack), schema type hints. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "portalis/usd.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    pusd_layer *l = NULL;
    pusd_error e;
    if (pusd_layer_parse("fuzz.usda", (const char *)data, size, &l, &e))
        return 0;
    size_t n;
    char *text = pusd_layer_to_string(l, &n);
    if (text) {
        /* our own output must always read back, and write identically */
        pusd_layer *l2 = NULL;
        if (pusd_layer_parse("fuzz2.usda", text, n, &l2, &e))
            abort();
        size_t n2;
        char *t2 = pusd_layer_to_string(l2, &n2);
        if (!t2 || n2 != n || memcmp(t2, text, n))
            abort();
        free(t2);
        pusd_layer_free(l2);
        free(text);
    }
    pusd_stage *s;
    if (!pusd_stage_from_layer(l, &s, &e)) {
        pusd_stage_traverse(s, NULL, NULL, NULL);
        pusd_layer *f = pusd_stage_flatten(s, &e);
        pusd_layer_free(f);
        /* the merged layer stack is a layer we wrote: it must read back */
        pusd_layer *m = pusd_stage_flatten_layer_stack(s, &e);
        char *mt = m ? pusd_layer_to_string(m, &n) : NULL;
        pusd_layer *m2 = NULL;
        if (mt && pusd_layer_parse("fuzz3.usda", mt, n, &m2, &e))
            abort();
        pusd_layer_free(m2);
        free(mt);
        pusd_layer_free(m);
        static pusd_schema_registry *reg; /* built once: the harness's only state, never freed */
        if (!reg)
            reg = pusd_schema_registry_new();
        pusd_schema_check_types(s, reg, NULL, NULL);
        pusd_stage_free(s);
    }
    return 0;
}
