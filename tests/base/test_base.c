/* Tests of the base layer: file reading (regular files only, bounded, never
 * blocking on a FIFO), atomic writing, clock, growable arrays, JSON output
 * and the histogram. Prints "N passed, M failed". */
#include <portalis/base.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../check.h"

static char dir[64];

static const char *in_dir(const char *name) {
    static char buf[4][128];
    static int k;
    k = (k + 1) % 4;
    snprintf(buf[k], sizeof buf[k], "%s/%s", dir, name);
    return buf[k];
}

static void write_plain(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
}

static size_t count_entries(void) {
    char cmd[128];
    snprintf(cmd, sizeof cmd, "ls -A %s | wc -l", dir);
    FILE *p = popen(cmd, "r");
    size_t n = 0;
    if (p && fscanf(p, "%zu", &n) != 1)
        n = 0;
    if (p)
        pclose(p);
    return n;
}

static void test_read(void) {
    char *d;
    size_t n;
    pbase_error e;
    write_plain(in_dir("a.txt"), "hello\n");
    CHECK(pbase_read_file(in_dir("a.txt"), 100, &d, &n, &e) == 0 && n == 6 && !strcmp(d, "hello\n"), "read");
    free(d);
    CHECK(pbase_read_file(in_dir("a.txt"), 6, &d, &n, &e) == 0 && n == 6, "read at the limit");
    free(d);
    CHECK(pbase_read_file(in_dir("a.txt"), 5, &d, &n, &e) == EFBIG && !d && strstr(e.message, "over the limit"),
          "limit: %s", e.message);
    write_plain(in_dir("empty"), "");
    CHECK(pbase_read_file(in_dir("empty"), 0, &d, &n, &e) == 0 && n == 0 && d && !d[0], "empty file");
    free(d);
    CHECK(pbase_read_file(in_dir("missing"), 100, &d, &n, &e) == ENOENT && strstr(e.message, "missing") &&
              strstr(e.message, "No such file"),
          "missing: %s", e.message);
    CHECK(pbase_read_file(dir, 100, &d, &n, &e) == EISDIR && strstr(e.message, "a directory"), "dir: %s",
          e.message);
    CHECK(pbase_read_file("/dev/null", 100, &d, &n, &e) == EINVAL && strstr(e.message, "character device"),
          "char device: %s", e.message);
    /* a FIFO without a writer: must return at once, not wait for one */
    CHECK(mkfifo(in_dir("fifo"), 0600) == 0, "mkfifo");
    CHECK(pbase_read_file(in_dir("fifo"), 100, &d, &n, &e) == EINVAL && strstr(e.message, "FIFO"), "fifo: %s",
          e.message);
    unlink(in_dir("fifo"));
}

/* pbase_read_fd: past its 64 KiB first guess (the buffer grows), at and over the limit. */
static void test_read_fd(void) {
    size_t big = 200000;
    char *text = malloc(big + 1);
    CHECK(text != NULL, "malloc");
    if (!text)
        return;
    for (size_t i = 0; i < big; i++)
        text[i] = (char)('a' + i % 26);
    text[big] = 0;
    write_plain(in_dir("big.txt"), text);
    pbase_error e;
    char *d = NULL;
    size_t n = 0;
    int fd = open(in_dir("big.txt"), O_RDONLY);
    CHECK(pbase_read_fd(fd, "big", big, &d, &n, &e) == 0 && n == big && d && !memcmp(d, text, big) && !d[big],
          "read_fd whole: %s", e.message);
    free(d);
    close(fd);
    fd = open(in_dir("big.txt"), O_RDONLY);
    CHECK(pbase_read_fd(fd, "standard input", big - 1, &d, &n, &e) == EFBIG && !d &&
              strstr(e.message, "standard input") && strstr(e.message, "over the limit"),
          "read_fd over: %s", e.message);
    close(fd);
    CHECK(pbase_read_fd(-1, "nothing", 10, &d, &n, &e) == EBADF && strstr(e.message, "nothing"),
          "read_fd bad fd: %s", e.message);
    free(text);
}

static void test_write(void) {
    pbase_error e;
    char *d;
    size_t n;
    size_t before = count_entries();
    CHECK(pbase_write_file_atomic(in_dir("out.txt"), "one", 3, &e) == 0, "write new: %s", e.message);
    CHECK(pbase_read_file(in_dir("out.txt"), 100, &d, &n, &e) == 0 && !strcmp(d, "one"), "content new");
    free(d);
    struct stat st;
    CHECK(stat(in_dir("out.txt"), &st) == 0 && (st.st_mode & 0777) == 0644, "new file mode 0644");
    chmod(in_dir("out.txt"), 0600);
    CHECK(pbase_write_file_atomic(in_dir("out.txt"), "second", 6, &e) == 0, "replace: %s", e.message);
    CHECK(pbase_read_file(in_dir("out.txt"), 100, &d, &n, &e) == 0 && !strcmp(d, "second"), "content replaced");
    free(d);
    CHECK(stat(in_dir("out.txt"), &st) == 0 && (st.st_mode & 0777) == 0600, "mode kept on replace");
    CHECK(count_entries() == before + 1, "no temporary file left behind");

    /* aborted: the previous content stays, no temporary remains */
    pbase_afile a;
    CHECK(pbase_afile_open(&a, in_dir("out.txt"), &e) == 0, "open");
    fputs("partial", a.f);
    pbase_afile_abort(&a);
    CHECK(pbase_read_file(in_dir("out.txt"), 100, &d, &n, &e) == 0 && !strcmp(d, "second"), "abort keeps old");
    free(d);
    CHECK(count_entries() == before + 1, "abort leaves no temporary");

    CHECK(pbase_write_file_atomic(in_dir("nodir/x"), "x", 1, &e) == ENOENT && strstr(e.message, "nodir/x"),
          "missing directory: %s", e.message);
    /* a device is written in place and survives */
    CHECK(pbase_write_file_atomic("/dev/null", "x", 1, &e) == 0, "/dev/null: %s", e.message);
    CHECK(stat("/dev/null", &st) == 0 && S_ISCHR(st.st_mode), "/dev/null still a device");
    /* a FIFO with a reader is written in place */
    CHECK(mkfifo(in_dir("wfifo"), 0600) == 0, "mkfifo");
    int rfd = open(in_dir("wfifo"), O_RDONLY | O_NONBLOCK);
    CHECK(pbase_write_file_atomic(in_dir("wfifo"), "piped", 5, &e) == 0, "fifo write: %s", e.message);
    char buf[16] = {0};
    CHECK(read(rfd, buf, sizeof buf - 1) == 5 && !strcmp(buf, "piped"), "fifo content");
    close(rfd);
    CHECK(stat(in_dir("wfifo"), &st) == 0 && S_ISFIFO(st.st_mode), "fifo still a fifo");
    unlink(in_dir("wfifo"));
}

static void test_clock(void) {
    uint64_t a = pbase_now_ns(), b = pbase_now_ns();
    CHECK(a > 0 && b >= a, "monotonic");
}

static void test_grow(void) {
    int *v = NULL;
    size_t cap = 0, n = 0;
    for (int i = 0; i < 1000; i++) {
        if (!PBASE_RESERVE(v, cap, n + 1))
            break;
        v[n++] = i;
    }
    CHECK(n == 1000 && cap >= 1000 && cap == 1024, "grew to %zu", cap);
    long sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += v[i];
    CHECK(sum == 999L * 1000 / 2, "content kept");
    CHECK(PBASE_RESERVE(v, cap, 10), "no growth needed");
    int *keep = v;
    size_t kcap = cap;
    CHECK(!PBASE_RESERVE(v, cap, SIZE_MAX / 2) && v == keep && cap == kcap, "overflow refused, array unchanged");
    free(v);
}

static char *json_of(void (*fill)(pbase_json *)) {
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    pbase_json j;
    pbase_json_init(&j, f);
    fill(&j);
    fclose(f);
    return buf;
}

static void fill_escapes(pbase_json *j) {
    pbase_json_begin_array(j);
    pbase_json_str(j, "a\"b\\c\n\t\x01\x7f");
    pbase_json_str(j, "caf\xc3\xa9 \xe2\x82\xac");
    pbase_json_str(j, "bad\xff\xc3(\xed\xa0\x80");
    pbase_json_end_array(j);
}

static void fill_nested(pbase_json *j) {
    pbase_json_begin_object(j);
    pbase_json_key(j, "scene");
    pbase_json_str(j, "p.usda");
    pbase_json_key(j, "n");
    pbase_json_int(j, -3);
    pbase_json_key(j, "u");
    pbase_json_uint(j, 18446744073709551615u);
    pbase_json_key(j, "x");
    pbase_json_double(j, 0.1);
    pbase_json_key(j, "third");
    pbase_json_double(j, 1.0 / 3);
    pbase_json_key(j, "nan");
    pbase_json_double(j, NAN);
    pbase_json_key(j, "list");
    pbase_json_begin_array(j);
    pbase_json_bool(j, true);
    pbase_json_null(j);
    pbase_json_begin_object(j);
    pbase_json_end_object(j);
    pbase_json_end_array(j);
    pbase_json_key(j, "empty");
    pbase_json_begin_array(j);
    pbase_json_end_array(j);
    pbase_json_end_object(j);
}

static void fill_lines(pbase_json *j) {
    pbase_json_begin_object(j);
    pbase_json_newline(j);
    pbase_json_key(j, "a");
    pbase_json_begin_array(j);
    pbase_json_newline(j);
    pbase_json_int(j, 1);
    pbase_json_newline(j);
    pbase_json_int(j, 2);
    pbase_json_newline(j);
    pbase_json_end_array(j);
    pbase_json_newline(j);
    pbase_json_end_object(j);
}

static void fill_pairs(pbase_json *j) {
    pbase_json_begin_object(j);
    pbase_json_kv_str(j, "s", "a\"b");
    pbase_json_kv_str(j, "none", NULL);
    pbase_json_kv_int(j, "i", INT64_MIN);
    pbase_json_kv_uint(j, "u", UINT64_MAX);
    pbase_json_kv_double(j, "d", 2.5);
    pbase_json_kv_bool(j, "b", false);
    pbase_json_key(j, "t");
    pbase_json_begin_array(j);
    pbase_json_number_text(j, "1e-7");
    pbase_json_number_text(j, "2");
    pbase_json_end_array(j);
    pbase_json_end_object(j);
}

/* Integral doubles take a shortcut; the text must stay %.15g's. */
static void fill_integral(pbase_json *j) {
    pbase_json_begin_array(j);
    const double v[] = {0.0, -0.0, -42.0, 1e14, -999999999999999.0, 1e15, 4.5e16, 0.5};
    for (size_t i = 0; i < sizeof v / sizeof *v; i++)
        pbase_json_double(j, v[i]);
    pbase_json_end_array(j);
}

static void test_json(void) {
    char *s = json_of(fill_escapes);
    const char *want = "[\"a\\\"b\\\\c\\n\\t\\u0001\\u007f\", \"caf\xc3\xa9 \xe2\x82\xac\", "
                       "\"bad\\ufffd\\ufffd(\\ufffd\\ufffd\\ufffd\"]";
    CHECK(!strcmp(s, want), "escapes: %s", s);
    free(s);
    s = json_of(fill_nested);
    want = "{\"scene\": \"p.usda\", \"n\": -3, \"u\": 18446744073709551615, \"x\": 0.1, "
           "\"third\": 0.33333333333333331, \"nan\": null, \"list\": [true, null, {}], \"empty\": []}";
    CHECK(!strcmp(s, want), "nested: %s", s);
    free(s);
    s = json_of(fill_lines);
    CHECK(!strcmp(s, "{\n  \"a\": [\n    1,\n    2\n  ]\n}"), "lines: %s", s);
    free(s);
    s = json_of(fill_integral);
    CHECK(!strcmp(s, "[0, -0, -42, 100000000000000, -999999999999999, 1e+15, 4.5e+16, 0.5]"), "integral: %s", s);
    free(s);
    s = json_of(fill_pairs);
    want = "{\"s\": \"a\\\"b\", \"none\": null, \"i\": -9223372036854775808, \"u\": 18446744073709551615, "
           "\"d\": 2.5, \"b\": false, \"t\": [1e-7, 2]}";
    CHECK(!strcmp(s, want), "pairs: %s", s);
    free(s);
}

static void test_hist(void) {
    pbase_hist *h = calloc(1, sizeof *h), *g = calloc(1, sizeof *g);
    CHECK(pbase_hist_quantile(h, 0.5) == 0 && pbase_hist_mean(h) == 0, "empty");
    for (uint64_t i = 1; i <= 10000; i++)
        pbase_hist_record(h, i * 100);
    double p50 = pbase_hist_quantile(h, 0.5), p99 = pbase_hist_quantile(h, 0.99);
    CHECK(fabs(p50 - 500000) / 500000 < 0.011 && fabs(p99 - 990000) / 990000 < 0.011, "p50 %g p99 %g", p50, p99);
    CHECK(h->min == 100 && h->max == 1000000 && fabs(pbase_hist_mean(h) - 500050) < 1e-6, "min/max/mean");
    CHECK(pbase_hist_quantile(h, 0) == 100 && pbase_hist_quantile(h, 1) == 1000000, "ends");
    for (uint64_t i = 0; i < 64; i++)
        pbase_hist_record(g, i);
    CHECK(pbase_hist_quantile(g, 0.5) == 31, "exact below 64: %g", pbase_hist_quantile(g, 0.5));
    pbase_hist_merge(g, h);
    CHECK(g->count == 10064 && g->min == 0 && g->max == 1000000 && g->total == h->total + 63 * 64 / 2, "merge");
    pbase_hist_record(g, UINT64_MAX / 2);
    CHECK(pbase_hist_quantile(g, 1) == (double)(UINT64_MAX / 2), "huge value clamps to max");
    free(h);
    free(g);
}

int main(void) {
    snprintf(dir, sizeof dir, "/tmp/pbase_test.XXXXXX");
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    test_read();
    test_read_fd();
    test_write();
    test_clock();
    test_grow();
    test_json();
    test_hist();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    if (system(cmd))
        check_failed++;
    return CHECK_REPORT();
}
