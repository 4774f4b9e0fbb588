/* Runs a libFuzzer target's entry point once on each file given, or on each
 * file of each folder given: the fuzzers' seed corpora and the inputs that
 * once failed, as an ordinary test built by any compiler. A failing input
 * aborts (the harness checks its own invariants), so reaching the end is a
 * pass. Prints "N passed, 0 failed". */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "replay: cannot open %s\n", path);
        return -1;
    }
    uint8_t *buf = NULL;
    size_t len = 0, cap = 0, n;
    do {
        if (len == cap) {
            cap = cap ? cap * 2 : 65536;
            uint8_t *nb = realloc(buf, cap);
            if (!nb)
                abort();
            buf = nb;
        }
        n = fread(buf + len, 1, cap - len, f);
        len += n;
    } while (n > 0);
    fclose(f);
    fprintf(stderr, "replay: %s\n", path);
    LLVMFuzzerTestOneInput(buf, len);
    free(buf);
    return 1;
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The files of a folder and its subfolders in name order, so a run is
 * reproducible. */
static int run_dir(const char *dir) {
    DIR *d = opendir(dir);
    if (!d)
        return run_file(dir);
    char **names = NULL;
    size_t count = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        names = realloc(names, (count + 1) * sizeof *names);
        if (!names || asprintf(&names[count], "%s/%s", dir, e->d_name) < 0)
            abort();
        count++;
    }
    closedir(d);
    if (names)
        qsort(names, count, sizeof *names, by_name);
    int ran = 0;
    for (size_t i = 0; i < count; i++) {
        int r = run_dir(names[i]);
        ran = ran < 0 || r < 0 ? -1 : ran + r;
        free(names[i]);
    }
    free(names);
    return ran;
}

int main(int argc, char **argv) {
    int total = 0;
    for (int i = 1; i < argc; i++) {
        int r = run_dir(argv[i]);
        if (r < 0) {
            printf("0 passed, 1 failed\n");
            return 1;
        }
        total += r;
    }
    printf("%d passed, 0 failed\n", total);
    return total > 0 ? 0 : 1;
}
