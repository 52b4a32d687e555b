/* The few MPI calls data-parallel training makes, over plain C types: Open MPI's handles
 * (MPI_COMM_WORLD, MPI_DOUBLE, MPI_SUM) are macros over global structs that Swift cannot import.
 * Every call is on MPI_COMM_WORLD, whose error handler is MPI_ERRORS_RETURN: a failure returns
 * nonzero with MPI's message in `error` instead of aborting the process. See docs/architecture.md
 * ("Data-parallel training"). */
#ifndef PLASTICITY_MPI_H
#define PLASTICITY_MPI_H

#include <stddef.h>
#include <stdint.h>

/* MPI_Init, then this process's rank and the number of processes. */
int plasticity_mpi_init(int *rank, int *size, char *error, size_t error_size);
/* values[i] = the sum over ranks of values[i], on every rank (one MPI_Allreduce, in place). */
int plasticity_mpi_sum(double *values, int count, char *error, size_t error_size);
/* all[r] = rank r's value, on every rank (MPI_Allgather); `all` holds one entry per rank. */
int plasticity_mpi_gather(uint64_t value, uint64_t *all, char *error, size_t error_size);
int plasticity_mpi_barrier(char *error, size_t error_size);
int plasticity_mpi_finalize(void);
/* Ends every process of the job with `code` (MPI_Abort); does not return. */
void plasticity_mpi_abort(int code);

#endif
