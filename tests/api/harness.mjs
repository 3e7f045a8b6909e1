// harness.mjs — start a real `openrcm serve` on a free loopback port with a
// fresh state directory, and talk HTTPS to it, trusting only the server's
// own development certificate.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import assert from 'node:assert/strict';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import tls from 'node:tls';
import { createHash, createHmac, randomBytes } from 'node:crypto';

export const BIN = process.env.OPENRCM_BIN;
if (!BIN) throw new Error('OPENRCM_BIN must name the openrcm binary');

// ---- the database under test ----------------------------------------------
// RCM_TEST_BACKEND=postgres runs every suite on the throwaway PostgreSQL of
// the ctest fixture "postgres" ($RCM_TEST_PG_ENV: conninfo=, password_file=):
// each state directory gets a schema of its own, named from its path, and
// every server and CLI child started for it is pointed there through
// OPENRCM_DATABASE_* settings. SQLite (the default) needs nothing.
export const PG = process.env.RCM_TEST_BACKEND === 'postgres';
export const BACKEND = PG ? 'postgres' : 'sqlite';

function readPgEnv() {
  const file = process.env.RCM_TEST_PG_ENV;
  if (!file) throw new Error('RCM_TEST_BACKEND=postgres needs RCM_TEST_PG_ENV');
  const out = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}
const pgEnv = PG ? readPgEnv() : null;

export const schemaOf = (stateDir) =>
  `t_${createHash('sha256').update(resolve(stateDir)).digest('hex').slice(0, 20)}`;

// psql as the test role (the test's own access, not openrcm's); rows as
// sqlite3 prints them: columns joined by '|'.
export function psql(statement, schema) {
  const conn = schema ? `${pgEnv.conninfo} options='-c search_path=${schema}'` : pgEnv.conninfo;
  const r = spawnSync('psql', [conn, '-X', '-v', 'ON_ERROR_STOP=1', '-tA', '-F', '|', '-c', statement], {
    encoding: 'utf8',
    env: { ...process.env, PGPASSWORD: readFileSync(pgEnv.password_file, 'utf8').trim() },
  });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

// Everything stored in the schema of stateDir, as pg_dump prints it.
export function pgDump(stateDir) {
  const r = spawnSync('pg_dump', ['--dbname', pgEnv.conninfo, '--schema', schemaOf(stateDir), '--data-only'], {
    encoding: 'latin1', maxBuffer: 256 << 20,
    env: { ...process.env, PGPASSWORD: readFileSync(pgEnv.password_file, 'utf8').trim() },
  });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

// The schema of a state directory, created on first use with the two
// SQLite functions the suites' own inspection queries use.
const schemas = new Set();
function ensureSchema(stateDir) {
  const schema = schemaOf(stateDir);
  if (schemas.has(schema)) return schema;
  psql(`CREATE SCHEMA IF NOT EXISTS ${schema};
    CREATE OR REPLACE FUNCTION ${schema}.hex(bytea) RETURNS text LANGUAGE sql IMMUTABLE
      AS $$ SELECT upper(encode($1, 'hex')) $$;
    CREATE OR REPLACE FUNCTION ${schema}.gc_step(text, anyelement) RETURNS text LANGUAGE sql
      IMMUTABLE AS $$ SELECT CASE WHEN $2 IS NULL THEN $1 WHEN $1 IS NULL THEN $2::text
                                  ELSE $1 || ',' || $2::text END $$;
    CREATE OR REPLACE AGGREGATE ${schema}.group_concat(anyelement) (SFUNC = ${schema}.gc_step,
      STYPE = text);`);
  schemas.add(schema);
  return schema;
}

// OPENRCM_* settings that put a child on the database of stateDir.
export function databaseEnv(stateDir) {
  if (!PG || !stateDir) return {};
  return {
    OPENRCM_DATABASE_BACKEND: 'postgres',
    OPENRCM_DATABASE_CONNINFO: `${pgEnv.conninfo} options='-c search_path=${ensureSchema(stateDir)}'`,
    OPENRCM_DATABASE_PASSWORD_FILE: pgEnv.password_file,
  };
}

// The state directory a command line names, if any.
function stateDirOf(args) {
  for (let i = 0; i < args.length - 1; i++) {
    if (args[i] === '--state-dir') return args[i + 1];
    if (args[i] === '--set' && String(args[i + 1]).startsWith('state_dir=')) return args[i + 1].slice(10);
  }
  return undefined;
}

// Environment for children: our OPENRCM_* settings only.
function childEnv(extra = {}) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('OPENRCM_')) env[k] = v;
  return { ...env, ...extra };
}

export function runCli(args, { env = {}, cwd, input } = {}) {
  const dir = env.OPENRCM_STATE_DIR ?? stateDirOf(args);
  const r = spawnSync(BIN, args, { env: childEnv({ ...databaseEnv(dir), ...env }), cwd, input,
    encoding: 'utf8', timeout: 60000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

// A statement on the database of stateDir, output as sqlite3 prints it.
export function dbQuery(stateDir, statement) {
  if (PG) return psql(statement, ensureSchema(stateDir));
  const r = spawnSync('sqlite3', [join(stateDir, 'openrcm.db'), statement], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout.trim();
}

// A statement run past the audit tables' append-only triggers, as someone
// with direct access to the database would (tamper tests).
const AUDIT_TABLES = ['audit_event', 'audit_checkpoint', 'audit_event_patient'];
export function tamper(stateDir, statement) {
  if (PG) {
    const each = (verb) => AUDIT_TABLES.map((t) => `ALTER TABLE ${t} ${verb} TRIGGER USER;`).join(' ');
    return dbQuery(stateDir, `${each('DISABLE')} ${statement}; ${each('ENABLE')}`);
  }
  const drop = ['audit_event', 'audit_checkpoint', 'audit_patient']
    .flatMap((t) => [`DROP TRIGGER ${t}_append_only_u;`, `DROP TRIGGER ${t}_append_only_d;`]).join(' ');
  return dbQuery(stateDir, `${drop} ${statement}`);
}

export async function startServer({ sets = [], args = [], stateDir } = {}) {
  stateDir ??= mkdtempSync(join(tmpdir(), 'openrcm-api-'));
  const argv = ['serve', '--port', '0', '--state-dir', stateDir, '--set', 'log.level=warn', ...args];
  for (const s of sets) argv.push('--set', s);
  const child = spawn(BIN, argv, { env: childEnv(databaseEnv(stateDir)), stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const port = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`server did not start: ${stderr}`)), 30000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/serving https:\/\/127\.0\.0\.1:(\d+)\//);
      if (m) { clearTimeout(timer); resolve(Number(m[1])); }
    });
    exited.then(({ code }) => { clearTimeout(timer); reject(new Error(`server exited ${code}: ${stderr}`)); });
  });
  let ca;
  try {
    ca = readFileSync(join(stateDir, 'tls', 'dev-cert.pem'));
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
  // No keep-alive: suites shorten the server's idle timeout, and a pooled
  // connection the server just closed would fail the next request at random.
  const agent = new https.Agent({ keepAlive: false, ca, maxSockets: 8 });
  const server = {
    port, stateDir, ca, child, exited, agent,
    get stderr() { return stderr; },
    request: (method, path, opts = {}) => request(server, method, path, opts),
    async stop(signal = 'SIGTERM') {
      agent.destroy();
      if (child.exitCode === null) child.kill(signal);
      const r = await exited;
      return r;
    },
    cleanup() { rmSync(stateDir, { recursive: true, force: true }); },
  };
  return server;
}

// One HTTPS request; resolves { status, headers, text, json }.
export function request(server, method, path, { headers = {}, body, agent } = {}) {
  // The server refuses chunked request bodies (411): say the length, as
  // curl, fetch and most clients do.
  if (body !== undefined && !Object.keys(headers).some((h) => /^(content-length|transfer-encoding)$/i.test(h)))
    headers = { ...headers, 'content-length': Buffer.byteLength(body) };
  return new Promise((resolve, reject) => {
    const req = https.request({
      host: '127.0.0.1', port: server.port, method, path, headers,
      agent: agent ?? server.agent, ca: server.ca, servername: 'localhost',
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json;
        try { json = JSON.parse(text); } catch { json = undefined; }
        resolve({ status: res.statusCode, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    req.setTimeout(20000, () => req.destroy(new Error('request timed out')));
    if (body !== undefined) req.write(body);
    req.end();
  });
}

// A raw TLS socket to the server (for half-sent and malformed requests).
export function connectTls(server, opts = {}) {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port: server.port, ca: server.ca, servername: 'localhost', ...opts });
    s.once('secureConnect', () => resolve(s));
    s.once('error', reject);
  });
}

// Read everything until the peer closes (or timeoutMs passes).
export function readUntilClose(socket, timeoutMs = 10000) {
  return new Promise((resolve) => {
    const chunks = [];
    const timer = setTimeout(() => resolve({ data: Buffer.concat(chunks).toString('latin1'), closed: false }), timeoutMs);
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', () => {});
    socket.on('close', () => { clearTimeout(timer); resolve({ data: Buffer.concat(chunks).toString('latin1'), closed: true }); });
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function assertProblem(assert, res, status, code, detail) {
  assert.equal(res.status, status, res.text);
  if (detail) assert.match(res.json.detail, detail);
  assert.match(res.headers['content-type'], /^application\/problem\+json/);
  assert.equal(res.json.status, status);
  assert.equal(res.json.code, code);
  assert.equal(res.json.type, `urn:openrcm:problem:${code}`);
  assert.equal(typeof res.json.title, 'string');
  assert.equal(res.json.request_id, res.headers['x-request-id']);
}

// RFC 6238 TOTP (SHA-1, 30 s, 6 digits) for a base32 secret: what an
// authenticator app computes.
export function totp(base32, unixSeconds = Date.now() / 1000) {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = '';
  for (const c of base32.replace(/=+$/, '')) bits += alphabet.indexOf(c).toString(2).padStart(5, '0');
  const key = Buffer.from(bits.match(/.{8}/g).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(unixSeconds / 30)));
  const mac = createHmac('sha1', key).update(counter).digest();
  const off = mac[19] & 15;
  const n = (mac.readUInt32BE(off) & 0x7fffffff) % 1000000;
  return String(n).padStart(6, '0');
}

// Enrol a second factor for the session `token`; returns { secret, recovery }.
export async function enrollMfa(srv, token) {
  const auth = { authorization: `Bearer ${token}` };
  const e = await srv.request('POST', '/v1/auth/mfa/enroll', { headers: auth });
  if (e.status !== 200) throw new Error(`enroll: ${e.status} ${e.text}`);
  const c = await srv.request('POST', '/v1/auth/mfa/confirm', {
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({ code: totp(e.json.secret) }),
  });
  if (c.status !== 200) throw new Error(`confirm: ${c.status} ${c.text}`);
  return { secret: e.json.secret, recovery: c.json.recovery_codes };
}

// ---- a tenant to work in -------------------------------------------------

export const strongPassword = () => `pw-${randomBytes(18).toString('base64url')}`;
export const bearer = (token) => ({ authorization: `Bearer ${token}` });

export const sql = (srv, statement) => dbQuery(srv.stateDir, statement);

// A server with a demo tenant, an owner with a second factor, and helpers.
export async function world({ sets = [] } = {}) {
  const srv = await startServer({ args: ['--demo'], sets });
  const state = ['--set', `state_dir=${srv.stateDir}`];
  const send = (method, token, path, body) => srv.request(method, path, body === undefined
    ? { headers: bearer(token) }
    : { headers: { ...bearer(token), 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const login = (email, password, tenant = 'demo') => srv.request('POST', '/v1/auth/login', {
    headers: { 'content-type': 'application/json' }, body: JSON.stringify({ tenant, email, password }) });
  const w = { srv, state, send, login, passwords: {} };
  const pw = strongPassword();
  const add = runCli(['user', 'add', '--tenant', 'demo', '--email', 'chief@demo.example', '--name', 'Owner',
    '--role', 'owner', '--password-file', '-', ...state], { input: pw });
  assert.equal(add.code, 0, add.stderr);
  const l = await login('chief@demo.example', pw);
  assert.equal(l.status, 200, l.text);
  w.owner = { token: l.json.token, id: l.json.user.id };
  await enrollMfa(srv, w.owner.token);
  // user(role, name): create and log in; returns { id, token, email, password }
  w.user = async (role, name, { mfa = false } = {}) => {
    const email = `${name}@demo.example`;
    const password = strongPassword();
    const c = await send('POST', w.owner.token, '/v1/users', { email, display_name: name, role, password });
    assert.equal(c.status, 201, c.text);
    const s = await login(email, password);
    assert.equal(s.status, 200, s.text);
    if (mfa || role === 'owner' || role === 'admin') await enrollMfa(srv, s.json.token);
    return { id: c.json.id, token: s.json.token, email, password };
  };
  w.close = async () => {
    assert.equal((await srv.stop()).code, 0, srv.stderr);
    srv.cleanup();
  };
  return w;
}
