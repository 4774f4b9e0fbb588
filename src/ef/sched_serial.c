/* Serial scheduler: a FIFO drained on the calling thread (no recursion). */
#include "ef_internal.h"

int ef_fifo_push(ef_fifo *f, ef_job *small, size_t small_cap, const ef_job *j) {
    if (!f->v) {
        f->v = small;
        f->cap = small_cap;
    }
    if (f->n == f->cap) {
        size_t nc = f->cap * 2;
        ef_job *nv = malloc(nc * sizeof *nv);
        if (!nv) return -1;
        for (size_t i = 0; i < f->n; i++) nv[i] = f->v[(f->head + i) & (f->cap - 1)];
        if (f->v != small) free(f->v);
        f->v = nv;
        f->cap = nc;
        f->head = 0;
    }
    f->v[(f->head + f->n) & (f->cap - 1)] = *j;
    f->n++;
    return 0;
}

int ef_fifo_pop(ef_fifo *f, ef_job *out) {
    if (!f->n) return 0;
    *out = f->v[f->head];
    f->head = (f->head + 1) & (f->cap - 1);
    f->n--;
    return 1;
}

void ef_fifo_free(ef_fifo *f, ef_job *small) {
    if (f->v && f->v != small) free(f->v);
    f->v = NULL;
    f->n = f->cap = f->head = 0;
}
