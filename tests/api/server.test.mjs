// The live server: endpoints, TLS, limits, bad input, graceful shutdown.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import tls from 'node:tls';

import { BACKEND, assertProblem, connectTls, readUntilClose, sleep, startServer } from './harness.mjs';

describe('openrcm serve', () => {
  let srv;
  before(async () => {
    srv = await startServer({
      sets: ['server.idle_timeout_s=2', 'server.head_timeout_s=2', 'server.max_body_bytes=65536', 'server.max_connections_per_ip=16'],
    });
  });
  after(async () => {
    const { code } = await srv.stop();
    assert.equal(code, 0, srv.stderr);
    srv.cleanup();
  });

  // Every bad-input test ends by proving the server still serves.
  async function stillServing() {
    const r = await srv.request('GET', '/healthz');
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, { status: 'ok' });
  }

  test('GET /healthz over TLS 1.3 with security headers', async () => {
    const r = await srv.request('GET', '/healthz');
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, { status: 'ok' });
    assert.match(r.headers['content-type'], /^application\/json/);
    assert.equal(r.headers['cache-control'], 'no-store');
    assert.equal(r.headers['x-content-type-options'], 'nosniff');
    assert.match(r.headers['strict-transport-security'], /max-age=\d+/);
    assert.match(r.headers['x-request-id'], /^[0-9a-f]{32}$/);
    const s = await connectTls(srv);
    assert.equal(s.getProtocol(), 'TLSv1.3');
    s.destroy();
  });

  test('TLS 1.2 is accepted, TLS 1.1 and 1.0 are refused', async () => {
    const s12 = await connectTls(srv, { minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' });
    assert.equal(s12.getProtocol(), 'TLSv1.2');
    assert.match(s12.getCipher().name, /GCM|CHACHA20/);
    s12.destroy();
    for (const v of ['TLSv1.1', 'TLSv1']) {
      await assert.rejects(connectTls(srv, { minVersion: v, maxVersion: v, ciphers: 'ALL:@SECLEVEL=0' }));
    }
    await stillServing();
  });

  test('GET /readyz reports the database', async () => {
    const r = await srv.request('GET', '/readyz');
    assert.equal(r.status, 200);
    assert.deepEqual(r.json, { status: 'ready', database: BACKEND });
  });

  test('GET /v1/version', async () => {
    const r = await srv.request('GET', '/v1/version');
    assert.equal(r.status, 200);
    assert.equal(r.json.name, 'openrcm');
    assert.match(r.json.version, /^\d+\.\d+\.\d+$/);
    assert.equal(r.json.api, 'v1');
    assert.ok(r.json.schema_version >= 1);
    assert.equal(r.json.database, BACKEND);
    assert.ok(Number.isInteger(r.json.uptime_s));
  });

  test('GET /v1/openapi.json describes the endpoints', async () => {
    const r = await srv.request('GET', '/v1/openapi.json');
    assert.equal(r.status, 200);
    assert.equal(r.json.openapi, '3.1.0');
    for (const [path, method] of [['/healthz', 'get'], ['/readyz', 'get'], ['/v1/version', 'get'],
      ['/v1/openapi.json', 'get'], ['/v1/echo', 'post']]) {
      assert.ok(r.json.paths[path]?.[method], `${method} ${path} documented`);
    }
  });

  test('POST /v1/echo returns the document', async () => {
    const body = JSON.stringify({ claim: { lines: [1, 2] }, name: 'Zoë' });
    const r = await srv.request('POST', '/v1/echo', {
      headers: { 'content-type': 'application/json; charset=utf-8' }, body,
    });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json.echo, JSON.parse(body));
    assert.equal(r.json.bytes, Buffer.byteLength(body));
  });

  test('a client request id is echoed; an unsafe one is replaced', async () => {
    let r = await srv.request('GET', '/healthz', { headers: { 'x-request-id': 'trace-42.a_b' } });
    assert.equal(r.headers['x-request-id'], 'trace-42.a_b');
    r = await srv.request('GET', '/healthz', { headers: { 'x-request-id': 'bad id<script>' } });
    assert.match(r.headers['x-request-id'], /^[0-9a-f]{32}$/);
  });

  test('malformed JSON is a 400 problem', async () => {
    const r = await srv.request('POST', '/v1/echo', { headers: { 'content-type': 'application/json' }, body: '{"a":' });
    assertProblem(assert, r, 400, 'malformed_json');
    assert.equal(r.json.instance, '/v1/echo');
    await stillServing();
  });

  test('duplicate keys are refused', async () => {
    const r = await srv.request('POST', '/v1/echo', { headers: { 'content-type': 'application/json' }, body: '{"a":1,"a":2}' });
    assertProblem(assert, r, 400, 'malformed_json');
    assert.match(r.json.detail, /duplicate/);
  });

  test('deeply nested JSON is refused before parsing', async () => {
    const body = '['.repeat(20000) + ']'.repeat(20000);
    const r = await srv.request('POST', '/v1/echo', { headers: { 'content-type': 'application/json' }, body });
    assertProblem(assert, r, 400, 'json_too_deep');
    await stillServing();
  });

  test('wrong content type is a 415 problem', async () => {
    const r = await srv.request('POST', '/v1/echo', { headers: { 'content-type': 'text/plain' }, body: '{}' });
    assertProblem(assert, r, 415, 'unsupported_media_type');
    await stillServing();
  });

  test('oversized body (declared length) is a 413 problem', async () => {
    const r = await srv.request('POST', '/v1/echo', {
      headers: { 'content-type': 'application/json' }, body: JSON.stringify({ x: 'a'.repeat(70000) }),
    });
    assertProblem(assert, r, 413, 'payload_too_large');
    await stillServing();
  });

  test('a chunked body is refused with 411 before any of it is read', async () => {
    const r = await srv.request('POST', '/v1/echo', {
      headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' },
      body: JSON.stringify({ x: 'a'.repeat(200000) }),
    }).catch((e) => ({ status: 'closed', error: e }));
    // the answer comes before the body is read; the connection then closes,
    // which may reset a client still sending
    if (r.status !== 'closed') assertProblem(assert, r, 411, 'length_required');
    await stillServing();
  });

  test('unknown route is 404 and unknown method is 405 with Allow', async () => {
    const r404 = await srv.request('GET', '/v1/no-such-thing');
    assertProblem(assert, r404, 404, 'not_found');
    const r405 = await srv.request('PUT', '/healthz');
    assertProblem(assert, r405, 405, 'method_not_allowed');
    assert.equal(r405.headers.allow, 'GET');
    const rWeird = await srv.request('BREW', '/healthz');
    assert.ok([400, 405, 501].includes(rWeird.status), `status ${rWeird.status}`);
    await stillServing();
  });

  test('invalid UTF-8 in the body is a 400 problem', async () => {
    const body = Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
    const r = await srv.request('POST', '/v1/echo', { headers: { 'content-type': 'application/json' }, body });
    assertProblem(assert, r, 400, 'invalid_utf8');
    await stillServing();
  });

  test('oversized headers are refused with 431', async () => {
    const r = await srv.request('GET', '/healthz', { headers: { 'x-filler': 'a'.repeat(60000) } })
      .catch((e) => ({ status: 'closed', error: e }));
    if (r.status !== 'closed') assert.equal(r.status, 431);
    await stillServing();
  });

  test('a half-sent request is closed after the idle timeout; others are served meanwhile', async () => {
    const s = await connectTls(srv);
    s.write('POST /v1/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"a"');
    const started = Date.now();
    const closing = readUntilClose(s, 15000);
    await stillServing();       // served while the slow one hangs
    const { closed } = await closing;
    assert.ok(closed, 'server closed the stalled connection');
    const waited = Date.now() - started;
    assert.ok(waited >= 1500 && waited < 12000, `closed after ${waited} ms`);
    await stillServing();
  });

  test('plain HTTP to the TLS port gets no HTTP answer and does not hurt the server', async () => {
    const s = net.connect(srv.port, '127.0.0.1');
    await new Promise((r) => s.once('connect', r));
    s.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    const { data, closed } = await readUntilClose(s, 10000);
    assert.ok(closed, 'connection closed');
    assert.ok(!data.startsWith('HTTP/1.1 200'), 'no plaintext success');
    await stillServing();
  });

  test('garbage after the TLS handshake is answered 400 or closed', async () => {
    const s = await connectTls(srv);
    s.write('\x00\x01\x02 NOT HTTP \r\n\r\n');
    const { data, closed } = await readUntilClose(s, 10000);
    assert.ok(closed || data.startsWith('HTTP/1.1 400'), data.slice(0, 40));
    await stillServing();
  });

  test('connections per client address are limited', async () => {
    // 16 allowed per IP: hold 16 idle TLS connections, the 17th is refused.
    srv.agent.destroy();              // drop pooled keep-alive connections first
    await sleep(200);
    const held = [];
    for (let i = 0; i < 16; i++) held.push(await connectTls(srv));
    await assert.rejects(connectTls(srv).then((s) => readUntilClose(s, 3000)).then(({ closed }) => {
      if (closed) throw new Error('closed');
    }));
    held.forEach((s) => s.destroy());
    await sleep(200);
    await stillServing();
  });
});

describe('graceful shutdown', () => {
  test('SIGTERM lets an in-flight request finish and closes the database cleanly', async () => {
    const srv = await startServer();
    const s = await connectTls(srv);
    const body = '{"in":"flight"}';
    s.write(`POST /v1/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n`);
    s.write(body.slice(0, 5));
    await sleep(300);                 // the request is now in flight
    srv.child.kill('SIGTERM');
    await sleep(300);
    s.write(body.slice(5));
    const { data } = await readUntilClose(s, 15000);
    assert.match(data, /^HTTP\/1\.1 200/);
    assert.match(data, /"in":"flight"/);
    const { code } = await srv.exited;
    assert.equal(code, 0, srv.stderr);
    // a clean close checkpoints and removes the write-ahead log
    assert.equal(existsSync(join(srv.stateDir, 'openrcm.db-wal')), false);
    srv.cleanup();
  });

  test('SIGINT stops an idle server with exit 0', async () => {
    const srv = await startServer();
    const { code } = await srv.stop('SIGINT');
    assert.equal(code, 0, srv.stderr);
    srv.cleanup();
  });

  test('a new connection after SIGTERM is refused', async () => {
    const srv = await startServer();
    const s = await connectTls(srv);    // keep one open so shutdown waits a little
    srv.child.kill('SIGTERM');
    await srv.exited;
    await assert.rejects(connectTls(srv));
    s.destroy();
    srv.cleanup();
  });
});
