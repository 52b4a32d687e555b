#include "plasticity_digest.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

// The constants are the first 32 fraction bits of the square roots (initial state) and cube
// roots (round constants) of the first primes; computed once in long double (64-bit mantissa,
// at least 58 fraction bits for roots below 8), checked by the test vectors in the tests.
static uint32_t round_constants[64], initial_state[8];
static pthread_once_t constants_once = PTHREAD_ONCE_INIT;

static uint32_t fraction_bits(long double root) {
    long double fraction = root - floorl(root);
    return (uint32_t)ldexpl(fraction, 32);
}

static void prepare_constants(void) {
    int found = 0;
    for (int candidate = 2; found < 64; candidate++) {
        int prime = 1;
        for (int d = 2; d * d <= candidate; d++) if (candidate % d == 0) { prime = 0; break; }
        if (!prime) continue;
        if (found < 8) initial_state[found] = fraction_bits(sqrtl((long double)candidate));
        round_constants[found] = fraction_bits(cbrtl((long double)candidate));
        found++;
    }
}

static uint32_t rotate_right(uint32_t x, int n) { return (x >> n) | (x << (32 - n)); }

static void compress(plasticity_sha256 *context, const uint8_t *block) {
    uint32_t w[64];
    for (int t = 0; t < 16; t++) {
        w[t] = (uint32_t)block[4 * t] << 24 | (uint32_t)block[4 * t + 1] << 16 | (uint32_t)block[4 * t + 2] << 8 | block[4 * t + 3];
    }
    for (int t = 16; t < 64; t++) {
        uint32_t s0 = rotate_right(w[t - 15], 7) ^ rotate_right(w[t - 15], 18) ^ (w[t - 15] >> 3);
        uint32_t s1 = rotate_right(w[t - 2], 17) ^ rotate_right(w[t - 2], 19) ^ (w[t - 2] >> 10);
        w[t] = w[t - 16] + s0 + w[t - 7] + s1;
    }
    uint32_t v[8];
    memcpy(v, context->state, sizeof v);
    for (int t = 0; t < 64; t++) {
        uint32_t sum1 = rotate_right(v[4], 6) ^ rotate_right(v[4], 11) ^ rotate_right(v[4], 25);
        uint32_t choose = (v[4] & v[5]) ^ (~v[4] & v[6]);
        uint32_t first = v[7] + sum1 + choose + round_constants[t] + w[t];
        uint32_t sum0 = rotate_right(v[0], 2) ^ rotate_right(v[0], 13) ^ rotate_right(v[0], 22);
        uint32_t majority = (v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]);
        memmove(v + 1, v, 7 * sizeof(uint32_t));
        v[4] += first;
        v[0] = first + sum0 + majority;
    }
    for (int i = 0; i < 8; i++) context->state[i] += v[i];
}

void plasticity_sha256_init(plasticity_sha256 *context) {
    pthread_once(&constants_once, prepare_constants);
    memcpy(context->state, initial_state, sizeof initial_state);
    context->length = 0;
    context->filled = 0;
}

void plasticity_sha256_update(plasticity_sha256 *context, const void *bytes, size_t count) {
    const uint8_t *p = bytes;
    context->length += count;
    if (context->filled > 0) {
        size_t take = 64 - context->filled < count ? 64 - context->filled : count;
        memcpy(context->block + context->filled, p, take);
        context->filled += take; p += take; count -= take;
        if (context->filled < 64) return;
        compress(context, context->block);
        context->filled = 0;
    }
    for (; count >= 64; p += 64, count -= 64) compress(context, p);
    memcpy(context->block, p, count);
    context->filled = count;
}

void plasticity_sha256_final(plasticity_sha256 *context, uint8_t digest[32]) {
    uint64_t bits = context->length * 8;
    uint8_t padding[72] = {0x80};
    size_t pad = (context->filled < 56 ? 56 : 120) - context->filled;
    for (int i = 0; i < 8; i++) padding[pad + i] = (uint8_t)(bits >> (56 - 8 * i));
    plasticity_sha256_update(context, padding, pad + 8);
    for (int i = 0; i < 8; i++) {
        for (int b = 0; b < 4; b++) digest[4 * i + b] = (uint8_t)(context->state[i] >> (24 - 8 * b));
    }
}

int plasticity_sha256_file(const char *path, uint8_t digest[32]) {
    int descriptor = open(path, O_RDONLY | O_CLOEXEC);
    if (descriptor < 0) return errno;
    enum { chunk = 1 << 20 };
    uint8_t *buffer = malloc(chunk);
    if (!buffer) { close(descriptor); return ENOMEM; }
    plasticity_sha256 context;
    plasticity_sha256_init(&context);
    int status = 0;
    for (;;) {
        ssize_t got = read(descriptor, buffer, chunk);
        if (got < 0 && errno == EINTR) continue;
        if (got < 0) { status = errno; break; }
        if (got == 0) break;
        plasticity_sha256_update(&context, buffer, (size_t)got);
    }
    free(buffer);
    close(descriptor);
    if (status == 0) plasticity_sha256_final(&context, digest);
    return status;
}
