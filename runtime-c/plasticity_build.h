/* How runtime-c is compiled, whatever the build's flags (Package.swift passes none).
 *
 * No FMA contraction: TinyCC kernels calling these primitives and cc kernels inlining them from
 * the header compute the same floats.
 *
 * HOT marks the exported hot loops. A portable x86-64 build (no -march: a package that depends
 * on Plasticity, a wheel) compiles each of them three times, for x86-64-v4 (AVX-512), v3 (AVX2)
 * and the baseline, and the loader picks one for the CPU. A build for the host CPU
 * (.ci/host-flags.sh: -march=native -O3) needs no clones. Element-wise loops, so every clone
 * gives the same floats. */
#ifndef PLASTICITY_BUILD_H
#define PLASTICITY_BUILD_H
#pragma STDC FP_CONTRACT OFF
#if defined(__clang__) && defined(__x86_64__) && !defined(__AVX2__) && defined(__linux__)
#define PLASTICITY_PORTABLE_CLONES 1
#define HOT __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define HOT
#endif
#endif
