#ifndef PLASTICITY_CTINYCC_SHIM_H
#define PLASTICITY_CTINYCC_SHIM_H
#include <libtcc.h>
#include <dlfcn.h>
#endif
