// The command line: help, exit codes, configuration precedence, migrations.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';

import { PG, runCli, tamper } from './harness.mjs';

const dir = mkdtempSync(join(tmpdir(), 'openrcm-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('openrcm CLI', () => {
  test('version', () => {
    const r = runCli(['version']);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /^openrcm \d+\.\d+\.\d+\n$/);
    const v = runCli(['version', '--verbose']);
    assert.match(v.stdout, /sqlite 3\.\d+/);
    assert.match(v.stdout, /libmicrohttpd/);
  });

  test('every command has --help and exits 0 with usage on stdout', () => {
    for (const cmd of ['serve', 'migrate', 'config', 'version']) {
      const r = runCli([cmd, '--help']);
      assert.equal(r.code, 0, cmd);
      assert.match(r.stdout, new RegExp(`^usage: openrcm ${cmd}`), cmd);
    }
    const top = runCli(['--help']);
    assert.equal(top.code, 0);
    assert.match(top.stdout, /serve/);
  });

  test('usage errors exit 2 with a message on stderr', () => {
    let r = runCli([]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /usage: openrcm/);
    r = runCli(['frobnicate']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown command 'frobnicate'/);
    r = runCli(['version', '--bogus']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^openrcm version: unknown option '--bogus'/);
    r = runCli(['config']);
    assert.equal(r.code, 2);
  });

  test('config dump shows values and their origin: default < file < env < flag', () => {
    const file = join(dir, 'openrcm.ini');
    writeFileSync(file, '[server]\nport = 9001\nmax_body_bytes = 2048\n[log]\nlevel = debug\n');
    const r = runCli(['config', 'dump', '--json', '--config', file, '--set', 'log.level=error'],
      { env: { OPENRCM_SERVER_PORT: '9002' } });
    assert.equal(r.code, 0, r.stderr);
    const cfg = JSON.parse(r.stdout);
    assert.deepEqual(cfg['server.port'], { value: '9002', origin: 'env' });
    assert.deepEqual(cfg['server.max_body_bytes'], { value: '2048', origin: 'file' });
    assert.deepEqual(cfg['log.level'], { value: 'error', origin: 'flag' });
    assert.deepEqual(cfg['server.listen'], { value: '127.0.0.1', origin: 'default' });
    const text = runCli(['config', 'dump']);
    assert.equal(text.code, 0);
    assert.match(text.stdout, /^server\.port\s+= 8443\s+# default$/m);
  });

  test('OPENRCM_CONFIG names the file', () => {
    const file = join(dir, 'env.ini');
    writeFileSync(file, '[server]\nport = 9555\n');
    const r = runCli(['config', 'dump'], { env: { OPENRCM_CONFIG: file } });
    assert.match(r.stdout, /^server\.port\s+= 9555\s+# file$/m);
  });

  test('invalid configuration is refused with a precise message', () => {
    let r = runCli(['serve', '--set', 'server.port=99999']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /server\.port \(from flag\): 99999 is outside 0\.\.65535/);
    r = runCli(['serve'], { env: { OPENRCM_SERVER_PROT: '1' } });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown environment variable OPENRCM_SERVER_PROT/);
    const file = join(dir, 'bad.ini');
    writeFileSync(file, '[server]\nprot = 1\n');
    r = runCli(['serve', '--config', file]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /bad\.ini: unknown setting "server\.prot"/);
    r = runCli(['serve', '--config', join(dir, 'missing.ini')]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /cannot open config file/);
  });

  test('secrets are file paths and must be private', () => {
    const key = join(dir, 'key.pem');
    writeFileSync(key, 'not really a key');
    chmodSync(key, 0o644);
    const r = runCli(['config', 'dump', '--set', `server.tls_key_file=${key}`,
      '--set', `server.tls_cert_file=${key}`]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /accessible by group or others \(mode 644\); run chmod 600/);
    const s = runCli(['serve', '--set', `server.tls_key_file=${key}`, '--set', `server.tls_cert_file=${key}`]);
    assert.equal(s.code, 2);
  });

  test('migrate applies once, reports status, and makes a private database', () => {
    const state = join(dir, 'state');
    let r = runCli(['migrate', '--status', '--set', `state_dir=${state}`]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /schema version 0 of \d+ \(migrations pending\)/);
    r = runCli(['migrate', '--set', `state_dir=${state}`]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /applied \d+ migrations?: schema version 0 -> \d+/);
    r = runCli(['migrate', '--set', `state_dir=${state}`]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /is up to date/);
    r = runCli(['migrate', '--status', '--set', `state_dir=${state}`]);
    assert.equal(r.code, 0);
    if (!PG) assert.equal(statSync(join(state, 'openrcm.db')).mode & 0o777, 0o600);
    assert.equal(statSync(state).mode & 0o777, 0o700);
  });

  test('migrate reports an unusable database path as an I/O error', { skip: PG && 'a SQLite file path' }, () => {
    const r = runCli(['migrate', '--set', `state_dir=${join(dir, 's2')}`, '--set', 'database.path=/proc/openrcm/x.db']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^openrcm migrate: cannot create database/m);
  });
});

test('docs/config.md is the current output of `openrcm config doc`', async () => {
  const { readFileSync } = await import('node:fs');
  const { fileURLToPath } = await import('node:url');
  const docPath = fileURLToPath(new URL('../../docs/config.md', import.meta.url));
  const r = runCli(['config', 'doc']);
  assert.equal(r.code, 0);
  assert.equal(readFileSync(docPath, 'utf8'), r.stdout,
    'docs/config.md is stale: run `build/openrcm config doc > docs/config.md`');
});

describe('openrcm audit', () => {
  test('verify passes on a fresh log and names the sequence number of a tampered record', async () => {
    const state = join(dir, 'audit-state');
    const set = ['--set', `state_dir=${state}`];
    let r = runCli(['migrate', ...set]);
    assert.equal(r.code, 0, r.stderr);
    // two audited changes: the demo tenant, then another through a second start
    const { startServer } = await import('./harness.mjs');
    r = runCli(['audit', 'verify', ...set]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /audit log intact: 0 records/);
    const srv = await startServer({ args: ['--demo'], stateDir: state });
    assert.equal((await srv.stop()).code, 0);
    r = runCli(['audit', 'verify', ...set]);
    assert.equal(r.code, 0, r.stderr);
    // the demo tenant and its owner
    assert.match(r.stdout, /audit log intact: 2 records, head at sequence 2/);
    r = runCli(['audit', 'export', '--all', ...set]);
    assert.equal(r.code, 0, r.stderr);
    const rec = JSON.parse(r.stdout.trim().split('\n')[0]);
    assert.equal(rec.seq, 1);
    assert.equal(rec.action, 'tenant.create');
    assert.equal(rec.outcome, 'success');
    assert.match(rec.hash, /^[0-9a-f]{64}$/);
    // someone with file access edits the record
    tamper(state, "UPDATE audit_event SET outcome = 'failure' WHERE seq = 1");
    r = runCli(['audit', 'verify', ...set]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /TAMPERED: record modified at sequence 1/);
  });

  test('usage errors', () => {
    assert.equal(runCli(['audit']).code, 2);
    assert.equal(runCli(['audit', 'export', '--set', `state_dir=${join(dir, 'audit-state')}`]).code, 2);
    const r = runCli(['audit', 'verify', '--set', `state_dir=${join(dir, 'no-such-state')}`]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no master key/);
  });
});
