// Known incidents (#/incidents): what is open, how many contacts each has answered, a form to open
// one (admins and managers), and resolving with a message that goes to every linked requester.
import type { Session } from './api';
import { formatDate, h, replaceChildren, uid } from './dom';
import { createIncident, listIncidents, managesIncidents, resolveIncident, type Incident } from './knowledge_api';
import type { RouteContext } from './router';
import { errorBox, loading, messageOf, setTitle } from './ui';
import { ApiError, validationMessages } from './api';

function failure(err: unknown): HTMLElement {
  if (err instanceof ApiError && err.status === 422) {
    const { description, details } = validationMessages(err.body);
    return errorBox(description, ...details);
  }
  return errorBox(messageOf(err));
}

const list = (s: string): string[] => s.split(',').map((x) => x.trim()).filter(Boolean);

function incidentForm(onCreated: () => void): HTMLElement {
  const field = (label: string, control: HTMLElement): HTMLElement =>
    h('div', { class: 'field' }, h('label', { for: control.id }, label), control);
  const title = h('input', { id: uid('i-title'), required: true, maxlength: 255, testid: 'incident-title' });
  const service = h('input', { id: uid('i-service'), required: true, maxlength: 100, testid: 'incident-service' });
  const regions = h('input', { id: uid('i-regions'), testid: 'incident-regions', placeholder: 'eu, us (empty: everywhere)' });
  const keywords = h('input', { id: uid('i-keywords'), testid: 'incident-keywords', placeholder: 'login, sign in' });
  const tag = h('input', { id: uid('i-tag'), testid: 'incident-tag' });
  const message = h('textarea', { id: uid('i-message'), rows: 4, required: true, testid: 'incident-message' });
  const feedback = h('div', { 'aria-live': 'polite' });
  const form = h(
    'form',
    { class: 'card-like', testid: 'incident-form', novalidate: true },
    h('h2', null, 'Open an incident'),
    field('Title', title),
    field('Service', service),
    field('Regions (comma-separated)', regions),
    field('Keywords or phrases that identify contacts (comma-separated)', keywords),
    field('Or a ticket tag', tag),
    field('Public message (sent to every matching new contact)', message),
    feedback,
    h('button', { type: 'submit', class: 'primary' }, 'Open incident'),
  );
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    createIncident({
      title: title.value,
      service: service.value,
      regions: list(regions.value),
      keywords: list(keywords.value),
      category_tag: tag.value.trim() || null,
      public_message: message.value,
    }).then(onCreated, (err: unknown) => replaceChildren(feedback, failure(err)));
  });
  return form;
}

function incidentRow(i: Incident, canManage: boolean, onResolved: () => void): HTMLElement {
  const feedback = h('div', { 'aria-live': 'polite' });
  let resolve: HTMLElement | null = null;
  if (canManage && i.status === 'open') {
    const msg = h('input', { id: uid('res'), testid: 'incident-resolution', placeholder: 'Resolution message (optional)' });
    const button = h('button', { type: 'submit', testid: 'incident-resolve' }, 'Resolve');
    const form = h('form', { class: 'inline-form' }, h('label', { for: msg.id, class: 'visually-hidden' }, 'Resolution message'), msg, button);
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      button.disabled = true;
      resolveIncident(i.id, msg.value).then(onResolved, (err: unknown) => {
        button.disabled = false;
        replaceChildren(feedback, failure(err));
      });
    });
    resolve = form;
  }
  return h(
    'li',
    { class: `incident incident-${i.status}`, testid: 'incident', 'data-status': i.status },
    h('h3', null, i.title, ' ', h('span', { class: `badge badge-${i.status === 'open' ? 'open' : 'solved'}` }, i.status === 'open' ? 'Open' : 'Resolved')),
    h(
      'p',
      { class: 'muted' },
      `${i.service} · ${i.regions.length ? i.regions.join(', ') : 'all regions'} · since ${formatDate(i.starts_at)}`,
    ),
    h('p', null, i.public_message),
    h(
      'p',
      { testid: 'incident-counts' },
      `${i.linked_tickets} contact${i.linked_tickets === 1 ? '' : 's'} answered automatically, ${i.solved_tickets} solved`,
    ),
    h('p', { class: 'muted' }, 'Matches: ', [...i.keywords, ...(i.category_tag ? [`tag ${i.category_tag}`] : [])].join(', ') || '—'),
    resolve,
    feedback,
  );
}

export function renderIncidents(container: HTMLElement, ctx: RouteContext): void {
  setTitle('Incidents');
  const session: Session = ctx.session;
  const canManage = managesIncidents(session.user);
  const refresh = (): void => renderIncidents(container, ctx);
  replaceChildren(container, h('h1', null, 'Known incidents'), loading());
  listIncidents().then(
    (incidents) => {
      if (!ctx.isCurrent()) return;
      const open = incidents.filter((i) => i.status === 'open');
      const resolved = incidents.filter((i) => i.status !== 'open');
      replaceChildren(
        container,
        h('h1', null, 'Known incidents'),
        h('p', { class: 'muted' }, 'While an incident is open, matching new contacts get its public message, are linked to it and wait as pending; resolving solves them and notifies each requester.'),
        canManage ? incidentForm(refresh) : null,
        h('h2', null, `Open (${open.length})`),
        open.length ? h('ul', { class: 'incidents', testid: 'incidents-open' }, ...open.map((i) => incidentRow(i, canManage, refresh))) : h('p', { class: 'empty' }, 'No open incidents.'),
        h('h2', null, 'Resolved'),
        resolved.length ? h('ul', { class: 'incidents', testid: 'incidents-resolved' }, ...resolved.map((i) => incidentRow(i, canManage, refresh))) : h('p', { class: 'empty' }, 'None yet.'),
      );
    },
    (err: unknown) => {
      if (ctx.isCurrent()) replaceChildren(container, h('h1', null, 'Known incidents'), errorBox(`Couldn't load incidents. ${messageOf(err)}`));
    },
  );
}
