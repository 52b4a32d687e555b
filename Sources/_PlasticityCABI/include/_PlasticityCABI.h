#ifndef PLASTICITY_CABI_SHIM_H
#define PLASTICITY_CABI_SHIM_H
// The C ABI's per-thread error message (include/plasticity.h): set by the Swift side when a call
// fails, read by the caller with plasticity_last_error() on the same thread.
void plasticity_set_last_error(const char *message);
const char *plasticity_last_error(void);
#endif
