// Small shared pieces of the interface.
import { ApiError } from './api';
import { h } from './dom';

export const STATUSES = ['new', 'open', 'pending', 'hold', 'solved', 'closed'] as const;

const STATUS_LABELS: Record<string, string> = {
  new: 'New',
  open: 'Open',
  pending: 'Pending',
  hold: 'On-hold',
  solved: 'Solved',
  closed: 'Closed',
};

export function statusLabel(status: string): string {
  return STATUS_LABELS[status] ?? status;
}

export function statusBadge(status: string, testid?: string): HTMLElement {
  const known = status in STATUS_LABELS ? status : 'unknown';
  return h('span', { class: `badge badge-${known}`, testid, 'data-status': status }, statusLabel(status));
}

export function priorityLabel(priority: string | null | undefined): string {
  if (!priority) return '—';
  return priority.charAt(0).toUpperCase() + priority.slice(1);
}

export function loading(text = 'Loading…'): HTMLElement {
  return h('p', { class: 'loading', role: 'status', testid: 'loading' }, text);
}

/** A visible error that screen readers announce. */
export function errorBox(message: string, ...details: string[]): HTMLElement {
  return h(
    'div',
    { class: 'error', role: 'alert', testid: 'error' },
    h('p', null, message),
    details.length ? h('ul', null, ...details.map((d) => h('li', null, d))) : null,
  );
}

export function messageOf(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof Error) return err.message;
  return String(err);
}

export function setTitle(...parts: string[]): void {
  document.title = [...parts, 'Rapport'].filter(Boolean).join(' · ');
}
