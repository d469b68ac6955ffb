// Durability: a ticket whose create returned 201 survives `kill -9` of the server mid-load, and
// the database passes PRAGMA integrity_check afterwards. SIGTERM drains: in-flight creates finish
// and the process exits 0.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { client, stopClean } from '../lib/api.mjs';
import { execute, startServer } from '../lib/server.mjs';

const IN_FLIGHT = 8;

/**
 * Drives ticket creation from IN_FLIGHT concurrent loops until `stopWhen(acked)` says so, then
 * calls `signal()` once; loops end at their first connection error after that. Returns
 * {acked: Map key -> {id, subject}, afterSignal, statuses (non-201 answers)}.
 */
async function load(srv, { tag, stopWhen, signal }) {
  const acked = new Map();
  const statuses = [];
  let signalled = false;
  let afterSignal = 0;
  let halt = false;
  const loop = async (w) => {
    for (let i = 0; !halt; i += 1) {
      const key = `${tag}w${w}x${i}`;
      const subject = `Load ${key}`;
      let res;
      try {
        res = await srv.request('POST', '/api/v2/tickets.json', {
          body: { ticket: { subject, external_id: key, comment: { body: `body of ${key}` } } },
        });
      } catch (err) {
        if (!signalled) throw new Error(`request failed before the signal: ${err.cause?.code ?? err.message}`);
        return; // the server is gone or going: this loop is done
      }
      if (res.status === 201) {
        assert.equal(res.body.ticket.subject, subject);
        acked.set(key, { id: res.body.ticket.id, subject });
        if (signalled) afterSignal += 1;
      } else {
        statuses.push(res.status);
      }
      if (!signalled && stopWhen(acked)) {
        signalled = true;
        signal();
      }
      if (signalled && Date.now() > deadline) halt = true;
    }
  };
  const deadline = Date.now() + 120_000;
  await Promise.all(Array.from({ length: IN_FLIGHT }, (_, w) => loop(w)));
  return { acked, afterSignal, statuses };
}

/** Asserts that every acknowledged ticket exists on `srv` with its subject. */
async function assertAllPresent(srv, acked) {
  const api = client(srv);
  const entries = [...acked.values()];
  const found = new Map();
  for (let i = 0; i < entries.length; i += 100) {
    const ids = entries.slice(i, i + 100).map((e) => e.id);
    const res = await api.get(`/api/v2/tickets/show_many.json?ids=${ids.join(',')}`, { expect: 200 });
    for (const t of res.body.tickets) found.set(t.id, t.subject);
  }
  const missing = entries.filter((e) => found.get(e.id) !== e.subject);
  assert.deepEqual(missing, [], `${missing.length} of ${entries.length} acknowledged tickets are missing or changed`);
  assert.equal(new Set(entries.map((e) => e.id)).size, entries.length, 'every 201 had its own id');
  const total = (await api.get('/api/v2/tickets.json?per_page=1', { expect: 200 })).body.count;
  assert.ok(total >= entries.length, `${total} tickets stored, ${entries.length} acknowledged`);
  // The full-text index came through too: the last acknowledged ticket is searchable.
  const last = [...acked.keys()].at(-1);
  const hit = await api.get(`/api/v2/search.json?query=${encodeURIComponent(`type:ticket "${last}"`)}`, { expect: 200 });
  assert.deepEqual(hit.body.results.map((r) => r.id), [acked.get(last).id]);
}

async function integrityCheck(db) {
  const { stdout } = await execute('sqlite3', [db, 'PRAGMA integrity_check;']);
  assert.equal(stdout.trim(), 'ok');
}

/** Runs `fn`; if it throws, the tail of each server's log is added to the error. */
async function explained(servers, fn) {
  try {
    return await fn();
  } catch (err) {
    const logs = servers()
      .filter(Boolean)
      .map((s) => `--- server on port ${s.port} ---\n${s.output().slice(-2500)}`)
      .join('\n');
    err.message = `${err.message}\n${logs}`;
    throw err;
  }
}

describe('crash safety', () => {
  test('kill -9 mid-load: every ticket that got a 201 exists after restart; integrity_check is ok', async () => {
    const srv = await startServer();
    let again;
    try {
      await explained(
        () => [srv, again],
        async () => {
          const { acked, statuses } = await load(srv, {
            tag: 'k',
            stopWhen: (a) => a.size >= 300,
            signal: () => srv.kill('SIGKILL'),
          });
          const exit = await srv.exited();
          assert.equal(exit.signal, 'SIGKILL');
          assert.deepEqual(statuses, [], 'only 201s before the kill');
          assert.ok(acked.size >= 300);

          again = await startServer({ db: srv.db, skipSetup: true, token: srv.token });
          await assertAllPresent(again, acked);
          // The restarted server keeps working on the recovered database.
          await client(again).post(
            '/api/v2/tickets.json',
            { ticket: { subject: 'after the crash', comment: { body: 'x' } } },
            { expect: 201 },
          );
          await stopClean(again);
          await integrityCheck(srv.db);
        },
      );
    } finally {
      await again?.stop();
      await srv.stop();
    }
  });

  test('SIGTERM mid-load: in-flight creates complete, queued work is committed, exit code 0', async () => {
    const srv = await startServer();
    let again;
    let third;
    try {
      await explained(
        () => [srv, again, third],
        async () => {
          const { acked, afterSignal, statuses } = await load(srv, {
            tag: 't',
            stopWhen: (a) => a.size >= 60,
            signal: () => srv.kill('SIGTERM'),
          });
          const exit = await srv.exited();
          assert.deepEqual(exit, { code: 0, signal: null }, 'exit after SIGTERM');
          assert.doesNotMatch(srv.output(), /AddressSanitizer|runtime error:/);
          assert.deepEqual(statuses, [], 'draining never answers with an error status');
          assert.ok(afterSignal >= 1, 'requests in flight at SIGTERM were answered with 201');

          // A bulk job accepted just before SIGTERM: its tickets are written after the 200, and
          // shutdown must still commit them.
          again = await startServer({ db: srv.db, skipSetup: true, token: srv.token });
          await assertAllPresent(again, acked);
          const bulk = Array.from({ length: 100 }, (_, i) => ({ subject: `bulk at shutdown ${i}`, comment: { body: 'b' } }));
          const job = (await client(again).post('/api/v2/tickets/create_many.json', { tickets: bulk }, { expect: 200 })).body
            .job_status;
          assert.deepEqual(await again.kill('SIGTERM'), { code: 0, signal: null });

          third = await startServer({ db: srv.db, skipSetup: true, token: srv.token });
          const api = client(third);
          const status = (await api.get(`/api/v2/job_statuses/${job.id}.json`, { expect: 200 })).body.job_status;
          assert.equal(status.status, 'completed', JSON.stringify(status));
          assert.equal(status.results.length, 100);
          const ids = status.results.map((r) => r.id);
          assert.ok(ids.every(Number.isInteger));
          const shown = (await api.get(`/api/v2/tickets/show_many.json?ids=${ids.join(',')}`, { expect: 200 })).body.tickets;
          assert.equal(shown.length, 100);
          await stopClean(third);
          await integrityCheck(srv.db);
        },
      );
    } finally {
      await third?.stop();
      await again?.stop();
      await srv.stop();
    }
  });
});
