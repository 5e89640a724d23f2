/// Whether `text` — the lines typed so far at the REPL, joined with `"\n"` — is an
/// unfinished statement, so the REPL should show the `...> ` prompt and read another line
/// instead of evaluating (spec §1 and §10).
///
/// It is `true` when, outside string literals and comments,
/// - a `(`, `[` or `{` is still open, or
/// - a `/* … */` comment is still open (they nest), or
/// - the last token is a binary operator `+ - * / ^ = == != < <= > >=`, a comma, or one
///   of the keywords `and`, `or`, `not`, `to` (a keyword right after `.` is a member
///   name, as in `X.to`, and does not count).
///
/// It is `false` — evaluate now and let the parser report any problem — for complete
/// input, for a closing bracket with no opener or of the wrong kind, and when the last
/// line ends inside a string literal (strings do not span lines). Interpolations
/// `"\( … )"` are scanned as code; `//` comments run to the end of their line. Number
/// suffixes are part of the number: `85%` and `1e-3` end in a value, not an operator.
///
/// Pure and cheap; REPL command lines (`:load …`) should not be passed to it.
public func needsContinuation(_ text: String) -> Bool {
    var scanner = ContinuationScanner(bytes: Array(text.utf8))
    return scanner.run()
}

private struct ContinuationScanner {
    private enum Frame: Equatable {
        case bracket(closer: UInt8)
        case string
        case interpolation
    }

    private enum Last: Equatable {
        case none, value, open, close, dot, op, other
        case word(continues: Bool)
    }

    let bytes: [UInt8]
    private var i = 0
    private var stack: [Frame] = []
    private var last: Last = .none

    init(bytes: [UInt8]) { self.bytes = bytes }

    private func peek(_ offset: Int = 0) -> UInt8? {
        i + offset < bytes.count ? bytes[i + offset] : nil
    }

    private static func isIdentStart(_ c: UInt8) -> Bool {
        (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x5F
    }
    private static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
    private static func isIdentPart(_ c: UInt8) -> Bool { isIdentStart(c) || isDigit(c) }

    private static let continuingWords: Set<[UInt8]> = [
        Array("and".utf8), Array("or".utf8), Array("not".utf8), Array("to".utf8),
        Array("if".utf8), Array("then".utf8), Array("else".utf8),
    ]

    mutating func run() -> Bool {
        while i < bytes.count {
            if stack.last == .string {
                scanString()
            } else {
                switch scanCode() {
                case .continue: break
                case .incomplete: return true
                case .broken: return false
                }
            }
        }
        if stack.contains(.string) { return false }      // last line ends inside a string
        if !stack.isEmpty { return true }
        switch last {
        case .op: return true
        case .word(let continues): return continues
        default: return false
        }
    }

    /// A newline ends any string literal still open on that line (an error the parser
    /// reports); bracket state from before the string carries on.
    private mutating func endLine() {
        if let first = stack.firstIndex(of: .string) {
            stack.removeSubrange(first...)
            last = .value
        }
    }

    /// Inside a string literal.
    private mutating func scanString() {
        let c = bytes[i]
        switch c {
        case 0x22:  // "
            stack.removeLast()
            last = .value
            i += 1
        case 0x5C:  // backslash
            if peek(1) == 0x28 {          // \( starts an interpolation
                stack.append(.interpolation)
                last = .open
                i += 2
            } else if let next = peek(1), next != 0x0A {
                i += 2                    // an escape: skip the escaped byte
            } else {
                i += 1
            }
        case 0x0A:
            endLine()
            i += 1
        default:
            i += 1
        }
    }

    private enum Step { case `continue`, incomplete, broken }

    private mutating func scanCode() -> Step {
        let c = bytes[i]
        switch c {
        case 0x20, 0x09, 0x0D:
            i += 1
        case 0x0A:
            endLine()
            i += 1
        case 0x2F:  // /
            if peek(1) == 0x2F {
                while i < bytes.count, bytes[i] != 0x0A { i += 1 }
            } else if peek(1) == 0x2A {
                i += 2
                var depth = 1
                while depth > 0 {
                    guard i < bytes.count else { return .incomplete }
                    if bytes[i] == 0x2F, peek(1) == 0x2A { depth += 1; i += 2 }
                    else if bytes[i] == 0x2A, peek(1) == 0x2F { depth -= 1; i += 2 }
                    else { i += 1 }
                }
            } else {
                last = .op
                i += 1
            }
        case 0x22:
            stack.append(.string)
            i += 1
        case 0x28: stack.append(.bracket(closer: 0x29)); last = .open; i += 1
        case 0x5B: stack.append(.bracket(closer: 0x5D)); last = .open; i += 1
        case 0x7B: stack.append(.bracket(closer: 0x7D)); last = .open; i += 1
        case 0x29, 0x5D, 0x7D:
            switch stack.last {
            case .bracket(let closer) where closer == c:
                stack.removeLast()
            case .interpolation where c == 0x29:
                stack.removeLast()      // back inside the string
            default:
                return .broken
            }
            last = .close
            i += 1
        case 0x2B, 0x2D, 0x2A, 0x5E, 0x2C:  // + - * ^ ,
            last = .op
            i += 1
        case 0x3D, 0x3C, 0x3E:  // = == < <= > >=
            last = .op
            i += peek(1) == 0x3D ? 2 : 1
        case 0x21:  // !=
            if peek(1) == 0x3D { last = .op; i += 2 } else { last = .other; i += 1 }
        case 0x2E:
            last = .dot
            i += 1
        default:
            if Self.isIdentStart(c) {
                let start = i
                while i < bytes.count, Self.isIdentPart(bytes[i]) { i += 1 }
                let afterDot = last == .dot
                last = .word(continues: !afterDot && Self.continuingWords.contains(Array(bytes[start..<i])))
            } else if Self.isDigit(c) || c == 0x24 {   // number, or $ money prefix
                i += 1
                while i < bytes.count {
                    let d = bytes[i]
                    if Self.isIdentPart(d) || d == 0x2E || d == 0x25 {
                        i += 1
                    } else if (d == 0x2B || d == 0x2D), bytes[i - 1] == 0x65 || bytes[i - 1] == 0x45,
                              let next = peek(1), Self.isDigit(next) {
                        i += 1      // exponent sign: 1e-3
                    } else {
                        break
                    }
                }
                last = .value
            } else {
                last = .other
                i += 1
            }
        }
        return .continue
    }
}
