// Claims after the first submission (docs/claims.md): 999s and 277CAs
// applied to batches and claims (one transaction set per billing provider,
// so a 999 can reject half a batch), idempotent; corrected (frequency 7) and
// void (frequency 8) claims; secondary claims with the primary's
// adjudication in 2320/2430; duplicates across history.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { assertProblem, dbQuery, runCli, world } from './harness.mjs';

const pad = (s, n) => s.padEnd(n, ' ');
let icn = 500;
// An interchange from the clearinghouse to us around `body` (segments).
function interchange(gs01, version, body) {
  icn += 1;
  const n = String(icn).padStart(9, '0');
  return [`ISA*00*${pad('', 10)}*00*${pad('', 10)}*ZZ*${pad('CLAIMSHOUSE', 15)}*ZZ*${pad('OPENRCM', 15)}*261201*1200*^*00501*${n}*0*P*:`,
    `GS*${gs01}*CLAIMSHOUSE*OPENRCM*20261201*1200*${icn}*X*${version}`,
    ...body, `GE*1*${icn}`, `IEA*1*${n}`].join('~\n') + '~\n';
}
function set(st, version, segs) {
  const all = [`ST*${st}*0001*${version}`, ...segs];
  return [...all, `SE*${all.length + 1}*0001`];
}
// A 999 for batch group control number gs06: sets [{ st02, ok }]
export function ack999(gs06, sets) {
  const acc = sets.filter((s) => s.ok).length;
  const ak9 = acc === sets.length ? 'A' : acc === 0 ? 'R' : 'P';
  const body = [`AK1*HC*${gs06}*005010X222A1`];
  for (const s of sets) body.push(`AK2*837*${s.st02}*005010X222A1`, s.ok ? 'IK5*A' : 'IK5*R*5');
  body.push(`AK9*${ak9}*${sets.length}*${sets.length}*${acc}`);
  return interchange('FA', '005010X231A1', set('999', '005010X231A1', body));
}
// A 277CA: statuses [{ control, category, payerNumber }]
export function ack277(statuses) {
  const body = ['BHT*0085*08*277CA0001*20261201*1200*TH',
    'HL*1**20*1', 'NM1*AY*2*CLAIMSHOUSE*****46*CLAIMSHOUSE', 'TRN*1*0001', 'DTP*050*D8*20261201', 'DTP*009*D8*20261201',
    'HL*2*1*21*1', 'NM1*41*2*OPENRCM*****46*OPENRCM', 'TRN*2*0001', 'STC*A1:19:PR*20261201*WQ*100',
    'QTY*90*1', 'AMT*YU*100',
    'HL*3*2*19*1', 'NM1*85*2*SPRINGFIELD CLINIC*****XX*1245319599', 'TRN*1*0', 'STC*A1:19:PR**WQ*100', 'QTY*QA*1', 'AMT*YU*100'];
  let hl = 3;
  for (const s of statuses) {
    hl += 1;
    body.push(`HL*${hl}*3*PT`, 'NM1*QC*1*DOE*JANE****MI*M1', `TRN*2*${s.control}`,
      `STC*${s.category}:20:PR*20261201*WQ*100`);
    if (s.payerNumber) body.push(`REF*1K*${s.payerNumber}`);
    body.push('DTP*472*D8*20261102');
  }
  return interchange('HN', '005010X214', set('277', '005010X214', body));
}

describe('claims after the first submission', () => {
  let w, biller, patient, coverage, coverage2, doctor, clinic, clinic2;
  const outbox = () => join(w.srv.stateDir, 'outbox');
  let day = 1;
  const visit = (overrides = {}) => ({
    claim_kind: 'professional', coverage_id: coverage, billing_provider_id: clinic, rendering_provider_id: doctor,
    service_from: `2026-07-${String(day++).padStart(2, '0')}`, place_of_service: '11', diagnoses: ['E11.9', 'I10'],
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
  const claim = async (id) => (await w.send('GET', biller.token, `/v1/claims/${id}`)).json;
  const ack = (x12) => w.send('POST', biller.token, '/v1/acknowledgments', { x12 });
  const batch = async () => {
    const b = await w.send('POST', biller.token, '/v1/batches');
    assert.equal(b.status, 201, b.text);
    return b.json.batches;
  };
  const validate = (name) => {
    const file = join(outbox(), name);
    const v = runCli(['x12', 'validate', file]);
    assert.equal(v.code, 0, v.stdout + v.stderr);
    return readFileSync(file, 'utf8');
  };

  before(async () => {
    w = await world();
    biller = await w.user('biller', 'fu.biller');
    const mk = async (path, body) => {
      const r = await w.send('POST', biller.token, path, body);
      assert.equal(r.status, 201, r.text);
      return r.json.id;
    };
    patient = await mk('/v1/patients', { last_name: 'Thistlewood', first_name: 'Ada', dob: '1961-03-14', sex: 'F',
      address_line1: '9 Oak Ave', city: 'Springfield', state: 'IL', postal_code: '62701' });
    doctor = await mk('/v1/providers', { npi: '1234567893', entity: 'person', name: 'Okafor', first_name: 'Nneka', taxonomy: '207Q00000X' });
    clinic = await mk('/v1/providers', { npi: '1245319599', entity: 'organization', name: 'Springfield Clinic', tax_id: '123456789',
      taxonomy: '261QP2300X', address_line1: '1 Clinic Way', city: 'Springfield', state: 'IL', postal_code: '62701-1234' });
    clinic2 = await mk('/v1/providers', { npi: '1679576722', entity: 'organization', name: 'Shelbyville Clinic', tax_id: '987654321',
      taxonomy: '261QP2300X', address_line1: '2 Main St', city: 'Shelbyville', state: 'IL', postal_code: '62565-0001' });
    await mk('/v1/payers', { payer_id: '87726', name: 'UHC', timely_filing_days: 365, claim_filing_indicator: 'CI', receiver_id: 'CLAIMSHOUSE' });
    await mk('/v1/payers', { payer_id: '60054', name: 'AETNA', timely_filing_days: 365, claim_filing_indicator: 'CI', receiver_id: 'CLAIMSHOUSE' });
    coverage = await mk(`/v1/patients/${patient}/coverages`, { payer_id: '87726', coverage_order: 'primary', relationship: 'self', member_id: 'UHC-1' });
    coverage2 = await mk(`/v1/patients/${patient}/coverages`, { payer_id: '60054', coverage_order: 'secondary', relationship: 'self', member_id: 'AET-2' });
  });
  after(async () => {
    await w.srv.stop();
    w.srv.cleanup();
  });

  let accepted = [], rejectedClaim;
  test('a batch has one transaction set per billing provider; a 999 rejecting one set leaves the other accepted', async () => {
    const a1 = await claimFor(await encounter());
    const a2 = await claimFor(await encounter());
    const b1 = await claimFor(await encounter(visit({ billing_provider_id: clinic2 })));
    for (const c of [a1, a2, b1]) assert.equal(c.state, 'ready', JSON.stringify(c.scrub));
    const [b] = await batch();
    assert.equal(b.claims, 3);
    const x12 = validate(b.file_name);
    assert.match(x12, /ST\*837\*0001\*/);
    assert.match(x12, /ST\*837\*0002\*/);
    assert.match(x12, /GE\*2\*/);
    const r = await ack(ack999(b.gs06, [{ st02: '0001', ok: true }, { st02: '0002', ok: false }]));
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.kind, '999');
    assert.equal(r.json.changed, true);
    assert.equal(r.json.claims_moved, 3);
    assert.deepEqual(r.json.batches, [{ id: b.id, ack_state: 'partially_accepted' }]);
    assert.equal((await w.send('GET', biller.token, `/v1/batches/${b.id}`)).json.ack_state, 'partially_accepted');
    assert.equal((await claim(a1.id)).state, 'accepted');
    assert.equal((await claim(a2.id)).state, 'accepted');
    assert.equal((await claim(b1.id)).state, 'rejected');
    const ev = (await w.send('GET', biller.token, `/v1/claims/${b1.id}/events`)).json.events.at(-1);
    assert.deepEqual([ev.from, ev.to, ev.source, ev.user_id], ['submitted', 'rejected', 'ack_999', null]);
    // the same 999 again changes nothing, and says so
    const again = await ack(ack999(b.gs06, [{ st02: '0001', ok: true }, { st02: '0002', ok: false }]));
    assert.equal(again.status, 200, again.text);
    assert.equal(again.json.changed, false);
    assert.equal(again.json.claims_moved, 0);
    accepted = [a1, a2];
    rejectedClaim = b1;
  });

  test('unknown batches, sets and claims, and malformed files, change nothing', async () => {
    assertProblem(assert, await ack(ack999(999999, [{ st02: '0001', ok: true }])), 422, 'validation_failed', /no batch/);
    const bad = ack999(1, [{ st02: '0001', ok: true }]).replace('IK5*A~', '');
    const r = await ack(bad);
    assertProblem(assert, r, 422, 'validation_failed', /malformed X12: segment \w+ \(segment \d+/);
    assertProblem(assert, await ack(ack277([{ control: 'FFFFFFFFFFFFFF', category: 'A2' }])), 422, 'validation_failed', /never sent/);
    assertProblem(assert, await ack('hello'), 422, 'validation_failed', /malformed/);
  });

  test('277CA: payer claim numbers recorded, A3 rejects an accepted claim, idempotent; the CLI applies files', async () => {
    const [a1, a2] = accepted;
    const file = ack277([{ control: a1.control_number, category: 'A2', payerNumber: 'PCN-1001' },
      { control: a2.control_number, category: 'A3', payerNumber: 'PCN-1002' }]);
    const v = join(w.srv.stateDir, 'ack277.x12');
    writeFileSync(v, file);
    const val = runCli(['x12', 'validate', v]);
    assert.equal(val.code, 0, val.stdout + val.stderr);
    const r = await ack(file);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.kind, '277CA');
    assert.equal(r.json.claims_moved, 1);
    assert.equal(r.json.payer_claim_numbers, 2);
    const c1 = await claim(a1.id), c2 = await claim(a2.id);
    assert.equal(c1.state, 'accepted');
    assert.equal(c1.payer_claim_number, 'PCN-1001');
    assert.equal(c2.state, 'rejected');
    const cli = runCli(['ack', v, '--tenant', 'demo', ...w.state]);
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(cli.stdout, /already applied/);
    writeFileSync(v, 'ISA*garbage~');
    const bad = runCli(['ack', v, '--tenant', 'demo', ...w.state]);
    assert.equal(bad.code, 1, bad.stdout + bad.stderr);
    assert.match(bad.stderr, /malformed/);
  });

  test('a resubmission after a rejection is not a duplicate', async () => {
    const c = rejectedClaim;
    const v = await w.send('POST', biller.token, `/v1/claims/${c.id}/void`, { reason: 'rejected by the clearinghouse; rebill' });
    assert.equal(v.status, 200, v.text);
    assert.equal(v.json.state, 'voided');
    const again = await claimFor(c.encounter_id);
    assert.equal(again.state, 'ready', JSON.stringify(again.scrub));
    assert.ok(!(again.scrub.findings || []).some((f) => f.edit === 'duplicate-claim-history'));
  });

  const today = Math.floor(Date.now() / 86400000);
  // what the 835 posting engine will do, by SQL until it lands
  const adjudicate = (id, state, { paid, adj = 0, resp = 0, number }) => dbQuery(w.srv.stateDir,
    `UPDATE claim SET state = '${state}', paid_cents = ${paid}, adjustment_cents = ${adj}, patient_resp_cents = ${resp}, ` +
    `adjudicated_day = ${today}${number ? `, payer_claim_number = '${number}'` : ''} WHERE id = ${id}`);
  const sent = async (enc) => {
    const c = await claimFor(enc);
    assert.equal(c.state, 'ready', JSON.stringify(c.scrub));
    await batch();
    return claim(c.id);
  };

  test('void: a sent claim gets a frequency-8 claim; the original is voided when it is batched; the 837 validates', async () => {
    const [a1] = accepted;
    assertProblem(assert, await w.send('POST', biller.token, `/v1/claims/${a1.id}/void`, {}), 422, 'validation_failed', /reason/);
    const r = await w.send('POST', biller.token, `/v1/claims/${a1.id}/void`, { reason: 'billed under the wrong payer' });
    assert.equal(r.status, 201, r.text);
    const v = r.json;
    assert.equal(v.frequency, '8');
    assert.equal(v.original_claim_id, a1.id);
    assert.equal(v.state, 'ready', JSON.stringify(v.scrub));
    assert.ok(!v.scrub.findings.some((f) => f.edit === 'duplicate-claim-history'), 'a void is no duplicate of its original');
    assert.equal((await claim(a1.id)).state, 'accepted', 'voided only once the void is sent');
    assertProblem(assert, await w.send('POST', biller.token, `/v1/claims/${a1.id}/void`, { reason: 'again' }), 409, 'conflict', /already follows/);
    const [b] = await batch();
    const x12 = validate(b.file_name);
    assert.ok(x12.includes(`CLM*${v.control_number}*220*`), x12);
    assert.match(x12, new RegExp(`CLM\\*${v.control_number}\\*[^~]*\\*11:B:8\\*`));
    assert.match(x12, /REF\*F8\*PCN-1001~/);
    const orig = await claim(a1.id);
    assert.equal(orig.state, 'voided');
    const ev = (await w.send('GET', biller.token, `/v1/claims/${a1.id}/events`)).json.events.at(-1);
    assert.deepEqual([ev.from, ev.to, ev.source], ['accepted', 'voided', 'batch']);
  });

  test('correction: refused without a payer claim number, then a frequency-7 claim; the original is corrected', async () => {
    const c = await sent(await encounter());
    adjudicate(c.id, 'paid', { paid: 22000 });
    assertProblem(assert, await w.send('POST', biller.token, `/v1/claims/${c.id}/corrections`), 409, 'conflict', /no payer claim number/);
    adjudicate(c.id, 'paid', { paid: 22000, number: 'PCN-2001' });
    const r = await w.send('POST', biller.token, `/v1/claims/${c.id}/corrections`, { reason: 'modifier 25 was missing' });
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.frequency, '7');
    assert.equal(r.json.original_claim_id, c.id);
    assert.equal(r.json.state, 'ready', JSON.stringify(r.json.scrub));
    assert.deepEqual(r.json.lines.map((l) => l.procedure), c.lines.map((l) => l.procedure));
    const orig = await claim(c.id);
    assert.equal(orig.state, 'corrected');
    const ev = (await w.send('GET', biller.token, `/v1/claims/${c.id}/events`)).json.events.at(-1);
    assert.deepEqual([ev.to, ev.source, ev.reason], ['corrected', 'user', 'modifier 25 was missing']);
    assertProblem(assert, await w.send('POST', biller.token, `/v1/claims/${c.id}/corrections`), 409, 'conflict');
    const [b] = await batch();
    const x12 = validate(b.file_name);
    assert.match(x12, new RegExp(`CLM\\*${r.json.control_number}\\*[^~]*\\*11:B:7\\*`));
    assert.match(x12, /REF\*F8\*PCN-2001~/);
  });

  test('secondary: to the next coverage once adjudicated, with the primary\'s payment in 2320/2430; the 837 validates', async () => {
    const c = await sent(await encounter());
    assertProblem(assert, await w.send('POST', biller.token, `/v1/claims/${c.id}/secondary`), 409, 'conflict', /not been adjudicated/);
    adjudicate(c.id, 'partially_paid', { paid: 15000, adj: 5000, resp: 2000, number: 'PCN-3001' });
    const t = dbQuery(w.srv.stateDir, `SELECT tenant_id FROM claim WHERE id = ${c.id}`);
    const [l1, l2] = c.lines;
    dbQuery(w.srv.stateDir, `INSERT INTO remittance (tenant_id, created_ms, source, payer_id, trace_number, payment_cents) VALUES (${t}, 0, 'manual', '87726', 'TRC-${c.id}', 15000);
      INSERT INTO claim_payment (tenant_id, remittance_id, seq, claim_id, matched_by, control_number, status_code, charge_cents, paid_cents, patient_resp_cents, payer_claim_number)
        VALUES (${t}, (SELECT max(id) FROM remittance), 1, ${c.id}, 'control_number', '${c.control_number}', '1', 22000, 15000, 2000, 'PCN-3001');
      INSERT INTO payment_line (tenant_id, claim_payment_id, claim_line_id, procedure, charge_cents, paid_cents) VALUES (${t}, (SELECT max(id) FROM claim_payment), ${l1.id}, '99214', 18000, 12000);
      INSERT INTO payment_adjustment (tenant_id, claim_payment_id, payment_line_id, group_code, carc, amount_cents) VALUES (${t}, (SELECT max(id) FROM claim_payment), (SELECT max(id) FROM payment_line), 'CO', '45', 4000);
      INSERT INTO payment_adjustment (tenant_id, claim_payment_id, payment_line_id, group_code, carc, amount_cents) VALUES (${t}, (SELECT max(id) FROM claim_payment), (SELECT max(id) FROM payment_line), 'PR', '2', 2000);
      INSERT INTO payment_line (tenant_id, claim_payment_id, claim_line_id, procedure, charge_cents, paid_cents) VALUES (${t}, (SELECT max(id) FROM claim_payment), ${l2.id}, '83036', 4000, 3000);
      INSERT INTO payment_adjustment (tenant_id, claim_payment_id, payment_line_id, group_code, carc, amount_cents) VALUES (${t}, (SELECT max(id) FROM claim_payment), (SELECT max(id) FROM payment_line), 'CO', '45', 1000);`);
    const r = await w.send('POST', biller.token, `/v1/claims/${c.id}/secondary`);
    assert.equal(r.status, 201, r.text);
    const s2 = r.json;
    assert.equal(s2.sequence, 'secondary');
    assert.equal(s2.payer_id, '60054');
    assert.equal(s2.coverage_id, coverage2);
    assert.equal(s2.original_claim_id, c.id);
    assert.equal(s2.frequency, '1');
    assert.equal(s2.state, 'ready', JSON.stringify(s2.scrub));
    assert.ok(!s2.scrub.findings.some((f) => f.edit === 'duplicate-claim-history'));
    assertProblem(assert, await w.send('POST', biller.token, `/v1/claims/${c.id}/secondary`), 409, 'conflict', /already follows/);
    const [b] = await batch();
    const x12 = validate(b.file_name);
    const clm = x12.slice(x12.indexOf(`CLM*${s2.control_number}*`));
    const mine = x12.slice(x12.lastIndexOf('HL*', x12.indexOf(`CLM*${s2.control_number}*`)));
    assert.match(mine, /SBR\*S\*/);
    assert.match(clm, /SBR\*P\*18\*/);
    assert.match(clm, /AMT\*D\*150~/);
    assert.match(clm, /SVD\*87726\*120\*HC:99214/);
    assert.match(clm, /CAS\*CO\*45\*40/);
    assert.match(clm, /DTP\*573\*D8\*/);
    // no tertiary coverage: refused clearly
    adjudicate(s2.id, 'paid', { paid: 5000, number: 'S-1' });
    assertProblem(assert, await w.send('POST', biller.token, `/v1/claims/${s2.id}/secondary`), 409, 'conflict', /no tertiary coverage/);
  });

  test('only claim writers apply acknowledgments and make follow-up claims', async () => {
    const coder = await w.user('coder', 'fu.coder');
    for (const [path, body] of [['/v1/acknowledgments', { x12: 'x' }], ['/v1/claims/1/corrections', {}],
      ['/v1/claims/1/void', { reason: 'r' }], ['/v1/claims/1/secondary', {}]]) {
      assertProblem(assert, await w.send('POST', coder.token, path, body), 403, 'forbidden');
    }
  });
});
