/* Hostile: grows memory until memory.grow fails; prints the final size. */
#include <stdio.h>

int main(void) {
    size_t pages = __builtin_wasm_memory_size(0);
    while (__builtin_wasm_memory_grow(0, 16) != (size_t)-1)
        pages += 16;
    while (__builtin_wasm_memory_grow(0, 1) != (size_t)-1)
        pages++;
    pages = __builtin_wasm_memory_size(0);
    printf("memory.grow failed at %zu pages (%zu MiB)\n", pages, pages * 65536 / (1024 * 1024));
    return 0;
}
