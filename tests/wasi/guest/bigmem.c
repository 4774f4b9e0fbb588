/* Hostile: its minimum memory (a 48 MiB static array) exceeds a 16 MiB cap. */
#include <stdio.h>

static char big[48 << 20];

int main(int argc, char **argv) {
    (void)argv;
    big[argc] = 1;
    printf("%d\n", big[1]);
    return 0;
}
