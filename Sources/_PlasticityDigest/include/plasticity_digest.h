// SHA-256 (FIPS 180-4) for file integrity: checkpoint manifests and the ledger of files
// Plasticity wrote. In C so that debug builds hash large spike files at full speed.
#ifndef PLASTICITY_DIGEST_H
#define PLASTICITY_DIGEST_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    uint32_t state[8];
    uint64_t length;        // bytes hashed so far
    uint8_t block[64];
    size_t filled;          // bytes waiting in block
} plasticity_sha256;

void plasticity_sha256_init(plasticity_sha256 *context);
void plasticity_sha256_update(plasticity_sha256 *context, const void *bytes, size_t count);
void plasticity_sha256_final(plasticity_sha256 *context, uint8_t digest[32]);

/// Hashes a whole file; returns 0, or the errno of the failed open or read.
int plasticity_sha256_file(const char *path, uint8_t digest[32]);

#endif
