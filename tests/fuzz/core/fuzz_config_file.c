/* Fuzz the configuration file reader: any bytes give RCM_OK or a precise
 * error, and the config stays valid to dump afterwards. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "rcm/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[] = "/tmp/rcm-fuzz-config-XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0)
        return 0;
    if (write(fd, data, size) != (ssize_t)size) {
        close(fd);
        unlink(path);
        return 0;
    }
    close(fd);
    struct rcm_config cfg;
    if (rcm_config_init(&cfg) != RCM_OK)
        abort();
    struct rcm_diag diag = RCM_DIAG_INIT;
    enum rcm_err err = rcm_config_load_file(&cfg, path, &diag);
    if (err && !diag.msg[0])
        abort();                /* every failure says why */
    struct rcm_buf out = RCM_BUF_INIT(1 << 20);
    if (rcm_config_dump(&cfg, true, &out) != RCM_OK)
        abort();
    rcm_buf_release(&out);
    rcm_config_release(&cfg);
    unlink(path);
    return 0;
}
