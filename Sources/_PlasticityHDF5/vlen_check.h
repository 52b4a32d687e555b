#ifndef PLASTICITY_VLEN_CHECK_H
#define PLASTICITY_VLEN_CHECK_H
#include <hdf5.h>
#include <stddef.h>

/* Checks each element of the 1-D variable-length dataset `dataset` (n elements, `base_size`
 * bytes per entry on disk) against its global-heap object, by plain reads of the file at
 * `path`, before HDF5 itself reads any. 0: consistent; -1: corrupt, with a message starting
 * with `name`; 1: not a contiguous dataset, not checked. */
int plasticity_check_vlen(hid_t file, hid_t dataset, const char *path, const char *name, long long n, size_t base_size,
                          char *error, size_t size);
#endif
