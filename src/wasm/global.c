/* Globals. */
#include <stdlib.h>
#include <string.h>

#include "rt.h"

pw_global *pw_global_new(pw_store *store, pw_valkind type, bool mut, pw_val init) {
    if (init.kind != type)
        return NULL;
    pw_global *g = calloc(1, sizeof *g);
    if (!g || !pw_store_own(store, g, PW_OBJ_GLOBAL)) {
        free(g);
        return NULL;
    }
    g->type = type;
    g->mut = mut;
    pw_slot v[2] = {{0}, {0}};
    pw_val_store(init, v);
    g->val = v[0];
    g->val_hi = v[1];
    return g;
}

pw_val pw_global_get(const pw_global *g) {
    pw_slot v[2] = {g->val, g->val_hi};
    return pw_val_load(v, g->type);
}

bool pw_global_set(pw_global *g, pw_val v) {
    if (!g->mut || v.kind != g->type)
        return false;
    pw_slot s[2] = {{0}, {0}};
    pw_val_store(v, s);
    g->val = s[0];
    g->val_hi = s[1];
    return true;
}

pw_valkind pw_global_type(const pw_global *g, bool *mut) {
    if (mut)
        *mut = g->mut;
    return g->type;
}
