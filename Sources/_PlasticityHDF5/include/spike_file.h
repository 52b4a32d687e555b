/* Spike files in the SHD/SSC layout (Cramer et al. 2020), read and written through libhdf5:
 *
 *   spikes/times   [N] variable-length float (seconds)    any float type; read as native float
 *   spikes/units   [N] variable-length integer (channel)  any integer type; read as native uint32
 *   labels         [N] integer
 *   extra/speaker  [N] integer                            optional
 *   extra/keys     [K] string (class names)               optional, fixed or variable length
 *
 * Every function returns 0 on success and nonzero on failure, with a message in `error` that
 * names the dataset (the caller adds the file name). HDF5's own error printing is switched off.
 */
#ifndef PLASTICITY_SPIKE_FILE_H
#define PLASTICITY_SPIKE_FILE_H

#include <stddef.h>
#include <stdint.h>

typedef struct plasticity_spike_file plasticity_spike_file;

/* Opens a file and checks the layout: both spike datasets 1-D variable-length arrays of the right
 * base class with the same number of samples, and `labels` with one integer per sample. */
int plasticity_spike_file_open(const char *path, plasticity_spike_file **file, char *error, size_t error_size);
void plasticity_spike_file_close(plasticity_spike_file *file);
long long plasticity_spike_file_count(const plasticity_spike_file *file);

/* Reads `count` entries of an integer dataset as int32. Returns 1 (not an error message) when the
 * dataset does not exist, so optional datasets can be probed. */
int plasticity_spike_file_read_integers(plasticity_spike_file *file, const char *dataset, int32_t *values, long long count,
                                        char *error, size_t error_size);

/* Reads a 1-D string dataset as `count` NUL-terminated strings packed into one malloc'd buffer
 * (free with plasticity_spike_file_free). Returns 1 when the dataset does not exist. */
int plasticity_spike_file_read_strings(plasticity_spike_file *file, const char *dataset, char **packed, size_t *packed_size,
                                       long long *count, char *error, size_t error_size);

/* One sample's spikes: malloc'd arrays (free with plasticity_spike_file_free) of `length` entries.
 * Fails when the sample's times and units differ in length. */
int plasticity_spike_file_sample(plasticity_spike_file *file, long long index, float **times, uint32_t **units, size_t *length,
                                 char *error, size_t error_size);
void plasticity_spike_file_free(void *pointer);

/* Writes a complete file (sample i's spikes are entries offsets[i] ..< offsets[i+1]; units use
 * `unit_offsets` when not NULL, which tests use to write mismatched files). Times are
 * stored as IEEE half and units/labels/speakers as uint16 when `half_precision` is nonzero (as
 * the published SHD files are), else as float32 / uint32 / int32. `speakers` and `keys` may be
 * NULL, and so may `labels` (an invalid file, for tests). The caller writes to a temporary path and renames. */
int plasticity_spike_file_write(const char *path, long long count, const float *times, const uint32_t *units,
                                const uint64_t *offsets, const uint64_t *unit_offsets, const int32_t *labels, const int32_t *speakers,
                                const char *const *keys, long long key_count, int half_precision,
                                char *error, size_t error_size);

#endif
