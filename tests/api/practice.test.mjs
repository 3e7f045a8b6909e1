// The practice's own records over REST — providers and payers, declared by
// field tables (src/store/store_practice.c) about no patient: every member
// reads them, claim.write (owner, biller, API client) changes them; NPI
// check digit, taxonomy, tax id and state checked; an organization has no
// first name; changes audited without a patient.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { assertProblem, dbQuery, world } from './harness.mjs';

describe('providers and payers', () => {
  let w, biller, coder;
  const DOCTOR = { npi: '1234567893', entity: 'person', name: 'Okafor', first_name: 'Nneka',
    taxonomy: '207q00000x', tax_id: '12-3456789', address_line1: '1 Clinic Way', city: 'Springfield',
    state: 'il', postal_code: '62701' };

  before(async () => {
    w = await world();
    biller = await w.user('biller', 'practice.biller');
    coder = await w.user('coder', 'practice.coder');
  });
  after(async () => {
    await w.srv.stop();
    w.srv.cleanup();
  });

  test('a provider: created normalised, read by anyone, changed by claim.write only', async () => {
    const c = await w.send('POST', biller.token, '/v1/providers', DOCTOR);
    assert.equal(c.status, 201, c.text);
    assert.equal(c.json.taxonomy, '207Q00000X');
    assert.equal(c.json.tax_id, '123456789');
    assert.equal(c.json.state, 'IL');
    assert.equal(c.json.patient_id, undefined);
    const id = c.json.id;
    const g = await w.send('GET', coder.token, `/v1/providers/${id}`);
    assert.equal(g.status, 200, g.text);
    assert.equal(g.json.npi, '1234567893');
    assertProblem(assert, await w.send('PATCH', coder.token, `/v1/providers/${id}`, { city: 'Elsewhere' }), 403, 'forbidden');
    assertProblem(assert, await w.send('POST', coder.token, '/v1/providers', DOCTOR), 403, 'forbidden');
    const ch = await w.send('PATCH', biller.token, `/v1/providers/${id}`, { city: 'Shelbyville', tax_id: null });
    assert.equal(ch.status, 200, ch.text);
    assert.equal(ch.json.city, 'Shelbyville');
    assert.equal(ch.json.tax_id, null);
    const list = await w.send('GET', coder.token, '/v1/providers');
    assert.ok(list.json.providers.some((p) => p.id === id));
    assert.equal((await w.send('DELETE', biller.token, `/v1/providers/${id}`)).status, 200);
    assertProblem(assert, await w.send('GET', coder.token, `/v1/providers/${id}`), 404, 'not_found');
    const audit = dbQuery(w.srv.stateDir, `SELECT action || ':' || coalesce(patient_ids, '') FROM audit_event
      WHERE object_type = 'provider' AND object_id = '${id}' ORDER BY seq`).split('\n');
    assert.deepEqual(audit, ['provider.create:', 'provider.read:', 'provider.read:', 'provider.update:',
      'provider.read:', 'provider.delete:']);
  });

  test('provider values are checked', async () => {
    const cases = [
      [{ npi: '1234567890' }, 'npi must be ten digits with a valid NPI check digit'],
      [{ taxonomy: '207Q' }, 'taxonomy must be a ten-character taxonomy code'],
      [{ tax_id: '12-345' }, 'tax_id must be nine digits'],
      [{ entity: 'robot' }, 'entity must be one of the listed values'],
      [{ first_name: null }, 'first_name is required for a person'],
      [{ entity: 'organization' }, 'an organization has no first_name'],
    ];
    for (const [change, detail] of cases) {
      const r = await w.send('POST', biller.token, '/v1/providers', { ...DOCTOR, ...change });
      assertProblem(assert, r, 422, 'validation_failed');
      assert.equal(r.json.detail, detail);
    }
  });

  test('a payer, with its timely-filing limit as an integer', async () => {
    const c = await w.send('POST', biller.token, '/v1/payers', { payer_id: '60054', name: 'Aetna', timely_filing_days: 90,
      claim_filing_indicator: 'CI' });
    assert.equal(c.status, 201, c.text);
    assert.equal(c.json.timely_filing_days, 90);
    assert.equal(dbQuery(w.srv.stateDir, `SELECT timely_filing_days + 1 FROM payer WHERE id = ${c.json.id}`), '91');
    for (const [change, detail] of [[{ timely_filing_days: 0 }, 'timely_filing_days must be a number of days, 1-3650'],
      [{ timely_filing_days: -3 }, 'timely_filing_days must be a number of days, 1-3650'],
      [{ claim_filing_indicator: 'XX' }, 'claim_filing_indicator must be one of the listed values']]) {
      const r = await w.send('PATCH', biller.token, `/v1/payers/${c.json.id}`, change);
      assertProblem(assert, r, 422, 'validation_failed');
      assert.equal(r.json.detail, detail);
    }
    const page = await w.send('GET', coder.token, '/v1/payers?limit=1');
    assert.equal(page.json.payers.length, 1);
    assert.equal(page.json.next_after, page.json.payers[0].id);
  });

  test('payer settings for claims, ERAs and appeals', async () => {
    const c = await w.send('POST', biller.token, '/v1/payers', { payer_id: '87726', name: 'UHC', receiver_id: 'CLEARHOUSE1',
      appeal_days: 180, era_enrolled: 'yes', eligibility: 'real-time' });
    assert.equal(c.status, 201, c.text);
    assert.equal(c.json.appeal_days, 180);
    assert.equal(c.json.receiver_id, 'CLEARHOUSE1');
    assertProblem(assert, await w.send('PATCH', biller.token, `/v1/payers/${c.json.id}`, { eligibility: 'sometimes' }), 422,
      'validation_failed', /eligibility must be one of the listed values/);
    assertProblem(assert, await w.send('PATCH', biller.token, `/v1/payers/${c.json.id}`, { appeal_days: 0 }), 422,
      'validation_failed', /appeal_days/);
  });

  test('a fee schedule: codes normalised, amounts as integers, claim.write to change', async () => {
    const c = await w.send('POST', biller.token, '/v1/fee-schedules', { procedure: '99213', modifier: '25', amount_cents: 12500,
      payer_id: '87726', effective_from: '2026-01-01' });
    assert.equal(c.status, 201, c.text);
    assert.equal(c.json.amount_cents, 12500);
    const lower = await w.send('POST', biller.token, '/v1/fee-schedules', { procedure: 'g0439', amount_cents: '17500' });
    assert.equal(lower.status, 201, lower.text);
    assert.equal(lower.json.procedure, 'G0439');
    assertProblem(assert, await w.send('POST', coder.token, '/v1/fee-schedules', { procedure: '99213', amount_cents: 1 }), 403, 'forbidden');
    for (const [body, msg] of [
      [{ procedure: '9921', amount_cents: 1 }, /procedure must be a five-character CPT or HCPCS code/],
      [{ procedure: '99213', modifier: '2', amount_cents: 1 }, /modifier must be a two-character modifier/],
      [{ procedure: '99213', amount_cents: -5 }, /amount_cents/],
      [{ procedure: '99213', amount_cents: 1, effective_from: '2026-02-01', effective_to: '2026-01-01' }, /effective_to is before effective_from/],
    ])
      assertProblem(assert, await w.send('POST', biller.token, '/v1/fee-schedules', body), 422, 'validation_failed', msg);
    const list = await w.send('GET', coder.token, '/v1/fee-schedules');
    assert.equal(list.status, 200, list.text);
    assert.deepEqual(list.json.fee_schedules.map((f) => f.procedure).sort(), ['99213', 'G0439']);
  });
});
