#!/usr/bin/env node
/**
 * Build Ferry's optional native helper (native/*.c → build/Release/ferry_native.node)
 * with node-gyp. Runs at `npm install` and as `npm run build:native`. Optional by design: if
 * there is no compiler, no Node headers or the platform is Windows, it warns and exits 0, and
 * Ferry uses its JavaScript paths instead (slower big listings and uploads, same results).
 * Skipped when the addon is newer than its sources, or when FERRY_NATIVE=0.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const addon = path.join(root, 'build', 'Release', 'ferry_native.node');
// Every file of native/ and binding.gyp: a listed subset went stale once (a changed source not rebuilt).
const sources = [path.join(root, 'binding.gyp'), ...readdirSync(path.join(root, 'native')).map((file) => path.join(root, 'native', file))];
const force = process.argv.includes('--force');

function say(message) {
  process.stderr.write(`ferry native helper: ${message}\n`);
}

if (process.env.FERRY_NATIVE === '0') {
  say('FERRY_NATIVE=0, not built');
  process.exit(0);
}
if (process.platform === 'win32') {
  say('not built on Windows; Ferry lists directories and receives uploads from JavaScript');
  process.exit(0);
}
if (!force && existsSync(addon) && sources.every((source) => statSync(source).mtimeMs <= statSync(addon).mtimeMs)) {
  process.exit(0); // up to date
}

// node-gyp comes with npm: npm names it in npm_config_node_gyp for scripts; run by hand, look for
// npm's copy beside this Node.
const bundledNodeGyp = path.join(path.dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
const nodeGyp = process.env.npm_config_node_gyp ?? (existsSync(bundledNodeGyp) ? bundledNodeGyp : undefined);
const command = nodeGyp ? process.execPath : 'node-gyp';
const args = [...(nodeGyp ? [nodeGyp] : []), 'rebuild', '--release'];
// Build against the running Node's own headers when they are installed beside it (Debian/NodeSource
// packages put them in /usr/include/node), so no download is needed.
const prefix = path.dirname(path.dirname(process.execPath));
if (!process.env.npm_config_nodedir && existsSync(path.join(prefix, 'include', 'node', 'node_api.h'))) args.push(`--nodedir=${prefix}`);

const result = spawnSync(command, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
if (result.status === 0 && existsSync(addon)) {
  say('built');
} else {
  const detail = (result.error?.message ?? `${result.stderr}`.trim().split('\n').slice(-8).join('\n')) || `exit ${result.status}`;
  say(`not built (${detail}); Ferry lists directories and receives uploads from JavaScript instead`);
}
