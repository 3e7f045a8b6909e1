// `openrcm migrate` on PostgreSQL (database.backend=postgres): the throwaway
// server of the ctest fixture "postgres" (file $RCM_TEST_PG_ENV: conninfo=,
// password_file=), a schema of its own. Status before and after; three
// migrators started at once all succeed and each migration is recorded
// once; the other store commands run on it too. Fails without a server
// under CI=true, skips otherwise. (RCM_TEST_BACKEND=postgres runs every
// suite on PostgreSQL; this one is the migrator's own.)
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { BIN, runCli } from './harness.mjs';

const envFile = process.env.RCM_TEST_PG_ENV;
const have = envFile && existsSync(envFile);
if (!have && process.env.CI) throw new Error('no PostgreSQL (RCM_TEST_PG_ENV) under CI');

const migrations = readdirSync(new URL('../../src/store/migrations/pg/', import.meta.url))
  .filter((f) => /^\d{4}_.*\.sql$/.test(f));
const latest = Math.max(...migrations.map((f) => Number(f.slice(0, 4))));

function pgEnv() {
  const out = {};
  for (const line of readFileSync(envFile, 'utf8').split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
  }
  return out;
}

describe('openrcm migrate on PostgreSQL', { skip: (!have && 'no PostgreSQL fixture') || (process.env.RCM_TEST_BACKEND === 'postgres' && 'run with the SQLite suites') }, () => {
  let env, schema, dir, sets;

  // psql as the test role (the test's own access, not openrcm's)
  function psql(sql, search = schema) {
    const conn = search ? `${env.conninfo} options='-c search_path=${search}'` : env.conninfo;
    const r = spawnSync('psql', [conn, '-v', 'ON_ERROR_STOP=1', '-tAc', sql], {
      encoding: 'utf8',
      env: { ...process.env, PGPASSWORD: readFileSync(env.password_file, 'utf8').trim() },
    });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.trim();
  }

  function migrate(args = []) {
    return runCli(['migrate', ...args, ...sets]);
  }

  function migrateAsync() {
    return new Promise((resolve) => {
      // our OPENRCM_* settings stay out, as in harness.mjs
      const childEnv = Object.fromEntries(Object.entries(process.env)
        .filter(([k]) => !k.startsWith('OPENRCM_')));
      const child = spawn(BIN, ['migrate', ...sets], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '', stderr = '';
      child.stdout.on('data', (d) => { stdout += d; });
      child.stderr.on('data', (d) => { stderr += d; });
      child.on('exit', (code) => resolve({ code, stdout, stderr }));
    });
  }

  before(() => {
    env = pgEnv();
    // schema names must not start with pg_
    schema = `cli_migrate_${process.pid}`;
    psql(`DROP SCHEMA IF EXISTS ${schema} CASCADE; CREATE SCHEMA ${schema};`, null);
    dir = mkdtempSync(join(tmpdir(), 'openrcm-pg-'));
    sets = ['--set', `state_dir=${dir}`,
      '--set', 'database.backend=postgres',
      '--set', `database.conninfo=${env.conninfo} options='-c search_path=${schema}'`,
      '--set', `database.password_file=${env.password_file}`];
  });
  after(() => {
    if (schema) psql(`DROP SCHEMA IF EXISTS ${schema} CASCADE;`, null);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('--status on an empty database: version 0, migrations pending (exit 1)', () => {
    const r = migrate(['--status']);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(r.stdout, `schema version 0 of ${latest} (migrations pending)\n`);
  });

  test('three migrators at once: all succeed, each migration applied and recorded once', async () => {
    const runs = await Promise.all([migrateAsync(), migrateAsync(), migrateAsync()]);
    let applied = 0;
    for (const r of runs) {
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stderr, '');
      const m = r.stdout.match(/^applied (\d+) migrations?: schema version \d+ -> (\d+)\n$/) ??
        r.stdout.match(/^schema version (\d+) is up to date\n$/);
      assert.ok(m, r.stdout);
      if (r.stdout.startsWith('applied')) {
        applied += Number(m[1]);
        assert.equal(Number(m[2]), latest);
      }
    }
    assert.equal(applied, migrations.length);
    assert.equal(psql('SELECT count(*), count(DISTINCT version), max(version) FROM schema_migrations'),
      `${migrations.length}|${migrations.length}|${latest}`);
    assert.equal(psql("SELECT count(*) FROM pg_tables WHERE schemaname = current_schema() " +
      "AND tablename IN ('tenant', 'app_user', 'audit_event', 'patient', 'login_throttle')"), '5');
  });

  test('then --status is current (exit 0) and migrate applies nothing', () => {
    let r = migrate(['--status']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `schema version ${latest} of ${latest}\n`);
    r = migrate();
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `schema version ${latest} is up to date\n`);
  });

  test('an edited migration is refused (exit 1) without a word of SQL', () => {
    const sha = psql('SELECT sha256 FROM schema_migrations WHERE version = 1');
    psql("UPDATE schema_migrations SET sha256 = 'x' WHERE version = 1");
    let r = migrate();
    assert.equal(r.code, 1);
    assert.match(r.stderr, /migration 0001_init\.sql was applied with different text/);
    assert.doesNotMatch(r.stderr, /CREATE|SELECT|INSERT/);
    // and every other command refuses such a database too
    r = runCli(['tenant', 'add', '--slug', 'edited', '--name', 'Edited', ...sets]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /applied with different text/);
    psql(`UPDATE schema_migrations SET sha256 = '${sha}' WHERE version = 1`);
  });

  test('a password file open to others is refused', () => {
    const loose = join(dir, 'loose-password');
    writeFileSync(loose, readFileSync(env.password_file));
    chmodSync(loose, 0o644);
    const r = runCli(['migrate', ...sets, '--set', `database.password_file=${loose}`]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /database\.password_file/);
  });

  test('the other store commands work on it; backup names the tools PostgreSQL has', () => {
    let r = runCli(['tenant', 'add', '--slug', 'acme', '--name', 'Acme', ...sets]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(psql("SELECT name FROM tenant WHERE slug = 'acme'"), 'Acme');
    r = runCli(['audit', 'verify', ...sets]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    r = runCli(['backup', join(dir, 'copy.db'), ...sets]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /pg_dump/);
    assert.equal(existsSync(join(dir, 'copy.db')), false);
  });
});
