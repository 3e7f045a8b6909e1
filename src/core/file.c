/*
 * file.c — atomic file writes (rcm/file.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "rcm/file.h"

enum rcm_err
rcm_dir_ensure(const char *dir, struct rcm_diag *diag)
{
    char path[4096];
    if (snprintf(path, sizeof path, "%s", dir) >= (int)sizeof path || !path[0])
        return rcm_diag_fail(diag, RCM_E_INVAL, "directory path is empty or too long");
    for (char *p = path + 1; ; p++) {
        char c = *p;
        if (c != '/' && c != '\0')
            continue;
        *p = '\0';
        if (mkdir(path, 0700) != 0 && errno != EEXIST)
            return rcm_diag_fail(diag, RCM_E_IO, "cannot create %s: %s", path, strerror(errno));
        *p = c;
        if (c == '\0')
            break;
    }
    return RCM_OK;
}

static bool
write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

enum rcm_err
rcm_file_write_atomic(const char *dir, const char *name, const void *data, size_t n,
                      struct rcm_diag *diag)
{
    if (!name[0] || name[0] == '.' || strchr(name, '/'))
        return rcm_diag_fail(diag, RCM_E_INVAL, "a file name without '/' is required");
    char path[4096], tmp[4096];
    if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path ||
        snprintf(tmp, sizeof tmp, "%s/.%s.XXXXXX", dir, name) >= (int)sizeof tmp)
        return rcm_diag_fail(diag, RCM_E_INVAL, "path too long");
    int fd = mkstemp(tmp);
    if (fd < 0)
        return rcm_diag_fail(diag, RCM_E_IO, "cannot create a file in %s: %s", dir,
                             strerror(errno));
    bool ok = fchmod(fd, 0600) == 0 && write_all(fd, data, n) && fsync(fd) == 0;
    int saved = errno;
    ok = close(fd) == 0 && ok;
    if (ok && rename(tmp, path) != 0) {
        saved = errno;
        ok = false;
    }
    if (!ok) {
        unlink(tmp);
        return rcm_diag_fail(diag, RCM_E_IO, "cannot write %s: %s", path, strerror(saved));
    }
    int dfd = open(dir, O_RDONLY | O_DIRECTORY);
    if (dfd >= 0) {
        (void)fsync(dfd);
        close(dfd);
    }
    return RCM_OK;
}
