// Claims over REST, from an encounter to an 837 in the outbox: the claim is
// built from the encounter (restricted self-pay lines never on it),
// scrubbed with findings stored, ready or draft; a second claim for the same
// services is a duplicate and stays a draft; the state machine refuses
// illegal moves and wants a reason where a person must give one; every move
// is recorded with who and why (the reason sealed); batches take every ready
// claim, count ISA13/GS06 per trading partner without reuse, write the 837
// to the outbox, and the file validates with openrcm's own X12 validator.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { PG, assertProblem, dbQuery, pgDump, runCli, world } from './harness.mjs';

describe('claims and batches', () => {
  let w, biller, coder, patient, coverage, doctor, clinic;
  const outbox = () => join(w.srv.stateDir, 'outbox');

  const visit = (overrides = {}) => ({
    claim_kind: 'professional', coverage_id: coverage, billing_provider_id: clinic, rendering_provider_id: doctor,
    service_from: '2026-11-02', place_of_service: '11', diagnoses: ['E11.9', 'I10'],
    lines: [
      { procedure: '99214', units: 1, charge_cents: 18000, dx_pointers: [1, 2] },
      { procedure: '83036', dx_pointers: [1], charge_cents: 4000 },
    ],
    ...overrides,
  });
  const encounter = async (body = visit()) => {
    const r = await w.send('POST', biller.token, `/v1/patients/${patient}/encounters`, body);
    assert.equal(r.status, 201, r.text);
    return r.json.id;
  };
  const claimFor = async (enc, body) => {
    const r = await w.send('POST', biller.token, `/v1/encounters/${enc}/claims`, body);
    assert.equal(r.status, 201, r.text);
    return r.json;
  };

  before(async () => {
    w = await world();
    biller = await w.user('biller', 'claims.biller');
    coder = await w.user('coder', 'claims.coder');
    const mk = async (path, body) => {
      const r = await w.send('POST', biller.token, path, body);
      assert.equal(r.status, 201, r.text);
      return r.json.id;
    };
    patient = await mk('/v1/patients', { last_name: 'Quillfeather', first_name: 'Oona', dob: '1958-07-04', sex: 'F',
      address_line1: '12 Elm St', city: 'Springfield', state: 'IL', postal_code: '62701' });
    doctor = await mk('/v1/providers', { npi: '1234567893', entity: 'person', name: 'Okafor', first_name: 'Nneka', taxonomy: '207Q00000X' });
    clinic = await mk('/v1/providers', { npi: '1245319599', entity: 'organization', name: 'Springfield Clinic', tax_id: '123456789',
      taxonomy: '261QP2300X', address_line1: '1 Clinic Way', city: 'Springfield', state: 'IL', postal_code: '62701-1234' });
    await mk('/v1/payers', { payer_id: '87726', name: 'UHC', timely_filing_days: 90, claim_filing_indicator: 'CI', receiver_id: 'CLAIMSHOUSE' });
    coverage = await mk(`/v1/patients/${patient}/coverages`, { payer_id: '87726', coverage_order: 'primary', relationship: 'self', member_id: 'UHC-55501' });
  });
  after(async () => {
    await w.srv.stop();
    w.srv.cleanup();
  });

  test('a claim from an encounter: ready, lines as billed, restricted lines left off, audited', async () => {
    const enc = await encounter(visit({ lines: [
      { procedure: '99214', charge_cents: 18000, dx_pointers: [1, 2] },
      { procedure: '96127', charge_cents: 2500, dx_pointers: [2], self_pay_restricted: true },
    ] }));
    const c = await claimFor(enc);
    assert.equal(c.state, 'ready', JSON.stringify(c));
    assert.equal(c.frequency, '1');
    assert.equal(c.sequence, 'primary');
    assert.equal(c.payer_id, '87726');
    assert.match(c.control_number, /^[0-9A-F]{14}$/);
    assert.deepEqual(c.lines.map((l) => l.procedure), ['99214'], 'the restricted line is not on the claim');
    assert.equal(c.charge_cents, 18000);
    assert.equal(c.balance_cents, 18000);
    assert.equal(c.scrub.errors, 0);
    assert.ok(Array.isArray(c.scrub.findings));
    assert.equal((await w.send('GET', biller.token, `/v1/encounters/${enc}`)).json.status, 'billed');
    assertProblem(assert, await w.send('POST', biller.token, `/v1/encounters/${enc}/claims`), 409, 'conflict', /already billed/);
    const ev = await w.send('GET', coder.token, `/v1/claims/${c.id}/events`);
    assert.deepEqual(ev.json.events.map((e) => `${e.from}>${e.to}:${e.source}`), ['null>draft:user', 'draft>ready:scrub']);
    const audit = dbQuery(w.srv.stateDir, `SELECT action FROM audit_event WHERE object_type = 'claim' AND object_id = '${c.id}' ORDER BY seq`);
    assert.match(audit, /^claim\.create/m);
  });

  test('only restricted lines: nothing to bill; self-pay: no plan to bill', async () => {
    const enc = await encounter(visit({ lines: [{ procedure: '99213', charge_cents: 100, dx_pointers: [1], self_pay_restricted: true }] }));
    assertProblem(assert, await w.send('POST', biller.token, `/v1/encounters/${enc}/claims`), 422, 'validation_failed', /every line is restricted/);
    const selfPay = await encounter(visit({ coverage_id: null }));
    assertProblem(assert, await w.send('POST', biller.token, `/v1/encounters/${selfPay}/claims`), 422, 'validation_failed', /self-pay/);
  });

  test('the same services billed twice: the second claim is a duplicate draft', async () => {
    const body = visit({ service_from: '2026-10-05', lines: [{ procedure: '99213', charge_cents: 12000, dx_pointers: [1] }] });
    const first = await claimFor(await encounter(body));
    assert.equal(first.state, 'ready');
    const second = await claimFor(await encounter(body));
    assert.equal(second.state, 'draft');
    const dup = second.scrub.findings.find((f) => f.edit === 'duplicate-claim-history');
    assert.ok(dup, JSON.stringify(second.scrub.findings));
    assert.equal(dup.claim_id, first.id);
  });

  test('moves: illegal ones refused, reasons required and sealed, voiding reopens the encounter', async () => {
    const enc = await encounter(visit({ service_from: '2026-09-01' }));
    const c = await claimFor(enc);
    assertProblem(assert, await w.send('POST', biller.token, `/v1/claims/${c.id}/moves`, { to: 'paid' }), 409, 'conflict', /ready.*paid/);
    assertProblem(assert, await w.send('POST', biller.token, `/v1/claims/${c.id}/moves`, { to: 'voided' }), 422, 'validation_failed', /reason/);
    assertProblem(assert, await w.send('POST', coder.token, `/v1/claims/${c.id}/moves`, { to: 'draft' }), 403, 'forbidden');
    const v = await w.send('POST', biller.token, `/v1/claims/${c.id}/moves`, { to: 'voided', reason: 'Wrong patient Quillfeather chart' });
    assert.equal(v.status, 200, v.text);
    assert.equal(v.json.state, 'voided');
    const ev = (await w.send('GET', biller.token, `/v1/claims/${c.id}/events`)).json.events.at(-1);
    assert.equal(ev.reason, 'Wrong patient Quillfeather chart');
    assert.ok(ev.user_id > 0);
    assert.equal((await w.send('GET', biller.token, `/v1/encounters/${enc}`)).json.status, 'open');
    const raw = PG ? pgDump(w.srv.stateDir) : dbQuery(w.srv.stateDir, 'SELECT quote(reason) FROM claim_event');
    assert.ok(!raw.includes('Quillfeather chart'), 'the reason is sealed');
  });

  test('batches: ready claims into an 837 in the outbox, control numbers never reused, the file validates', async () => {
    const ready = (await w.send('GET', biller.token, '/v1/claims?state=ready')).json.claims;
    assert.ok(ready.length >= 2);
    const b = await w.send('POST', biller.token, '/v1/batches');
    assert.equal(b.status, 201, b.text);
    assert.equal(b.json.batches.length, 1);
    const batch = b.json.batches[0];
    assert.equal(batch.partner, 'CLAIMSHOUSE');
    assert.equal(batch.kind, '837P');
    assert.equal(batch.claims, ready.length);
    assert.equal(batch.written, true);
    const file = join(outbox(), batch.file_name);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const x12 = readFileSync(file, 'utf8');
    for (const c of ready) assert.ok(x12.includes(`CLM*${c.control_number}*`), c.control_number);
    assert.ok(!x12.includes('96127'), 'the restricted service is not in the 837');
    assert.match(x12, /REF\*6R\*L\d+/);
    const v = runCli(['x12', 'validate', file]);
    assert.equal(v.code, 0, v.stdout + v.stderr);
    const after = (await w.send('GET', biller.token, `/v1/claims?batch_id=${batch.id}`)).json.claims;
    assert.ok(after.every((c) => c.state === 'submitted' && c.submitted_on));
    // nothing ready: no batch; the next batch gets the next control number
    assert.deepEqual((await w.send('POST', biller.token, '/v1/batches')).json.batches, []);
    await claimFor(await encounter(visit({ service_from: '2026-08-03' })));
    const next = (await w.send('POST', biller.token, '/v1/batches')).json.batches[0];
    assert.equal(next.isa13, batch.isa13 + 1);
    assert.equal(next.gs06, batch.gs06 + 1);
    assert.equal(readdirSync(outbox()).filter((f) => !f.startsWith('.')).length, 2);
    const again = await w.send('GET', biller.token, `/v1/batches/${batch.id}/x12`);
    assert.equal(again.json.x12, x12, 'a batch renders to the same bytes');
  });
});
