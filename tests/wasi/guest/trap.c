/* A trap inside a named function: the CLI prints it with a backtrace. */
#include <stdio.h>

__attribute__((noinline)) static void crash_here(volatile int *p) {
    if (*p == 42)
        __builtin_trap();
}

int main(void) {
    volatile int v = 42;
    printf("about to trap\n");
    fflush(stdout);
    crash_here(&v);
    return 0;
}
