/* Growth of arrays by doubling (the PBASE_RESERVE macro). */
#include <portalis/base.h>

#include <stdlib.h>
#include <string.h>

bool pbase_grow_(void *arrp, size_t *cap, size_t need, size_t elem_size) {
    size_t nc = *cap ? *cap : 8;
    while (nc < need) {
        if (nc > SIZE_MAX / 2) return false;
        nc *= 2;
    }
    if (elem_size && nc > SIZE_MAX / elem_size) return false;
    /* arrp points at a T * of any T: copied through memcpy, not read as void * */
    void *arr;
    memcpy(&arr, arrp, sizeof arr);
    void *p = realloc(arr, nc * elem_size);
    if (!p) return false;
    memcpy(arrp, &p, sizeof p);
    *cap = nc;
    return true;
}
