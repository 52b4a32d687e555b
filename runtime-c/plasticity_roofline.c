/*
 * The ceilings of the roofline (plasticity bench network --profile; docs/benchmarks.md,
 * "Roofline"), measured on the calling core with the compiler and flags of the chunk passes.
 * Contraction is off here as everywhere in runtime-c: the kernels multiply and add separately,
 * so the ceiling is that of separate multiplies and adds.
 */
#include "plasticity_build.h"
#include "PlasticityRuntime.h"

#if defined(__clang__) && (defined(__AVX512F__) || defined(PLASTICITY_PORTABLE_CLONES))
#pragma clang attribute push(__attribute__((min_vector_width(512))), apply_to = function)
#endif

enum { CHAINS = 12, LANES = 16 };
typedef float lanes __attribute__((vector_size(4 * LANES)));   /* one AVX-512 register, or two or four narrower ones */

/* `iterations` rounds of a multiply and an add on CHAINS independent vectors of LANES floats:
 * 2 · CHAINS · LANES flops a round, enough chains to cover the latency of both. Returns a sum of
 * the floats, so that the work cannot be dropped. */
HOT float plasticity_ceiling_flops(long iterations) {
    lanes acc[CHAINS];
    const lanes scale = (lanes){0} + 0.999f, shift = (lanes){0} + 0.001f;
    for (int a = 0; a < CHAINS; ++a) acc[a] = (lanes){0} + (float)a;
    for (long it = 0; it < iterations; ++it) {
        for (int a = 0; a < CHAINS; ++a) acc[a] = acc[a] * scale + shift;
    }
    float sum = 0.0f;
    for (int a = 0; a < CHAINS; ++a) for (int v = 0; v < LANES; ++v) sum += acc[a][v];
    return sum;
}

long plasticity_ceiling_flops_per_iteration(void) { return 2L * CHAINS * LANES; }

/* `repeats` passes of y += a x over n floats: 12 bytes and 2 flops per element and pass, the
 * access pattern of the chunk passes (a row added to a row). */
HOT void plasticity_ceiling_stream(float *restrict y, const float *restrict x, long n, int repeats) {
    for (int r = 0; r < repeats; ++r) {
        for (long i = 0; i < n; ++i) y[i] += 0.5f * x[i];
    }
}

#if defined(__clang__) && (defined(__AVX512F__) || defined(PLASTICITY_PORTABLE_CLONES))
#pragma clang attribute pop
#endif
