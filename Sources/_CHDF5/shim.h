/* The system's HDF5 (Debian: libhdf5-dev, serial build; flags from pkg-config "hdf5"). */
#include <hdf5.h>
