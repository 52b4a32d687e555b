#include "PlasticityRuntime.h"

void plasticity_axpby(float *restrict y, const float *restrict x, int n, float a, float b);
void plasticity_axpy(float *restrict y, const float *restrict x, int n, float a);
#include <math.h>

static const char header_text[] = {
#embed "include/plasticity_kernel.h"
    , 0
};

const char *plasticity_kernel_header_text(void) { return header_text; }

/* The vectorized primitives TinyCC kernels call (see plasticity_kernel.h); built with -O3. */
void plasticity_axpby(float *restrict y, const float *restrict x, int n, float a, float b) {
    for (int i = 0; i < n; ++i) y[i] = a * y[i] + b * x[i];
}
void plasticity_axpy(float *restrict y, const float *restrict x, int n, float a) {
    for (int i = 0; i < n; ++i) y[i] = y[i] + a * x[i];
}

static const plasticity_symbol symbols[] = {
    {"expf", (const void *)expf},
    {"logf", (const void *)logf},
    {"tanhf", (const void *)tanhf},
    {"powf", (const void *)powf},
    {"floorf", (const void *)floorf},
    {"plasticity_axpby", (const void *)plasticity_axpby},
    {"plasticity_axpy", (const void *)plasticity_axpy},
    {0, 0},
};

const plasticity_symbol *plasticity_runtime_symbols(void) { return symbols; }
