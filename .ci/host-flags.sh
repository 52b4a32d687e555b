# Sourced by the project's scripts: builds of its own executables and tests are compiled for
# this machine's CPU, as the optimizing backend compiles kernels. The flags come from the
# command line, not from Package.swift (a package with unsafe flags cannot be a dependency by
# version); without them runtime-c carries AVX2/AVX-512 clones of its hot loops instead.
# Contraction stays off either way (runtime-c/plasticity_build.h).
HOST_FLAGS=(-Xcc -O3 -Xcc -march=native -Xcc -ffp-contract=off)
