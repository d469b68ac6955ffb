// Pieces shared by the feedback pages: stars, tags, reactions, the reaction form, filters.
import { ApiError, validationMessages } from './api';
import { h, replaceChildren, timeAgo, uid } from './dom';
import { addReaction, type Reaction, type ReactionKind } from './feedback_api';
import { errorBox, messageOf } from './ui';

/** "★★★★☆" for the eye, "4 of 5 stars" for screen readers. */
export function starsView(stars: number | null | undefined, testid = 'stars'): HTMLElement {
  if (stars === null || stars === undefined) return h('span', { class: 'stars-view muted', testid }, 'No stars');
  const n = Math.max(0, Math.min(5, Math.round(stars)));
  return h(
    'span',
    { class: `stars-view stars-${n}`, testid, 'data-stars': n, role: 'img', 'aria-label': `${n} of 5 stars` },
    h('span', { 'aria-hidden': 'true' }, '★'.repeat(n)),
    h('span', { class: 'stars-off', 'aria-hidden': 'true' }, '☆'.repeat(5 - n)),
  );
}

export function tagLabel(tag: string): string {
  const text = tag.replace(/_/g, ' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export function tagList(tags: string[] | null | undefined): HTMLElement | null {
  if (!tags || tags.length === 0) return null;
  return h('span', { class: 'tags', testid: 'rating-tags' }, ...tags.map((t) => h('span', { class: 'tag' }, tagLabel(t))));
}

export function resolvedLabel(resolved: boolean | null | undefined): HTMLElement | null {
  if (resolved === null || resolved === undefined) return null;
  return h(
    'span',
    { class: `pill ${resolved ? 'pill-good' : 'pill-bad'}`, testid: 'rating-resolved' },
    resolved ? 'Resolved' : 'Not resolved',
  );
}

export function reactionItem(r: Reaction): HTMLElement {
  const praise = r.kind === 'praise';
  return h(
    'li',
    { class: `reaction reaction-${praise ? 'praise' : 'coaching'}`, testid: 'reaction', 'data-kind': r.kind },
    h(
      'div',
      { class: 'reaction-head' },
      h('span', { class: 'reaction-kind' }, praise ? 'Praise' : 'Coaching'),
      ' from ',
      h('span', { class: 'author' }, r.author_name || 'a colleague'),
      ' · ',
      timeAgo(r.created_at),
    ),
    h('div', { class: 'reaction-body', testid: 'reaction-body' }, r.body),
  );
}

/** The list of reactions on a rating; `add` appends one unless its id is already shown. */
export class ReactionList {
  readonly element: HTMLOListElement;
  private ids = new Set<number>();

  constructor(initial: Reaction[] = []) {
    this.element = h('ol', { class: 'reactions', testid: 'reactions', 'aria-label': 'Reactions from leads' });
    for (const r of initial) this.add(r);
    this.sync();
  }

  add(r: Reaction): void {
    if (r.id !== undefined) {
      if (this.ids.has(r.id)) return;
      this.ids.add(r.id);
    }
    this.element.append(reactionItem(r));
    this.sync();
  }

  private sync(): void {
    this.element.hidden = this.element.childElementCount === 0;
  }
}

/**
 * Praise or coaching on one rating. The reaction is shown when its stream event arrives (or at
 * once via `onPosted`, for pages without the stream).
 */
export function reactionForm(ratingId: number, onPosted: (r: Reaction) => void): HTMLElement {
  const kindName = uid('reaction-kind');
  const bodyId = uid('reaction-body');
  const praise = h('input', { type: 'radio', name: kindName, value: 'praise', testid: 'reaction-praise', props: { checked: true } });
  const coaching = h('input', { type: 'radio', name: kindName, value: 'coaching', testid: 'reaction-coaching' });
  const body = h('textarea', { id: bodyId, rows: 2, maxlength: 2000, testid: 'reaction-input', class: 'reaction-input' });
  const submit = h('button', { type: 'submit', class: 'primary small', testid: 'reaction-submit' }, 'Send');
  const feedback = h('div', { class: 'feedback', 'aria-live': 'polite' });
  const form = h(
    'form',
    { class: 'reaction-form', testid: 'reaction-form', novalidate: true, 'aria-label': `React to rating ${ratingId}` },
    h(
      'fieldset',
      { class: 'reply-kind compact' },
      h('legend', { class: 'visually-hidden' }, 'Kind of reaction'),
      h('label', { class: 'toggle' }, praise, h('span', null, 'Praise')),
      h('label', { class: 'toggle' }, coaching, h('span', null, 'Coaching')),
    ),
    h('label', { for: bodyId, class: 'visually-hidden' }, 'Your note to the agent'),
    body,
    feedback,
    submit,
  );
  body.placeholder = 'A note to the agent…';
  body.addEventListener('keydown', (ev) => {
    if (ev.key === 'Enter' && (ev.ctrlKey || ev.metaKey)) {
      ev.preventDefault();
      form.requestSubmit();
    }
  });
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const text = body.value.trim();
    if (!text) {
      replaceChildren(feedback, errorBox('Write a note first.'));
      body.setAttribute('aria-invalid', 'true');
      body.focus();
      return;
    }
    body.removeAttribute('aria-invalid');
    const kind: ReactionKind = coaching.checked ? 'coaching' : 'praise';
    submit.disabled = true;
    submit.textContent = 'Sending…';
    replaceChildren(feedback);
    addReaction(ratingId, kind, text)
      .then((r) => {
        body.value = '';
        replaceChildren(feedback, h('p', { class: 'success small', role: 'status' }, kind === 'praise' ? 'Praise sent.' : 'Coaching note sent.'));
        onPosted(r);
      })
      .catch((err: unknown) => {
        if (err instanceof ApiError && err.status === 422) {
          const { description, details } = validationMessages(err.body);
          replaceChildren(feedback, errorBox(description, ...details));
        } else if (err instanceof ApiError && err.status === 403) {
          replaceChildren(feedback, errorBox('Only team leads, QA, managers and admins can react to ratings.'));
        } else {
          replaceChildren(feedback, errorBox(`Couldn't send it. ${messageOf(err)}`));
        }
      })
      .finally(() => {
        submit.disabled = false;
        submit.textContent = 'Send';
      });
  });
  return form;
}

export interface Option {
  value: string;
  label: string;
}

/** A labelled <select>; extra options can be filled in later with `fill`. */
export function selectField(label: string, testid: string, options: Option[], current = '') {
  const id = uid(testid);
  const select = h('select', { id, testid });
  for (const o of options) select.append(h('option', { value: o.value }, o.label));
  const fill = (more: Option[]): void => {
    const have = new Set([...select.options].map((o) => o.value));
    for (const o of more) if (!have.has(o.value)) select.append(h('option', { value: o.value }, o.label));
    select.value = current;
    if (select.value !== current) select.value = '';
  };
  select.value = current;
  if (current && select.value !== current) {
    select.append(h('option', { value: current }, `#${current}`));
    select.value = current;
  }
  return { field: h('div', { class: 'field' }, h('label', { for: id }, label), select), select, fill };
}

/** A one-line status for a live stream, announced politely. */
export function liveIndicator(): { element: HTMLElement; set: (state: string) => void } {
  const element = h('span', { class: 'live-indicator', role: 'status', testid: 'live-status', 'data-state': 'connecting' }, 'Connecting…');
  const labels: Record<string, string> = {
    connecting: 'Connecting…',
    live: 'Live',
    reconnecting: 'Connection lost, reconnecting…',
    stopped: 'Live updates stopped',
  };
  return {
    element,
    set(state: string) {
      element.dataset.state = state;
      element.textContent = labels[state] ?? state;
    },
  };
}

export function isoDay(d: Date): string {
  return d.toISOString().slice(0, 10);
}

export function percent(v: number | null | undefined): string {
  return v === null || v === undefined ? '—' : `${Math.round(v)}%`;
}
