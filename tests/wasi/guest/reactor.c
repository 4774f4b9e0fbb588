/* A reactor (-mexec-model=reactor): _initialize runs constructors, then
 * exports are called. Also imports a host function env.host_add when built
 * with -DWITH_HOST_IMPORT (for the embedding test). */
#include <stdio.h>
#include <stdlib.h>

static int base;

__attribute__((constructor)) static void init(void) { base = 100; }

__attribute__((export_name("add_base"))) int add_base(int x) {
    printf("add_base(%d) with base %d\n", x, base);
    fflush(stdout);
    return base + x;
}

#ifdef WITH_HOST_IMPORT
__attribute__((import_module("env"), import_name("host_add"))) int host_add(int a, int b);

__attribute__((export_name("call_host"))) int call_host(int x) { return host_add(x, base); }
#endif
