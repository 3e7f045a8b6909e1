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
    const v = await w.send('POST', biller.token, `/v1/claims/${c.id}/moves`, { to: 'voided', reason: 'rejected by the clearinghouse; rebill' });
    assert.equal(v.status, 200, v.text);
    assert.equal(v.json.state, 'voided');
    const again = await claimFor(c.encounter_id);
    assert.equal(again.state, 'ready', JSON.stringify(again.scrub));
    assert.ok(!(again.scrub.findings || []).some((f) => f.edit === 'duplicate-claim-history'));
  });
});
