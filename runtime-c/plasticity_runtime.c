#include "plasticity_build.h"   /* first: contraction off for every function below, inline helpers too */
/* the per-neuron helpers of plasticity_kernel.h, for the row primitives below */
#define PLASTICITY_RUNTIME_SOURCE 1
#include <math.h>
#include "PlasticityRuntime.h"

static const char header_text[] = {
#embed "include/plasticity_kernel.h"
    , 0
};

const char *plasticity_kernel_header_text(void) { return header_text; }

/* The vectorized primitives TinyCC kernels call (see plasticity_kernel.h); built with -O3. */
HOT void plasticity_axpby(float *restrict y, const float *restrict x, int n, float a, float b) {
    for (int i = 0; i < n; ++i) y[i] = a * y[i] + b * x[i];
}
HOT void plasticity_axpy(float *restrict y, const float *restrict x, int n, float a) {
    for (int i = 0; i < n; ++i) y[i] = y[i] + a * x[i];
}
HOT void plasticity_fill(float *restrict y, int n, float v) {
    for (int i = 0; i < n; ++i) y[i] = v;
}
HOT void plasticity_copy(float *restrict y, const float *restrict x, int n) {
    for (int i = 0; i < n; ++i) y[i] = x[i];
}
int plasticity_nonzero(const float *restrict x, int n, int *restrict indices) {
    PLASTICITY_NONZERO(x, n, indices)
}
HOT int plasticity_all_finite(const float *restrict x, long n) {
    PLASTICITY_ALL_FINITE(x, n)
}
void plasticity_prefetch(const float *x, int n) {
    PLASTICITY_PREFETCH(x, n)
}
HOT void plasticity_combine_rows(float *restrict y, const float *restrict rows, long stride, const int *restrict indices, const float *restrict coef,
                             int count, int n, int accumulate) {
    PLASTICITY_COMBINE_ROWS(y, rows, stride, indices, coef, count, n, accumulate)
}
HOT float plasticity_softmax_error(float *restrict err, const float *restrict y, int n, int label, int *restrict best) {
    PLASTICITY_SOFTMAX_ERROR(err, y, n, label, best)
}
void plasticity_squared_error(float *restrict err, const float *restrict y, const float *restrict target, int n, double *restrict loss_sum) {
    PLASTICITY_SQUARED_ERROR(err, y, target, n, loss_sum)
}

HOT void plasticity_trace1(float *restrict eps, float *restrict ebar, const float *restrict x, int n, float d, float c, float psi, float kappa) {
    PLASTICITY_TRACE1(eps, ebar, x, n, d, c, psi, kappa)
}
HOT void plasticity_trace2(float *restrict eps, float *restrict ebar, const float *restrict x, int n, float d00, float d01, float d10, float d11,
                       float c0, float c1, float p0, float p1, float kappa) {
    PLASTICITY_TRACE2(eps, ebar, x, n, d00, d01, d10, d11, c0, c1, p0, p1, kappa)
}

HOT void plasticity_trace1_shared1(float *restrict eps, float *restrict ebar, const float *restrict xbar_prev, const float *restrict xbar,
                               const float *restrict x, int n, float d_rs, float d_rr, float c_r, float p_s, float p_r, float kappa) {
    PLASTICITY_TRACE1_SHARED1_EITHER(eps, ebar, xbar_prev, xbar, x, n, d_rs, d_rr, c_r, p_s, p_r, kappa)
}

/* The row primitives (plasticity_kernel.h): one definition for both backends. */
#define PLASTICITY_ROW_LINKAGE HOT
PLASTICITY_ROW_DEFINE_ALL

HOT void plasticity_transpose(float *restrict dst, const float *restrict src, int rows, int cols) {
    enum { TILE = 32 };   /* tiles keep both sides in cache */
    for (int r0 = 0; r0 < rows; r0 += TILE)
        for (int c0 = 0; c0 < cols; c0 += TILE)
            for (int r = r0; r < rows && r < r0 + TILE; ++r)
                for (int c = c0; c < cols && c < c0 + TILE; ++c) dst[(long)c * rows + r] = src[(long)r * cols + c];
}

void plasticity_noise(float *y, int n, int kind, unsigned long long seed, int b, long long step, int channel) {
    plasticity_noise_fill(y, n, kind, seed, b, step, channel);
}

static const plasticity_symbol symbols[] = {
    {"expf", (const void *)expf},
    {"logf", (const void *)logf},
    {"tanhf", (const void *)tanhf},
    {"powf", (const void *)powf},
    {"floorf", (const void *)floorf},
    {"sinf", (const void *)sinf},
    {"cosf", (const void *)cosf},
    {"sqrtf", (const void *)sqrtf},
    {"plasticity_axpby", (const void *)plasticity_axpby},
    {"plasticity_axpy", (const void *)plasticity_axpy},
    {"plasticity_fill", (const void *)plasticity_fill},
    {"plasticity_copy", (const void *)plasticity_copy},
    {"plasticity_nonzero", (const void *)plasticity_nonzero},
    {"plasticity_all_finite", (const void *)plasticity_all_finite},
    {"plasticity_prefetch", (const void *)plasticity_prefetch},
    {"plasticity_combine_rows", (const void *)plasticity_combine_rows},
    {"plasticity_softmax_error", (const void *)plasticity_softmax_error},
    {"plasticity_squared_error", (const void *)plasticity_squared_error},
    {"plasticity_trace1", (const void *)plasticity_trace1},
    {"plasticity_trace2", (const void *)plasticity_trace2},
    {"plasticity_trace1_shared1", (const void *)plasticity_trace1_shared1},
#define PLASTICITY_ROW_SYMBOL_UNARY(name, expr) {"plasticity_row_" #name, (const void *)plasticity_row_##name},
#define PLASTICITY_ROW_SYMBOL_SCALAR(name, expr) \
    {"plasticity_row_" #name "_rs", (const void *)plasticity_row_##name##_rs}, \
    {"plasticity_row_" #name "_sr", (const void *)plasticity_row_##name##_sr},
#define PLASTICITY_ROW_SYMBOL_COMPARISON(name, op) \
    {"plasticity_row_select_" #name, (const void *)plasticity_row_select_##name}, \
    {"plasticity_row_indicator_" #name, (const void *)plasticity_row_indicator_##name},
#define PLASTICITY_ROW_SYMBOL_SURROGATE(name, expr) {"plasticity_row_surrogate_" #name, (const void *)plasticity_row_surrogate_##name},
    PLASTICITY_ROW_UNARY(PLASTICITY_ROW_SYMBOL_UNARY)
    PLASTICITY_ROW_BINARY(PLASTICITY_ROW_SYMBOL_UNARY)
    PLASTICITY_ROW_BINARY(PLASTICITY_ROW_SYMBOL_SCALAR)
    PLASTICITY_ROW_COMPARISONS(PLASTICITY_ROW_SYMBOL_COMPARISON)
    PLASTICITY_ROW_SURROGATES(PLASTICITY_ROW_SYMBOL_SURROGATE)
    {"plasticity_row_gather", (const void *)plasticity_row_gather},
    {"plasticity_row_scatter", (const void *)plasticity_row_scatter},
    {"plasticity_row_interleave2", (const void *)plasticity_row_interleave2},
    {"plasticity_row_deinterleave2", (const void *)plasticity_row_deinterleave2},
    {0, 0},
};

const plasticity_symbol *plasticity_runtime_symbols(void) { return symbols; }
