/* Reads through a FIFO or pipe. The preopen is /sandbox, where the host
 * made a FIFO `fifo`.
 *   fifo open    opening for writing without a reader fails (NXIO) at
 *                once; opening for reading succeeds at once; then a read
 *                waits for a writer (until the host's --timeout)
 *   fifo read    reads the FIFO to its end and prints what came
 *   fifo stdin   reads stdin to its end
 *   fifo bigwrite  writes 1 MiB to stdout with fd_write until all is
 *                written; reports the number of calls on stderr */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <wasi/api.h>

static int drain(int fd, const char *what) {
    char buf[256];
    size_t total = 0;
    ssize_t n;
    while ((n = read(fd, buf + total, sizeof buf - 1 - total)) > 0)
        total += (size_t)n;
    if (n < 0) {
        printf("%s: read failed: %s\n", what, strerror(errno));
        return 1;
    }
    buf[total] = 0;
    printf("%s: read \"%s\" then end of file\n", what, buf);
    return 0;
}

static int bigwrite(void) {
    static char big[1 << 20];
    memset(big, 'x', sizeof big);
    size_t off = 0;
    int calls = 0;
    while (off < sizeof big) {
        __wasi_ciovec_t iov = {(const uint8_t *)big + off, sizeof big - off};
        __wasi_size_t n = 0;
        __wasi_errno_t e = __wasi_fd_write(1, &iov, 1, &n);
        if (e) {
            fprintf(stderr, "write failed: errno %u\n", (unsigned)e);
            return 1;
        }
        calls++;
        off += n;
    }
    fprintf(stderr, "wrote %zu in %d calls\n", off, calls);
    return 0;
}

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "";
    if (!strcmp(mode, "bigwrite"))
        return bigwrite();
    if (!strcmp(mode, "stdin"))
        return drain(0, "stdin");
    if (!strcmp(mode, "open")) {
        int w = open("/sandbox/fifo", O_WRONLY);
        printf("write-open: %s\n", w < 0 && errno == ENXIO ? "ENXIO" : "unexpected");
        int r = open("/sandbox/fifo", O_RDONLY);
        printf("read-open: %s\n", r >= 0 ? "ok" : strerror(errno));
        fflush(stdout); /* the read below ends in a trap */
        return r >= 0 ? drain(r, "fifo") : 1;
    }
    if (!strcmp(mode, "read")) {
        int r = open("/sandbox/fifo", O_RDONLY);
        if (r < 0) {
            printf("read-open: %s\n", strerror(errno));
            return 1;
        }
        return drain(r, "fifo");
    }
    fprintf(stderr, "usage: fifo open|read|stdin|bigwrite\n");
    return 2;
}
