// The Rapport API as this UI uses it: the Zendesk-compatible /api/v2 endpoints with cookie
// sessions. Every write carries the session's CSRF token in X-CSRF-Token.

export interface User {
  id: number;
  name: string;
  email?: string | null;
  role?: string;
  /** Rapport's own role beside Zendesk's: team_lead, qa, manager, or null for a plain agent. */
  rapport_role?: string | null;
  team_lead_id?: number | null;
  site_id?: number | null;
}

export interface Session {
  user: User;
  csrf_token: string;
}

export interface Ticket {
  id: number;
  subject: string | null;
  description?: string | null;
  status: string;
  priority: string | null;
  requester_id: number | null;
  assignee_id: number | null;
  group_id: number | null;
  tags?: string[];
  created_at: string;
  updated_at: string;
  via?: { channel?: string } | null;
  /** With `include=slas`: the current instance of each SLA metric. */
  slas?: { policy_metrics: SlaMetric[] };
}

export interface SlaMetric {
  metric: string;
  stage: 'active' | 'paused' | 'achieved' | 'breached';
  breach_at: string | null;
  fulfilled_at: string | null;
  target: number;
  business_hours: boolean;
  seconds_left?: number;
}

export interface Comment {
  id: number;
  author_id: number | null;
  body?: string | null;
  html_body?: string | null;
  plain_body?: string | null;
  public: boolean;
  created_at: string;
  via?: { channel?: string } | null;
  /** metadata.email.html: "sanitized" when html_body is the email's own HTML, made safe. */
  metadata?: { email?: { html?: string } } | null;
  attachments?: Array<{ id: number; file_name: string; content_url: string; content_type: string; size: number; inline: boolean }>;
}

export interface Group {
  id: number;
  name: string;
}

export interface CursorMeta {
  has_more: boolean;
  after_cursor: string | null;
  before_cursor: string | null;
}

export interface TicketPage {
  tickets: Ticket[];
  meta: CursorMeta;
}

export interface TicketFilters {
  status?: string;
  group_id?: string;
  assignee_id?: string;
  after?: string;
  before?: string;
}

export interface TicketUpdate {
  status?: string;
  comment?: { body: string; public: boolean };
  /** Fields a macro sets (priority, type, group_id, assignee_id, tags, subject). */
  [field: string]: unknown;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    readonly retryAfter: number | null,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

let csrfToken: string | null = null;
let onUnauthorized: (() => void) | null = null;

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** Called when an authenticated request comes back 401: the session expired or was revoked. */
export function setUnauthorizedHandler(handler: () => void): void {
  onUnauthorized = handler;
}

type Query = Array<[string, string | number | undefined | null]>;

/** Builds a query string, keeping bracketed keys (page[size], role[]) literal as the API documents them. */
export function queryString(params: Query): string {
  const parts: string[] = [];
  for (const [key, value] of params) {
    if (value === undefined || value === null || value === '') continue;
    parts.push(`${key}=${encodeURIComponent(String(value))}`);
  }
  return parts.length ? `?${parts.join('&')}` : '';
}

/** The API returns absolute next_page URLs; keep only path and query so requests stay same-origin. */
export function localPath(url: string): string {
  const parsed = new URL(url, window.location.href);
  return parsed.pathname + parsed.search;
}

interface RequestOptions {
  body?: unknown;
  /** Send `body` (a string) as is, as text/csv, instead of as JSON. */
  raw?: boolean;
  /** Don't treat a 401 as an expired session (the login and session probes expect it). */
  expect401?: boolean;
}

const TIMEOUT_MS = 30_000;

export async function request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  // X-Requested-With tells the server not to send a Basic challenge (no browser login pop-up).
  const headers: Record<string, string> = { Accept: 'application/json', 'X-Requested-With': 'XMLHttpRequest' };
  if (options.body !== undefined) headers['Content-Type'] = options.raw ? 'text/csv; charset=utf-8' : 'application/json';
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) headers['X-CSRF-Token'] = csrfToken;

  const controller = new AbortController();
  const timer = window.setTimeout(() => controller.abort(), TIMEOUT_MS);
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: options.body === undefined ? undefined : options.raw ? String(options.body) : JSON.stringify(options.body),
      credentials: 'same-origin',
      cache: 'no-store',
      signal: controller.signal,
    });
  } catch (err) {
    const aborted = err instanceof DOMException && err.name === 'AbortError';
    throw new ApiError(0, null, null, aborted ? 'The server took too long to answer.' : "Can't reach the server.");
  } finally {
    window.clearTimeout(timer);
  }

  let body: unknown = null;
  if (response.status !== 204) {
    const text = await response.text();
    if (text) {
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
    }
  }
  if (response.ok) return body as T;

  if (response.status === 401 && !options.expect401 && onUnauthorized) onUnauthorized();
  const retryHeader = response.headers.get('Retry-After');
  const retryAfter = retryHeader !== null && /^\d+$/.test(retryHeader.trim()) ? Number(retryHeader.trim()) : null;
  throw new ApiError(response.status, body, retryAfter, errorMessage(response.status, body));
}

function errorMessage(status: number, body: unknown): string {
  if (body && typeof body === 'object') {
    const b = body as Record<string, unknown>;
    if (typeof b.description === 'string') return b.description;
    if (typeof b.error === 'string') return b.error;
    if (b.error && typeof b.error === 'object') {
      const e = b.error as Record<string, unknown>;
      if (typeof e.message === 'string') return e.message;
      if (typeof e.title === 'string') return e.title;
    }
  }
  switch (status) {
    case 403:
      return "You don't have access to this.";
    case 404:
      return 'Not found.';
    case 429:
      return 'Too many requests, try again shortly.';
    default:
      return status >= 500 ? 'The server had a problem. Try again.' : `Request failed (${status}).`;
  }
}

/** The human-readable lines of a 422 error body: its description, then each of its details. */
export function validationMessages(body: unknown): { description: string; details: string[] } {
  const result = { description: 'The change could not be saved.', details: [] as string[] };
  if (!body || typeof body !== 'object') return result;
  const b = body as Record<string, unknown>;
  if (typeof b.description === 'string') result.description = b.description;
  else if (typeof b.error === 'string') result.description = b.error;
  // Zendesk's detail descriptions already name their field ("Requester: Name is too short");
  // bare strings get the field's name in front, except for the catch-all "base".
  const collect = (field: string, value: unknown): void => {
    if (typeof value === 'string') result.details.push(field && field !== 'base' ? `${field}: ${value}` : value);
    else if (Array.isArray(value)) value.forEach((v) => collect(field, v));
    else if (value && typeof value === 'object') {
      const v = value as Record<string, unknown>;
      if (typeof v.description === 'string') result.details.push(v.description);
      else if (typeof v.message === 'string') result.details.push(v.message);
      else for (const [k, inner] of Object.entries(v)) collect(k, inner);
    }
  };
  if (b.details !== undefined) collect('', b.details);
  return result;
}

// ---- session ----

export async function getSession(): Promise<Session | null> {
  try {
    const res = await request<{ session: Session }>('GET', '/api/v2/session', { expect401: true });
    return res.session;
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return null;
    throw err;
  }
}

export async function login(email: string, password: string): Promise<Session> {
  const res = await request<{ session: Session }>('POST', '/api/v2/session', {
    body: { email, password },
    expect401: true,
  });
  return res.session;
}

export async function logout(): Promise<void> {
  await request<void>('DELETE', '/api/v2/session', { expect401: true });
}

// ---- tickets ----

export async function listTickets(filters: TicketFilters, pageSize = 25): Promise<TicketPage> {
  const query = queryString([
    ['page[size]', pageSize],
    ['sort', '-updated_at'],
    ['status', filters.status],
    ['group_id', filters.group_id],
    ['assignee_id', filters.assignee_id],
    ['page[after]', filters.after],
    ['page[before]', filters.before],
  ]);
  const res = await request<Partial<TicketPage>>('GET', `/api/v2/tickets.json${query}`);
  return {
    tickets: res.tickets ?? [],
    meta: res.meta ?? { has_more: false, after_cursor: null, before_cursor: null },
  };
}

export async function getTicket(id: number): Promise<Ticket> {
  const res = await request<{ ticket: Ticket }>('GET', `/api/v2/tickets/${id}.json?include=slas`);
  return res.ticket;
}

export async function updateTicket(id: number, update: TicketUpdate): Promise<Ticket> {
  const res = await request<{ ticket: Ticket }>('PUT', `/api/v2/tickets/${id}.json`, { body: { ticket: update } });
  return res.ticket;
}

const MAX_PAGES = 50;

/** Follows offset pagination (`next_page`) and concatenates one array field of every page. */
export async function allPages<T>(firstPath: string, field: string): Promise<T[]> {
  const items: T[] = [];
  let path: string | null = firstPath;
  for (let page = 0; path && page < MAX_PAGES; page += 1) {
    const res: Record<string, unknown> = await request<Record<string, unknown>>('GET', path);
    const chunk = res[field];
    if (Array.isArray(chunk)) items.push(...(chunk as T[]));
    const next = res.next_page;
    path = typeof next === 'string' && next ? localPath(next) : null;
  }
  return items;
}

/** One outgoing email of a ticket (GET /api/v2/tickets/{id}/deliveries). */
export interface Delivery {
  id: number;
  kind: string;
  to: string;
  cc: string[];
  subject: string;
  status: 'queued' | 'sent' | 'failed' | string;
  permanent: boolean;
  automatic: boolean;
  attempts: number;
  next_attempt_at: string | null;
  last_attempt_at: string | null;
  last_error: string | null;
  smtp_response: string | null;
  message_id: string | null;
  ticket_id: number | null;
  comment_id: number | null;
  created_at: string;
  sent_at: string | null;
}

export async function listDeliveries(ticketId: number): Promise<Delivery[]> {
  const res = await request<{ deliveries: Delivery[] }>('GET', `/api/v2/tickets/${ticketId}/deliveries.json`);
  return res.deliveries;
}

export function listComments(ticketId: number): Promise<Comment[]> {
  return allPages<Comment>(`/api/v2/tickets/${ticketId}/comments.json`, 'comments');
}

// ---- groups and people (cached for the session) ----

let groupsPromise: Promise<Group[]> | null = null;
let agentsPromise: Promise<User[]> | null = null;
const userCache = new Map<number, User>();

export function clearCaches(): void {
  groupsPromise = null;
  agentsPromise = null;
  userCache.clear();
}

export function listGroups(): Promise<Group[]> {
  if (!groupsPromise) {
    groupsPromise = allPages<Group>('/api/v2/groups.json', 'groups').catch((err: unknown) => {
      groupsPromise = null;
      throw err;
    });
  }
  return groupsPromise;
}

export function listAgents(): Promise<User[]> {
  if (!agentsPromise) {
    const path = `/api/v2/users.json${queryString([
      ['role[]', 'agent'],
      ['role[]', 'admin'],
      ['per_page', 100],
    ])}`;
    agentsPromise = allPages<User>(path, 'users')
      .then((users) => {
        users.forEach((u) => userCache.set(u.id, u));
        return users.sort((a, b) => a.name.localeCompare(b.name));
      })
      .catch((err: unknown) => {
        agentsPromise = null;
        throw err;
      });
  }
  return agentsPromise;
}

/** Names for user ids, from the cache or `show_many` (100 ids per request). */
export async function resolveUsers(ids: Iterable<number | null | undefined>): Promise<Map<number, User>> {
  const wanted = new Set<number>();
  for (const id of ids) if (typeof id === 'number') wanted.add(id);
  const missing = [...wanted].filter((id) => !userCache.has(id));
  for (let i = 0; i < missing.length; i += 100) {
    const chunk = missing.slice(i, i + 100);
    const res = await request<{ users?: User[] }>('GET', `/api/v2/users/show_many.json?ids=${chunk.join(',')}`);
    for (const user of res.users ?? []) userCache.set(user.id, user);
  }
  const out = new Map<number, User>();
  for (const id of wanted) {
    const user = userCache.get(id);
    if (user) out.set(id, user);
  }
  return out;
}

export function rememberUser(user: User): void {
  userCache.set(user.id, user);
}
