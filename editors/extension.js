// The VS Code side of the Strat language server: start `strat lsp` for .strat files.
// Everything else (diagnostics, hover, completion, …) comes from the server.
const vscode = require("vscode");
const { LanguageClient } = require("vscode-languageclient/node");

let client;

function activate(context) {
  const command = vscode.workspace.getConfiguration("strat").get("path") || "strat";
  const server = { command, args: ["lsp"] };
  client = new LanguageClient(
    "strat",
    "Strat language server",
    { run: server, debug: server },
    { documentSelector: [{ language: "strat" }] }
  );
  context.subscriptions.push({ dispose: () => client && client.stop() });
  return client.start();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
