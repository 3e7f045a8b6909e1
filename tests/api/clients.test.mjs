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
  let ownerMfa;     // { secret, recovery } of the company's owner

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
    ownerMfa = await enrollMfa(srv, owner);
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

  const userId = async (email) => (await call(owner, 'GET', '/v1/users')).json.users.find((u) => u.email === email).id;

  test('the company\'s staff log in to a client by naming it and act only inside it', async () => {
    // staff other than owners and admins need an assignment to the client
    assertProblem(assert, await login('clinic-x', 'biller@billco.example'), 403, 'client_not_assigned');
    const a = await call(owner, 'POST', `/v1/clients/${(await call(owner, 'GET', '/v1/clients')).json.clients[0].id}/assignments`,
      { user_id: await userId('biller@billco.example'), role: 'biller' });
    assert.equal(a.status, 200, a.text);
    assert.equal(a.json.role, 'biller');
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

  test('a biller assigned to two of three clients reaches those two only, with the assigned role', async () => {
    addUser('billco', 'staff@billco.example', 'biller');
    const staffId = await userId('staff@billco.example');
    const ids = {};
    for (const slug of ['p-one', 'p-two', 'p-three']) {
      const c = await call(owner, 'POST', '/v1/clients', { slug, name: slug });
      assert.equal(c.status, 201, c.text);
      ids[slug] = c.json.id;
    }
    // one over REST, one by the CLI (the company's owner or the operator)
    assert.equal((await call(owner, 'POST', `/v1/clients/${ids['p-one']}/assignments`, { user_id: staffId, role: 'biller' })).status, 200);
    const cli = runCli(['tenant', 'assign', '--manager', 'billco', '--client', 'p-two', '--email', 'staff@billco.example',
      '--role', 'coder', ...state()]);
    assert.equal(cli.code, 0, cli.stderr);
    const one = await login('p-one', 'staff@billco.example');
    assert.equal(one.status, 200, one.text);
    assert.equal(one.json.user.role, 'biller');
    const two = await login('p-two', 'staff@billco.example');
    assert.equal(two.status, 200, two.text);
    assert.equal(two.json.user.role, 'coder');
    assert.equal((await call(two.json.token, 'GET', '/v1/me')).json.role, 'coder');
    assertProblem(assert, await login('p-three', 'staff@billco.example'), 403, 'client_not_assigned');
    // the company's owner reaches every client with their own role
    const ownerIn = await srv.request('POST', '/v1/auth/login', { headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ tenant: 'p-three', email: 'owner@billco.example', password: pw['owner@billco.example'],
        recovery_code: ownerMfa.recovery[0] }) });
    assert.equal(ownerIn.status, 200, ownerIn.text);
    assert.equal(ownerIn.json.user.role, 'owner');
    // the staff member's list holds their clients only; the owner's all
    const home = (await login('billco', 'staff@billco.example')).json.token;
    assert.deepEqual((await call(home, 'GET', '/v1/clients')).json.clients.map((c) => c.slug), ['p-one', 'p-two']);
    assert.ok((await call(owner, 'GET', '/v1/clients')).json.clients.length >= 5);
    // staff cannot manage assignments; owners and admins take none
    assertProblem(assert, await call(home, 'POST', `/v1/clients/${ids['p-three']}/assignments`, { user_id: staffId, role: 'biller' }), 403, 'forbidden');
    assertProblem(assert, await call(owner, 'POST', `/v1/clients/${ids['p-three']}/assignments`,
      { user_id: await userId('owner@billco.example'), role: 'biller' }), 422, 'validation_failed');
    assertProblem(assert, await call(owner, 'POST', `/v1/clients/${ids['p-three']}/assignments`, { user_id: staffId, role: 'owner' }), 422, 'validation_failed');
    assertProblem(assert, await call(owner, 'POST', `/v1/clients/${ids['p-three']}/assignments`, { user_id: staffId, role: 'biller', x: 1 }), 422, 'validation_failed');
    const list = await call(owner, 'GET', `/v1/clients/${ids['p-two']}/assignments`);
    assert.deepEqual(list.json.assignments.map((a) => [a.email, a.role]), [['staff@billco.example', 'coder']]);
    // taking the assignment away ends the live session in that client at once
    const del = await call(owner, 'DELETE', `/v1/clients/${ids['p-two']}/assignments/${staffId}`);
    assert.equal(del.status, 200, del.text);
    assertProblem(assert, await call(two.json.token, 'GET', '/v1/me'), 403, 'client_not_assigned');
    assertProblem(assert, await call(owner, 'DELETE', `/v1/clients/${ids['p-two']}/assignments/${staffId}`), 404, 'not_found');
    assert.equal(runCli(['tenant', 'unassign', '--manager', 'billco', '--client', 'p-one', '--email', 'staff@billco.example', ...state()]).code, 0);
    assertProblem(assert, await login('p-one', 'staff@billco.example'), 403, 'client_not_assigned');
    // each change is audited in the company's log and in the client's
    const n = dbQuery(srv.stateDir, `SELECT count(*) FROM audit_event WHERE action IN ('client.assign', 'client.unassign') AND object_id = '${ids['p-two']}:${staffId}'`);
    assert.equal(n, '4');
  });
});
