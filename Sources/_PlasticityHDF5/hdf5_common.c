#include "hdf5_common.h"
#include "vlen_check.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The innermost message on HDF5's error stack, for context after our own message. */
static herr_t innermost(unsigned n, const H5E_error2_t *entry, void *data) {
    (void)n;
    if (entry->desc && entry->desc[0]) snprintf((char *)data, 256, "%s", entry->desc);
    return 0;
}

int plasticity_h5_fail(char *error, size_t size, const char *format, ...) {
    char detail[256] = "";
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, innermost, detail);
    H5Eclear2(H5E_DEFAULT);
    va_list args;
    va_start(args, format);
    int used = vsnprintf(error, size, format, args);
    va_end(args);
    if (detail[0] && used >= 0 && (size_t)used < size) snprintf(error + used, size - (size_t)used, " (HDF5: %s)", detail);
    return -1;
}

void plasticity_h5_quiet(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

int plasticity_h5_exists(hid_t file, const char *path) {
    /* H5Lexists needs every intermediate group to exist. */
    char prefix[256];
    for (const char *slash = strchr(path, '/'); slash; slash = strchr(slash + 1, '/')) {
        size_t n = (size_t)(slash - path);
        if (n >= sizeof prefix) return 0;
        if (n == 0) continue;
        memcpy(prefix, path, n); prefix[n] = 0;
        if (H5Lexists(file, prefix, H5P_DEFAULT) <= 0) return 0;
    }
    return H5Lexists(file, path, H5P_DEFAULT) > 0;
}

#define fail plasticity_h5_fail

/* The size of a variable-length string's characters as the file declares them, from the type's
 * serialized datatype message (H5Tencode: 2 header bytes, the vlen message's class word and size,
 * then the base type's class word and size); 0 when the encoding is not the one expected. */
static unsigned long long declared_character_size(hid_t type) {
    unsigned char encoded[64];
    size_t n = sizeof encoded;
    if (H5Tencode(type, encoded, &n) < 0 || n < 18 || n > sizeof encoded || (encoded[2] & 0x0f) != H5T_VLEN) { H5Eclear2(H5E_DEFAULT); return 0; }
    return (unsigned long long)encoded[14] | (unsigned long long)encoded[15] << 8 | (unsigned long long)encoded[16] << 16
         | (unsigned long long)encoded[17] << 24;
}

int plasticity_h5_read_string_elements(hid_t file, const char *file_path, hid_t dataset, const char *name, long long n,
                                       char **packed, size_t *packed_size, char *error, size_t size) {
    *packed = NULL; *packed_size = 0;
    hid_t type = H5Dget_type(dataset);
    int status = 0;
    if (type < 0 || H5Tget_class(type) != H5T_STRING) { if (type >= 0) H5Tclose(type); return fail(error, size, "%s is not a string dataset", name); }
    /* HDF5 1.10 sizes a variable-length string's buffer from its character precision as the file
     * declares it: a corrupt one (0, or 2^32 bits) made it fill gigabytes or misread. */
    unsigned long long characters = H5Tis_variable_str(type) > 0 ? declared_character_size(type) : 1;
    if (H5Tis_variable_str(type) > 0 && H5Tget_precision(type) != 8)
        status = fail(error, size, "%s declares characters of %zu bits, not 8", name, H5Tget_precision(type));
    else if (characters > 1)   /* HDF5 1.10 would size its buffers by it: 2^31-byte characters took a minute of memset */
        status = fail(error, size, "%s declares characters of %llu bytes, not 1", name, characters);
    else if (H5Tis_variable_str(type) > 0 && plasticity_check_vlen(file, dataset, file_path, name, n, 1, error, size) < 0) status = -1;
    else if (H5Tis_variable_str(type) > 0) {
        hid_t memory = H5Tcopy(H5T_C_S1);
        H5Tset_size(memory, H5T_VARIABLE);
        H5Tset_cset(memory, H5Tget_cset(type));
        char **strings = calloc((size_t)n + 1, sizeof *strings);
        if (!strings) status = fail(error, size, "%s: out of memory", name);
        else if (H5Dread(dataset, memory, H5S_ALL, H5S_ALL, H5P_DEFAULT, strings) < 0) status = fail(error, size, "%s cannot be read", name);
        else {
            size_t total = 0;
            for (long long i = 0; i < n; ++i) total += (strings[i] ? strlen(strings[i]) : 0) + 1;
            char *out = malloc(total ? total : 1), *p = out;
            for (long long i = 0; out && i < n; ++i) {
                size_t len = strings[i] ? strlen(strings[i]) : 0;
                memcpy(p, strings[i] ? strings[i] : "", len); p[len] = 0; p += len + 1;
            }
            hid_t space = H5Dget_space(dataset);
#if H5_VERSION_GE(1, 12, 0)
            H5Treclaim(memory, space, H5P_DEFAULT, strings);
#else
            H5Dvlen_reclaim(memory, space, H5P_DEFAULT, strings);
#endif
            H5Sclose(space);
            if (!out) status = fail(error, size, "%s: out of memory", name);
            else { *packed = out; *packed_size = total; }
        }
        free(strings);
        H5Tclose(memory);
    } else {
        size_t width = H5Tget_size(type);
        if (width == 0 || width > 65536) status = fail(error, size, "%s has an implausible string width %zu", name, width);
        else {
            hid_t memory = H5Tcopy(H5T_C_S1);
            H5Tset_size(memory, width + 1);   /* room for the terminator HDF5 writes */
            H5Tset_cset(memory, H5Tget_cset(type));
            char *raw = calloc((size_t)n + 1, width + 1), *out = malloc((size_t)n * (width + 1) + 1);
            if (!raw || !out) status = fail(error, size, "%s: out of memory", name);
            else if (H5Dread(dataset, memory, H5S_ALL, H5S_ALL, H5P_DEFAULT, raw) < 0) status = fail(error, size, "%s cannot be read", name);
            else {
                char *p = out;
                for (long long i = 0; i < n; ++i) {
                    const char *s = raw + (size_t)i * (width + 1);
                    size_t len = strnlen(s, width);
                    memcpy(p, s, len); p[len] = 0; p += len + 1;
                }
                *packed = out; *packed_size = (size_t)(p - out); out = NULL;
            }
            free(raw); free(out);
            H5Tclose(memory);
        }
    }
    H5Tclose(type);
    return status;
}

hid_t plasticity_h5_open(const char *path, int create) {
    hid_t access = H5Pcreate(H5P_FILE_ACCESS);
    if (access < 0) return -1;
    H5Pset_file_locking(access, 0, 1);
    hid_t file = create ? H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, access) : H5Fopen(path, H5F_ACC_RDONLY, access);
    H5Pclose(access);
    if (file < 0) return file;
    int *descriptor = NULL;
    if (H5Fget_vfd_handle(file, H5P_DEFAULT, (void **)&descriptor) >= 0 && descriptor) {
        int flags = fcntl(*descriptor, F_GETFD);
        if (flags >= 0) fcntl(*descriptor, F_SETFD, flags | FD_CLOEXEC);
    }
    return file;
}
