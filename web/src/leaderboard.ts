// The agent leaderboard: ranked by the server's ranking score, filtered by team, site and period.
// TV mode (#/leaderboard?tv=1) drops the chrome, enlarges the type and refreshes itself when
// ratings arrive on the live stream (at most once every 5 seconds).
import { listGroups } from './api';
import { h, replaceChildren } from './dom';
import { getLeaderboard, listSites, openFeedbackStream, type Leaderboard, type LeaderboardRow } from './feedback_api';
import { isoDay, liveIndicator, percent, selectField } from './feedback_ui';
import type { RouteContext } from './router';
import { errorBox, loading, messageOf, setTitle } from './ui';

const PERIODS = ['7', '30', '90'] as const;
const REFRESH_MIN_MS = 5_000;
// The stream only carries an agent's own ratings to an agent: poll as well, slowly.
const POLL_MS = 60_000;

export function leaderboardHash(q: Record<string, string | undefined>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) if (v) p.set(k, v);
  const s = p.toString();
  return s ? `#/leaderboard?${s}` : '#/leaderboard';
}

export function renderLeaderboard(container: HTMLElement, ctx: RouteContext): void {
  const tv = ctx.query.get('tv') === '1';
  const groupId = ctx.query.get('group_id') ?? '';
  const siteId = ctx.query.get('site_id') ?? '';
  const periodParam = ctx.query.get('days') ?? '30';
  const days = (PERIODS as readonly string[]).includes(periodParam) ? periodParam : '30';
  setTitle(tv ? 'Leaderboard (TV)' : 'Leaderboard');

  const state = { group_id: groupId || undefined, site_id: siteId || undefined, days: days === '30' ? undefined : days };
  const team = selectField('Team', 'lb-filter-group', [{ value: '', label: 'All teams' }], groupId);
  const site = selectField('Site', 'lb-filter-site', [{ value: '', label: 'All sites' }], siteId);
  const period = selectField(
    'Period',
    'lb-filter-period',
    PERIODS.map((p) => ({ value: p, label: `Last ${p} days` })),
    days,
  );
  const apply = (): void =>
    ctx.navigate(
      leaderboardHash({
        group_id: team.select.value,
        site_id: site.select.value,
        days: period.select.value === '30' ? undefined : period.select.value,
        tv: tv ? '1' : undefined,
      }),
    );
  for (const s of [team.select, site.select, period.select]) s.addEventListener('change', apply);
  listGroups().then(
    (gs) => ctx.isCurrent() && team.fill(gs.map((g) => ({ value: String(g.id), label: g.name }))),
    () => undefined,
  );
  listSites().then(
    (ss) => ctx.isCurrent() && site.fill(ss.map((s) => ({ value: String(s.id), label: s.name }))),
    () => undefined,
  );

  const live = liveIndicator();
  const board = h('div', { class: 'results', 'aria-live': 'polite', 'aria-busy': 'true' }, loading('Loading the leaderboard…'));
  const summary = h('p', { class: 'muted lb-summary', testid: 'lb-summary' });
  const heading = h('h1', { tabindex: -1 }, 'Leaderboard');

  if (tv) {
    document.documentElement.classList.add('tv-mode');
    ctx.onLeave(() => {
      document.documentElement.classList.remove('tv-mode');
      if (document.fullscreenElement) void document.exitFullscreen().catch(() => undefined);
    });
    const exit = h('button', { type: 'button', class: 'tv-exit', testid: 'tv-exit' }, 'Exit TV mode');
    exit.addEventListener('click', () => ctx.navigate(leaderboardHash({ ...state })));
    const onKey = (ev: KeyboardEvent): void => {
      if (ev.key === 'Escape' && !document.fullscreenElement) ctx.navigate(leaderboardHash({ ...state }));
    };
    document.addEventListener('keydown', onKey);
    ctx.onLeave(() => document.removeEventListener('keydown', onKey));
    replaceChildren(container, h('div', { class: 'page-head tv-head' }, heading, summary, live.element, exit), board);
  } else {
    const tvButton = h('button', { type: 'button', testid: 'tv-mode' }, 'TV mode');
    tvButton.addEventListener('click', () => {
      // Full screen needs the click's user activation; the hash change follows either way.
      document.documentElement.requestFullscreen?.().catch(() => undefined);
      ctx.navigate(leaderboardHash({ ...state, tv: '1' }));
    });
    replaceChildren(
      container,
      h('div', { class: 'page-head' }, heading, live.element, tvButton),
      h(
        'form',
        { class: 'filters compact', 'aria-label': 'Filter the leaderboard', on: { submit: (ev: Event) => ev.preventDefault() } },
        team.field,
        site.field,
        period.field,
      ),
      summary,
      board,
    );
  }

  const to = new Date();
  const from = new Date(to.getTime() - (Number(days) - 1) * 86_400_000);
  let lastFetch = 0;
  let pending: number | undefined;
  let inFlight = false;
  let hadData = false;

  const load = async (): Promise<void> => {
    if (inFlight) return;
    inFlight = true;
    lastFetch = Date.now();
    try {
      const lb = await getLeaderboard({ group_id: groupId, site_id: siteId, from: isoDay(from), to: isoDay(new Date()) });
      if (!ctx.isCurrent()) return;
      hadData = true;
      board.setAttribute('aria-busy', 'false');
      summary.textContent = summaryText(lb, days);
      replaceChildren(board, table(lb, tv));
    } catch (err) {
      if (!ctx.isCurrent()) return;
      board.setAttribute('aria-busy', 'false');
      const box = errorBox(`Couldn't load the leaderboard. ${messageOf(err)}`);
      // On a TV keep the last good board and show the problem above it.
      if (hadData) board.querySelector('[role=alert]')?.remove();
      if (hadData) board.prepend(box);
      else replaceChildren(board, box);
    } finally {
      inFlight = false;
    }
  };
  const refreshSoon = (): void => {
    if (pending !== undefined) return;
    const wait = Math.max(0, lastFetch + REFRESH_MIN_MS - Date.now());
    pending = window.setTimeout(() => {
      pending = undefined;
      void load();
    }, wait);
  };

  const stream = openFeedbackStream({ group_id: groupId || undefined, site_id: siteId || undefined }, 0, {
    rating: () => refreshSoon(),
    state: (s) => {
      live.set(s);
      // Back after a drop: what was missed is in the next fetch.
      if (s === 'live' && hadData) refreshSoon();
    },
  });
  const poll = tv ? window.setInterval(refreshSoon, POLL_MS) : undefined;
  ctx.onLeave(() => {
    stream.close();
    window.clearTimeout(pending);
    window.clearInterval(poll);
  });
  void load();
}

function summaryText(lb: Leaderboard, days: string): string {
  const mean = lb.team_mean_stars === null ? '—' : lb.team_mean_stars.toFixed(2);
  return `Last ${days} days · ${lb.responses} ${lb.responses === 1 ? 'rating' : 'ratings'} · team average ${mean} ★`;
}

function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  const first = [...(parts[0] ?? '?')][0] ?? '?';
  const last = parts.length > 1 ? ([...(parts[parts.length - 1] ?? '')][0] ?? '') : '';
  return (first + last).toUpperCase();
}

const COLUMNS: Array<[string, string]> = [
  ['Rank', 'rank'],
  ['Agent', 'agent'],
  ['Ratings', 'num'],
  ['Score', 'num'],
  ['Avg ★', 'num'],
  ['CSAT', 'num'],
  ['DSAT', 'num'],
  ['FCR', 'num'],
  ['NPS', 'num'],
];

function table(lb: Leaderboard, tv: boolean): HTMLElement {
  if (lb.agents.length === 0) return h('p', { class: 'empty', testid: 'lb-empty' }, 'No ratings in this period yet.');
  const cell = (label: string, cls: string, ...content: Array<Node | string>) => h('td', { 'data-label': label, class: cls }, ...content);
  const rows = lb.agents.map((a: LeaderboardRow) =>
    h(
      'tr',
      { testid: 'lb-row', 'data-agent-id': a.agent_id, class: a.rank <= 3 ? `podium podium-${a.rank}` : undefined },
      cell('Rank', 'rank', String(a.rank)),
      h(
        'th',
        { scope: 'row', class: 'agent', 'data-label': 'Agent' },
        h(
          'span',
          { class: 'agent-cell' },
          h('span', { class: 'avatar', 'aria-hidden': 'true' }, initials(a.name)),
          h('span', { testid: 'lb-name' }, a.name),
        ),
      ),
      cell('Ratings', 'num', String(a.responses)),
      cell('Score', 'num', a.ranking_score.toFixed(2)),
      cell('Avg ★', 'num', a.average_stars.toFixed(2)),
      cell('CSAT', 'num', percent(a.csat)),
      cell('DSAT', 'num', percent(a.dsat)),
      cell('FCR', 'num', percent(a.fcr)),
      cell('NPS', 'num', a.nps === null ? '—' : String(Math.round(a.nps))),
    ),
  );
  const t = h(
    'table',
    { class: `data-table leaderboard${tv ? ' tv' : ''}`, testid: 'leaderboard' },
    h('caption', { class: 'visually-hidden' }, 'Agents ranked by ranking score'),
    h('thead', null, h('tr', null, ...COLUMNS.map(([c, cls]) => h('th', { scope: 'col', class: cls }, c)))),
    h('tbody', null, ...rows),
  );
  // Nine columns do not fit a phone: the table scrolls inside the page, not the page itself.
  return h('div', { class: 'table-scroll' }, t);
}
