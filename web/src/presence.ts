// Collision detection on the ticket page: this agent's heartbeat ("viewing" or "replying", every
// 10 s and at once when it changes), and who else is on the ticket, live from the server's
// per-ticket event stream. The server forgets an agent 30 s after their last heartbeat.
import { request } from './api';
import { h, replaceChildren } from './dom';

export type PresenceState = 'viewing' | 'replying';

export interface PresenceEntry {
  user_id: number;
  name: string;
  state: PresenceState;
  since: string;
}

const HEARTBEAT_MS = 10_000;

export interface PresenceWatch {
  /** Switches this agent's state; sent at once when it changed. */
  setState(state: PresenceState): void;
  /** Leaves the ticket: stops the heartbeat and the stream and says so to the server. */
  stop(): void;
}

function describe(list: PresenceEntry[]): string {
  const replying = list.filter((p) => p.state === 'replying').map((p) => p.name);
  const viewing = list.filter((p) => p.state === 'viewing').map((p) => p.name);
  const join = (names: string[]): string =>
    names.length <= 2 ? names.join(' and ') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
  const parts: string[] = [];
  if (replying.length) parts.push(`${join(replying)} ${replying.length === 1 ? 'is' : 'are'} replying`);
  if (viewing.length) parts.push(`${join(viewing)} ${viewing.length === 1 ? 'is' : 'are'} viewing`);
  return parts.join('; ');
}

/** Starts the heartbeat and the live list for ticket `id`, shown in `slot`. */
export function watchPresence(id: number, slot: HTMLElement): PresenceWatch {
  let state: PresenceState = 'viewing';
  let stopped = false;
  const path = `/api/v2/tickets/${id}/presence`;
  const render = (list: PresenceEntry[]): void => {
    if (stopped) return;
    const text = describe(list);
    const replying = list.some((p) => p.state === 'replying');
    replaceChildren(
      slot,
      text
        ? h('p', { class: replying ? 'presence replying' : 'presence', role: 'status', testid: 'presence' }, text)
        : null,
    );
  };
  const beat = (): void => {
    if (stopped) return;
    request<{ presence: PresenceEntry[] }>('POST', path, { body: { state } }).then(
      (r) => render(r.presence),
      () => undefined, // a missed beat is retried by the next one
    );
  };
  beat();
  const timer = window.setInterval(beat, HEARTBEAT_MS);
  const source = new EventSource(`${path}/stream`, { withCredentials: true });
  source.addEventListener('presence', (ev) => {
    try {
      const data = JSON.parse((ev as MessageEvent<string>).data) as { presence: PresenceEntry[] };
      render(data.presence);
    } catch {
      // a malformed event is skipped
    }
  });
  return {
    setState(next: PresenceState): void {
      if (next === state || stopped) return;
      state = next;
      beat();
    },
    stop(): void {
      if (stopped) return;
      stopped = true;
      window.clearInterval(timer);
      source.close();
      void request('DELETE', path).catch(() => undefined);
    },
  };
}
