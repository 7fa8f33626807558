#!/usr/bin/env node
// The `ferry` command: the compiled CLI lives in dist/ (built by `npm install` / `npm run build`).
import { main } from '../dist/src/cli/main.js';

main(process.argv).catch((error) => {
  process.stderr.write(`ferry: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
