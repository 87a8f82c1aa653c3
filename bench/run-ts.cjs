#!/usr/bin/env node
// Runs a TypeScript file of this repository with plain node, no build step and no extra
// dependency: .ts files are transpiled on require with the project's own `typescript` (types
// are not checked here; `npm run typecheck` does that).
//   node bench/run-ts.cjs bench/segment-video.ts [args...]
'use strict';
const { readFileSync } = require('node:fs');
const { resolve } = require('node:path');
const ts = require('typescript');

require.extensions['.ts'] = (module, filename) => {
  const { outputText } = ts.transpileModule(readFileSync(filename, 'utf8'), {
    fileName: filename,
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true, inlineSourceMap: true },
  });
  module._compile(outputText, filename);
};

const script = process.argv[2];
if (!script) {
  console.error('usage: node bench/run-ts.cjs FILE.ts [args...]');
  process.exit(2);
}
process.argv.splice(1, 1);
require(resolve(script));
