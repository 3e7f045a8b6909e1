/*
 * embed.c — lookup of files compiled into the binary.
 */
#include "rcm/embed.h"

#include <string.h>

const struct rcm_embedded_file *
rcm_embed_find(const char *path)
{
    for (const struct rcm_embedded_file *f = rcm_embedded_files; f->path; f++)
        if (strcmp(f->path, path) == 0)
            return f;
    return NULL;
}
