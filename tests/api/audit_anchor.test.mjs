// The audit log anchored outside the database: a running server anchors its
// head (file + operational log), and `openrcm audit verify` catches what the
// keyed chain alone cannot — the whole log deleted, one patient's index rows
// deleted, a checkpoint deleted, the database rolled back to a backup, an
// anchor altered or missing. Tampering uses the sqlite3 CLI with the
// append-only triggers dropped, as someone with file access would.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { PG, runCli, startServer } from './harness.mjs';

const DROP_TRIGGERS = ['audit_event_append_only_u', 'audit_event_append_only_d',
  'audit_checkpoint_append_only_u', 'audit_checkpoint_append_only_d',
  'audit_patient_append_only_u', 'audit_patient_append_only_d']
  .map((t) => `DROP TRIGGER ${t};`).join(' ');

function sqlite(db, sql) {
  const r = spawnSync('sqlite3', [db, `${DROP_TRIGGERS} ${sql}`], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

// (SQLite pass only: tampering works on copies of the database file; the
// PostgreSQL pass tampers in place in cli.test.mjs and processes_pg.test.mjs.)
describe('audit anchor', { skip: PG && 'tampers with copies of the SQLite file' }, () => {
  let state;           // the state directory the server ran in (never tampered)
  let work;            // scratch copies, one per tampering
  let backupFile;
  let patientA;
  let logLines = '';   // the server's operational log
  const set = (dir) => ['--set', `state_dir=${dir}`];
  // a fresh copy of the untampered state (database, keys, anchor file)
  const copy = (name) => {
    const dir = join(work, name);
    cpSync(state, dir, { recursive: true });
    return dir;
  };
  const verify = (dir, ...extra) => runCli(['audit', 'verify', ...extra, ...set(dir)]);
  const patientRecords = (dir) => {
    const r = runCli(['audit', 'export', '--tenant', 'demo', '--patient', String(patientA), ...set(dir)]);
    assert.equal(r.code, 0, r.stderr);
    return r.stdout.trim() ? r.stdout.trim().split('\n').length : 0;
  };

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'openrcm-anchor-'));
    state = join(work, 'state');
    backupFile = join(work, 'earlier.db');
    const srv = await startServer({ args: ['--demo'], stateDir: state, sets: ['log.level=info'] });
    try {
      const email = `biller.${randomBytes(3).toString('hex')}@demo.example`;
      const pw = `pw-${randomBytes(18).toString('base64url')}`;
      const add = runCli(['user', 'add', '--tenant', 'demo', '--email', email, '--name', 'The biller',
        '--role', 'biller', '--password-file', '-', ...set(state)], { input: `${pw}\n` });
      assert.equal(add.code, 0, add.stderr);
      const l = await srv.request('POST', '/v1/auth/login', {
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ tenant: 'demo', email, password: pw }),
      });
      assert.equal(l.status, 200, l.text);
      const auth = { authorization: `Bearer ${l.json.token}`, 'content-type': 'application/json' };
      const create = async (body) => {
        const r = await srv.request('POST', '/v1/patients', { headers: auth, body: JSON.stringify(body) });
        assert.equal(r.status, 201, r.text);
        return r.json.id;
      };
      patientA = await create({ last_name: 'Anchor', first_name: 'Alpha', dob: '1970-01-01', member_id: 'ANC-1' });
      const patientB = await create({ last_name: 'Anchor', first_name: 'Beta', dob: '1971-02-02', member_id: 'ANC-2' });
      const read = async (id) => {
        const r = await srv.request('GET', `/v1/patients/${id}`, { headers: auth });
        assert.equal(r.status, 200, r.text);
      };
      for (let i = 0; i < 12; i++) await read(patientA);
      await read(patientB);
      // an earlier copy, then more activity past two checkpoints (256, 512)
      const b = runCli(['backup', backupFile, ...set(state)]);
      assert.equal(b.code, 0, b.stderr);
      for (let i = 0; i < 540; i += 20) {
        await Promise.all(Array.from({ length: 20 }, () => read(patientB)));
      }
    } finally {
      const stopped = await srv.stop();
      logLines = srv.stderr;
      assert.equal(stopped.code, 0, srv.stderr);
    }
  });
  after(() => rmSync(work, { recursive: true, force: true }));

  test('the server anchors its head to a private file and the operational log', () => {
    const file = join(state, 'audit-anchor.jsonl');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const anchors = readFileSync(file, 'utf8').trim().split('\n').map((x) => JSON.parse(x));
    assert.ok(anchors.length >= 2, 'at start, after the CLI added a user, at stop');
    for (const a of anchors) {
      assert.equal(a.event, 'audit.anchor');
      assert.match(a.hash, /^[0-9a-f]{64}$/);
      assert.match(a.mac, /^[0-9a-f]{64}$/);
    }
    const last = anchors[anchors.length - 1];
    assert.ok(last.seq > 512, `last anchor ${last.seq}`);
    const logged = logLines.split('\n').filter((x) => x.includes('"audit.anchor"')).map((x) => JSON.parse(x));
    assert.ok(logged.some((x) => x.seq === last.seq && x.hash === last.hash && x.mac === last.mac),
      'the stop anchor is in the operational log');
    assert.ok(patientRecords(state) >= 13);
  });

  test('an untampered log verifies against its anchor (file or operational log)', () => {
    let r = verify(state);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /audit log intact: \d+ records, head at sequence \d+; matches its newest anchor at sequence \d+/);
    const log = join(work, 'operational.log');
    writeFileSync(log, logLines);
    r = verify(state, '--anchor', log);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /matches its newest anchor/);
  });

  test('the whole log deleted (records, index, checkpoints, head) is caught', () => {
    const dir = copy('emptied');
    sqlite(join(dir, 'openrcm.db'), 'DELETE FROM audit_event_patient; DELETE FROM audit_checkpoint; '
      + 'DELETE FROM audit_event; DELETE FROM audit_head;');
    const r = verify(dir);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /TAMPERED: log ends before its anchor \(truncated or rolled back\) at sequence \d+: .* the log ends at sequence 0/);
  });

  test("one patient's index rows deleted is caught", () => {
    const dir = copy('index');
    sqlite(join(dir, 'openrcm.db'), `DELETE FROM audit_event_patient WHERE patient_id = '${patientA}';`);
    assert.equal(patientRecords(dir), 0, "the patient's audit trail is gone from export");
    const r = verify(dir);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /TAMPERED: per-patient index row missing at sequence \d+/);
  });

  test('a checkpoint deleted is caught', () => {
    const dir = copy('checkpoint');
    sqlite(join(dir, 'openrcm.db'), 'DELETE FROM audit_checkpoint WHERE seq = 256;');
    const r = verify(dir);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /TAMPERED: keyed checkpoint missing at sequence 256/);
  });

  test('the database rolled back to an earlier backup is caught', () => {
    const dir = copy('rollback');
    rmSync(join(dir, 'openrcm.db-wal'), { force: true });
    rmSync(join(dir, 'openrcm.db-shm'), { force: true });
    copyFileSync(backupFile, join(dir, 'openrcm.db'));
    // the copy is a consistent, keyed chain on its own
    assert.equal(verify(dir, '--no-anchor').code, 0);
    const r = verify(dir);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /TAMPERED: log ends before its anchor \(truncated or rolled back\)/);
  });

  test('an altered anchor is refused', () => {
    const dir = copy('anchor-edit');
    const file = join(dir, 'audit-anchor.jsonl');
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    const a = JSON.parse(lines[lines.length - 1]);
    a.seq -= 100;    // make the log look longer than anchored
    lines[lines.length - 1] = JSON.stringify(a);
    writeFileSync(file, `${lines.join('\n')}\n`);
    const r = verify(dir);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /TAMPERED: anchor does not verify \(tampered anchor\)/);
  });

  test('no anchor file: completeness cannot be proven unless --no-anchor says so', () => {
    const dir = copy('no-anchor');
    rmSync(join(dir, 'audit-anchor.jsonl'));
    let r = verify(dir);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /NOT PROVEN COMPLETE: no anchor: the log's completeness cannot be proven/);
    r = verify(dir, '--no-anchor');
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /NOT checked against an anchor \(--no-anchor\)/);
    // anchoring by hand (e.g. after an upgrade) makes it verifiable again
    r = runCli(['audit', 'anchor', ...set(dir)]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(verify(dir).code, 0);
  });
});
