/* Hostile: never returns. Stopped by --timeout or --fuel. */
volatile unsigned counter;

int main(void) {
    for (;;)
        counter++;
}
