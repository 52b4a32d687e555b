#ifndef PLASTICITY_RUNTIME_H
#define PLASTICITY_RUNTIME_H
#include "plasticity_kernel.h"
#include "plasticity_reference.h"

/* The text of plasticity_kernel.h, embedded at build time so that kernels compile anywhere. */
const char *plasticity_kernel_header_text(void);

/* Functions generated code may call, as a null-terminated table of (name, address). */
typedef struct plasticity_symbol { const char *name; const void *address; } plasticity_symbol;
const plasticity_symbol *plasticity_runtime_symbols(void);

/* Time-chunked exact traces (plasticity_chunk.c), called by network kernels through pointers. */
void plasticity_chunk_coefficients(const plasticity_chunk_args *c);
void plasticity_chunk_synapses(const plasticity_chunk_args *c);
void plasticity_chunk_flush(const plasticity_chunk_args *c, float *grad, float *esum, float *ebarsum);
int plasticity_chunk_propagator_width(int m);

/* dst[c][r] = src[r][c] for a rows × cols matrix. */
void plasticity_transpose(float *dst, const float *src, int rows, int cols);
#endif
