// Routing (#/routing): an agent's own capacity, load and skills; for team leads, managers and
// admins the live queue with why each ticket waits and the routing policies; for admins the forms
// that create skills and policies and set an agent's capacity and skill levels. The server
// enforces who may do what; this page only leaves out what a user cannot use.
import { ApiError, listAgents, listGroups, request, validationMessages, type Group, type User } from './api';
import { h, replaceChildren, uid } from './dom';
import type { RouteContext } from './router';
import { errorBox, loading, messageOf, setTitle } from './ui';

interface Skill {
  id: number;
  name: string;
  type: string;
}
interface AgentSkill {
  skill_id: number;
  name: string;
  type: string;
  level: number;
}
interface Capacity {
  capacity: Record<string, number>;
  load: Record<string, number>;
  online: boolean;
}
interface Policy {
  id: number;
  group_id: number;
  name: string;
  method: string;
  queue_order: string;
  requirements: Array<{ skill_id: number; min_level: number }>;
}
interface QueueItem {
  ticket_id: number;
  group_id: number;
  channel: string;
  priority: string | null;
  waiting_seconds: number;
  reason: string;
  requirements: Array<{ skill_id: number; min_level: number }>;
}

const CHANNELS = ['email', 'chat', 'web', 'api', 'native_messaging', 'voice'];
const REASONS: Record<string, string> = {
  no_agent_online: 'No agent online',
  skill_not_met: 'Skill not met',
  all_at_capacity: 'All at capacity',
  eligible: 'Being assigned',
};

export function readsRouting(u: User): boolean {
  return u.role === 'admin' || u.rapport_role === 'team_lead' || u.rapport_role === 'manager';
}

function waited(seconds: number): string {
  const m = Math.floor(seconds / 60);
  return m >= 60 ? `${Math.floor(m / 60)}h ${m % 60}m` : m > 0 ? `${m}m ${seconds % 60}s` : `${seconds}s`;
}

function failure(err: unknown): HTMLElement {
  if (err instanceof ApiError && err.status === 422) {
    const v = validationMessages(err.body);
    return errorBox(v.description, ...v.details);
  }
  return errorBox(messageOf(err));
}

function table(testid: string, head: string[], rows: HTMLElement[], empty: string): HTMLElement {
  if (!rows.length) return h('p', { class: 'muted', testid: `${testid}-empty` }, empty);
  return h(
    'table',
    { testid },
    h('thead', null, h('tr', null, ...head.map((c) => h('th', null, c)))),
    h('tbody', null, ...rows),
  );
}

function capacitySection(me: User): HTMLElement {
  const body = h('div', null, loading('Loading your capacity…'));
  Promise.all([
    request<Capacity>('GET', '/api/v2/routing/agents/me/capacity'),
    request<{ agent_skills: AgentSkill[] }>('GET', '/api/v2/routing/agents/me/skills'),
  ])
    .then(([cap, skills]) => {
      const channels = Object.keys({ ...cap.capacity, ...cap.load }).sort();
      replaceChildren(
        body,
        h('p', { testid: 'routing-my-status' }, cap.online ? 'You are online: routing sends you work.' : 'You are not online: routing sends you no new work.'),
        table(
          'routing-my-capacity',
          ['Channel', 'Working on', 'Capacity'],
          channels.map((c) =>
            h('tr', { testid: `routing-capacity-${c}` }, h('td', null, c), h('td', null, String(cap.load[c] ?? 0)), h('td', null, String(cap.capacity[c] ?? 0))),
          ),
          'No capacity is set for you: routing sends you no work.',
        ),
        h('p', { testid: 'routing-my-skills' }, skills.agent_skills.length ? `Skills: ${skills.agent_skills.map((s) => `${s.name} (${s.type}) ${s.level}`).join(', ')}` : 'No skills.'),
      );
    })
    .catch((err: unknown) => replaceChildren(body, failure(err)));
  return h('section', { 'aria-label': 'My capacity' }, h('h3', null, `My capacity — ${me.name}`), body);
}

function queueSection(groups: Map<number, string>, skills: Map<number, string>): HTMLElement {
  const body = h('div', null, loading('Loading the queue…'));
  request<{ queue: QueueItem[]; count: number }>('GET', '/api/v2/routing/queue.json?limit=200')
    .then((res) => {
      replaceChildren(
        body,
        h('p', { class: 'muted' }, `${res.count} waiting.`),
        table(
          'routing-queue',
          ['Ticket', 'Group', 'Channel', 'Waiting', 'Why', 'Needs'],
          res.queue.map((q) =>
            h(
              'tr',
              { testid: `routing-queue-${q.ticket_id}` },
              h('td', null, h('a', { href: `#/tickets/${q.ticket_id}` }, `#${q.ticket_id}`)),
              h('td', null, groups.get(q.group_id) ?? String(q.group_id)),
              h('td', null, q.channel),
              h('td', null, waited(q.waiting_seconds)),
              h('td', { testid: 'routing-reason' }, REASONS[q.reason] ?? q.reason),
              h('td', null, q.requirements.map((r) => `${skills.get(r.skill_id) ?? r.skill_id} ≥ ${r.min_level}`).join(', ') || '—'),
            ),
          ),
          'Nothing is waiting.',
        ),
      );
    })
    .catch((err: unknown) => replaceChildren(body, failure(err)));
  return h('section', { 'aria-label': 'Queue' }, h('h3', null, 'Queue'), body);
}

function policiesSection(ctx: RouteContext, admin: boolean, groups: Group[], skills: Map<number, string>): HTMLElement {
  const body = h('div', null, loading('Loading the policies…'));
  const groupName = new Map(groups.map((g) => [g.id, g.name]));
  request<{ routing_policies: Policy[] }>('GET', '/api/v2/routing/policies.json?per_page=100')
    .then((res) => {
      replaceChildren(
        body,
        table(
          'routing-policies',
          ['Group', 'Name', 'Method', 'Order', 'Requirements', ''],
          res.routing_policies.map((p) => {
            const remove = admin ? h('button', { type: 'button', class: 'link-button', testid: `routing-policy-delete-${p.id}` }, 'Delete') : null;
            remove?.addEventListener('click', () => {
              remove.disabled = true;
              request('DELETE', `/api/v2/routing/policies/${p.id}`)
                .then(() => ctx.navigate('#/routing'))
                .catch((err: unknown) => body.prepend(failure(err)));
            });
            return h(
              'tr',
              { testid: `routing-policy-${p.group_id}` },
              h('td', null, groupName.get(p.group_id) ?? String(p.group_id)),
              h('td', null, p.name),
              h('td', null, p.method.replace('_', ' ')),
              h('td', null, p.queue_order),
              h('td', null, p.requirements.map((r) => `${skills.get(r.skill_id) ?? r.skill_id} ≥ ${r.min_level}`).join(', ') || '—'),
              h('td', null, remove),
            );
          }),
          'No group is routed yet.',
        ),
      );
    })
    .catch((err: unknown) => replaceChildren(body, failure(err)));
  const section = h('section', { 'aria-label': 'Routing policies' }, h('h3', null, 'Routing policies'), body);
  if (!admin) return section;
  const g = uid('rp-group');
  const m = uid('rp-method');
  const o = uid('rp-order');
  const group = h('select', { id: g, testid: 'routing-policy-group', required: true }, ...groups.map((x) => h('option', { value: String(x.id) }, x.name)));
  const method = h('select', { id: m, testid: 'routing-policy-method' }, ...['round_robin', 'least_busy', 'longest_idle'].map((x) => h('option', { value: x }, x.replace('_', ' '))));
  const order = h('select', { id: o, testid: 'routing-policy-order' }, ...['oldest', 'priority', 'sla'].map((x) => h('option', { value: x }, x)));
  const status = h('div', null);
  const form = h(
    'form',
    { testid: 'routing-policy-form', class: 'inline-form' },
    h('div', { class: 'field' }, h('label', { for: g }, 'Group'), group),
    h('div', { class: 'field' }, h('label', { for: m }, 'Method'), method),
    h('div', { class: 'field' }, h('label', { for: o }, 'Queue order'), order),
    h('button', { type: 'submit', testid: 'routing-policy-save' }, 'Route this group'),
    status,
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    request('POST', '/api/v2/routing/policies', {
      body: { routing_policy: { group_id: Number(group.value), method: method.value, queue_order: order.value } },
    })
      .then(() => ctx.navigate('#/routing'))
      .catch((err: unknown) => replaceChildren(status, failure(err)));
  });
  section.append(form);
  return section;
}

function skillsSection(ctx: RouteContext, admin: boolean, skills: Skill[], agents: User[]): HTMLElement {
  const section = h(
    'section',
    { 'aria-label': 'Skills' },
    h('h3', null, 'Skills'),
    table(
      'routing-skills',
      ['Name', 'Type'],
      skills.map((s) => h('tr', { testid: `routing-skill-${s.id}` }, h('td', null, s.name), h('td', null, s.type))),
      'No skills yet.',
    ),
  );
  if (!admin) return section;
  const n = uid('skill-name');
  const t = uid('skill-type');
  const name = h('input', { id: n, testid: 'routing-skill-name', required: true, maxlength: 100 });
  const type = h('select', { id: t, testid: 'routing-skill-type' }, ...['language', 'product', 'tier', 'custom'].map((x) => h('option', { value: x }, x)));
  const status = h('div', null);
  const form = h(
    'form',
    { testid: 'routing-skill-form', class: 'inline-form' },
    h('div', { class: 'field' }, h('label', { for: n }, 'Skill'), name),
    h('div', { class: 'field' }, h('label', { for: t }, 'Type'), type),
    h('button', { type: 'submit', testid: 'routing-skill-save' }, 'Add skill'),
    status,
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    request('POST', '/api/v2/routing/skills', { body: { skill: { name: name.value, type: type.value } } })
      .then(() => ctx.navigate('#/routing'))
      .catch((err: unknown) => replaceChildren(status, failure(err)));
  });
  section.append(form, agentForm(skills, agents));
  return section;
}

// An admin sets one agent's capacity per channel and skill levels (empty: none).
function agentForm(skills: Skill[], agents: User[]): HTMLElement {
  const a = uid('ra-agent');
  const agent = h('select', { id: a, testid: 'routing-agent' }, h('option', { value: '' }, 'Choose an agent'), ...agents.map((u) => h('option', { value: String(u.id) }, u.name)));
  const caps = CHANNELS.map((c) => ({ c, input: h('input', { type: 'number', min: 0, max: 1000, testid: `routing-agent-cap-${c}`, 'aria-label': `${c} capacity` }) }));
  const levels = skills.map((s) => ({ s, input: h('input', { type: 'number', min: 1, max: 5, testid: `routing-agent-skill-${s.id}`, 'aria-label': `${s.name} level` }) }));
  const status = h('div', { testid: 'routing-agent-status' });
  const fields = h(
    'div',
    null,
    h('p', null, 'Capacity per channel'),
    h('div', { class: 'inline-form' }, ...caps.map(({ c, input }) => h('label', null, `${c} `, input))),
    levels.length ? h('p', null, 'Skill levels (1–5; empty: none)') : null,
    h('div', { class: 'inline-form' }, ...levels.map(({ s, input }) => h('label', null, `${s.name} `, input))),
  );
  const save = h('button', { type: 'submit', testid: 'routing-agent-save' }, 'Save');
  // While the chosen agent's settings load, the fields are read-only: what someone types there
  // would otherwise be overwritten when the answer arrives (and saved as the old values). A late
  // answer for an agent no longer chosen is ignored.
  const setLoading = (on: boolean): void => {
    for (const { input } of [...caps, ...levels]) input.disabled = on;
    save.disabled = on;
  };
  let shown = 0;
  agent.addEventListener('change', () => {
    replaceChildren(status);
    if (!agent.value) return;
    const seq = ++shown;
    setLoading(true);
    Promise.all([
      request<Capacity>('GET', `/api/v2/routing/agents/${agent.value}/capacity`),
      request<{ agent_skills: AgentSkill[] }>('GET', `/api/v2/routing/agents/${agent.value}/skills`),
    ])
      .then(([cap, sk]) => {
        if (seq !== shown) return;
        for (const { c, input } of caps) input.value = cap.capacity[c] === undefined ? '' : String(cap.capacity[c]);
        const by = new Map(sk.agent_skills.map((x) => [x.skill_id, x.level]));
        for (const { s, input } of levels) input.value = by.has(s.id) ? String(by.get(s.id)) : '';
      })
      .catch((err: unknown) => {
        if (seq === shown) replaceChildren(status, failure(err));
      })
      .finally(() => {
        if (seq === shown) setLoading(false);
      });
  });
  const form = h(
    'form',
    { testid: 'routing-agent-form' },
    h('h4', null, "An agent's capacity and skills"),
    h('div', { class: 'field' }, h('label', { for: a }, 'Agent'), agent),
    fields,
    save,
    status,
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    if (!agent.value) return;
    const capacity: Record<string, number> = {};
    for (const { c, input } of caps) if (input.value !== '') capacity[c] = Number(input.value);
    const agentSkills = levels.filter(({ input }) => input.value !== '').map(({ s, input }) => ({ skill_id: s.id, level: Number(input.value) }));
    request('PUT', `/api/v2/routing/agents/${agent.value}/capacity`, { body: { capacity } })
      .then(() => request('PUT', `/api/v2/routing/agents/${agent.value}/skills`, { body: { agent_skills: agentSkills } }))
      .then(() => replaceChildren(status, h('p', { role: 'status' }, 'Saved.')))
      .catch((err: unknown) => replaceChildren(status, failure(err)));
  });
  return form;
}

export function renderRouting(container: HTMLElement, ctx: RouteContext): void {
  setTitle('Routing');
  const me = ctx.session.user;
  const admin = me.role === 'admin';
  const body = h('div', null, loading());
  replaceChildren(container, h('h2', null, 'Routing'), capacitySection(me), body);
  if (!readsRouting(me)) {
    replaceChildren(body);
    return;
  }
  Promise.all([
    listGroups(),
    request<{ skills: Skill[] }>('GET', '/api/v2/routing/skills.json?per_page=100'),
    admin ? listAgents() : Promise.resolve([] as User[]),
  ])
    .then(([groups, skillRes, agents]) => {
      if (!ctx.isCurrent()) return;
      const skillNames = new Map(skillRes.skills.map((s) => [s.id, s.name]));
      replaceChildren(
        body,
        queueSection(new Map(groups.map((g) => [g.id, g.name])), skillNames),
        policiesSection(ctx, admin, groups, skillNames),
        skillsSection(ctx, admin, skillRes.skills, agents),
      );
    })
    .catch((err: unknown) => {
      if (ctx.isCurrent()) replaceChildren(body, failure(err));
    });
}
