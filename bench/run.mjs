#!/usr/bin/env node
// Ferry benchmark harness: runs Ferry and established FTP servers side by side on
// loopback, interleaved over several rounds, and reports medians + ratios to vsftpd.
//
//   npm run bench                      # default: 1 GiB transfers, 3 rounds
//   npm run bench -- --quick           # 64 MiB transfers, 2 short rounds
//   npm run bench -- --servers vsftpd,ferry --rounds 5 --only retr_pasv,logins
// Prerequisite: bash bench/setup.sh (root, Debian 12).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { DATA, HERE, PASS, PEERS, REPO, SERVERS, USER, WORK, portFree, startServer, stopServer, treeMemory } from './servers.mjs';

const argv = process.argv.slice(2);
const flag = (n) => argv.includes(`--${n}`);
const opt = (n, d) => {
  const i = argv.indexOf(`--${n}`);
  return i >= 0 && i + 1 < argv.length ? argv[i + 1] : d;
};
const QUICK = flag('quick');
const MiB = 1 << 20;
const CFG = {
  bigSize: Number(opt('size-mib', QUICK ? 64 : 1024)) * MiB,
  tlsSize: Number(opt('tls-size-mib', QUICK ? 32 : 256)) * MiB,
  rounds: Number(opt('rounds', QUICK ? 2 : 3)),
  secs: Number(opt('secs', QUICK ? 2 : 5)),
  sessions: Number(opt('sessions', 100)),
  idle: Number(opt('idle-sessions', QUICK ? 200 : 500)),
  idleSettleMs: Number(opt('idle-settle-ms', 2000)),
  idleWarmup: opt('idle-warmup', 'yes') !== 'no',
  listFiles: 10000,
  listIters: Number(opt('list-iters', QUICK ? 3 : 5)),
  // Untimed listings before the timed ones, for every server: a JIT-compiled server (Ferry,
  // ftp-srv) needs a few to reach its steady speed; the first one is reported in its own row.
  listWarmup: Number(opt('list-warmup', 5)),
  timeoutMs: Number(opt('timeout', 180)) * 1000,
};
const LC = path.join(PEERS, 'loadclient');
const wantServers = opt('servers', SERVERS.map((s) => s.name).join(',')).split(',');
const only = opt('only', '') ? opt('only', '').split(',') : null;
const log = (...a) => console.error(`[bench ${new Date().toISOString().slice(11, 19)}]`, ...a);

// ---------------------------------------------------------------- load client
function lc(args, { timeoutMs = CFG.timeoutMs } = {}) {
  return new Promise((resolve) => {
    const p = spawn(LC, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d) => (out += d));
    p.stderr.on('data', (d) => (err += d));
    const t = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.on('close', (code, sig) => {
      clearTimeout(t);
      let j;
      try {
        j = JSON.parse(out.trim().split('\n').pop());
      } catch {
        j = { ok: false, error: `no JSON (exit ${code ?? sig}) ${err.trim().slice(0, 200)}` };
      }
      if (!j.ok && !j.error) j.error = `${err.trim().slice(0, 300) || 'failed'}`;
      resolve(j);
    });
  });
}

// ---------------------------------------------------------------- data set
function sh(cmd) {
  const r = spawnSync('bash', ['-c', cmd], { stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) throw new Error(`failed: ${cmd}`);
  return r.stdout.toString();
}
async function ensureFile(name, size) {
  const file = path.join(DATA, name);
  const shaFile = `${file}.sha256`;
  if (fs.existsSync(file) && fs.statSync(file).size === size && fs.existsSync(shaFile)) {
    return { name, file, size, sha: fs.readFileSync(shaFile, 'utf8').trim() };
  }
  log(`creating ${name} (${size / MiB} MiB)`);
  sh(`head -c ${size} /dev/urandom > '${file}'`);
  const h = await lc(['hashfile', file]);
  if (!h.ok || h.bytes !== size) throw new Error(`hashing ${file}: ${h.error}`);
  fs.writeFileSync(shaFile, h.sha256);
  return { name, file, size, sha: h.sha256 };
}
/**
 * Upload directories of earlier runs are moved aside (a rename frees no inode) and deleted when the
 * run ends. A run started within ~6 minutes of that deletion still pays for it in its first
 * uploads rows (see uploadsVerify), so it says so.
 */
const UPLOAD_TRASH = path.join(WORK, 'upload-trash');
const UPLOAD_DELETED_AT = path.join(WORK, 'uploads-deleted-at');
const INODE_RECENCY_MS = 6 * 60 * 1000;
function setAsideUploadDirs() {
  const upload = path.join(DATA, 'upload');
  fs.mkdirSync(UPLOAD_TRASH, { recursive: true });
  for (const name of fs.readdirSync(upload)) {
    if (name.startsWith('many-')) fs.renameSync(path.join(upload, name), path.join(UPLOAD_TRASH, `${name}-${Date.now()}`));
  }
}
function discardUploadDirs() {
  setAsideUploadDirs();
  fs.rmSync(UPLOAD_TRASH, { recursive: true, force: true });
  fs.writeFileSync(UPLOAD_DELETED_AT, String(Date.now()));
}
function warnAboutRecentDeletion() {
  const deletedAt = Number(fs.existsSync(UPLOAD_DELETED_AT) ? fs.readFileSync(UPLOAD_DELETED_AT, 'utf8') : 0);
  const ago = Date.now() - deletedAt;
  if (ago < INODE_RECENCY_MS) {
    log(`note: the last run deleted its uploads ${Math.round(ago / 1000)} s ago; on an ext4 without journal the first 64 KiB STOR/s figures may come out low`);
  }
}

async function prepareData() {
  fs.mkdirSync(path.join(DATA, 'upload'), { recursive: true });
  warnAboutRecentDeletion();
  setAsideUploadDirs();
  const many = path.join(DATA, 'many');
  fs.mkdirSync(many, { recursive: true });
  if (fs.readdirSync(many).length !== CFG.listFiles) {
    log(`creating ${CFG.listFiles} files in many/`);
    for (let i = 0; i < CFG.listFiles; i++) fs.writeFileSync(path.join(many, `file-${String(i).padStart(5, '0')}.txt`), `file ${i}\n`);
  }
  const files = {
    big: await ensureFile(`big-${CFG.bigSize / MiB}m.bin`, CFG.bigSize),
    tls: await ensureFile(`tls-${CFG.tlsSize / MiB}m.bin`, CFG.tlsSize),
    small: await ensureFile('small-1m.bin', MiB),
    upload64k: await ensureFile('small-64k.bin', 64 * 1024),
  };
  // local-user servers (vsftpd, pure-ftpd, proftpd) write uploads as the bench user
  spawnSync('chown', ['-R', `${USER}:`, DATA]);
  fs.chmodSync(WORK, 0o755);
  return files;
}

// ---------------------------------------------------------------- workloads
// Each returns { value, unit, better: 'higher'|'lower', ...extra } or { error }.
const common = (port) => ['--host', '127.0.0.1', '--port', String(port), '--user', USER, '--pass', PASS];
const MBps = (j) => (j.ok ? { value: j.MBps } : { error: j.error });

async function storVerify(name, port, src, tls) {
  const remote = `upload/stor-${name}${tls ? '-tls' : ''}.bin`;
  const local = path.join(DATA, remote);
  const upload = () => lc(['stor', ...common(port), '--path', remote, '--src', src.file, ...(tls ? ['--tls'] : [])]);
  // A warm-up upload, not measured: the page cache takes its pages for the new file from memory
  // the VM may not have touched for a while, and a first touch is slow here (a server's first
  // 1 GiB upload of a run measured 245-600 MB/s, the next one 1000-1700, whichever the server).
  // Deleting the file frees those pages, and the measured upload gets them back warm.
  fs.rmSync(local, { force: true });
  const warmUp = await upload();
  if (!warmUp.ok) return { error: warmUp.error };
  fs.rmSync(local, { force: true });
  // Start every upload from the same writeback state: without this, the dirty pages left by the
  // previous workload (or server) decide the result (one 1 GiB upload measured 280 or 810 MB/s
  // back to back), so the row ranked servers by their position in the order, not their speed.
  spawnSync('sync');
  const j = await upload();
  if (!j.ok) return { error: j.error };
  const h = await lc(['hashfile', local]);
  fs.rmSync(local, { force: true });
  if (!h.ok) return { error: `stored file missing: ${h.error}` };
  if (h.bytes !== src.size) return { error: `stored size ${h.bytes} != ${src.size}` };
  if (h.sha256 !== src.sha) return { error: 'stored sha256 mismatch' };
  return { value: j.MBps };
}

/**
 * Many sessions uploading small files, each to a new name (a camera or scanner drop box). Every
 * stored file is checked against the source afterwards: all of them byte for byte, except each
 * session's last, which the end of the timed window may have cut (it must then be a prefix).
 *
 * The files are then truncated, not deleted, and each run of the workload gets a new directory;
 * all of them are deleted only when the whole bench ends (discardUploadDirs). Why: this VM's ext4
 * has no journal, and there the inode allocator skips every inode freed in the last 60 s (360 s
 * while its inode-table block is dirty), testing each one (recently_deleted() in perf: 35-40 % of
 * the server's CPU). Deleting one server's 5,000-16,000 uploads made the next server's creates
 * scan past all of them: Ferry measured 1317-1425 uploads/s with no deletion before it and
 * 570-629 right after pure-ftpd's, and pure-ftpd itself 1101 after Ferry's, 1585 otherwise.
 */
let uploadRuns = 0;
async function uploadsVerify(s, src) {
  const name = `many-${s.name}-${++uploadRuns}`;
  const dir = path.join(DATA, 'upload', name);
  fs.mkdirSync(dir);
  spawnSync('chown', [`${USER}:`, dir]);
  const j = await lc(['uploads', ...common(s.port), '--sessions', String(CFG.sessions), '--secs', String(CFG.secs), '--path', `upload/${name}/u`, '--src', src.file]);
  if (!j.ok) return { error: j.error || `${j.failed} failed of ${j.count + j.failed}` };
  const source = fs.readFileSync(src.file);
  const lastOf = new Map();
  const names = fs.readdirSync(dir);
  for (const name of names) {
    const [, session, n] = /^u-(\d+)-(\d+)\.bin$/.exec(name) ?? [];
    if (session === undefined) return { error: `unexpected file ${name}` };
    lastOf.set(session, Math.max(lastOf.get(session) ?? -1, Number(n)));
  }
  let complete = 0;
  for (const name of names) {
    const [, session, n] = /^u-(\d+)-(\d+)\.bin$/.exec(name);
    const stored = fs.readFileSync(path.join(dir, name));
    if (stored.equals(source)) complete++;
    else if (Number(n) !== lastOf.get(session) || !source.subarray(0, stored.length).equals(stored)) return { error: `stored ${name} differs from the source` };
  }
  for (const name of names) fs.truncateSync(path.join(dir, name)); // frees the blocks, keeps the inodes (see above)
  if (complete < j.count) return { error: `${j.count} uploads counted, ${complete} complete files stored` };
  return { value: j.per_sec, note: j.failed ? `${j.failed} failed` : undefined };
}

const WORKLOADS = [
  { id: 'retr_pasv', label: 'RETR big, passive (MB/s)', better: 'higher', target: '≥ 1.0',
    run: (s, f) => lc(['retr', ...common(s.port), '--path', f.big.name, '--size', String(f.big.size), '--sha', f.big.sha, '--data', 'pasv']).then(MBps) },
  { id: 'retr_port', label: 'RETR big, active/PORT (MB/s)', better: 'higher', target: '≥ 1.0',
    run: (s, f) => lc(['retr', ...common(s.port), '--path', f.big.name, '--size', String(f.big.size), '--sha', f.big.sha, '--data', 'port']).then(MBps) },
  { id: 'stor', label: 'STOR big, passive (MB/s)', better: 'higher', target: '≥ 1.3',
    run: (s, f) => storVerify(s.name, s.port, f.big, false) },
  { id: 'logins', label: `logins/s (${CFG.sessions} concurrent connect+login+quit)`, better: 'higher', target: '≥ 11',
    run: (s) => lc(['logins', ...common(s.port), '--sessions', String(CFG.sessions), '--secs', String(CFG.secs)])
      .then((j) => (j.ok ? { value: j.per_sec, note: j.failed ? `${j.failed} failed` : undefined } : { error: j.error || `${j.failed} failed of ${j.count + j.failed}` })) },
  { id: 'files', label: `1 MiB RETR/s (${CFG.sessions} sessions, fresh PASV each)`, better: 'higher', target: '≥ 1.0',
    run: (s, f) => lc(['files', ...common(s.port), '--sessions', String(CFG.sessions), '--secs', String(CFG.secs), '--path', f.small.name, '--size', String(MiB), '--sha', f.small.sha])
      .then((j) => (j.ok ? { value: j.per_sec } : { error: j.error || `${j.failed} failed of ${j.count + j.failed}` })) },
  { id: 'uploads', label: `64 KiB STOR/s (${CFG.sessions} sessions, fresh PASV each, a new file each)`, better: 'higher',
    run: (s, f) => uploadsVerify(s, f.upload64k) },
  { id: 'list', label: 'LIST 10,000 files (ms)', better: 'lower', target: '≤ 0.8',
    run: (s) => lc(['list', ...common(s.port), '--cmd', 'LIST', '--dir', 'many', '--warmup', String(CFG.listWarmup), '--iters', String(CFG.listIters), '--expect', String(CFG.listFiles)])
      .then((j) => (j.ok ? { value: j.ms, extra: { list_first: j.first_ms } } : { error: j.error })) },
  { id: 'mlsd', label: 'MLSD 10,000 files (ms)', better: 'lower',
    run: (s) => lc(['list', ...common(s.port), '--cmd', 'MLSD', '--dir', 'many', '--warmup', String(CFG.listWarmup), '--iters', String(CFG.listIters), '--expect', String(CFG.listFiles)])
      .then((j) => (j.ok ? { value: j.ms } : { error: j.error })) },
  { id: 'idle_rss', label: `RSS per idle logged-in session (KiB, marginal: ${CFG.idle} more on top of ${CFG.idle})`, better: 'lower', target: '≤ 4 KiB abs.',
    run: (s) => idleMemory(s) },
  { id: 'tls_retr', label: 'FTPS RETR (MB/s, PROT P)', better: 'higher',
    run: (s, f) => lc(['retr', ...common(s.port), '--tls', '--path', f.tls.name, '--size', String(f.tls.size), '--sha', f.tls.sha, '--data', 'pasv']).then(MBps) },
  { id: 'tls_stor', label: 'FTPS STOR (MB/s, PROT P)', better: 'higher',
    run: (s, f) => storVerify(s.name, s.port, f.tls, true) },
];
// PSS is recorded next to RSS (forking servers share pages between session processes)
/** Rows that a workload reports beside its own value (shown when that workload ran). */
const EXTRA = [
  { id: 'idle_pss', parent: 'idle_rss', label: 'PSS per idle logged-in session (KiB)', better: 'lower' },
  { id: 'list_first', parent: 'list', label: 'LIST 10,000 files, first listing after start (ms)', better: 'lower' },
];

/**
 * Resident memory per idle logged-in session, as a marginal cost: open a first batch of N idle
 * sessions, let the server settle and sample its process tree, open a second batch of N, settle,
 * sample again; the value is (second - first) / N. The first batch absorbs one-off costs (heap
 * growth of a garbage-collected runtime, lazily loaded code) that a single before/after delta
 * would charge to the sessions, and that made single-process servers read as 0 or negative.
 */
async function idleMemory(s) {
  // warm up: one login so that lazy initialisation is not counted per session
  await lc(['logins', ...common(s.port), '--sessions', '1', '--secs', '0.2']);
  const settle = () => new Promise((r) => setTimeout(r, CFG.idleSettleMs));
  if (CFG.idleWarmup) {
    const warmers = [];
    const warm = await openIdleSessions(s, warmers);
    await closeIdleSessions(s, warmers);
    if (warm.error) return warm;
    await settle();
  }
  const clients = [];
  try {
    const first = await openIdleSessions(s, clients);
    if (first.error) return first;
    await settle();
    const a = treeMemory(s.pid);
    const second = await openIdleSessions(s, clients);
    if (second.error) return second;
    await settle();
    const b = treeMemory(s.pid);
    return {
      value: (b.rss - a.rss) / CFG.idle,
      extra: { idle_pss: (b.pss - a.pss) / CFG.idle },
      note: `${a.procs}->${b.procs} procs for the second ${CFG.idle} sessions`,
    };
  } finally {
    await closeIdleSessions(s, clients);
  }
}

/** End the idle sessions of these load clients and give the server time to reap them. */
async function closeIdleSessions(s, clients) {
  const before = treeMemory(s.pid).procs;
  for (const p of clients) {
    p.stdin.end();
    setTimeout(() => p.kill('SIGKILL'), 5000).unref();
  }
  // let the server reap the sessions before the next workload
  for (let i = 0; i < 100 && treeMemory(s.pid).procs >= before && before > 1; i++) await new Promise((r) => setTimeout(r, 100));
}

/** Start a load-client process holding CFG.idle logged-in sessions open until its stdin closes. */
function openIdleSessions(s, clients) {
  return new Promise((resolve) => {
    const p = spawn(LC, ['idle', ...common(s.port), '--sessions', String(CFG.idle)], { stdio: ['pipe', 'pipe', 'pipe'] });
    clients.push(p);
    let out = '';
    let err = '';
    let done = false;
    const finish = (r) => {
      if (done) return;
      done = true;
      clearTimeout(t);
      resolve(r);
    };
    const t = setTimeout(() => finish({ error: 'idle sessions: timeout' }), 120000);
    p.stderr.on('data', (d) => (err += d));
    p.stdout.on('data', (d) => {
      out += d;
      if (!out.includes('\n')) return;
      let j;
      try {
        j = JSON.parse(out.split('\n')[0]);
      } catch {
        return finish({ error: `idle: bad output ${out.slice(0, 100)}` });
      }
      finish(j.ok ? {} : { error: `${j.error} ${err.trim().slice(0, 200)}` });
    });
    p.on('close', () => finish({ error: `idle client exited: ${err.trim().slice(0, 200)}` }));
  });
}

// ---------------------------------------------------------------- main
const median = (xs) => {
  const a = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((x, y) => x - y);
  if (!a.length) return null;
  const m = a.length >> 1;
  return a.length % 2 ? a[m] : (a[m - 1] + a[m]) / 2;
};
const fmt = (v) => (v == null ? '—' : Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2));

let current = null; // the running server, stopped on Ctrl-C / kill
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, async () => {
    await stopServer(current);
    discardUploadDirs();
    process.exit(130);
  });
}

async function main() {
  if (!fs.existsSync(LC)) {
    console.error('bench: load client missing; run `bash bench/setup.sh` first (as root).');
    process.exit(2);
  }
  const t0 = Date.now();
  fs.mkdirSync(WORK, { recursive: true });
  const files = await prepareData();
  const workloads = only ? WORKLOADS.filter((w) => only.includes(w.id)) : WORKLOADS;
  const servers = SERVERS.filter((s) => wantServers.includes(s.name)).map((def, i) => ({
    def, name: def.name, port: 10000 + i * 2500, pmin: 10000 + i * 2500 + 50, pmax: 10000 + i * 2500 + 2450, // pure-ftpd caps clients at half its passive range: 1200 >= 2 x 500 idle sessions
    results: {}, errors: {}, notes: {}, startError: null,
  }));
  // Ferry must be built
  const ferry = servers.find((s) => s.name === 'ferry');
  if (ferry) {
    const b = spawnSync('npm', ['run', 'build', '--silent'], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
    if (!fs.existsSync(path.join(REPO, 'bin/ferry.js')) || b.status !== 0) {
      ferry.startError = `not runnable: npm run build failed (${(b.stderr.toString() + b.stdout.toString()).trim().split('\n').slice(-1)[0]})`;
    }
  }
  // raw loopback ceiling (no FTP): plain and with the client's SHA-256 pipeline
  log('TCP loopback ceiling');
  const ceil = { tcp: [], tcpsha: [] };
  for (let r = 0; r < Math.max(2, CFG.rounds); r++) {
    ceil.tcp.push((await lc(['tcpceil', '--bytes', String(CFG.bigSize)])).MBps);
    ceil.tcpsha.push((await lc(['tcpceil', '--bytes', String(CFG.bigSize), '--hash'])).MBps);
  }
  for (let round = 0; round < CFG.rounds; round++) {
    // interleave: rotate the server order every round
    const order = servers.map((_, i) => servers[(i + round) % servers.length]);
    for (const s of order) {
      if (s.startError) continue;
      if (!(await portFree(s.port))) {
        s.startError = `control port ${s.port} busy`;
        continue;
      }
      log(`round ${round + 1}/${CFG.rounds}: ${s.name}`);
      const st = await startServer(s.def, s);
      if (st.error) {
        s.startError = `refused to run: ${st.error}`;
        log(`  ${s.name}: ${s.startError}`);
        continue;
      }
      s.pid = st.pid;
      current = st;
      // Idle memory first, on the freshly started server: memory that earlier workloads leave
      // behind and release later (caches, pools, garbage) would otherwise move the marginal
      // figure (Ferry's transfer-buffer pool, trimmed 10 s after the files workload, made it 0).
      const runOrder = [...workloads.filter((w) => w.id === 'idle_rss'), ...workloads.filter((w) => w.id !== 'idle_rss')];
      for (const w of runOrder) {
        if (w.id.startsWith('tls_') && s.errors.tls_unsupported) continue;
        const t1 = Date.now();
        let r;
        try {
          r = await w.run(s, files);
        } catch (e) {
          r = { error: String(e?.message ?? e) };
        }
        if (r.error) {
          s.errors[w.id] = r.error;
          if (w.id === 'tls_retr' && /AUTH TLS|TLS handshake/.test(r.error)) s.errors.tls_unsupported = true;
          log(`  ${w.id}: ERROR ${r.error}`);
        } else {
          (s.results[w.id] ??= []).push(r.value);
          for (const [k, v] of Object.entries(r.extra ?? {})) (s.results[k] ??= []).push(v);
          if (r.note) s.notes[w.id] = r.note;
          log(`  ${w.id}: ${fmt(r.value)} (${((Date.now() - t1) / 1000).toFixed(1)}s)`);
        }
      }
      await stopServer(st);
      current = null;
    }
  }
  discardUploadDirs();
  const report = render(servers, workloads, ceil, files, (Date.now() - t0) / 1000);
  console.log(report);
  fs.mkdirSync(path.join(HERE, 'results'), { recursive: true });
  fs.writeFileSync(path.join(HERE, 'results', QUICK ? 'latest-quick.md' : 'latest.md'), report);
  fs.writeFileSync(path.join(HERE, 'results', QUICK ? 'latest-quick.json' : 'latest.json'),
    JSON.stringify({ cfg: CFG, ceil, servers: servers.map(({ def, ...s }) => s) }, null, 2));
}

function render(servers, workloads, ceil, files, secs) {
  const base = servers.find((s) => s.name === 'vsftpd');
  const rows = [];
  const metric = [...workloads, ...EXTRA.filter((extra) => workloads.some((w) => w.id === extra.parent))];
  const head = ['workload', ...servers.map((s) => s.name), 'Ferry target'];
  rows.push(`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`);
  for (const w of metric) {
    const bm = base ? median(base.results[w.id] ?? []) : null;
    const cells = servers.map((s) => {
      const m = median(s.results[w.id] ?? []);
      if (m == null) {
        if (s.startError) return 'n/a';
        const e = s.errors[w.id] ?? (w.id.startsWith('tls_') ? s.errors.tls_retr : '');
        if (/-> 50[0-4] |AUTH TLS (50\d|-1)/.test(e ?? '')) return 'unsupported';
        return e ? 'fail' : '—';
      }
      const ratio = bm ? ` (${(m / bm).toFixed(2)}×)` : '';
      return `${fmt(m)}${s === base ? '' : ratio}`;
    });
    rows.push(`| ${w.label} | ${cells.join(' | ')} | ${w.target ?? ''} |`);
  }
  const lines = [];
  lines.push(`## Ferry benchmark — ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC`, '');
  lines.push(`Mode: ${QUICK ? 'quick' : 'default'}; big file ${CFG.bigSize / MiB} MiB, FTPS file ${CFG.tlsSize / MiB} MiB, ` +
    `${CFG.rounds} rounds (servers interleaved, order rotated each round), ${CFG.secs}s per concurrent workload, ` +
    `medians shown; (×) = ratio to vsftpd in the same run (for ms/KiB rows lower is better). Wall time ${(secs / 60).toFixed(1)} min.`, '');
  lines.push(`Raw loopback TCP, no FTP: **${fmt(median(ceil.tcp))} MB/s**; with the load client's SHA-256 check (its ceiling for RETR): **${fmt(median(ceil.tcpsha))} MB/s**.`, '');
  lines.push(...rows, '');
  const notes = [];
  for (const s of servers) {
    if (s.startError) notes.push(`- **${s.name}**: ${s.startError}`);
    for (const [k, v] of Object.entries(s.errors)) if (k !== 'tls_unsupported') notes.push(`- ${s.name} ${k}: ${String(v).slice(0, 300)}`);
    for (const [k, v] of Object.entries(s.notes)) notes.push(`- ${s.name} ${k}: ${v}`);
  }
  if (notes.length) lines.push('Notes:', ...notes, '');
  lines.push(`Versions: ${servers.map((s) => `${s.name} ${(() => { try { return s.def.version() || '?'; } catch { return '?'; } })()}`).join(', ')}; ` +
    `kernel ${fs.readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim()}, ${fs.readFileSync('/proc/cpuinfo', 'utf8').match(/model name\s*:\s*(.*)/)?.[1]} × ${spawnSync('nproc').stdout.toString().trim()}.`);
  return lines.join('\n');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
