// The live feed for leads, QA, managers and admins: every rating as it arrives, filtered by team,
// site, agent and score, with praise/coaching on each card and today's digest beside it.
// The filters live in the hash (#/feedback?group_id=2&score=bad) so a lead can bookmark a view.
import { listAgents, listGroups, type User } from './api';
import { h, replaceChildren, timeAgo } from './dom';
import {
  getDigest,
  listSites,
  openFeedbackStream,
  seesAllFeedback,
  type Digest,
  type DigestItem,
  type RatingEvent,
  type StreamFilters,
} from './feedback_api';
import { isoDay, liveIndicator, percent, ReactionList, reactionForm, resolvedLabel, selectField, starsView, tagList } from './feedback_ui';
import type { RouteContext } from './router';
import { errorBox, loading, messageOf, setTitle } from './ui';

const KEYS = ['group_id', 'site_id', 'agent_id', 'score'] as const;
const MAX_CARDS = 200;

interface FeedCard {
  element: HTMLElement;
  reactions: ReactionList;
  rewardSlot: HTMLElement;
}

export function renderLiveFeed(container: HTMLElement, ctx: RouteContext): void {
  setTitle('Live feed');
  if (!seesAllFeedback(ctx.session.user)) {
    replaceChildren(
      container,
      h('h1', { tabindex: -1 }, 'Live feed'),
      errorBox('The live feed is for team leads, QA, managers and admins.'),
      h('p', null, h('a', { href: '#/my-feedback' }, 'See your own feedback')),
    );
    return;
  }
  const filters: StreamFilters = {};
  for (const k of KEYS) {
    const v = ctx.query.get(k);
    if (v) filters[k] = v;
  }

  const team = selectField('Team', 'feed-filter-group', [{ value: '', label: 'All teams' }], filters.group_id);
  const site = selectField('Site', 'feed-filter-site', [{ value: '', label: 'All sites' }], filters.site_id);
  const agent = selectField('Agent', 'feed-filter-agent', [{ value: '', label: 'All agents' }], String(filters.agent_id ?? ''));
  const score = selectField(
    'Score',
    'feed-filter-score',
    [
      { value: '', label: 'Any score' },
      { value: 'good', label: 'Good (4–5 ★)' },
      { value: 'neither', label: 'Neutral (3 ★)' },
      { value: 'bad', label: 'Bad (1–2 ★)' },
    ],
    filters.score,
  );
  const apply = (): void => {
    const p = new URLSearchParams();
    const values = { group_id: team.select.value, site_id: site.select.value, agent_id: agent.select.value, score: score.select.value };
    for (const k of KEYS) if (values[k]) p.set(k, values[k]);
    const q = p.toString();
    ctx.navigate(q ? `#/feedback?${q}` : '#/feedback');
  };
  for (const s of [team.select, site.select, agent.select, score.select]) s.addEventListener('change', apply);

  const live = liveIndicator();
  const streamError = h('div', { 'aria-live': 'polite' });
  const feed = h('ol', { class: 'feed', testid: 'feed', 'aria-label': 'Ratings, newest first' });
  const empty = h('p', { class: 'empty', testid: 'feed-empty' }, 'Waiting for ratings… New answers appear here as customers send them.');
  const digestPanel = h('aside', { class: 'side-panel', 'aria-labelledby': 'digest-heading', testid: 'digest' });

  replaceChildren(
    container,
    h('div', { class: 'page-head' }, h('h1', { tabindex: -1 }, 'Live feed'), live.element),
    h(
      'form',
      { class: 'filters compact', 'aria-label': 'Filter the feed', on: { submit: (ev: Event) => ev.preventDefault() } },
      team.field,
      site.field,
      agent.field,
      score.field,
    ),
    streamError,
    h('div', { class: 'feedback-layout' }, h('div', { class: 'feedback-main' }, empty, feed), digestPanel),
  );

  listGroups().then(
    (gs) => ctx.isCurrent() && team.fill(gs.map((g) => ({ value: String(g.id), label: g.name }))),
    () => (team.select.title = "Couldn't load teams"),
  );
  listSites().then(
    (ss) => ctx.isCurrent() && site.fill(ss.map((s) => ({ value: String(s.id), label: s.name }))),
    () => (site.select.title = "Couldn't load sites"),
  );
  listAgents().then(
    (as) => ctx.isCurrent() && agent.fill(as.map((a) => ({ value: String(a.id), label: a.name }))),
    () => (agent.select.title = "Couldn't load agents"),
  );

  const cards = new Map<number, FeedCard>();
  const addCard = (e: RatingEvent): void => {
    if (cards.has(e.id)) return;
    const card = feedCard(e);
    cards.set(e.id, card);
    feed.prepend(card.element);
    empty.hidden = true;
    // A wall-mounted feed runs for days: keep the page light.
    while (feed.childElementCount > MAX_CARDS) {
      const last = feed.lastElementChild as HTMLElement | null;
      if (!last) break;
      cards.delete(Number(last.dataset.ratingId));
      last.remove();
    }
  };

  const stream = openFeedbackStream(filters, 30, {
    rating: (e) => {
      addCard(e);
      scheduleDigest();
    },
    reaction: (e) => cards.get(e.rating_id)?.reactions.add(e),
    reward: (e) => {
      const card = cards.get(e.rating_id);
      if (card)
        replaceChildren(card.rewardSlot, h('p', { class: 'reward-note', testid: 'feed-reward' }, `Reward from the customer: ${e.label} (${e.points} pts)`));
    },
    state: (s) => {
      live.set(s);
      replaceChildren(streamError, s === 'stopped' ? stoppedError() : null);
    },
  });
  ctx.onLeave(() => stream.close());

  // Today's digest for the signed-in lead's team; managers and admins may pick a lead.
  const me = ctx.session.user;
  let leadId = me.id;
  const digestBody = h('div', { 'aria-live': 'polite' }, loading('Loading today’s digest…'));
  const leadPicker =
    me.role === 'admin' || me.rapport_role === 'manager'
      ? selectField('Team lead', 'digest-lead', [{ value: String(me.id), label: `Me (${me.name})` }], String(me.id))
      : null;
  replaceChildren(digestPanel, h('h2', { id: 'digest-heading' }, 'Today'), leadPicker?.field, digestBody);
  if (leadPicker) {
    listAgents().then(
      (as: User[]) =>
        ctx.isCurrent() &&
        leadPicker.fill(as.filter((a) => a.rapport_role === 'team_lead' && a.id !== me.id).map((a) => ({ value: String(a.id), label: a.name }))),
      () => undefined,
    );
    leadPicker.select.addEventListener('change', () => {
      leadId = Number(leadPicker.select.value);
      void loadDigest();
    });
  }
  const loadDigest = async (): Promise<void> => {
    try {
      const d = await getDigest(isoDay(new Date()), leadId);
      if (ctx.isCurrent()) replaceChildren(digestBody, ...digestView(d));
    } catch (err) {
      if (ctx.isCurrent()) replaceChildren(digestBody, errorBox(`Couldn't load the digest. ${messageOf(err)}`));
    }
  };
  let digestTimer: number | undefined;
  const scheduleDigest = (): void => {
    window.clearTimeout(digestTimer);
    digestTimer = window.setTimeout(() => void loadDigest(), 2000);
  };
  ctx.onLeave(() => window.clearTimeout(digestTimer));
  void loadDigest();
}

function stoppedError(): HTMLElement {
  const retry = h('button', { type: 'button', testid: 'feed-retry' }, 'Reconnect');
  retry.addEventListener('click', () => window.dispatchEvent(new HashChangeEvent('hashchange')));
  return h('div', null, errorBox('Live updates stopped: the server refused the stream or is unreachable.'), retry);
}

function feedCard(e: RatingEvent): FeedCard {
  const reactions = new ReactionList();
  const rewardSlot = h('div', { class: 'reward-slot' });
  const subject = e.ticket_subject?.trim() || `Ticket #${e.ticket_id}`;
  const formSlot = h('div', { class: 'reaction-slot' });
  const toggle = h('button', { type: 'button', class: 'link-button small', testid: 'react-toggle', 'aria-expanded': 'false' }, 'React');
  toggle.addEventListener('click', () => {
    const open = toggle.getAttribute('aria-expanded') === 'true';
    toggle.setAttribute('aria-expanded', String(!open));
    if (open) {
      replaceChildren(formSlot);
      return;
    }
    // Posted reactions show when their stream event comes back (with its id, so never twice).
    const form = reactionForm(e.id, (r) => reactions.add(r));
    replaceChildren(formSlot, form);
    form.querySelector('textarea')?.focus();
  });
  const element = h(
    'li',
    {
      class: `rating-card feed-card score-${e.score}`,
      testid: 'feed-card',
      'data-rating-id': e.id,
      'data-ticket-id': e.ticket_id,
      'data-agent-id': e.agent_id ?? '',
    },
    h(
      'div',
      { class: 'rating-head' },
      h('span', { class: 'agent-name', testid: 'feed-agent' }, e.agent_name || 'Unassigned'),
      starsView(e.stars),
      resolvedLabel(e.resolved),
      e.recovery_case_id
        ? h('a', { class: 'pill pill-bad', href: `#/recovery/${e.recovery_case_id}`, testid: 'recovery-badge' }, 'Recovery case opened')
        : null,
      h('span', { class: 'muted when' }, timeAgo(e.created_at)),
    ),
    h('p', { class: 'rating-subject' }, h('a', { href: `#/tickets/${e.ticket_id}`, testid: 'feed-ticket-link' }, subject)),
    e.comment ? h('blockquote', { class: 'rating-comment', testid: 'feed-comment' }, e.comment) : null,
    tagList(e.tags),
    rewardSlot,
    reactions.element,
    h('div', { class: 'card-actions' }, toggle),
    formSlot,
  );
  return { element, reactions, rewardSlot };
}

function digestItems(title: string, testid: string, items: DigestItem[], none: string): Node[] {
  return [
    h('h3', null, title),
    items.length
      ? h(
          'ol',
          { class: 'digest-list', testid },
          ...items.map((it) =>
            h(
              'li',
              null,
              starsView(it.stars, 'digest-stars'),
              ' ',
              h('strong', null, it.agent_name),
              h('div', null, h('a', { href: `#/tickets/${it.ticket_id}` }, it.subject || `Ticket #${it.ticket_id}`)),
              it.comment ? h('q', { class: 'muted' }, it.comment) : null,
            ),
          ),
        )
      : h('p', { class: 'muted small' }, none),
  ];
}

function digestView(d: Digest): Node[] {
  return [
    h(
      'dl',
      { class: 'stat-grid' },
      h('div', null, h('dt', null, 'Ratings'), h('dd', { testid: 'digest-responses' }, String(d.responses))),
      h('div', null, h('dt', null, 'Average'), h('dd', null, d.average_stars === null ? '—' : `${d.average_stars.toFixed(1)} ★`)),
      h('div', null, h('dt', null, 'CSAT'), h('dd', null, percent(d.csat))),
      h('div', null, h('dt', null, 'DSAT'), h('dd', null, percent(d.dsat))),
    ),
    ...digestItems('Best', 'digest-best', d.best, 'No 4–5 star ratings yet today.'),
    ...digestItems('Needs a look', 'digest-worst', d.worst, 'No 1–2 star ratings today.'),
    h('p', { class: 'muted small' }, `For your team (agents whose team lead you are), ${d.date} (${d.time_zone}).`),
  ];
}

