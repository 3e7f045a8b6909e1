// Payment posting over REST, on the live server (SQLite or PostgreSQL):
// an 835 posts (201) and its repeat changes nothing (200, already posted);
// a malformed file is a 422 naming segment and position, never a value,
// and writes nothing; claim.write to post, phi.read to read; the unmatched
// queue and a manual match; the denial worklist with an appeal letter;
// deposits reconciled by trace; a paper EOB; and the crash test: a large
// 835 posting is SIGKILLed mid-way, the server restarted, the file posted
// again — every dollar is posted exactly once.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { PG, assertProblem, dbQuery, runCli, sleep, startServer, world } from './harness.mjs';
import { makeClaims, paidClaim, write835 } from './x835.mjs';

describe('payment posting', () => {
  let w, biller, analyst, coder, frontDesk, tenant, patient, payer, provider;
  const q = (s) => dbQuery(w.srv.stateDir, s);
  const n = (s) => Number(q(s));

  before(async () => {
    w = await world({ sets: ['server.max_body_bytes=16777216'] });
    biller = await w.user('biller', 'post.biller');
    analyst = await w.user('analyst', 'post.analyst');
    coder = await w.user('coder', 'post.coder');
    frontDesk = await w.user('front_desk', 'post.front');
    const mk = async (path, body) => {
      const r = await w.send('POST', biller.token, path, body);
      assert.equal(r.status, 201, r.text);
      return r.json.id;
    };
    patient = await mk('/v1/patients', { last_name: 'Remitton', first_name: 'Ada', dob: '1960-05-05' });
    provider = await mk('/v1/providers', { npi: '1234567893', entity: 'organization', name: 'Good Clinic' });
    payer = await mk('/v1/payers', { payer_id: 'ACME01', name: 'Acme Health', appeal_days: 60 });
    tenant = n("SELECT id FROM tenant WHERE slug = 'demo'");
  });
  after(async () => {
    await w.srv.stop();
    w.srv.cleanup();
  });

  const post = (token, x12) => w.send('POST', token, '/v1/remittances', { x12 });

  test('an 835 posts once; the repeat changes nothing', async () => {
    makeClaims(w.srv.stateDir, { tenant, patient, payer, provider, prefix: 'A', n: 3 });
    const file = write835([{ trace: 'EFT-A1', claims: [paidClaim('A1'), paidClaim('A2', 5)] },
      { trace: 'EFT-A2', claims: [paidClaim('A3', 9)], plb: [{ reason: 'L6', cents: -125 }] }]);
    const r = await post(biller.token, file);
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.posted, 2);
    assert.equal(r.json.claims.total, 3);
    assert.equal(r.json.claims.partially_paid, 3, 'a deductible left: partially paid');
    assert.equal(r.json.service_lines, 6);
    assert.equal(r.json.provider_adjustment_cents, -125);
    const paid = [paidClaim('A1'), paidClaim('A2', 5), paidClaim('A3', 9)].reduce((s, c) => s + c.paid, 0);
    assert.equal(r.json.paid_cents, paid);
    assert.equal(n("SELECT sum(paid_cents) FROM claim WHERE control_number IN ('A1', 'A2', 'A3')"), paid);
    assert.equal(n("SELECT count(*) FROM claim WHERE state = 'partially_paid' AND control_number LIKE 'A%'"), 3);
    const again = await w.srv.request('POST', '/v1/remittances', {
      headers: { authorization: `Bearer ${biller.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ x12: file }) });
    assert.equal(again.status, 200, again.text);
    assert.equal(again.json.posted, 0);
    assert.equal(again.json.already_posted, 2);
    assert.deepEqual(again.json.remittances.map((x) => x.id), r.json.remittances.map((x) => x.id));
    assert.equal(n("SELECT sum(paid_cents) FROM claim WHERE control_number IN ('A1', 'A2', 'A3')"), paid);
    assert.equal(n('SELECT count(*) FROM claim_payment'), 3);
    const list = await w.send('GET', coder.token, '/v1/remittances');
    assert.equal(list.status, 200, list.text);
    assert.equal(list.json.remittances.length, 2);
    const one = await w.send('GET', coder.token, `/v1/remittances/${r.json.remittances[0].id}`);
    assert.equal(one.status, 200, one.text);
    assert.equal(one.json.trace_number, 'EFT-A1');
    assert.deepEqual(one.json.claim_payments.map((p) => [p.control_number, p.matched_by]),
      [['A1', 'control_number'], ['A2', 'control_number']]);
  });

  test('a malformed file: 422 naming the segment, nothing written', async () => {
    const before = n('SELECT count(*) FROM remittance');
    const file = write835([{ trace: 'EFT-BAD', claims: [paidClaim('SECRET-CLAIM-9')] }]).replace('CLP*', 'CLX*');
    const r = await post(biller.token, file);
    assertProblem(assert, r, 422, 'validation_failed');
    assert.match(r.json.detail, /segment \d+/);
    assert.doesNotMatch(r.text, /SECRET-CLAIM-9/);
    assert.equal(n('SELECT count(*) FROM remittance'), before);
    const e = await w.send('POST', biller.token, '/v1/remittances', { x12: 42 });
    assertProblem(assert, e, 422, 'validation_failed');
  });

  test('permissions: claim.write posts, readers read', async () => {
    const file = write835([{ trace: 'EFT-PERM', claims: [paidClaim('NOPE1')] }]);
    assertProblem(assert, await post(frontDesk.token, file), 403, 'forbidden');
    assertProblem(assert, await post(analyst.token, file), 403, 'forbidden');
    assertProblem(assert, await post(coder.token, file), 403, 'forbidden');
    assert.equal((await w.send('GET', coder.token, '/v1/denials')).status, 200);
    assertProblem(assert, await w.send('GET', analyst.token, '/v1/denials'), 403, 'forbidden');
  });

  test('unmatched payments wait and are matched by hand', async () => {
    makeClaims(w.srv.stateDir, { tenant, patient, payer, provider, prefix: 'U', n: 1 });
    const r = await post(biller.token, write835([{ trace: 'EFT-U1', claims: [paidClaim('TYPO-U1')] }]));
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.claims.unmatched, 1);
    assert.ok(r.json.findings.some((f) => f.code === 'claim-unknown'));
    const u = await w.send('GET', biller.token, '/v1/unmatched-payments');
    assert.equal(u.status, 200, u.text);
    const item = u.json.unmatched_payments.find((p) => p.control_number === 'TYPO-U1');
    assert.ok(item);
    assert.equal(item.payment.patient.last_name, 'DOE');
    assert.equal(item.payment.lines.length, 2);
    assert.equal(q(`SELECT count(*) FROM claim_payment WHERE id = ${item.id} AND pending IS NOT NULL`), '1');
    const claim = n("SELECT id FROM claim WHERE control_number = 'U1'");
    assertProblem(assert, await w.send('POST', biller.token, `/v1/unmatched-payments/${item.id}/match`, { claim_id: 999999 }), 404, 'not_found');
    const m = await w.send('POST', biller.token, `/v1/unmatched-payments/${item.id}/match`, { claim_id: claim });
    assert.equal(m.status, 200, m.text);
    assert.equal(m.json.claims.partially_paid, 1);
    assert.equal(n(`SELECT paid_cents FROM claim WHERE id = ${claim}`), paidClaim('TYPO-U1').paid);
    assert.equal(q(`SELECT matched_by FROM claim_payment WHERE id = ${item.id}`), 'manual');
    assert.equal(n(`SELECT count(*) FROM claim_event WHERE claim_id = ${claim} AND user_id = ${biller.id}`), 1);
    assertProblem(assert, await w.send('POST', biller.token, `/v1/unmatched-payments/${item.id}/match`, { claim_id: claim }), 404, 'not_found');
  });

  test('denials: worklist with filters, appeal letter, write-off', async () => {
    makeClaims(w.srv.stateDir, { tenant, patient, payer, provider, prefix: 'D', n: 2 });
    const denied = (control) => ({ control, status: '4', charge: 15000, paid: 0, lines: [
      { proc: '99213', charge: 10000, paid: 0, cas: [['CO', '50', 10000]] },
      { proc: '36415', charge: 5000, paid: 0, cas: [['CO', '197', 5000]] }] });
    const r = await post(biller.token, write835([{ trace: 'EFT-D1', claims: [denied('D1'), denied('D2')] }]));
    assert.equal(r.status, 201, r.text);
    assert.equal(r.json.claims.denied, 2);
    assert.equal(r.json.denials_created, 4);
    const l = await w.send('GET', coder.token, '/v1/denials?category=medical_necessity&state=open&payer_id=ACME01');
    assert.equal(l.status, 200, l.text);
    assert.equal(l.json.denials.length, 2);
    const d = l.json.denials[0];
    assert.equal(d.carc, '50');
    assert.equal(d.denied_date, '2024-03-05');
    assert.equal(d.appeal_deadline, '2024-05-04', 'payer appeal_days 60');
    assert.ok(d.carc_reason);
    const soon = await w.send('GET', coder.token, '/v1/denials?deadline_before=2024-05-04');
    assert.equal(soon.json.denials.length, 0);
    assertProblem(assert, await w.send('POST', biller.token, `/v1/denials/${d.id}/actions`, { action: 'appeal' }), 422, 'validation_failed');
    assertProblem(assert, await w.send('POST', coder.token, `/v1/denials/${d.id}/actions`, { action: 'close' }), 403, 'forbidden');
    const a = await w.send('POST', biller.token, `/v1/denials/${d.id}/actions`, { action: 'appeal', note: 'Medically necessary: see <notes>.' });
    assert.equal(a.status, 200, a.text);
    assert.equal(a.json.state, 'appealed');
    assert.equal(a.json.claim_state, 'appealed');
    assert.match(a.json.letter_html, new RegExp(d.claim_control_number));
    assert.match(a.json.letter_html, /CO-50/);
    assert.match(a.json.letter_html, /&lt;notes&gt;/);
    assert.doesNotMatch(a.json.letter_html, /Remitton/);
    assert.doesNotMatch(q(`SELECT hex(note) FROM denial WHERE id = ${d.id}`.replace('hex(note)', PG ? "encode(note, 'hex')" : 'hex(note)')), /^$/);
    assertProblem(assert, await w.send('POST', biller.token, `/v1/denials/${d.id}/actions`, { action: 'close' }), 409, 'conflict');
    // D2: write off both items, the claim closes with the last
    const d2 = (await w.send('GET', coder.token, `/v1/denials?state=open`)).json.denials.filter((x) => x.claim_control_number === 'D2');
    assert.equal(d2.length, 2);
    const w1 = await w.send('POST', biller.token, `/v1/denials/${d2[0].id}/actions`, { action: 'write_off', note: 'small' });
    assert.equal(w1.json.claim_state, 'denied');
    const w2 = await w.send('POST', biller.token, `/v1/denials/${d2[1].id}/actions`, { action: 'write_off', note: 'small' });
    assert.equal(w2.json.state, 'written_off');
    assert.equal(w2.json.claim_state, 'closed');
    assert.equal(n("SELECT count(*) FROM audit_event WHERE action = 'denial.write_off'"), 2);
  });

  test('deposits reconcile by trace; a paper EOB posts with its user', async () => {
    makeClaims(w.srv.stateDir, { tenant, patient, payer, provider, prefix: 'M', n: 1 });
    const eob = { payer_id: 'ACME01', trace_number: 'CHK-77', payment_cents: 9000, payment_date: '2024-03-06',
      claim_payments: [{ claim_control_number: 'M1', status: '1', charge_cents: 15000, paid_cents: 9000,
        lines: [{ procedure: '99213', charge_cents: 10000, paid_cents: 6000, adjustments: [{ group: 'CO', carc: '45', amount_cents: 4000 }] },
          { procedure: '36415', charge_cents: 5000, paid_cents: 3000, adjustments: [{ group: 'CO', carc: '45', amount_cents: 2000 }] }] }] };
    const e = await w.send('POST', biller.token, '/v1/remittances/manual', eob);
    assert.equal(e.status, 201, e.text);
    assert.equal(e.json.claims.paid, 1);
    assert.equal(q("SELECT source FROM remittance WHERE trace_number = 'CHK-77'"), 'manual');
    assert.equal(n(`SELECT count(*) FROM claim_event e JOIN claim c ON c.id = e.claim_id WHERE c.control_number = 'M1' AND e.user_id = ${biller.id}`), 1);
    assertProblem(assert, await w.send('POST', biller.token, '/v1/remittances/manual', { ...eob, trace_number: '' }), 422, 'validation_failed');
    assert.equal((await w.send('POST', biller.token, '/v1/remittances/manual', eob)).status, 200);
    const ok = await w.send('POST', biller.token, '/v1/deposits', { trace_number: 'CHK-77', amount_cents: 9000, deposit_date: '2024-03-07' });
    assert.equal(ok.status, 201, ok.text);
    assert.equal(ok.json.reconciled, true);
    const bad = await w.send('POST', biller.token, '/v1/deposits', { trace_number: 'EFT-A1', amount_cents: 100, deposit_date: '2024-03-07' });
    assert.equal(bad.status, 201, bad.text);
    assert.equal(bad.json.reconciled, false);
    assert.notEqual(bad.json.difference_cents, 0);
    assertProblem(assert, await w.send('POST', biller.token, '/v1/deposits', { trace_number: 'CHK-77', amount_cents: 9000, deposit_date: '2024-03-07' }), 409, 'conflict');
    const list = await w.send('GET', coder.token, '/v1/deposits');
    assert.equal(list.json.deposits.length, 2);
  });

  test('the CLI posts a file: summary, repeat, malformed, usage', async () => {
    makeClaims(w.srv.stateDir, { tenant, patient, payer, provider, prefix: 'C', n: 2 });
    const file = join(w.srv.stateDir, 'era.835');
    writeFileSync(file, write835([{ trace: 'EFT-CLI', claims: [paidClaim('C1'), paidClaim('C2')] }], { firstControl: 900 }));
    const r = runCli(['post', file, '--tenant', 'demo', '--user', biller.email, ...w.state]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /remittances +1 \(posted 1, already posted 0\)/);
    assert.match(r.stdout, /partially paid 2/);
    assert.equal(n("SELECT sum(paid_cents) FROM claim WHERE control_number IN ('C1', 'C2')"), paidClaim('C1').paid + paidClaim('C2').paid);
    const again = runCli(['post', file, '--tenant', 'demo', ...w.state]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /already posted: nothing changed/);
    const bad = join(w.srv.stateDir, 'bad.835');
    writeFileSync(bad, write835([{ trace: 'EFT-CLI2', claims: [paidClaim('SECRET-C9')] }], { firstControl: 901 }).replace('CLP*', 'CLX*'));
    const b = runCli(['post', bad, '--tenant', 'demo', ...w.state]);
    assert.equal(b.code, 1, b.stderr);
    assert.match(b.stderr, /segment \d+/);
    assert.doesNotMatch(b.stderr + b.stdout, /SECRET-C9/);
    assert.equal(runCli(['post', '--tenant', 'demo', ...w.state]).code, 2);
    const dl = runCli(['denials', 'list', '--tenant', 'demo', '--category', 'medical_necessity', ...w.state]);
    assert.equal(dl.code, 0, dl.stderr);
    const dep = runCli(['deposits', 'add', 'EFT-CLI', '1.00', '2024-03-08', '--tenant', 'demo', ...w.state]);
    assert.equal(dep.code, 0, dep.stderr);
    assert.match(dep.stdout, /MISMATCH/);
  });

  test('SIGKILL mid-posting: after a restart and a second post, every dollar is posted once', { timeout: 600000 }, async () => {
    const REMITS = 10, PER = 400, TOTAL = REMITS * PER;
    makeClaims(w.srv.stateDir, { tenant, patient, payer, provider, prefix: 'K', n: TOTAL });
    const remits = [];
    let expected = 0;
    for (let r = 0; r < REMITS; r++) {
      const claims = [];
      for (let i = 1; i <= PER; i++) {
        const c = paidClaim(`K${r * PER + i}`, r * PER + i);
        expected += c.paid;
        claims.push(c);
      }
      remits.push({ trace: `EFT-K${r}`, claims });
    }
    const file = write835(remits, { firstControl: 500 });
    const inK = "FROM claim WHERE control_number LIKE 'K%'";
    // start the post and kill the server once some, not all, remittances are in
    const pending = post(biller.token, file).catch((e) => ({ error: e }));
    let seen = 0;
    for (let i = 0; i < 2000; i++) {
      seen = n("SELECT count(*) FROM remittance WHERE trace_number LIKE 'EFT-K%'");
      if (seen >= 1) break;
      await sleep(5);
    }
    await w.srv.stop('SIGKILL');
    await pending;
    const atKill = n("SELECT count(*) FROM remittance WHERE trace_number LIKE 'EFT-K%'");
    assert.ok(seen >= 1, 'some remittances were posted before the kill');
    const partial = n(`SELECT COALESCE(sum(paid_cents), 0) ${inK}`);
    // every committed remittance is whole: its claims are paid, no others
    assert.equal(n("SELECT count(*) FROM claim_payment cp JOIN remittance r ON r.id = cp.remittance_id WHERE r.trace_number LIKE 'EFT-K%'"), atKill * PER);
    assert.ok(partial <= expected);
    // restart on the same database and post the same file again
    const stateDir = w.srv.stateDir;
    w.srv = await startServer({ stateDir, sets: ['server.max_body_bytes=16777216'] });
    const again = await w.srv.request('POST', '/v1/remittances', {
      headers: { authorization: `Bearer ${biller.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ x12: file }) });
    assert.ok([200, 201].includes(again.status), again.text);
    assert.equal(again.json.already_posted, atKill);
    assert.equal(again.json.posted, REMITS - atKill);
    assert.equal(n(`SELECT sum(paid_cents) ${inK}`), expected, 'every dollar posted exactly once');
    assert.equal(n("SELECT count(*) FROM remittance WHERE trace_number LIKE 'EFT-K%'"), REMITS);
    assert.equal(n(`SELECT count(*) FROM claim_payment cp JOIN claim c ON c.id = cp.claim_id WHERE c.control_number LIKE 'K%'`), TOTAL);
    assert.equal(n(`SELECT count(*) FROM (SELECT claim_id FROM claim_payment WHERE claim_id IS NOT NULL GROUP BY claim_id HAVING count(*) > 1) x`), 0, 'no claim paid twice');
    assert.equal(n(`SELECT count(*) ${inK} AND state <> 'partially_paid'`), 0);
    process.stderr.write(`# SIGKILL test: ${atKill} of ${REMITS} remittances were in at the kill (${PG ? 'postgres' : 'sqlite'})\n`);
  });
});
