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

async function restart() {
  if (client) await client.stop();
  client = createClient();
  await client.start();
}

async function activate(context) {
  context.subscriptions.push(
    vscode.commands.registerCommand('accord.restartServer', restart),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration('accord.path')) restart();
    }),
  );
  try {
    await restart();
  } catch (err) {
    vscode.window.showErrorMessage(
      `Accord: cannot start "${vscode.workspace.getConfiguration('accord').get('path')} lsp" (${err.message}). ` +
        'Set accord.path to the accord executable.');
  }
}

function deactivate() {
  return client ? client.stop() : undefined;
}

module.exports = { activate, deactivate };
