// Tenant isolation over every route that takes an id, read from the OpenAPI
// document: another tenant's object answers exactly like a missing one, and
// is left unchanged. A new route with an id fails this test until it is
// given an object to try here.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';

import { assertProblem, dbQuery, enrollMfa, runCli, startServer } from './harness.mjs';
import { makeClaims, paidClaim, write835 } from './x835.mjs';

const doc = JSON.parse(readFileSync(new URL('../../src/api/openapi.json', import.meta.url), 'utf8'));
const strongPassword = () => `pw-${randomBytes(18).toString('base64url')}`;

describe('tenant isolation on every route with an id', () => {
  let srv;
  const owner = {};   // tenant slug -> bearer token of an owner with a second factor
  const made = {};    // path pattern -> id of an object in tenant "alpha"
  let alphaStaff;     // a biller of alpha, assigned to alpha's client practice
  const state = () => ['--set', `state_dir=${srv.stateDir}`];
  const call = (tenant, method, path, body) => srv.request(method, path, {
    headers: { authorization: `Bearer ${owner[tenant]}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });

  const COVERAGE = { payer_id: '60054', coverage_order: 'primary', relationship: 'self', member_id: 'W0001' };
  // For each path with an id: how to make an object in tenant alpha, and the
  // body each method sends (valid, so that only the scoping can refuse it).
  const ROUTES = {
    '/v1/users/{id}': {
      make: async () => (await call('alpha', 'POST', '/v1/users', { email: `u${randomBytes(3).toString('hex')}@alpha.example`,
        display_name: 'Alpha User', role: 'coder', password: strongPassword() })).json.id,
      body: { patch: { display_name: 'Renamed by beta' } },
      unchanged: async (id) => assert.equal((await call('alpha', 'GET', `/v1/users/${id}`)).json.display_name, 'Alpha User'),
    },
    '/v1/users/{id}/unlock': { same: '/v1/users/{id}' },
    // a client practice of alpha with one of alpha's staff assigned to it;
    // {user_id} is that staff member (alphaStaff)
    '/v1/clients/{id}/assignments': {
      make: async () => {
        const c = await call('alpha', 'POST', '/v1/clients', { slug: `alpha-c${randomBytes(3).toString('hex')}`, name: 'Alpha Client' });
        alphaStaff ??= (await call('alpha', 'POST', '/v1/users', { email: `staff${randomBytes(3).toString('hex')}@alpha.example`,
          display_name: 'Alpha Staff', role: 'biller', password: strongPassword() })).json.id;
        const a = await call('alpha', 'POST', `/v1/clients/${c.json.id}/assignments`, { user_id: alphaStaff, role: 'coder' });
        assert.equal(a.status, 200, a.text);
        return c.json.id;
      },
      body: { post: () => ({ user_id: alphaStaff, role: 'biller' }) },
      unchanged: async (id) => assert.deepEqual((await call('alpha', 'GET', `/v1/clients/${id}/assignments`)).json.assignments
        .map((a) => [a.user_id, a.role]), [[alphaStaff, 'coder']]),
    },
    '/v1/clients/{id}/assignments/{user_id}': { same: '/v1/clients/{id}/assignments' },
    '/v1/api-keys/{id}': {
      make: async () => (await call('alpha', 'POST', '/v1/api-keys', { name: 'alpha key', role: 'biller', expires_in_days: 30 })).json.id,
      unchanged: async (id) => {
        const keys = (await call('alpha', 'GET', '/v1/api-keys')).json.api_keys;
        assert.ok(keys.some((k) => k.id === id && k.revoked === false));
      },
    },
    '/v1/jobs/{id}': {
      make: async () => (await call('alpha', 'POST', '/v1/tenant/keys/rotate', { batch: 10 })).json.id,
      unchanged: async (id) => assert.equal((await call('alpha', 'GET', `/v1/jobs/${id}`)).json.kind, 'keys.rotate_tenant'),
    },
    '/v1/patients/{id}/coverages': {
      make: async () => (await call('alpha', 'POST', '/v1/patients', { last_name: 'Covered', first_name: 'Alpha', dob: '1970-01-01' })).json.id,
      body: { post: COVERAGE },
      unchanged: async (id) => assert.deepEqual((await call('alpha', 'GET', `/v1/patients/${id}/coverages`)).json.coverages, []),
    },
    '/v1/coverages/{id}': {
      make: async () => {
        const patient = (await call('alpha', 'POST', '/v1/patients', { last_name: 'Covered', first_name: 'Beta', dob: '1971-01-01' })).json.id;
        return (await call('alpha', 'POST', `/v1/patients/${patient}/coverages`, COVERAGE)).json.id;
      },
      body: { patch: { plan_name: 'Renamed by beta' } },
      unchanged: async (id) => assert.equal((await call('alpha', 'GET', `/v1/coverages/${id}`)).json.plan_name, null),
    },
    '/v1/patients/{id}/guarantors': {
      make: async () => (await call('alpha', 'POST', '/v1/patients', { last_name: 'Guaranteed', first_name: 'Alpha', dob: '1970-01-01' })).json.id,
      body: { post: { relationship: 'parent', last_name: 'Parent' } },
      unchanged: async (id) => assert.deepEqual((await call('alpha', 'GET', `/v1/patients/${id}/guarantors`)).json.guarantors, []),
    },
    '/v1/guarantors/{id}': {
      make: async () => {
        const patient = (await call('alpha', 'POST', '/v1/patients', { last_name: 'Guaranteed', first_name: 'Beta', dob: '1971-01-01' })).json.id;
        return (await call('alpha', 'POST', `/v1/patients/${patient}/guarantors`, { relationship: 'parent', last_name: 'Parent' })).json.id;
      },
      body: { patch: { city: 'Beta Town' } },
      unchanged: async (id) => assert.equal((await call('alpha', 'GET', `/v1/guarantors/${id}`)).json.city, null),
    },
    '/v1/providers/{id}': {
      make: async () => (await call('alpha', 'POST', '/v1/providers', { npi: '1234567893', entity: 'organization', name: 'Alpha Clinic' })).json.id,
      body: { patch: { name: 'Renamed by beta' } },
      unchanged: async (id) => assert.equal((await call('alpha', 'GET', `/v1/providers/${id}`)).json.name, 'Alpha Clinic'),
    },
    '/v1/payers/{id}': {
      make: async () => (await call('alpha', 'POST', '/v1/payers', { payer_id: '60054', name: 'Alpha Payer' })).json.id,
      body: { patch: { name: 'Renamed by beta' } },
      unchanged: async (id) => assert.equal((await call('alpha', 'GET', `/v1/payers/${id}`)).json.name, 'Alpha Payer'),
    },
    '/v1/payers/{id}/rules': {
      make: async () => {
        const id = (await call('alpha', 'POST', '/v1/payers', { payer_id: '60055', name: 'Alpha Ruled' })).json.id;
        const r = await call('alpha', 'POST', `/v1/payers/${id}/rules`, { rules: '[required]\nfields = billing.taxonomy\n' });
        assert.equal(r.status, 200, r.text);
        return id;
      },
      body: { post: { rules: '[edits]\ndisable = dx-valid\n' } },
      unchanged: async (id) => assert.equal((await call('alpha', 'GET', `/v1/payers/${id}/rules`)).json.rules,
        '[required]\nfields = billing.taxonomy\n'),
    },
    '/v1/fee-schedules/{id}': {
      make: async () => (await call('alpha', 'POST', '/v1/fee-schedules', { procedure: '99213', amount_cents: 12500 })).json.id,
      body: { patch: { amount_cents: 1 } },
      unchanged: async (id) => assert.equal((await call('alpha', 'GET', `/v1/fee-schedules/${id}`)).json.amount_cents, 12500),
    },
    '/v1/patients/{id}/encounters': {
      make: async () => (await call('alpha', 'POST', '/v1/patients', { last_name: 'Seen', first_name: 'Alpha', dob: '1970-01-01' })).json.id,
      body: { post: { claim_kind: 'professional', billing_provider_id: 1, service_from: '2026-11-02', place_of_service: '11',
        diagnoses: ['I10'], lines: [{ procedure: '99213', dx_pointers: [1], charge_cents: 100 }] } },
      unchanged: async (id) => assert.deepEqual((await call('alpha', 'GET', `/v1/encounters?patient_id=${id}`)).json.encounters, []),
    },
    '/v1/encounters/{id}': {
      make: async () => {
        const patient = (await call('alpha', 'POST', '/v1/patients', { last_name: 'Seen', first_name: 'Beta', dob: '1971-01-01' })).json.id;
        const clinic = (await call('alpha', 'POST', '/v1/providers', { npi: '1245319599', entity: 'organization', name: 'Alpha Clinic' })).json.id;
        const e = await call('alpha', 'POST', `/v1/patients/${patient}/encounters`, { claim_kind: 'professional', billing_provider_id: clinic,
          service_from: '2026-11-02', place_of_service: '11', diagnoses: ['I10'], lines: [{ procedure: '99213', dx_pointers: [1], charge_cents: 100 }] });
        assert.equal(e.status, 201, e.text);
        return e.json.id;
      },
      body: { patch: { note: 'changed by beta' } },
      unchanged: async (id) => assert.equal((await call('alpha', 'GET', `/v1/encounters/${id}`)).json.note, null),
    },
    '/v1/remittances/{id}': {
      make: async () => (await call('alpha', 'POST', '/v1/remittances', { x12: write835([{ trace: 'ISO-R1', claims: [paidClaim('NONE-1')] }]) })).json.remittances[0].id,
      unchanged: async (id) => assert.equal((await call('alpha', 'GET', `/v1/remittances/${id}`)).json.n_claims, 1),
    },
    '/v1/unmatched-payments/{id}/match': {
      make: async () => {
        await call('alpha', 'POST', '/v1/remittances', { x12: write835([{ trace: 'ISO-U1', claims: [paidClaim('NONE-2')] }], { firstControl: 301 }) });
        return (await call('alpha', 'GET', '/v1/unmatched-payments')).json.unmatched_payments.find((p) => p.control_number === 'NONE-2').id;
      },
      body: { post: { claim_id: 1 } },
      unchanged: async (id) => assert.ok((await call('alpha', 'GET', '/v1/unmatched-payments')).json.unmatched_payments.some((p) => p.id === id)),
    },
    '/v1/denials/{id}': {
      make: async () => {
        const patient = (await call('alpha', 'POST', '/v1/patients', { last_name: 'Denied', first_name: 'Alpha', dob: '1972-01-01' })).json.id;
        const provider = (await call('alpha', 'POST', '/v1/providers', { npi: '1245319599', entity: 'organization', name: 'Alpha Clinic' })).json.id;
        const payer = (await call('alpha', 'POST', '/v1/payers', { payer_id: 'ACME01', name: 'Acme' })).json.id;
        const tenant = Number(dbQuery(srv.stateDir, "SELECT id FROM tenant WHERE slug = 'alpha'"));
        makeClaims(srv.stateDir, { tenant, patient, payer, provider, prefix: 'ISO', n: 1 });
        const r = await call('alpha', 'POST', '/v1/remittances', { x12: write835([{ trace: 'ISO-D1', claims: [{ control: 'ISO1', status: '4', charge: 15000, paid: 0,
          lines: [{ proc: '99213', charge: 10000, paid: 0, cas: [['CO', '50', 10000]] }, { proc: '36415', charge: 5000, paid: 0, cas: [['CO', '45', 5000]] }] }] }], { firstControl: 401 }) });
        assert.equal(r.status, 201, r.text);
        return (await call('alpha', 'GET', '/v1/denials')).json.denials[0].id;
      },
      body: { post: { action: 'close' } },
      unchanged: async (id) => assert.equal((await call('alpha', 'GET', `/v1/denials/${id}`)).json.state, 'open'),
    },
    '/v1/denials/{id}/actions': { same: '/v1/denials/{id}' },
    '/v1/encounters/{id}/claims': { same: '/v1/encounters/{id}' },
    '/v1/claims/{id}': {
      make: async () => {
        const patient = (await call('alpha', 'POST', '/v1/patients', { last_name: 'Billed', first_name: 'Alpha', dob: '1972-01-01', sex: 'F' })).json.id;
        const clinic = (await call('alpha', 'POST', '/v1/providers', { npi: '1245319599', entity: 'organization', name: 'Alpha Clinic',
          tax_id: '123456789', address_line1: '1 Main St', city: 'Alphaville', state: 'IL', postal_code: '627011234' })).json.id;
        await call('alpha', 'POST', '/v1/payers', { payer_id: 'ALPHA1', name: 'Alpha Payer' });
        const cov = (await call('alpha', 'POST', `/v1/patients/${patient}/coverages`, { payer_id: 'ALPHA1', coverage_order: 'primary', relationship: 'self', member_id: 'A1' })).json.id;
        const e = (await call('alpha', 'POST', `/v1/patients/${patient}/encounters`, { claim_kind: 'professional', billing_provider_id: clinic, coverage_id: cov,
          service_from: '2026-11-02', place_of_service: '11', diagnoses: ['I10'], lines: [{ procedure: '99213', dx_pointers: [1], charge_cents: 100 }] })).json.id;
        const c = await call('alpha', 'POST', `/v1/encounters/${e}/claims`);
        assert.equal(c.status, 201, c.text);
        assert.equal(c.json.state, 'ready', JSON.stringify(c.json.scrub));
        return c.json.id;
      },
      body: { post: { to: 'voided', reason: 'beta tries to void' } },
      unchanged: async (id) => assert.notEqual((await call('alpha', 'GET', `/v1/claims/${id}`)).json.state, 'voided'),
    },
    '/v1/claims/{id}/events': { same: '/v1/claims/{id}' },
    '/v1/claims/{id}/moves': { same: '/v1/claims/{id}' },
    // follow-ups: another tenant's claim is not found before the body is looked at
    '/v1/claims/{id}/corrections': {
      make: async () => ROUTES['/v1/claims/{id}'].make(),
      body: { post: { reason: 'beta tries to correct' } },
      unchanged: async (id) => assert.equal((await call('alpha', 'GET', `/v1/claims/${id}`)).json.state, 'ready'),
    },
    '/v1/claims/{id}/void': { same: '/v1/claims/{id}/corrections' },
    '/v1/claims/{id}/secondary': { same: '/v1/claims/{id}/corrections' },
    '/v1/batches/{id}': {
      make: async () => {
        (await ROUTES['/v1/claims/{id}'].make());
        const b = await call('alpha', 'POST', '/v1/batches');
        assert.equal(b.status, 201, b.text);
        return b.json.batches[0].id;
      },
      unchanged: async (id) => assert.equal((await call('alpha', 'GET', `/v1/batches/${id}`)).json.id, id),
    },
    '/v1/batches/{id}/x12': { same: '/v1/batches/{id}' },
    '/v1/patients/{id}': {
      make: async () => (await call('alpha', 'POST', '/v1/patients', { last_name: 'Alpha', first_name: 'Patient', dob: '1975-04-04' })).json.id,
      body: { patch: { city: 'Beta Town' } },
      unchanged: async (id) => assert.equal((await call('alpha', 'GET', `/v1/patients/${id}`)).json.city, null),
    },
  };

  before(async () => {
    srv = await startServer();
    for (const slug of ['alpha', 'beta']) {
      assert.equal(runCli(['tenant', 'add', '--slug', slug, '--name', `Tenant ${slug}`, ...state()]).code, 0);
      const pw = strongPassword();
      const email = `owner@${slug}.example`;
      const add = runCli(['user', 'add', '--tenant', slug, '--email', email, '--name', 'Owner', '--role', 'owner',
        '--password-file', '-', ...state()], { input: `${pw}\n` });
      assert.equal(add.code, 0, add.stderr);
      const l = await srv.request('POST', '/v1/auth/login', {
        headers: { 'content-type': 'application/json' }, body: JSON.stringify({ tenant: slug, email, password: pw }),
      });
      assert.equal(l.status, 200, l.text);
      owner[slug] = l.json.token;
      await enrollMfa(srv, owner[slug]);
    }
  });
  after(async () => {
    if (srv) {
      assert.equal((await srv.stop()).code, 0, srv.stderr);
      srv.cleanup();
    }
  });

  test('every route with an id in the OpenAPI document has an object to try', () => {
    const withId = Object.keys(doc.paths).filter((p) => p.includes('{id}'));
    assert.ok(withId.length >= 4);
    for (const p of withId) assert.ok(ROUTES[p], `add ${p} to ROUTES in this test`);
  });

  test('another tenant\'s object answers 404 like a missing one, and does not change', async () => {
    for (const [pattern, ops] of Object.entries(doc.paths)) {
      if (!pattern.includes('{id}')) continue;
      const route = ROUTES[pattern].same ? ROUTES[ROUTES[pattern].same] : ROUTES[pattern];
      const key = ROUTES[pattern].same ?? pattern;
      made[key] ??= await route.make();
      const id = made[key];
      assert.ok(Number.isInteger(id), `${pattern}: object made`);
      for (const method of Object.keys(ops).map((m) => m.toUpperCase())) {
        let body = route.body?.[method.toLowerCase()] ?? (method === 'PATCH' ? {} : undefined);
        if (typeof body === 'function') body = body();
        const at = (v) => pattern.replace('{id}', v).replace('{user_id}', String(alphaStaff));
        const cross = await call('beta', method, at(String(id)), body);
        const missing = await call('beta', method, at('987654321'), body);
        assertProblem(assert, cross, 404, 'not_found');
        assertProblem(assert, missing, 404, 'not_found');
        for (const k of ['type', 'title', 'status', 'detail', 'code']) {
          assert.equal(cross.json[k], missing.json[k], `${method} ${pattern}: ${k}`);
        }
      }
      await route.unchanged(id);
    }
  });
});
