// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Strat",
    products: [
        .library(name: "StratKit", targets: ["StratKit"]),
        .executable(name: "strat", targets: ["strat"]),
        // The C API (include/strat.h) as a shared library; `make lib` copies it to lib/libstrat.so.
        .library(name: "StratC", type: .dynamic, targets: ["StratC"]),
    ],
    targets: [
        // The interpreter: no terminal, no libedit, no Foundation (start-up time matters).
        // No unsafe flags: a package that has them cannot be depended on by version.
        .target(name: "StratKit"),
        // The C boundary over StratKit: @_cdecl functions, status codes, JSON in and out.
        .target(name: "StratC", dependencies: ["StratKit"]),
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
        // Goal seek and sensitivity on the Netflix model through the embedding API.
        .executableTarget(name: "strat-bench-goalseek", dependencies: ["StratKit"], path: "Benchmarks/GoalSeek"),
        .testTarget(name: "StratKitTests", dependencies: ["StratKit"]),
        // CEditLine: the PTY tests read the REPL's history file with libedit's own H_LOAD.
        .testTarget(name: "StratCLITests", dependencies: ["StratKit", "CEditLine"]),
        .testTarget(name: "StratLSPTests", dependencies: ["StratLSP", "StratKit"]),
    ]
)
