// bench/http/login-timing.mjs — do real and unknown accounts answer a wrong
// password in the same time? (issue 20: login enumeration)
//
// Starts `openrcm serve --demo` (OPENRCM_BIN, default build/openrcm) and
// sends wrong passwords for three kinds of identity: real users, unknown
// emails in a real tenant, and an unknown tenant — IDENTITIES of each, five
// attempts apiece (answered 401 after an Argon2id verification), then five
// more (answered 429 by the throttle, no hashing). Kinds are interleaved and
// every identity uses its own loopback source address so the per-address
// throttle stays out of the way. Prints median and p90 latency per kind and
// answer; not a test — a benchmark to read.
import https from 'node:https';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

process.env.OPENRCM_BIN ??= 'build/openrcm';
const { startServer } = await import('../../tests/api/harness.mjs');
const N = Number(process.env.IDENTITIES ?? 8);

const srv = await startServer({ args: ['--demo'] });
const state = ['--set', `state_dir=${srv.stateDir}`];
const real = [];
for (let i = 0; i < N; i++) {
  const email = `timing${i}@demo.example`;
  const pw = `pw-${randomBytes(18).toString('base64url')}`;
  const r = spawnSync(process.env.OPENRCM_BIN, ['user', 'add', '--tenant', 'demo', '--email', email,
    '--name', 'Timing', '--role', 'biller', '--password-file', '-', ...state], { input: pw, env: { PATH: process.env.PATH } });
  if (r.status !== 0) throw new Error(r.stderr.toString());
  real.push(email);
}
const kinds = {
  'real user': real.map((email) => ({ tenant: 'demo', email })),
  'unknown email': real.map((_, i) => ({ tenant: 'demo', email: `nobody${i}@demo.example` })),
  'unknown tenant': real.map((_, i) => ({ tenant: 'no-such-practice', email: `timing${i}@demo.example` })),
};

function login(who, source) {
  const body = JSON.stringify({ ...who, password: 'wrong-password-123' });
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const req = https.request({ host: '127.0.0.1', port: srv.port, method: 'POST', path: '/v1/auth/login',
      localAddress: source, ca: srv.ca, servername: 'localhost', agent: false,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode, ms: Number(process.hrtime.bigint() - t0) / 1e6 }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

const times = {};
let address = 10;
for (let i = 0; i < N; i++) {
  for (const [kind, ids] of Object.entries(kinds)) {
    const source = `127.0.${Math.floor(address / 250)}.${(address % 250) + 2}`;
    address++;
    for (let attempt = 0; attempt < 10; attempt++) {
      const r = await login(ids[i], source);
      (times[`${kind} ${r.status}`] ??= []).push(r.ms);
    }
  }
}
await srv.stop();
srv.cleanup();
const q = (a, p) => a.slice().sort((x, y) => x - y)[Math.min(a.length - 1, Math.floor(p * a.length))];
console.log('kind and answer                 n   median ms   p90 ms');
for (const [k, a] of Object.entries(times).sort())
  console.log(`${k.padEnd(28)} ${String(a.length).padStart(4)} ${q(a, 0.5).toFixed(2).padStart(11)} ${q(a, 0.9).toFixed(2).padStart(8)}`);
