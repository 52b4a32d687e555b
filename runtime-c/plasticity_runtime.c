#include "PlasticityRuntime.h"
#include <math.h>

static const char header_text[] = {
#embed "include/plasticity_kernel.h"
    , 0
};

const char *plasticity_kernel_header_text(void) { return header_text; }

static const plasticity_symbol symbols[] = {
    {"expf", (const void *)expf},
    {"logf", (const void *)logf},
    {"tanhf", (const void *)tanhf},
    {"powf", (const void *)powf},
    {"floorf", (const void *)floorf},
    {0, 0},
};

const plasticity_symbol *plasticity_runtime_symbols(void) { return symbols; }
