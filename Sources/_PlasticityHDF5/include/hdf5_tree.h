/* A small view of any HDF5 file as a tree of groups and datasets, for formats laid out by name
 * (NIR graphs): list a group, describe a dataset, read it as float32, float64, int64 or strings;
 * create groups and write such datasets. Paths are absolute ("/node/nodes/lif/tau"). Every
 * function returns 0 on success and nonzero on failure, with a message in `error` that names the
 * path (the caller adds the file name). */
#ifndef PLASTICITY_HDF5_TREE_H
#define PLASTICITY_HDF5_TREE_H

#include <stddef.h>
#include <stdint.h>

typedef struct plasticity_h5_tree plasticity_h5_tree;

enum { PLASTICITY_H5_MISSING = 0, PLASTICITY_H5_GROUP = 1, PLASTICITY_H5_DATASET = 2 };
enum { PLASTICITY_H5_INTEGER = 0, PLASTICITY_H5_FLOAT = 1, PLASTICITY_H5_STRING = 2, PLASTICITY_H5_OTHER = 3 };
#define PLASTICITY_H5_MAX_RANK 8

int plasticity_h5_tree_open(const char *path, plasticity_h5_tree **tree, char *error, size_t error_size);
/* Creates (truncates) a file for writing. */
int plasticity_h5_tree_create(const char *path, plasticity_h5_tree **tree, char *error, size_t error_size);
/* Closes (and for a written file, flushes); nonzero when the flush failed. */
int plasticity_h5_tree_close(plasticity_h5_tree *tree);

/* What `path` is: PLASTICITY_H5_MISSING, _GROUP or _DATASET. */
int plasticity_h5_tree_kind(plasticity_h5_tree *tree, const char *path);
/* The names of a group's members, NUL-separated in a malloc'd buffer (free with plasticity_h5_tree_free). */
int plasticity_h5_tree_children(plasticity_h5_tree *tree, const char *path, char **packed, size_t *packed_size, long long *count,
                                char *error, size_t error_size);
/* A dataset's element class (PLASTICITY_H5_INTEGER, …), rank (0 for a scalar) and extent; refuses extents the file
 * cannot hold (corrupt) and ranks above PLASTICITY_H5_MAX_RANK. */
int plasticity_h5_tree_describe(plasticity_h5_tree *tree, const char *path, int *element_class, int *rank, long long *dims,
                                char *error, size_t error_size);
/* The `count` elements of a numeric dataset, converted by HDF5 (count must be the extent's product). */
int plasticity_h5_tree_read_floats(plasticity_h5_tree *tree, const char *path, float *values, long long count, char *error, size_t error_size);
int plasticity_h5_tree_read_doubles(plasticity_h5_tree *tree, const char *path, double *values, long long count, char *error,
                                    size_t error_size);
int plasticity_h5_tree_read_integers(plasticity_h5_tree *tree, const char *path, int64_t *values, long long count, char *error,
                                     size_t error_size);
/* Every element of a string dataset of any rank, NUL-separated in a malloc'd buffer. */
int plasticity_h5_tree_read_strings(plasticity_h5_tree *tree, const char *path, char **packed, size_t *packed_size, long long *count,
                                    char *error, size_t error_size);
void plasticity_h5_tree_free(void *pointer);

int plasticity_h5_tree_write_group(plasticity_h5_tree *tree, const char *path, char *error, size_t error_size);
/* UTF-8 variable-length strings, as h5py writes str: rank 0 (one string) or an array. */
int plasticity_h5_tree_write_strings(plasticity_h5_tree *tree, const char *path, const char *const *strings, int rank, const long long *dims,
                                     char *error, size_t error_size);
int plasticity_h5_tree_write_floats(plasticity_h5_tree *tree, const char *path, const float *values, int rank, const long long *dims,
                                    char *error, size_t error_size);
int plasticity_h5_tree_write_doubles(plasticity_h5_tree *tree, const char *path, const double *values, int rank, const long long *dims,
                                     char *error, size_t error_size);
int plasticity_h5_tree_write_integers(plasticity_h5_tree *tree, const char *path, const int64_t *values, int rank, const long long *dims,
                                      char *error, size_t error_size);
#endif
