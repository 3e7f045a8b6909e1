/*
 * rcm/file.h — writing a file so that a reader never sees half of it: the
 * bytes go to a temporary file in the same directory, are synced, and the
 * temporary file is renamed over the name (then the directory is synced).
 * Used for the 837 outbox, where a clearinghouse connector picks up
 * whatever file it finds.
 */
#ifndef RCM_FILE_H
#define RCM_FILE_H

#include <stddef.h>

#include "rcm/err.h"

/* Create dir (and missing parents) with mode 0700 when absent. */
RCM_MUST_CHECK enum rcm_err rcm_dir_ensure(const char *dir, struct rcm_diag *diag);

/*
 * Write data[0..n) to dir/name, mode 0600, atomically (see above). `name`
 * is a plain file name (no '/', not starting with '.'); an existing file
 * of that name is replaced. RCM_E_IO with the path and errno text on
 * failure (the temporary file is removed).
 */
RCM_MUST_CHECK enum rcm_err rcm_file_write_atomic(const char *dir, const char *name,
                                                  const void *data, size_t n,
                                                  struct rcm_diag *diag);

#endif
