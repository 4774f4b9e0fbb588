/* The WASI context structure and constants shared by ctx.c and wasi.c. */
#ifndef PORTALIS_WASI_IMPL_H
#define PORTALIS_WASI_IMPL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "internal.h"

#define MAX_FDS 4096

enum {
    FT_UNKNOWN = 0,
    FT_BLOCK_DEVICE,
    FT_CHARACTER_DEVICE,
    FT_DIRECTORY,
    FT_REGULAR_FILE,
    FT_SOCKET_DGRAM,
    FT_SOCKET_STREAM,
    FT_SYMBOLIC_LINK,
};

/* rights */
#define R_FD_DATASYNC (1ull << 0)
#define R_FD_READ (1ull << 1)
#define R_FD_SEEK (1ull << 2)
#define R_FD_FDSTAT_SET_FLAGS (1ull << 3)
#define R_FD_SYNC (1ull << 4)
#define R_FD_TELL (1ull << 5)
#define R_FD_WRITE (1ull << 6)
#define R_FD_ADVISE (1ull << 7)
#define R_FD_ALLOCATE (1ull << 8)
#define R_PATH_CREATE_DIRECTORY (1ull << 9)
#define R_PATH_CREATE_FILE (1ull << 10)
#define R_PATH_LINK_SOURCE (1ull << 11)
#define R_PATH_LINK_TARGET (1ull << 12)
#define R_PATH_OPEN (1ull << 13)
#define R_FD_READDIR (1ull << 14)
#define R_PATH_READLINK (1ull << 15)
#define R_PATH_RENAME_SOURCE (1ull << 16)
#define R_PATH_RENAME_TARGET (1ull << 17)
#define R_PATH_FILESTAT_GET (1ull << 18)
#define R_PATH_FILESTAT_SET_SIZE (1ull << 19)
#define R_PATH_FILESTAT_SET_TIMES (1ull << 20)
#define R_FD_FILESTAT_GET (1ull << 21)
#define R_FD_FILESTAT_SET_SIZE (1ull << 22)
#define R_FD_FILESTAT_SET_TIMES (1ull << 23)
#define R_PATH_SYMLINK (1ull << 24)
#define R_PATH_REMOVE_DIRECTORY (1ull << 25)
#define R_PATH_UNLINK_FILE (1ull << 26)
#define R_POLL_FD_READWRITE (1ull << 27)
#define R_SOCK_SHUTDOWN (1ull << 28)
#define R_SOCK_ACCEPT (1ull << 29)

#define FILE_RIGHTS                                                                                              \
    (R_FD_DATASYNC | R_FD_READ | R_FD_SEEK | R_FD_FDSTAT_SET_FLAGS | R_FD_SYNC | R_FD_TELL | R_FD_WRITE |        \
     R_FD_ADVISE | R_FD_ALLOCATE | R_FD_FILESTAT_GET | R_FD_FILESTAT_SET_SIZE | R_FD_FILESTAT_SET_TIMES |        \
     R_POLL_FD_READWRITE)
#define DIR_RIGHTS                                                                                               \
    (R_FD_FDSTAT_SET_FLAGS | R_FD_SYNC | R_FD_DATASYNC | R_PATH_CREATE_DIRECTORY | R_PATH_CREATE_FILE |          \
     R_PATH_LINK_SOURCE | R_PATH_LINK_TARGET | R_PATH_OPEN | R_FD_READDIR | R_PATH_READLINK |                    \
     R_PATH_RENAME_SOURCE | R_PATH_RENAME_TARGET | R_PATH_FILESTAT_GET | R_PATH_FILESTAT_SET_SIZE |              \
     R_PATH_FILESTAT_SET_TIMES | R_FD_FILESTAT_GET | R_FD_FILESTAT_SET_TIMES | R_PATH_SYMLINK |                  \
     R_PATH_REMOVE_DIRECTORY | R_PATH_UNLINK_FILE)

typedef struct {
    bool used;
    bool own;                  /* close host on fd_close / ctx free */
    bool readable, writable;   /* host open mode */
    int host;                  /* host file descriptor */
    uint8_t filetype;          /* FT_* */
    uint64_t base, inheriting; /* rights */
    char *preopen;             /* guest name of a preopened directory, else NULL */
} wfd;

struct pwasi_ctx {
    char **args;
    size_t nargs;
    char **env;
    size_t nenv, capenv;
    wfd *fds;
    uint32_t nfds; /* entries in use range [0, nfds) */
    size_t capfds;
    bool use_openat2;
    bool exited;
    int exit_code;
};

pwasi_error *pwasi_error_new(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void pwasi_fd_release(wfd *f);
uint32_t pwasi_fd_alloc(pwasi_ctx *c);
uint8_t pwasi_filetype_of(mode_t m);

#endif
