// Charge capture over REST: an encounter with diagnoses and service lines in
// one call, charges filled from the fee schedule (the payer's price before
// the default), codes normalised, references checked (the coverage must be
// the patient's, providers the tenant's), every bad value a 422 that names
// the member and line but never the value; PATCH replaces lists; list with
// filters and a cursor; claim.write or coding.write to change, phi.read to
// read; the note and prior authorization sealed in the database.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { PG, assertProblem, dbQuery, pgDump, world } from './harness.mjs';

describe('encounters', () => {
  let w, biller, coder, frontDesk, analyst, patient, other, coverage, doctor, clinic;

  const visit = () => ({
    claim_kind: 'professional', coverage_id: coverage, billing_provider_id: clinic, rendering_provider_id: doctor,
    service_from: '2026-11-02', place_of_service: '11', diagnoses: ['e11.9', 'I10'],
    prior_authorization: 'PA-77310-Q', note: 'Follow-up for Zebulon diabetes check',
    lines: [
      { procedure: '99214', modifiers: ['25'], units: 1, charge_cents: 18000, dx_pointers: [1, 2] },
      { procedure: '83036', dx_pointers: [1] },
      { procedure: '36415', units: 2, dx_pointers: [1] },
    ],
  });

  before(async () => {
    w = await world();
    biller = await w.user('biller', 'enc.biller');
    coder = await w.user('coder', 'enc.coder');
    frontDesk = await w.user('front_desk', 'enc.front');
    analyst = await w.user('analyst', 'enc.analyst');
    const mk = async (path, body) => {
      const r = await w.send('POST', biller.token, path, body);
      assert.equal(r.status, 201, r.text);
      return r.json.id;
    };
    patient = await mk('/v1/patients', { last_name: 'Zebulon', first_name: 'Mara', dob: '1961-02-03' });
    other = await mk('/v1/patients', { last_name: 'Other', first_name: 'Person', dob: '1970-01-01' });
    doctor = await mk('/v1/providers', { npi: '1234567893', entity: 'person', name: 'Okafor', first_name: 'Nneka' });
    clinic = await mk('/v1/providers', { npi: '1245319599', entity: 'organization', name: 'Springfield Clinic', tax_id: '123456789' });
    await mk('/v1/payers', { payer_id: '87726', name: 'UHC', timely_filing_days: 90 });
    coverage = await mk(`/v1/patients/${patient}/coverages`, { payer_id: '87726', coverage_order: 'primary', relationship: 'self', member_id: 'M-1' });
    await mk('/v1/fee-schedules', { procedure: '83036', amount_cents: 4000 });
    await mk('/v1/fee-schedules', { procedure: '83036', amount_cents: 3500, payer_id: '87726' });
    await mk('/v1/fee-schedules', { procedure: '36415', amount_cents: 1200 });
  });
  after(async () => {
    await w.srv.stop();
    w.srv.cleanup();
  });

  test('charge capture in one call: codes normalised, charges from the fee schedule', async () => {
    const c = await w.send('POST', biller.token, `/v1/patients/${patient}/encounters`, visit());
    assert.equal(c.status, 201, c.text);
    const e = c.json;
    assert.equal(e.status, 'open');
    assert.equal(e.patient_id, patient);
    assert.equal(e.service_to, '2026-11-02', 'service_to defaults to service_from');
    assert.deepEqual(e.diagnoses, ['E119', 'I10']);
    assert.deepEqual(e.lines.map((l) => [l.line_no, l.procedure, l.charge_cents]),
      [[1, '99214', 18000], [2, '83036', 3500], [3, '36415', 2400]], 'payer price first, per unit');
    assert.equal(e.total_charge_cents, 18000 + 3500 + 2400);
    assert.deepEqual(e.lines[0].modifiers, ['25']);
    assert.equal(e.lines[2].units, 2);
    assert.equal(e.note, 'Follow-up for Zebulon diabetes check');
    const g = await w.send('GET', coder.token, `/v1/encounters/${e.id}`);
    assert.equal(g.status, 200, g.text);
    assert.deepEqual(g.json, e);
    const audit = dbQuery(w.srv.stateDir, `SELECT action || ':' || patient_ids FROM audit_event
      WHERE object_type = 'encounter' AND object_id = '${e.id}' ORDER BY seq`).split('\n');
    assert.deepEqual(audit, [`encounter.create:${patient}`, `encounter.read:${patient}`]);
  });

  test('bad values: a 422 naming member and line, never the value; nothing stored', async () => {
    const before = dbQuery(w.srv.stateDir, 'SELECT count(*) FROM service_line');
    const cases = [
      [(v) => { v.diagnoses = []; }, /1 to 12 diagnoses are required/],
      [(v) => { v.diagnoses = ['ZZTOP!']; }, /diagnosis 1 is not an ICD-10-CM code/],
      [(v) => { v.lines[1].procedure = '8303'; }, /line 2: procedure must be a five-character CPT or HCPCS code/],
      [(v) => { v.lines[0].dx_pointers = [3]; }, /line 1: diagnosis pointer 3 names no diagnosis/],
      [(v) => { v.lines[0].modifiers = ['2']; }, /line 1: modifier must be a two-character modifier/],
      [(v) => { v.lines[0].units = 0; }, /line 1: units must be a number above 0/],
      [(v) => { v.lines.push({ procedure: '99999', dx_pointers: [1] }); }, /line 4: no charge given and no fee schedule entry/],
      [(v) => { v.place_of_service = null; }, /place_of_service \(two digits\) is required/],
      [(v) => { v.service_to = '2026-11-01'; }, /service_to is before service_from/],
      [(v) => { v.lines[0].service_date = '2026-12-01'; }, /line 1: service_date is outside/],
      [(v) => { v.billing_provider_id = 999999; }, /billing_provider_id names no provider of the tenant/],
      [(v) => { v.surprise = 1; }, /unknown encounter member "surprise"/],
      [(v) => { v.lines[0].colour = 'red'; }, /line 1: unknown line member "colour"/],
      [(v) => { v.claim_kind = 'institutional'; }, /type_of_bill \(three digits, e.g. 131\) is required/],
    ];
    for (const [change, detail] of cases) {
      const body = visit();
      change(body);
      const r = await w.send('POST', biller.token, `/v1/patients/${patient}/encounters`, body);
      assertProblem(assert, r, 422, 'validation_failed', detail);
      assert.ok(!r.text.includes('Zebulon') && !r.text.includes('PA-77310'), 'no value in the message');
    }
    assertProblem(assert, await w.send('POST', biller.token, `/v1/patients/${other}/encounters`, visit()), 422,
      'validation_failed', /coverage_id names no coverage of the patient/);
    assertProblem(assert, await w.send('POST', biller.token, '/v1/patients/99999/encounters', visit()), 404, 'not_found');
    assert.equal(dbQuery(w.srv.stateDir, 'SELECT count(*) FROM service_line'), before, 'nothing half-written');
  });

  test('an institutional encounter needs a type of bill and revenue codes', async () => {
    const body = { ...visit(), claim_kind: 'institutional', place_of_service: null, type_of_bill: '131',
      diagnoses: [{ code: 'E11.9', poa: 'Y' }, 'I10'],
      lines: [{ procedure: '83036', revenue_code: '0300', dx_pointers: [1], charge_cents: 5000 }] };
    const r = await w.send('POST', biller.token, `/v1/patients/${patient}/encounters`, body);
    assert.equal(r.status, 201, r.text);
    assert.deepEqual(r.json.diagnoses, [{ code: 'E119', poa: 'Y' }, 'I10']);
    body.lines[0].revenue_code = null;
    assertProblem(assert, await w.send('POST', biller.token, `/v1/patients/${patient}/encounters`, body), 422,
      'validation_failed', /line 1: revenue_code \(four digits\) is required/);
  });

  test('PATCH replaces lists; a coder may fix codes; roles without a write permission may not', async () => {
    const e = (await w.send('POST', biller.token, `/v1/patients/${patient}/encounters`, visit())).json;
    const ch = await w.send('PATCH', coder.token, `/v1/encounters/${e.id}`, { diagnoses: ['E11.65', 'I10', 'Z79.4'],
      lines: [{ procedure: '99213', dx_pointers: [1, 3], charge_cents: 12000 }] });
    assert.equal(ch.status, 200, ch.text);
    assert.deepEqual(ch.json.diagnoses, ['E1165', 'I10', 'Z794']);
    assert.equal(ch.json.lines.length, 1);
    assert.equal(ch.json.total_charge_cents, 12000);
    assert.equal(ch.json.note, e.note, 'members not named stay');
    assertProblem(assert, await w.send('PATCH', frontDesk.token, `/v1/encounters/${e.id}`, { note: 'x' }), 403, 'forbidden');
    assertProblem(assert, await w.send('POST', frontDesk.token, `/v1/patients/${patient}/encounters`, visit()), 403, 'forbidden');
    assertProblem(assert, await w.send('GET', analyst.token, `/v1/encounters/${e.id}`), 403, 'forbidden');
    assertProblem(assert, await w.send('DELETE', coder.token, `/v1/encounters/${e.id}`), 403, 'forbidden');
    assert.equal((await w.send('DELETE', biller.token, `/v1/encounters/${e.id}`)).status, 200);
    assertProblem(assert, await w.send('GET', biller.token, `/v1/encounters/${e.id}`), 404, 'not_found');
  });

  test('list: by patient, by status, a page at a time', async () => {
    const mine = await w.send('GET', biller.token, `/v1/encounters?patient_id=${patient}&status=open&limit=1`);
    assert.equal(mine.status, 200, mine.text);
    assert.equal(mine.json.encounters.length, 1);
    const next = await w.send('GET', biller.token, `/v1/encounters?patient_id=${patient}&after=${mine.json.next_after}`);
    assert.ok(next.json.encounters.length >= 1);
    assert.ok(next.json.encounters.every((e) => e.id > mine.json.next_after && e.patient_id === patient));
    assert.equal((await w.send('GET', biller.token, `/v1/encounters?patient_id=${other}`)).json.encounters.length, 0);
    assertProblem(assert, await w.send('GET', biller.token, '/v1/encounters?status=lost'), 400, 'bad_request');
    assertProblem(assert, await w.send('GET', biller.token, '/v1/encounters?limit=0'), 400, 'bad_request');
  });

  test('the note and prior authorization are sealed; codes and amounts are plain', async () => {
    const haystack = PG ? pgDump(w.srv.stateDir)
      : dbQuery(w.srv.stateDir, "SELECT quote(note) || quote(prior_authorization) || diagnoses FROM encounter");
    for (const needle of ['Zebulon diabetes', 'PA-77310-Q']) assert.ok(!haystack.includes(needle), needle);
    assert.ok(haystack.includes('E119'), 'diagnosis codes are plain');
  });
});
