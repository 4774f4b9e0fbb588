/* Telling USD files apart by content, never by extension: a `.usd` file may
 * hold text or a binary crate, and a scene passed where a module is
 * expected must be recognised before it is taken for wasm. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "internal.h"

/* usdz is a zip archive whose first entry is the root layer (a .usd, .usda
 * or .usdc file): any other zip is not a usdz. */
static bool usdz_first_entry(const unsigned char *d, size_t len) {
    if (len < 30) return false;
    size_t name_len = (size_t)d[26] | (size_t)d[27] << 8;
    if (name_len < 5 || 30 + name_len > len) return false;
    const char *name = (const char *)d + 30;
    for (size_t k = 4; k <= 5 && k <= name_len; k++) {
        const char *ext = name + name_len - k;
        if (!memcmp(ext, ".usd", 4) && (k == 4 || ext[4] == 'a' || ext[4] == 'c')) return true;
    }
    return false;
}

pusd_file_kind pusd_sniff(const void *data, size_t len) {
    const unsigned char *d = data;
    if (!d) return PUSD_FILE_NOT_USD;
    if (len >= 3 && d[0] == 0xef && d[1] == 0xbb && d[2] == 0xbf) {
        d += 3;
        len -= 3;
    }
    if ((len >= 5 && !memcmp(d, "#usda", 5)) || (len >= 4 && !memcmp(d, "#sdf", 4))) return PUSD_FILE_USDA;
    if (len >= 8 && !memcmp(d, "PXR-USDC", 8)) return PUSD_FILE_USDC;
    if (len >= 4 && !memcmp(d, "PK\3\4", 4) && usdz_first_entry(d, len)) return PUSD_FILE_USDZ;
    return PUSD_FILE_NOT_USD;
}

pusd_file_kind pusd_sniff_file(const char *path) {
    /* O_NONBLOCK: a FIFO without a writer must not hang the caller */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) return PUSD_FILE_NOT_USD;
    struct stat st;
    unsigned char head[30 + 1024];
    size_t n = 0;
    if (!fstat(fd, &st) && S_ISREG(st.st_mode)) {
        while (n < sizeof head) {
            ssize_t r = read(fd, head + n, sizeof head - n);
            if (r < 0 && errno == EINTR) continue;
            if (r <= 0) break;
            n += (size_t)r;
        }
    }
    close(fd);
    return pusd_sniff(head, n);
}
