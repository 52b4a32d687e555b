/* The system's Open MPI (Debian: openmpi-bin, libopenmpi-dev; flags from pkg-config "ompi-c"). */
#include <mpi.h>
