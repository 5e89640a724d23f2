// Tab completion: keywords, declared names, members after `.`, `:commands`, file paths
// after `:load`/`:save`, and the arguments of `:help`, `:scenario`, `:project`.

import StratKit

extension REPL {
    static let keywords = [
        "let", "fn", "mission", "vision", "org", "values", "swot", "strength", "weakness", "opportunity",
        "threat", "priority", "objective", "kr", "metric", "scenario", "projection", "over", "from", "series", "today", "retro",
        "went_well", "not_well", "learning", "action", "use", "import", "assert", "print", "if", "then",
        "else", "and", "or", "not", "true", "false", "none", "to",
    ]

    static let builtinNames = [
        "plan", "objectives", "metrics", "swots", "projections", "retros",
        "min", "max", "sum", "avg", "count", "abs", "round", "floor", "ceil", "sqrt", "exp", "ln", "log10", "clamp",
    ]

    /// Candidates for the completion word (see ``LineEditor/completer``).
    func completions(line: String, wordStart: Int, word: String) -> [String] {
        let head = String(line.prefix(wordStart)).trimmingSpaces()
        // The command name itself.
        if word.hasPrefix(":"), head.isEmpty {
            return Self.commands.map(\.name).filter { $0.hasPrefix(word) }
        }
        if head.hasPrefix(":") {
            let name = String(head.prefix(while: { !$0.isWhitespace }))
            let command = Self.resolveCommand(name).command ?? name
            switch command {
            case ":load", ":save":
                return LineEditor.pathCompletions(for: word)
            case ":help":
                guard !head.contains(" ") else { return [] }
                return (Self.helpTopics + Self.commands.map { String($0.name.dropFirst()) }).filter { $0.hasPrefix(word) }
            case ":scenario", ":report", ":compare":
                return (["baseline"] + session.engine.scenarioNames).filter { $0.hasPrefix(word) }
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
    func members(of path: String) -> [String] {
        let e = session.engine
        var names = e.members(of: path)
        if case .list(let l)? = try? e.evaluate(path) {
            let items = l.compactMap { v -> String? in
                guard case .ref(let r) = v else { return nil }
                return r.path.split(separator: ".").last.map(String.init)
            }
            names = items + names
        }
        var seen = Set<String>()
        return names.filter { seen.insert($0).inserted }
    }

    /// The expression that ends `text` (for completion after `)` or `]`): an identifier
    /// path with calls and indexes, e.g. `x + MODERNIZE.krs[0]` → `MODERNIZE.krs[0]`.
    static func trailingExpression(_ text: String) -> String? {
        let chars = Array(text)
        var i = chars.count
        while i > 0 {
            let c = chars[i - 1]
            if c == ")" || c == "]" {
                let open: Character = c == ")" ? "(" : "["
                var depth = 0
                var j = i - 1
                while j >= 0 {
                    if chars[j] == c { depth += 1 } else if chars[j] == open {
                        depth -= 1
                        if depth == 0 { break }
                    }
                    j -= 1
                }
                if j < 0 { return nil }
                i = j
            } else if c == "_" || c == "." || (c.isASCII && (c.isLetter || c.isNumber)) {
                i -= 1
            } else {
                break
            }
        }
        let s = String(chars[i...])
        return s.isEmpty ? nil : s
    }
}
