// A/R reports and KPIs over the live server and the CLI: claims, payments and
// denials inserted by SQL beside an encounter made over REST; A/R aging by
// payer and provider on both bases, the KPIs, denials by CARC and payer and
// the timely-filing list with exact numbers worked by hand; who may see
// which report; bad parameters; one audit record per report; the CLI's
// table, CSV (RFC 4180) and JSON, the JSON equal to the API's.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { assertProblem, dbQuery, runCli, world } from './harness.mjs';

const T = '2026-12-01';
const DAY = Date.UTC(2026, 11, 1) / 86400000;

// RFC 4180: quoted fields, doubled quotes, CRLF records.
function parseCsv(text) {
  const rows = [];
  let row = [], field = '', quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i++; }
      else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') { row.push(field); field = ''; }
    else if (c === '\r' && text[i + 1] === '\n') { row.push(field); rows.push(row); row = []; field = ''; i++; }
    else field += c;
  }
  assert.equal(field, '', 'the last record ends with CRLF');
  return rows;
}

describe('reports', () => {
  let w, biller, analyst, frontDesk, payerA, payerB, clinic, doctor;

  before(async () => {
    w = await world();
    biller = await w.user('biller', 'rep.biller');
    analyst = await w.user('analyst', 'rep.analyst');
    frontDesk = await w.user('front_desk', 'rep.front');
    const mk = async (path, body) => {
      const r = await w.send('POST', biller.token, path, body);
      assert.equal(r.status, 201, r.text);
      return r.json.id;
    };
    const patient = await mk('/v1/patients', { last_name: 'Quill', first_name: 'Ada', dob: '1958-05-06' });
    doctor = await mk('/v1/providers', { npi: '1234567893', entity: 'person', name: 'Okafor', first_name: 'Nneka' });
    clinic = await mk('/v1/providers', { npi: '1245319599', entity: 'organization', name: 'Springfield Clinic', tax_id: '123456789' });
    payerA = await mk('/v1/payers', { payer_id: '60054', name: 'Alpha Health', timely_filing_days: 90 });
    payerB = await mk('/v1/payers', { payer_id: '87726', name: 'Beta Care', timely_filing_days: 365 });
    const coverage = await mk(`/v1/patients/${patient}/coverages`, { payer_id: '60054', coverage_order: 'primary', relationship: 'self', member_id: 'M-9' });
    const enc = await mk(`/v1/patients/${patient}/encounters`, {
      claim_kind: 'professional', coverage_id: coverage, billing_provider_id: clinic, service_from: '2026-06-01', place_of_service: '11',
      diagnoses: ['I10'], lines: [{ procedure: '99213', charge_cents: 10000, dx_pointers: [1] }] });
    const tenant = dbQuery(w.srv.stateDir, "SELECT id FROM tenant WHERE slug = 'demo'");
    // id, state, payer ref, payer id, age, charge, paid, adj, pr, first submitted and
    // adjudicated (days before T, 0 = none), rendering
    const claims = [
      [9001, 'submitted', payerA, '60054', 10, 10000, 0, 0, 0, 8, 0, 'NULL'],
      [9002, 'denied', payerB, '87726', 45, 20000, 0, 0, 0, 40, 5, doctor],
      [9003, 'partially_paid', payerA, '60054', 100, 30000, 20000, 4000, 1000, 95, 60, 'NULL'],
      [9004, 'draft', payerA, '60054', 85, 5000, 0, 0, 0, 0, 0, 'NULL'],
    ];
    const day = (d) => (d ? DAY - d : 'NULL');
    const stmts = claims.map(([id, state, ref, pid, age, charge, paid, adj, pr, fs, adjud, rend]) =>
      `INSERT INTO claim (id, tenant_id, patient_id, encounter_id, uid, created_ms, updated_ms, control_number,
        state, claim_kind, frequency, sequence, payer_ref, payer_id, billing_provider_id, rendering_provider_id,
        service_from, service_to, charge_cents, paid_cents, adjustment_cents, patient_resp_cents, fingerprint,
        first_submitted_day, submitted_day, adjudicated_day) VALUES (${id}, ${tenant}, ${patient}, ${enc},
        '${String(id).padStart(32, 'r')}', 1, 1, 'C${id}', '${state}', 'professional', '1', 'primary', ${ref},
        '${pid}', ${clinic}, ${rend}, ${DAY - age}, ${DAY - age}, ${charge}, ${paid}, ${adj}, ${pr}, 'fp${id}',
        ${day(fs)}, ${day(fs)}, ${day(adjud)});`);
    stmts.push(
      `INSERT INTO remittance (id, tenant_id, created_ms, source, payer_id, trace_number, payment_cents, payment_day)
        VALUES (901, ${tenant}, 1, 'era', '60054', 'TR1', 20000, ${DAY - 60}),
               (902, ${tenant}, 1, 'era', '87726', 'TR2', 0, ${DAY - 5});`,
      `INSERT INTO claim_payment (id, tenant_id, remittance_id, seq, claim_id, matched_by, control_number,
        status_code, charge_cents, paid_cents, patient_resp_cents) VALUES
        (901, ${tenant}, 901, 1, 9003, 'control_number', 'C9003', '2', 30000, 20000, 1000),
        (902, ${tenant}, 902, 1, 9002, 'control_number', 'C9002', '4', 20000, 0, 0);`,
      `INSERT INTO payment_adjustment (id, tenant_id, claim_payment_id, group_code, carc, amount_cents) VALUES
        (901, ${tenant}, 901, 'CO', '45', 4000), (902, ${tenant}, 901, 'PR', '1', 1000),
        (903, ${tenant}, 902, 'CO', '16', 20000);`,
      `INSERT INTO denial (id, tenant_id, claim_id, created_ms, payer_id, group_code, carc, amount_cents, category,
        denied_day, appeal_deadline) VALUES (901, ${tenant}, 9002, 1, '87726', 'CO', '16', 20000, 'coding',
        ${DAY - 5}, ${DAY + 175});`);
    dbQuery(w.srv.stateDir, stmts.join('\n'));
  });
  after(async () => {
    await w.srv.stop();
    w.srv.cleanup();
  });

  const get = (token, path) => w.send('GET', token, path);

  test('A/R aging by payer, provider and submission: exact buckets', async () => {
    const r = await get(analyst.token, `/v1/reports/ar-aging?as_of=${T}`);
    assert.equal(r.status, 200, r.text);
    assert.deepEqual(r.json.buckets, ['0-30', '31-60', '61-90', '91-120', '120+']);
    assert.equal(r.json.as_of, T);
    assert.equal(r.json.basis, 'service');
    assert.deepEqual(r.json.rows.map((x) => [x.code, x.name, x.claims, x.bucket_cents, x.balance_cents]), [
      ['60054', 'Alpha Health', 2, [10000, 0, 0, 5000, 0], 15000],
      ['87726', 'Beta Care', 1, [0, 20000, 0, 0, 0], 20000],
    ]);
    assert.deepEqual(r.json.total.bucket_cents, [10000, 20000, 0, 5000, 0]);
    assert.equal(r.json.total.claims, 3);
    const p = await get(biller.token, `/v1/reports/ar-aging?as_of=${T}&group_by=rendering_provider`);
    assert.equal(p.status, 200, p.text);
    assert.deepEqual(p.json.rows.map((x) => [x.code, x.name, x.balance_cents]), [
      ['1234567893', 'Okafor, Nneka', 20000], ['1245319599', 'Springfield Clinic', 15000]]);
    const s = await get(analyst.token, `/v1/reports/ar-aging?as_of=${T}&basis=submission&group_by=provider`);
    assert.equal(s.status, 200, s.text);
    assert.equal(s.json.group_by, 'billing_provider');
    assert.deepEqual(s.json.total.bucket_cents, [10000, 20000, 0, 5000, 0]);
    assertProblem(assert, await get(analyst.token, '/v1/reports/ar-aging?basis=posting'), 400, 'bad_request');
    assertProblem(assert, await get(analyst.token, '/v1/reports/ar-aging?as_of=2026-13-01'), 400, 'bad_request');
  });

  test('KPIs of a 90-day period, worked by hand', async () => {
    const r = await get(biller.token, `/v1/reports/kpis?from=2026-09-03&to=${T}`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.period_days, 90);
    assert.deepEqual(r.json.inputs, {
      ar_claims: 3, ar_cents: 35000, gross_charges_cents: 35000, submitted: 2, clean_first_pass: 1,
      adjudicated: 2, adjudicated_cents: 50000, paid_first_pass: 1, denied: 1, denied_cents: 20000,
      payments_cents: 20000, payment_charges_cents: 50000, contractual_cents: 4000 });
    const v = Object.fromEntries(Object.entries(r.json.kpis).map(([k, x]) => [k, x.value]));
    assert.deepEqual(v, { days_in_ar: '90.00', clean_claim_rate: '50.00', first_pass_rate: '50.00',
      denial_rate_count: '50.00', denial_rate_amount: '40.00', net_collection_rate: '43.48' });
    const empty = await get(biller.token, '/v1/reports/kpis?from=2001-01-01&to=2001-03-31');
    assert.equal(empty.status, 200, empty.text);
    assert.equal(empty.json.kpis.clean_claim_rate.applicable, false);
    assert.equal(empty.json.kpis.clean_claim_rate.value, null);
    assertProblem(assert, await get(biller.token, `/v1/reports/kpis?from=${T}&to=2026-01-01`), 400, 'bad_request');
  });

  test('denials by CARC and by payer', async () => {
    const c = await get(analyst.token, `/v1/reports/denials?from=2026-09-03&to=${T}`);
    assert.equal(c.status, 200, c.text);
    assert.deepEqual(c.json.rows.map((x) => [x.group_code, x.carc, x.category, x.denials, x.amount_cents]),
      [['CO', '16', 'coding', 1, 20000]]);
    assert.deepEqual(c.json.total, { denials: 1, claims: 1, amount_cents: 20000 });
    const p = await get(analyst.token, `/v1/reports/denials?from=2026-09-03&to=${T}&group_by=payer`);
    assert.equal(p.status, 200, p.text);
    assert.deepEqual(p.json.rows.map((x) => [x.payer_id, x.payer_name, x.denials, x.adjudicated, x.denial_rate_count.value]),
      [['87726', 'Beta Care', 1, 1, '100.00'], ['60054', 'Alpha Health', 0, 1, '0.00']]);
    assertProblem(assert, await get(analyst.token, '/v1/reports/denials?group_by=rarc'), 400, 'bad_request');
  });

  test('timely filing: ids and dates for phi.read holders', async () => {
    const r = await get(frontDesk.token, `/v1/reports/timely-filing?as_of=${T}`);
    assert.equal(r.status, 200, r.text);
    assert.equal(r.json.total, 1);
    assert.deepEqual(r.json.items, [{ kind: 'claim', id: 9004, state: 'draft', payer_id: '60054',
      service_date: '2026-09-07', limit_days: 90, deadline: '2026-12-06', days_left: 5, alert: '7' }]);
  });

  test('who may see which report', async () => {
    assertProblem(assert, await get(frontDesk.token, '/v1/reports/ar-aging'), 403, 'forbidden');
    assertProblem(assert, await get(frontDesk.token, '/v1/reports/kpis'), 403, 'forbidden');
    assertProblem(assert, await get(analyst.token, '/v1/reports/timely-filing'), 403, 'forbidden');
    assert.equal((await get(w.owner.token, '/v1/reports/denials')).status, 200);
    assert.equal((await w.srv.request('GET', '/v1/reports/kpis')).status, 401);
  });

  test('each report is audited once', async () => {
    const before = Number(dbQuery(w.srv.stateDir, "SELECT count(*) FROM audit_event WHERE action = 'report.kpis'"));
    assert.equal((await get(analyst.token, '/v1/reports/kpis')).status, 200);
    const rows = dbQuery(w.srv.stateDir, `SELECT actor_id || ':' || object_type FROM audit_event
      WHERE action = 'report.kpis' ORDER BY seq`).split('\n');
    assert.equal(rows.length, before + 1);
    assert.equal(rows.at(-1), `${analyst.id}:report`);
  });

  test('CLI: table, CSV and JSON; exit codes', async () => {
    const csv = runCli(['report', 'ar-aging', '--tenant', 'demo', '--as-of', T, '--format', 'csv', ...w.state]);
    assert.equal(csv.code, 0, csv.stderr);
    assert.deepEqual(parseCsv(csv.stdout), [
      ['payer_id', 'payer', 'claims', '0-30', '31-60', '61-90', '91-120', '120+', 'total'],
      ['60054', 'Alpha Health', '2', '100.00', '0.00', '0.00', '50.00', '0.00', '150.00'],
      ['87726', 'Beta Care', '1', '0.00', '200.00', '0.00', '0.00', '0.00', '200.00'],
      ['', 'TOTAL', '3', '100.00', '200.00', '0.00', '50.00', '0.00', '350.00'],
    ]);
    const prov = runCli(['report', 'ar-aging', '--tenant', 'demo', '--as-of', T, '--group-by', 'rendering_provider',
      '--format', 'csv', ...w.state]);
    assert.equal(prov.code, 0, prov.stderr);
    assert.equal(parseCsv(prov.stdout)[1][1], 'Okafor, Nneka', 'a comma is quoted');
    assert.match(prov.stdout, /"Okafor, Nneka"/);
    const json = runCli(['report', 'kpis', '--tenant', 'demo', '--from', '2026-09-03', '--to', T, '--format', 'json', ...w.state]);
    assert.equal(json.code, 0, json.stderr);
    const api = await get(biller.token, `/v1/reports/kpis?from=2026-09-03&to=${T}`);
    assert.deepEqual(JSON.parse(json.stdout), api.json);
    const tf = runCli(['report', 'timely-filing', '--tenant', 'demo', '--as-of', T, '--format', 'json', ...w.state]);
    assert.equal(tf.code, 0, tf.stderr);
    assert.equal(JSON.parse(tf.stdout).items[0].id, 9004);
    const table = runCli(['report', 'kpis', '--tenant', 'demo', '--from', '2026-09-03', '--to', T, ...w.state]);
    assert.equal(table.code, 0, table.stderr);
    const lines = table.stdout.split('\n');
    assert.match(lines[0], /^KPIs 2026-09-03 to 2026-12-01 \(90 days\)$/);
    const head = lines.findIndex((l) => l.startsWith('kpi '));
    assert.ok(head > 0, table.stdout);
    const valueEnd = lines[head].indexOf('value') + 'value'.length;
    for (const l of lines.slice(head + 2, head + 8)) assert.match(l.slice(0, valueEnd), /\d\.\d\d$/, `aligned: ${l}`);
    assert.match(table.stdout, /net_collection_rate\s+43\.48\s+percent\s+200\.00\s+460\.00/);
    const den = runCli(['report', 'denials', '--tenant', 'demo', '--to', T, '--group-by', 'payer', ...w.state]);
    assert.equal(den.code, 0, den.stderr);
    assert.match(den.stdout, /87726\s+Beta Care\s+1\s+1\s+200\.00\s+1\s+100\.00/);
    const none = runCli(['report', 'kpis', '--tenant', 'nope', ...w.state]);
    assert.equal(none.code, 1, none.stderr);
    const bad = runCli(['report', 'kpis', '--tenant', 'demo', '--format', 'xml', ...w.state]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--format must be table, csv or json/);
    assert.equal(runCli(['report', 'forecast', '--tenant', 'demo', ...w.state]).code, 2);
  });
});
