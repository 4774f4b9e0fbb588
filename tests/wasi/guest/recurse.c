/* Hostile: unbounded recursion. Stopped by the call depth limit. */
#include <stdio.h>

__attribute__((noinline)) static int down(int n) {
    volatile int pad = n;
    return down(n + 1) + pad;
}

int main(void) {
    printf("%d\n", down(0));
    return 0;
}
