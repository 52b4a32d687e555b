#include "hdf5_tree.h"
#include "hdf5_common.h"

#include <hdf5.h>
#include <stdlib.h>
#include <string.h>

#define fail plasticity_h5_fail

struct plasticity_h5_tree {
    hid_t file;
    char *path;
};

static int make(const char *path, int create, plasticity_h5_tree **out, char *error, size_t size) {
    plasticity_h5_quiet();
    *out = NULL;
    hid_t file = plasticity_h5_open(path, create);
    if (file < 0) return fail(error, size, create ? "cannot be created" : "is not an HDF5 file or cannot be opened");
    plasticity_h5_tree *tree = malloc(sizeof *tree);
    char *copy = strdup(path);
    if (!tree || !copy) { free(tree); free(copy); H5Fclose(file); return fail(error, size, "out of memory"); }
    tree->file = file; tree->path = copy;
    *out = tree;
    return 0;
}

int plasticity_h5_tree_open(const char *path, plasticity_h5_tree **tree, char *error, size_t size) { return make(path, 0, tree, error, size); }
int plasticity_h5_tree_create(const char *path, plasticity_h5_tree **tree, char *error, size_t size) { return make(path, 1, tree, error, size); }

int plasticity_h5_tree_close(plasticity_h5_tree *tree) {
    if (!tree) return 0;
    int status = H5Fclose(tree->file) < 0 ? -1 : 0;
    free(tree->path);
    free(tree);
    return status;
}

void plasticity_h5_tree_free(void *pointer) { free(pointer); }

int plasticity_h5_tree_kind(plasticity_h5_tree *tree, const char *path) {
    plasticity_h5_quiet();
    if (strcmp(path, "/") == 0) return PLASTICITY_H5_GROUP;
    if (!plasticity_h5_exists(tree->file, path)) return PLASTICITY_H5_MISSING;
    hid_t object = H5Oopen(tree->file, path, H5P_DEFAULT);
    if (object < 0) { H5Eclear2(H5E_DEFAULT); return PLASTICITY_H5_MISSING; }
    H5I_type_t type = H5Iget_type(object);
    H5Oclose(object);
    return type == H5I_GROUP ? PLASTICITY_H5_GROUP : type == H5I_DATASET ? PLASTICITY_H5_DATASET : PLASTICITY_H5_MISSING;
}

typedef struct { char *buffer; size_t used, capacity; long long count; } names;

#if H5_VERSION_GE(1, 12, 0)
typedef H5L_info2_t link_info;
#define iterate H5Literate2
#else
typedef H5L_info_t link_info;
#define iterate H5Literate
#endif

static herr_t collect(hid_t group, const char *name, const link_info *info, void *data) {
    (void)group; (void)info;
    names *list = data;
    size_t length = strlen(name) + 1;
    if (list->used + length > list->capacity) {
        size_t capacity = (list->capacity + length) * 2;
        char *grown = realloc(list->buffer, capacity);
        if (!grown) return -1;
        list->buffer = grown; list->capacity = capacity;
    }
    memcpy(list->buffer + list->used, name, length);
    list->used += length;
    list->count += 1;
    return 0;
}

int plasticity_h5_tree_children(plasticity_h5_tree *tree, const char *path, char **packed, size_t *packed_size, long long *count,
                                char *error, size_t size) {
    plasticity_h5_quiet();
    *packed = NULL; *packed_size = 0; *count = 0;
    hid_t group = H5Gopen2(tree->file, path, H5P_DEFAULT);
    if (group < 0) return fail(error, size, "%s is not a group", path);
    names list = {0};
    hsize_t index = 0;
    int status = iterate(group, H5_INDEX_NAME, H5_ITER_INC, &index, collect, &list) < 0 ? fail(error, size, "%s cannot be listed", path) : 0;
    H5Gclose(group);
    if (status) { free(list.buffer); return status; }
    *packed = list.buffer; *packed_size = list.used; *count = list.count;
    return 0;
}

/* Opens a dataset and its extent; refuses ranks above the maximum and extents larger than the
 * file could store (deflate compresses at most 1032:1), so nobody allocates for a corrupt one. */
static hid_t open_dataset(plasticity_h5_tree *tree, const char *path, int *rank, hsize_t *dims, long long *total, char *error, size_t size) {
    plasticity_h5_quiet();
    if (plasticity_h5_tree_kind(tree, path) != PLASTICITY_H5_DATASET) { fail(error, size, "%s is missing or not a dataset", path); return -1; }
    hid_t dataset = H5Dopen2(tree->file, path, H5P_DEFAULT);
    if (dataset < 0) { fail(error, size, "%s cannot be opened", path); return -1; }
    hid_t space = H5Dget_space(dataset), type = H5Dget_type(dataset);
    int n = space >= 0 ? H5Sget_simple_extent_ndims(space) : -1;
    int ok = n >= 0 && n <= PLASTICITY_H5_MAX_RANK && H5Sget_simple_extent_dims(space, dims, NULL) == n;
    long long product = 1;
    for (int i = 0; ok && i < n; ++i) {
        if (dims[i] > (hsize_t)((1LL << 31) - 1) || (product = product * (long long)dims[i]) > (1LL << 31) - 1) ok = 0;
    }
    if (ok && H5Sget_simple_extent_type(space) == H5S_NULL) product = 0;
    size_t element = type >= 0 ? H5Tget_size(type) : 0;
    unsigned long long stored = H5Dget_storage_size(dataset);
    /* A compact dataset keeps its data in its header: HDF5 1.10 trusts the header's size and
     * copies past the buffer when it disagrees with the extent (newer versions refuse). */
    hid_t plist = H5Dget_create_plist(dataset);
    int compact = plist >= 0 && H5Pget_layout(plist) == H5D_COMPACT;
    if (plist >= 0) H5Pclose(plist);
    if (ok && compact && stored != (unsigned long long)product * element) ok = 0;
    if (ok && !compact && product > 0 && (element == 0 || (unsigned long long)product > (stored * 1032ULL) / element + 1)) ok = 0;
    if (space >= 0) H5Sclose(space);
    if (type >= 0) H5Tclose(type);
    if (!ok) {
        H5Dclose(dataset);
        fail(error, size, n > PLASTICITY_H5_MAX_RANK ? "%s has more than 8 dimensions"
                                                     : "%s claims more elements than the file stores (corrupt extent)", path);
        return -1;
    }
    *rank = n; *total = product;
    return dataset;
}

int plasticity_h5_tree_describe(plasticity_h5_tree *tree, const char *path, int *element_class, int *rank, long long *dims, char *error,
                                size_t size) {
    hsize_t extent[PLASTICITY_H5_MAX_RANK];
    long long total = 0;
    hid_t dataset = open_dataset(tree, path, rank, extent, &total, error, size);
    if (dataset < 0) return -1;
    for (int i = 0; i < *rank; ++i) dims[i] = (long long)extent[i];
    hid_t type = H5Dget_type(dataset);
    H5T_class_t kind = type >= 0 ? H5Tget_class(type) : H5T_NO_CLASS;
    *element_class = kind == H5T_INTEGER ? PLASTICITY_H5_INTEGER : kind == H5T_FLOAT ? PLASTICITY_H5_FLOAT
                   : kind == H5T_STRING ? PLASTICITY_H5_STRING : PLASTICITY_H5_OTHER;
    if (type >= 0) H5Tclose(type);
    H5Dclose(dataset);
    return 0;
}

static int read_numbers(plasticity_h5_tree *tree, const char *path, hid_t memory, void *values, long long count, char *error, size_t size) {
    int rank = 0;
    hsize_t dims[PLASTICITY_H5_MAX_RANK];
    long long total = 0;
    hid_t dataset = open_dataset(tree, path, &rank, dims, &total, error, size);
    if (dataset < 0) return -1;
    hid_t type = H5Dget_type(dataset);
    H5T_class_t kind = type >= 0 ? H5Tget_class(type) : H5T_NO_CLASS;
    if (type >= 0) H5Tclose(type);
    int status = 0;
    if (kind != H5T_INTEGER && kind != H5T_FLOAT) status = fail(error, size, "%s is not numeric", path);
    else if (total != count) status = fail(error, size, "%s holds %lld numbers, %lld expected", path, total, count);
    else if (count > 0 && H5Dread(dataset, memory, H5S_ALL, H5S_ALL, H5P_DEFAULT, values) < 0) status = fail(error, size, "%s cannot be read", path);
    H5Dclose(dataset);
    return status;
}

int plasticity_h5_tree_read_floats(plasticity_h5_tree *tree, const char *path, float *values, long long count, char *error, size_t size) {
    return read_numbers(tree, path, H5T_NATIVE_FLOAT, values, count, error, size);
}
int plasticity_h5_tree_read_doubles(plasticity_h5_tree *tree, const char *path, double *values, long long count, char *error, size_t size) {
    return read_numbers(tree, path, H5T_NATIVE_DOUBLE, values, count, error, size);
}
int plasticity_h5_tree_read_integers(plasticity_h5_tree *tree, const char *path, int64_t *values, long long count, char *error, size_t size) {
    return read_numbers(tree, path, H5T_NATIVE_INT64, values, count, error, size);
}

int plasticity_h5_tree_read_strings(plasticity_h5_tree *tree, const char *path, char **packed, size_t *packed_size, long long *count,
                                    char *error, size_t size) {
    *packed = NULL; *packed_size = 0; *count = 0;
    int rank = 0;
    hsize_t dims[PLASTICITY_H5_MAX_RANK];
    long long total = 0;
    hid_t dataset = open_dataset(tree, path, &rank, dims, &total, error, size);
    if (dataset < 0) return -1;
    /* Variable-length strings are checked against the global heap before HDF5 reads them
     * (vlen_check.h), which needs their elements in the file: a compact one (in its header; no
     * writer of NIR files makes one) is refused rather than trusted. */
    hid_t type = H5Dget_type(dataset), plist = H5Dget_create_plist(dataset);
    int unchecked = type >= 0 && H5Tis_variable_str(type) > 0 && plist >= 0 && H5Pget_layout(plist) == H5D_COMPACT;
    if (type >= 0) H5Tclose(type);
    if (plist >= 0) H5Pclose(plist);
    int status = unchecked ? fail(error, size, "%s is a compact variable-length string dataset, which this reader does not take", path)
                           : plasticity_h5_read_string_elements(tree->file, tree->path, dataset, path, total, packed, packed_size, error, size);
    if (status == 0) *count = total;
    H5Dclose(dataset);
    return status;
}

int plasticity_h5_tree_write_group(plasticity_h5_tree *tree, const char *path, char *error, size_t size) {
    plasticity_h5_quiet();
    hid_t group = H5Gcreate2(tree->file, path, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (group < 0) return fail(error, size, "%s cannot be created", path);
    H5Gclose(group);
    return 0;
}

static int write_dataset(plasticity_h5_tree *tree, const char *path, hid_t file_type, hid_t memory_type, const void *data, int rank,
                         const long long *dims, char *error, size_t size) {
    plasticity_h5_quiet();
    if (rank < 0 || rank > PLASTICITY_H5_MAX_RANK) return fail(error, size, "%s: rank %d", path, rank);
    hsize_t extent[PLASTICITY_H5_MAX_RANK];
    for (int i = 0; i < rank; ++i) extent[i] = (hsize_t)dims[i];
    hid_t space = rank == 0 ? H5Screate(H5S_SCALAR) : H5Screate_simple(rank, extent, NULL);
    hid_t dataset = space >= 0 ? H5Dcreate2(tree->file, path, file_type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT) : -1;
    int written = dataset >= 0 && H5Dwrite(dataset, memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) >= 0;
    int status = written ? 0 : fail(error, size, "%s cannot be written", path);
    if (dataset >= 0) H5Dclose(dataset);
    if (space >= 0) H5Sclose(space);
    return status;
}

int plasticity_h5_tree_write_strings(plasticity_h5_tree *tree, const char *path, const char *const *strings, int rank, const long long *dims,
                                     char *error, size_t size) {
    hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, H5T_VARIABLE);
    H5Tset_cset(type, H5T_CSET_UTF8);
    int status = write_dataset(tree, path, type, type, strings, rank, dims, error, size);
    H5Tclose(type);
    return status;
}

int plasticity_h5_tree_write_floats(plasticity_h5_tree *tree, const char *path, const float *values, int rank, const long long *dims,
                                    char *error, size_t size) {
    return write_dataset(tree, path, H5T_IEEE_F32LE, H5T_NATIVE_FLOAT, values, rank, dims, error, size);
}
int plasticity_h5_tree_write_doubles(plasticity_h5_tree *tree, const char *path, const double *values, int rank, const long long *dims,
                                     char *error, size_t size) {
    return write_dataset(tree, path, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, values, rank, dims, error, size);
}
int plasticity_h5_tree_write_integers(plasticity_h5_tree *tree, const char *path, const int64_t *values, int rank, const long long *dims,
                                      char *error, size_t size) {
    return write_dataset(tree, path, H5T_STD_I64LE, H5T_NATIVE_INT64, values, rank, dims, error, size);
}
