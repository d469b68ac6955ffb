// Skills- and capacity-based routing as admins, leads and agents see it: each policy's
// assignment order (round robin, least busy, longest idle), capacity that is never exceeded, skill
// requirements relaxed after their waits, unstarted work returning when its agent goes offline,
// the queue and why each ticket waits, permissions, and a restart that continues where it was.
// The server runs with the test-only clock so relaxation never waits for real time; every other
// wait polls for what the server makes observable.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { client, createTicket, createUser, eventually, stopClean, tokenAuth } from '../lib/api.mjs';
import { execute, startServer } from '../lib/server.mjs';

describe('routing', { timeout: 240_000 }, () => {
  let srv;
  let api;
  let clock = Date.parse('2030-01-07T10:00:00Z');
  let serial = 0;

  const setClock = async (ms) => {
    clock = ms;
    const iso = new Date(ms).toISOString().replace('.000Z', 'Z');
    await api.put('/api/v2/testing/clock', { clock: { now: iso } }, { expect: 200 });
  };
  const advance = (seconds) => setClock(clock + seconds * 1000);
  const sql = async (query) => (await execute('sqlite3', ['-cmd', '.timeout 5000', srv.db, query])).stdout.trim();

  const group = async (name) => (await api.post('/api/v2/groups.json', { group: { name } }, { expect: 201 })).body.group;
  const agent = async (name, groupIds, extra = {}) => {
    serial += 1;
    const user = await createUser(api, {
      name,
      email: `${name.toLowerCase().replace(/\W+/g, '.')}.${serial}@example.com`,
      role: 'agent',
      ticket_restriction: null,
      group_ids: groupIds,
      ...extra,
    });
    return { ...user, api: api.as(tokenAuth(user.email, srv.token)) };
  };
  const presence = (who, status) => who.api.put('/api/v2/agents/me/presence', { presence: { status } }, { expect: 200 });
  const capacity = (who, caps) => api.put(`/api/v2/routing/agents/${who.id}/capacity`, { capacity: caps }, { expect: 200 });
  const policy = async (groupId, fields = {}) =>
    (await api.post('/api/v2/routing/policies', { routing_policy: { group_id: groupId, ...fields } }, { expect: 201 }))
      .body.routing_policy;
  const ticketIn = async (groupId, fields = {}) => (await createTicket(api, { subject: 'Help', group_id: groupId, ...fields })).id;
  const assigneeOf = async (id) => (await api.get(`/api/v2/tickets/${id}.json`, { expect: 200 })).body.ticket.assignee_id;
  const assigned = (id, message) => eventually(async () => assigneeOf(id), { message: message ?? `ticket ${id} assigned` });
  const queueOf = async (groupId) => (await api.get(`/api/v2/routing/queue?group_id=${groupId}`, { expect: 200 })).body;
  const waiting = (groupId, id, reason) =>
    eventually(
      async () => {
        const q = await queueOf(groupId);
        const item = q.queue.find((i) => i.ticket_id === id);
        return item && (!reason || item.reason === reason) ? item : null;
      },
      { message: `ticket ${id} waiting${reason ? ` (${reason})` : ''}` },
    );
  // Waits until routing has handled everything written so far, the clock included: a probe
  // ticket in a group of its own, with an agent always free, is assigned only by a pass that
  // handled every earlier event and the relaxation steps due by then. A ticket that "stays
  // unassigned" is proven only after this.
  let probe;
  const settled = async () => {
    const id = await ticketIn(probe.group.id);
    assert.equal(await assigned(id, 'probe assigned'), probe.agent.id);
  };

  before(async () => {
    srv = await startServer({ env: { RAPPORT_TESTING_CLOCK_CONTROL: 'true' } });
    api = client(srv);
    await setClock(clock);
    const g = await group('Probe');
    probe = { group: g, agent: await agent('Probe', [g.id]) };
    await capacity(probe.agent, { api: 1000 });
    await presence(probe.agent, 'online');
    await policy(g.id);
  });
  after(async () => {
    await stopClean(srv);
  });

  test('round robin takes turns in id order and continues with whoever comes online', async () => {
    const g = await group('Round robin');
    const [a, b, c] = [await agent('Rr A', [g.id]), await agent('Rr B', [g.id]), await agent('Rr C', [g.id])];
    for (const x of [a, b, c]) await capacity(x, { api: 10 });
    await presence(a, 'online');
    await presence(b, 'online');
    await policy(g.id, { method: 'round_robin' });
    const got = [];
    for (let i = 0; i < 3; i++) got.push(await assigned(await ticketIn(g.id)));
    assert.deepEqual(got, [a.id, b.id, a.id]);
    await presence(c, 'online');
    got.length = 0;
    for (let i = 0; i < 3; i++) got.push(await assigned(await ticketIn(g.id)));
    assert.deepEqual(got, [b.id, c.id, a.id]);
  });

  test('round robin order is written as a ticket update by the policy and a routing.assigned event', async () => {
    const g = await group('Audited');
    const a = await agent('Audit A', [g.id]);
    await capacity(a, { api: 5 });
    await presence(a, 'online');
    const p = await policy(g.id, { name: 'Audited routing' });
    const id = await ticketIn(g.id);
    assert.equal(await assigned(id), a.id);
    const { body } = await api.get(`/api/v2/tickets/${id}/audits.json`, { expect: 200 });
    const routed = body.audits.find((au) => au.via?.source?.rel === 'routing');
    assert.ok(routed, JSON.stringify(body.audits));
    assert.deepEqual(routed.via.source.from, { id: p.id, title: 'Audited routing' });
    assert.ok(routed.events.some((e) => e.field_name === 'assignee_id' && e.value === a.id));
    const ticket = (await api.get(`/api/v2/tickets/${id}.json`, { expect: 200 })).body.ticket;
    assert.equal(ticket.status, 'open');
    const ev = JSON.parse(await sql(`SELECT data FROM events WHERE kind = 'routing.assigned' AND entity_id = ${id}`));
    assert.equal(ev.agent_id, a.id);
    assert.equal(ev.policy_id, p.id);
  });

  test('least busy gives work to whoever has the fewest new and open tickets', async () => {
    const g = await group('Least busy');
    const d = await agent('Lb D', [g.id]);
    const e = await agent('Lb E', [g.id]);
    for (const x of [d, e]) await capacity(x, { api: 10 });
    // D already works on two tickets assigned by hand (outside any routed group).
    for (let i = 0; i < 2; i++) await createTicket(api, { subject: 'manual', assignee_id: d.id });
    await presence(d, 'online');
    await presence(e, 'online');
    await policy(g.id, { method: 'least_busy' });
    const got = [];
    for (let i = 0; i < 3; i++) got.push(await assigned(await ticketIn(g.id)));
    // E (0, then 1 ticket) twice; then both have 2 and D, idle longer, wins the tie.
    assert.deepEqual(got, [e.id, e.id, d.id]);
  });

  test('longest idle gives work to whoever waited longest since their last routed ticket', async () => {
    const g = await group('Longest idle');
    const f = await agent('Li F', [g.id]);
    const gg = await agent('Li G', [g.id]);
    const h = await agent('Li H', [g.id]);
    for (const x of [f, gg, h]) await capacity(x, { api: 10 });
    await presence(f, 'online');
    await presence(gg, 'online');
    await policy(g.id, { method: 'longest_idle' });
    const got = [];
    for (let i = 0; i < 3; i++) got.push(await assigned(await ticketIn(g.id)));
    await presence(h, 'online');
    for (let i = 0; i < 2; i++) got.push(await assigned(await ticketIn(g.id)));
    // H never had one, so H is next; then G (last served before F's second). Round robin would
    // have given the fifth to F.
    assert.deepEqual(got, [f.id, gg.id, f.id, h.id, gg.id]);
  });

  test('capacity is never exceeded: the next ticket waits and goes when one is solved', async () => {
    const g = await group('Capacity');
    const i = await agent('Cap I', [g.id]);
    await capacity(i, { api: 2, chat: 1 });
    await presence(i, 'online');
    await policy(g.id);
    const t1 = await ticketIn(g.id);
    const t2 = await ticketIn(g.id);
    const t3 = await ticketIn(g.id);
    assert.equal(await assigned(t1), i.id);
    assert.equal(await assigned(t2), i.id);
    const item = await waiting(g.id, t3, 'all_at_capacity');
    assert.equal(item.channel, 'api');
    await settled();
    assert.equal(await assigneeOf(t3), null);
    const cap = (await api.get(`/api/v2/routing/agents/${i.id}/capacity`, { expect: 200 })).body;
    assert.deepEqual(cap.capacity, { api: 2, chat: 1 });
    assert.equal(cap.load.api, 2);
    assert.equal(cap.online, true);
    // The agent sees their own capacity and load too.
    assert.equal((await i.api.get('/api/v2/routing/agents/me/capacity', { expect: 200 })).body.load.api, 2);

    await api.put(`/api/v2/tickets/${t1}.json`, { ticket: { status: 'solved' } }, { expect: 200 });
    assert.equal(await assigned(t3), i.id);
    assert.equal((await queueOf(g.id)).queue.length, 0);
    // Raising the capacity lets a waiting ticket go at once.
    const t4 = await ticketIn(g.id);
    await waiting(g.id, t4, 'all_at_capacity');
    await capacity(i, { api: 3 });
    assert.equal(await assigned(t4), i.id);
  });

  test('a ticket an agent can take at once is assigned in its own create answer; a burst of creates stays within capacity', async () => {
    const g = await group('At create');
    const a = await agent('Ac A', [g.id]);
    const b = await agent('Ac B', [g.id]);
    for (const x of [a, b]) {
      await capacity(x, { api: 3 });
      await presence(x, 'online');
    }
    await policy(g.id, { method: 'least_busy' });
    await settled(); // routing has read the presences and the policy
    // The decision was made in the create's own transaction: the 201 already names the agent.
    const first = await createTicket(api, { subject: 'Help', group_id: g.id });
    assert.ok([a.id, b.id].includes(first.assignee_id), `the 201 names an agent: ${JSON.stringify(first)}`);
    const ev = JSON.parse(await sql(`SELECT data FROM events WHERE kind = 'routing.assigned' AND entity_id = ${first.id}`));
    assert.equal(ev.at_create, true);
    assert.equal(ev.agent_id, first.assignee_id);
    // Ten creates at once for the five slots left: five are assigned (whether in their create or
    // by the consumer just after) and five wait; nobody gets more than 3.
    const burst = await Promise.all(
      Array.from({ length: 10 }, (_, i) => createTicket(api, { subject: `Burst ${i}`, group_id: g.id })),
    );
    await settled();
    const now = await Promise.all(burst.map((t) => assigneeOf(t.id)));
    const count = (id) => [first.assignee_id, ...now].filter((x) => x === id).length;
    assert.equal(count(a.id), 3);
    assert.equal(count(b.id), 3);
    assert.equal(now.filter((x) => x === null).length, 5);
    // What a 201 said is what is stored: nothing assigned in a create was taken back.
    burst.forEach((t, i) => t.assignee_id != null && assert.equal(now[i], t.assignee_id));
    const q = await queueOf(g.id);
    assert.equal(q.count, 5);
    assert.ok(q.queue.every((item) => item.reason === 'all_at_capacity'));
  });

  test('a routed assignment fires triggers like a manual one, at create and after waiting', async () => {
    const g = await group('Triggered');
    const a = await agent('Tr A', [g.id]);
    await capacity(a, { api: 1 });
    await presence(a, 'online');
    await policy(g.id, { name: 'Triggered routing' });
    const trigger = (
      await api.post(
        '/api/v2/triggers.json',
        {
          trigger: {
            title: 'Tag routed work',
            conditions: {
              all: [
                { field: 'group_id', operator: 'is', value: String(g.id) },
                { field: 'assignee_id', operator: 'changed' },
              ],
            },
            actions: [{ field: 'current_tags', value: 'routed' }],
          },
        },
        { expect: 201 },
      )
    ).body.trigger;
    await settled();
    // Routed inside its create: the create's triggers already see the assignee.
    const first = await createTicket(api, { subject: 'First', group_id: g.id });
    assert.equal(first.assignee_id, a.id);
    assert.ok(first.tags.includes('routed'), JSON.stringify(first.tags));
    // This one waits (she is full), so nothing has changed its assignee yet.
    const second = await createTicket(api, { subject: 'Second', group_id: g.id });
    assert.equal(second.assignee_id, null);
    assert.ok(!second.tags.includes('routed'));
    await api.put(`/api/v2/tickets/${first.id}.json`, { ticket: { status: 'solved' } }, { expect: 200 });
    assert.equal(await assigned(second.id), a.id);
    // Routed by the consumer later: the trigger ran on that update, and its change joined the
    // audit the routing policy made.
    const t = (await api.get(`/api/v2/tickets/${second.id}.json`, { expect: 200 })).body.ticket;
    assert.ok(t.tags.includes('routed'), JSON.stringify(t.tags));
    const { body } = await api.get(`/api/v2/tickets/${second.id}/audits.json`, { expect: 200 });
    const routed = body.audits.find((au) => au.via?.source?.rel === 'routing');
    assert.ok(routed, JSON.stringify(body.audits));
    assert.ok(
      routed.events.some(
        (e) => e.field_name === 'tags' && e.via?.source?.rel === 'trigger' && e.via.source.from.id === trigger.id,
      ),
      JSON.stringify(routed.events),
    );
    await api.put(`/api/v2/triggers/${trigger.id}.json`, { trigger: { active: false } }, { expect: 200 });
  });

  test('skills are required, then relaxed after their waits, then dropped', async () => {
    const g = await group('German');
    const german = (await api.post('/api/v2/routing/skills', { skill: { name: 'de', type: 'language' } }, { expect: 201 }))
      .body.skill;
    const novice = await agent('De Novice', [g.id]);
    const other = await agent('De Other', [g.id]);
    for (const x of [novice, other]) await capacity(x, { api: 5 });
    await api.put(`/api/v2/routing/agents/${novice.id}/skills`, { agent_skills: [{ skill_id: german.id, level: 1 }] }, { expect: 200 });
    await presence(novice, 'online');
    await presence(other, 'online');
    await policy(g.id, {
      requirements: [
        {
          conditions: [{ field: 'tag', value: 'german' }],
          skill_id: german.id,
          min_level: 4,
          relaxation: [
            { after_seconds: 120, min_level: 1 },
            { after_seconds: 600, min_level: 0 },
          ],
        },
      ],
    });
    const t = await ticketIn(g.id, { tags: ['german'] });
    const item = await waiting(g.id, t, 'skill_not_met');
    assert.deepEqual(item.requirements, [{ skill_id: german.id, min_level: 4 }]);
    assert.equal(item.next_relaxation_at, new Date(clock + 120_000).toISOString().replace('.000Z', 'Z'));
    await advance(119);
    await settled();
    assert.equal(await assigneeOf(t), null, 'not before 120 s');
    await advance(1);
    assert.equal(await assigned(t, 'assigned once level 1 is enough'), novice.id);

    // Without the novice, only dropping the skill lets the other agent take it.
    await presence(novice, 'away');
    const t2 = await ticketIn(g.id, { tags: ['german'] });
    await waiting(g.id, t2, 'skill_not_met');
    await advance(300);
    await waiting(g.id, t2, 'skill_not_met');
    await advance(300);
    assert.equal(await assigned(t2, 'assigned once the skill is dropped'), other.id);
    // A ticket without the tag needs no skill at all.
    assert.equal(await assigned(await ticketIn(g.id)), other.id);
  });

  test('an agent going offline returns their unstarted work to the queue', async () => {
    const g = await group('Offline');
    const l = await agent('Off L', [g.id]);
    const m = await agent('Off M', [g.id]);
    for (const x of [l, m]) await capacity(x, { api: 5 });
    await presence(l, 'online');
    await policy(g.id);
    // Triggers see a return like any unassignment.
    const trigger = (
      await api.post(
        '/api/v2/triggers.json',
        {
          trigger: {
            title: 'Tag returned work',
            conditions: {
              all: [
                { field: 'group_id', operator: 'is', value: String(g.id) },
                { field: 'assignee_id', operator: 'changed' },
                { field: 'assignee_id', operator: 'is', value: '' },
              ],
            },
            actions: [{ field: 'current_tags', value: 'returned_to_queue' }],
          },
        },
        { expect: 201 },
      )
    ).body.trigger;
    await settled();
    const unstarted = await ticketIn(g.id);
    const started = await ticketIn(g.id);
    assert.equal(await assigned(unstarted), l.id);
    assert.equal(await assigned(started), l.id);
    await l.api.put(`/api/v2/tickets/${started}.json`, { ticket: { comment: { body: 'Looking at it', public: true } } }, { expect: 200 });
    await presence(l, 'offline');
    await eventually(async () => (await assigneeOf(unstarted)) === null, { message: 'unstarted work returned' });
    const item = await waiting(g.id, unstarted, 'no_agent_online');
    assert.equal(await assigneeOf(started), l.id, 'started work stays');
    const returned = JSON.parse(await sql(`SELECT data FROM events WHERE kind = 'routing.returned' AND entity_id = ${unstarted}`));
    assert.equal(returned.agent_id, l.id);
    const back = (await api.get(`/api/v2/tickets/${unstarted}.json`, { expect: 200 })).body.ticket;
    assert.ok(back.tags.includes('returned_to_queue'), JSON.stringify(back.tags));
    const kept = (await api.get(`/api/v2/tickets/${started}.json`, { expect: 200 })).body.ticket;
    assert.ok(!kept.tags.includes('returned_to_queue'), JSON.stringify(kept.tags));
    const { body: audits } = await api.get(`/api/v2/tickets/${unstarted}/audits.json`, { expect: 200 });
    const ret = audits.audits.find((au) => au.events.some((e) => e.field_name === 'assignee_id' && e.value === null));
    assert.ok(ret, JSON.stringify(audits.audits));
    assert.ok(
      ret.events.some((e) => e.field_name === 'tags' && e.via?.source?.from?.id === trigger.id),
      JSON.stringify(ret.events),
    );
    // It keeps its place in time: it waited since it first came in.
    const enq = await sql(`SELECT enqueued_at FROM routing_assignments WHERE ticket_id = ${unstarted}`);
    assert.equal(Date.parse(item.enqueued_at) / 1000, Number(enq));
    await presence(m, 'online');
    assert.equal(await assigned(unstarted), m.id);
    await api.put(`/api/v2/triggers/${trigger.id}.json`, { trigger: { active: false } }, { expect: 200 });
  });

  test("an agent's manual assignment wins over the queue", async () => {
    const g = await group('Manual');
    const n = await agent('Man N', [g.id]);
    await policy(g.id);
    const t = await ticketIn(g.id);
    await waiting(g.id, t, 'no_agent_online');
    await api.put(`/api/v2/tickets/${t}.json`, { ticket: { assignee_id: n.id } }, { expect: 200 });
    await eventually(async () => !(await queueOf(g.id)).queue.some((i) => i.ticket_id === t), { message: 'left the queue' });
    await capacity(n, { api: 5 });
    await presence(n, 'online');
    await settled();
    assert.equal(await assigneeOf(t), n.id);
  });

  test('permissions: admins write, leads read, agents read only their own settings', async () => {
    const g = await group('Perms');
    const lead = await agent('Lead', [g.id], { rapport_role: 'team_lead' });
    const plain = await agent('Plain', [g.id]);
    const other = await agent('Other', [g.id]);
    const skill = { skill: { name: 'billing', type: 'product' } };
    await plain.api.post('/api/v2/routing/skills', skill, { expect: 403 });
    await lead.api.post('/api/v2/routing/skills', skill, { expect: 403 });
    await plain.api.post('/api/v2/routing/policies', { routing_policy: { group_id: g.id } }, { expect: 403 });
    await plain.api.get('/api/v2/routing/policies', { expect: 403 });
    await plain.api.get('/api/v2/routing/queue', { expect: 403 });
    await lead.api.get('/api/v2/routing/policies', { expect: 200 });
    await lead.api.get('/api/v2/routing/queue', { expect: 200 });
    await plain.api.get(`/api/v2/routing/agents/${plain.id}/skills`, { expect: 200 });
    await plain.api.get(`/api/v2/routing/agents/${other.id}/skills`, { expect: 403 });
    await lead.api.get(`/api/v2/routing/agents/${other.id}/capacity`, { expect: 200 });
    await plain.api.put(`/api/v2/routing/agents/${plain.id}/capacity`, { capacity: { api: 99 } }, { expect: 403 });
    await plain.api.put(`/api/v2/routing/agents/${plain.id}/skills`, { agent_skills: [] }, { expect: 403 });
    await api.get('/api/v2/routing/agents/999999/skills', { expect: 404 });
  });

  test('bad configuration is a 422 naming every bad field, and nothing is written', async () => {
    const g = await group('Invalid');
    const before = await sql('SELECT COUNT(*) FROM routing_policies');
    const { body } = await api.post(
      '/api/v2/routing/policies',
      {
        routing_policy: {
          group_id: g.id,
          method: 'random',
          queue_order: 'loudest',
          requirements: [
            { skill_id: 999999, min_level: 9, relaxation: [{ after_seconds: 60, min_level: 7 }] },
            { skill_id: 1, conditions: [{ field: 'mood', value: 'angry' }] },
          ],
        },
      },
      { expect: 422 },
    );
    assert.equal(body.error, 'RecordInvalid');
    for (const key of ['method', 'queue_order', 'requirements[0].skill_id', 'requirements[0].min_level', 'requirements[1].conditions[0].field'])
      assert.ok(body.details[key], `${key} in ${JSON.stringify(body.details)}`);
    assert.equal(await sql('SELECT COUNT(*) FROM routing_policies'), before);
    const cap = await api.put(`/api/v2/routing/agents/${(await agent('Cap bad', [g.id])).id}/capacity`, { capacity: { pigeon: 3, api: -1 } }, { expect: 422 });
    assert.ok(cap.body.details.pigeon && cap.body.details.api, JSON.stringify(cap.body));
    const dup = await policy(g.id);
    await api.post('/api/v2/routing/policies', { routing_policy: { group_id: g.id } }, { expect: 422 });
    // A skill a policy requires cannot be deleted.
    const s = (await api.post('/api/v2/routing/skills', { skill: { name: 'tier2', type: 'tier' } }, { expect: 201 })).body.skill;
    await api.put(`/api/v2/routing/policies/${dup.id}`, { routing_policy: { requirements: [{ skill_id: s.id, min_level: 2 }] } }, { expect: 200 });
    await api.delete(`/api/v2/routing/skills/${s.id}`, { expect: 422 });
    const list = (await api.get('/api/v2/routing/skills?type=tier', { expect: 200 })).body;
    assert.deepEqual(list.skills.map((x) => x.name), ['tier2']);
    assert.equal(list.count, 1);
    assert.ok('next_page' in list);
  });

  test('a restart rebuilds the queue and continues round robin where it stood', async () => {
    const g = await group('Restart');
    const a = await agent('Rs A', [g.id]);
    const b = await agent('Rs B', [g.id]);
    await capacity(a, { api: 5 });
    await capacity(b, { api: 1 });
    await presence(a, 'online');
    await presence(b, 'online');
    await policy(g.id);
    assert.equal(await assigned(await ticketIn(g.id)), a.id);
    const bFirst = await ticketIn(g.id);
    assert.equal(await assigned(bFirst), b.id);
    // Round robin stands at B; A gets the next. Then, with A at 2 of 5 and B full:
    assert.equal(await assigned(await ticketIn(g.id)), a.id);
    await capacity(a, { api: 2 });
    const waitingTicket = await ticketIn(g.id);
    const before = await waiting(g.id, waitingTicket, 'all_at_capacity');

    const original = srv;
    assert.deepEqual(await original.kill('SIGTERM'), { code: 0, signal: null });
    srv = await startServer({ db: original.db, skipSetup: true, token: original.token, env: { RAPPORT_TESTING_CLOCK_CONTROL: 'true' } });
    api = client(srv);
    await setClock(clock + 60_000);
    const after = await waiting(g.id, waitingTicket, 'all_at_capacity');
    assert.equal(after.enqueued_at, before.enqueued_at, 'the waiting time survives the restart');
    assert.ok(after.waiting_seconds >= 60);
    assert.equal((await api.get(`/api/v2/routing/agents/${a.id}/capacity`, { expect: 200 })).body.load.api, 2);
    // B frees a place: the waiting ticket goes to B (A is full); then round robin continues.
    await api.put(`/api/v2/tickets/${bFirst}.json`, { ticket: { status: 'solved' } }, { expect: 200 });
    assert.equal(await assigned(waitingTicket), b.id);
    await capacity(a, { api: 5 });
    await capacity(b, { api: 5 });
    assert.equal(await assigned(await ticketIn(g.id)), a.id);
    assert.equal(await assigned(await ticketIn(g.id)), b.id);
  });
});
