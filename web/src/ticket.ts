// One ticket: its properties, the conversation (public replies and internal notes) and a composer
// that PUTs a comment and/or a status change.
import {
  ApiError,
  getTicket,
  listComments,
  listGroups,
  resolveUsers,
  updateTicket,
  validationMessages,
  type Comment,
  type Group,
  type Ticket,
  type TicketUpdate,
  type User,
} from './api';
import { formatDate, h, replaceChildren, timeAgo, uid } from './dom';
import { originalUrl } from './email_api';
import type { RouteContext } from './router';
import { errorBox, loading, messageOf, priorityLabel, setTitle, statusBadge, statusLabel } from './ui';

const COMPOSER_STATUSES = ['open', 'pending', 'hold', 'solved'] as const;

interface Loaded {
  ticket: Ticket;
  comments: Comment[];
  users: Map<number, User>;
  groups: Group[];
}

async function load(id: number): Promise<Loaded> {
  const groupsPromise = listGroups().catch(() => [] as Group[]);
  const [ticket, comments] = await Promise.all([getTicket(id), listComments(id)]);
  comments.sort((a, b) => a.created_at.localeCompare(b.created_at) || a.id - b.id);
  const users = await resolveUsers([ticket.requester_id, ticket.assignee_id, ...comments.map((c) => c.author_id)]);
  return { ticket, comments, users, groups: await groupsPromise };
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
  const props = h('aside', { class: 'ticket-props', 'aria-label': 'Ticket properties' });
  const conversation = h('section', { class: 'conversation', 'aria-labelledby': 'conversation-heading' });
  const composerSlot = h('div', { class: 'composer-slot' });
  const layout = h(
    'div',
    { class: 'ticket-layout' },
    h('div', { class: 'ticket-main' }, conversation, composerSlot),
    props,
  );
  replaceChildren(container, backLink(), head, loading('Loading ticket…'));

  let composer: Composer | null = null;

  const show = (data: Loaded): void => {
    const { ticket } = data;
    setTitle(`#${ticket.id} ${ticket.subject ?? ''}`.trim());
    replaceChildren(head, ticketHeading(ticket));
    replaceChildren(props, properties(data));
    replaceChildren(
      conversation,
      h('h2', { id: 'conversation-heading', class: 'visually-hidden' }, 'Conversation'),
      conversationList(data.ticket.id, data.comments, data.users),
    );
    if (ticket.status === 'closed') {
      composer = null;
      replaceChildren(composerSlot, h('p', { class: 'notice', testid: 'ticket-closed' }, 'This ticket is closed and can no longer be updated.'));
    } else if (composer) {
      composer.setStatus(ticket.status);
    } else {
      composer = new Composer(ticket, async (update) => {
        await updateTicket(id, update);
        // The update is saved; a failed reload is reported beside the conversation, not as a failed send.
        try {
          const fresh = await load(id);
          if (ctx.isCurrent()) show(fresh);
        } catch (err) {
          if (ctx.isCurrent()) conversation.append(errorBox(`Saved, but couldn't reload the conversation. ${messageOf(err)}`));
        }
      });
      replaceChildren(composerSlot, composer.element);
    }
  };

  load(id).then(
    (data) => {
      if (!ctx.isCurrent()) return;
      replaceChildren(container, backLink(), head, layout);
      show(data);
      head.querySelector('h1')?.focus();
    },
    (err: unknown) => {
      if (!ctx.isCurrent()) return;
      const message =
        err instanceof ApiError && err.status === 404 ? `Ticket #${id} doesn't exist or was deleted.` : `Couldn't load ticket #${id}. ${messageOf(err)}`;
      replaceChildren(container, backLink(), errorBox(message));
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

function conversationList(ticketId: number, comments: Comment[], users: Map<number, User>): HTMLElement {
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
        // Rendered as text (CSS keeps line breaks): html_body is never inserted as markup.
        h('div', { class: 'comment-body', testid: 'comment-body' }, text),
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

  constructor(
    ticket: Ticket,
    private readonly send: (update: TicketUpdate) => Promise<void>,
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
      h('div', { class: 'field' }, this.bodyLabel, this.body),
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

  setStatus(status: string): void {
    this.currentStatus = status;
    this.status.value = (COMPOSER_STATUSES as readonly string[]).includes(status) ? status : 'open';
  }

  private async onSubmit(): Promise<void> {
    const text = this.body.value;
    const update: TicketUpdate = {};
    if (this.status.value !== this.currentStatus) update.status = this.status.value;
    if (text.trim()) update.comment = { body: text, public: this.publicRadio.checked };
    if (!update.comment && !update.status) {
      replaceChildren(this.feedback, errorBox('Write a comment or change the status.'));
      this.body.focus();
      return;
    }
    // The status rides along with a comment even when unchanged, as the agent chose it.
    if (update.comment) update.status = this.status.value;

    this.submit.disabled = true;
    this.submit.textContent = 'Submitting…';
    replaceChildren(this.feedback);
    try {
      await this.send(update);
      this.body.value = '';
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
