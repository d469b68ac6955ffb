// SLA clocks: the queue view per group (GET /api/v2/slas/queue, nearest breach first) and the
// targets panel on the ticket page (the ticket's `slas` sideload). Countdowns tick every 30 s
// from the time left the server gave; the server decides what is breached.
import { listGroups, queryString, request, type Group, type SlaMetric, type Ticket } from './api';
import { h, replaceChildren, uid } from './dom';
import type { RouteContext } from './router';
import { errorBox, loading, messageOf, priorityLabel, setTitle, statusBadge } from './ui';

const METRIC_LABELS: Record<string, string> = {
  first_reply_time: 'First reply',
  next_reply_time: 'Next reply',
  periodic_update_time: 'Periodic update',
  requester_wait_time: 'Requester wait',
  total_resolution_time: 'Resolution',
};

export function metricLabel(metric: string): string {
  return METRIC_LABELS[metric] ?? metric;
}

// Time left rounds up and time elapsed down, as a countdown does: 14m30s left reads "15m left"
// (and the last minute "1m left", never "0m left"), 15m30s past the target "Breached 15m ago".
function span(ms: number, round: 'up' | 'down'): string {
  const mins = (round === 'up' ? Math.ceil : Math.floor)(Math.abs(ms) / 60_000);
  const d = Math.floor(mins / 1440);
  const hrs = Math.floor((mins % 1440) / 60);
  const m = mins % 60;
  return d > 0 ? `${d}d ${hrs}h` : hrs > 0 ? `${hrs}h ${m}m` : `${m}m`;
}

/**
 * The clock's state `sinceFetch` ms after the server answered: its text and a level for the
 * colour (breached, soon, ok, paused, done). It counts from the server's `seconds_left`, not the
 * browser's clock, so a skewed laptop clock shows the same time left as the server.
 */
export function clockState(m: SlaMetric, sinceFetch: number): { text: string; level: string } {
  if (m.stage === 'achieved') return { text: 'Achieved', level: 'done' };
  const left = (m.seconds_left ?? 0) * 1000 - (m.stage === 'paused' ? 0 : sinceFetch);
  if (m.stage === 'paused') return { text: `Paused · ${span(left, 'up')} left`, level: 'paused' };
  if (m.stage === 'breached' && m.seconds_left === undefined) return { text: 'Breached', level: 'breached' };
  if (m.seconds_left === undefined) return { text: m.stage, level: 'paused' };
  if (m.stage === 'breached' || left <= 0) return { text: `Breached ${span(left, 'down')} ago`, level: 'breached' };
  return { text: `${span(left, 'up')} left`, level: left < 3_600_000 ? 'soon' : 'ok' };
}

export function clockBadge(m: SlaMetric, sinceFetch: number, testid?: string): HTMLElement {
  const s = clockState(m, sinceFetch);
  return h('span', { class: `sla-clock sla-${s.level}`, testid, 'data-level': s.level, title: m.breach_at ?? '' }, s.text);
}

/** The metric whose breach is nearest among those still running (or the first paused one). */
export function nextMetric(metrics: SlaMetric[]): SlaMetric | null {
  const running = metrics.filter((m) => m.breach_at && !m.fulfilled_at && m.stage !== 'achieved');
  running.sort((a, b) => (a.breach_at ?? '').localeCompare(b.breach_at ?? ''));
  return running[0] ?? metrics.find((m) => m.stage === 'paused') ?? null;
}

/** The ticket page's panel: every current target with its clock. */
export function slaPanel(ticket: Ticket): HTMLElement | null {
  const metrics = ticket.slas?.policy_metrics ?? [];
  if (!metrics.length) return null;
  return h(
    'section',
    { class: 'sla-panel', 'aria-label': 'SLA targets', testid: 'ticket-slas' },
    h('h3', null, 'SLA targets'),
    h(
      'ul',
      { class: 'sla-list' },
      ...metrics.map((m) =>
        h(
          'li',
          { testid: `sla-${m.metric}` },
          h('span', { class: 'sla-metric' }, metricLabel(m.metric)),
          ' ',
          clockBadge(m, 0, 'sla-clock'),
          h('span', { class: 'muted' }, ` · ${m.target} min ${m.business_hours ? 'business' : 'calendar'} time`),
        ),
      ),
    ),
  );
}

export function renderSlaQueue(container: HTMLElement, ctx: RouteContext): void {
  setTitle('SLA queue');
  const groupId = ctx.query.get('group_id') ?? '';
  const selectId = uid('sla-group');
  const select = h('select', { id: selectId, testid: 'sla-group' }, h('option', { value: '' }, 'All groups'));
  select.value = groupId;
  select.addEventListener('change', () => ctx.navigate(select.value ? `#/sla?group_id=${select.value}` : '#/sla'));
  const body = h('div', null, loading('Loading the queue…'));
  replaceChildren(
    container,
    h('h2', null, 'SLA queue'),
    h('p', { class: 'muted' }, 'Unsolved tickets with a running clock, nearest breach first.'),
    h('div', { class: 'field' }, h('label', { for: selectId }, 'Group'), select),
    body,
  );
  listGroups()
    .then((groups: Group[]) => {
      if (!ctx.isCurrent()) return;
      for (const g of groups) select.append(h('option', { value: String(g.id) }, g.name));
      select.value = groupId;
    })
    .catch(() => {});

  let timer: ReturnType<typeof setInterval> | null = null;
  ctx.onLeave(() => {
    if (timer) clearInterval(timer);
  });
  request<{ tickets: Ticket[] }>('GET', `/api/v2/slas/queue.json${queryString([['group_id', groupId || undefined]])}`)
    .then((res) => {
      if (!ctx.isCurrent()) return;
      const tickets = res.tickets ?? [];
      if (!tickets.length) {
        replaceChildren(body, h('p', { testid: 'sla-empty' }, 'No ticket is waiting on an SLA target.'));
        return;
      }
      const cells: Array<{ cell: HTMLElement; metric: SlaMetric }> = [];
      const rows = tickets.map((t) => {
        const m = nextMetric(t.slas?.policy_metrics ?? []);
        const cell = h('td', null);
        if (m) cells.push({ cell, metric: m });
        return h(
          'tr',
          { testid: `sla-row-${t.id}` },
          h('td', null, h('a', { href: `#/tickets/${t.id}` }, `#${t.id} ${t.subject ?? ''}`)),
          h('td', null, statusBadge(t.status)),
          h('td', null, priorityLabel(t.priority)),
          h('td', null, m ? metricLabel(m.metric) : '—'),
          cell,
        );
      });
      const fetchedAt = Date.now();
      const paint = () => {
        const since = Date.now() - fetchedAt;
        for (const { cell, metric } of cells) replaceChildren(cell, clockBadge(metric, since, 'sla-clock'));
      };
      paint();
      timer = setInterval(paint, 30_000);
      replaceChildren(
        body,
        h(
          'table',
          { class: 'sla-queue', testid: 'sla-queue' },
          h('thead', null, h('tr', null, h('th', null, 'Ticket'), h('th', null, 'Status'), h('th', null, 'Priority'), h('th', null, 'Next target'), h('th', null, 'Time left'))),
          h('tbody', null, ...rows),
        ),
      );
    })
    .catch((err: unknown) => {
      if (ctx.isCurrent()) replaceChildren(body, errorBox(`Could not load the queue: ${messageOf(err)}`));
    });
}
