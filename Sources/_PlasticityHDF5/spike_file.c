#include "spike_file.h"
#include "vlen_check.h"
#include "hdf5_common.h"

#include <hdf5.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct plasticity_spike_file {
    hid_t file, times, units;
    long long count;
    char *path;
};

/* Bytes per entry of a variable-length dataset's base type, as stored in the file. */
static size_t base_size(hid_t dataset) {
    hid_t type = H5Dget_type(dataset), super = type >= 0 ? H5Tget_super(type) : -1;
    size_t bytes = super >= 0 ? H5Tget_size(super) : 0;
    if (super >= 0) H5Tclose(super);
    if (type >= 0) H5Tclose(type);
    return bytes;
}

#define fail plasticity_h5_fail
#define quiet plasticity_h5_quiet
#define exists plasticity_h5_exists

/* The length of a 1-D dataset, or -1 — also when the file cannot hold that many elements: a
 * dataset of n elements of s bytes stores at least n·s/1032 bytes (deflate's largest ratio),
 * so a corrupt extent is refused before anyone allocates n of anything. */
static long long length_1d(hid_t dataset) {
    hid_t space = H5Dget_space(dataset);
    if (space < 0) return -1;
    hsize_t dims[1];
    long long n = H5Sget_simple_extent_ndims(space) == 1 && H5Sget_simple_extent_dims(space, dims, NULL) == 1 ? (long long)dims[0] : -1;
    H5Sclose(space);
    hid_t type = H5Dget_type(dataset);
    size_t element = type >= 0 ? H5Tget_size(type) : 0;
    if (type >= 0) H5Tclose(type);
    unsigned long long stored = H5Dget_storage_size(dataset);
    if (n > 0 && (element == 0 || (unsigned long long)n > (stored * 1032ULL) / element + 1 || n > (1LL << 31) - 1)) return -2;
    return n;
}

/* Opens `name` as a 1-D variable-length array of `base` class. */
static hid_t open_vlen(hid_t file, const char *name, H5T_class_t base, const char *what, long long *n, char *error, size_t size) {
    if (!exists(file, name)) { fail(error, size, "%s is missing", name); return -1; }
    hid_t dataset = H5Dopen2(file, name, H5P_DEFAULT);
    if (dataset < 0) { fail(error, size, "%s cannot be opened", name); return -1; }
    hid_t type = H5Dget_type(dataset);
    int ok = type >= 0 && H5Tget_class(type) == H5T_VLEN;
    if (ok) {
        hid_t super = H5Tget_super(type);
        ok = super >= 0 && H5Tget_class(super) == base;
        if (super >= 0) H5Tclose(super);
    }
    if (type >= 0) H5Tclose(type);
    if (!ok) { H5Dclose(dataset); fail(error, size, "%s is not a variable-length array of %s", name, what); return -1; }
    *n = length_1d(dataset);
    if (*n == -2) { H5Dclose(dataset); fail(error, size, "%s claims more elements than the file stores for it (corrupt extent)", name); return -1; }
    if (*n < 0) { H5Dclose(dataset); fail(error, size, "%s is not one-dimensional", name); return -1; }
    return dataset;
}

int plasticity_spike_file_open(const char *path, plasticity_spike_file **out, char *error, size_t size) {
    quiet();
    *out = NULL;
    if (H5Fis_hdf5(path) <= 0) return fail(error, size, "file is not an HDF5 file (or is truncated)");
    hid_t file = plasticity_h5_open(path, 0);
    if (file < 0) return fail(error, size, "file cannot be opened as HDF5");
    long long nt = 0, nu = 0;
    hid_t times = open_vlen(file, "spikes/times", H5T_FLOAT, "floats", &nt, error, size);
    hid_t units = times < 0 ? -1 : open_vlen(file, "spikes/units", H5T_INTEGER, "integers", &nu, error, size);
    if (times < 0 || units < 0) {
        if (times >= 0) H5Dclose(times);
        H5Fclose(file);
        return -1;
    }
    if (nt != nu) {
        H5Dclose(times); H5Dclose(units); H5Fclose(file);
        return fail(error, size, "spikes/units has %lld samples, spikes/times has %lld", nu, nt);
    }
    /* Every sample's lengths against the heap, before HDF5 reads one (see vlen_check.c). */
    if (plasticity_check_vlen(file, times, path, "spikes/times", nt, base_size(times), error, size) < 0 ||
        plasticity_check_vlen(file, units, path, "spikes/units", nu, base_size(units), error, size) < 0) {
        H5Dclose(times); H5Dclose(units); H5Fclose(file);
        return -1;
    }
    struct plasticity_spike_file *f = malloc(sizeof *f);
    char *copy = strdup(path);
    if (!f || !copy) { free(f); free(copy); H5Dclose(times); H5Dclose(units); H5Fclose(file); return fail(error, size, "file: out of memory"); }
    f->file = file; f->times = times; f->units = units; f->count = nt; f->path = copy;
    *out = f;
    return 0;
}

void plasticity_spike_file_close(plasticity_spike_file *f) {
    if (!f) return;
    H5Dclose(f->times); H5Dclose(f->units); H5Fclose(f->file);
    free(f->path);
    free(f);
}

long long plasticity_spike_file_count(const plasticity_spike_file *f) { return f->count; }

int plasticity_spike_file_read_integers(plasticity_spike_file *f, const char *name, int32_t *values, long long count, char *error, size_t size) {
    quiet();
    if (!exists(f->file, name)) return 1;
    hid_t dataset = H5Dopen2(f->file, name, H5P_DEFAULT);
    if (dataset < 0) return fail(error, size, "%s cannot be opened", name);
    hid_t type = H5Dget_type(dataset);
    int integer = type >= 0 && H5Tget_class(type) == H5T_INTEGER;
    if (type >= 0) H5Tclose(type);
    long long n = length_1d(dataset);
    int status = 0;
    if (!integer) status = fail(error, size, "%s is not an integer dataset", name);
    else if (n == -2) status = fail(error, size, "%s claims more elements than the file stores for it (corrupt extent)", name);
    else if (n != count) status = fail(error, size, "%s has %lld entries, spikes/times has %lld samples", name, n, count);
    else if (H5Dread(dataset, H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, values) < 0)
        status = fail(error, size, "%s cannot be read as int32", name);
    H5Dclose(dataset);
    return status;
}

int plasticity_spike_file_read_strings(plasticity_spike_file *f, const char *name, char **packed, size_t *packed_size,
                                       long long *count, char *error, size_t size) {
    quiet();
    *packed = NULL; *packed_size = 0; *count = 0;
    if (!exists(f->file, name)) return 1;
    hid_t dataset = H5Dopen2(f->file, name, H5P_DEFAULT);
    if (dataset < 0) return fail(error, size, "%s cannot be opened", name);
    hid_t type = H5Dget_type(dataset);
    long long n = length_1d(dataset);
    int status = 0;
    if (type < 0 || H5Tget_class(type) != H5T_STRING) status = fail(error, size, "%s is not a string dataset", name);
    else if (n == -2) status = fail(error, size, "%s claims more elements than the file stores for it (corrupt extent)", name);
    else if (n < 0) status = fail(error, size, "%s is not one-dimensional", name);
    else {
        status = plasticity_h5_read_string_elements(f->file, f->path, dataset, name, n, packed, packed_size, error, size);
        if (status == 0) *count = n;
    }
    if (type >= 0) H5Tclose(type);
    H5Dclose(dataset);
    return status;
}

/* Reads element `index` of a variable-length dataset as `memory_base`; returns a malloc'd copy. */
static int read_vlen(hid_t dataset, const char *name, long long index, hid_t memory_base, size_t element, void **out, size_t *length,
                     char *error, size_t size) {
    hid_t space = H5Dget_space(dataset);
    hsize_t start = (hsize_t)index, one = 1;
    hid_t memory_space = H5Screate_simple(1, &one, NULL);
    hid_t memory = H5Tvlen_create(memory_base);
    hvl_t value = {0, NULL};
    int status = 0;
    if (space < 0 || H5Sselect_hyperslab(space, H5S_SELECT_SET, &start, NULL, &one, NULL) < 0 ||
        H5Dread(dataset, memory, memory_space, space, H5P_DEFAULT, &value) < 0) {
        status = fail(error, size, "%s[%lld] cannot be read", name, index);
    } else {
        *length = value.len;
        *out = malloc(value.len ? value.len * element : 1);
        if (!*out) status = fail(error, size, "%s[%lld]: out of memory for %zu entries", name, index, value.len);
        else if (value.len) memcpy(*out, value.p, value.len * element);
#if H5_VERSION_GE(1, 12, 0)
        H5Treclaim(memory, memory_space, H5P_DEFAULT, &value);
#else
        H5Dvlen_reclaim(memory, memory_space, H5P_DEFAULT, &value);
#endif
    }
    H5Tclose(memory); H5Sclose(memory_space);
    if (space >= 0) H5Sclose(space);
    return status;
}

int plasticity_spike_file_sample(plasticity_spike_file *f, long long index, float **times, uint32_t **units, size_t *length,
                                 char *error, size_t size) {
    quiet();
    *times = NULL; *units = NULL; *length = 0;
    if (index < 0 || index >= f->count) return fail(error, size, "sample %lld is out of range (%lld samples)", index, f->count);
    size_t nt = 0, nu = 0;
    void *t = NULL, *u = NULL;
    if (read_vlen(f->times, "spikes/times", index, H5T_NATIVE_FLOAT, sizeof(float), &t, &nt, error, size)) return -1;
    if (read_vlen(f->units, "spikes/units", index, H5T_NATIVE_UINT32, sizeof(uint32_t), &u, &nu, error, size)) { free(t); return -1; }
    if (nt != nu) {
        free(t); free(u);
        return fail(error, size, "spikes/times[%lld] has %zu spikes, spikes/units[%lld] has %zu", index, nt, index, nu);
    }
    *times = t; *units = u; *length = nt;
    return 0;
}

void plasticity_spike_file_free(void *pointer) { free(pointer); }

/* IEEE 754 binary16, the way h5py describes numpy's float16 to HDF5. */
static hid_t half_type(void) {
    hid_t t = H5Tcopy(H5T_IEEE_F32LE);
    H5Tset_fields(t, 15, 10, 5, 0, 10);
    H5Tset_size(t, 2);
    H5Tset_ebias(t, 15);
    return t;
}

static int write_plain(hid_t parent, const char *name, hid_t file_type, hid_t memory_type, long long n, const void *data) {
    hsize_t dims = (hsize_t)n;
    hid_t space = H5Screate_simple(1, &dims, NULL);
    hid_t dataset = H5Dcreate2(parent, name, file_type, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    int status = dataset < 0 || H5Dwrite(dataset, memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0 ? -1 : 0;
    if (dataset >= 0) H5Dclose(dataset);
    H5Sclose(space);
    return status;
}

static int write_vlen(hid_t parent, const char *name, hid_t file_base, hid_t memory_base, size_t element, long long n,
                      const void *values, const uint64_t *offsets) {
    hvl_t *rows = malloc((size_t)(n ? n : 1) * sizeof *rows);
    if (!rows) return -1;
    for (long long i = 0; i < n; ++i) {
        rows[i].len = (size_t)(offsets[i + 1] - offsets[i]);
        rows[i].p = (char *)values + offsets[i] * element;
    }
    hid_t file_type = H5Tvlen_create(file_base), memory_type = H5Tvlen_create(memory_base);
    int status = write_plain(parent, name, file_type, memory_type, n, rows);
    H5Tclose(file_type); H5Tclose(memory_type);
    free(rows);
    return status;
}

int plasticity_spike_file_write(const char *path, long long count, const float *times, const uint32_t *units,
                                const uint64_t *offsets, const uint64_t *unit_offsets, const int32_t *labels, const int32_t *speakers,
                                const char *const *keys, long long key_count, int half_precision,
                                char *error, size_t size) {
    quiet();
    hid_t file = plasticity_h5_open(path, 1);
    if (file < 0) return fail(error, size, "file cannot be created");
    hid_t spikes = H5Gcreate2(file, "spikes", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    hid_t extra = H5Gcreate2(file, "extra", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    hid_t time_type = half_precision ? half_type() : H5Tcopy(H5T_IEEE_F32LE);
    hid_t integer_type = half_precision ? H5T_STD_U16LE : H5T_STD_U32LE;
    hid_t label_type = half_precision ? H5T_STD_U16LE : H5T_STD_I32LE;
    int status = 0;
    const char *field = "spikes";
    if (spikes < 0 || extra < 0) status = -1;
    if (!status && (status = write_vlen(spikes, "times", time_type, H5T_NATIVE_FLOAT, sizeof(float), count, times, offsets))) field = "spikes/times";
    const uint64_t *units_at = unit_offsets ? unit_offsets : offsets;
    if (!status && (status = write_vlen(spikes, "units", integer_type, H5T_NATIVE_UINT32, sizeof(uint32_t), count, units, units_at)))
        field = "spikes/units";
    if (!status && labels && (status = write_plain(file, "labels", label_type, H5T_NATIVE_INT32, count, labels))) field = "labels";
    if (!status && speakers && (status = write_plain(extra, "speaker", label_type, H5T_NATIVE_INT32, count, speakers))) field = "extra/speaker";
    if (!status && keys) {
        hid_t string = H5Tcopy(H5T_C_S1);
        H5Tset_size(string, H5T_VARIABLE);
        H5Tset_cset(string, H5T_CSET_UTF8);
        if ((status = write_plain(extra, "keys", string, string, key_count, keys))) field = "extra/keys";
        H5Tclose(string);
    }
    H5Tclose(time_type);
    if (extra >= 0) H5Gclose(extra);
    if (spikes >= 0) H5Gclose(spikes);
    if (H5Fclose(file) < 0 && !status) { status = -1; field = "file"; }
    return status ? fail(error, size, "%s cannot be written", field) : 0;
}
