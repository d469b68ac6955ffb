// Health, readiness, Prometheus metrics, request ids and the general response contract.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { JSON_CT, client, createTicket, stopClean } from '../lib/api.mjs';
import { startServer } from '../lib/server.mjs';

/** The value of the first sample line of `name` whose labels contain every `match` pair. */
function sample(text, name, match = {}) {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(match).every(([k, v]) => line.includes(`${k}="${v}"`))) return Number(line.trim().split(/\s+/).at(-1));
  }
  return undefined;
}

describe('system', () => {
  let srv;
  let api;

  before(async () => {
    srv = await startServer();
    api = client(srv);
  });
  after(() => stopClean(srv));

  test('/healthz and /readyz answer 200 without credentials', async () => {
    const h = await api.get('/healthz', { auth: 'none', expect: 200 });
    assert.match(h.text, /ok/);
    const r = await api.get('/readyz', { auth: 'none', expect: 200 });
    assert.match(r.text, /ready/);
  });

  test('/metrics exposes request counts, latency buckets, the write queue and group-commit batches', async () => {
    await createTicket(api, { subject: 'for the metrics' });
    await api.get('/api/v2/tickets.json', { expect: 200 });
    await api.get('/api/v2/tickets/999999.json', { expect: 404 });
    const res = await api.get('/metrics', { auth: 'none', expect: 200 });
    assert.match(res.headers.get('content-type'), /^text\/plain/);
    const text = res.text;
    for (const name of [
      'rapport_http_requests_total',
      'rapport_http_request_duration_seconds_bucket',
      'rapport_write_queue_depth',
      'rapport_group_commit_batch_size_bucket',
    ]) {
      assert.match(text, new RegExp(`^${name}[{ ]`, 'm'), `${name} missing`);
    }
    assert.match(text, /^# TYPE rapport_http_requests_total counter$/m);
    assert.match(text, /^# TYPE rapport_http_request_duration_seconds histogram$/m);
    const total = text
      .split('\n')
      .filter((l) => l.startsWith('rapport_http_requests_total{'))
      .reduce((sum, l) => sum + Number(l.split(/\s+/).at(-1)), 0);
    assert.ok(total >= 3, `rapport_http_requests_total sums to ${total}`);
    assert.ok(sample(text, 'rapport_group_commit_batch_size_bucket', { le: '+Inf' }) >= 1, 'at least one commit batch');
    assert.ok(Number.isFinite(sample(text, 'rapport_write_queue_depth')));
    assert.ok(sample(text, 'rapport_http_request_duration_seconds_bucket', { le: '+Inf' }) >= 1);
  });

  test('text searches read their own writes and /metrics tells how the text cache answered them', async () => {
    const answered = async () => {
      const text = (await api.get('/metrics', { auth: 'none', expect: 200 })).text;
      return ['hit', 'patched', 'rebuilt'].reduce((sum, outcome) => sum + sample(text, 'rapport_search_text_cache_total', { outcome }), 0);
    };
    const before = await answered();
    const search = async (q) => (await api.get(`/api/v2/search.json?query=${encodeURIComponent(q)}`, { expect: 200 })).body;
    assert.equal((await search('zebrafish')).count, 0);
    const t = await createTicket(api, { subject: 'tank', comment: { body: 'the zebrafish escaped' } });
    const found = await search('zebrafish');
    assert.equal(found.count, 1);
    assert.equal(found.results[0].id, t.id);
    await api.put(`/api/v2/tickets/${t.id}.json`, { ticket: { subject: 'zebrafish tank' } }, { expect: 200 });
    assert.equal((await search('subject:zebrafish')).count, 1);
    await api.delete(`/api/v2/tickets/${t.id}.json`, { expect: 204 });
    assert.equal((await search('zebrafish')).count, 0);
    // Each of the four searches had one text condition, answered one way or another.
    assert.equal((await answered()) - before, 4);
  });

  test('latency buckets are cumulative, as Prometheus reads them', async () => {
    for (let i = 0; i < 5; i++) await api.get('/api/v2/tickets.json', { expect: 200 });
    const text = (await api.get('/metrics', { auth: 'none', expect: 200 })).text;
    const route = { method: 'GET', route: '/api/v2/tickets' };
    const buckets = text
      .split('\n')
      .filter((l) => l.startsWith('rapport_http_request_duration_seconds_bucket{') && l.includes('route="/api/v2/tickets"') && l.includes('method="GET"'))
      .map((l) => ({ le: l.match(/le="([^"]+)"/)[1], n: Number(l.split(/\s+/).at(-1)) }));
    assert.ok(buckets.length >= 3, text);
    const count = sample(text, 'rapport_http_request_duration_seconds_count', route);
    assert.ok(count >= 5, `count ${count}`);
    for (let i = 1; i < buckets.length; i++) assert.ok(buckets[i].n >= buckets[i - 1].n, `le=${buckets[i].le} below le=${buckets[i - 1].le}`);
    assert.equal(buckets.at(-1).le, '+Inf');
    assert.equal(buckets.at(-1).n, count);
    // Every one of these requests took well under the largest finite bound.
    assert.equal(buckets.at(-2).n, count, `le=${buckets.at(-2).le} holds ${buckets.at(-2).n} of ${count}`);
  });

  test('X-Request-Id is on every response, echoed when sane and replaced when not', async () => {
    const sane = await api.get('/api/v2/tickets.json', { headers: { 'X-Request-Id': 'client-req-42' }, expect: 200 });
    assert.equal(sane.headers.get('x-request-id'), 'client-req-42');
    const err = await api.get('/api/v2/nothing-here', { headers: { 'X-Request-Id': 'client-req-43' }, expect: 404 });
    assert.equal(err.headers.get('x-request-id'), 'client-req-43');
    for (const bad of ['x'.repeat(200), 'has spaces in it', 'quote"d']) {
      const r = await api.get('/api/v2/tickets.json', { headers: { 'X-Request-Id': bad }, expect: 200 });
      const id = r.headers.get('x-request-id');
      assert.ok(id && id !== bad, `unsafe request id ${JSON.stringify(bad)} was echoed`);
    }
    const a = (await api.get('/healthz', { auth: 'none' })).headers.get('x-request-id');
    const b = (await api.get('/healthz', { auth: 'none' })).headers.get('x-request-id');
    assert.notEqual(a, b, 'generated ids are unique');
  });

  test('every JSON response is application/json; charset=utf-8, errors included', async () => {
    // The client checks the header on every /api/ response; here are the odd corners.
    for (const [method, p, expect] of [
      ['GET', '/api/v2/tickets.json', 200],
      ['GET', '/api/v2/tickets/0.json', 404],
      ['POST', '/api/v2/tickets.json', 400],
      ['PATCH', '/api/v2/users.json', 405],
      ['GET', '/api/v2/users/me.json', 200],
    ]) {
      const r = await api.call(method, p, method === 'GET' ? undefined : '', { expect });
      assert.equal(r.headers.get('content-type'), JSON_CT, `${method} ${p}`);
    }
    const anon = await api.get('/api/v2/tickets.json', { auth: 'none', expect: 401 });
    assert.equal(anon.headers.get('content-type'), JSON_CT);
  });

  test('HEAD answers like GET without a body', async () => {
    const res = await fetch(`${srv.baseUrl}/api/v2/tickets.json`, { method: 'HEAD', headers: { Authorization: srv.basicAuth } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), JSON_CT);
    assert.equal(await res.text(), '');
  });

  test('keep-alive connections serve many requests', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, () => api.get('/api/v2/users/me.json', { expect: 200 })));
    assert.ok(results.every((r) => r.body.user.email === srv.adminEmail));
  });
});
