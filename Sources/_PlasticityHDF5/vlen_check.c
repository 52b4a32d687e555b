/*
 * A check of variable-length datasets against HDF5's global heap, done before HDF5 reads them.
 *
 * HDF5 1.10 (Debian 12's libhdf5) trusts the sequence length stored in each element: a
 * corrupt length makes it copy past its buffers (found by the file fuzzer: a mutated
 * spikes/times length crashed in memcpy; HDF5 1.14 reports "ran off end of input buffer").
 * So the elements and heap objects are read here with plain file I/O, every size bounded by
 * the file, and each element's length times its base size must equal its heap object's size.
 *
 * On-disk formats (HDF5 file format specification, version 1 global heap):
 *   element    = length (4 bytes) | collection address (sizeof_addr) | object index (4)
 *   collection = "GCOL" | version 1 | 3 reserved | collection size (sizeof_size) | objects,
 *                the first at align8(8 + sizeof_size)
 *   object     = index (2) | references (2) | reserved (4) | size (sizeof_size) | data
 *                padded to 8, the data at align8(8 + sizeof_size); index 0 is free space.
 */
#include "vlen_check.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int complain(char *error, size_t size, const char *format, ...) {
    va_list args;
    va_start(args, format);
    vsnprintf(error, size, format, args);
    va_end(args);
    return -1;
}

static unsigned long long little_endian(const unsigned char *p, size_t width) {
    unsigned long long v = 0;
    for (size_t i = 0; i < width; ++i) v |= (unsigned long long)p[i] << (8 * i);
    return v;
}

static size_t align8(size_t x) { return (x + 7) & ~(size_t)7; }

/* Reads `length` bytes at `offset`; 0 on success. */
static int read_at(FILE *f, unsigned long long offset, void *buffer, size_t length) {
    return fseeko(f, (off_t)offset, SEEK_SET) != 0 || fread(buffer, 1, length, f) != length;
}

int plasticity_check_vlen(hid_t file, hid_t dataset, const char *path, const char *name, long long n, size_t base_size,
                          char *error, size_t size) {
    if (n <= 0) return 0;
    hid_t dcpl = H5Dget_create_plist(dataset);
    H5D_layout_t layout = dcpl >= 0 ? H5Pget_layout(dcpl) : H5D_LAYOUT_ERROR;
    if (dcpl >= 0) H5Pclose(dcpl);
    if (layout != H5D_CONTIGUOUS) return 1;             /* chunked or compact: not checked here */
    haddr_t data = H5Dget_offset(dataset);
    if (data == HADDR_UNDEF) return 0;                  /* never written: HDF5 reads fill values */

    size_t sizeof_addr = 0, sizeof_size = 0;
    hsize_t userblock = 0;
    hid_t fcpl = H5Fget_create_plist(file);
    if (fcpl < 0 || H5Pget_sizes(fcpl, &sizeof_addr, &sizeof_size) < 0 || H5Pget_userblock(fcpl, &userblock) < 0) {
        if (fcpl >= 0) H5Pclose(fcpl);
        return complain(error, size, "%s cannot be checked (the file's address sizes are unreadable)", name);
    }
    H5Pclose(fcpl);
    if (sizeof_addr < 2 || sizeof_addr > 8 || sizeof_size < 2 || sizeof_size > 8)
        return complain(error, size, "%s cannot be checked (address size %zu, length size %zu)", name, sizeof_addr, sizeof_size);

    FILE *f = fopen(path, "rb");
    if (!f) return complain(error, size, "%s cannot be checked (the file cannot be reopened)", name);
    int status = 0;
    unsigned char *elements = NULL, *heap = NULL;
    unsigned long long heap_address = 0, heap_size = 0;
    unsigned long long file_size = 0;
    if (fseeko(f, 0, SEEK_END) == 0) file_size = (unsigned long long)ftello(f);
    const size_t element_size = 4 + sizeof_addr + 4;
    const unsigned long long start = (unsigned long long)userblock + (unsigned long long)data;
    if (start > file_size || (unsigned long long)n > (file_size - start) / element_size) {
        status = complain(error, size, "%s claims %lld elements at byte %llu, past the end of the file (%llu bytes)", name, n, start, file_size);
        goto done;
    }
    elements = malloc((size_t)n * element_size);
    if (!elements || read_at(f, start, elements, (size_t)n * element_size)) {
        status = complain(error, size, "%s cannot be read from the file", name);
        goto done;
    }
    for (long long i = 0; i < n && status == 0; ++i) {
        const unsigned char *e = elements + (size_t)i * element_size;
        unsigned long long length = little_endian(e, 4);
        unsigned long long collection = little_endian(e + 4, sizeof_addr);
        unsigned long long index = little_endian(e + 4 + sizeof_addr, 4);
        if (length == 0) continue;
        if (collection != heap_address || !heap) {
            /* Load the collection this element's object lives in. */
            free(heap); heap = NULL;
            unsigned char header[16];
            unsigned long long at = (unsigned long long)userblock + collection;
            if (at > file_size || file_size - at < 8 + sizeof_size || read_at(f, at, header, 8 + sizeof_size) || memcmp(header, "GCOL", 4) != 0) {
                status = complain(error, size, "%s[%lld] points to byte %llu, which is not a heap collection", name, i, at);
                break;
            }
            heap_size = little_endian(header + 8, sizeof_size);
            if (heap_size < align8(8 + sizeof_size) || heap_size > file_size - at) {
                status = complain(error, size, "%s[%lld] heap collection at byte %llu claims %llu bytes (file: %llu)",
                                  name, i, at, heap_size, file_size);
                break;
            }
            heap = malloc((size_t)heap_size);
            if (!heap || read_at(f, at, heap, (size_t)heap_size)) {
                status = complain(error, size, "%s[%lld] heap collection unreadable", name, i);
                break;
            }
            heap_address = collection;
            /* Walk the whole collection the way HDF5 1.10 deserializes it (H5HG__cache_heap_deserialize),
             * refusing what would make that loop stall (a free-space object of size 0: a hang the
             * libFuzzer run found) or step outside the collection. */
            const size_t header_size = align8(8 + sizeof_size);
            for (unsigned long long q = header_size; q < heap_size;) {
                if (q + header_size > heap_size) break;     /* a tail too small for a header: free space */
                unsigned long long id = little_endian(heap + q, 2), bytes = little_endian(heap + q + 8, sizeof_size);
                unsigned long long need = id > 0 ? header_size + align8((size_t)(bytes > heap_size ? heap_size : bytes)) : bytes;
                if (bytes > heap_size || need < header_size || need > heap_size - q) {
                    status = complain(error, size,
                                      "%s[%lld] heap collection at byte %llu has a corrupt object at offset %llu (index %llu, %llu bytes)",
                                      name, i, (unsigned long long)userblock + collection, q, id, bytes);
                    break;
                }
                q += need;
            }
            if (status) break;
        }
        /* Find object `index` in the collection. */
        const size_t object_header = align8(8 + sizeof_size);
        unsigned long long p = align8(8 + sizeof_size), found = 0, object_size = 0;
        while (p + object_header <= heap_size) {
            unsigned long long id = little_endian(heap + p, 2), bytes = little_endian(heap + p + 8, sizeof_size);
            if (id == 0) break;                                     /* free space: the rest of the collection */
            if (bytes > heap_size - p - object_header) break;       /* an object running past its collection */
            if (id == index) { found = 1; object_size = bytes; break; }
            p += object_header + align8((size_t)bytes);
        }
        if (!found) {
            status = complain(error, size, "%s[%lld] refers to heap object %llu, which its collection does not hold", name, i, index);
        } else if (length > object_size / (base_size ? base_size : 1) || length * base_size != object_size) {
            status = complain(error, size, "%s[%lld] claims %llu entries of %zu bytes, its heap object holds %llu bytes (corrupt)",
                              name, i, length, base_size, object_size);
        }
    }
done:
    free(elements); free(heap);
    fclose(f);
    return status;
}
