// The transport under hostile clients (issue 20, ADR 0003): connections
// that never finish the TLS handshake, heads and bodies dribbled a byte at a
// time, SIGTERM with stuck connections, and request heads that a strict
// HTTP/1.1 server must refuse. Loopback only; every loop is bounded.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';

import { connectTls, readUntilClose, sleep, startServer } from './harness.mjs';

// A plain TCP connection that sends nothing (no TLS ClientHello).
function silentTcp(srv) {
  return new Promise((resolve, reject) => {
    const s = net.connect(srv.port, '127.0.0.1');
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

// Resolves with ms until the server closes `s` (or null after limitMs).
function closedWithin(s, limitMs) {
  const started = Date.now();
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(null), limitMs);
    s.on('error', () => {});
    s.once('close', () => { clearTimeout(timer); resolve(Date.now() - started); });
  });
}

// Write `text` one byte every `everyMs` until the socket closes or the text ends.
async function dribble(s, text, everyMs) {
  for (const ch of text) {
    if (s.destroyed || s.writableEnded) return;
    s.write(ch);
    await sleep(everyMs);
  }
}

describe('deadlines', () => {
  let srv;
  before(async () => {
    srv = await startServer({
      sets: ['server.head_timeout_s=2', 'server.body_timeout_s=2', 'server.body_min_rate_bytes_s=500',
        'server.idle_timeout_s=30', 'server.max_connections_per_ip=4'],
    });
  });
  after(async () => {
    const { code } = await srv.stop();
    assert.equal(code, 0, srv.stderr);
    srv.cleanup();
  });

  test('connections that never start the TLS handshake are closed and their slots freed', async () => {
    const held = [];
    for (let i = 0; i < 4; i++) held.push(await silentTcp(srv));   // every slot of this address
    const waits = await Promise.all(held.map((s) => closedWithin(s, 9000)));
    for (const ms of waits) {
      assert.ok(ms !== null, 'the server closed a silent connection');
      assert.ok(ms >= 1500 && ms < 7000, `closed after ${ms} ms (deadline 2 s)`);
    }
    await sleep(200);
    const r = await srv.request('GET', '/healthz');   // the slots are free again
    assert.equal(r.status, 200);
  });

  test('a TLS handshake started and left unfinished is closed too', async () => {
    const s = await silentTcp(srv);
    s.write(Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03]));
    const ms = await closedWithin(s, 9000);
    assert.ok(ms !== null && ms < 7000, `closed after ${ms} ms`);
  });

  test('a request head dribbled a byte at a time is cut off while a fresh client is served', async () => {
    const s = await connectTls(srv);
    const closing = closedWithin(s, 8000);
    const head = 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ' + 'a'.repeat(200) + '\r\n\r\n';
    dribble(s, head, 250);           // 4 bytes/s: each byte resets an idle timer
    await sleep(500);
    const r = await srv.request('GET', '/healthz');
    assert.equal(r.status, 200, 'served while the slow head is pending');
    const ms = await closing;
    assert.ok(ms !== null, 'the dribbled head was cut off');
    assert.ok(ms < 7000, `cut after ${ms} ms (deadline 2 s)`);
  });

  test('a kept-alive connection gets the same head deadline for its next request', async () => {
    const s = await connectTls(srv);
    s.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    const first = await new Promise((resolve) => s.once('data', (d) => resolve(d.toString('latin1'))));
    assert.match(first, /^HTTP\/1\.1 200/);
    const closing = closedWithin(s, 9000);
    dribble(s, 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ' + 'a'.repeat(200), 250);
    const ms = await closing;
    assert.ok(ms !== null && ms < 7000, `cut after ${ms} ms`);
  });

  test('a body slower than the minimum rate is cut off; a fast one is served', async () => {
    const s = await connectTls(srv);
    s.write('POST /v1/echo HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n' +
      'Content-Length: 1000\r\n\r\n');
    const closing = closedWithin(s, 10000);
    dribble(s, '{"a":"' + 'b'.repeat(990), 100);    // 10 bytes/s, far under 500 bytes/s
    const ms = await closing;
    assert.ok(ms !== null, 'the slow body was cut off');
    assert.ok(ms >= 1500 && ms < 7000, `cut after ${ms} ms (deadline 2 s + 1 s per 500 bytes)`);
    const body = JSON.stringify({ a: 'b'.repeat(5000) });
    const r = await srv.request('POST', '/v1/echo', { headers: { 'content-type': 'application/json' }, body });
    assert.equal(r.status, 200);
  });
});

describe('graceful stop whatever the clients do', () => {
  // SIGTERM, then the exit status and how long it took (SIGKILL after 15 s).
  async function stopTimed(srv) {
    const started = Date.now();
    srv.child.kill('SIGTERM');
    const timer = setTimeout(() => srv.child.kill('SIGKILL'), 15000);
    const { code, signal } = await srv.exited;
    clearTimeout(timer);
    return { code, signal, ms: Date.now() - started };
  }

  test('a connection left silent past the idle timeout neither leaks its slot nor blocks SIGTERM', async () => {
    // as the probe found it: in libmicrohttpd 0.9.75 the idle timeout firing
    // mid-handshake leaked the connection and made the stop spin for ever
    const srv = await startServer({
      sets: ['server.idle_timeout_s=1', 'server.max_connections_per_ip=2', 'server.shutdown_grace_s=2'],
    });
    const silent = [await silentTcp(srv), await silentTcp(srv)];
    silent.forEach((s) => s.on('error', () => {}));
    await sleep(2500);
    const r = await srv.request('GET', '/healthz');
    assert.equal(r.status, 200, 'both slots of this address are free again');
    const { code, signal, ms } = await stopTimed(srv);
    assert.equal(signal, null, `needed SIGKILL after ${ms} ms`);
    assert.equal(code, 0, srv.stderr);
    assert.ok(ms < 7000, `stopped after ${ms} ms (grace 2 s)`);
    silent.forEach((s) => s.destroy());
    srv.cleanup();
  });

  test('SIGTERM ends within the grace period with silent, dribbling and half-sent connections open', async () => {
    const srv = await startServer({
      sets: ['server.head_timeout_s=60', 'server.body_timeout_s=60', 'server.idle_timeout_s=60',
        'server.shutdown_grace_s=2'],
    });
    const silent = await silentTcp(srv);
    silent.on('error', () => {});
    const slowHead = await connectTls(srv);
    slowHead.on('error', () => {});
    dribble(slowHead, 'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ' + 'a'.repeat(100), 300);
    const halfBody = await connectTls(srv);   // in flight: head in, body never finished
    halfBody.on('error', () => {});
    halfBody.write('POST /v1/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
      'Content-Length: 100\r\n\r\n{"a"');
    await sleep(500);
    const { code, signal, ms } = await stopTimed(srv);
    assert.equal(signal, null, `needed SIGKILL after ${ms} ms`);
    assert.equal(code, 0, srv.stderr);
    assert.ok(ms >= 1500 && ms < 7000, `stopped after ${ms} ms (grace 2 s for the request in flight)`);
    [silent, slowHead, halfBody].forEach((s) => s.destroy());
    srv.cleanup();
  });
});

describe('strict request heads (RFC 9112)', () => {
  let srv, token;
  before(async () => {
    srv = await startServer({ args: ['--demo'], sets: ['server.head_timeout_s=5'] });
  });
  after(async () => {
    const { code } = await srv.stop();
    assert.equal(code, 0, srv.stderr);
    srv.cleanup();
  });

  // Send a raw head over TLS; the answer must come promptly and the
  // connection must close.
  async function raw(text) {
    const s = await connectTls(srv);
    const started = Date.now();
    s.write(text);
    const { data, closed } = await readUntilClose(s, 4000);
    return { data, closed, ms: Date.now() - started, status: Number(data.slice(9, 12)) };
  }

  function assertRefused(r, status, detail) {
    assert.equal(r.status, status, r.data.slice(0, 200));
    assert.ok(r.closed, 'connection closed after the refusal');
    assert.ok(r.ms < 2000, `answered after ${r.ms} ms`);
    if (detail) assert.match(r.data, detail);
    // only one response: nothing pipelined behind the refused head ran
    assert.equal(r.data.match(/HTTP\/1\.1 \d{3}/g).length, 1, r.data);
  }

  const H = 'Host: 127.0.0.1\r\n';

  test('two different Content-Length headers: 400, and the request smuggled behind it does not run', async () => {
    const smuggled = 'GET /v1/version HTTP/1.1\r\n' + H + '\r\n';
    const r = await raw('POST /v1/echo HTTP/1.1\r\n' + H + 'Content-Type: application/json\r\n' +
      'Content-Length: 2\r\nContent-Length: ' + (2 + smuggled.length) + '\r\n\r\n{}' + smuggled);
    assertRefused(r, 400, /Content-Length header is repeated/);
    assert.doesNotMatch(r.data, /"version"/);
  });

  test('whitespace between a field name and its colon: 400', async () => {
    assertRefused(await raw('GET /healthz HTTP/1.1\r\n' + H + 'X-Test : 1\r\n\r\n'), 400, /whitespace before the colon/);
  });

  test('a field folded over two lines (obs-fold): 400', async () => {
    assertRefused(await raw('GET /healthz HTTP/1.1\r\n' + H + 'X-Test: a\r\n b\r\n\r\n'), 400, /obs-fold/);
  });

  test('a bare CR inside a field value: 400', async () => {
    assertRefused(await raw('GET /healthz HTTP/1.1\r\n' + H + 'X-Test: a\rb\r\n\r\n'), 400, /control character/);
  });

  test('a repeated Host header: 400', async () => {
    assertRefused(await raw('GET /healthz HTTP/1.1\r\n' + H + 'Host: other.example\r\n\r\n'), 400, /Host header is repeated/);
  });

  test('a percent-encoded NUL in the path does not reach a handler: 400', async () => {
    const r = await raw('GET /v1/patients/1%00abc HTTP/1.1\r\n' + H + '\r\n');
    assertRefused(r, 400, /percent-encoded control character/);
    const q = await raw('GET /v1/audit?patient_id=1%00x HTTP/1.1\r\n' + H + '\r\n');
    assertRefused(q, 400, /percent-encoded control character/);
  });

  test('an unknown transfer coding: 501 at once', async () => {
    assertRefused(await raw('POST /v1/echo HTTP/1.1\r\n' + H + 'Content-Type: application/json\r\n' +
      'Transfer-Encoding: gzip\r\n\r\nxx'), 501, /transfer coding/);
  });

  test('a chunked body, even one announcing a chunk of 2^64-1 bytes: 411 at once', async () => {
    assertRefused(await raw('POST /v1/echo HTTP/1.1\r\n' + H + 'Content-Type: application/json\r\n' +
      'Transfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\n'), 411, /send Content-Length/);
  });

  test('Content-Length together with Transfer-Encoding: 400', async () => {
    assertRefused(await raw('POST /v1/echo HTTP/1.1\r\n' + H + 'Content-Type: application/json\r\n' +
      'Content-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n{}'), 400, /both present/);
  });

  test('refusals are problem documents', async () => {
    const r = await raw('GET /healthz HTTP/1.1\r\n' + H + 'X-Test : 1\r\n\r\n');
    const body = JSON.parse(r.data.slice(r.data.indexOf('\r\n\r\n') + 4));
    assert.equal(body.code, 'bad_request');
    assert.equal(body.status, 400);
  });

  test('a well-formed head on the same server is still served', async () => {
    const r = await raw('GET /healthz HTTP/1.1\r\n' + H + 'Connection: close\r\n\r\n');
    assert.equal(r.status, 200);
  });
});
