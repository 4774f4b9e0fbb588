/* printf, arguments and environment. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
    printf("hello from wasm\n");
    printf("argc=%d\n", argc);
    for (int i = 0; i < argc; i++)
        printf("argv[%d]=%s\n", i, argv[i]);
    const char *foo = getenv("FOO");
    printf("FOO=%s\n", foo ? foo : "(unset)");
    const char *bar = getenv("BAR");
    printf("BAR=%s\n", bar ? bar : "(unset)");
    fprintf(stderr, "to stderr\n");
    return 0;
}
