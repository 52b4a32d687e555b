#ifndef PLASTICITY_RUNTIME_H
#define PLASTICITY_RUNTIME_H
#include "plasticity_kernel.h"
#include "plasticity_reference.h"

/* The text of plasticity_kernel.h, embedded at build time so that kernels compile anywhere. */
const char *plasticity_kernel_header_text(void);

/* Functions generated code may call, as a null-terminated table of (name, address). */
typedef struct plasticity_symbol { const char *name; const void *address; } plasticity_symbol;
const plasticity_symbol *plasticity_runtime_symbols(void);

/* The vectorized primitives TinyCC kernels call by address (plasticity_runtime.c, -O3). */
void plasticity_axpby(float *restrict y, const float *restrict x, int n, float a, float b);
void plasticity_axpy(float *restrict y, const float *restrict x, int n, float a);
void plasticity_fill(float *restrict y, int n, float v);
void plasticity_combine_rows(float *restrict y, const float *restrict rows, long stride, const int *restrict indices, const float *restrict coef,
                             int count, int n, int accumulate);
void plasticity_copy(float *restrict y, const float *restrict x, int n);
int plasticity_nonzero(const float *restrict x, int n, int *restrict indices);
int plasticity_all_finite(const float *restrict x, long n);
void plasticity_trace1(float *restrict eps, float *restrict ebar, const float *restrict x, int n, float d, float c, float psi, float kappa);
void plasticity_trace2(float *restrict eps, float *restrict ebar, const float *restrict x, int n, float d00, float d01, float d10, float d11,
                       float c0, float c1, float p0, float p1, float kappa);
void plasticity_trace1_shared1(float *restrict eps, float *restrict ebar, const float *restrict xbar_prev, const float *restrict xbar,
                               const float *restrict x, int n, float d_rs, float d_rr, float c_r, float p_s, float p_r, float kappa);

/* The roofline's ceilings (plasticity_roofline.c): multiplies and adds, and a stream y += a x. */
float plasticity_ceiling_flops(long iterations);
long plasticity_ceiling_flops_per_iteration(void);
void plasticity_ceiling_stream(float *y, const float *x, long n, int repeats);
/* Time-chunked exact traces (plasticity_chunk.c), called by network kernels through pointers. */
void plasticity_chunk_coefficients(const plasticity_chunk_args *c);
void plasticity_chunk_synapses(const plasticity_chunk_args *c);
void plasticity_chunk_synapses_delayed(const plasticity_chunk_args *c);
void plasticity_delay_arrivals(float *current, float *ring, int rows, long long step, const float *x, const int *active, int count,
                               const int *lag, const float *low, const float *high, int n, int accumulate);
void plasticity_chunk_flush(const plasticity_chunk_args *c, float *grad, float *esum, float *ebarsum);
void plasticity_chunk_readout(float *grad, float *error, const float *spikes, const float *zbar_start,
                              int steps, int n, int n_out, float kappa, int *active);
int plasticity_chunk_propagator_width(int m);
/* 4-byte slots of plasticity_chunk_args.events for chunks of `steps` steps and n_pre inputs. */
long plasticity_chunk_event_slots(int steps, int n_pre);

/* dst[c][r] = src[r][c] for a rows × cols matrix. */
void plasticity_transpose(float *dst, const float *src, int rows, int cols);
/* The draws of one noise source for sequence b at a step (plasticity_noise_fill of the kernel
 * header), for the oracles, which take noise as a given input. */
void plasticity_noise(float *y, int n, int kind, unsigned long long seed, int b, long long step, int channel);
#endif
