// Property tests (docs/robustness.md), against the public API only:
// - random well-formed programs evaluate deterministically, whatever their declaration
//   order, and a what-if leaves the model as it found it;
// - every diagnostic's line and column point inside the file, for mutated versions of
//   every example, stdlib module and script test.
// The random sequences are seeded: a failure names the seed and the program.
import Foundation
import XCTest
import StratKit

/// SplitMix64: small, fast, and the same on every platform.
struct SeededRandom: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Generates well-formed programs: lets over plain numbers that refer only to earlier lets
/// (so there are no cycles), user functions, lists, conditions, strings, projections and
/// objectives. Runtime errors (a division by zero) are allowed: they are deterministic too.
struct ProgramGenerator {
    var rng: SeededRandom
    private var names: [String] = []
    private var functions: [(name: String, arity: Int)] = []

    init(seed: UInt64) { rng = SeededRandom(seed: seed) }

    private mutating func pick<T>(_ xs: [T]) -> T { xs[Int.random(in: 0..<xs.count, using: &rng)] }
    private mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &rng) < p }

    private mutating func number() -> String {
        pick(["0", "1", "2", "3", "7", "10", "0.5", "12.25", "1_000", "1e3", "2.5K", "3M", "15%", "1e-3"])
    }

    /// A numeric expression over `vars` (earlier lets or function parameters).
    mutating func expr(_ vars: [String], depth: Int = 0) -> String {
        if depth > 3 || chance(0.3) {
            if !vars.isEmpty && chance(0.6) { return pick(vars) }
            return number()
        }
        switch Int.random(in: 0..<9, using: &rng) {
        case 0, 1, 2:
            return "\(expr(vars, depth: depth + 1)) \(pick(["+", "-", "*"])) \(expr(vars, depth: depth + 1))"
        case 3:
            return "(\(expr(vars, depth: depth + 1)) / \(expr(vars, depth: depth + 1)))"
        case 4:
            return "-(\(expr(vars, depth: depth + 1)))"
        case 5:
            let c = "\(expr(vars, depth: depth + 1)) \(pick(["<", "<=", ">", ">=", "==", "!="])) \(expr(vars, depth: depth + 1))"
            return "(if \(c) then \(expr(vars, depth: depth + 1)) else \(expr(vars, depth: depth + 1)))"
        case 6:
            let f = pick(["min", "max"])
            return "\(f)(\(expr(vars, depth: depth + 1)), \(expr(vars, depth: depth + 1)))"
        case 7:
            return pick(["abs", "round", "floor", "ceil"]) + "(\(expr(vars, depth: depth + 1)))"
        default:
            if let fn = functions.isEmpty ? nil : pick(functions) {
                let args = (0..<fn.arity).map { _ in expr(vars, depth: depth + 1) }
                return "\(fn.name)(\(args.joined(separator: ", ")))"
            }
            return "sum([\(expr(vars, depth: depth + 1)), \(expr(vars, depth: depth + 1))])"
        }
    }

    /// A program as a list of declarations (order-independent) and its statements.
    mutating func program() -> (decls: [String], statements: [String]) {
        var decls: [String] = []
        for k in 0..<Int.random(in: 0...3, using: &rng) {
            let arity = Int.random(in: 1...3, using: &rng)
            let params = (0..<arity).map { "p\($0)" }
            decls.append("fn f\(k)(\(params.joined(separator: ", "))) = \(expr(params))")
            functions.append(("f\(k)", arity))
        }
        for k in 0..<Int.random(in: 1...25, using: &rng) {
            decls.append("let v\(k) = \(expr(names))")
            names.append("v\(k)")
        }
        if chance(0.5) {
            decls.append("let items = [\((0..<Int.random(in: 1...5, using: &rng)).map { _ in expr(names) }.joined(separator: ", "))]")
            names.append("sum(items)")
        }
        if chance(0.4) {
            let periods = Int.random(in: 1...24, using: &rng)
            decls.append("projection proj over \(periods) months { start: \(expr(names)), next: value * 1.01 + \(expr(names)) }")
            names.append("proj.final")
        }
        if chance(0.4) {
            decls.append("""
            objective OBJ "generated" {
              weight: 1
              kr K1 "first" { baseline: 0, target: 100, current: \(expr(names)) }
              kr K2 "second" { target: >= 50, current: \(expr(names)) }
            }
            """)
            names.append("OBJ.K1.score")
        }
        var statements: [String] = []
        for name in names.shuffled(using: &rng).prefix(6) {
            statements.append(chance(0.2) ? "print \"\(name) = \\(\(name))\"" : "print \(name)")
        }
        return (decls, statements)
    }
}

/// The observable result of loading a program: printed values and diagnostics.
private func outcome(_ source: String, path: String = "gen.strat") -> [String] {
    var c = Configuration()
    c.useDefaultImporter = false
    let engine = Engine(configuration: c)
    var out: [String] = []
    do {
        try engine.load(source: source, path: path)
    } catch let e as StratError {
        out += e.diagnostics.map { "\($0.severity): \($0.message)" }
    } catch {
        out.append("other error: \(error)")
    }
    out += engine.printed
    return out
}

/// Bytes of each line, for checking diagnostic positions (columns count UTF-8 lead bytes,
/// as the library counts characters).
private func lineWidths(_ bytes: [UInt8]) -> [Int] {
    bytes.split(separator: 10, omittingEmptySubsequences: false).map { line in
        line.reduce(0) { $0 + ($1 & 0xC0 != 0x80 ? 1 : 0) }
    }
}

final class PropertyTests: XCTestCase {
    static let programs = 300

    func testRandomProgramsEvaluateDeterministically() {
        var clean = 0
        for seed in 1...UInt64(Self.programs) {
            var gen = ProgramGenerator(seed: seed)
            let (decls, statements) = gen.program()
            let source = (decls + statements).joined(separator: "\n") + "\n"
            let first = outcome(source)
            if !first.contains(where: { $0.hasPrefix("error") || $0.hasPrefix("warning") }) { clean += 1 }
            XCTAssertEqual(first, outcome(source), "seed \(seed): two loads differ\n\(source)")
            // Declarations are order-independent: any order gives the same results.
            var rng = SeededRandom(seed: seed &* 31)
            let shuffled = (decls.shuffled(using: &rng) + statements).joined(separator: "\n") + "\n"
            XCTAssertEqual(first, outcome(shuffled), "seed \(seed): declaration order changed the results\n\(shuffled)")
            XCTAssertFalse(first.contains { $0.hasPrefix("error: reference cycle") || $0.contains("unknown") },
                           "seed \(seed): the generator made an ill-formed program\n\(source)\n\(first)")
        }
        // Most programs run without any diagnostic (some divide by zero or overflow).
        XCTAssertGreaterThan(clean, Self.programs / 2)
    }

    func testWhatIfLeavesTheModelUnchanged() throws {
        for seed in 1...UInt64(Self.programs / 3) {
            var gen = ProgramGenerator(seed: seed)
            let (decls, _) = gen.program()
            let source = decls.joined(separator: "\n") + "\n"
            let engine = Engine()
            guard (try? engine.load(source: source)) != nil else { continue }
            let lets = engine.declaredNames.filter { $0.kind == "let" }.map(\.name)
            let before = lets.map { (try? engine.evaluate($0))?.description ?? "error" }
            for name in lets.prefix(3) {
                _ = try? engine.whatIf([name: "\(name) * 2 + 1"])
                _ = try? engine.report()
            }
            let after = lets.map { (try? engine.evaluate($0))?.description ?? "error" }
            XCTAssertEqual(before, after, "seed \(seed): a what-if changed the model\n\(source)")
        }
    }

    /// Every diagnostic of a mutated corpus file points inside that file.
    func testDiagnosticsPointInsideTheFile() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        var files: [URL] = []
        for dir in ["examples", "stdlib", "Tests/Scripts"] {
            let e = FileManager.default.enumerator(at: root.appendingPathComponent(dir), includingPropertiesForKeys: nil)
            while let u = e?.nextObject() as? URL { if u.pathExtension == "strat" { files.append(u) } }
        }
        files.sort { $0.path < $1.path }
        XCTAssertGreaterThan(files.count, 50)
        var rng = SeededRandom(seed: 2026)
        let fragments: [[UInt8]] = ["\"", "\\(", ")", "(", "{", "}", "[", "]", "/*", "*/", "//", "\n", "\r\n", "\t",
                                    "let ", "= ", "$", "%", "1e999", ".", "..", "\u{0}", "é", "😀", "\\u{",
                                    "import \"x.strat\"\n"].map { Array($0.utf8) } + [[0xFF], [0xC3], [0x80]]
        var checked = 0
        for file in files {
            guard let original = try? [UInt8](Data(contentsOf: file)) else { continue }
            for round in 0..<6 {
                var bytes = original
                for _ in 0..<Int.random(in: 1...4, using: &rng) where !bytes.isEmpty {
                    let at = Int.random(in: 0...bytes.count, using: &rng)
                    switch Int.random(in: 0..<4, using: &rng) {
                    case 0: bytes.insert(contentsOf: fragments.randomElement(using: &rng)!, at: at)
                    case 1: bytes.removeSubrange(at..<min(bytes.count, at + Int.random(in: 1...12, using: &rng)))
                    case 2: if at < bytes.count { bytes[at] = UInt8.random(in: 0...255, using: &rng) }
                    default: bytes = Array(bytes[..<at])  // truncated mid-way
                    }
                }
                var c = Configuration()
                c.limits.maxSteps = 1_000_000
                let engine = Engine(configuration: c)
                var diagnostics: [Diagnostic] = []
                do {
                    try engine.load(bytes: bytes, path: file.path)
                } catch let e as StratError {
                    diagnostics = e.diagnostics
                }
                diagnostics += engine.diagnostics
                let widths = lineWidths(bytes)
                for d in diagnostics where d.path == file.path {
                    checked += 1
                    let inside = d.line >= 1 && d.line <= widths.count && d.column >= 1 && d.column <= widths[d.line - 1] + 1
                    XCTAssertTrue(inside, "\(file.lastPathComponent) round \(round): \(d.line):\(d.column) outside the file: \(d.message)\n"
                                  + String(decoding: bytes, as: UTF8.self))
                    if !inside { return }
                }
            }
        }
        XCTAssertGreaterThan(checked, 100, "the mutations should produce diagnostics")
    }
}
