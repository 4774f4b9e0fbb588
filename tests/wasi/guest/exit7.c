/* exit(7) must become the process exit status. */
#include <stdio.h>
#include <stdlib.h>

int main(void) {
    printf("exiting with 7\n");
    fflush(stdout);
    exit(7);
}
