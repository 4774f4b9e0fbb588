/* Tiny test harness for the usd tests. */
#ifndef TU_H
#define TU_H
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "portalis/usd.h"

static int tu_pass, tu_fail;
#define CHECK(cond)                                                                                              \
    do {                                                                                                         \
        if (cond)                                                                                                \
            tu_pass++;                                                                                           \
        else {                                                                                                   \
            tu_fail++;                                                                                           \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);                             \
        }                                                                                                        \
    } while (0)
#define CHECK_STR(a, b)                                                                                          \
    do {                                                                                                         \
        const char *a_ = (a), *b_ = (b);                                                                         \
        if (a_ && b_ && !strcmp(a_, b_))                                                                         \
            tu_pass++;                                                                                           \
        else {                                                                                                   \
            tu_fail++;                                                                                           \
            fprintf(stderr, "%s:%d: CHECK_STR failed: '%s' != '%s'\n", __FILE__, __LINE__, a_ ? a_ : "(null)",   \
                    b_ ? b_ : "(null)");                                                                         \
        }                                                                                                        \
    } while (0)
#define TU_END()                                                                                                 \
    do {                                                                                                         \
        printf("%d passed, %d failed\n", tu_pass, tu_fail);                                                      \
        return tu_fail ? 1 : 0;                                                                                  \
    } while (0)

/* Whether a stage diagnostic's message contains needle. */
static inline bool tu_has_diag(pusd_stage *s, const char *needle) {
    for (size_t i = 0; i < pusd_stage_diagnostic_count(s); i++)
        if (strstr(pusd_stage_diagnostic(s, i)->message, needle))
            return true;
    return false;
}

static inline pusd_layer *tu_parse(const char *text, pusd_error *err) {
    pusd_layer *l = NULL;
    pusd_error e;
    if (pusd_layer_parse("test.usda", text, strlen(text), &l, err ? err : &e))
        return NULL;
    return l;
}

static inline char *tu_tmpdir(void) {
    char tmpl[] = "/tmp/pusd_test_XXXXXX";
    char *d = mkdtemp(tmpl);
    return d ? strdup(d) : NULL;
}

static inline void tu_write(const char *dir, const char *name, const char *text) {
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    if (!f)
        return;
    fputs(text, f);
    fclose(f);
}

static inline char *tu_read(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    if (!b) {
        fclose(f);
        return NULL;
    }
    size_t got = fread(b, 1, (size_t)n, f);
    b[got] = 0;
    fclose(f);
    if (len)
        *len = got;
    return b;
}

static inline void tu_rmrf(const char *dir) {
    char cmd[1200];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd)) {}
}
#endif
