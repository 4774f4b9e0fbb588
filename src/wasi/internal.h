/* Internal declarations of the WASI layer. */
#ifndef PORTALIS_WASI_INTERNAL_H
#define PORTALIS_WASI_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <portalis/wasi.h>

/* WASI errno values (wasi_snapshot_preview1 `errno`). */
enum {
    WE_SUCCESS = 0,
    WE_2BIG = 1,
    WE_ACCES = 2,
    WE_ADDRINUSE = 3,
    WE_ADDRNOTAVAIL = 4,
    WE_AFNOSUPPORT = 5,
    WE_AGAIN = 6,
    WE_ALREADY = 7,
    WE_BADF = 8,
    WE_BADMSG = 9,
    WE_BUSY = 10,
    WE_CANCELED = 11,
    WE_CHILD = 12,
    WE_CONNABORTED = 13,
    WE_CONNREFUSED = 14,
    WE_CONNRESET = 15,
    WE_DEADLK = 16,
    WE_DESTADDRREQ = 17,
    WE_DOM = 18,
    WE_DQUOT = 19,
    WE_EXIST = 20,
    WE_FAULT = 21,
    WE_FBIG = 22,
    WE_HOSTUNREACH = 23,
    WE_IDRM = 24,
    WE_ILSEQ = 25,
    WE_INPROGRESS = 26,
    WE_INTR = 27,
    WE_INVAL = 28,
    WE_IO = 29,
    WE_ISCONN = 30,
    WE_ISDIR = 31,
    WE_LOOP = 32,
    WE_MFILE = 33,
    WE_MLINK = 34,
    WE_MSGSIZE = 35,
    WE_MULTIHOP = 36,
    WE_NAMETOOLONG = 37,
    WE_NETDOWN = 38,
    WE_NETRESET = 39,
    WE_NETUNREACH = 40,
    WE_NFILE = 41,
    WE_NOBUFS = 42,
    WE_NODEV = 43,
    WE_NOENT = 44,
    WE_NOEXEC = 45,
    WE_NOLCK = 46,
    WE_NOLINK = 47,
    WE_NOMEM = 48,
    WE_NOMSG = 49,
    WE_NOPROTOOPT = 50,
    WE_NOSPC = 51,
    WE_NOSYS = 52,
    WE_NOTCONN = 53,
    WE_NOTDIR = 54,
    WE_NOTEMPTY = 55,
    WE_NOTRECOVERABLE = 56,
    WE_NOTSOCK = 57,
    WE_NOTSUP = 58,
    WE_NOTTY = 59,
    WE_NXIO = 60,
    WE_OVERFLOW = 61,
    WE_OWNERDEAD = 62,
    WE_PERM = 63,
    WE_PIPE = 64,
    WE_PROTO = 65,
    WE_PROTONOSUPPORT = 66,
    WE_PROTOTYPE = 67,
    WE_RANGE = 68,
    WE_ROFS = 69,
    WE_SPIPE = 70,
    WE_SRCH = 71,
    WE_STALE = 72,
    WE_TIMEDOUT = 73,
    WE_TXTBSY = 74,
    WE_XDEV = 75,
    WE_NOTCAPABLE = 76,
};

/* Maps a host errno to a WASI errno. */
uint16_t pwasi_errno_from_host(int err);

/* Opens `path` (relative; never absolute) beneath directory fd `dirfd`
 * with open(2) `flags` and `mode`; the final component is followed if it
 * is a symlink only when `follow`. Every intermediate symlink is followed
 * but must stay beneath dirfd. Returns a WASI errno; on success *out is a
 * new fd. `*use_openat2` is cleared when the kernel lacks openat2. */
uint16_t pwasi_open_beneath(int dirfd, const char *path, int flags, unsigned mode, bool follow, bool *use_openat2,
                            int *out);

#endif
