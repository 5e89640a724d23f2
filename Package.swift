// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Strat",
    products: [
        .library(name: "StratKit", targets: ["StratKit"]),
        .executable(name: "strat", targets: ["strat"]),
    ],
    targets: [
        // The interpreter: no terminal, no libedit, no Foundation (start-up time matters).
        // No unsafe flags: a package that has them cannot be depended on by version.
        .target(name: "StratKit"),
        .systemLibrary(
            name: "CEditLine",
            pkgConfig: "libedit",
            providers: [.apt(["libedit-dev"])]
        ),
        // The language server (`strat lsp`): message layer, documents, features.
        .target(name: "StratLSP", dependencies: ["StratKit"]),
        .executableTarget(
            name: "strat",
            dependencies: [
                "StratKit", "StratLSP", "CEditLine",
            ]
        ),
        // Workload 4 of the benchmarks: what-if cost through the embedding API.
        .executableTarget(name: "strat-bench-whatif", dependencies: ["StratKit"], path: "Benchmarks/WhatIf"),
        .testTarget(name: "StratKitTests", dependencies: ["StratKit"]),
        .testTarget(name: "StratCLITests", dependencies: ["StratKit"]),
        .testTarget(name: "StratLSPTests", dependencies: ["StratLSP", "StratKit"]),
    ]
)
