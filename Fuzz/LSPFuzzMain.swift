// libFuzzer entry point over the language server's message layer: the input is the byte
// stream an editor would write to `strat lsp` (framed JSON-RPC), delivered in pieces
// whose size the first byte picks, after a fixed initialize + didOpen prelude. Built by
// scripts/fuzz-lsp.sh: StratKit as its own module, then Sources/StratLSP with this file.

import StratKit

private func framed(_ json: String) -> [UInt8] { Array("Content-Length: \(json.utf8.count)\r\n\r\n\(json)".utf8) }

private let prelude: [UInt8] =
    framed(#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"capabilities":{}}}"#)
    + framed(#"{"jsonrpc":"2.0","method":"initialized","params":{}}"#)
    + framed(#"{"jsonrpc":"2.0","method":"textDocument/didOpen","params":{"textDocument":{"uri":"file:///fuzz/a.strat","languageId":"strat","version":1,"text":"let churn = 3.8%\nlet members = 262M * (1 - churn)\nobjective O \"t\" {\n  kr K \"k\" { baseline: 0, target: 10, current: 5 }\n}\nscenario s { churn = 3% }\n"}}}"#)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    var sent = 0
    let server = LanguageServer(send: { sent += $0.serialized.utf8.count })
    var reader = FrameReader(maxMessageBytes: 1 << 20)
    let piece = 1 + Int(input.first ?? 0)
    let stream = prelude + input.dropFirst()
    var i = 0
    while i < stream.count {
        reader.feed(stream[i..<min(stream.count, i + piece)])
        i += piece
        while let f = reader.next() {
            if server.handle(frame: f) != nil { return 0 }  // `exit`
        }
        server.analyzePending()
    }
    precondition(sent > 0, "the initialize request was not answered")
    return 0
}
