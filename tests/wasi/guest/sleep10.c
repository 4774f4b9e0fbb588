/* Sleeps 10 s (one poll_oneoff clock subscription): --timeout must cut it. */
#include <stdio.h>
#include <unistd.h>

int main(void) {
    printf("sleeping\n");
    fflush(stdout);
    sleep(10);
    printf("woke\n");
    return 0;
}
