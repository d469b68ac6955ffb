// The customer-feedback side of the API: ratings with reactions and rewards, the live stream,
// leaderboards, recovery cases, rewards and the daily digest.
import { allPages, localPath, queryString, request, type User } from './api';

export type ReactionKind = 'praise' | 'coaching';

export interface Reaction {
  id?: number;
  rating_id?: number;
  kind: ReactionKind | string;
  body: string;
  author_name: string;
  created_at: string;
}

export interface RewardSummary {
  id?: number;
  label: string;
  points: number;
  status: string;
}

export interface Rating {
  id: number;
  ticket_id: number;
  assignee_id: number | null;
  group_id: number | null;
  score: string;
  comment: string;
  created_at: string;
  stars: number | null;
  resolved: boolean | null;
  nps: number | null;
  tags: string[];
  kind: string;
  agent_name: string | null;
  ticket_subject: string | null;
  reactions: Reaction[];
  reward: RewardSummary | null;
  public_kudos?: boolean;
}

export interface RatingPage {
  ratings: Rating[];
  next: string | null;
}

export interface RatingFilters {
  agent_id?: string | number;
  group_id?: string;
  site_id?: string;
  score?: string;
}

/** Newest first, cursor paged. `next` is the path of the following page, if there is one. */
export async function listRatings(filters: RatingFilters, path?: string | null, size = 25): Promise<RatingPage> {
  const url =
    path ??
    `/api/v2/satisfaction_ratings.json${queryString([
      ['page[size]', size],
      ['sort', '-created_at'],
      ['agent_id', filters.agent_id],
      ['group_id', filters.group_id],
      ['site_id', filters.site_id],
      ['score', filters.score],
    ])}`;
  const res = await request<{
    satisfaction_ratings?: Rating[];
    meta?: { has_more?: boolean };
    links?: { next?: string | null };
  }>('GET', url);
  const next = res.meta?.has_more && res.links?.next ? localPath(res.links.next) : null;
  return { ratings: res.satisfaction_ratings ?? [], next };
}

export async function getRating(id: number): Promise<Rating> {
  const res = await request<{ satisfaction_rating: Rating }>('GET', `/api/v2/satisfaction_ratings/${id}.json`);
  return res.satisfaction_rating;
}

export async function addReaction(ratingId: number, kind: ReactionKind, body: string): Promise<Reaction> {
  const res = await request<{ reaction: Reaction }>('POST', `/api/v2/satisfaction_ratings/${ratingId}/reactions.json`, {
    body: { reaction: { kind, body } },
  });
  return res.reaction;
}

// ---- the live stream ----

export interface RatingEvent {
  id: number;
  kind: string;
  ticket_id: number;
  ticket_subject: string;
  agent_id: number | null;
  agent_name: string;
  group_id: number | null;
  site_id: number | null;
  stars: number | null;
  score: string;
  resolved: boolean | null;
  nps: number | null;
  comment: string;
  tags: string[];
  recovery_case_id: number | null;
  created_at: string;
}

export interface ReactionEvent extends Reaction {
  id: number;
  rating_id: number;
  agent_id: number | null;
}

export interface RewardEvent {
  rating_id: number;
  agent_id: number;
  agent_name: string;
  label: string;
  points: number;
  status: string;
}

export interface StreamFilters {
  group_id?: string;
  site_id?: string;
  agent_id?: string | number;
  score?: string;
}

export type StreamState = 'connecting' | 'live' | 'reconnecting' | 'stopped';

export interface StreamHandlers {
  rating?: (e: RatingEvent) => void;
  reaction?: (e: ReactionEvent) => void;
  reward?: (e: RewardEvent) => void;
  state?: (s: StreamState) => void;
}

export interface FeedbackStream {
  close(): void;
}

type StreamEvent = { id: number; event: string; data: unknown };

function streamUrl(filters: StreamFilters, backfill: number, lastEventId: number | null): string {
  return `/api/v2/feedback/stream${queryString([
    ['group_id', filters.group_id],
    ['site_id', filters.site_id],
    ['agent_id', filters.agent_id],
    ['score', filters.score],
    ['backfill', lastEventId === null ? backfill : 0],
    ['last_event_id', lastEventId ?? undefined],
  ])}`;
}

function dispatch(handlers: StreamHandlers, ev: StreamEvent): void {
  if (ev.event === 'rating') handlers.rating?.(ev.data as RatingEvent);
  else if (ev.event === 'reaction') handlers.reaction?.(ev.data as ReactionEvent);
  else if (ev.event === 'reward') handlers.reward?.(ev.data as RewardEvent);
}

/**
 * Opens the live feed over a WebSocket on GET /api/v2/feedback/stream (the session cookie
 * authenticates it; the server checks the page's Origin). When the connection drops it reconnects
 * with growing pauses and resumes after the last event it saw, so nothing is lost or repeated.
 * Browsers without WebSocket get the same feed as Server-Sent Events. A malformed event is skipped.
 */
export function openFeedbackStream(filters: StreamFilters, backfill: number, handlers: StreamHandlers): FeedbackStream {
  if (typeof WebSocket === 'undefined') return openEventSource(filters, backfill, handlers);
  let closed = false;
  let socket: WebSocket | null = null;
  let lastId: number | null = null;
  let failures = 0;
  let timer: number | undefined;
  const connect = (): void => {
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(`${scheme}//${location.host}${streamUrl(filters, backfill, lastId)}`);
    socket = ws;
    ws.addEventListener('open', () => {
      if (closed) return;
      failures = 0;
      handlers.state?.('live');
    });
    ws.addEventListener('message', (msg) => {
      if (closed || typeof msg.data !== 'string') return;
      let ev: StreamEvent;
      try {
        ev = JSON.parse(msg.data) as StreamEvent;
      } catch {
        return;
      }
      if (typeof ev.id !== 'number' || (lastId !== null && ev.id <= lastId)) return;
      lastId = ev.id;
      dispatch(handlers, ev);
    });
    ws.addEventListener('close', () => {
      if (closed) return;
      failures += 1;
      // The handshake hides the status: ask once with fetch, so a 401 signs the user out through
      // the usual handler instead of leaving a feed that retries forever.
      if (failures >= 3) request('GET', '/api/v2/groups.json?per_page=1').catch(() => undefined);
      handlers.state?.('reconnecting');
      const pause = Math.min(30000, 500 * 2 ** Math.min(failures, 6));
      timer = window.setTimeout(connect, pause);
    });
  };
  handlers.state?.('connecting');
  connect();
  return {
    close() {
      closed = true;
      if (timer !== undefined) window.clearTimeout(timer);
      socket?.close();
    },
  };
}

function openEventSource(filters: StreamFilters, backfill: number, handlers: StreamHandlers): FeedbackStream {
  const source = new EventSource(streamUrl(filters, backfill, null), { withCredentials: true });
  let closed = false;
  handlers.state?.('connecting');
  for (const name of ['rating', 'reaction', 'reward']) {
    source.addEventListener(name, (ev) => {
      if (closed) return;
      const msg = ev as MessageEvent<string>;
      let data: unknown;
      try {
        data = JSON.parse(msg.data);
      } catch {
        return;
      }
      dispatch(handlers, { id: Number(msg.lastEventId), event: name, data });
    });
  }
  source.addEventListener('open', () => {
    if (!closed) handlers.state?.('live');
  });
  source.addEventListener('error', () => {
    if (closed) return;
    // CONNECTING: the browser retries by itself. CLOSED: the server refused (401, 403, 5xx).
    if (source.readyState === EventSource.CLOSED) {
      handlers.state?.('stopped');
      request('GET', '/api/v2/groups.json?per_page=1').catch(() => undefined);
    } else {
      handlers.state?.('reconnecting');
    }
  });
  return {
    close() {
      closed = true;
      source.close();
    },
  };
}

// ---- leaderboards and the digest ----

export interface LeaderboardRow {
  rank: number;
  agent_id: number;
  name: string;
  photo_url: string | null;
  responses: number;
  ranking_score: number;
  average_stars: number;
  csat: number;
  dsat: number;
  fcr: number | null;
  nps: number | null;
}

export interface Leaderboard {
  agents: LeaderboardRow[];
  team_mean_stars: number | null;
  responses: number;
  from: string;
  to: string;
}

export async function getLeaderboard(q: { group_id?: string; site_id?: string; from?: string; to?: string }): Promise<Leaderboard> {
  const res = await request<{ leaderboard: Leaderboard }>(
    'GET',
    `/api/v2/leaderboards/agents.json${queryString([
      ['group_id', q.group_id],
      ['site_id', q.site_id],
      ['from', q.from],
      ['to', q.to],
    ])}`,
  );
  return res.leaderboard;
}

export interface DigestItem {
  rating_id: number;
  ticket_id: number;
  agent_id: number;
  agent_name: string;
  stars: number;
  comment: string;
  subject: string;
  resolved: boolean | null;
}

export interface Digest {
  date: string;
  time_zone: string;
  responses: number;
  average_stars: number | null;
  csat: number | null;
  dsat: number | null;
  best: DigestItem[];
  worst: DigestItem[];
}

export async function getDigest(date: string, leadId?: number): Promise<Digest> {
  const res = await request<{ digest: Digest }>(
    'GET',
    `/api/v2/feedback/digest.json${queryString([
      ['date', date],
      ['lead_id', leadId],
    ])}`,
  );
  return res.digest;
}

// ---- recovery cases ----

export interface CaseNote {
  author_id: number | null;
  body: string;
  created_at: string;
}

export interface RecoveryCase {
  id: number;
  ticket_id: number;
  rating_id: number;
  requester_id: number;
  agent_id: number | null;
  group_id: number | null;
  assignee_id: number | null;
  status: string;
  outcome: string | null;
  trigger: string;
  trigger_stars: number | null;
  notes: CaseNote[];
  due_at: string;
  overdue: boolean;
  created_at: string;
  contacted_at: string | null;
  closed_at: string | null;
  follow_up: { request_id: number; status: string | null; stars: number | null } | null;
}

export interface CaseUpdate {
  status?: 'open' | 'contacted' | 'closed';
  outcome?: string;
  assignee_id?: number | null;
  note?: string;
}

export function listCases(q: { status?: string; overdue?: boolean; assignee_id?: number }): Promise<RecoveryCase[]> {
  return allPages<RecoveryCase>(
    `/api/v2/recovery_cases.json${queryString([
      ['status', q.status],
      ['overdue', q.overdue ? 'true' : undefined],
      ['assignee_id', q.assignee_id],
      ['per_page', 100],
    ])}`,
    'recovery_cases',
  );
}

export async function getCase(id: number): Promise<RecoveryCase> {
  const res = await request<{ recovery_case: RecoveryCase }>('GET', `/api/v2/recovery_cases/${id}.json`);
  return res.recovery_case;
}

export async function updateCase(id: number, update: CaseUpdate): Promise<RecoveryCase> {
  const res = await request<{ recovery_case: RecoveryCase }>('PUT', `/api/v2/recovery_cases/${id}.json`, {
    body: { recovery_case: update },
  });
  return res.recovery_case;
}

// ---- rewards ----

export interface Reward {
  id: number;
  rating_id: number;
  agent_id: number;
  agent_name: string;
  item: string;
  label: string;
  points: number;
  status: string;
  fulfilled_at: string | null;
  created_at: string;
}

export interface RewardLedger {
  rewards: Reward[];
  points_earned: number;
  points_fulfilled: number;
}

export async function listRewards(q: { agent_id?: number; status?: string }): Promise<RewardLedger> {
  const res = await request<Partial<RewardLedger>>(
    'GET',
    `/api/v2/rewards.json${queryString([
      ['agent_id', q.agent_id],
      ['status', q.status],
      ['per_page', 100],
      ['sort_by', 'created_at'],
      ['sort_order', 'desc'],
    ])}`,
  );
  return { rewards: res.rewards ?? [], points_earned: res.points_earned ?? 0, points_fulfilled: res.points_fulfilled ?? 0 };
}

export async function updateReward(id: number, status: 'fulfilled' | 'cancelled'): Promise<Reward> {
  const res = await request<{ reward: Reward }>('PUT', `/api/v2/rewards/${id}.json`, { body: { reward: { status } } });
  return res.reward;
}

// ---- sites ----

export interface Site {
  id: number;
  name: string;
}

let sitesPromise: Promise<Site[]> | null = null;

export function listSites(): Promise<Site[]> {
  if (!sitesPromise) {
    sitesPromise = allPages<Site>('/api/v2/sites.json', 'sites').catch((err: unknown) => {
      sitesPromise = null;
      throw err;
    });
  }
  return sitesPromise;
}

export function clearFeedbackCaches(): void {
  sitesPromise = null;
}

// ---- who may see what ----

/** Mirrors the server's sees_all_feedback: admins, and staff with a Rapport role. */
export function seesAllFeedback(user: User): boolean {
  return user.role === 'admin' || (user.role === 'agent' && Boolean(user.rapport_role));
}

export function managesRewards(user: User): boolean {
  return user.role === 'admin' || user.rapport_role === 'manager';
}
