import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { test } from 'node:test';

/**
 * Which packages a fresh process has loaded after `code` ran (CommonJS packages, as ESM imports
 * of them go through require's cache), as package names.
 */
function packagesLoadedBy(code: string): string[] {
  const script = `
    import { createRequire } from 'node:module';
    ${code}
    const cache = createRequire(import.meta.url).cache;
    const names = new Set(Object.keys(cache).map((file) => file.match(/node_modules\\/((?:@[^/]+\\/)?[^/]+)/)?.[1]).filter(Boolean));
    process.stdout.write(JSON.stringify([...names]));
  `;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: process.cwd(), encoding: 'utf8', timeout: 20000 });
  assert.equal(result.status, 0, result.stderr);
  return JSON.parse(result.stdout) as string[];
}

// Reads dist/ (npm test builds it first): run alone after a change, build before.
test('registering the ferry commands loads neither the server (pino, zod, yaml) nor the certificate maker (selfsigned)', () => {
  const main = join(process.cwd(), 'dist', 'src', 'cli', 'server', 'register-server-commands.js');
  const client = join(process.cwd(), 'dist', 'src', 'cli', 'client', 'register-client-commands.js');
  const loaded = packagesLoadedBy(`
    const { Command } = await import('commander');
    const program = new Command('ferry');
    (await import(${JSON.stringify(main)})).registerServerCommands(program);
    (await import(${JSON.stringify(client)})).registerClientCommands(program);
    program.helpInformation();
  `);
  assert.ok(loaded.includes('commander'), `the check sees CommonJS packages (loaded: ${loaded.join(', ')})`);
  for (const heavy of ['pino', 'zod', 'yaml', 'selfsigned']) assert.ok(!loaded.includes(heavy), `${heavy} loaded at start`);
});

test('ferry --help still lists the server and client commands', () => {
  const result = spawnSync(process.execPath, [join(process.cwd(), 'bin', 'ferry.js'), '--help'], { encoding: 'utf8', timeout: 20000 });
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /serve \[options\]/);
  assert.match(result.stdout, /get \[options\] <url> \[dest\]/);
});
