// ftp-srv (npm) peer for the Ferry benchmark.
// usage: node ftpsrv.cjs HOST PORT ROOT PASV_MIN PASV_MAX USER PASS CERT KEY
const path = require('path');
const fs = require('fs');
const mods = path.join(__dirname, '..', '.peers', 'ftp-srv', 'node_modules');
const { FtpSrv } = require(path.join(mods, 'ftp-srv'));
const bunyan = require(path.join(mods, 'bunyan'));
const [host, port, root, pmin, pmax, user, pass, cert, key] = process.argv.slice(2);
const log = bunyan.createLogger({ name: 'ftp-srv', level: 'fatal' });
const srv = new FtpSrv({
  url: `ftp://${host}:${port}`,
  pasv_url: host,
  pasv_min: Number(pmin),
  pasv_max: Number(pmax),
  anonymous: false,
  greeting: 'ftp-srv bench ready',
  tls: { key: fs.readFileSync(key), cert: fs.readFileSync(cert) },
  log,
});
srv.on('login', ({ username, password }, resolve, reject) => {
  if (username === user && password === pass) resolve({ root });
  else reject(new Error('bad login'));
});
srv.on('client-error', () => {});
process.on('SIGTERM', () => process.exit(0));
srv.listen().then(() => {});
