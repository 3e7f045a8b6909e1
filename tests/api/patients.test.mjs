// Patients over the live server: field masks per role (minimum necessary),
// blind-index search, tenant isolation, audit of every read, and the
// promise that no name, SSN or member id reaches the database file, its WAL,
// a backup or the operational log in plaintext.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { PG, assertProblem, dbQuery, enrollMfa, pgDump, runCli, startServer } from './harness.mjs';

const ROLES = ['owner', 'admin', 'biller', 'coder', 'front_desk', 'compliance', 'analyst', 'api_client'];
// Written out independently of src/auth/auth_roles.c and include/rcm/patient.h.
const READERS = ['owner', 'biller', 'coder', 'front_desk', 'compliance', 'api_client'];
const WRITERS = ['owner', 'biller', 'front_desk', 'api_client'];
const FINANCIAL = ['owner', 'biller'];
const FINANCIAL_FIELDS = ['ssn', 'bank_routing', 'bank_account'];

// Seeded values: distinctive so that finding one anywhere is no accident.
const SEED = {
  last_name: 'Quixlebottom', first_name: 'Marisabel', middle_name: 'Ysolde', dob: '1958-11-02',
  sex: 'F', address_line1: '4471 Vexmoor Lane', city: 'Zanesborough', state: 'oh', postal_code: '43777',
  phone: '(614) 555-0199', email: 'marisabel.q@example.org', member_id: 'XQZ-7788-1234',
  mrn: 'MRN-55123', ssn: '219-09-9999', bank_routing: '011000015', bank_account: '9876543210123',
};
const SECOND = { last_name: 'Brønnøysund', first_name: 'Ægidius', dob: '1990-01-15', member_id: 'KLM4455667', ssn: '321-54-9876' };

const strongPassword = () => `pw-${randomBytes(18).toString('base64url')}`;

describe('patients', () => {
  let srv;
  const tokens = {};   // role -> bearer token in tenant demo
  let otherBiller;     // a biller of another tenant
  let patientId;
  const state = () => ['--set', `state_dir=${srv.stateDir}`];
  const as = (role, extra = {}) => ({ headers: { authorization: `Bearer ${tokens[role]}`, ...extra } });
  const send = (role, method, path, body) => srv.request(method, path, {
    headers: { authorization: `Bearer ${typeof role === 'string' ? tokens[role] : role.token}`,
      'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

  async function userToken(tenant, role) {
    const email = `${role}.${randomBytes(3).toString('hex')}@${tenant}.example`;
    const pw = strongPassword();
    const add = runCli(['user', 'add', '--tenant', tenant, '--email', email, '--name', `The ${role}`,
      '--role', role, '--password-file', '-', ...state()], { input: `${pw}\n` });
    assert.equal(add.code, 0, add.stderr);
    const l = await srv.request('POST', '/v1/auth/login', {
      headers: { 'content-type': 'application/json' }, body: JSON.stringify({ tenant, email, password: pw }),
    });
    assert.equal(l.status, 200, l.text);
    if (role === 'owner' || role === 'admin') await enrollMfa(srv, l.json.token);
    return l.json.token;
  }

  before(async () => {
    srv = await startServer({ args: ['--demo'] });
    for (const role of ROLES) tokens[role] = await userToken('demo', role);
    assert.equal(runCli(['tenant', 'add', '--slug', 'elsewhere', '--name', 'Elsewhere Clinic', ...state()]).code, 0);
    otherBiller = { token: await userToken('elsewhere', 'biller') };
  });
  after(async () => {
    if (srv) {
      assert.equal((await srv.stop()).code, 0, srv.stderr);
      srv.cleanup();
    }
  });

  test('a biller registers a patient and sees every field, normalised', async () => {
    const r = await send('biller', 'POST', '/v1/patients', SEED);
    assert.equal(r.status, 201, r.text);
    patientId = r.json.id;
    assert.equal(r.json.last_name, SEED.last_name);
    assert.equal(r.json.ssn, '219099999');
    assert.equal(r.json.state, 'OH');
    assert.equal(r.json.phone, '6145550199');
    assert.equal(r.json.bank_account, SEED.bank_account);
    assert.deepEqual(r.json.masked, []);
    const second = await send('biller', 'POST', '/v1/patients', SECOND);
    assert.equal(second.status, 201, second.text);
  });

  test('role x patient route matrix, and financial fields masked for every role without phi.financial', async () => {
    for (const role of ROLES) {
      const g = await srv.request('GET', `/v1/patients/${patientId}`, as(role));
      if (!READERS.includes(role)) {
        assertProblem(assert, g, 403, 'forbidden');
        assertProblem(assert, await srv.request('GET', '/v1/patients', as(role)), 403, 'forbidden');
        assertProblem(assert, await send(role, 'POST', '/v1/patients/search', { mrn: SEED.mrn }), 403, 'forbidden');
      } else {
        assert.equal(g.status, 200, `${role}: ${g.text}`);
        assert.equal(g.json.last_name, SEED.last_name);
        for (const f of FINANCIAL_FIELDS) {
          if (FINANCIAL.includes(role)) {
            assert.ok(g.json[f], `${role} sees ${f}`);
          } else {
            assert.equal(f in g.json, false, `${role} must not see ${f}`);
            assert.ok(g.json.masked.includes(f));
          }
        }
        const list = await srv.request('GET', '/v1/patients?limit=1', as(role));
        assert.equal(list.status, 200);
        assert.equal(list.json.patients.length, 1);
        assert.equal(typeof list.json.next_after, 'number');
        assert.ok(!JSON.stringify(list.json).includes('219099999') || FINANCIAL.includes(role));
      }
      const c = await send(role, 'POST', '/v1/patients', { last_name: 'New', first_name: role, dob: '2001-02-03' });
      if (WRITERS.includes(role)) assert.equal(c.status, 201, `${role}: ${c.text}`);
      else assertProblem(assert, c, 403, 'forbidden');
    }
  });

  test('every patient route refuses anonymous and forged credentials', async () => {
    const forged = randomBytes(32).toString('base64url');
    for (const [method, path] of [['POST', '/v1/patients'], ['GET', '/v1/patients'], ['POST', '/v1/patients/search'],
      ['GET', '/v1/patients/1'], ['PATCH', '/v1/patients/1'], ['DELETE', '/v1/patients/1']]) {
      for (const headers of [{}, { authorization: `Bearer ${forged}` }, { authorization: `Bearer rcmk_${forged}` }]) {
        const r = await srv.request(method, path, { headers });
        assertProblem(assert, r, 401, 'unauthorized');
      }
    }
  });

  test('writing or searching a field one may not see is refused', async () => {
    const r = await send('front_desk', 'POST', '/v1/patients', { ...SECOND, member_id: 'FD-1' });
    assertProblem(assert, r, 403, 'forbidden');
    assert.match(r.json.detail, /ssn/);
    assert.ok(!r.text.includes('321-54-9876'));
    const p = await send('api_client', 'PATCH', `/v1/patients/${patientId}`, { bank_account: '1111' });
    assertProblem(assert, p, 403, 'forbidden');
    assertProblem(assert, await send('coder', 'POST', '/v1/patients/search', { ssn: SEED.ssn }), 403, 'forbidden');
    const ok = await send('biller', 'POST', '/v1/patients/search', { ssn: '219099999' });
    assert.deepEqual(ok.json.patients.map((x) => x.id), [patientId]);
  });

  test('search is exact on normalised values, through blind indexes', async () => {
    const by = async (q) => (await send('coder', 'POST', '/v1/patients/search', q)).json.patients.map((x) => x.id);
    assert.deepEqual(await by({ member_id: 'xqz 7788 1234' }), [patientId]);
    assert.deepEqual(await by({ mrn: 'mrn55123' }), [patientId]);
    assert.deepEqual(await by({ last_name: 'QUIXLEBOTTOM', first_name: 'marisabel', dob: '1958-11-02' }), [patientId]);
    assert.deepEqual(await by({ last_name: 'Quixlebottom', first_name: 'Marisabel', dob: '1958-11-03' }), []);
    assert.deepEqual(await by({ last_name: 'Quixlebot', first_name: 'Marisabel', dob: '1958-11-02' }), []);
    const folded = await by({ last_name: 'bronnoysund', first_name: 'aegidius', dob: '1990-01-15' });
    assert.equal(folded.length, 1);
    const bad = await send('coder', 'POST', '/v1/patients/search', { last_name: 'only' });
    assertProblem(assert, bad, 422, 'validation_failed');
  });

  test('bad values are refused with the field named and the value not echoed', async () => {
    for (const [field, value] of [['dob', '2999-01-01'], ['ssn', '12-34'], ['state', 'Ohio'], ['sex', 'female'],
      ['email', 'nobody'], ['postal_code', '123'], ['nickname', 'x']]) {
      const r = await send('biller', 'POST', '/v1/patients', { ...SECOND, [field]: value });
      assertProblem(assert, r, 422, 'validation_failed');
      assert.match(r.json.detail, new RegExp(field));
      assert.ok(!r.json.detail.includes(value) || field === 'nickname', r.json.detail);
    }
    const missing = await send('biller', 'POST', '/v1/patients', { first_name: 'No', dob: '2000-01-01' });
    assertProblem(assert, missing, 422, 'validation_failed');
    assert.match(missing.json.detail, /last_name is required/);
  });

  test('another tenant\'s patient answers 404 exactly like a missing one, on every route with an id', async () => {
    for (const [method, body] of [['GET'], ['PATCH', { city: 'Nowhere' }], ['DELETE']]) {
      const cross = await send(otherBiller, method, `/v1/patients/${patientId}`, body);
      const missing = await send(otherBiller, method, '/v1/patients/999999', body);
      assertProblem(assert, cross, 404, 'not_found');
      assertProblem(assert, missing, 404, 'not_found');
      for (const k of ['type', 'title', 'status', 'detail', 'code']) assert.equal(cross.json[k], missing.json[k]);
    }
    const s = await send(otherBiller, 'POST', '/v1/patients/search', { member_id: SEED.member_id });
    assert.deepEqual(s.json.patients, []);
    const l = await srv.request('GET', '/v1/patients', { headers: { authorization: `Bearer ${otherBiller.token}` } });
    assert.deepEqual(l.json.patients, []);
    const still = await srv.request('GET', `/v1/patients/${patientId}`, as('biller'));
    assert.equal(still.json.city, SEED.city);
  });

  test('updates change, clear and re-index; the record of who read what is kept', async () => {
    const u = await send('front_desk', 'PATCH', `/v1/patients/${patientId}`, { city: 'Lakewood', middle_name: null });
    assert.equal(u.status, 200, u.text);
    assert.equal(u.json.city, 'Lakewood');
    assert.equal(u.json.middle_name, null);
    assert.ok(u.json.masked.includes('ssn'));
    const a = await srv.request('GET', `/v1/audit?patient=${patientId}&limit=1000`, as('compliance'));
    assert.equal(a.status, 200, a.text);
    const actions = a.json.events.map((e) => e.action);
    for (const want of ['patient.create', 'patient.read', 'patient.search', 'patient.list', 'patient.update']) {
      assert.ok(actions.includes(want), `audit has ${want}: ${actions.join(' ')}`);
    }
    const text = JSON.stringify(a.json);
    for (const v of [SEED.last_name, SEED.member_id, '219099999']) assert.ok(!text.includes(v));
  });

  test('no seeded name, SSN or member id is in the database (file, WAL, backup; or a dump) or the log', async () => {
    const backup = join(srv.stateDir, 'backup.db');
    const b = runCli(['backup', backup, ...state()]);
    const haystacks = [];
    if (PG) {
      // PostgreSQL's own tools back it up; everything stored, as pg_dump sees it
      assert.equal(b.code, 2, b.stderr);
      assert.match(b.stderr, /pg_dump/);
      haystacks.push(['pg_dump', Buffer.from(pgDump(srv.stateDir))]);
    } else {
      assert.equal(b.code, 0, b.stderr);
      const files = ['openrcm.db', 'openrcm.db-wal', 'backup.db'].map((f) => join(srv.stateDir, f)).filter(existsSync);
      assert.ok(files.length >= 2, files.join(' '));
      for (const f of files) haystacks.push([f, readFileSync(f)]);
    }
    const needles = [SEED.last_name, SEED.first_name, SEED.middle_name, SEED.address_line1, SEED.city, SEED.email,
      SEED.member_id, 'XQZ77881234', SEED.mrn, SEED.ssn, '219099999', SEED.bank_account, '6145550199',
      SECOND.member_id, '321549876', 'Lakewood', 'Brønnøysund'];
    haystacks.push(['server log', Buffer.from(srv.stderr)]);
    let sawPlaintext = false;
    for (const [name, bytes] of haystacks) {
      const lower = bytes.toString('latin1').toLowerCase();
      const utf8 = bytes.toString('utf8').toLowerCase();
      for (const n of needles) {
        assert.ok(!lower.includes(n.toLowerCase()) && !utf8.includes(n.toLowerCase()), `${n} found in ${name}`);
      }
      // the scan does see what is stored in plaintext (not PHI): the tenant's name
      if (lower.includes('elsewhere clinic')) sawPlaintext = true;
    }
    assert.ok(sawPlaintext, 'the scan reads real file content');
    if (PG) return;
    // the backup is a working database: the patient opens from it
    const q = spawnSync('sqlite3', [backup, 'SELECT count(*) FROM patient; PRAGMA integrity_check;'], { encoding: 'utf8' });
    assert.equal(q.stdout.trim(), '6\nok');
  });

  test('deleting destroys the patient and their key', async () => {
    const d = await srv.request('DELETE', `/v1/patients/${patientId}`, as('biller'));
    assert.equal(d.status, 200, d.text);
    assert.deepEqual(d.json, { id: patientId, deleted: true });
    assertProblem(assert, await srv.request('GET', `/v1/patients/${patientId}`, as('biller')), 404, 'not_found');
    assert.equal(dbQuery(srv.stateDir, `SELECT count(*) FROM patient_key WHERE patient_id = ${patientId}`), '0');
  });

  test('tenant key rotation runs beside the live server; status shows it; patients stay readable', async () => {
    const r = runCli(['keys', 'rotate', 'tenant', 'demo', '--batch', '2', ...state()]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /re-wrapped \d+ of \d+ keys/);
    const s = runCli(['keys', 'status', ...state()]);
    assert.equal(s.code, 0, s.stderr);
    assert.match(s.stdout, /^\d+\ttenant\t\d+\tdone\t5\/5\t/m);
    const list = await srv.request('GET', '/v1/patients?limit=500', as('biller'));
    assert.equal(list.status, 200, list.text);
    assert.equal(list.json.patients.length, 5);
    assert.equal(runCli(['keys', 'rotate', 'tenant', 'nosuch', ...state()]).code, 1);
    assert.equal(runCli(['keys', 'rotate', 'sideways', ...state()]).code, 2);
    assert.equal(runCli(['audit', 'verify', ...state()]).code, 0);
  });
});
