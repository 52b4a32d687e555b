#ifndef PLASTICITY_RUNTIME_H
#define PLASTICITY_RUNTIME_H
#include "plasticity_kernel.h"
#include "plasticity_reference.h"

/* The text of plasticity_kernel.h, embedded at build time so that kernels compile anywhere. */
const char *plasticity_kernel_header_text(void);

/* Functions generated code may call, as a null-terminated table of (name, address). */
typedef struct plasticity_symbol { const char *name; const void *address; } plasticity_symbol;
const plasticity_symbol *plasticity_runtime_symbols(void);
#endif
