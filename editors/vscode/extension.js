// The Accord extension: runs `accord lsp` (setting `accord.path`) and connects
// VS Code to it. Highlighting comes from syntaxes/accord.tmLanguage.json and
// needs no server.
'use strict';

const vscode = require('vscode');
const { LanguageClient, TransportKind } = require('vscode-languageclient/node');

let client;

function createClient() {
  const command = vscode.workspace.getConfiguration('accord').get('path') || 'accord';
  // TransportKind.stdio appends --stdio to the arguments; `accord lsp` accepts it.
  const serverOptions = { command, args: ['lsp'], transport: TransportKind.stdio };
  const clientOptions = {
    documentSelector: [
      { scheme: 'file', language: 'accord' },
      { scheme: 'untitled', language: 'accord' },
    ],
  };
  return new LanguageClient('accord', 'Accord', serverOptions, clientOptions);
}

// (Re)starts the server; a failure to start is shown, not thrown.
async function restart() {
  try {
    if (client) await client.stop();
  } catch (err) {
    // A server that died is stopped already.
  }
  client = createClient();
  try {
    await client.start();
  } catch (err) {
    const path = vscode.workspace.getConfiguration('accord').get('path');
    vscode.window.showErrorMessage(
      `Accord: cannot start "${path} lsp" (${err.message}). Set accord.path to the accord executable.`);
  }
}

async function activate(context) {
  context.subscriptions.push(
    vscode.commands.registerCommand('accord.restartServer', restart),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration('accord.path')) restart();
    }),
  );
  await restart();
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
