/* Helpers the spike-file and the tree readers share (internal to this target). */
#ifndef PLASTICITY_HDF5_COMMON_H
#define PLASTICITY_HDF5_COMMON_H
#include <hdf5.h>
#include <stddef.h>

/* Writes the message (printf format) into `error`, with HDF5's innermost message after it in
 * parentheses, clears HDF5's error stack and returns -1. */
int plasticity_h5_fail(char *error, size_t size, const char *format, ...);
/* Opens (read-only) or creates (truncating) an HDF5 file without HDF5's file locks and with its
 * descriptor close-on-exec: a child process started meanwhile (the CLI, mpirun, python in a test
 * or a user's program) must not inherit the descriptor and, with it, a lock that outlives us.
 * Plasticity writes every file to a temporary name and renames it, so the locks guard nothing. */
hid_t plasticity_h5_open(const char *path, int create);
/* Switches HDF5's own error printing off. */
void plasticity_h5_quiet(void);
/* Whether the link `path` exists below `file` (1) or not (0), intermediate groups included. */
int plasticity_h5_exists(hid_t file, const char *path);
/* The n elements of a string dataset (any rank; variable or fixed length), NUL-separated in a
 * malloc'd buffer. Variable-length ones are checked against the file first (vlen_check.h). */
int plasticity_h5_read_string_elements(hid_t file, const char *file_path, hid_t dataset, const char *name, long long n,
                                       char **packed, size_t *packed_size, char *error, size_t size);
#endif
