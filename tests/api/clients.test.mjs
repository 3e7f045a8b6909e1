// A billing company and its client practices: the company's owner adds
// clients; its staff log in to a client by naming it and then act wholly
// inside it; no one else gets in, and the client manages no one.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { assertProblem, dbQuery, enrollMfa, runCli, startServer } from './harness.mjs';

const strongPassword = () => `pw-${randomBytes(18).toString('base64url')}`;

describe('billing company and client practices', () => {
  let srv;
  const pw = {};
  const state = () => ['--set', `state_dir=${srv.stateDir}`];
  const addUser = (tenant, email, role) => {
    pw[email] = strongPassword();
    const r = runCli(['user', 'add', '--tenant', tenant, '--email', email, '--name', email, '--role', role,
      '--password-file', '-', ...state()], { input: `${pw[email]}\n` });
    assert.equal(r.code, 0, r.stderr);
  };
  const login = (tenant, email) => srv.request('POST', '/v1/auth/login', {
    headers: { 'content-type': 'application/json' }, body: JSON.stringify({ tenant, email, password: pw[email] }),
  });
  const call = (token, method, path, body) => srv.request(method, path, {
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  let owner;

  before(async () => {
    srv = await startServer();
    for (const [slug, name] of [['billco', 'Billing Co'], ['solo', 'Solo Practice']]) {
      assert.equal(runCli(['tenant', 'add', '--slug', slug, '--name', name, ...state()]).code, 0);
    }
    addUser('billco', 'owner@billco.example', 'owner');
    addUser('billco', 'biller@billco.example', 'biller');
    addUser('solo', 'biller@solo.example', 'biller');
    const l = await login('billco', 'owner@billco.example');
    assert.equal(l.status, 200, l.text);
    owner = l.json.token;
    await enrollMfa(srv, owner);
  });
  after(async () => {
    if (srv) {
      assert.equal((await srv.stop()).code, 0, srv.stderr);
      srv.cleanup();
    }
  });

  test('the owner adds client practices; others may not; slugs stay unique', async () => {
    const c = await call(owner, 'POST', '/v1/clients', { slug: 'clinic-x', name: 'Clinic X' });
    assert.equal(c.status, 201, c.text);
    assert.equal(c.json.slug, 'clinic-x');
    assertProblem(assert, await call(owner, 'POST', '/v1/clients', { slug: 'clinic-x', name: 'Again' }), 409, 'conflict');
    assertProblem(assert, await call(owner, 'POST', '/v1/clients', { slug: 'Bad Slug', name: 'X' }), 422, 'validation_failed');
    const biller = (await login('billco', 'biller@billco.example')).json.token;
    assertProblem(assert, await call(biller, 'POST', '/v1/clients', { slug: 'clinic-y', name: 'Y' }), 403, 'forbidden');
    const list = await call(owner, 'GET', '/v1/clients');
    assert.deepEqual(list.json.clients.map((t) => t.slug), ['clinic-x']);
    // the CLI can do the same, and refuses an unknown manager
    assert.equal(runCli(['tenant', 'add', '--slug', 'clinic-z', '--name', 'Clinic Z', '--manager', 'billco', ...state()]).code, 0);
    assert.equal(runCli(['tenant', 'add', '--slug', 'clinic-q', '--name', 'Q', '--manager', 'nosuch', ...state()]).code, 1);
  });

  test('the company\'s staff log in to a client by naming it and act only inside it', async () => {
    const l = await login('clinic-x', 'biller@billco.example');
    assert.equal(l.status, 200, l.text);
    const inClient = l.json.token;
    const me = await call(inClient, 'GET', '/v1/me');
    const home = await call((await login('billco', 'biller@billco.example')).json.token, 'GET', '/v1/me');
    assert.notEqual(me.json.tenant_id, home.json.tenant_id);
    assert.equal(me.json.home_tenant_id, home.json.tenant_id);
    const p = await call(inClient, 'POST', '/v1/patients', { last_name: 'Client', first_name: 'Patient', dob: '1980-05-05' });
    assert.equal(p.status, 201, p.text);
    const atHome = (await login('billco', 'biller@billco.example')).json.token;
    assert.deepEqual((await call(atHome, 'GET', '/v1/patients')).json.patients, []);
    assertProblem(assert, await call(atHome, 'GET', `/v1/patients/${p.json.id}`), 404, 'not_found');
    assert.equal((await call(inClient, 'GET', `/v1/patients/${p.json.id}`)).status, 200);
    // the audit record is the client's, naming the company's user
    const row = dbQuery(srv.stateDir,
      `SELECT tenant_id, actor_id FROM audit_event WHERE action = 'patient.create' AND object_id = '${p.json.id}'`);
    assert.equal(row, `${me.json.tenant_id}|${me.json.id}`);
  });

  test('nobody else gets in, and a client manages no one', async () => {
    assertProblem(assert, await login('clinic-x', 'biller@solo.example'), 401, 'unauthorized');
    addUser('clinic-x', 'owner@clinicx.example', 'owner');
    assert.equal((await login('clinic-x', 'owner@clinicx.example')).status, 200);
    assertProblem(assert, await login('billco', 'owner@clinicx.example'), 401, 'unauthorized');
    assertProblem(assert, await login('solo', 'biller@billco.example'), 401, 'unauthorized');
    const clientOwner = (await login('clinic-x', 'owner@clinicx.example')).json.token;
    await enrollMfa(srv, clientOwner);
    const r = await call(clientOwner, 'POST', '/v1/clients', { slug: 'sub-client', name: 'Sub' });
    assertProblem(assert, r, 403, 'forbidden');
    assert.deepEqual((await call(clientOwner, 'GET', '/v1/clients')).json.clients, []);
    // the client's user list holds its own users only
    const users = await call(clientOwner, 'GET', '/v1/users');
    assert.deepEqual(users.json.users.map((u) => u.email), ['owner@clinicx.example']);
  });
});
