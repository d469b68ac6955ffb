// Hash routing (#/tickets, #/tickets/123) so the server only ever serves index.html at `/`.
import type { Session } from './api';

export interface RouteContext {
  params: Record<string, string>;
  query: URLSearchParams;
  session: Session;
  /** False once the user has navigated elsewhere: late responses must not render. */
  isCurrent: () => boolean;
  navigate: (hash: string) => void;
  /** Runs `fn` when the user leaves this page (another route, sign-out): close streams, timers. */
  onLeave: (fn: () => void) => void;
}

export type View = (container: HTMLElement, ctx: RouteContext) => void;

interface Route {
  pattern: RegExp;
  keys: string[];
  view: View;
}

export interface Match {
  view: View;
  params: Record<string, string>;
  query: URLSearchParams;
}

export class Router {
  private routes: Route[] = [];

  add(path: string, view: View): this {
    const keys: string[] = [];
    const source = path
      .split('/')
      .map((part) => {
        if (part.startsWith(':')) {
          keys.push(part.slice(1));
          return '([^/]+)';
        }
        return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      })
      .join('/');
    this.routes.push({ pattern: new RegExp(`^${source}/?$`), keys, view });
    return this;
  }

  match(hash: string): Match | null {
    const raw = hash.replace(/^#/, '') || '/';
    const q = raw.indexOf('?');
    const path = q === -1 ? raw : raw.slice(0, q);
    const query = new URLSearchParams(q === -1 ? '' : raw.slice(q + 1));
    for (const route of this.routes) {
      const m = route.pattern.exec(path);
      if (!m) continue;
      const params: Record<string, string> = {};
      route.keys.forEach((key, i) => {
        params[key] = decodeURIComponent(m[i + 1] ?? '');
      });
      return { view: route.view, params, query };
    }
    return null;
  }
}
