// The ticket list: GET /api/v2/tickets.json with cursor pagination and status/group/assignee filters.
// The filters and the cursor live in the hash (#/tickets?status=open&after=...), so reload and Back work.
import { listAgents, listGroups, listTickets, resolveUsers, type Group, type CursorMeta, type Ticket, type TicketFilters, type User } from './api';
import { h, replaceChildren, timeAgo, uid } from './dom';
import type { RouteContext } from './router';
import { errorBox, loading, messageOf, priorityLabel, setTitle, STATUSES, statusBadge, statusLabel } from './ui';

const FILTER_KEYS = ['status', 'group_id', 'assignee_id'] as const;

export function ticketsHash(filters: TicketFilters): string {
  const params = new URLSearchParams();
  for (const key of [...FILTER_KEYS, 'after', 'before'] as const) {
    const value = filters[key];
    if (value) params.set(key, value);
  }
  const q = params.toString();
  return q ? `#/tickets?${q}` : '#/tickets';
}

function filtersFrom(query: URLSearchParams): TicketFilters {
  const filters: TicketFilters = {};
  for (const key of [...FILTER_KEYS, 'after', 'before'] as const) {
    const value = query.get(key);
    if (value) filters[key] = value;
  }
  return filters;
}

interface SelectOption {
  value: string;
  label: string;
}

function filterSelect(label: string, name: string, testid: string, options: SelectOption[], current: string | undefined) {
  const id = uid(`filter-${name}`);
  const select = h('select', { id, name, testid });
  for (const opt of options) select.append(h('option', { value: opt.value }, opt.label));
  select.value = current ?? '';
  // A value from the URL that the options don't (yet) hold stays selectable.
  if (current && select.value !== current) {
    select.append(h('option', { value: current }, `#${current}`));
    select.value = current;
  }
  return { field: h('div', { class: 'field' }, h('label', { for: id }, label), select), select };
}

export function renderTickets(container: HTMLElement, ctx: RouteContext): void {
  setTitle('Tickets');
  const filters = filtersFrom(ctx.query);

  const status = filterSelect(
    'Status',
    'status',
    'filter-status',
    [{ value: '', label: 'Any status' }, ...STATUSES.map((s) => ({ value: s, label: statusLabel(s) }))],
    filters.status,
  );
  const group = filterSelect('Group', 'group_id', 'filter-group', [{ value: '', label: 'Any group' }], filters.group_id);
  const assignee = filterSelect(
    'Assignee',
    'assignee_id',
    'filter-assignee',
    [
      { value: '', label: 'Anyone' },
      { value: 'none', label: 'Unassigned' },
      { value: String(ctx.session.user.id), label: `Me (${ctx.session.user.name})` },
    ],
    filters.assignee_id,
  );

  const applyFilters = (): void => {
    ctx.navigate(
      ticketsHash({ status: status.select.value, group_id: group.select.value, assignee_id: assignee.select.value }),
    );
  };
  for (const s of [status.select, group.select, assignee.select]) s.addEventListener('change', applyFilters);

  const filterForm = h(
    'form',
    { class: 'filters', 'aria-label': 'Filter tickets', on: { submit: (ev: Event) => ev.preventDefault() } },
    status.field,
    group.field,
    assignee.field,
  );

  const results = h('div', { class: 'results', 'aria-live': 'polite', 'aria-busy': 'true' }, loading('Loading tickets…'));

  replaceChildren(
    container,
    h('div', { class: 'page-head' }, h('h1', { tabindex: -1 }, 'Tickets')),
    filterForm,
    results,
  );

  // Dropdown contents load beside the list; a failure there doesn't block the tickets.
  const groupsLoaded = listGroups().then(
    (groups) => {
      if (!ctx.isCurrent()) return groups;
      fillOptions(group.select, groups.map((g) => ({ value: String(g.id), label: g.name })), filters.group_id);
      return groups;
    },
    () => {
      group.select.title = "Couldn't load groups";
      return [] as Group[];
    },
  );
  listAgents().then(
    (agents) => {
      if (!ctx.isCurrent()) return;
      const me = ctx.session.user.id;
      fillOptions(
        assignee.select,
        agents.filter((a) => a.id !== me).map((a) => ({ value: String(a.id), label: a.name })),
        filters.assignee_id,
      );
    },
    () => {
      assignee.select.title = "Couldn't load agents";
    },
  );

  void (async () => {
    try {
      const page = await listTickets(filters);
      const [users, groups] = await Promise.all([
        resolveUsers(page.tickets.flatMap((t) => [t.requester_id, t.assignee_id])),
        groupsLoaded,
      ]);
      if (!ctx.isCurrent()) return;
      const groupNames = new Map(groups.map((g) => [g.id, g.name]));
      results.setAttribute('aria-busy', 'false');
      replaceChildren(results, ticketTable(page.tickets, users, groupNames, ctx), pager(filters, page.meta));
    } catch (err) {
      if (!ctx.isCurrent()) return;
      results.setAttribute('aria-busy', 'false');
      replaceChildren(results, errorBox(`Couldn't load tickets. ${messageOf(err)}`));
    }
  })();
}

function fillOptions(select: HTMLSelectElement, options: SelectOption[], current: string | undefined): void {
  const existing = new Set([...select.options].map((o) => o.value));
  for (const opt of options) {
    if (existing.has(opt.value)) {
      // Replace a "#id" placeholder with the real name.
      const o = [...select.options].find((x) => x.value === opt.value);
      if (o) o.textContent = opt.label;
    } else select.append(h('option', { value: opt.value }, opt.label));
  }
  if (current) select.value = current;
}

function nameOf(users: Map<number, User>, id: number | null): string {
  if (id === null || id === undefined) return '—';
  return users.get(id)?.name ?? `User #${id}`;
}

const COLUMNS = ['ID', 'Subject', 'Status', 'Priority', 'Requester', 'Assignee', 'Group', 'Updated'];

function ticketTable(tickets: Ticket[], users: Map<number, User>, groups: Map<number, string>, ctx: RouteContext) {
  if (tickets.length === 0) {
    return h('p', { class: 'empty', testid: 'tickets-empty' }, 'No tickets match these filters.');
  }
  const cell = (label: string, ...content: Array<Node | string>) => h('td', { 'data-label': label }, ...content);
  const rows = tickets.map((t) => {
    const href = `#/tickets/${t.id}`;
    const row = h(
      'tr',
      { testid: 'ticket-row', 'data-ticket-id': t.id, class: 'ticket-row' },
      cell('ID', h('span', { class: 'ticket-id' }, `#${t.id}`)),
      h(
        'td',
        { 'data-label': 'Subject', class: 'subject' },
        h('a', { href, testid: 'ticket-link' }, t.subject?.trim() || '(no subject)'),
      ),
      cell('Status', statusBadge(t.status)),
      cell('Priority', priorityLabel(t.priority)),
      cell('Requester', nameOf(users, t.requester_id)),
      cell('Assignee', t.assignee_id === null ? h('span', { class: 'muted' }, 'Unassigned') : nameOf(users, t.assignee_id)),
      cell('Group', t.group_id === null ? '—' : (groups.get(t.group_id) ?? `Group #${t.group_id}`)),
      cell('Updated', timeAgo(t.updated_at)),
    );
    // The whole row opens the ticket; the subject link stays the keyboard/screen-reader target.
    row.addEventListener('click', (ev) => {
      if ((ev.target as Element).closest('a')) return;
      if (window.getSelection()?.toString()) return;
      ctx.navigate(href);
    });
    return row;
  });
  return h(
    'table',
    { class: 'tickets', testid: 'ticket-table' },
    h('caption', { class: 'visually-hidden' }, 'Tickets, most recently updated first'),
    h('thead', null, h('tr', null, ...COLUMNS.map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', null, ...rows),
  );
}

function pager(filters: TicketFilters, meta: CursorMeta) {
  const base = { status: filters.status, group_id: filters.group_id, assignee_id: filters.assignee_id };
  // has_more speaks of the direction we travelled: forward (older) unless we came with page[before].
  const backwards = Boolean(filters.before);
  const canOlder = backwards ? Boolean(meta.after_cursor) : meta.has_more && Boolean(meta.after_cursor);
  const canNewer = backwards ? meta.has_more && Boolean(meta.before_cursor) : Boolean(filters.after && meta.before_cursor);
  const onCursorPage = Boolean(filters.after || filters.before);
  const firstPage = onCursorPage ? h('a', { class: 'button', href: ticketsHash(base), testid: 'page-first' }, 'First page') : null;
  const newer = canNewer
    ? h('a', { class: 'button', href: ticketsHash({ ...base, before: meta.before_cursor ?? undefined }), testid: 'page-prev' }, '← Newer')
    : null;
  const older = canOlder
    ? h('a', { class: 'button', href: ticketsHash({ ...base, after: meta.after_cursor ?? undefined }), testid: 'page-next' }, 'Older →')
    : null;
  if (!newer && !older && !firstPage) return null;
  return h('nav', { class: 'pager', 'aria-label': 'Pages' }, firstPage, newer, older);
}
