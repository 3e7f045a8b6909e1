// Upgrading a database written by an earlier openrcm (tests/golden/upgrade):
// migrations apply, the audit chain keyed by the old derivation still
// verifies, the old user logs in, and the new patient features work on it.
import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { PG, runCli, startServer } from './harness.mjs';

const FIXTURE = new URL('../golden/upgrade/stop7/', import.meta.url).pathname;

describe('upgrade from schema 5', { skip: PG && 'the schema-5 fixture is a SQLite file' }, () => {
  let dir;
  let srv;
  const state = () => ['--set', `state_dir=${dir}`];

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'openrcm-upgrade-'));
    mkdirSync(join(dir, 'keys'), { mode: 0o700 });
    copyFileSync(join(FIXTURE, 'openrcm.db'), join(dir, 'openrcm.db'));
    copyFileSync(join(FIXTURE, 'keys', 'master.key'), join(dir, 'keys', 'master.key'));
    chmodSync(join(dir, 'openrcm.db'), 0o600);
    chmodSync(join(dir, 'keys', 'master.key'), 0o600);
  });
  after(async () => {
    if (srv) {
      assert.equal((await srv.stop()).code, 0, srv.stderr);
      srv.cleanup();
    }
  });

  test('migrate applies every newer migration and the audit chain still verifies', () => {
    // an earlier openrcm wrote no anchor: the chain verifies, but nothing
    // proves it complete until the head is anchored (docs/security.md)
    const unanchored = runCli(['audit', 'verify', ...state()]);
    assert.equal(unanchored.code, 1, unanchored.stderr);
    assert.match(unanchored.stdout, /NOT PROVEN COMPLETE: no anchor.*2 records verify/);
    const before = runCli(['audit', 'verify', '--no-anchor', ...state()]);
    assert.equal(before.code, 0, before.stderr);
    assert.match(before.stdout, /intact: 2 records.*NOT checked against an anchor/);
    const m = runCli(['migrate', ...state()]);
    assert.equal(m.code, 0, m.stderr);
    assert.match(m.stdout, /schema version 5 -> \d+/);
    const afterwards = runCli(['audit', 'verify', '--no-anchor', ...state()]);
    assert.equal(afterwards.code, 0, afterwards.stderr);
  });

  test('the old user logs in and works with patients; the log stays intact', async () => {
    // the server anchors the head it starts from
    srv = await startServer({ stateDir: dir });
    const l = await srv.request('POST', '/v1/auth/login', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ tenant: 'clinic', email: 'biller@clinic.example', password: 'violet-harbour-lantern-92' }),
    });
    assert.equal(l.status, 200, l.text);
    const send = (method, path, body) => srv.request(method, path, {
      headers: { authorization: `Bearer ${l.json.token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const p = await send('POST', '/v1/patients', { last_name: 'Upgraded', first_name: 'Record', dob: '1960-06-06', member_id: 'UPG-1' });
    assert.equal(p.status, 201, p.text);
    const s = await send('POST', '/v1/patients/search', { member_id: 'upg1' });
    assert.deepEqual(s.json.patients.map((x) => x.id), [p.json.id]);
    const v = runCli(['audit', 'verify', ...state()]);
    assert.equal(v.code, 0, v.stderr);
    assert.match(v.stdout, /intact: \d+ records, head at sequence \d+; matches its newest anchor at sequence \d+/);
  });
});
