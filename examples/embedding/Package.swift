// swift-tools-version:6.0
// An example host program that embeds StratKit. It depends on the Strat package at the
// repository root by path; build it from this folder with `swift build`, or from the
// root with `make example` (see docs/embedding.md).
import PackageDescription

let package = Package(
    name: "StratEmbeddingExample",
    dependencies: [
        // `name:` pins the package's identity to "Strat" whatever the checkout folder is called.
        .package(name: "Strat", path: "../.."),
    ],
    targets: [
        .executableTarget(
            name: "plan-tool",
            dependencies: [.product(name: "StratKit", package: "Strat")]
        ),
    ]
)
