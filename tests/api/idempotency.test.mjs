// Idempotency-Key on POST over the live server (issue 21): a repeat gets the
// first answer and does not do the work again; the key is scoped to the
// caller and the route; another body is a 409; concurrent repeats run once;
// a request still running is a 409 with Retry-After until its lease ends;
// keys expire; routes whose answers carry credentials ignore the header;
// and neither the answer (PHI) nor the key is readable in the database or
// the log.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { PG, assertProblem, bearer, pgDump, sleep, sql, strongPassword, world } from './harness.mjs';

const LEASE_MS = 60000;     // RCM_IDEMPOTENCY_LEASE_MS, written out independently

let serial = 0;
const newKey = (label) => `idem-${label}-${process.pid}-${++serial}-${Date.now()}`;
const patient = (last) => ({ last_name: last, first_name: 'Idara', dob: '1971-03-14' });

// POST a JSON body with an Idempotency-Key (undefined: none).
function post(w, token, path, body, key, headers = {}) {
  const h = { ...bearer(token), ...headers };
  if (key !== undefined) h['idempotency-key'] = key;
  if (body === undefined) return w.srv.request('POST', path, { headers: h });
  h['content-type'] = 'application/json';
  return w.srv.request('POST', path, { headers: h, body: JSON.stringify(body) });
}

const count = (w, where) => Number(sql(w.srv, `SELECT count(*) FROM ${where}`));
const patients = (w) => count(w, 'patient');
const audits = (w, action, extra = '') => count(w, `audit_event WHERE action = '${action}' ${extra}`);

describe('Idempotency-Key', () => {
  let w;
  before(async () => { w = await world(); });
  after(async () => { await w.close(); });

  test('a repeat gets the first answer, marked replayed, and creates nothing more', async () => {
    const key = newKey('same');
    const before = patients(w);
    const first = await post(w, w.owner.token, '/v1/patients', patient('Replaywell'), key);
    assert.equal(first.status, 201, first.text);
    assert.equal(first.headers['idempotent-replayed'], undefined);
    const again = await post(w, w.owner.token, '/v1/patients', patient('Replaywell'), key);
    assert.equal(again.status, 201, again.text);
    assert.equal(again.headers['idempotent-replayed'], 'true');
    assert.equal(again.text, first.text);
    assert.match(again.headers['content-type'], /^application\/json/);
    // the replay is a request of its own, answered with the stored body
    assert.notEqual(again.headers['x-request-id'], first.headers['x-request-id']);
    assert.equal(patients(w), before + 1);
    assert.equal(audits(w, 'patient.create', `AND object_id = '${first.json.id}'`), 1);
    // the replay hands PHI out again: audited, pointing at the first request
    assert.equal(audits(w, 'idempotency.replay', `AND object_id = '${first.headers['x-request-id']}'
      AND request_id = '${again.headers['x-request-id']}' AND actor_id = ${w.owner.id}`), 1);
    const third = await post(w, w.owner.token, '/v1/patients', patient('Replaywell'), key);
    assert.equal(third.headers['idempotent-replayed'], 'true');
    assert.equal(third.text, first.text);
    assert.equal(patients(w), before + 1);
    assert.equal(audits(w, 'idempotency.replay', `AND object_id = '${first.headers['x-request-id']}'`), 2);
  });

  test('without a key every POST runs', async () => {
    const before = patients(w);
    for (let i = 0; i < 2; i++) {
      const r = await post(w, w.owner.token, '/v1/patients', patient('Keyless'));
      assert.equal(r.status, 201, r.text);
      assert.equal(r.headers['idempotent-replayed'], undefined);
    }
    assert.equal(patients(w), before + 2);
  });

  test('the same key with another body or path is 409 idempotency_key_reused, and nothing runs', async () => {
    const key = newKey('reuse');
    const first = await post(w, w.owner.token, '/v1/patients', patient('Firstbody'), key);
    assert.equal(first.status, 201, first.text);
    const before = patients(w);
    const other = await post(w, w.owner.token, '/v1/patients', patient('Otherbody'), key);
    assertProblem(assert, other, 409, 'idempotency_key_reused');
    assert.equal(other.headers['idempotent-replayed'], undefined);
    assert.equal(patients(w), before);
    // the key still answers its own request
    const same = await post(w, w.owner.token, '/v1/patients', patient('Firstbody'), key);
    assert.equal(same.headers['idempotent-replayed'], 'true');
    assert.equal(same.json.id, first.json.id);

    // one route, two objects: the path is part of the request
    const a = await w.user('coder', 'idem.unlock.a');
    const b = await w.user('coder', 'idem.unlock.b');
    const ukey = newKey('unlock');
    const ua = await post(w, w.owner.token, `/v1/users/${a.id}/unlock`, undefined, ukey);
    assert.equal(ua.status, 200, ua.text);
    assert.equal(ua.json.id, a.id);
    const ub = await post(w, w.owner.token, `/v1/users/${b.id}/unlock`, undefined, ukey);
    assertProblem(assert, ub, 409, 'idempotency_key_reused');
    assert.equal(audits(w, 'user.unlock', `AND object_id = '${b.id}'`), 0);
  });

  test('concurrent repeats run once: one creates, the others replay or are told it is in progress', async () => {
    const key = newKey('race');
    const before = patients(w);
    const creates = audits(w, 'patient.create');
    const all = await Promise.all(Array.from({ length: 6 },
      () => post(w, w.owner.token, '/v1/patients', patient('Racewell'), key)));
    const fresh = all.filter((r) => r.status === 201 && r.headers['idempotent-replayed'] === undefined);
    assert.equal(fresh.length, 1, all.map((r) => `${r.status} ${r.text}`).join('\n'));
    for (const r of all) {
      if (r === fresh[0]) continue;
      if (r.status === 201) {
        assert.equal(r.headers['idempotent-replayed'], 'true');
        assert.equal(r.text, fresh[0].text);
      } else {
        assertProblem(assert, r, 409, 'idempotency_key_in_use');
        assert.equal(r.headers['retry-after'], '1');
      }
    }
    assert.equal(patients(w), before + 1);
    assert.equal(audits(w, 'patient.create'), creates + 1);
    const later = await post(w, w.owner.token, '/v1/patients', patient('Racewell'), key);
    assert.equal(later.headers['idempotent-replayed'], 'true');
    assert.equal(later.text, fresh[0].text);
  });

  test('a request still running is 409 idempotency_key_in_use with Retry-After, until its lease ends', async () => {
    const key = newKey('running');
    const first = await post(w, w.owner.token, '/v1/patients', patient('Leasewell'), key);
    assert.equal(first.status, 201, first.text);
    // make the row look as it does while the first request runs (the only
    // row written since: the newest)
    const row = 'id = (SELECT max(id) FROM idempotency_key)';
    sql(w.srv, `UPDATE idempotency_key SET status = NULL, response = NULL, created_ms = ${Date.now()} WHERE ${row}`);
    const before = patients(w);
    const busy = await post(w, w.owner.token, '/v1/patients', patient('Leasewell'), key);
    assertProblem(assert, busy, 409, 'idempotency_key_in_use');
    assert.equal(busy.headers['retry-after'], '1');
    assert.equal(patients(w), before);
    // another body is still a mismatch, whether or not the first has answered
    assertProblem(assert, await post(w, w.owner.token, '/v1/patients', patient('Leaseother'), key),
      409, 'idempotency_key_reused');
    // a first request silent past its lease died: a repeat runs
    sql(w.srv, `UPDATE idempotency_key SET created_ms = ${Date.now() - LEASE_MS - 1000} WHERE ${row}`);
    const rerun = await post(w, w.owner.token, '/v1/patients', patient('Leasewell'), key);
    assert.equal(rerun.status, 201, rerun.text);
    assert.equal(rerun.headers['idempotent-replayed'], undefined);
    assert.notEqual(rerun.json.id, first.json.id);
    assert.equal(patients(w), before + 1);
    const replay = await post(w, w.owner.token, '/v1/patients', patient('Leasewell'), key);
    assert.equal(replay.headers['idempotent-replayed'], 'true');
    assert.equal(replay.json.id, rerun.json.id);
  });

  test('a 4xx answer is kept and replayed too; the key is spent on it', async () => {
    const key = newKey('invalid');
    const bad = { ...patient('Invalida'), dob: '1971-02-30' };
    const before = patients(w);
    const first = await post(w, w.owner.token, '/v1/patients', bad, key);
    assertProblem(assert, first, 422, 'validation_failed');
    const again = await post(w, w.owner.token, '/v1/patients', bad, key);
    assert.equal(again.status, 422);
    assert.equal(again.headers['idempotent-replayed'], 'true');
    assert.match(again.headers['content-type'], /^application\/problem\+json/);
    // the same document, naming the request that produced it
    assert.equal(again.text, first.text);
    assert.equal(again.json.request_id, first.headers['x-request-id']);
    // corrected, the request is another one: it needs another key
    assertProblem(assert, await post(w, w.owner.token, '/v1/patients', patient('Invalida'), key),
      409, 'idempotency_key_reused');
    assert.equal(patients(w), before);
  });

  test('keys belong to the caller and the route', async () => {
    const key = newKey('scope');
    const mine = await post(w, w.owner.token, '/v1/patients', patient('Scopewell'), key);
    assert.equal(mine.status, 201, mine.text);
    const before = patients(w);
    // another user, same key and body: their own request
    const biller = await w.user('biller', 'idem.biller');
    const theirs = await post(w, biller.token, '/v1/patients', patient('Scopewell'), key);
    assert.equal(theirs.status, 201, theirs.text);
    assert.equal(theirs.headers['idempotent-replayed'], undefined);
    assert.notEqual(theirs.json.id, mine.json.id);
    // an API key of the same user is another principal
    const k = await w.send('POST', w.owner.token, '/v1/api-keys', { name: 'idem', role: 'api_client' });
    assert.equal(k.status, 201, k.text);
    const machine = await post(w, k.json.key, '/v1/patients', patient('Scopewell'), key);
    assert.equal(machine.status, 201, machine.text);
    assert.equal(machine.headers['idempotent-replayed'], undefined);
    assert.equal(patients(w), before + 2);
    // and again through the API key: its own answer
    const machine2 = await post(w, k.json.key, '/v1/patients', patient('Scopewell'), key);
    assert.equal(machine2.headers['idempotent-replayed'], 'true');
    assert.equal(machine2.json.id, machine.json.id);
    // the same key on another route is another key
    const newUser = { email: 'idem.scope@demo.example', display_name: 'Scope', role: 'coder',
      password: strongPassword() };
    const user = await post(w, w.owner.token, '/v1/users', newUser, key);
    assert.equal(user.status, 201, user.text);
    assert.equal(user.headers['idempotent-replayed'], undefined);
    const user2 = await post(w, w.owner.token, '/v1/users', newUser, key);
    assert.equal(user2.status, 201, user2.text);
    assert.equal(user2.headers['idempotent-replayed'], 'true');
    assert.equal(count(w, "app_user WHERE email = 'idem.scope@demo.example'"), 1);
  });

  test('a malformed key is 400 and nothing runs', async () => {
    const before = patients(w);
    for (const bad of ['', 'x'.repeat(256), 'tab\there', 'caf\u00e9']) {
      const r = await post(w, w.owner.token, '/v1/patients', patient('Malformed'), bad);
      assertProblem(assert, r, 400, 'bad_request');
      assert.match(r.json.detail, /Idempotency-Key/);
    }
    // sent twice, it is ambiguous: refused with the head
    const twice = await post(w, w.owner.token, '/v1/patients', patient('Malformed'), undefined,
      { 'idempotency-key': ['one', 'two'] });
    assert.equal(twice.status, 400, twice.text);
    assert.equal(patients(w), before);
    // the longest and the oddest allowed ones work
    for (const good of ['k'.repeat(255), ' !"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~ ']) {
      const r = await post(w, w.owner.token, '/v1/patients', patient('Wellformed'), good);
      assert.equal(r.status, 201, r.text);
      const again = await post(w, w.owner.token, '/v1/patients', patient('Wellformed'), good);
      assert.equal(again.headers['idempotent-replayed'], 'true');
    }
    assert.equal(patients(w), before + 2);
  });

  test('routes answering with credentials, public routes and reads ignore the key', async () => {
    const key = newKey('ignored');
    // login: two sessions, two tokens
    const u = await w.user('coder', 'idem.login');
    const login = () => w.srv.request('POST', '/v1/auth/login', { headers: { 'content-type': 'application/json',
      'idempotency-key': key }, body: JSON.stringify({ tenant: 'demo', email: u.email, password: u.password }) });
    const l1 = await login();
    const l2 = await login();
    for (const l of [l1, l2]) {
      assert.equal(l.status, 200, l.text);
      assert.equal(l.headers['idempotent-replayed'], undefined);
    }
    assert.notEqual(l1.json.token, l2.json.token);
    // logout: each ends its own session
    for (const l of [l1, l2]) {
      const o = await post(w, l.json.token, '/v1/auth/logout', undefined, key);
      assert.equal(o.status, 200, o.text);
      assert.equal(o.headers['idempotent-replayed'], undefined);
    }
    // API keys: each POST makes a new key, which is never stored in the clear
    const k1 = await post(w, w.owner.token, '/v1/api-keys', { name: 'twice', role: 'analyst' }, key);
    const k2 = await post(w, w.owner.token, '/v1/api-keys', { name: 'twice', role: 'analyst' }, key);
    assert.equal(k1.status, 201, k1.text);
    assert.equal(k2.status, 201, k2.text);
    assert.notEqual(k1.json.key, k2.json.key);
    assert.equal(k2.headers['idempotent-replayed'], undefined);
    // a search only reads
    const s = await post(w, w.owner.token, '/v1/patients/search', { last_name: 'Replaywell', first_name: 'Idara',
      dob: '1971-03-14' }, key);
    const s2 = await post(w, w.owner.token, '/v1/patients/search', { last_name: 'Replaywell', first_name: 'Idara',
      dob: '1971-03-14' }, key);
    assert.equal(s.status, 200, s.text);
    assert.equal(s2.headers['idempotent-replayed'], undefined);
    // public: no caller to scope a key by
    const e = await w.srv.request('POST', '/v1/echo', { headers: { 'content-type': 'application/json',
      'idempotency-key': '' }, body: '{"n":1}' });
    assert.equal(e.status, 200, e.text);
    // none of them left a row (keys are stored by HMAC: count rows of this principal's routes)
    assert.equal(count(w, "idempotency_key WHERE route IN ('POST /v1/auth/login', 'POST /v1/api-keys', "
      + "'POST /v1/patients/search', 'POST /v1/echo')"), 0);
  });

  test('neither the stored answer nor the key is readable in the database or the log', async () => {
    const name = 'Zyxwoldenberg';
    const key = `secret-order-for-${name}-${process.pid}`;
    const r = await post(w, w.owner.token, '/v1/patients', { ...patient(name), ssn: '219-09-8888' }, key);
    assert.equal(r.status, 201, r.text);
    assert.ok(count(w, 'idempotency_key WHERE status = 201 AND response IS NOT NULL') >= 1);
    const haystacks = [['server log', Buffer.from(w.srv.stderr)]];
    if (PG) {
      haystacks.push(['pg_dump', Buffer.from(pgDump(w.srv.stateDir))]);
    } else {
      // the WAL holds the newest pages until a checkpoint
      for (const f of ['openrcm.db', 'openrcm.db-wal'].map((f) => join(w.srv.stateDir, f)).filter(existsSync)) {
        haystacks.push([f, readFileSync(f)]);
      }
    }
    let sawRoute = false;
    for (const [where, bytes] of haystacks) {
      const text = bytes.toString('latin1');
      for (const needle of [name, '219098888', key]) assert.ok(!text.includes(needle), `${needle} found in ${where}`);
      if (text.includes('POST /v1/patients')) sawRoute = true;
    }
    assert.ok(sawRoute, 'the scan reads what is stored in the clear (the route)');
  });
});

describe('Idempotency-Key expiry', () => {
  let w;
  before(async () => { w = await world({ sets: ['api.idempotency_ttl_s=1'] }); });
  after(async () => { await w.close(); });

  test('an expired key is a new key, and expired rows are pruned', async () => {
    const key = newKey('ttl');
    const before = patients(w);
    const first = await post(w, w.owner.token, '/v1/patients', patient('Expirewell'), key);
    assert.equal(first.status, 201, first.text);
    for (let i = 0; i < 3; i++) {
      const r = await post(w, w.owner.token, '/v1/patients', patient(`Expireother${'x'.repeat(i)}`), newKey('ttl'));
      assert.equal(r.status, 201, r.text);
    }
    assert.ok(count(w, 'idempotency_key') >= 1);
    await sleep(1500);
    const later = await post(w, w.owner.token, '/v1/patients', patient('Expirewell'), key);
    assert.equal(later.status, 201, later.text);
    assert.equal(later.headers['idempotent-replayed'], undefined);
    assert.notEqual(later.json.id, first.json.id);
    assert.equal(patients(w), before + 5);
    // storing that answer pruned the other expired rows; this key's was replaced
    assert.equal(count(w, 'idempotency_key'), 1);
  });
});
