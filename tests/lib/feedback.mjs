// Helpers for the feedback black-box tests (recovery, stream, recognition): solve a ticket, wait
// for its survey request, answer the survey as the customer, and read the live feedback stream.
//
//   const fb = feedbackKit(srv, api);
//   const s = await fb.survey({ agent: amy, subject: 'Refund' });   // solved, request delivered
//   const { rating } = await fb.answer(s, { stars: 1, resolved: false });
//
//   const stream = await openStream(srv, '?backfill=0');            // GET /api/v2/feedback/stream
//   const ev = await stream.waitFor((e) => e.event === 'rating' && e.data.id === rating.id);
//   stream.close();
import assert from 'node:assert/strict';

import { eventually, tokenAuth } from './api.mjs';
import { execute } from './server.mjs';

export function feedbackKit(srv, api) {
  let seq = 0;
  const asUser = (email) => api.as(tokenAuth(email, srv.token));

  /** A customer not surveyed before (one survey per customer per 7 days by default). */
  const newCustomer = (label = 'customer') => {
    seq += 1;
    return { name: `Cara ${label} ${seq}`, email: `cara-${label.replace(/\W+/g, '-').toLowerCase()}-${seq}@example.com` };
  };

  async function solve(ticketId, agent) {
    const res = await asUser(agent.email).put(
      `/api/v2/tickets/${ticketId}.json`,
      { ticket: { status: 'solved', comment: { body: 'All sorted.' } } },
      { expect: 200 },
    );
    assert.equal(res.body.ticket.status, 'solved');
  }

  /** A ticket assigned to `agent` (in `groupId` if given), solved by the agent. */
  async function solvedTicket({ agent, requester = newCustomer(), subject = 'My order never arrived', groupId } = {}) {
    assert.ok(agent, 'solvedTicket needs an agent');
    const fields = { subject, comment: { body: `${subject}. Please help.` }, assignee_id: agent.id, requester };
    if (groupId) fields.group_id = groupId;
    const created = (await api.post('/api/v2/tickets.json', { ticket: fields }, { expect: 201 })).body.ticket;
    await solve(created.id, agent);
    return created;
  }

  async function requestsFor(ticketId, as = api) {
    return (await as.get(`/api/v2/tickets/${ticketId}/feedback_requests.json`, { expect: 200 })).body.feedback_requests;
  }

  /** Polls until the ticket has at least `n` feedback requests; returns them. */
  function waitForRequests(ticketId, n = 1) {
    return eventually(
      async () => {
        const reqs = await requestsFor(ticketId);
        return reqs.length >= n && reqs;
      },
      { message: `${n} feedback request(s) for ticket ${ticketId}` },
    );
  }

  /** The link of a request as {url, path, token}. */
  const linkOf = (request) => {
    const path = new URL(request.url).pathname;
    return { url: request.url, path, token: path.slice('/s/'.length) };
  };

  /** A solved ticket with its delivered survey: {ticket, request, url, path, token}. */
  async function survey(opts = {}) {
    const ticket = await solvedTicket(opts);
    const [request] = await waitForRequests(ticket.id);
    assert.equal(request.status, 'delivered', JSON.stringify(request));
    return { ticket, request, ...linkOf(request) };
  }

  /** The customer answers with JSON (no credentials). Resolves the raw response. */
  function postJson(path, body) {
    return srv.request('POST', path, { auth: 'none', body });
  }

  /** A form post as a browser without script sends it: `fields` is {name: value | [values]}. */
  function postForm(path, fields) {
    const form = new URLSearchParams();
    for (const [k, v] of Object.entries(fields)) for (const one of [v].flat()) form.append(k, String(one));
    return srv.request('POST', path, {
      auth: 'none',
      body: form.toString(),
      headers: { Accept: 'text/html', 'Content-Type': 'application/x-www-form-urlencoded' },
    });
  }

  /** Answers survey `s` (JSON) and requires a 201. Returns {...s, rating} (rating: {id, stars, score, can_reward}). */
  async function answer(s, body) {
    const res = await postJson(s.path, body);
    assert.equal(res.status, 201, `answer ${JSON.stringify(body)}: ${res.status} ${res.text}`);
    return { ...s, rating: res.body.rating };
  }

  /** Survey + answer in one: a rated ticket. */
  async function rated(opts, body) {
    return answer(await survey(opts), body);
  }

  async function sql(query) {
    return (await execute('sqlite3', ['-cmd', '.timeout 5000', srv.db, query])).stdout.trim();
  }

  async function putSettings(fields, { as = api, expect = 200 } = {}) {
    return as.put('/api/v2/feedback/settings.json', { feedback_settings: fields }, { expect });
  }

  async function group(name) {
    return (await api.post('/api/v2/groups.json', { group: { name } }, { expect: 201 })).body.group;
  }

  async function site(name) {
    return (await api.post('/api/v2/sites.json', { site: { name } }, { expect: 201 })).body.site;
  }

  return {
    asUser,
    newCustomer,
    solve,
    solvedTicket,
    requestsFor,
    waitForRequests,
    linkOf,
    survey,
    postJson,
    postForm,
    answer,
    rated,
    sql,
    putSettings,
    group,
    site,
  };
}

/** Today's UTC date as YYYY-MM-DD, shifted by `days`. */
export function utcDate(days = 0) {
  return new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);
}

/** Visible text of an HTML page (scripts, styles and tags removed). */
export const visibleText = (html) =>
  html
    .replace(/<script[\s\S]*?<\/script>|<style[\s\S]*?<\/style>/g, '')
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ');

/**
 * Opens GET /api/v2/feedback/stream{query} (or another `path`) with a streaming fetch and parses Server-Sent Events
 * as they arrive. A non-200 answer resolves {status, headers, text, body} with no stream.
 *
 * The stream object: {status, headers, events, comments, retry, frames, waitFor(pred, opts),
 * waitForAll(preds), close(), ended}. `events` are {id (number), event, data (parsed JSON),
 * lines (the raw lines of the frame)}; `ended` resolves {error} when the server ends the stream
 * (error is null for a clean end of the chunked body).
 */
export async function openStream(
  srv,
  query = '',
  { auth = srv.basicAuth, lastEventId, headers = {}, path = '/api/v2/feedback/stream' } = {},
) {
  const controller = new AbortController();
  const h = { Accept: 'text/event-stream', ...headers };
  if (auth && auth !== 'none') h.Authorization = auth;
  if (lastEventId !== undefined) h['Last-Event-ID'] = String(lastEventId);
  const res = await fetch(`${srv.baseUrl}${path}${query}`, { headers: h, signal: controller.signal });
  if (res.status !== 200) {
    const text = await res.text();
    let body = null;
    try {
      body = JSON.parse(text);
    } catch {
      body = null;
    }
    return { status: res.status, headers: res.headers, text, body };
  }
  const stream = {
    status: res.status,
    headers: res.headers,
    events: [],
    comments: [],
    retry: null,
    frames: [],
    closedByUs: false,
  };
  const decoder = new TextDecoder();
  let buffer = '';
  const parse = () => {
    for (let i = buffer.indexOf('\n\n'); i >= 0; i = buffer.indexOf('\n\n')) {
      const block = buffer.slice(0, i);
      buffer = buffer.slice(i + 2);
      const lines = block.split('\n');
      stream.frames.push(lines);
      if (lines.every((l) => l.startsWith(':'))) {
        stream.comments.push(...lines);
        continue;
      }
      const ev = { id: null, event: 'message', data: null, lines };
      const data = [];
      for (const line of lines) {
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'id') ev.id = Number(value);
        else if (field === 'event') ev.event = value;
        else if (field === 'data') data.push(value);
        else if (field === 'retry') stream.retry = Number(value);
      }
      if (data.length === 0) continue; // a retry-only frame
      ev.data = JSON.parse(data.join('\n'));
      stream.events.push(ev);
    }
  };
  const reader = res.body.getReader();
  stream.ended = (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        parse();
      }
      return { error: null };
    } catch (err) {
      return { error: stream.closedByUs ? null : err };
    }
  })();
  stream.close = () => {
    stream.closedByUs = true;
    controller.abort();
    return stream.ended;
  };
  /** Waits (with a deadline) for an event matching `pred`; returns it. */
  stream.waitFor = (pred, { timeoutMs = 15_000, message = 'stream event' } = {}) =>
    eventually(() => stream.events.find(pred), { timeoutMs, intervalMs: 20, message });
  /** The rating events of these rating ids, once all have arrived. */
  stream.waitForRatings = (ids, opts = {}) =>
    eventually(
      () => {
        const found = ids.map((id) => stream.events.find((e) => e.event === 'rating' && e.data.id === id));
        return found.every(Boolean) && found;
      },
      { timeoutMs: 15_000, intervalMs: 20, message: `rating events ${ids.join(',')}`, ...opts },
    );
  stream.ratingIds = () => stream.events.filter((e) => e.event === 'rating').map((e) => e.data.id);
  return stream;
}
