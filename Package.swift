// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Plasticity",
    platforms: [.macOS(.v14)],
    products: [
        .library(name: "Plasticity", targets: ["Plasticity"]),
        .library(name: "PlasticityData", targets: ["PlasticityData"]),
        .executable(name: "plasticity", targets: ["plasticity"]),
        // The C ABI (include/plasticity.h) as a shared library, for the Python package (python/).
        .library(name: "PlasticityC", type: .dynamic, targets: ["PlasticityC"]),
        // Oracles, fuzzers and readers' harnesses, for tests and for Tests/LibFuzzer.
        .library(name: "PlasticityTestSupport", targets: ["PlasticityTestSupport"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // Thin shim over the system's libtcc (Debian: libtcc-dev). libtcc.a is static and PIC.
        .systemLibrary(name: "_CTinyCC", path: "Sources/_CTinyCC"),
        // The C side: kernel ABI header (included by every generated kernel) and the symbol table
        // of the math functions generated code may call. No unsafe flags, so that packages can
        // depend on Plasticity by version: the sources turn contraction off themselves (TinyCC
        // kernels calling these primitives and cc kernels inlining them compute the same floats),
        // a portable build carries AVX2 and AVX-512 clones of the hot loops, and the project's own
        // scripts build for the host CPU from the command line (.ci/host-flags.sh).
        .target(name: "PlasticityRuntime", path: "runtime-c", exclude: ["README.md"]),
        // SHA-256 for the ledger of written files and checkpoint manifests.
        .target(name: "_PlasticityDigest"),
        .target(
            name: "Plasticity",
            dependencies: ["_CTinyCC", "PlasticityRuntime", "_PlasticityDigest"],
            exclude: ["Files/README.md", "Network/README.md", "1-DSL/README.md", "2-Graph/README.md", "3-Plan/README.md",
                      "4-Kernel/README.md", "5-CodeGen/README.md", "6-Runtime/README.md", "7-Train/README.md", "Models/README.md"]
        ),
        // Spike datasets: the system's HDF5 (Debian: libhdf5-dev) behind a thin C shim for the
        // SHD layout, and the data, training-loop and report code on top.
        .systemLibrary(name: "_CHDF5", path: "Sources/_CHDF5", pkgConfig: "hdf5", providers: [.apt(["libhdf5-dev"])]),
        .target(name: "_PlasticityHDF5", dependencies: ["_CHDF5"]),
        // Data-parallel training: the system's Open MPI (Debian: openmpi-bin, libopenmpi-dev) behind
        // a thin C shim; used only when the process was started by mpirun.
        .systemLibrary(name: "_CMPI", path: "Sources/_CMPI", pkgConfig: "ompi-c", providers: [.apt(["libopenmpi-dev"])]),
        .target(name: "_PlasticityMPI", dependencies: ["_CMPI"]),
        // Own recordings: the system's libsndfile (Debian: libsndfile1-dev).
        .systemLibrary(name: "_CSndFile", path: "Sources/_CSndFile", pkgConfig: "sndfile", providers: [.apt(["libsndfile1-dev"])]),
        .target(name: "PlasticityData", dependencies: ["Plasticity", "_PlasticityHDF5", "_PlasticityMPI", "_CSndFile"],
                exclude: ["README.md"]),
        // The C ABI: the per-thread error message in C, the functions of include/plasticity.h in Swift.
        .target(name: "_PlasticityCABI"),
        // -Bsymbolic binds the static libtcc's references to its own globals inside the library
        // (Sources/_PlasticityCABI/tcc_stdio.c). Only this product uses it: dependents of the
        // Plasticity library see no unsafe flags.
        .target(name: "PlasticityC", dependencies: ["Plasticity", "PlasticityData", "_PlasticityCABI"], exclude: ["README.md"],
                linkerSettings: [.unsafeFlags(["-Xlinker", "-Bsymbolic"])]),
        // Oracles used by tests and benchmarks only: float64 reference interpreter with dual numbers.
        .target(name: "PlasticityTestSupport", dependencies: ["Plasticity", "PlasticityData", "PlasticityRuntime"]),
        .executableTarget(
            name: "plasticity",
            dependencies: ["Plasticity", "PlasticityData", "PlasticityTestSupport", .product(name: "ArgumentParser",
                package: "swift-argument-parser")]
        ),
        .executableTarget(name: "CustomNeuron", dependencies: ["Plasticity", "PlasticityData"], path: "examples/CustomNeuron"),
        .executableTarget(name: "QuickStart", dependencies: ["Plasticity"], path: "examples/QuickStart"),
        .testTarget(
            name: "PlasticityTests",
            dependencies: ["Plasticity", "PlasticityData", "PlasticityTestSupport", "PlasticityRuntime"],
            exclude: ["Snapshots", "Fixtures"]
        ),
    ],
    // C23's #embed carries the kernel header's text into the library (runtime-c/plasticity_runtime.c).
    cLanguageStandard: .gnu2x
)
