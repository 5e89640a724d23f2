import StratKit
import StratLSP
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

struct LSPCommand {
    static let spec = CommandSpec(
        name: "lsp",
        abstract: "Run the language server (LSP 3.17 over standard input and output).",
        options: [],
        discussion: """
        Speaks the Language Server Protocol over standard input and output for \
        editors: diagnostics as you type (every diagnostic of `strat check`), hover \
        with values, go to definition, references, rename, the document outline, \
        completion, signature help, formatting (as `strat fmt`) and inlay hints \
        showing each `let`'s value and each key result's score and status. Imports \
        resolve relative to the importing file; open buffers win over the files on \
        disk. docs/editors.md shows how to set up VS Code, Neovim and Helix.

        Exit code: 0 after `shutdown` and `exit`, 1 when the input ends or `exit` \
        comes without `shutdown`.
        """)

    init(_ a: ParsedArguments) throws {}

    func run() throws {
        signal(SIGPIPE, SIG_IGN)
        let server = LanguageServer(send: { writeAll(1, frame($0)) })
        let code = server.serve(input: 0)
        if code != 0 { throw ExitCode(code) }
    }
}

/// Writes every byte (retrying partial writes and interrupted calls); false when the
/// reader has gone away.
@discardableResult
func writeAll(_ fd: Int32, _ s: String) -> Bool {
    let bytes = Array(s.utf8)
    var off = 0
    while off < bytes.count {
        let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + off, $0.count - off) }
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { return false }
        off += n
    }
    return true
}

