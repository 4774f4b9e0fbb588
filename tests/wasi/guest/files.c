/* File system over the preopen /sandbox: write, read, seek, stat, mkdir,
 * readdir, rename, truncate, symlinks inside, unlink, rmdir. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int fails;
#define CHECK(cond, what)                                                                                        \
    do {                                                                                                         \
        if (cond)                                                                                                \
            printf("ok %s\n", what);                                                                             \
        else {                                                                                                   \
            printf("FAIL %s (errno %d: %s)\n", what, errno, strerror(errno));                                    \
            fails++;                                                                                             \
        }                                                                                                        \
    } while (0)

int main(void) {
    FILE *f = fopen("/sandbox/hello.txt", "w");
    CHECK(f != NULL, "fopen w");
    if (f) {
        fprintf(f, "line one\nline two\n");
        CHECK(fclose(f) == 0, "fclose");
    }
    char buf[128] = {0};
    f = fopen("/sandbox/hello.txt", "r");
    CHECK(f && fgets(buf, sizeof buf, f) && !strcmp(buf, "line one\n"), "read back");
    if (f)
        fclose(f);
    /* the host-created input file */
    f = fopen("/sandbox/input.txt", "r");
    CHECK(f && fgets(buf, sizeof buf, f) && !strcmp(buf, "from the host\n"), "read host file");
    if (f)
        fclose(f);

    int fd = open("/sandbox/hello.txt", O_RDWR);
    CHECK(fd >= 0, "open rdwr");
    CHECK(lseek(fd, 5, SEEK_SET) == 5, "lseek set");
    CHECK(read(fd, buf, 3) == 3 && !memcmp(buf, "one", 3), "read after seek");
    CHECK(pwrite(fd, "LINE", 4, 0) == 4, "pwrite");
    CHECK(pread(fd, buf, 4, 0) == 4 && !memcmp(buf, "LINE", 4), "pread");
    CHECK(lseek(fd, 0, SEEK_CUR) == 8, "tell unchanged by pread/pwrite");
    struct stat st;
    CHECK(fstat(fd, &st) == 0 && st.st_size == 18 && S_ISREG(st.st_mode), "fstat size");
    CHECK(ftruncate(fd, 4) == 0 && fstat(fd, &st) == 0 && st.st_size == 4, "ftruncate");
    CHECK(fsync(fd) == 0 && fdatasync(fd) == 0, "fsync");
    CHECK(close(fd) == 0, "close");
    CHECK(write(fd, "x", 1) < 0 && errno == EBADF, "write to closed fd is EBADF");

    fd = open("/sandbox/hello.txt", O_RDONLY);
    CHECK(fd >= 0 && write(fd, "x", 1) < 0 && errno == EBADF, "write to read-only fd is EBADF");
    close(fd);

    fd = open("/sandbox/append.txt", O_WRONLY | O_CREAT | O_APPEND, 0644);
    CHECK(fd >= 0 && write(fd, "ab", 2) == 2 && lseek(fd, 0, SEEK_SET) == 0 && write(fd, "cd", 2) == 2,
          "append writes");
    close(fd);
    CHECK(stat("/sandbox/append.txt", &st) == 0 && st.st_size == 4, "append size");

    CHECK(open("/sandbox/hello.txt", O_WRONLY | O_CREAT | O_EXCL, 0644) < 0 && errno == EEXIST, "O_EXCL");
    CHECK(open("/sandbox/missing.txt", O_RDONLY) < 0 && errno == ENOENT, "ENOENT");

    CHECK(mkdir("/sandbox/sub", 0755) == 0, "mkdir");
    CHECK(mkdir("/sandbox/sub", 0755) < 0 && errno == EEXIST, "mkdir twice is EEXIST");
    CHECK(stat("/sandbox/sub", &st) == 0 && S_ISDIR(st.st_mode), "stat dir");
    for (int i = 0; i < 5; i++) {
        char p[64];
        snprintf(p, sizeof p, "/sandbox/sub/file%d", i);
        FILE *g = fopen(p, "w");
        if (g) {
            fprintf(g, "%d", i);
            fclose(g);
        }
    }
    DIR *d = opendir("/sandbox/sub");
    CHECK(d != NULL, "opendir");
    int n = 0, dots = 0;
    struct dirent *de;
    while (d && (de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            dots++;
        else if (!strncmp(de->d_name, "file", 4) && de->d_type == DT_REG)
            n++;
    }
    if (d)
        closedir(d);
    printf("listed %d files\n", n);
    CHECK(n == 5 && dots == 2, "readdir lists 5 files plus . and ..");

    CHECK(rename("/sandbox/sub/file0", "/sandbox/renamed") == 0, "rename");
    CHECK(access("/sandbox/renamed", F_OK) == 0 && access("/sandbox/sub/file0", F_OK) < 0, "rename moved");

    CHECK(symlink("hello.txt", "/sandbox/link") == 0, "symlink inside");
    char lb[64] = {0};
    CHECK(readlink("/sandbox/link", lb, sizeof lb) == 9 && !memcmp(lb, "hello.txt", 9), "readlink");
    CHECK(stat("/sandbox/link", &st) == 0 && S_ISREG(st.st_mode) && st.st_size == 4, "stat follows link");
    CHECK(lstat("/sandbox/link", &st) == 0 && S_ISLNK(st.st_mode), "lstat sees link");
    f = fopen("/sandbox/link", "r");
    CHECK(f && fgets(buf, sizeof buf, f) && !strcmp(buf, "LINE"), "open through link");
    if (f)
        fclose(f);
    CHECK(symlink("../hello.txt", "/sandbox/sub/up") == 0, "symlink with .. inside");
    f = fopen("/sandbox/sub/up", "r");
    CHECK(f != NULL, "open through ../ link staying inside");
    if (f)
        fclose(f);
    CHECK(link("/sandbox/hello.txt", "/sandbox/hard") == 0 && stat("/sandbox/hard", &st) == 0 && st.st_nlink == 2,
          "hard link");
    struct timespec ts[2] = {{1000000000, 0}, {1200000000, 0}};
    CHECK(utimensat(AT_FDCWD, "/sandbox/hello.txt", ts, 0) == 0 && stat("/sandbox/hello.txt", &st) == 0 &&
              st.st_mtim.tv_sec == 1200000000,
          "utimensat");

    CHECK(rmdir("/sandbox/sub") < 0 && errno == ENOTEMPTY, "rmdir non-empty");
    for (int i = 1; i < 5; i++) {
        char p[64];
        snprintf(p, sizeof p, "/sandbox/sub/file%d", i);
        unlink(p);
    }
    unlink("/sandbox/sub/up");
    CHECK(rmdir("/sandbox/sub") == 0, "rmdir");
    CHECK(unlink("/sandbox/renamed") == 0 && unlink("/sandbox/link") == 0 && unlink("/sandbox/hard") == 0,
          "unlink");
    CHECK(unlink("/sandbox/renamed") < 0 && errno == ENOENT, "unlink twice is ENOENT");
    /* many open at once: the fd table grows, every fd distinct and usable */
    int many[100], distinct = 1, usable = 1;
    for (int i = 0; i < 100; i++) {
        many[i] = open("/sandbox/input.txt", O_RDONLY);
        for (int k = 0; k < i; k++)
            distinct &= many[k] != many[i];
    }
    for (int i = 0; i < 100; i++) {
        char c;
        usable &= many[i] >= 0 && read(many[i], &c, 1) == 1 && c == 'f';
    }
    CHECK(distinct && usable, "100 fds open at once");
    for (int i = 0; i < 100; i++)
        close(many[i]);
    printf("%s\n", fails ? "files FAILED" : "files ok");
    return fails ? 1 : 0;
}
