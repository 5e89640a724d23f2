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
        .target(
            name: "StratKit",
            // The interpreter's hot loops touch class-held arrays; the code never
            // overlaps accesses, so dynamic exclusivity checks are pure overhead.
            swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]
        ),
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
