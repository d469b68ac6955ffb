// "My feedback": the signed-in agent's ratings, newest first, with the leads' praise and coaching
// beside each, and the rewards ledger. New ratings and reactions arrive over the live stream.
import { ApiError } from './api';
import { h, replaceChildren, timeAgo } from './dom';
import {
  listRatings,
  listRewards,
  openFeedbackStream,
  type Rating,
  type RatingEvent,
  type Reaction,
  type RewardLedger,
} from './feedback_api';
import { liveIndicator, ReactionList, resolvedLabel, starsView, tagList } from './feedback_ui';
import type { RouteContext } from './router';
import { errorBox, loading, messageOf, setTitle } from './ui';

interface Card {
  element: HTMLElement;
  reactions: ReactionList;
  rewardSlot: HTMLElement;
}

export function renderMyFeedback(container: HTMLElement, ctx: RouteContext): void {
  setTitle('My feedback');
  const me = ctx.session.user;
  const live = liveIndicator();
  const list = h('ol', { class: 'rating-list', testid: 'my-ratings', 'aria-label': 'My ratings, newest first' });
  const listSlot = h('div', { class: 'results', 'aria-busy': 'true' }, loading('Loading your ratings…'));
  const more = h('div', { class: 'pager' });
  const ledger = h('section', { class: 'side-panel', 'aria-labelledby': 'ledger-heading', testid: 'rewards-ledger' });
  const streamError = h('div', { 'aria-live': 'polite' });

  replaceChildren(
    container,
    h('div', { class: 'page-head' }, h('h1', { tabindex: -1 }, 'My feedback'), live.element),
    streamError,
    h('div', { class: 'feedback-layout' }, h('div', { class: 'feedback-main' }, listSlot, more), ledger),
  );

  const cards = new Map<number, Card>();

  const cardFor = (r: Rating | RatingEvent, reactions: Reaction[], reward: Rating['reward']): Card => {
    const reactionList = new ReactionList(reactions);
    const rewardSlot = h('div', { class: 'reward-slot' });
    if (reward) showReward(rewardSlot, reward.label, reward.points, reward.status);
    const subject = r.ticket_subject?.trim() || `Ticket #${r.ticket_id}`;
    const element = h(
      'li',
      { class: `rating-card score-${r.score}`, testid: 'rating-card', 'data-rating-id': r.id, 'data-ticket-id': r.ticket_id },
      h(
        'div',
        { class: 'rating-head' },
        starsView(r.stars),
        resolvedLabel(r.resolved),
        r.nps !== null && r.nps !== undefined ? h('span', { class: 'pill' }, `NPS ${r.nps}`) : null,
        h('span', { class: 'muted when' }, timeAgo(r.created_at)),
      ),
      h('p', { class: 'rating-subject' }, h('a', { href: `#/tickets/${r.ticket_id}`, testid: 'rating-ticket-link' }, subject)),
      r.comment ? h('blockquote', { class: 'rating-comment', testid: 'rating-comment' }, r.comment) : h('p', { class: 'muted small' }, 'No comment.'),
      tagList(r.tags),
      rewardSlot,
      reactionList.element,
    );
    return { element, reactions: reactionList, rewardSlot };
  };

  const addRating = (r: Rating | RatingEvent, reactions: Reaction[], reward: Rating['reward'], atTop: boolean): void => {
    if (cards.has(r.id)) return;
    const card = cardFor(r, reactions, reward);
    cards.set(r.id, card);
    if (atTop) list.prepend(card.element);
    else list.append(card.element);
    if (list.isConnected === false) replaceChildren(listSlot, list);
  };

  // The ratings (first page), then the stream: it replays recent events, which are skipped when
  // the card is already shown, so nothing falls between the two.
  let nextPage: string | null = null;
  const loadMore = async (): Promise<void> => {
    const button = more.querySelector('button');
    if (button) button.disabled = true;
    try {
      const page = await listRatings({ agent_id: me.id }, nextPage);
      if (!ctx.isCurrent()) return;
      for (const r of page.ratings) addRating(r, r.reactions, r.reward, false);
      nextPage = page.next;
      listSlot.setAttribute('aria-busy', 'false');
      if (cards.size === 0) replaceChildren(listSlot, h('p', { class: 'empty', testid: 'my-ratings-empty' }, 'No ratings yet. They appear here as customers answer.'), list);
      else if (!list.isConnected) replaceChildren(listSlot, list);
      replaceChildren(
        more,
        nextPage ? h('button', { type: 'button', testid: 'load-more', on: { click: () => void loadMore() } }, 'Older ratings') : null,
      );
    } catch (err) {
      if (!ctx.isCurrent()) return;
      listSlot.setAttribute('aria-busy', 'false');
      const message = err instanceof ApiError && err.status === 403 ? "You don't have access to ratings." : `Couldn't load your ratings. ${messageOf(err)}`;
      if (cards.size === 0) replaceChildren(listSlot, errorBox(message));
      else replaceChildren(more, errorBox(message));
    }
  };

  const loadLedger = async (): Promise<void> => {
    try {
      const l = await listRewards({ agent_id: me.id });
      if (ctx.isCurrent()) replaceChildren(ledger, ...ledgerView(l));
    } catch (err) {
      if (ctx.isCurrent()) replaceChildren(ledger, h('h2', { id: 'ledger-heading' }, 'Rewards'), errorBox(`Couldn't load your rewards. ${messageOf(err)}`));
    }
  };
  replaceChildren(ledger, h('h2', { id: 'ledger-heading' }, 'Rewards'), loading());

  void loadMore().then(() => {
    if (!ctx.isCurrent()) return;
    const stream = openFeedbackStream({ agent_id: me.id }, 20, {
      rating: (e) => {
        if (e.agent_id !== me.id) return;
        const first = cards.size === 0;
        addRating(e, [], null, true);
        if (first) replaceChildren(listSlot, list);
      },
      reaction: (e) => cards.get(e.rating_id)?.reactions.add(e),
      reward: (e) => {
        const card = cards.get(e.rating_id);
        if (card) showReward(card.rewardSlot, e.label, e.points, e.status);
        void loadLedger();
      },
      state: (s) => {
        live.set(s);
        replaceChildren(
          streamError,
          s === 'stopped' ? errorBox('Live updates stopped. Reload the page to see new ratings.') : null,
        );
      },
    });
    ctx.onLeave(() => stream.close());
  });
  void loadLedger();
}

function showReward(slot: HTMLElement, label: string, points: number, status: string): void {
  replaceChildren(
    slot,
    h(
      'p',
      { class: 'reward-note', testid: 'rating-reward' },
      'Reward from the customer: ',
      h('strong', null, label),
      ` (${points} ${points === 1 ? 'point' : 'points'}, ${status})`,
    ),
  );
}

function ledgerView(l: RewardLedger): Node[] {
  const rows = l.rewards.map((w) =>
    h(
      'li',
      { class: 'ledger-row', testid: 'ledger-row' },
      h('span', null, w.label),
      h('span', { class: 'muted' }, ` · ${w.points} pts · `),
      h('span', { class: `pill reward-${w.status}` }, w.status),
      h('span', { class: 'muted small' }, ' ', timeAgo(w.created_at)),
    ),
  );
  return [
    h('h2', { id: 'ledger-heading' }, 'Rewards'),
    h(
      'dl',
      { class: 'stat-grid' },
      h('div', null, h('dt', null, 'Points earned'), h('dd', { testid: 'points-earned' }, String(l.points_earned))),
      h('div', null, h('dt', null, 'Fulfilled'), h('dd', { testid: 'points-fulfilled' }, String(l.points_fulfilled))),
    ),
    rows.length ? h('ul', { class: 'ledger' }, ...rows) : h('p', { class: 'empty' }, 'No rewards yet. Customers can send one after a 4 or 5 star rating.'),
  ];
}
