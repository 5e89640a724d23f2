// TEMPORARY demo loop for the line editor (branch `repl` only): echoes each statement.
// Drives Tests/StratCLITests/LineEditorPTYTests.swift until the real REPL replaces it.
import StratKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

let words = ["MODERNIZE_PLATFORM", "MODERNIZE_PLATFORM.MICROSERVICES", "members", ":load", ":help"]

func environment(_ name: String) -> String? {
    getenv(name).map { String(cString: $0) }
}

guard LineEditor.isTerminal(0), LineEditor.isTerminal(1) else {
    // Non-terminal input: no prompt, no editing.
    while let line = readLine() { print("echo: \(line)") }
    exit(0)
}

let historyPath = environment("STRAT_HISTORY") ?? environment("HOME").map { $0 + "/.strat_history" }
let editor = LineEditor(historyPath: historyPath)
editor.completer = { line, start, word in
    let head = line.prefix(start).trimmingPrefix(while: { $0 == " " })
    if head.hasPrefix(":load") || head.hasPrefix(":save") {
        return LineEditor.pathCompletions(for: word)
    }
    return words.filter { $0.hasPrefix(word) }
}

/// Spins for `seconds`; with `polling`, stops early on Ctrl-C and returns true.
func busy(seconds: Double, polling: Bool) -> Bool {
    var start = timespec()
    clock_gettime(CLOCK_MONOTONIC, &start)
    while true {
        if polling, LineEditor.takeInterruptRequest() { return true }
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        if Double(now.tv_sec - start.tv_sec) + Double(now.tv_nsec - start.tv_nsec) / 1e9 >= seconds { return false }
        usleep(1000)
    }
}

print("strat line-editor demo (Ctrl-D to quit)")
var pending: [String] = []
loop: while true {
    switch editor.readLine(prompt: pending.isEmpty ? "strat> " : "...> ") {
    case .eof:
        break loop
    case .interrupt:
        pending.removeAll()
    case .line(let line):
        editor.addHistory(line)
        pending.append(line)
        if !line.hasPrefix(":"), needsContinuation(pending.joined(separator: "\n")) { continue }
        if let seconds = line.hasPrefix(":busy ") ? Double(line.dropFirst(6)) : nil {
            // A long "evaluation" that polls for Ctrl-C, as the REPL's evaluator may.
            if busy(seconds: seconds, polling: true) { print("interrupted") }
            pending.removeAll()
            continue
        }
        if let seconds = line.hasPrefix(":spin ") ? Double(line.dropFirst(6)) : nil {
            _ = busy(seconds: seconds, polling: false)   // never polls: a second Ctrl-C quits
            pending.removeAll()
            continue
        }
        print("echo: " + pending.joined(separator: " "))
        pending.removeAll()
    }
}
exit(0)
