// Coverages over REST: the first record kind declared by a field table
// (include/rcm/record.h). Create, list with a cursor, get, change, delete;
// minimum necessary (a role without phi.read sees nothing, front desk may
// write, the masked list names hidden fields); values checked with messages
// that never quote them; an Idempotency-Key repeat makes one coverage; every
// step audited with the patient's id; sealed fields never in plaintext in
// the database.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { PG, assertProblem, dbQuery, pgDump, world } from './harness.mjs';

describe('coverages', () => {
  let w, biller, analyst, patient;
  const COVERAGE = {
    payer_id: '60054', coverage_order: 'primary', relationship: 'spouse', member_id: 'XQZ-4417-22',
    group_number: 'GRP-88', plan_name: 'Quartzmore Gold PPO', subscriber_last_name: 'Quartzmore',
    subscriber_first_name: 'Ivo', subscriber_dob: '1958-03-14', effective_from: '2026-01-01',
    effective_to: '2027-12-31', copay_cents: 2500,
  };

  before(async () => {
    w = await world();
    biller = await w.user('biller', 'cov.biller');
    analyst = await w.user('analyst', 'cov.analyst');
    const p = await w.send('POST', biller.token, '/v1/patients', { last_name: 'Lindqvist', first_name: 'Ada', dob: '1960-05-05' });
    assert.equal(p.status, 201, p.text);
    patient = p.json.id;
  });
  after(async () => {
    await w.srv.stop();
    w.srv.cleanup();
  });

  test('create, get, change, delete — each audited with the patient', async () => {
    const c = await w.send('POST', biller.token, `/v1/patients/${patient}/coverages`, COVERAGE);
    assert.equal(c.status, 201, c.text);
    assert.equal(c.json.patient_id, patient);
    assert.equal(c.json.member_id, 'XQZ-4417-22');
    assert.equal(c.json.copay_cents, 2500);
    assert.deepEqual(c.json.masked, []);
    const id = c.json.id;
    const g = await w.send('GET', biller.token, `/v1/coverages/${id}`);
    assert.equal(g.status, 200, g.text);
    assert.equal(g.json.plan_name, 'Quartzmore Gold PPO');
    const ch = await w.send('PATCH', biller.token, `/v1/coverages/${id}`, { coverage_order: 'secondary', group_number: null });
    assert.equal(ch.status, 200, ch.text);
    assert.equal(ch.json.coverage_order, 'secondary');
    assert.equal(ch.json.group_number, null);
    assert.equal(ch.json.member_id, 'XQZ-4417-22');
    const d = await w.send('DELETE', biller.token, `/v1/coverages/${id}`);
    assert.deepEqual(d.json, { id, deleted: true });
    assertProblem(assert, await w.send('GET', biller.token, `/v1/coverages/${id}`), 404, 'not_found');
    const actions = dbQuery(w.srv.stateDir, `SELECT action FROM audit_event WHERE object_type = 'coverage'
      AND patient_ids = '${patient}' ORDER BY seq`).split('\n');
    assert.deepEqual(actions, ['coverage.create', 'coverage.read', 'coverage.read', 'coverage.update',
      'coverage.read', 'coverage.delete']);
  });

  test('list pages with a cursor; another patient\'s list is separate', async () => {
    const ids = [];
    for (const m of ['L-1', 'L-2', 'L-3']) {
      const c = await w.send('POST', biller.token, `/v1/patients/${patient}/coverages`, { ...COVERAGE, member_id: m });
      assert.equal(c.status, 201, c.text);
      ids.push(c.json.id);
    }
    const page = await w.send('GET', biller.token, `/v1/patients/${patient}/coverages?limit=2`);
    assert.equal(page.status, 200, page.text);
    assert.deepEqual(page.json.coverages.map((x) => x.member_id), ['L-1', 'L-2']);
    assert.equal(page.json.next_after, ids[1]);
    const rest = await w.send('GET', biller.token, `/v1/patients/${patient}/coverages?after=${ids[1]}`);
    assert.deepEqual(rest.json.coverages.map((x) => x.member_id), ['L-3']);
    assert.equal(rest.json.next_after, undefined);
    assertProblem(assert, await w.send('GET', biller.token, `/v1/patients/${patient}/coverages?limit=0`), 400, 'bad_request');
    assertProblem(assert, await w.send('GET', biller.token, '/v1/patients/987654/coverages'), 404, 'not_found');
  });

  test('values are checked, without quoting them', async () => {
    const cases = [
      [{ coverage_order: 'first' }, 'coverage_order must be one of the listed values'],
      [{ member_id: 'SECRET<1>' }, "member_id must be 1-80 letters, digits, '-', '.', '/' or spaces"],
      [{ copay_cents: -1 }, 'copay_cents must be a whole number of cents (0 or more)'],
      [{ copay_cents: 12.5 }, 'copay_cents must be an integer or null'],
      [{ subscriber_dob: null }, 'subscriber_dob is required when the subscriber is not the patient'],
      [{ effective_to: '2025-12-31' }, 'effective_to is before effective_from'],
      [{ nickname: 'x' }, 'unknown coverage field "nickname"'],
    ];
    for (const [change, detail] of cases) {
      const r = await w.send('POST', biller.token, `/v1/patients/${patient}/coverages`, { ...COVERAGE, ...change });
      assertProblem(assert, r, 422, 'validation_failed');
      assert.equal(r.json.detail, detail);
    }
  });

  test('minimum necessary: who may read and write', async () => {
    assertProblem(assert, await w.send('GET', analyst.token, `/v1/patients/${patient}/coverages`), 403, 'forbidden');
    assertProblem(assert, await w.send('POST', analyst.token, `/v1/patients/${patient}/coverages`, COVERAGE), 403, 'forbidden');
    const front = await w.user('front_desk', 'cov.front');
    const r = await w.send('POST', front.token, `/v1/patients/${patient}/coverages`, COVERAGE);
    assert.equal(r.status, 201, r.text);
  });

  test('an Idempotency-Key repeat makes one coverage', async () => {
    const body = JSON.stringify({ ...COVERAGE, member_id: 'IDEM-1' });
    const send = () => w.srv.request('POST', `/v1/patients/${patient}/coverages`, {
      headers: { authorization: `Bearer ${biller.token}`, 'content-type': 'application/json', 'idempotency-key': 'cov-idem-1' },
      body,
    });
    const a = await send();
    const b = await send();
    assert.equal(a.status, 201, a.text);
    assert.equal(b.status, 201, b.text);
    assert.equal(b.headers['idempotent-replayed'], 'true');
    assert.equal(b.json.id, a.json.id);
    const n = dbQuery(w.srv.stateDir, `SELECT count(*) FROM coverage WHERE patient_id = ${patient}`);
    const list = await w.send('GET', biller.token, `/v1/patients/${patient}/coverages?limit=500`);
    assert.equal(list.json.coverages.filter((x) => x.member_id === 'IDEM-1').length, 1);
    assert.equal(Number(n), list.json.coverages.length);
  });

  test('a guarantor: the same engine, another field table', async () => {
    const g = await w.send('POST', biller.token, `/v1/patients/${patient}/guarantors`, {
      relationship: 'parent', last_name: 'Quartzmore', first_name: 'Rhea', phone: '(217) 555-0199', state: 'il' });
    assert.equal(g.status, 201, g.text);
    assert.equal(g.json.phone, '2175550199');
    assert.equal(g.json.state, 'IL');
    const r = await w.send('POST', biller.token, `/v1/patients/${patient}/guarantors`, { relationship: 'uncle', last_name: 'X' });
    assertProblem(assert, r, 422, 'validation_failed');
    assert.equal(r.json.detail, 'relationship must be one of the listed values');
    const list = await w.send('GET', biller.token, `/v1/patients/${patient}/guarantors`);
    assert.deepEqual(list.json.guarantors.map((x) => x.first_name), ['Rhea']);
    assertProblem(assert, await w.send('GET', analyst.token, `/v1/guarantors/${g.json.id}`), 403, 'forbidden');
  });

  test('sealed fields are not plaintext in the database; plain columns are', async () => {
    const haystack = PG ? pgDump(w.srv.stateDir)
      : dbQuery(w.srv.stateDir, 'SELECT quote(member_id) || quote(plan_name) || quote(subscriber_last_name) || payer_id FROM coverage');
    for (const needle of ['XQZ-4417-22', 'Quartzmore', 'GRP-88']) assert.ok(!haystack.includes(needle), needle);
    assert.ok(haystack.includes('60054'), 'the plain payer id is there');
  });
});
