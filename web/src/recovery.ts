// Service recovery: the queue of active cases (soonest due first, overdue highlighted) and one
// case: the rating that opened it, notes, assign to me, mark contacted, close with an outcome, and
// the follow-up survey's answer once the customer gives one.
import { ApiError, getTicket, resolveUsers, type Ticket, type User } from './api';
import { formatDate, h, replaceChildren, timeAgo, uid } from './dom';
import { getCase, getRating, listCases, updateCase, type CaseUpdate, type Rating, type RecoveryCase } from './feedback_api';
import { resolvedLabel, starsView, tagList } from './feedback_ui';
import type { RouteContext } from './router';
import { errorBox, loading, messageOf, setTitle } from './ui';

const STATUS_LABELS: Record<string, string> = { open: 'Open', contacted: 'Contacted', closed: 'Closed' };
const OUTCOMES: Array<[string, string]> = [
  ['recovered', 'Recovered: the customer is happy again'],
  ['not_recovered', 'Not recovered'],
  ['unreachable', 'Unreachable: no follow-up survey is sent'],
];
const TRIGGERS: Record<string, string> = { low_stars: 'Low stars', not_resolved: 'Not resolved' };

function caseStatusBadge(c: RecoveryCase): HTMLElement {
  return h('span', { class: `badge case-${c.status}`, testid: 'case-status', 'data-status': c.status }, STATUS_LABELS[c.status] ?? c.status);
}

function nameOf(users: Map<number, User>, id: number | null | undefined, none = '—'): string {
  if (id === null || id === undefined) return none;
  return users.get(id)?.name ?? `User #${id}`;
}

function dueView(c: RecoveryCase): HTMLElement {
  return h(
    'span',
    { class: c.overdue ? 'due overdue' : 'due', testid: 'case-due' },
    c.overdue ? h('span', { class: 'pill pill-bad' }, 'Overdue') : null,
    c.overdue ? ' ' : null,
    timeAgo(c.due_at),
  );
}

// ---- the queue ----

export function renderRecovery(container: HTMLElement, ctx: RouteContext): void {
  setTitle('Recovery');
  const me = ctx.session.user;
  const status = ctx.query.get('status') ?? 'active';
  const mine = ctx.query.get('mine') === '1';
  const overdue = ctx.query.get('overdue') === '1';

  const statusId = uid('case-status');
  const statusSelect = h('select', { id: statusId, testid: 'case-filter-status' });
  for (const [v, l] of [
    ['active', 'Active (open or contacted)'],
    ['open', 'Open'],
    ['contacted', 'Contacted'],
    ['closed', 'Closed'],
  ] as const)
    statusSelect.append(h('option', { value: v }, l));
  statusSelect.value = status;
  const mineBox = h('input', { type: 'checkbox', testid: 'case-filter-mine', props: { checked: mine } });
  const overdueBox = h('input', { type: 'checkbox', testid: 'case-filter-overdue', props: { checked: overdue } });
  const apply = (): void => {
    const p = new URLSearchParams();
    if (statusSelect.value !== 'active') p.set('status', statusSelect.value);
    if (mineBox.checked) p.set('mine', '1');
    if (overdueBox.checked) p.set('overdue', '1');
    const q = p.toString();
    ctx.navigate(q ? `#/recovery?${q}` : '#/recovery');
  };
  for (const el of [statusSelect, mineBox, overdueBox]) el.addEventListener('change', apply);

  const results = h('div', { class: 'results', 'aria-live': 'polite', 'aria-busy': 'true' }, loading('Loading cases…'));
  replaceChildren(
    container,
    h('div', { class: 'page-head' }, h('h1', { tabindex: -1 }, 'Recovery')),
    h(
      'form',
      { class: 'filters compact case-filters', 'aria-label': 'Filter cases', on: { submit: (ev: Event) => ev.preventDefault() } },
      h('div', { class: 'field' }, h('label', { for: statusId }, 'Status'), statusSelect),
      h('div', { class: 'field checks' }, h('label', { class: 'check' }, mineBox, ' Assigned to me'), h('label', { class: 'check' }, overdueBox, ' Overdue only')),
    ),
    results,
  );

  void (async () => {
    try {
      const cases = await listCases({ status, overdue, assignee_id: mine ? me.id : undefined });
      // Soonest due first; closed cases most recently closed first.
      cases.sort((a, b) =>
        status === 'closed' ? (b.closed_at ?? '').localeCompare(a.closed_at ?? '') : a.due_at.localeCompare(b.due_at) || a.id - b.id,
      );
      const users = await resolveUsers(cases.flatMap((c) => [c.agent_id, c.assignee_id])).catch(() => new Map<number, User>());
      if (!ctx.isCurrent()) return;
      results.setAttribute('aria-busy', 'false');
      replaceChildren(results, caseTable(cases, users, ctx));
    } catch (err) {
      if (!ctx.isCurrent()) return;
      results.setAttribute('aria-busy', 'false');
      const message =
        err instanceof ApiError && err.status === 403 ? "You don't have access to recovery cases." : `Couldn't load cases. ${messageOf(err)}`;
      replaceChildren(results, errorBox(message));
    }
  })();
}

function caseTable(cases: RecoveryCase[], users: Map<number, User>, ctx: RouteContext): HTMLElement {
  if (cases.length === 0) return h('p', { class: 'empty', testid: 'cases-empty' }, 'No cases here. Nice.');
  const cell = (label: string, ...content: Array<Node | string | null>) => h('td', { 'data-label': label }, ...content);
  const rows = cases.map((c) => {
    const href = `#/recovery/${c.id}`;
    const row = h(
      'tr',
      { testid: 'case-row', 'data-case-id': c.id, 'data-ticket-id': c.ticket_id, class: c.overdue ? 'ticket-row overdue-row' : 'ticket-row' },
      cell('Due', dueView(c)),
      h('td', { 'data-label': 'Case', class: 'subject' }, h('a', { href, testid: 'case-link' }, `Case #${c.id}`), h('span', { class: 'muted' }, ` · ticket #${c.ticket_id}`)),
      cell('Trigger', c.trigger_stars !== null ? starsView(c.trigger_stars) : null, ' ', h('span', { class: 'muted small' }, TRIGGERS[c.trigger] ?? c.trigger)),
      cell('Agent', nameOf(users, c.agent_id)),
      cell('Assignee', c.assignee_id === null ? h('span', { class: 'muted' }, 'Unassigned') : nameOf(users, c.assignee_id)),
      cell('Status', caseStatusBadge(c)),
    );
    row.addEventListener('click', (ev) => {
      if ((ev.target as Element).closest('a')) return;
      ctx.navigate(href);
    });
    return row;
  });
  return h(
    'table',
    { class: 'tickets data-table', testid: 'case-table' },
    h('caption', { class: 'visually-hidden' }, 'Recovery cases, soonest due first'),
    h('thead', null, h('tr', null, ...['Due', 'Case', 'Trigger', 'Agent', 'Assignee', 'Status'].map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', null, ...rows),
  );
}

// ---- one case ----

interface Loaded {
  c: RecoveryCase;
  rating: Rating | null;
  ratingError: string | null;
  ticket: Ticket | null;
  users: Map<number, User>;
}

async function loadCase(id: number): Promise<Loaded> {
  const c = await getCase(id);
  const [rating, ticket] = await Promise.all([
    getRating(c.rating_id).then(
      (r) => ({ r, e: null as string | null }),
      (err: unknown) => ({
        r: null,
        e: err instanceof ApiError && (err.status === 404 || err.status === 403) ? "You can't see this rating." : messageOf(err),
      }),
    ),
    getTicket(c.ticket_id).catch(() => null),
  ]);
  const users = await resolveUsers([c.agent_id, c.assignee_id, c.requester_id, ...c.notes.map((n) => n.author_id)]).catch(
    () => new Map<number, User>(),
  );
  return { c, rating: rating.r, ratingError: rating.e, ticket, users };
}

export function renderCase(container: HTMLElement, ctx: RouteContext): void {
  const id = Number(ctx.params.id);
  const back = h('p', { class: 'back' }, h('a', { href: '#/recovery', testid: 'back-to-recovery' }, '← Recovery queue'));
  if (!Number.isSafeInteger(id) || id <= 0) {
    replaceChildren(container, back, errorBox('There is no such case.'));
    return;
  }
  setTitle(`Case #${id}`);
  replaceChildren(container, back, loading('Loading the case…'));

  const show = (data: Loaded, focusHeading: boolean, notice?: string): void => {
    const { c } = data;
    const heading = h('h1', { tabindex: -1, testid: 'case-heading' }, `Case #${c.id}`);
    replaceChildren(
      container,
      back,
      h(
        'div',
        { class: 'page-head' },
        heading,
        caseStatusBadge(c),
        c.outcome ? h('span', { class: 'pill', testid: 'case-outcome' }, (OUTCOMES.find(([v]) => v === c.outcome)?.[1] ?? c.outcome).split(':')[0] ?? c.outcome) : null,
      ),
      notice ? h('p', { class: 'success', role: 'status', testid: 'case-notice' }, notice) : null,
      h(
        'div',
        { class: 'ticket-layout' },
        h('div', { class: 'ticket-main' }, ratingPanel(data), notesPanel(data), actions(data, ctx.session.user.id, refresh)),
        facts(data),
      ),
    );
    if (focusHeading) heading.focus();
  };

  const refresh = (notice: string): void => {
    loadCase(id).then(
      (d) => ctx.isCurrent() && show(d, false, notice),
      (err: unknown) => ctx.isCurrent() && container.append(errorBox(`Saved, but couldn't reload the case. ${messageOf(err)}`)),
    );
  };

  loadCase(id).then(
    (d) => ctx.isCurrent() && show(d, true),
    (err: unknown) => {
      if (!ctx.isCurrent()) return;
      const message = err instanceof ApiError && err.status === 404 ? `Case #${id} doesn't exist or isn't yours to see.` : `Couldn't load case #${id}. ${messageOf(err)}`;
      replaceChildren(container, back, errorBox(message));
    },
  );
}

function facts({ c, users, ticket }: Loaded): HTMLElement {
  const row = (term: string, testid: string, ...value: Array<Node | string | null>) => [h('dt', null, term), h('dd', { testid }, ...value)];
  return h(
    'aside',
    { class: 'ticket-props', 'aria-label': 'Case details' },
    h(
      'dl',
      { class: 'props' },
      ...row('Due', 'case-due-prop', dueView(c), h('span', { class: 'muted small email' }, formatDate(c.due_at))),
      ...row('Ticket', 'case-ticket', h('a', { href: `#/tickets/${c.ticket_id}` }, ticket?.subject?.trim() || `Ticket #${c.ticket_id}`)),
      ...row('Customer', 'case-customer', nameOf(users, c.requester_id)),
      ...row('Agent rated', 'case-agent', nameOf(users, c.agent_id)),
      ...row('Assignee', 'case-assignee', nameOf(users, c.assignee_id, 'Unassigned')),
      ...row('Trigger', 'case-trigger', TRIGGERS[c.trigger] ?? c.trigger),
      ...row('Opened', 'case-opened', formatDate(c.created_at)),
      ...row('Contacted', 'case-contacted', formatDate(c.contacted_at)),
      ...row('Closed', 'case-closed', formatDate(c.closed_at)),
      ...row('Follow-up survey', 'case-follow-up', followUpView(c)),
    ),
  );
}

function followUpView(c: RecoveryCase): Node | string {
  const f = c.follow_up;
  if (!f) return c.status === 'closed' ? (c.outcome === 'unreachable' ? 'Not sent (unreachable)' : 'Not sent') : 'Sent when the case is closed';
  if (f.stars !== null) {
    const before = c.trigger_stars;
    return h(
      'span',
      null,
      starsView(f.stars, 'follow-up-stars'),
      before !== null ? h('span', { class: 'muted small' }, ` (was ${before} ★)`) : null,
    );
  }
  const labels: Record<string, string> = {
    pending: 'Queued, not answered yet',
    delivered: 'Sent, not answered yet',
    opened: 'Opened, not answered yet',
    answered: 'Answered',
    expired: 'Expired without an answer',
    suppressed: 'Not sent',
  };
  return labels[f.status ?? ''] ?? f.status ?? '—';
}

function ratingPanel({ rating, ratingError, c }: Loaded): HTMLElement {
  const heading = h('h2', null, 'The rating');
  if (!rating) {
    return h(
      'section',
      { class: 'panel', testid: 'case-rating' },
      heading,
      c.trigger_stars !== null ? starsView(c.trigger_stars) : null,
      h('p', { class: 'muted' }, ratingError ?? 'Not available.'),
    );
  }
  return h(
    'section',
    { class: 'panel', testid: 'case-rating' },
    heading,
    h('div', { class: 'rating-head' }, starsView(rating.stars), resolvedLabel(rating.resolved), h('span', { class: 'muted when' }, timeAgo(rating.created_at))),
    rating.comment ? h('blockquote', { class: 'rating-comment', testid: 'case-rating-comment' }, rating.comment) : h('p', { class: 'muted' }, 'No comment.'),
    tagList(rating.tags),
  );
}

function notesPanel({ c, users }: Loaded): HTMLElement {
  return h(
    'section',
    { class: 'panel', 'aria-labelledby': 'notes-heading' },
    h('h2', { id: 'notes-heading' }, 'Notes'),
    c.notes.length
      ? h(
          'ol',
          { class: 'comments', testid: 'case-notes' },
          ...c.notes.map((n) =>
            h(
              'li',
              { class: 'comment internal', testid: 'case-note' },
              h('header', { class: 'comment-head' }, h('span', { class: 'author' }, nameOf(users, n.author_id)), h('span', { class: 'muted when' }, timeAgo(n.created_at))),
              h('div', { class: 'comment-body' }, n.body),
            ),
          ),
        )
      : h('p', { class: 'muted' }, 'No notes yet.'),
  );
}

/** Error lines for one field out of a 422 body's details ({field: [{description}]}). */
function fieldErrors(body: unknown): Map<string, string[]> {
  const out = new Map<string, string[]>();
  if (!body || typeof body !== 'object') return out;
  const details = (body as Record<string, unknown>).details;
  if (!details || typeof details !== 'object') return out;
  for (const [field, value] of Object.entries(details as Record<string, unknown>)) {
    const list = Array.isArray(value) ? value : [value];
    const lines = list
      .map((v) => (typeof v === 'string' ? v : v && typeof v === 'object' ? String((v as Record<string, unknown>).description ?? '') : ''))
      .filter(Boolean);
    if (lines.length) out.set(field, lines);
  }
  return out;
}

function actions({ c }: Loaded, meId: number, done: (message: string) => void): HTMLElement {
  const closed = c.status === 'closed';
  const noteId = uid('case-note');
  const noteErrId = uid('case-note-error');
  const note = h('textarea', { id: noteId, rows: 3, maxlength: 5000, testid: 'case-note-input', 'aria-describedby': noteErrId });
  const noteError = h('div', { id: noteErrId, class: 'field-error', testid: 'case-note-error' });
  const outcomeErrId = uid('case-outcome-error');
  const outcomeError = h('div', { id: outcomeErrId, class: 'field-error', testid: 'case-outcome-error' });
  const outcomeName = uid('outcome');
  const outcomeInputs = OUTCOMES.map(([value, label]) => {
    const input = h('input', { type: 'radio', name: outcomeName, value, testid: `case-outcome-${value}`, 'aria-describedby': outcomeErrId });
    return { input, label: h('label', { class: 'check' }, input, ' ', label) };
  });
  const general = h('div', { 'aria-live': 'polite', testid: 'case-feedback' });
  const buttons: HTMLButtonElement[] = [];

  const clearErrors = (): void => {
    replaceChildren(noteError);
    replaceChildren(outcomeError);
    replaceChildren(general);
    note.removeAttribute('aria-invalid');
    for (const o of outcomeInputs) o.input.removeAttribute('aria-invalid');
  };

  const send = async (update: CaseUpdate, message: string, button: HTMLButtonElement): Promise<void> => {
    clearErrors();
    const label = button.textContent;
    for (const b of buttons) b.disabled = true;
    button.textContent = 'Saving…';
    try {
      await updateCase(c.id, update);
      note.value = '';
      done(message);
    } catch (err) {
      if (err instanceof ApiError && err.status === 422) {
        const errors = fieldErrors(err.body);
        let placed = false;
        const place = (field: string, slot: HTMLElement, inputs: HTMLElement[]): void => {
          const lines = errors.get(field);
          if (!lines) return;
          placed = true;
          replaceChildren(slot, ...lines.map((l) => h('p', { role: 'alert' }, l)));
          for (const i of inputs) i.setAttribute('aria-invalid', 'true');
          inputs[0]?.focus();
          errors.delete(field);
        };
        place('outcome', outcomeError, outcomeInputs.map((o) => o.input));
        place('note', noteError, [note]);
        const rest = [...errors.values()].flat();
        if (rest.length || !placed) replaceChildren(general, errorBox('The case was not saved.', ...rest));
      } else if (err instanceof ApiError && err.status === 404) {
        replaceChildren(general, errorBox("This case isn't yours to work on (or it was removed)."));
      } else if (err instanceof ApiError && err.status === 403) {
        replaceChildren(general, errorBox("You don't have permission to change this case."));
      } else {
        replaceChildren(general, errorBox(`The case was not saved. ${messageOf(err)}`));
      }
    } finally {
      for (const b of buttons) b.disabled = false;
      button.textContent = label;
    }
  };

  const noteButton = h('button', { type: 'button', testid: 'case-add-note' }, 'Add note');
  noteButton.addEventListener('click', () => {
    if (!note.value.trim()) {
      replaceChildren(noteError, h('p', { role: 'alert' }, 'Write a note first.'));
      note.setAttribute('aria-invalid', 'true');
      note.focus();
      return;
    }
    void send({ note: note.value }, 'Note added.', noteButton);
  });
  buttons.push(noteButton);

  const noteField = h('div', { class: 'field' }, h('label', { for: noteId }, 'Note'), note, noteError);
  if (closed) {
    return h('section', { class: 'panel', 'aria-label': 'Add a note' }, general, noteField, h('div', { class: 'composer-actions' }, noteButton));
  }

  const assign = h('button', { type: 'button', testid: 'case-assign-me', disabled: c.assignee_id === meId }, c.assignee_id === meId ? 'Assigned to you' : 'Assign to me');
  buttons.push(assign);
  const contacted = h('button', { type: 'button', testid: 'case-contacted', disabled: c.status !== 'open' }, 'Mark contacted');
  buttons.push(contacted);
  const closeButton = h('button', { type: 'submit', class: 'primary', testid: 'case-close' }, 'Close case');
  buttons.push(closeButton);
  const withNote = (u: CaseUpdate): CaseUpdate => (note.value.trim() ? { ...u, note: note.value } : u);
  assign.addEventListener('click', () => {
    void send(withNote({ assignee_id: meId }), 'Assigned to you.', assign);
  });
  contacted.addEventListener('click', () => void send(withNote({ status: 'contacted' }), 'Marked as contacted.', contacted));

  const form = h(
    'form',
    { class: 'panel case-actions', 'aria-label': 'Work on the case', novalidate: true, testid: 'case-form' },
    h('h2', null, 'Work on it'),
    general,
    noteField,
    h('div', { class: 'composer-actions start' }, noteButton, assign, contacted),
    h(
      'fieldset',
      { class: 'outcomes' },
      h('legend', null, 'Outcome (required to close)'),
      ...outcomeInputs.map((o) => o.label),
      outcomeError,
    ),
    h('div', { class: 'composer-actions' }, closeButton),
  );
  if (c.outcome) {
    const chosen = outcomeInputs.find((o) => o.input.value === c.outcome);
    if (chosen) chosen.input.checked = true;
  }
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const outcome = outcomeInputs.find((o) => o.input.checked)?.input.value;
    // No outcome: the server's 422 names the field, and it is shown beside it.
    const update: CaseUpdate = withNote({ status: 'closed' });
    if (outcome) update.outcome = outcome;
    void send(update, 'Case closed.', closeButton);
  });
  return form;
}
