// Tab completion: keywords, declared names, members after `.`, `:commands`, file paths
// after `:load`/`:save` (libedit's filename completion), and the arguments of `:help`,
// `:scenario`, `:project`.

import StratKit
import StratLSP

extension REPL {
    static let keywords = [
        "let", "fn", "mission", "vision", "org", "values", "swot", "strength", "weakness", "opportunity",
        "threat", "priority", "objective", "kr", "metric", "scenario", "projection", "over", "from", "series", "today", "retro",
        "went_well", "not_well", "learning", "action", "use", "import", "assert", "print", "if", "then",
        "else", "and", "or", "not", "true", "false", "none", "to",
    ]

    /// The model's collections and every built-in function, distribution constructors
    /// (`normal`, `pert`, …) included, from the library's own table.
    static let builtinNames: [String] = topLevelCollections
        + Engine.functionSignatures.filter { $0.module == nil }.map(\.name)

    /// What Tab completes (see ``LineEditor/completer``): a file name after `:load` and
    /// `:save`, else candidates for the completion word.
    func completion(line: String, wordStart: Int, word: String) -> LineEditor.Completion {
        let head = String(line.prefix(wordStart)).trimmingSpaces()
        if head.hasPrefix(":") {
            var name = String(head.prefix(while: { !$0.isWhitespace }))
            if name.count > 2, name.hasSuffix("!") { name.removeLast() }   // :save!
            switch Self.resolveCommand(name).command {
            case ":load", ":save": return .fileName
            default: break
            }
        }
        return .words(completions(line: line, wordStart: wordStart, word: word))
    }

    /// Candidates for the completion word (see ``LineEditor/completer``).
    func completions(line: String, wordStart: Int, word: String) -> [String] {
        let head = String(line.prefix(wordStart)).trimmingSpaces()
        // The command name itself.
        if word.hasPrefix(":"), head.isEmpty {
            let names = Self.commands.map(\.name).filter { $0.hasPrefix(word) }
            // A unique command comes with the space before its argument.
            return names.count == 1 ? [names[0] + " "] : names
        }
        if head.hasPrefix(":") {
            let name = String(head.prefix(while: { !$0.isWhitespace }))
            let command = Self.resolveCommand(name).command ?? name
            switch command {
            case ":help":
                guard !head.contains(" ") else { return [] }
                let functions = Engine.functionSignatures.map(\.name)
                var seen = Set<String>()
                return (Self.helpTopics + Self.commands.map { String($0.name.dropFirst()) } + functions)
                    .filter { $0.hasPrefix(word) && seen.insert($0).inserted }
            case ":scenario", ":report", ":compare":
                return (["baseline"] + session.engine.scenarioNames).filter { $0.hasPrefix(word) }
            case ":history":
                // Key results (`OBJECTIVE.KR`) and metrics.
                var paths = visibleNames.filter { $0.kind == "metric" }.map(\.name)
                for o in visibleNames where o.kind == "objective" {
                    paths += ((try? session.engine.evaluate(o.name + ".krs"))?.listValue ?? []).map(\.description)
                }
                return paths.filter { $0.hasPrefix(word) }
            case ":project":
                return visibleNames.filter { $0.kind == "projection" || $0.kind == "series" }.map(\.name).filter { $0.hasPrefix(word) }
            case ":ls":
                let kinds = ["let", "fn", "objective", "metric", "swot", "projection", "scenario", "retro"]
                return (kinds + visibleNames.map(\.name)).filter { $0.hasPrefix(word) }
            case ":reload", ":reset", ":quit":
                return []
            default:
                break   // :show, :explain, :deps, :whatif take names and expressions
            }
        }
        return expressionCompletions(before: String(line.prefix(wordStart)), word: word)
    }

    func expressionCompletions(before: String, word: String) -> [String] {
        let (receiver, partial) = LineEditor.splitMember(word)
        guard let receiver else {
            let declared = visibleNames.map(\.name)
            var pool = declared + Self.keywords + Self.builtinNames
            if partial.hasPrefix("_") { pool += session.engine.declaredNames.map(\.name) }
            var seen = Set<String>()
            return pool.filter { $0.hasPrefix(partial) && seen.insert($0).inserted }
        }
        // `f(x).me` / `a[0].me`: the receiver is the text before the word.
        let target = receiver.isEmpty ? Self.trailingExpression(before) : receiver
        guard let target, !target.isEmpty, !target.contains("(") else { return [] }
        return members(of: target).filter { $0.hasPrefix(partial) }.map { receiver + "." + $0 }
    }

    /// Member names of the value an expression path names: an object's properties, key
    /// results, categories and built-in properties; for a list of objects, their names
    /// (a category's items) and the members they share.
    func members(of path: String) -> [String] { memberNames(session.engine, path) }

    /// The expression that ends `text` (shared with the language server).
    static func trailingExpression(_ text: String) -> String? { StratLSP.trailingExpression(text) }
}
