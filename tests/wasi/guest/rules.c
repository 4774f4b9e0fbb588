/* One check per rights and trailing-slash rule of the path_* and fd_*
 * functions (docs/wasi.md, "Rights" and "Trailing slashes"), through the raw
 * wasi_snapshot_preview1 calls so that nothing in wasi-libc hides the errno.
 * The preopen is fd 3; each rule gets a fresh directory under it. Prints
 * "ok ID what" or "FAIL ID what: got E, want E" per check, then
 * "rules: N checked, M failed"; exits 1 if any failed. */
#include <stdio.h>
#include <string.h>
#include <wasi/api.h>

#define ALL ((__wasi_rights_t)0x3fffffff)
/* every right a directory can be opened with: FD_WRITE on a directory is ISDIR */
#define DIRALL (ALL & ~__WASI_RIGHTS_FD_WRITE)
#define R(x) __WASI_RIGHTS_##x
#define E(x) __WASI_ERRNO_##x
#define OF(x) __WASI_OFLAGS_##x
#define NOFD ((__wasi_fd_t)-1)

static const __wasi_fd_t root = 3;
static int nchecked, nfailed;
static const char *cur; /* the rule being checked */

static void expect(__wasi_errno_t got, __wasi_errno_t want, const char *what) {
    nchecked++;
    if (got == want) {
        printf("ok %s %s\n", cur, what);
    } else {
        nfailed++;
        printf("FAIL %s %s: got %u, want %u\n", cur, what, (unsigned)got, (unsigned)want);
    }
}

static void truth(int ok, const char *what) { expect(ok ? E(SUCCESS) : E(INVAL), E(SUCCESS), what); }

static __wasi_errno_t open_at(__wasi_fd_t d, const char *p, __wasi_oflags_t of, __wasi_rights_t base,
                              __wasi_rights_t inh, __wasi_fdflags_t ff, __wasi_fd_t *out) {
    *out = NOFD;
    return __wasi_path_open(d, 0, p, of, base, inh, ff, out);
}

/* The errno of opening p (the fd, if any, is closed again). */
static __wasi_errno_t open_err(__wasi_fd_t d, const char *p, __wasi_oflags_t of, __wasi_rights_t base,
                               __wasi_fdflags_t ff) {
    __wasi_fd_t fd;
    __wasi_errno_t e = open_at(d, p, of, base, 0, ff, &fd);
    if (!e)
        (void)__wasi_fd_close(fd);
    return e;
}

/* An open that the rule needs in order to run: a failure counts. */
static __wasi_fd_t must_open(__wasi_fd_t d, const char *p, __wasi_oflags_t of, __wasi_rights_t base,
                             __wasi_rights_t inh) {
    __wasi_fd_t fd;
    expect(open_at(d, p, of, base, inh, 0, &fd), E(SUCCESS), "(setup: open)");
    return fd;
}

static void mkfile(__wasi_fd_t d, const char *p) {
    __wasi_fd_t fd = must_open(d, p, OF(CREAT), R(FD_WRITE), 0);
    __wasi_ciovec_t iov = {(const uint8_t *)"hello", 5};
    __wasi_size_t n;
    (void)__wasi_fd_write(fd, &iov, 1, &n);
    (void)__wasi_fd_close(fd);
}

static void mkdir_(__wasi_fd_t d, const char *p) {
    expect(__wasi_path_create_directory(d, p), E(SUCCESS), "(setup: mkdir)");
}

static void mksym(__wasi_fd_t d, const char *target, const char *p) {
    expect(__wasi_path_symlink(target, d, p), E(SUCCESS), "(setup: symlink)");
}

/* A file "f" opened with every right but `drop`. */
static __wasi_fd_t file_without(__wasi_fd_t d, __wasi_rights_t drop) {
    mkfile(d, "f");
    return must_open(d, "f", 0, ALL & ~drop, 0);
}

/* A directory "sub" opened with every right but `drop` (base), `idrop` (inheriting). */
static __wasi_fd_t dir_without(__wasi_fd_t d, __wasi_rights_t drop, __wasi_rights_t idrop) {
    mkdir_(d, "sub");
    return must_open(d, "sub", OF(DIRECTORY), DIRALL & ~drop, ALL & ~idrop);
}

static __wasi_fdstat_t fdstat(__wasi_fd_t fd) {
    __wasi_fdstat_t st;
    memset(&st, 0, sizeof st);
    expect(__wasi_fd_fdstat_get(fd, &st), E(SUCCESS), "(setup: fdstat)");
    return st;
}

static __wasi_errno_t stat_err(__wasi_fd_t d, const char *p, __wasi_filestat_t *st) {
    __wasi_filestat_t tmp;
    return __wasi_path_filestat_get(d, 0, p, st ? st : &tmp);
}

/* ---- fd_* rights --------------------------------------------------------- */

static void fd_read_write(__wasi_fd_t d) {
    uint8_t b[4];
    __wasi_iovec_t iov = {b, sizeof b};
    __wasi_ciovec_t ciov = {b, 1};
    __wasi_size_t n;
    __wasi_fd_t f = file_without(d, R(FD_READ));
    expect(__wasi_fd_read(f, &iov, 1, &n), E(BADF), "fd_read without FD_READ");
    (void)__wasi_fd_close(f);
    f = must_open(d, "f", 0, ALL & ~R(FD_WRITE), 0);
    expect(__wasi_fd_write(f, &ciov, 1, &n), E(BADF), "fd_write without FD_WRITE");
    (void)__wasi_fd_close(f);
    expect(__wasi_fd_read(d, &iov, 1, &n), E(ISDIR), "fd_read on a directory: ISDIR");
}

static void fd_positional(__wasi_fd_t d) {
    uint8_t b[4];
    __wasi_iovec_t iov = {b, sizeof b};
    __wasi_ciovec_t ciov = {b, 1};
    __wasi_size_t n;
    __wasi_fd_t f = file_without(d, R(FD_SEEK));
    expect(__wasi_fd_pread(f, &iov, 1, 0, &n), E(NOTCAPABLE), "fd_pread without FD_SEEK");
    expect(__wasi_fd_pwrite(f, &ciov, 1, 0, &n), E(NOTCAPABLE), "fd_pwrite without FD_SEEK");
    (void)__wasi_fd_close(f);
}

static void fd_seek_tell(__wasi_fd_t d) {
    __wasi_filesize_t pos;
    __wasi_fd_t f = file_without(d, R(FD_SEEK));
    expect(__wasi_fd_seek(f, 2, __WASI_WHENCE_SET, &pos), E(NOTCAPABLE), "fd_seek without FD_SEEK");
    expect(__wasi_fd_seek(f, 0, __WASI_WHENCE_CUR, &pos), E(SUCCESS), "fd_seek(0, CUR) with FD_TELL alone");
    expect(__wasi_fd_tell(f, &pos), E(SUCCESS), "fd_tell with FD_TELL");
    (void)__wasi_fd_close(f);
    f = must_open(d, "f", 0, ALL & ~R(FD_TELL), 0);
    expect(__wasi_fd_tell(f, &pos), E(SUCCESS), "fd_tell with FD_SEEK alone (seek implies tell)");
    (void)__wasi_fd_close(f);
    f = must_open(d, "f", 0, ALL & ~(R(FD_TELL) | R(FD_SEEK)), 0);
    expect(__wasi_fd_tell(f, &pos), E(NOTCAPABLE), "fd_tell without FD_TELL or FD_SEEK");
    (void)__wasi_fd_close(f);
    expect(__wasi_fd_seek(d, 1, __WASI_WHENCE_SET, &pos), E(BADF), "fd_seek on a directory: BADF");
}

/* Each of these fd_* functions needs exactly its own right. */
static void fd_own_right(__wasi_fd_t d) {
    static const struct {
        __wasi_rights_t right;
        const char *what;
    } t[] = {{R(FD_SYNC), "fd_sync without FD_SYNC"},
             {R(FD_DATASYNC), "fd_datasync without FD_DATASYNC"},
             {R(FD_ADVISE), "fd_advise without FD_ADVISE"},
             {R(FD_ALLOCATE), "fd_allocate without FD_ALLOCATE"},
             {R(FD_FILESTAT_GET), "fd_filestat_get without FD_FILESTAT_GET"},
             {R(FD_FILESTAT_SET_SIZE), "fd_filestat_set_size without FD_FILESTAT_SET_SIZE"},
             {R(FD_FILESTAT_SET_TIMES), "fd_filestat_set_times without FD_FILESTAT_SET_TIMES"},
             {R(FD_FDSTAT_SET_FLAGS), "fd_fdstat_set_flags without FD_FDSTAT_SET_FLAGS"}};
    mkfile(d, "f");
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        __wasi_fd_t f = must_open(d, "f", 0, ALL & ~t[i].right, 0);
        __wasi_filestat_t st;
        __wasi_errno_t e = E(INVAL);
        switch (i) {
        case 0: e = __wasi_fd_sync(f); break;
        case 1: e = __wasi_fd_datasync(f); break;
        case 2: e = __wasi_fd_advise(f, 0, 0, __WASI_ADVICE_NORMAL); break;
        case 3: e = __wasi_fd_allocate(f, 0, 1); break;
        case 4: e = __wasi_fd_filestat_get(f, &st); break;
        case 5: e = __wasi_fd_filestat_set_size(f, 1); break;
        case 6: e = __wasi_fd_filestat_set_times(f, 0, 0, __WASI_FSTFLAGS_MTIM_NOW); break;
        case 7: e = __wasi_fd_fdstat_set_flags(f, __WASI_FDFLAGS_APPEND); break;
        }
        expect(e, E(NOTCAPABLE), t[i].what);
        (void)__wasi_fd_close(f);
    }
}

static void fd_readdir_rights(__wasi_fd_t d) {
    uint8_t buf[256];
    __wasi_size_t n;
    __wasi_fd_t s = dir_without(d, R(FD_READDIR), 0);
    expect(__wasi_fd_readdir(s, buf, sizeof buf, 0, &n), E(NOTCAPABLE), "fd_readdir without FD_READDIR");
    __wasi_fd_t f = file_without(d, 0);
    expect(__wasi_fd_readdir(f, buf, sizeof buf, 0, &n), E(NOTDIR), "fd_readdir on a file");
    (void)__wasi_fd_close(s);
    (void)__wasi_fd_close(f);
}

static void fd_fdstat_rights(__wasi_fd_t d) {
    mkfile(d, "f");
    __wasi_fd_t f = must_open(d, "f", 0, 0, 0);
    __wasi_fdstat_t st;
    expect(__wasi_fd_fdstat_get(f, &st), E(SUCCESS), "fd_fdstat_get needs no right");
    truth(st.fs_rights_base == 0 && st.fs_rights_inheriting == 0, "an fd opened with no rights has none");
    (void)__wasi_fd_close(f);
    f = must_open(d, "f", 0, R(FD_READ) | R(FD_WRITE), 0);
    expect(__wasi_fd_fdstat_set_rights(f, R(FD_READ) | R(FD_WRITE) | R(FD_SEEK), 0), E(NOTCAPABLE),
           "fd_fdstat_set_rights cannot add a base right");
    expect(__wasi_fd_fdstat_set_rights(f, R(FD_READ), R(FD_READ)), E(NOTCAPABLE),
           "fd_fdstat_set_rights cannot add an inheriting right");
    expect(__wasi_fd_fdstat_set_rights(f, R(FD_READ), 0), E(SUCCESS), "fd_fdstat_set_rights drops a right");
    truth(fdstat(f).fs_rights_base == R(FD_READ), "fd_fdstat_get shows the dropped right gone");
    __wasi_ciovec_t ciov = {(const uint8_t *)"x", 1};
    __wasi_size_t n;
    expect(__wasi_fd_write(f, &ciov, 1, &n), E(BADF), "a dropped right is enforced");
    (void)__wasi_fd_close(f);
}

static __wasi_errno_t poll_read_err(__wasi_fd_t fd) {
    __wasi_subscription_t sub;
    __wasi_event_t ev;
    __wasi_size_t n = 0;
    memset(&sub, 0, sizeof sub);
    memset(&ev, 0, sizeof ev);
    sub.userdata = 7;
    sub.u.tag = __WASI_EVENTTYPE_FD_READ;
    sub.u.u.fd_read.file_descriptor = fd;
    __wasi_errno_t e = __wasi_poll_oneoff(&sub, &ev, 1, &n);
    return e ? e : n == 1 ? ev.error : E(IO);
}

static void poll_rights(__wasi_fd_t d) {
    __wasi_fd_t f = file_without(d, R(POLL_FD_READWRITE));
    expect(poll_read_err(f), E(NOTCAPABLE), "poll_oneoff fd_read without POLL_FD_READWRITE");
    (void)__wasi_fd_close(f);
    f = must_open(d, "f", 0, ALL & ~R(FD_READ), 0);
    expect(poll_read_err(f), E(BADF), "poll_oneoff fd_read on an fd without FD_READ");
    (void)__wasi_fd_close(f);
    f = must_open(d, "f", 0, R(FD_READ) | R(POLL_FD_READWRITE), 0);
    expect(poll_read_err(f), E(SUCCESS), "poll_oneoff fd_read with FD_READ and POLL_FD_READWRITE");
    (void)__wasi_fd_close(f);
}

static void renumber_rights(__wasi_fd_t d) {
    mkfile(d, "f");
    __wasi_fd_t a = must_open(d, "f", 0, R(FD_READ), 0), b = must_open(d, "f", 0, ALL, 0);
    expect(__wasi_fd_renumber(a, b), E(SUCCESS), "fd_renumber");
    truth(fdstat(b).fs_rights_base == R(FD_READ), "fd_renumber moves the rights with the fd");
    (void)__wasi_fd_close(b);
}

/* ---- inheritance and file types ----------------------------------------- */

static void inherit_file(__wasi_fd_t d) {
    __wasi_fd_t s = dir_without(d, 0, R(FD_WRITE));
    mkfile(d, "sub/f");
    __wasi_fd_t f;
    expect(open_at(s, "f", 0, R(FD_READ) | R(FD_WRITE), 0, 0, &f), E(SUCCESS),
           "path_open asking for a right the directory does not pass on still opens");
    truth(fdstat(f).fs_rights_base == R(FD_READ), "the new fd has the requested rights the directory inherits");
    __wasi_ciovec_t ciov = {(const uint8_t *)"x", 1};
    __wasi_size_t n;
    expect(__wasi_fd_write(f, &ciov, 1, &n), E(BADF), "a right the directory withheld is not usable");
    (void)__wasi_fd_close(f);
    (void)__wasi_fd_close(s);
}

static void inherit_dir(__wasi_fd_t d) {
    __wasi_fd_t s = dir_without(d, 0, R(FD_WRITE));
    mkdir_(s, "deeper");
    mkfile(s, "deeper/f");
    __wasi_fd_t t = must_open(s, "deeper", OF(DIRECTORY), DIRALL, ALL);
    truth(!(fdstat(t).fs_rights_inheriting & R(FD_WRITE)), "a subdirectory inherits no more than its parent");
    __wasi_fd_t f = must_open(t, "f", 0, R(FD_READ) | R(FD_WRITE), 0);
    truth(!(fdstat(f).fs_rights_base & R(FD_WRITE)), "a grandchild file cannot regain a withheld right");
    (void)__wasi_fd_close(f);
    (void)__wasi_fd_close(t);
    (void)__wasi_fd_close(s);
}

static void rights_by_type(__wasi_fd_t d) {
    mkfile(d, "f");
    mkdir_(d, "sub");
    __wasi_fd_t f = must_open(d, "f", 0, ALL, ALL), s = must_open(d, "sub", OF(DIRECTORY), DIRALL, ALL);
    __wasi_fdstat_t fs = fdstat(f), ss = fdstat(s);
    truth(!(fs.fs_rights_base & (R(PATH_OPEN) | R(FD_READDIR) | R(PATH_CREATE_FILE))) &&
              fs.fs_rights_inheriting == 0,
          "a file gets no directory rights and inherits nothing");
    truth(!(ss.fs_rights_base & (R(FD_SEEK) | R(FD_ALLOCATE) | R(FD_FILESTAT_SET_SIZE))) &&
              (ss.fs_rights_base & R(PATH_OPEN)),
          "a directory gets no file-only rights");
    __wasi_fdstat_t in = fdstat(0);
    if (in.fs_filetype == __WASI_FILETYPE_CHARACTER_DEVICE) {
        __wasi_filesize_t pos;
        truth(!(in.fs_rights_base & (R(FD_SEEK) | R(FD_TELL))), "a character device has no FD_SEEK or FD_TELL");
        expect(__wasi_fd_seek(0, 1, __WASI_WHENCE_SET, &pos), E(SPIPE), "seeking a character device");
        uint8_t b[1];
        __wasi_iovec_t iov = {b, 1};
        __wasi_size_t n;
        expect(__wasi_fd_pread(0, &iov, 1, 0, &n), E(SPIPE), "fd_pread on a character device: SPIPE");
    } else {
        truth(0, "stdin is a character device (the test runs with /dev/null)");
    }
    (void)__wasi_fd_close(f);
    (void)__wasi_fd_close(s);
}

/* ---- path_* rights ------------------------------------------------------- */

static void path_open_rights(__wasi_fd_t d) {
    __wasi_fd_t s = dir_without(d, R(PATH_OPEN), 0);
    expect(open_err(s, ".", 0, 0, 0), E(NOTCAPABLE), "path_open without PATH_OPEN");
    (void)__wasi_fd_close(s);
    s = must_open(d, "sub", OF(DIRECTORY), DIRALL & ~R(PATH_CREATE_FILE), ALL);
    expect(open_err(s, "new", OF(CREAT), R(FD_WRITE), 0), E(NOTCAPABLE), "O_CREAT without PATH_CREATE_FILE");
    expect(stat_err(s, "new", NULL), E(NOENT), "... and nothing was created");
    (void)__wasi_fd_close(s);
}

static void path_open_trunc(__wasi_fd_t d) {
    __wasi_fd_t s = dir_without(d, R(PATH_FILESTAT_SET_SIZE), 0);
    mkfile(d, "sub/f");
    __wasi_filestat_t st;
    expect(open_err(s, "f", OF(TRUNC), 0, 0), E(NOTCAPABLE), "O_TRUNC without PATH_FILESTAT_SET_SIZE");
    truth(stat_err(s, "f", &st) == 0 && st.size == 5, "... and the file keeps its size");
    expect(open_err(d, "sub/f", OF(TRUNC), 0, 0), E(SUCCESS), "O_TRUNC with PATH_FILESTAT_SET_SIZE");
    truth(stat_err(s, "f", &st) == 0 && st.size == 0, "... truncates");
    (void)__wasi_fd_close(s);
}

static void path_open_sync(__wasi_fd_t d) {
    __wasi_fd_t s = dir_without(d, 0, R(FD_DATASYNC) | R(FD_SYNC));
    mkfile(s, "f");
    expect(open_err(s, "f", 0, R(FD_READ), __WASI_FDFLAGS_DSYNC), E(NOTCAPABLE),
           "fdflags DSYNC without FD_DATASYNC or FD_SYNC to inherit");
    expect(open_err(s, "f", 0, R(FD_READ), __WASI_FDFLAGS_SYNC), E(NOTCAPABLE), "fdflags SYNC without FD_SYNC");
    expect(open_err(s, "f", 0, R(FD_READ), __WASI_FDFLAGS_RSYNC), E(NOTCAPABLE), "fdflags RSYNC without FD_SYNC");
    (void)__wasi_fd_close(s);
    s = must_open(d, "sub", OF(DIRECTORY), DIRALL, ALL & ~R(FD_DATASYNC));
    expect(open_err(s, "f", 0, R(FD_READ), __WASI_FDFLAGS_DSYNC), E(SUCCESS), "fdflags DSYNC with FD_SYNC alone");
    (void)__wasi_fd_close(s);
}

/* The path_* function `which` on directory s, the other fd (if any) d. */
static __wasi_errno_t path_call(int which, __wasi_fd_t s, __wasi_fd_t d) {
    __wasi_filestat_t st;
    uint8_t buf[64];
    __wasi_size_t n;
    __wasi_fd_t fd;
    __wasi_errno_t e;
    switch (which) {
    case 0: return __wasi_path_create_directory(s, "newdir");
    case 1: return __wasi_path_filestat_get(s, 0, "f", &st);
    case 2: return __wasi_path_filestat_set_times(s, 0, "f", 0, 0, __WASI_FSTFLAGS_MTIM_NOW);
    case 3: return __wasi_path_link(s, 0, "f", d, "l1");
    case 4: return __wasi_path_link(d, 0, "sub/f", s, "l2");
    case 5: return __wasi_path_readlink(s, "sym", buf, sizeof buf, &n);
    case 6: return __wasi_path_remove_directory(s, "dir");
    case 7: return __wasi_path_rename(s, "f", d, "moved");
    case 8: return __wasi_path_rename(d, "sub/g", s, "moved");
    case 9: return __wasi_path_symlink("f", s, "sym2");
    case 10: return __wasi_path_unlink_file(s, "f");
    case 11:
        if (!(e = __wasi_path_open(s, 0, "f", 0, 0, 0, 0, &fd)))
            (void)__wasi_fd_close(fd);
        return e;
    }
    return E(INVAL);
}

static const struct {
    __wasi_rights_t right;
    const char *what;
} path_rights[] = {
    {R(PATH_CREATE_DIRECTORY), "path_create_directory without PATH_CREATE_DIRECTORY"},
    {R(PATH_FILESTAT_GET), "path_filestat_get without PATH_FILESTAT_GET"},
    {R(PATH_FILESTAT_SET_TIMES), "path_filestat_set_times without PATH_FILESTAT_SET_TIMES"},
    {R(PATH_LINK_SOURCE), "path_link from a directory without PATH_LINK_SOURCE"},
    {R(PATH_LINK_TARGET), "path_link into a directory without PATH_LINK_TARGET"},
    {R(PATH_READLINK), "path_readlink without PATH_READLINK"},
    {R(PATH_REMOVE_DIRECTORY), "path_remove_directory without PATH_REMOVE_DIRECTORY"},
    {R(PATH_RENAME_SOURCE), "path_rename from a directory without PATH_RENAME_SOURCE"},
    {R(PATH_RENAME_TARGET), "path_rename into a directory without PATH_RENAME_TARGET"},
    {R(PATH_SYMLINK), "path_symlink without PATH_SYMLINK"},
    {R(PATH_UNLINK_FILE), "path_unlink_file without PATH_UNLINK_FILE"},
};

static void path_own_right(__wasi_fd_t d) {
    mkdir_(d, "sub");
    mkfile(d, "sub/f");
    mkfile(d, "sub/g");
    mkdir_(d, "sub/dir");
    mksym(d, "f", "sub/sym");
    for (int i = 0; i < (int)(sizeof path_rights / sizeof path_rights[0]); i++) {
        __wasi_fd_t s = must_open(d, "sub", OF(DIRECTORY), DIRALL & ~path_rights[i].right, ALL);
        expect(path_call(i, s, d), E(NOTCAPABLE), path_rights[i].what);
        (void)__wasi_fd_close(s);
    }
    expect(stat_err(d, "sub/f", NULL), E(SUCCESS), "... and none of them acted");
}

static void path_fd_kind(__wasi_fd_t d) {
    mkdir_(d, "sub");
    mkfile(d, "sub/f");
    __wasi_fd_t f = must_open(d, "sub/f", 0, ALL, ALL);
    int notdir = 0, badf = 0;
    for (int i = 0; i < 12; i++) {
        notdir += path_call(i, f, d) == E(NOTDIR);
        badf += path_call(i, 999, d) == E(BADF);
    }
    truth(notdir == 12, "every path_* function on a file fd: NOTDIR");
    truth(badf == 12, "every path_* function on a closed fd: BADF");
    (void)__wasi_fd_close(f);
}

static void path_open_dir_modes(__wasi_fd_t d) {
    mkdir_(d, "sub");
    mkfile(d, "f");
    expect(open_err(d, "sub", OF(DIRECTORY), R(FD_READ) | R(FD_WRITE), 0), E(ISDIR),
           "O_DIRECTORY with FD_WRITE: ISDIR");
    expect(open_err(d, "sub", 0, R(FD_WRITE), 0), E(ISDIR), "a directory with FD_WRITE, no O_DIRECTORY: ISDIR");
    expect(open_err(d, ".", OF(DIRECTORY), R(FD_READ), 0), E(SUCCESS), "O_DIRECTORY with FD_READ opens");
    __wasi_fd_t s;
    expect(open_at(d, "sub", OF(DIRECTORY), R(FD_ALLOCATE) | R(FD_FILESTAT_SET_SIZE) | R(PATH_OPEN), 0, 0, &s),
           E(SUCCESS), "file-only write rights do not make a directory writable");
    truth(fdstat(s).fs_rights_base == R(PATH_OPEN), "... and are dropped");
    (void)__wasi_fd_close(s);
    expect(open_err(d, "f", OF(DIRECTORY), 0, 0), E(NOTDIR), "O_DIRECTORY on a file: NOTDIR");
    expect(open_err(d, "new", OF(DIRECTORY) | OF(CREAT), 0, 0), E(INVAL), "O_DIRECTORY|O_CREAT: INVAL");
    expect(open_err(d, "sub", OF(DIRECTORY) | OF(TRUNC), 0, 0), E(INVAL), "O_DIRECTORY|O_TRUNC: INVAL");
    expect(open_err(d, "sub", OF(DIRECTORY) | OF(EXCL), 0, 0), E(INVAL), "O_DIRECTORY|O_EXCL: INVAL");
    expect(stat_err(d, "new", NULL), E(NOENT), "... and nothing was created");
    expect(open_err(d, "f", OF(CREAT) | OF(EXCL), 0, 0), E(EXIST), "O_CREAT|O_EXCL on an existing file: EXIST");
}

static void path_link_symlink_rules(__wasi_fd_t d) {
    mkfile(d, "f");
    mksym(d, "f", "sym");
    expect(__wasi_path_link(d, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "sym", d, "l"), E(INVAL),
           "path_link with SYMLINK_FOLLOW: INVAL");
    expect(__wasi_path_symlink("/etc/passwd", d, "abs"), E(NOTCAPABLE), "path_symlink to an absolute target");
}

/* ---- trailing slashes ---------------------------------------------------- */

static void slash_open(__wasi_fd_t d) {
    mkfile(d, "f");
    mkdir_(d, "dir");
    mksym(d, "dir", "dsym");
    expect(open_err(d, "f/", 0, 0, 0), E(NOTDIR), "path_open file/: NOTDIR");
    expect(open_err(d, "f///", 0, 0, 0), E(NOTDIR), "path_open file///: NOTDIR");
    expect(open_err(d, "dir/", 0, 0, 0), E(SUCCESS), "path_open dir/ opens");
    expect(open_err(d, "dsym/", 0, 0, 0), E(SUCCESS),
           "path_open symlink-to-dir/ follows it without SYMLINK_FOLLOW");
    expect(open_err(d, "new/", 0, 0, 0), E(NOENT), "path_open missing/: NOENT");
    expect(open_err(d, "new/", OF(CREAT), R(FD_WRITE), 0), E(ISDIR), "path_open new/ with O_CREAT: ISDIR");
    expect(stat_err(d, "new", NULL), E(NOENT), "... and nothing was created");
}

static void slash_dirs(__wasi_fd_t d) {
    mkfile(d, "f");
    expect(__wasi_path_create_directory(d, "newdir/"), E(SUCCESS), "path_create_directory newdir/ creates it");
    expect(__wasi_path_remove_directory(d, "newdir/"), E(SUCCESS), "path_remove_directory dir/ removes it");
    expect(__wasi_path_remove_directory(d, "f/"), E(NOTDIR), "path_remove_directory file/: NOTDIR");
    expect(__wasi_path_remove_directory(d, "newdir/"), E(NOENT), "path_remove_directory missing/: NOENT");
    expect(__wasi_path_create_directory(d, "f/"), E(EXIST), "path_create_directory file/: EXIST");
    mkdir_(d, "dir");
    expect(__wasi_path_create_directory(d, "dir/"), E(EXIST), "path_create_directory dir/: EXIST");
}

static void slash_unlink(__wasi_fd_t d) {
    mkfile(d, "f");
    mkdir_(d, "dir");
    mksym(d, "dir", "dsym");
    expect(__wasi_path_unlink_file(d, "f/"), E(NOTDIR), "path_unlink_file file/: NOTDIR");
    expect(stat_err(d, "f", NULL), E(SUCCESS), "... and the file is still there");
    expect(__wasi_path_unlink_file(d, "dir/"), E(ISDIR), "path_unlink_file dir/: ISDIR");
    expect(__wasi_path_unlink_file(d, "dsym/"), E(NOTDIR), "path_unlink_file symlink/: NOTDIR");
    expect(__wasi_path_unlink_file(d, "missing/"), E(NOENT), "path_unlink_file missing/: NOENT");
}

static void slash_symlink(__wasi_fd_t d) {
    mkfile(d, "f");
    mkdir_(d, "dir");
    expect(__wasi_path_symlink("source", d, "target/"), E(NOENT), "path_symlink to new/: NOENT");
    expect(stat_err(d, "target", NULL), E(NOENT), "... and nothing was created");
    expect(__wasi_path_symlink("source", d, "dir/"), E(EXIST), "path_symlink to existing-dir/: EXIST");
    expect(__wasi_path_symlink("source", d, "f/"), E(EXIST), "path_symlink to existing-file/: EXIST");
}

static void slash_link(__wasi_fd_t d) {
    mkfile(d, "f");
    mkdir_(d, "dir");
    expect(__wasi_path_link(d, 0, "f", d, "link/"), E(NOENT), "path_link to new/: NOENT");
    expect(stat_err(d, "link", NULL), E(NOENT), "... and nothing was created");
    expect(__wasi_path_link(d, 0, "f", d, "dir/"), E(EXIST), "path_link to existing-dir/: EXIST");
    expect(__wasi_path_link(d, 0, "f/", d, "link"), E(NOTDIR), "path_link from file/: NOTDIR");
    expect(__wasi_path_link(d, 0, "dir/", d, "link"), E(PERM), "path_link from dir/: PERM");
    expect(__wasi_path_link(d, 0, "missing/", d, "link"), E(NOENT), "path_link from missing/: NOENT");
}

static void slash_rename(__wasi_fd_t d) {
    mkfile(d, "f");
    mkdir_(d, "dir");
    expect(__wasi_path_rename(d, "f/", d, "g"), E(NOTDIR), "path_rename file/ -> name: NOTDIR");
    expect(__wasi_path_rename(d, "f", d, "g/"), E(NOTDIR), "path_rename file -> name/: NOTDIR");
    expect(stat_err(d, "f", NULL), E(SUCCESS), "... and the file was not moved");
    expect(__wasi_path_rename(d, "dir/", d, "dir2/"), E(SUCCESS), "path_rename dir/ -> name/ renames");
}

static void slash_stat_times(__wasi_fd_t d) {
    __wasi_filestat_t st;
    mkfile(d, "f");
    mkdir_(d, "dir");
    expect(stat_err(d, "f/", NULL), E(NOTDIR), "path_filestat_get file/: NOTDIR");
    expect(stat_err(d, "missing/", NULL), E(NOENT), "path_filestat_get missing/: NOENT");
    expect(__wasi_path_filestat_set_times(d, 0, "missing/", 0, 0, __WASI_FSTFLAGS_MTIM_NOW), E(NOENT),
           "path_filestat_set_times missing/: NOENT");
    truth(stat_err(d, "dir/", &st) == 0 && st.filetype == __WASI_FILETYPE_DIRECTORY, "path_filestat_get dir/");
    expect(__wasi_path_filestat_set_times(d, 0, "f/", 0, 0, __WASI_FSTFLAGS_MTIM_NOW), E(NOTDIR),
           "path_filestat_set_times file/: NOTDIR");
    expect(__wasi_path_filestat_set_times(d, 0, "dir/", 0, 0, __WASI_FSTFLAGS_MTIM_NOW), E(SUCCESS),
           "path_filestat_set_times dir/");
}

static void slash_readlink(__wasi_fd_t d) {
    uint8_t buf[64];
    __wasi_size_t n;
    mkfile(d, "f");
    mkdir_(d, "dir");
    mksym(d, "f", "fsym");
    mksym(d, "dir", "dsym");
    expect(__wasi_path_readlink(d, "fsym/", buf, sizeof buf, &n), E(NOTDIR),
           "path_readlink link-to-file/: NOTDIR");
    expect(__wasi_path_readlink(d, "dsym/", buf, sizeof buf, &n), E(INVAL), "path_readlink link-to-dir/: INVAL");
    expect(__wasi_path_readlink(d, "missing/", buf, sizeof buf, &n), E(NOENT), "path_readlink missing/: NOENT");
}

static void slash_escape(__wasi_fd_t d) {
    uint8_t buf[64];
    __wasi_size_t n;
    mksym(d, "../../../..", "up");
    expect(__wasi_path_readlink(d, "up/", buf, sizeof buf, &n), E(NOTCAPABLE),
           "path_readlink up/ (a link leading outside) stays inside");
    expect(__wasi_path_filestat_set_times(d, 0, "up/", 0, 0, __WASI_FSTFLAGS_MTIM_NOW), E(NOTCAPABLE),
           "path_filestat_set_times up/ stays inside");
    expect(__wasi_path_link(d, 0, "up/", d, "l"), E(NOTCAPABLE), "path_link from up/ stays inside");
}

static const struct {
    const char *id;
    void (*run)(__wasi_fd_t d);
} rules[] = {
    {"fd-rw", fd_read_write},
    {"fd-positional", fd_positional},
    {"fd-seek-tell", fd_seek_tell},
    {"fd-own-right", fd_own_right},
    {"fd-readdir", fd_readdir_rights},
    {"fd-fdstat", fd_fdstat_rights},
    {"poll", poll_rights},
    {"renumber", renumber_rights},
    {"inherit-file", inherit_file},
    {"inherit-dir", inherit_dir},
    {"by-type", rights_by_type},
    {"open-rights", path_open_rights},
    {"open-trunc", path_open_trunc},
    {"open-sync", path_open_sync},
    {"path-own-right", path_own_right},
    {"path-fd-kind", path_fd_kind},
    {"open-dir-modes", path_open_dir_modes},
    {"link-symlink", path_link_symlink_rules},
    {"slash-open", slash_open},
    {"slash-dirs", slash_dirs},
    {"slash-unlink", slash_unlink},
    {"slash-symlink", slash_symlink},
    {"slash-link", slash_link},
    {"slash-rename", slash_rename},
    {"slash-stat-times", slash_stat_times},
    {"slash-readlink", slash_readlink},
    {"slash-escape", slash_escape},
};

int main(void) {
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
        cur = rules[i].id;
        mkdir_(root, cur);
        __wasi_fd_t d = must_open(root, cur, OF(DIRECTORY), DIRALL, ALL);
        rules[i].run(d);
        (void)__wasi_fd_close(d);
    }
    printf("rules: %d checked, %d failed\n", nchecked, nfailed);
    return nfailed ? 1 : 0;
}
