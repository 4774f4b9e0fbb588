/* Escape attempts: each must fail with ENOTCAPABLE (or EPERM). Also
 * hostile pointers passed straight to the WASI imports: EFAULT, no crash.
 * The preopen is /sandbox (fd 3); the host made `out` a symlink to /etc and
 * `outrel` a symlink to `../..`. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wasi/api.h>

static int fails;

__attribute__((import_module("wasi_snapshot_preview1"), import_name("proc_raise"))) __wasi_errno_t
raw_proc_raise(int sig);
__attribute__((import_module("wasi_snapshot_preview1"), import_name("path_open"))) __wasi_errno_t
raw_path_open(int fd, int dirflags, unsigned path, unsigned path_len, int oflags, long long base, long long inh,
              int fdflags, unsigned out);

static void refused(int rc, const char *what) {
    if (rc < 0 && (errno == ENOTCAPABLE || errno == EPERM)) {
        printf("ok refused %s\n", what);
    } else {
        printf("FAIL %s: rc=%d errno=%d (%s)\n", what, rc, errno, strerror(errno));
        fails++;
    }
}

static void raw(__wasi_errno_t e, __wasi_errno_t want, const char *what) {
    if (e == want) {
        printf("ok %s -> %u\n", what, (unsigned)e);
    } else {
        printf("FAIL %s: got errno %u, want %u\n", what, (unsigned)e, (unsigned)want);
        fails++;
    }
}

static int openr(const char *p) {
    int fd = open(p, O_RDONLY);
    if (fd >= 0)
        close(fd);
    return fd;
}

int main(void) {
    struct stat st;
    refused(openr("/sandbox/../etc/passwd"), "open ../etc/passwd");
    refused(openr("/sandbox/a/../../etc/passwd"), "open a/../../");
    refused(openr("/sandbox/out/passwd"), "open through symlink to /etc");
    refused(openr("/sandbox/outrel/etc/passwd"), "open through symlink ../..");
    refused(stat("/sandbox/out/passwd", &st), "stat through symlink to /etc");
    refused(stat("/sandbox/..", &st), "stat ..");
    refused(mkdir("/sandbox/../evil", 0755), "mkdir ../evil");
    refused(symlink("/etc/passwd", "/sandbox/abs"), "symlink with absolute target");
    refused(rename("/sandbox/input.txt", "/sandbox/../stolen.txt"), "rename to ../");
    refused(unlink("/sandbox/../victim"), "unlink ../victim");
    refused(link("/sandbox/input.txt", "/sandbox/../hard"), "link to ../");
    /* a link created by the guest that points outside: creating is fine, following is refused */
    if (symlink("../../../../../../etc", "/sandbox/sneaky") != 0) {
        printf("FAIL create relative symlink: %s\n", strerror(errno));
        fails++;
    }
    refused(openr("/sandbox/sneaky/passwd"), "open through guest-made ../ symlink");
    refused(openr("/sandbox/sneaky"), "open guest-made ../ symlink itself");

    /* raw calls: absolute and escaping paths straight to path_open */
    __wasi_fd_t fd;
    raw(__wasi_path_open(3, 0, "/etc/passwd", 0, __WASI_RIGHTS_FD_READ, 0, 0, &fd), __WASI_ERRNO_NOTCAPABLE,
        "path_open absolute");
    raw(__wasi_path_open(3, 0, "..", 0, __WASI_RIGHTS_FD_READ, 0, 0, &fd), __WASI_ERRNO_NOTCAPABLE,
        "path_open ..");
    raw(__wasi_path_open(3, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "out", 0, __WASI_RIGHTS_FD_READ, 0, 0, &fd),
        __WASI_ERRNO_NOTCAPABLE, "path_open follow symlink to /etc");
    raw(__wasi_path_create_directory(3, "../x"), __WASI_ERRNO_NOTCAPABLE, "path_create_directory ../x");
    raw(__wasi_path_remove_directory(3, ".."), __WASI_ERRNO_NOTCAPABLE, "path_remove_directory ..");
    __wasi_filestat_t fst;
    raw(__wasi_path_filestat_get(3, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "outrel", &fst), __WASI_ERRNO_NOTCAPABLE,
        "path_filestat_get follow ../..");
    raw(__wasi_path_open(0, 0, "x", 0, __WASI_RIGHTS_FD_READ, 0, 0, &fd), __WASI_ERRNO_NOTDIR,
        "path_open on stdin");
    raw(__wasi_path_open(99, 0, "x", 0, __WASI_RIGHTS_FD_READ, 0, 0, &fd), __WASI_ERRNO_BADF, "path_open bad fd");
    raw(__wasi_sock_accept(3, 0, &fd), __WASI_ERRNO_NOTSOCK, "sock_accept on a directory");
    raw(raw_proc_raise(9), __WASI_ERRNO_NOSYS, "proc_raise");

    /* hostile pointers */
    __wasi_size_t n;
    raw(__wasi_fd_write(1, (const __wasi_ciovec_t *)0xFFFFFFF0u, 1, &n), __WASI_ERRNO_FAULT, "fd_write iovs OOB");
    __wasi_ciovec_t bad = {(const uint8_t *)0xFFFFFF00u, 0x1000};
    raw(__wasi_fd_write(1, &bad, 1, &n), __WASI_ERRNO_FAULT, "fd_write buffer OOB");
    raw(__wasi_fd_write(1, &bad, 0, (__wasi_size_t *)0xFFFFFFFEu), __WASI_ERRNO_FAULT, "fd_write result OOB");
    __wasi_iovec_t rbad = {(uint8_t *)0xFFFFFFF8u, 100};
    raw(__wasi_fd_read(0, &rbad, 1, &n), __WASI_ERRNO_FAULT, "fd_read buffer OOB");
    raw(__wasi_random_get((uint8_t *)0xFFFF0000u, 0x20000), __WASI_ERRNO_FAULT, "random_get OOB");
    raw(__wasi_args_get((uint8_t **)0xFFFFFFFCu, (uint8_t *)0xFFFFFFF0u), __WASI_ERRNO_FAULT, "args_get OOB");
    raw(__wasi_args_sizes_get((__wasi_size_t *)0xFFFFFFFFu, &n), __WASI_ERRNO_FAULT, "args_sizes_get OOB");
    raw(__wasi_clock_time_get(0, 1, (__wasi_timestamp_t *)0xFFFFFFFCu), __WASI_ERRNO_FAULT, "clock_time_get OOB");
    raw(__wasi_fd_prestat_dir_name(3, (uint8_t *)0xFFFFFFFFu, 100), __WASI_ERRNO_FAULT, "prestat_dir_name OOB");
    raw(raw_path_open(3, 0, 0xFFFFFFF0u, 64, 0, 0, 0, 0, (unsigned)(uintptr_t)&fd), __WASI_ERRNO_FAULT,
        "path_open path OOB");
    raw(__wasi_poll_oneoff((const __wasi_subscription_t *)0xFFFFFF00u, (__wasi_event_t *)0x10, 100, &n),
        __WASI_ERRNO_FAULT, "poll_oneoff OOB");
    raw(__wasi_fd_readdir(3, (uint8_t *)0xFFFFFF00u, 0x1000, 0, &n), __WASI_ERRNO_FAULT, "fd_readdir OOB");
    raw(__wasi_fd_filestat_get(3, (__wasi_filestat_t *)0xFFFFFFF0u), __WASI_ERRNO_FAULT, "fd_filestat_get OOB");
    printf("%s\n", fails ? "escape FAILED" : "escape ok");
    return fails ? 1 : 0;
}
