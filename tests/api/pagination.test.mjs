// Both pagination styles: offset (page/per_page, count, next_page/previous_page) and cursor
// (page[size]/page[after]/page[before], meta + links), with absolute links built from the request.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { JSON_CT, client, eventually, follow, rawHttp, stopClean } from '../lib/api.mjs';
import { startServer } from '../lib/server.mjs';

const N = 12; // tickets: 7 new, then 5 open
const NEW = 7;

/** The query parameters of an absolute URL, as an object (repeated keys: last wins). */
const params = (url) => Object.fromEntries(new URL(url).searchParams);
const pathOf = (url) => {
  const u = new URL(url);
  return u.pathname + u.search;
};

describe('pagination', () => {
  let srv;
  let api;
  let ids; // all ticket ids, ascending

  before(async () => {
    srv = await startServer();
    api = client(srv);
    const me = (await api.get('/api/v2/users/me.json', { expect: 200 })).body.user;
    const tickets = Array.from({ length: N }, (_, i) => ({
      subject: `page ticket ${i + 1}`,
      comment: { body: `body ${i + 1}` },
      ...(i >= NEW ? { assignee_id: me.id } : {}),
    }));
    const job = (await api.post('/api/v2/tickets/create_many.json', { tickets }, { expect: 200 })).body.job_status;
    const done = await eventually(async () => {
      const s = (await api.get(`/api/v2/job_statuses/${job.id}.json`, { expect: 200 })).body.job_status;
      return s.status === 'completed' && s;
    });
    ids = done.results.map((r) => r.id);
    assert.equal(ids.length, N);
  });
  after(() => stopClean(srv));

  describe('offset', () => {
    test('pages carry count and absolute next/previous links with the page size', async () => {
      const p1 = (await api.get('/api/v2/tickets.json?per_page=5', { expect: 200 })).body;
      assert.deepEqual(p1.tickets.map((t) => t.id), ids.slice(0, 5));
      assert.equal(p1.count, N);
      assert.equal(p1.previous_page, null);
      assert.ok(p1.next_page.startsWith(`${srv.baseUrl}/api/v2/tickets.json?`), p1.next_page);
      assert.deepEqual(params(p1.next_page), { page: '2', per_page: '5' });
      assert.equal(p1.meta, undefined);

      const p2 = (await follow(srv, p1.next_page)).body;
      assert.deepEqual(p2.tickets.map((t) => t.id), ids.slice(5, 10));
      assert.deepEqual(params(p2.previous_page), { page: '1', per_page: '5' });
      const p3 = (await follow(srv, p2.next_page)).body;
      assert.deepEqual(p3.tickets.map((t) => t.id), ids.slice(10));
      assert.equal(p3.next_page, null);
      assert.equal(p3.count, N);
      const back = (await follow(srv, p3.previous_page)).body;
      assert.deepEqual(back.tickets.map((t) => t.id), ids.slice(5, 10));
    });

    test('links carry filters; per_page is capped at 100; a page past the end is empty', async () => {
      const p1 = (await api.get('/api/v2/tickets.json?status=open&per_page=2&sort_order=desc', { expect: 200 })).body;
      assert.equal(p1.count, N - NEW);
      assert.deepEqual(p1.tickets.map((t) => t.id), ids.slice(NEW).reverse().slice(0, 2));
      assert.deepEqual(params(p1.next_page), { status: 'open', sort_order: 'desc', page: '2', per_page: '2' });
      const p2 = (await follow(srv, p1.next_page)).body;
      assert.ok(p2.tickets.every((t) => t.status === 'open'));
      assert.deepEqual(p2.tickets.map((t) => t.id), ids.slice(NEW).reverse().slice(2, 4));

      const capped = (await api.get('/api/v2/tickets.json?page=2&per_page=1000', { expect: 200 })).body;
      assert.deepEqual(capped.tickets, []);
      assert.equal(params(capped.previous_page).per_page, '100');
      assert.equal(capped.next_page, null);
    });

    test('requests past 10,000 records or with bad numbers give 400 InvalidPaginationParameter', async () => {
      const ok = await api.get('/api/v2/tickets.json?page=100&per_page=100', { expect: 200 });
      assert.deepEqual(ok.body.tickets, []);
      for (const q of ['page=101&per_page=100', 'page=10001', 'page=0', 'page=-1', 'per_page=0', 'page=abc']) {
        const res = await api.get(`/api/v2/tickets.json?${q}`, { expect: 400 });
        assert.equal(res.body.error, 'InvalidPaginationParameter', q);
        assert.equal(typeof res.body.description, 'string', q);
      }
      const users = await api.get('/api/v2/users.json?page=201&per_page=50', { expect: 400 });
      assert.equal(users.body.error, 'InvalidPaginationParameter');
    });
  });

  describe('cursor', () => {
    /** Walks links.next from `first`; returns every page (the last one is the empty terminator). */
    async function walk(first) {
      const pages = [(await api.get(first, { expect: 200 })).body];
      while (pages.at(-1).links.next) {
        assert.ok(pages.length < 50, 'runaway pagination');
        pages.push((await follow(srv, pages.at(-1).links.next)).body);
      }
      return pages;
    }

    test('raw brackets: has_more, opaque cursors, absolute links; last page links to an empty page of nulls', async () => {
      const pages = await walk('/api/v2/tickets.json?page[size]=5');
      assert.equal(pages.length, 4, 'three full pages and the empty terminator');
      assert.deepEqual(pages.slice(0, 3).flatMap((p) => p.tickets.map((t) => t.id)), ids);
      const [p1, p2, p3, empty] = pages;
      for (const p of [p1, p2, p3, empty]) {
        assert.equal(p.count, undefined, 'cursor pages carry no count');
        assert.equal(p.next_page, undefined);
      }
      assert.equal(p1.meta.has_more, true);
      assert.equal(p2.meta.has_more, true);
      assert.equal(typeof p1.meta.after_cursor, 'string');
      assert.equal(typeof p1.meta.before_cursor, 'string');
      assert.ok(p1.links.next.startsWith(`${srv.baseUrl}/api/v2/tickets.json?`), p1.links.next);
      assert.equal(params(p1.links.next)['page[size]'], '5');
      assert.equal(params(p1.links.next)['page[after]'], p1.meta.after_cursor);
      // The last non-empty page says has_more:false yet still links onward (as zendesk.com does).
      assert.equal(p3.tickets.length, 2);
      assert.equal(p3.meta.has_more, false);
      assert.ok(p3.links.next);
      assert.deepEqual(empty.tickets, []);
      assert.deepEqual(empty.meta, { has_more: false, after_cursor: null, before_cursor: null });
      assert.deepEqual(empty.links, { next: null, prev: null });
    });

    test('percent-encoded brackets page the same way', async () => {
      const raw = (await api.get('/api/v2/tickets.json?page[size]=5', { expect: 200 })).body;
      const enc = (await api.get('/api/v2/tickets.json?page%5Bsize%5D=5', { expect: 200 })).body;
      assert.deepEqual(enc.tickets.map((t) => t.id), raw.tickets.map((t) => t.id));
      assert.equal(enc.meta.after_cursor, raw.meta.after_cursor);
      const next = (
        await api.get(`/api/v2/tickets.json?page%5Bsize%5D=5&page%5Bafter%5D=${encodeURIComponent(enc.meta.after_cursor)}`, {
          expect: 200,
        })
      ).body;
      assert.deepEqual(next.tickets.map((t) => t.id), ids.slice(5, 10));
    });

    test('links.prev goes back a page', async () => {
      const p1 = (await api.get('/api/v2/tickets.json?page[size]=4', { expect: 200 })).body;
      const p2 = (await follow(srv, p1.links.next)).body;
      assert.deepEqual(p2.tickets.map((t) => t.id), ids.slice(4, 8));
      const back = (await follow(srv, p2.links.prev)).body;
      assert.deepEqual(back.tickets.map((t) => t.id), ids.slice(0, 4));
      assert.equal(back.meta.has_more, true);
    });

    test('links carry filters and sort; page[size] is capped at 100', async () => {
      const pages = await walk('/api/v2/tickets.json?status=new&page[size]=3&sort=-id');
      const got = pages.flatMap((p) => p.tickets);
      assert.ok(got.every((t) => t.status === 'new'));
      assert.deepEqual(got.map((t) => t.id), ids.slice(0, NEW).reverse());
      assert.equal(params(pages[0].links.next).status, 'new');
      assert.equal(params(pages[0].links.next).sort, '-id');
      const big = (await api.get('/api/v2/tickets.json?page[size]=500', { expect: 200 })).body;
      assert.equal(big.tickets.length, N);
      assert.equal(params(big.links.next)['page[size]'], '100');
    });

    test('an empty result has links.next null', async () => {
      const res = (await api.get('/api/v2/tickets.json?status=hold&page[size]=10', { expect: 200 })).body;
      assert.deepEqual(res, {
        tickets: [],
        meta: { has_more: false, after_cursor: null, before_cursor: null },
        links: { next: null, prev: null },
      });
    });

    test('bad cursor parameters give 400 InvalidPaginationParameter', async () => {
      for (const q of ['page[size]=0', 'page[size]=x', 'page[after]=%25%25not-a-cursor', 'page[after]=MS4x&page[before]=MS4x']) {
        const res = await api.get(`/api/v2/tickets.json?${q}`, { expect: 400 });
        assert.equal(res.body.error, 'InvalidPaginationParameter', q);
      }
    });

    test('users, organizations and groups take both styles', async () => {
      for (let i = 1; i <= 3; i += 1) {
        await api.post('/api/v2/organizations.json', { organization: { name: `Paged Org ${i}` } }, { expect: 201 });
        await api.post('/api/v2/groups.json', { group: { name: `Paged Group ${i}` } }, { expect: 201 });
        await api.post('/api/v2/users.json', { user: { name: `Paged User ${i}`, email: `paged${i}@example.com` } }, { expect: 201 });
      }
      for (const kind of ['users', 'organizations', 'groups']) {
        const all = (await api.get(`/api/v2/${kind}.json?per_page=100`, { expect: 200 })).body;
        assert.ok(all.count >= 2, kind);
        const offset1 = (await api.get(`/api/v2/${kind}.json?per_page=1`, { expect: 200 })).body;
        assert.equal(offset1[kind].length, 1, kind);
        assert.equal(offset1.count, all.count, kind);
        assert.ok(offset1.next_page.startsWith(`${srv.baseUrl}/api/v2/${kind}.json?`), kind);
        const pages = await walk(`/api/v2/${kind}.json?page[size]=2`);
        assert.deepEqual(
          pages.flatMap((p) => p[kind].map((x) => x.id)),
          all[kind].map((x) => x.id),
          kind,
        );
        assert.deepEqual(pages.at(-1).links, { next: null, prev: null }, kind);
      }
    });
  });

  describe('absolute links from the request', () => {
    test('offset and cursor links and object urls use X-Forwarded-Proto and X-Forwarded-Host', async () => {
      const headers = { 'X-Forwarded-Proto': 'https', 'X-Forwarded-Host': 'help.example.com' };
      const off = (await api.get('/api/v2/tickets.json?per_page=5', { headers, expect: 200 })).body;
      assert.ok(off.next_page.startsWith('https://help.example.com/api/v2/tickets.json?'), off.next_page);
      assert.equal(off.tickets[0].url, `https://help.example.com/api/v2/tickets/${ids[0]}.json`);
      const cur = (await api.get('/api/v2/tickets.json?page[size]=5', { headers, expect: 200 })).body;
      assert.ok(cur.links.next.startsWith('https://help.example.com/api/v2/tickets.json?'), cur.links.next);
      assert.ok(cur.links.prev.startsWith('https://help.example.com/api/v2/tickets.json?'), cur.links.prev);
      // The links work against the real server once the proxy's host is swapped back.
      const next = (await api.get(pathOf(cur.links.next), { expect: 200 })).body;
      assert.deepEqual(next.tickets.map((t) => t.id), ids.slice(5, 10));
    });

    test('the Host header names the links; an unsafe Host is not reflected', async () => {
      const get = (host) =>
        rawHttp(
          srv.port,
          `GET /api/v2/tickets.json?per_page=5 HTTP/1.1\r\nHost: ${host}\r\nAuthorization: ${srv.basicAuth}\r\n` +
            'Accept: application/json\r\nConnection: close\r\n\r\n',
        );
      const res = await get('support.example.test:8443');
      assert.equal(res.status, 200);
      assert.equal(res.headers['content-type'], JSON_CT);
      assert.ok(res.body.next_page.startsWith('http://support.example.test:8443/api/v2/tickets.json?'), res.body.next_page);
      const evil = await get('evil.example/"><script>');
      assert.ok(!evil.text.includes('<script>'), 'a Host with markup is not echoed into links');
    });
  });
});
