#include "plasticity_mpi.h"

#include <mpi.h>
#include <stdio.h>

static int report(int status, const char *call, char *error, size_t error_size) {
    if (status == MPI_SUCCESS) return 0;
    char text[MPI_MAX_ERROR_STRING];
    int length = 0;
    if (MPI_Error_string(status, text, &length) != MPI_SUCCESS) snprintf(text, sizeof text, "error %d", status);
    snprintf(error, error_size, "%s failed: %s", call, text);
    return 1;
}

int plasticity_mpi_init(int *rank, int *size, char *error, size_t error_size) {
    int status = MPI_Init(NULL, NULL);
    if (status != MPI_SUCCESS) return report(status, "MPI_Init", error, error_size);
    MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN);
    if ((status = MPI_Comm_rank(MPI_COMM_WORLD, rank)) != MPI_SUCCESS) return report(status, "MPI_Comm_rank", error, error_size);
    return report(MPI_Comm_size(MPI_COMM_WORLD, size), "MPI_Comm_size", error, error_size);
}

int plasticity_mpi_sum(double *values, int count, char *error, size_t error_size) {
    return report(MPI_Allreduce(MPI_IN_PLACE, values, count, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD), "MPI_Allreduce", error, error_size);
}

int plasticity_mpi_gather(uint64_t value, uint64_t *all, char *error, size_t error_size) {
    return report(MPI_Allgather(&value, 1, MPI_UINT64_T, all, 1, MPI_UINT64_T, MPI_COMM_WORLD), "MPI_Allgather", error, error_size);
}

int plasticity_mpi_barrier(char *error, size_t error_size) {
    return report(MPI_Barrier(MPI_COMM_WORLD), "MPI_Barrier", error, error_size);
}

int plasticity_mpi_finalize(void) { return MPI_Finalize(); }

void plasticity_mpi_abort(int code) { MPI_Abort(MPI_COMM_WORLD, code); }
