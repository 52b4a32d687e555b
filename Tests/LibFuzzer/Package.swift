// swift-tools-version:6.0
// The file readers under libFuzzer: `.ci/fuzz-files.sh` builds this package with
// `--sanitize=fuzzer --sanitize=address` and runs it on the seed corpus for a time budget.
// A separate package because a libFuzzer binary has no `main` of its own (libFuzzer brings
// it), so it cannot be an ordinary executable target of the main package.
import PackageDescription

let package = Package(
    name: "PlasticityLibFuzzer",
    platforms: [.macOS(.v14)],
    dependencies: [.package(name: "Plasticity", path: "../..")],
    targets: [
        .executableTarget(
            name: "FileFuzzTarget",
            dependencies: [.product(name: "PlasticityTestSupport", package: "Plasticity")],
            swiftSettings: [.unsafeFlags(["-parse-as-library"])]
        ),
    ]
)
