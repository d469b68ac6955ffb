// Bad input: each gets the documented status and body, and nothing is half-written (checked by
// counting tickets and users before and after).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  JSON_CT,
  NOT_FOUND,
  UNAUTHENTICATED,
  client,
  createTicket,
  passwordAuth,
  rawHttp,
  stopClean,
  ticketCount,
  tokenAuth,
  userCount,
} from '../lib/api.mjs';
import { startServer } from '../lib/server.mjs';

const MiB = 1024 * 1024;

describe('bad input', () => {
  let srv;
  let api;
  let counts;

  before(async () => {
    srv = await startServer();
    api = client(srv);
    await createTicket(api, { subject: 'pre-existing' });
  });
  after(() => stopClean(srv));

  const snapshot = async () => ({ tickets: await ticketCount(api), users: await userCount(api) });
  /** Asserts that no ticket or user appeared since `counts` was taken. */
  const nothingWritten = async (what) => assert.deepEqual(await snapshot(), counts, `${what} wrote something`);

  test('malformed JSON is 400 InvalidValue', async () => {
    counts = await snapshot();
    for (const body of ['{"ticket": {"subject": "x", "comment": {"body": "y"}', '{ticket: {}}', 'not json at all', '{"ticket": {"subject": "x",}}']) {
      const res = await api.post('/api/v2/tickets.json', body, { expect: 400 });
      assert.equal(res.body.error, 'InvalidValue', body);
      assert.match(res.body.description, /JSON/, body);
    }
    await nothingWritten('malformed JSON');
  });

  test('an empty body, a non-object or a missing root key is 400', async () => {
    counts = await snapshot();
    for (const body of ['', '   ', '[]', '"ticket"', 'null', '{"tickets": {}}', '{"ticket": []}', '{"ticket": "x"}']) {
      const res = await api.post('/api/v2/tickets.json', body, { expect: 400 });
      assert.equal(res.body.error, 'InvalidValue', JSON.stringify(body));
      assert.equal(typeof res.body.description, 'string');
    }
    const res = await api.post('/api/v2/users.json', '{"ticket": {"name": "x"}}', { expect: 400 });
    assert.match(res.body.description, /"user"/);
    await nothingWritten('a body without its root');
  });

  test('wrong types are 422 RecordInvalid with every bad field in details', async () => {
    counts = await snapshot();
    const res = await api.post(
      '/api/v2/tickets.json',
      { ticket: { subject: 42, priority: ['high'], tags: 'billing', assignee_id: '7', comment: { body: 'fine' } } },
      { expect: 422 },
    );
    assert.equal(res.body.error, 'RecordInvalid');
    assert.equal(res.body.description, 'Record validation errors');
    assert.deepEqual(res.body.details.subject, [{ description: 'Subject: must be a string', error: 'InvalidValue' }]);
    for (const f of ['priority', 'tags', 'assignee_id']) {
      assert.equal(res.body.details[f]?.[0]?.error, 'InvalidValue', `${f}: ${JSON.stringify(res.body.details)}`);
      assert.match(res.body.details[f][0].description, /must be/, f);
    }
    const user = await api.post('/api/v2/users.json', { user: { name: ['x'], verified: 'yes' } }, { expect: 422 });
    assert.equal(user.body.details.name[0].error, 'InvalidValue');
    assert.equal(user.body.details.verified[0].error, 'InvalidValue');
    const huge = await api.post('/api/v2/tickets.json', '{"ticket":{"comment":{"body":"x"},"assignee_id":1e30}}', { expect: 422 });
    assert.ok(huge.body.details.assignee_id, JSON.stringify(huge.body));
    await nothingWritten('wrong types');
  });

  test('a rejected ticket does not leave behind the requester it would have created', async () => {
    counts = await snapshot();
    const res = await api.post(
      '/api/v2/tickets.json',
      { ticket: { requester: { name: 'Half Written', email: 'half.written@example.com' }, comment: { body: 'x' }, priority: 'extreme' } },
      { expect: 422 },
    );
    assert.equal(res.body.details.priority[0].error, 'InvalidValue');
    const found = (await api.get('/api/v2/users/search.json?query=half.written', { expect: 200 })).body;
    assert.equal(found.count, 0, 'the requester was rolled back with the ticket');
    await nothingWritten('a rejected ticket with a new requester');
  });

  test('a ticket without a comment is 422 on details.base: "Description: cannot be blank"', async () => {
    counts = await snapshot();
    for (const ticket of [{ subject: 'no comment' }, { subject: 'blank', comment: { body: '   ' } }, { comment: {} }]) {
      const res = await api.post('/api/v2/tickets.json', { ticket }, { expect: 422 });
      assert.deepEqual(
        res.body,
        {
          error: 'RecordInvalid',
          description: 'Record validation errors',
          details: { base: [{ description: 'Description: cannot be blank', error: 'BlankValue' }] },
        },
        JSON.stringify(ticket),
      );
    }
    await nothingWritten('a ticket without a comment');
  });

  test('a body that is not UTF-8 is 400', async () => {
    counts = await snapshot();
    const bad = Buffer.concat([
      Buffer.from('{"ticket":{"subject":"caf'),
      Buffer.from([0xe9, 0xff, 0xfe]),
      Buffer.from('","comment":{"body":"x"}}}'),
    ]);
    const res = await api.post('/api/v2/tickets.json', bad, { expect: 400 });
    assert.equal(res.body.error, 'InvalidValue');
    assert.match(res.body.description, /UTF-8/);
    const overlong = Buffer.concat([Buffer.from('{"user":{"name":"'), Buffer.from([0xc0, 0xaf]), Buffer.from('"}}')]);
    await api.post('/api/v2/users.json', overlong, { expect: 400 });
    const many = Buffer.concat([Buffer.from('{"tickets":[{"subject":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}]}')]);
    await api.post('/api/v2/tickets/create_many.json', many, { expect: 400 });
    await nothingWritten('invalid UTF-8');
    // Real UTF-8 is kept intact.
    const t = await createTicket(api, { subject: 'Café ☕ 日本 🎉', comment: { body: 'ünïcödé' } });
    assert.equal((await api.get(`/api/v2/tickets/${t.id}.json`, { expect: 200 })).body.ticket.subject, 'Café ☕ 日本 🎉');
  });

  test('deeply nested JSON is 400 and the server survives it', async () => {
    counts = await snapshot();
    const nest = (n) => `{"ticket":{"comment":{"body":"x"},"custom_fields":${'['.repeat(n)}${']'.repeat(n)}}}`;
    for (const n of [100, 200_000]) {
      const res = await api.post('/api/v2/tickets.json', nest(n), { expect: 400 });
      assert.equal(res.body.error, 'InvalidValue');
      assert.match(res.body.description, /nested/i);
    }
    await api.post('/api/v2/tickets/create_many.json', `{"tickets":${'['.repeat(100_000)}${']'.repeat(100_000)}}`, { expect: 400 });
    await api.post('/api/v2/session', `{"email":${'['.repeat(100_000)}${']'.repeat(100_000)}}`, { auth: 'none', expect: 400 });
    await nothingWritten('deep JSON');
    // Brackets inside strings are text, not nesting.
    const t = await createTicket(api, { subject: '['.repeat(300), comment: { body: '{'.repeat(300) } });
    assert.equal(t.subject, '['.repeat(300));
    await api.get('/api/v2/tickets.json', { expect: 200 });
  });

  test('a body over the 2 MiB limit is 413 RequestTooLarge', async () => {
    counts = await snapshot();
    // Announced size over the limit: refused from the headers alone.
    const announced = await rawHttp(
      srv.port,
      `POST /api/v2/tickets.json HTTP/1.1\r\nHost: x\r\nAuthorization: ${srv.basicAuth}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${2 * MiB + 1}\r\n\r\n{"ticket":`,
    );
    assert.equal(announced.status, 413);
    assert.equal(announced.headers['content-type'], JSON_CT);
    assert.equal(announced.body.error, 'RequestTooLarge');
    assert.ok(announced.headers['x-request-id']);
    assert.equal(typeof announced.body.description, 'string');
    // A chunked body that grows past the limit.
    const chunk = 'a'.repeat(64 * 1024);
    let chunked =
      `POST /api/v2/tickets.json HTTP/1.1\r\nHost: x\r\nAuthorization: ${srv.basicAuth}\r\n` +
      'Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n';
    chunked += `${(11 + 0).toString(16)}\r\n{"ticket":"\r\n`;
    for (let i = 0; i < 40; i += 1) chunked += `${chunk.length.toString(16)}\r\n${chunk}\r\n`;
    const grown = await rawHttp(srv.port, chunked);
    assert.equal(grown.status, 413);
    assert.equal(grown.body.error, 'RequestTooLarge');
    // A real body over 2 MiB through fetch: the client, still uploading, must get to read the 413
    // (the server drains what it refused rather than resetting the connection).
    const big = JSON.stringify({ ticket: { subject: 'big', comment: { body: 'x'.repeat(2 * MiB) } } });
    for (let i = 0; i < 3; i += 1) {
      const res = await api.post('/api/v2/tickets.json', big, { expect: 413 });
      assert.equal(res.body.error, 'RequestTooLarge');
    }
    await nothingWritten('an oversized body');
    // Just under the limit is accepted.
    const fits = JSON.stringify({ ticket: { subject: 'fits', comment: { body: 'y'.repeat(MiB) } } });
    const ok = await api.post('/api/v2/tickets.json', fits, { expect: 201 });
    assert.equal(ok.body.ticket.description.length, MiB);
  });

  test('headers over the limit are 431', async () => {
    const res = await api.get('/api/v2/tickets.json', { headers: { 'X-Padding': 'p'.repeat(20_000) } });
    assert.equal(res.status, 431);
    assert.equal(res.body.error, 'RequestHeaderFieldsTooLarge');
    await api.get('/api/v2/tickets.json', { headers: { 'X-Padding': 'p'.repeat(4_000) }, expect: 200 });
  });

  test('missing or forged credentials are 401 with the documented body and WWW-Authenticate', async () => {
    counts = await snapshot();
    const ticket = { ticket: { subject: 'intruder', comment: { body: 'x' } } };
    const attempts = {
      none: 'none',
      'forged token': tokenAuth(srv.adminEmail, 'AAAAforgedtokenAAAA'),
      'token for an unknown user': tokenAuth('nobody@example.com', srv.token),
      'wrong password': passwordAuth(srv.adminEmail, 'not the password'),
      'garbage basic': 'Basic !!!not-base64!!!',
      'basic without colon': `Basic ${Buffer.from('justauser').toString('base64')}`,
      'unknown scheme': `Digest username="${srv.adminEmail}"`,
    };
    for (const [what, auth] of Object.entries(attempts)) {
      for (const [method, path, body] of [
        ['GET', '/api/v2/tickets.json'],
        ['POST', '/api/v2/tickets.json', ticket],
        ['DELETE', '/api/v2/tickets/1.json'],
      ]) {
        const res = await api.call(method, path, body, { auth, expect: 401 });
        assert.deepEqual(res.body, UNAUTHENTICATED, `${what} ${method}`);
        assert.equal(res.headers.get('www-authenticate'), 'Basic realm="Web Password"', what);
      }
    }
    await api.get('/api/v2/tickets/1.json', { expect: 200 });
    await nothingWritten('unauthenticated requests');
  });

  test('ids and paths that do not exist are 404; HTTP that is not HTTP is 400', async () => {
    for (const p of ['/api/v2/tickets/99999999999999999999999.json', '/api/v2/tickets/-1.json', '/api/v2/users/1e3.json', '/api/v3/tickets.json']) {
      assert.deepEqual((await api.get(p, { expect: 404 })).body, NOT_FOUND, p);
    }
    const garbage = await rawHttp(srv.port, 'THIS IS NOT HTTP\r\n\r\n');
    assert.equal(garbage.status, 400);
    assert.equal(garbage.headers['content-type'], JSON_CT);
  });

  test('unknown fields and query parameters are ignored; GET and DELETE tolerate an empty JSON body', async () => {
    const t = await createTicket(api, { subject: 'extra fields', frobnicate: true, brand_id: 7 });
    assert.equal(t.subject, 'extra fields');
    await api.get(`/api/v2/tickets/${t.id}.json?include=users&whatever=1`, { expect: 200 });
    const headers = { 'Content-Type': 'application/json' };
    await api.get(`/api/v2/tickets/${t.id}.json`, { headers, expect: 200 }); // fetch sends no GET body
    await api.call('DELETE', `/api/v2/tickets/${t.id}.json`, '', { headers, expect: 204 });
  });
});
