#!/usr/bin/env node
// Before the tests: the addon and lib/ are built from the current sources and the test models
// are in the cache. Each step is quick when nothing changed.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`prepare-test: ${cmd} ${args.join(' ')} failed`);
    process.exit(1);
  }
}
run('node', ['scripts/build-native.mjs']);
run('npx', ['tsc', '-p', 'tsconfig.json']);
fs.chmodSync(path.join(root, 'lib', 'cli.js'), 0o755);
run('node', ['scripts/fetch-models.mjs', 'tiny.en', 'base', 'silero-vad']);
