// One ticket: its properties, the conversation (public replies and internal notes) and a composer
// that PUTs a comment and/or a status change.
import {
  ApiError,
  getTicket,
  listComments,
  listDeliveries,
  listGroups,
  resolveUsers,
  updateTicket,
  validationMessages,
  type Comment,
  type Delivery,
  type Group,
  type Ticket,
  type TicketUpdate,
  type User,
} from './api';
import { formatDate, h, replaceChildren, timeAgo, uid } from './dom';
import { activeMacros, previewMacro } from './rules_api';
import { recordSuggestion, ticketSuggestions, type Article } from './knowledge_api';
import { originalUrl } from './email_api';
import { emailBody, emailHtmlState, tooLargeNote } from './email_view';
import type { RouteContext } from './router';
import { slaPanel } from './sla';
import { watchPresence, type PresenceWatch } from './presence';
import { errorBox, loading, messageOf, priorityLabel, setTitle, statusBadge, statusLabel } from './ui';

const COMPOSER_STATUSES = ['open', 'pending', 'hold', 'solved'] as const;

interface Loaded {
  ticket: Ticket;
  comments: Comment[];
  users: Map<number, User>;
  groups: Group[];
  deliveries: Delivery[];
}

// How often the view looks again while an email is still queued (it shows the outcome without a reload).
const DELIVERY_REFRESH_MS = 3000;

async function load(id: number): Promise<Loaded> {
  const groupsPromise = listGroups().catch(() => [] as Group[]);
  // Deliveries are staff-only and optional: a failure to read them never hides the ticket.
  const deliveriesPromise = listDeliveries(id).catch(() => [] as Delivery[]);
  const [ticket, comments] = await Promise.all([getTicket(id), listComments(id)]);
  comments.sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id - b.id);
  const users = await resolveUsers([ticket.requester_id, ticket.assignee_id, ...comments.map((c) => c.author_id)]);
  return { ticket, comments, users, groups: await groupsPromise, deliveries: await deliveriesPromise };
}

export function renderTicket(container: HTMLElement, ctx: RouteContext): void {
  const id = Number(ctx.params.id);
  if (!Number.isSafeInteger(id) || id <= 0) {
    setTitle('Ticket not found');
    replaceChildren(container, backLink(), errorBox('There is no such ticket.'));
    return;
  }
  setTitle(`Ticket #${id}`);

  const head = h('div', { class: 'ticket-head' });
  const propsSlot = h('div');
  const suggestionsSlot = h('section', { class: 'suggestions', 'aria-labelledby': 'suggestions-heading', testid: 'suggestions' });
  const props = h('aside', { class: 'ticket-props', 'aria-label': 'Ticket properties' }, propsSlot, suggestionsSlot);
  const conversation = h('section', { class: 'conversation', 'aria-labelledby': 'conversation-heading' });
  const composerSlot = h('div', { class: 'composer-slot' });
  const presenceSlot = h('div', { class: 'presence-slot', 'aria-live': 'polite' });
  const layout = h(
    'div',
    { class: 'ticket-layout' },
    h('div', { class: 'ticket-main' }, presenceSlot, conversation, composerSlot),
    props,
  );
  replaceChildren(container, backLink(), head, loading('Loading ticket…'));

  let composer: Composer | null = null;
  let refresh: ReturnType<typeof setTimeout> | null = null;
  let latest: Loaded | null = null;
  let presence: PresenceWatch | null = null;
  const me = ctx.session.user.id;

  // Before a reply goes out: did someone else reply since this page last loaded the ticket? (The
  // ticket's updated_at moved, and a comment newer than the newest shown is not ours.) Returns the
  // warning, or null.
  const staleWarning = async (): Promise<string | null> => {
    if (!latest) return null;
    const seen = latest.ticket.updated_at;
    const lastSeenComment = Math.max(0, ...latest.comments.map((c) => c.id));
    const fresh = await getTicket(id);
    if (fresh.updated_at === seen) return null;
    const comments = await listComments(id);
    const newer = comments.filter((c) => c.id > lastSeenComment && c.author_id !== me);
    if (!newer.length) return null;
    const users = await resolveUsers(newer.map((c) => c.author_id));
    const names = [...new Set(newer.map((c) => (c.author_id !== null && users.get(c.author_id)?.name) || 'Someone'))];
    return `${names.join(' and ')} replied after you opened this ticket.`;
  };

  // While an email waits in the outbox, look again now and then, so "queued" turns into "sent" or
  // "failed" in front of the agent. Stops when nothing is queued or the page is left.
  const watchDeliveries = (): void => {
    if (refresh) clearTimeout(refresh);
    refresh = null;
    if (!latest?.deliveries.some((d) => d.status === 'queued')) return;
    refresh = setTimeout(() => {
      if (!ctx.isCurrent() || !latest) return;
      listDeliveries(id).then(
        (deliveries) => {
          if (!ctx.isCurrent() || !latest) return;
          latest = { ...latest, deliveries };
          showConversation(latest);
          watchDeliveries();
        },
        () => watchDeliveries(),
      );
    }, DELIVERY_REFRESH_MS);
  };

  const showConversation = (data: Loaded): void => {
    replaceChildren(
      conversation,
      h('h2', { id: 'conversation-heading', class: 'visually-hidden' }, 'Conversation'),
      conversationList(data.ticket.id, data.comments, data.users, data.deliveries, isStaff(ctx.session.user.role)),
      otherEmails(data.deliveries, data.comments),
    );
  };

  const show = (data: Loaded): void => {
    latest = data;
    const { ticket } = data;
    setTitle(`#${ticket.id} ${ticket.subject ?? ''}`.trim());
    replaceChildren(head, ticketHeading(ticket));
    replaceChildren(propsSlot, properties(data), slaPanel(data.ticket));
    showConversation(data);
    watchDeliveries();
    if (ticket.status === 'closed') {
      composer = null;
      replaceChildren(composerSlot, h('p', { class: 'notice', testid: 'ticket-closed' }, 'This ticket is closed and can no longer be updated.'));
    } else if (composer) {
      composer.setStatus(ticket.status);
    } else {
      const role = ctx.session.user.role;
      const staff = role === 'agent' || role === 'admin';
      if (staff && !presence) {
        presence = watchPresence(id, presenceSlot);
        ctx.onLeave(() => presence?.stop());
      }
      composer = new Composer(ticket, staff, async (update) => {
        await updateTicket(id, update);
        // The update is saved; a failed reload is reported beside the conversation, not as a failed send.
        try {
          const fresh = await load(id);
          if (ctx.isCurrent()) show(fresh);
        } catch (err) {
          if (ctx.isCurrent()) conversation.append(errorBox(`Saved, but couldn't reload the conversation. ${messageOf(err)}`));
        }
      }, staff ? staleWarning : null, (replying) => presence?.setState(replying ? 'replying' : 'viewing'));
      replaceChildren(composerSlot, composer.element);
    }
  };

  load(id).then(
    (data) => {
      if (!ctx.isCurrent()) return;
      replaceChildren(container, backLink(), head, layout);
      show(data);
      head.querySelector('h1')?.focus();
      showSuggestions(id, suggestionsSlot, (text) => composer?.insertText(text), ctx);
    },
    (err: unknown) => {
      if (!ctx.isCurrent()) return;
      const message =
        err instanceof ApiError && err.status === 404 ? `Ticket #${id} doesn't exist or was deleted.` : `Couldn't load ticket #${id}. ${messageOf(err)}`;
      replaceChildren(container, backLink(), errorBox(message));
    },
  );
}

/** Text with the server's <em> highlights as <mark>: the snippet is escaped HTML, read as text here. */
function snippetNodes(snippet: string): Node[] {
  const text = new DOMParser().parseFromString(snippet, 'text/html').body;
  return Array.from(text.childNodes).map((n) =>
    n.nodeType === Node.ELEMENT_NODE && (n as Element).tagName === 'EM' ? h('mark', null, n.textContent ?? '') : document.createTextNode(n.textContent ?? ''),
  );
}

/** Knowledge-base articles matching the ticket; public ones can be inserted into the reply as a link. */
function showSuggestions(ticketId: number, slot: HTMLElement, insert: (text: string) => void, ctx: RouteContext): void {
  replaceChildren(slot, h('h2', { id: 'suggestions-heading' }, 'Suggested articles'), loading('Finding articles…'));
  ticketSuggestions(ticketId).then(
    (articles: Article[]) => {
      if (!ctx.isCurrent()) return;
      const items = articles.map((a) => {
        const insertButton =
          a.visibility === 'public'
            ? h('button', { type: 'button', class: 'link-button', testid: 'suggestion-insert' }, 'Insert link')
            : h('span', { class: 'muted', title: 'Internal articles are for agents; customers cannot open them' }, 'Internal');
        insertButton.addEventListener('click', () => {
          insert(`${a.title}: ${a.html_url}`);
          recordSuggestion(ticketId, a.id, 'inserted').catch(() => undefined); // a lost count must not block the reply
        });
        const link = h('a', { href: `#/kb/articles/${a.id}`, testid: 'suggestion-title' }, a.title);
        link.addEventListener('click', () => void recordSuggestion(ticketId, a.id, 'clicked').catch(() => undefined));
        return h('li', { testid: 'suggestion', 'data-article-id': a.id }, link, h('p', { class: 'snippet muted' }, ...snippetNodes(a.snippet ?? '')), insertButton);
      });
      replaceChildren(
        slot,
        h('h2', { id: 'suggestions-heading' }, 'Suggested articles'),
        items.length ? h('ul', { class: 'suggestion-list' }, ...items) : h('p', { class: 'empty' }, 'No matching articles.'),
      );
    },
    () => {
      // Suggestions are a help, not the page: without them the ticket still works.
      if (ctx.isCurrent()) replaceChildren(slot);
    },
  );
}

function backLink(): HTMLElement {
  return h('p', { class: 'back' }, h('a', { href: '#/tickets', testid: 'back-to-tickets' }, '← All tickets'));
}

function ticketHeading(ticket: Ticket): HTMLElement {
  return h(
    'div',
    null,
    h('h1', { tabindex: -1, testid: 'ticket-subject' }, ticket.subject?.trim() || '(no subject)'),
    h(
      'p',
      { class: 'ticket-meta' },
      h('span', { class: 'ticket-id', testid: 'ticket-id' }, `#${ticket.id}`),
      ' ',
      statusBadge(ticket.status, 'ticket-status'),
      ticket.via?.channel ? h('span', { class: 'muted' }, ` via ${ticket.via.channel}`) : null,
      h('span', { class: 'muted' }, ' · created ', timeAgo(ticket.created_at)),
    ),
  );
}

function userName(users: Map<number, User>, id: number | null): string {
  if (id === null || id === undefined) return '—';
  return users.get(id)?.name ?? `User #${id}`;
}

function properties({ ticket, users, groups }: Loaded): HTMLElement {
  const requester = ticket.requester_id === null ? undefined : users.get(ticket.requester_id);
  const group = groups.find((g) => g.id === ticket.group_id);
  const row = (term: string, testid: string, ...value: Array<Node | string | null>) =>
    [h('dt', null, term), h('dd', { testid }, ...value)] as const;
  return h(
    'dl',
    { class: 'props' },
    ...row(
      'Requester',
      'ticket-requester',
      userName(users, ticket.requester_id),
      requester?.email ? h('span', { class: 'muted email' }, requester.email) : null,
    ),
    ...row('Assignee', 'ticket-assignee', ticket.assignee_id === null ? 'Unassigned' : userName(users, ticket.assignee_id)),
    ...row('Group', 'ticket-group', ticket.group_id === null ? '—' : (group?.name ?? `Group #${ticket.group_id}`)),
    ...row('Status', 'ticket-status-prop', statusLabel(ticket.status)),
    ...row('Priority', 'ticket-priority', priorityLabel(ticket.priority)),
    ...row(
      'Tags',
      'ticket-tags',
      ticket.tags && ticket.tags.length ? h('span', { class: 'tags' }, ...ticket.tags.map((t) => h('span', { class: 'tag' }, t))) : '—',
    ),
    ...row('Created', 'ticket-created', formatDate(ticket.created_at)),
    ...row('Updated', 'ticket-updated', formatDate(ticket.updated_at)),
  );
}

const DELIVERY_LABELS: Record<string, string> = { queued: 'Email queued', sent: 'Email sent', failed: 'Email failed' };
const KIND_LABELS: Record<string, string> = {
  agent_reply: 'Reply',
  feedback_request: 'Survey',
  digest: 'Digest',
  notification: 'Notification',
};

/** The delivery status of one outgoing email: a badge, and for a failure or a retry, why. */
function deliveryStatus(d: Delivery): HTMLElement {
  const label = DELIVERY_LABELS[d.status] ?? `Email ${d.status}`;
  const detail =
    d.status === 'failed'
      ? (d.last_error ?? d.smtp_response ?? 'not delivered')
      : d.status === 'queued' && d.attempts > 0
        ? `attempt ${d.attempts} failed: ${d.last_error ?? d.smtp_response ?? 'no answer'}${d.next_attempt_at ? ` · next try ${timeAgo(d.next_attempt_at).textContent}` : ''}`
        : d.status === 'sent' && d.last_error
          ? d.last_error
          : null;
  const title = [`To ${[d.to, ...d.cc].join(', ')}`, d.smtp_response ? `Server: ${d.smtp_response}` : null]
    .filter(Boolean)
    .join('\n');
  return h(
    'div',
    { class: 'delivery', testid: 'delivery', 'data-delivery-id': d.id, 'data-status': d.status },
    h('span', { class: `badge delivery-${d.status}`, testid: 'delivery-status', title }, label),
    detail ? h('span', { class: 'delivery-detail', testid: 'delivery-detail' }, ' ', detail) : null,
  );
}

/** Outgoing mail that is not a comment's reply (surveys, notifications). */
function otherEmails(deliveries: Delivery[], comments: Comment[]): HTMLElement | null {
  const commentIds = new Set(comments.map((c) => c.id));
  const others = deliveries.filter((d) => d.comment_id === null || !commentIds.has(d.comment_id));
  if (others.length === 0) return null;
  return h(
    'section',
    { class: 'other-emails', testid: 'other-emails', 'aria-label': 'Other email about this ticket' },
    h('h3', null, 'Other email'),
    h(
      'ul',
      null,
      ...others.map((d) =>
        h('li', null, h('span', { class: 'muted' }, `${KIND_LABELS[d.kind] ?? d.kind} to ${d.to} · `), deliveryStatus(d)),
      ),
    ),
  );
}

function sizeLabel(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

// Files as download links (the server decides what a browser may show inline), and for email
// comments a link to the message as it arrived.
function commentExtras(ticketId: number, c: Comment): HTMLElement | null {
  const files = c.attachments ?? [];
  const fromEmail = c.via?.channel === 'email';
  if (files.length === 0 && !fromEmail) return null;
  return h(
    'div',
    { class: 'comment-extras' },
    files.length
      ? h(
          'ul',
          { class: 'attachments', testid: 'comment-attachments' },
          ...files.map((a) =>
            h(
              'li',
              null,
              h('a', { href: a.content_url, rel: 'noopener', target: '_blank', testid: 'attachment-link', download: a.file_name }, a.file_name),
              h('span', { class: 'muted' }, ` ${sizeLabel(a.size)}`),
            ),
          ),
        )
      : null,
    fromEmail
      ? h('a', { href: originalUrl(ticketId, c.id), rel: 'noopener', target: '_blank', class: 'muted', testid: 'comment-original' }, 'Show original email')
      : null,
  );
}

const isStaff = (role: string | undefined): boolean => role === 'agent' || role === 'admin';

function conversationList(
  ticketId: number,
  comments: Comment[],
  users: Map<number, User>,
  deliveries: Delivery[] = [],
  staff = false,
): HTMLElement {
  if (comments.length === 0) return h('p', { class: 'empty' }, 'No comments yet.');
  return h(
    'ol',
    { class: 'comments', testid: 'conversation' },
    ...comments.map((c) => {
      const internal = !c.public;
      const text = c.plain_body ?? c.body ?? '';
      return h(
        'li',
        {
          class: internal ? 'comment internal' : 'comment public',
          testid: 'comment',
          'data-comment-id': c.id,
          'data-public': String(c.public),
        },
        h(
          'header',
          { class: 'comment-head' },
          h('span', { class: 'author', testid: 'comment-author' }, userName(users, c.author_id)),
          internal ? h('span', { class: 'internal-label', testid: 'comment-internal-label' }, 'Internal note') : null,
          h('span', { class: 'muted when' }, timeAgo(c.created_at)),
        ),
        // An email's own HTML (sanitized by the server) is shown to agents in a sandboxed frame
        // (email_view.ts); everything else as text (CSS keeps line breaks): html_body is never
        // inserted into this page as markup.
        staff && emailHtmlState(c) === 'sanitized'
          ? emailBody(ticketId, c)
          : h('div', { class: 'comment-body', testid: 'comment-body' }, text),
        staff && emailHtmlState(c) === 'too_large' ? tooLargeNote() : null,
        ...deliveries.filter((d) => d.comment_id === c.id).map(deliveryStatus),
        commentExtras(ticketId, c),
      );
    }),
  );
}

class Composer {
  readonly element: HTMLFormElement;
  private body: HTMLTextAreaElement;
  private status: HTMLSelectElement;
  private submit: HTMLButtonElement;
  private feedback: HTMLElement;
  private bodyLabel: HTMLLabelElement;
  private publicRadio: HTMLInputElement;
  private currentStatus: string;
  /** Field changes of the macro last applied, sent with the next submit. */
  private macroFields: Record<string, unknown> = {};
  private macroNote: HTMLElement;

  /** Set once the agent chose to send although someone else replied meanwhile. */
  private staleConfirmed = false;

  constructor(
    private readonly ticket: Ticket,
    staff: boolean,
    private readonly send: (update: TicketUpdate) => Promise<void>,
    private readonly checkStale: (() => Promise<string | null>) | null = null,
    private readonly onReplying: (replying: boolean) => void = () => undefined,
  ) {
    this.currentStatus = ticket.status;
    const name = uid('reply-kind');
    const bodyId = uid('composer-body');
    const statusId = uid('composer-status');

    this.publicRadio = h('input', { type: 'radio', name, value: 'public', testid: 'composer-public', props: { checked: true } });
    const internalRadio = h('input', { type: 'radio', name, value: 'internal', testid: 'composer-internal' });
    this.bodyLabel = h('label', { for: bodyId }, 'Reply to the requester');
    this.body = h('textarea', { id: bodyId, name: 'body', rows: 5, testid: 'composer-body' });
    this.status = h('select', { id: statusId, name: 'status', testid: 'composer-status' });
    for (const s of COMPOSER_STATUSES) this.status.append(h('option', { value: s }, statusLabel(s)));
    this.setStatus(ticket.status);
    this.submit = h('button', { type: 'submit', class: 'primary', testid: 'composer-submit' }, 'Submit');
    this.feedback = h('div', { class: 'feedback', 'aria-live': 'polite', testid: 'composer-feedback' });
    this.macroNote = h('p', { class: 'muted', 'aria-live': 'polite', testid: 'macro-note' });
    const macroId = uid('composer-macro');
    const macroSelect = h('select', { id: macroId, testid: 'macro-select' }, h('option', { value: '' }, 'Apply a macro…'));
    const macroField = staff ? h('div', { class: 'field inline' }, h('label', { for: macroId }, 'Macro'), macroSelect) : null;
    if (staff) {
      activeMacros().then(
        (macros) => macroSelect.append(...macros.map((m) => h('option', { value: String(m.id) }, m.title))),
        () => macroField?.remove(), // no macros for this user: no control
      );
      macroSelect.addEventListener('change', () => {
        const id = Number(macroSelect.value);
        if (id) void this.applyMacro(id, macroSelect.selectedOptions[0]?.textContent ?? '');
      });
    }

    this.element = h(
      'form',
      { class: 'composer public', 'aria-label': 'Add to the conversation', testid: 'composer', novalidate: true },
      h(
        'fieldset',
        { class: 'reply-kind' },
        h('legend', { class: 'visually-hidden' }, 'Kind of comment'),
        h('label', { class: 'toggle' }, this.publicRadio, h('span', null, 'Public reply')),
        h('label', { class: 'toggle' }, internalRadio, h('span', null, 'Internal note')),
      ),
      macroField,
      h('div', { class: 'field' }, this.bodyLabel, this.body),
      this.macroNote,
      this.feedback,
      h(
        'div',
        { class: 'composer-actions' },
        h('div', { class: 'field inline' }, h('label', { for: statusId }, 'Status'), this.status),
        this.submit,
      ),
    );

    const onKind = (): void => {
      const isPublic = this.publicRadio.checked;
      this.element.classList.toggle('public', isPublic);
      this.element.classList.toggle('internal', !isPublic);
      this.bodyLabel.textContent = isPublic ? 'Reply to the requester' : 'Internal note (only agents can see it)';
    };
    this.publicRadio.addEventListener('change', onKind);
    internalRadio.addEventListener('change', onKind);
    this.body.addEventListener('input', () => this.onReplying(this.body.value.trim() !== ''));
    this.body.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey)) {
        ev.preventDefault();
        this.element.requestSubmit();
      }
    });
    this.element.addEventListener('submit', (ev) => {
      ev.preventDefault();
      void this.onSubmit();
    });
  }

  /** Fills the composer with what the macro would do; nothing is saved until Submit. */
  private async applyMacro(id: number, title: string): Promise<void> {
    try {
      const result = await previewMacro(this.ticket.id, id);
      const { id: _id, status, ...fields } = result.ticket;
      void _id;
      this.macroFields = fields;
      if (typeof status === 'string' && (COMPOSER_STATUSES as readonly string[]).includes(status)) this.status.value = status;
      if (result.comment?.body !== undefined) this.body.value = result.comment.body;
      if (result.comment?.public !== undefined) {
        const radio = this.element.querySelector<HTMLInputElement>(`input[value=${result.comment.public ? 'public' : 'internal'}]`);
        if (radio) {
          radio.checked = true;
          radio.dispatchEvent(new Event('change'));
        }
      }
      const changes = Object.entries(fields).map(([k, v]) => `${k} → ${Array.isArray(v) ? v.join(' ') : String(v ?? 'none')}`);
      this.macroNote.textContent = `Macro “${title}” applied${changes.length ? `; on submit it also sets ${changes.join(', ')}` : ''}. Review and submit.`;
    } catch (err) {
      replaceChildren(this.feedback, errorBox(`Couldn't apply the macro. ${messageOf(err)}`));
    }
  }

  /** Adds `text` on its own line to a public reply (switching to one) and puts the cursor after it. */
  insertText(text: string): void {
    if (!this.publicRadio.checked) {
      this.publicRadio.checked = true;
      this.publicRadio.dispatchEvent(new Event('change'));
    }
    const current = this.body.value;
    this.body.value = current && !current.endsWith('\n') ? `${current}\n${text}` : `${current}${text}`;
    this.body.focus();
    this.body.setSelectionRange(this.body.value.length, this.body.value.length);
  }

  setStatus(status: string): void {
    this.currentStatus = status;
    this.status.value = (COMPOSER_STATUSES as readonly string[]).includes(status) ? status : 'open';
  }

  private async onSubmit(): Promise<void> {
    const text = this.body.value;
    const update: TicketUpdate = {};
    if (this.status.value !== this.currentStatus) update.status = this.status.value;
    if (text.trim()) update.comment = { body: text, public: this.publicRadio.checked };
    Object.assign(update, this.macroFields);
    if (!update.comment && !update.status && Object.keys(this.macroFields).length === 0) {
      replaceChildren(this.feedback, errorBox('Write a comment or change the status.'));
      this.body.focus();
      return;
    }
    // The status rides along with a comment even when unchanged, as the agent chose it.
    if (update.comment) update.status = this.status.value;

    if (update.comment?.public && this.checkStale && !this.staleConfirmed) {
      let warning: string | null = null;
      try {
        warning = await this.checkStale();
      } catch {
        warning = null; // the check is a courtesy: the save itself reports real failures
      }
      if (warning) {
        const anyway = h('button', { type: 'button', class: 'primary', testid: 'collision-submit' }, 'Send anyway');
        anyway.addEventListener('click', () => {
          this.staleConfirmed = true;
          this.element.requestSubmit();
        });
        replaceChildren(
          this.feedback,
          h('div', { class: 'error collision', role: 'alert', testid: 'collision-warning' }, h('p', null, `${warning} Read it before you send yours?`), anyway),
        );
        return;
      }
    }

    this.submit.disabled = true;
    this.submit.textContent = 'Submitting…';
    replaceChildren(this.feedback);
    try {
      await this.send(update);
      this.staleConfirmed = false;
      this.onReplying(false);
      this.body.value = '';
      this.macroFields = {};
      this.macroNote.textContent = '';
      replaceChildren(
        this.feedback,
        h('p', { class: 'success', role: 'status' }, update.comment ? (update.comment.public ? 'Reply sent.' : 'Note added.') : 'Ticket updated.'),
      );
    } catch (err) {
      if (err instanceof ApiError && err.status === 422) {
        const { description, details } = validationMessages(err.body);
        replaceChildren(this.feedback, errorBox(description, ...details));
      } else {
        replaceChildren(this.feedback, errorBox(`Couldn't update the ticket. ${messageOf(err)}`));
      }
    } finally {
      this.submit.disabled = false;
      this.submit.textContent = 'Submit';
    }
  }
}
