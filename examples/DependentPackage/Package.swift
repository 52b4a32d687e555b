// swift-tools-version:6.0
// A package that depends on Plasticity the way a user's package does: by version, from a git
// URL. SwiftPM refuses unsafe build flags in a dependency taken by version, so this builds only
// while Plasticity's library targets have none. `.ci/check-dependent-package.sh` sets the URL
// to a local clone tagged with a version; a user writes the project's own URL.
import Foundation
import PackageDescription

let url = ProcessInfo.processInfo.environment["PLASTICITY_GIT_URL"] ?? "https://example.invalid/plasticity.git"

let package = Package(
    name: "UsesPlasticity",
    dependencies: [.package(url: url, from: "0.1.0")],
    targets: [
        .executableTarget(name: "UsesPlasticity", dependencies: [.product(name: "Plasticity", package: "plasticity")]),
    ]
)
