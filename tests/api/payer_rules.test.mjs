// A tenant's own scrubber rules for one of its payers (docs/payer-rules.md,
// "A tenant's own rules"): stored over REST, checked strictly (a bad INI is
// a 422 naming the line), applied to the payer's next claims instead of the
// shipped rules, audited, and invisible to another tenant.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { assertProblem, dbQuery, enrollMfa, runCli, strongPassword, world } from './harness.mjs';

describe('payer rules of a tenant', () => {
  let w, biller, coder, patient, coverage, doctor, clinic, payer, other;
  let day = 1;

  // a new encounter each time (another service date: no duplicate finding)
  const claim = async () => {
    const e = await w.send('POST', biller.token, `/v1/patients/${patient}/encounters`, {
      claim_kind: 'professional', coverage_id: coverage, billing_provider_id: clinic, rendering_provider_id: doctor,
      service_from: `2026-10-${String(day++).padStart(2, '0')}`, place_of_service: '11', diagnoses: ['E11.9'],
      lines: [{ procedure: '99213', charge_cents: 12000, dx_pointers: [1] }],
    });
    assert.equal(e.status, 201, e.text);
    const c = await w.send('POST', biller.token, `/v1/encounters/${e.json.id}/claims`);
    assert.equal(c.status, 201, c.text);
    return c.json;
  };
  const rules = `/v1/payers/{id}/rules`;
  const at = () => rules.replace('{id}', payer);

  before(async () => {
    w = await world();
    biller = await w.user('biller', 'rules.biller');
    coder = await w.user('coder', 'rules.coder');
    const mk = async (path, body) => {
      const r = await w.send('POST', biller.token, path, body);
      assert.equal(r.status, 201, r.text);
      return r.json.id;
    };
    patient = await mk('/v1/patients', { last_name: 'Rulebook', first_name: 'Ada', dob: '1961-03-04', sex: 'F',
      address_line1: '12 Elm St', city: 'Springfield', state: 'IL', postal_code: '62701' });
    doctor = await mk('/v1/providers', { npi: '1234567893', entity: 'person', name: 'Okafor', first_name: 'Nneka', taxonomy: '207Q00000X' });
    clinic = await mk('/v1/providers', { npi: '1245319599', entity: 'organization', name: 'Springfield Clinic', tax_id: '123456789',
      taxonomy: '261QP2300X', address_line1: '1 Clinic Way', city: 'Springfield', state: 'IL', postal_code: '62701-1234' });
    payer = await mk('/v1/payers', { payer_id: '87726', name: 'UHC', timely_filing_days: 90, claim_filing_indicator: 'CI', receiver_id: 'CLAIMSHOUSE' });
    coverage = await mk(`/v1/patients/${patient}/coverages`, { payer_id: '87726', coverage_order: 'primary', relationship: 'self', member_id: 'UHC-55501' });

    // another tenant with an owner
    assert.equal(runCli(['tenant', 'add', '--slug', 'other', '--name', 'Other', ...w.state]).code, 0);
    const pw = strongPassword();
    const add = runCli(['user', 'add', '--tenant', 'other', '--email', 'owner@other.example', '--name', 'Owner',
      '--role', 'owner', '--password-file', '-', ...w.state], { input: `${pw}\n` });
    assert.equal(add.code, 0, add.stderr);
    const l = await w.login('owner@other.example', pw, 'other');
    assert.equal(l.status, 200, l.text);
    other = l.json.token;
    await enrollMfa(w.srv, other);
  });
  after(async () => {
    await w.srv.stop();
    w.srv.cleanup();
  });

  test('none at first: claims are ready under the shipped rules', async () => {
    const g = await w.send('GET', coder.token, at());
    assert.equal(g.status, 200, g.text);
    assert.deepEqual(g.json, { payer_id: payer, rules: null, updated_at: null });
    assert.equal((await claim()).state, 'ready');
  });

  test('a rule of the tenant makes the next claim to that payer a draft with its finding', async () => {
    const text = '# our contract with UHC\n[required]\nfields = payer.insurance_type\n\n[hold high-charge]\n'
      + 'field = line.charge\nop = gt\nvalue = 100.00\nmessage = lines over $100 need review\n';
    assertProblem(assert, await w.send('POST', coder.token, at(), { rules: text }), 403, 'forbidden');
    const p = await w.send('POST', biller.token, at(), { rules: text });
    assert.equal(p.status, 200, p.text);
    assert.equal(p.json.rules, text);
    assert.match(p.json.updated_at, /^\d{4}-\d\d-\d\dT/);
    assert.equal((await w.send('GET', coder.token, at())).json.rules, text);
    const c = await claim();
    assert.equal(c.state, 'draft', JSON.stringify(c.scrub));
    assert.equal(c.scrub.payer_rule, 'tenant:87726');
    const req = c.scrub.findings.find((f) => f.edit === 'payer-required-field');
    assert.ok(req, JSON.stringify(c.scrub.findings));
    assert.equal(req.field, 'payer.insurance_type');
    const hold = c.scrub.findings.find((f) => f.edit === 'payer-hold');
    assert.ok(hold, JSON.stringify(c.scrub.findings));
    assert.match(hold.message, /over \$100/);
    const audit = dbQuery(w.srv.stateDir, `SELECT action FROM audit_event WHERE object_type = 'payer' AND object_id = '${payer}' ORDER BY seq`);
    assert.match(audit, /^payer_rules\.update/m);
  });

  test('a bad INI is a 422 naming the line, and the stored rule stays', async () => {
    const before = (await w.send('GET', biller.token, at())).json.rules;
    assertProblem(assert, await w.send('POST', biller.token, at(), { rules: '[payer]\nname = ours\n[edits]\ndisabel = dx-valid\n' }),
      422, 'validation_failed', /line 4: unknown key 'disabel'/);
    assertProblem(assert, await w.send('POST', biller.token, at(), { rules: '[required]\nfields = payer.nope\n' }),
      422, 'validation_failed', /line 2: unknown field/);
    assertProblem(assert, await w.send('POST', biller.token, at(), { rules: 7 }), 422, 'validation_failed');
    assertProblem(assert, await w.send('POST', biller.token, at(), { rules: '', extra: 1 }), 422, 'validation_failed');
    assert.equal((await w.send('GET', biller.token, at())).json.rules, before);
  });

  test('another tenant can neither read nor change nor delete it', async () => {
    for (const [method, body] of [['GET'], ['POST', { rules: '[edits]\ndisable = dx-valid\n' }], ['DELETE']]) {
      assertProblem(assert, await w.send(method, other, at(), body), 404, 'not_found');
    }
    assert.match((await w.send('GET', biller.token, at())).json.rules, /high-charge/);
  });

  test('deleting the rule makes the next claim ready again', async () => {
    const d = await w.send('DELETE', biller.token, at());
    assert.equal(d.status, 200, d.text);
    assert.deepEqual(d.json, { payer_id: payer, deleted: true });
    assertProblem(assert, await w.send('DELETE', biller.token, at()), 404, 'not_found');
    assert.equal((await w.send('GET', biller.token, at())).json.rules, null);
    assert.equal((await claim()).state, 'ready');
    const audit = dbQuery(w.srv.stateDir, `SELECT action FROM audit_event WHERE object_type = 'payer' AND object_id = '${payer}' ORDER BY seq`);
    assert.match(audit, /^payer_rules\.delete/m);
  });
});
