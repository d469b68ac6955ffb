// A tiny element builder. Text is always inserted as text nodes, never parsed as HTML: nothing in
// this UI sets innerHTML, so user-supplied strings (subjects, comments, names) cannot inject markup.

export type Child = Node | string | number | null | undefined | false;

type Handler = (ev: Event) => void;

export interface Attrs {
  class?: string;
  testid?: string;
  /** Sets element properties (value, checked, disabled, ...) rather than attributes. */
  props?: Record<string, unknown>;
  on?: Record<string, Handler>;
  [attr: string]: unknown;
}

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs | null = null,
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [key, value] of Object.entries(attrs)) {
      if (value === undefined || value === null || value === false) continue;
      if (key === 'class') el.className = String(value);
      else if (key === 'testid') el.setAttribute('data-testid', String(value));
      else if (key === 'props') Object.assign(el, value);
      else if (key === 'on') {
        for (const [event, handler] of Object.entries(value as Record<string, Handler>)) {
          el.addEventListener(event, handler);
        }
      } else el.setAttribute(key, value === true ? '' : String(value));
    }
  }
  append(el, ...children);
  return el;
}

export function append(parent: Node, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'string' || typeof child === 'number' ? document.createTextNode(String(child)) : child);
  }
}

export function replaceChildren(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, ...children);
}

let idCounter = 0;
/** A unique id for pairing a <label for> with its control. */
export function uid(prefix: string): string {
  idCounter += 1;
  return `${prefix}-${idCounter}`;
}

const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
const absolute = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

/** A <time> showing "5 minutes ago" with the full date in its title. */
export function timeAgo(iso: string | null | undefined, now: number = Date.now()): HTMLElement {
  if (!iso) return h('span', null, '—');
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return h('span', null, iso);
  const seconds = Math.round((date.getTime() - now) / 1000);
  const abs = Math.abs(seconds);
  let text: string;
  if (abs < 45) text = 'just now';
  else if (abs < 45 * 60) text = relative.format(Math.round(seconds / 60), 'minute');
  else if (abs < 22 * 3600) text = relative.format(Math.round(seconds / 3600), 'hour');
  else if (abs < 7 * 86400) text = relative.format(Math.round(seconds / 86400), 'day');
  else text = absolute.format(date);
  return h('time', { datetime: date.toISOString(), title: absolute.format(date) }, text);
}

export function formatDate(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : absolute.format(date);
}
