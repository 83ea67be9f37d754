#!/usr/bin/env node
// Writes what the option table (src/options/spec.ts) gives: src/options/types.ts (the option
// interfaces with a doc per field) and docs/options.md (the reference table); and the table of
// other workers' job fields and of the worker's settings in docs/worker.md (from
// src/worker/peer-fields.ts and src/worker/settings-doc.ts). Run after
// `npm run build:ts` whenever the table changes; `--check` only says whether they are current
// (exit 1 when not). test/options-spec.test.mjs runs the check.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const from = process.env.CT2_WHISPER_OPTIONS_DOCS_FROM || path.join(root, 'lib', 'options', 'docs.js');
const { renderTypes, renderOptionsDoc } = await import(from);
const { renderPeerFieldsTable } = await import(path.join(root, 'lib', 'worker', 'peer-fields.js'));
const { renderSettingsTable } = await import(path.join(root, 'lib', 'worker', 'settings-doc.js'));

/** `doc` (a file's text) with the part between `<!-- NAME: ... -->` and `<!-- /NAME -->` replaced by `text`. */
function region(doc, name, text) {
  const begin = `<!-- ${name}: written by scripts/options-docs.mjs; do not edit by hand -->\n`;
  const end = `\n<!-- /${name} -->`;
  const a = doc.indexOf(begin);
  const b = doc.indexOf(end, a);
  if (a < 0 || b < 0) throw new Error(`options-docs: no ${JSON.stringify(begin.trim())} ... ${JSON.stringify(end.trim())}`);
  return doc.slice(0, a + begin.length) + text + doc.slice(b);
}

const workerDoc = path.join(root, 'docs', 'worker.md');
const files = [
  [path.join(root, 'src', 'options', 'types.ts'), renderTypes()],
  [path.join(root, 'docs', 'options.md'), renderOptionsDoc()],
  [workerDoc, region(region(fs.readFileSync(workerDoc, 'utf8'), 'peer-fields', renderPeerFieldsTable()), 'worker-settings', renderSettingsTable())],
];
const check = process.argv.includes('--check');
let stale = 0;
for (const [file, text] of files) {
  const now = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '';
  if (now === text) continue;
  stale++;
  if (check) console.error(`options-docs: ${path.relative(root, file)} is not what src/options/spec.ts and src/worker/peer-fields.ts give (npm run build:ts && npm run options:docs)`);
  else {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
    console.log(`options-docs: wrote ${path.relative(root, file)}`);
  }
}
process.exit(check && stale ? 1 : 0);
