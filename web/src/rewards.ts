// Rewards fulfilment for managers and admins: what customers chose to send agents, to hand out
// (Fulfil) or withdraw (Cancel). Other statuses are there to look things up.
import { ApiError, validationMessages } from './api';
import { h, replaceChildren, timeAgo, uid } from './dom';
import { listRewards, managesRewards, updateReward, type Reward } from './feedback_api';
import type { RouteContext } from './router';
import { errorBox, loading, messageOf, setTitle } from './ui';

const STATUSES: Array<[string, string]> = [
  ['chosen', 'To fulfil'],
  ['fulfilled', 'Fulfilled'],
  ['cancelled', 'Cancelled'],
];

export function renderRewards(container: HTMLElement, ctx: RouteContext): void {
  setTitle('Rewards');
  const status = ctx.query.get('status') ?? 'chosen';
  const selectId = uid('reward-status');
  const select = h('select', { id: selectId, testid: 'reward-filter-status' });
  for (const [v, l] of STATUSES) select.append(h('option', { value: v }, l));
  select.value = status;
  select.addEventListener('change', () => ctx.navigate(select.value === 'chosen' ? '#/rewards' : `#/rewards?status=${encodeURIComponent(select.value)}`));

  const results = h('div', { class: 'results', 'aria-busy': 'true' }, loading('Loading rewards…'));
  const announcer = h('div', { class: 'visually-hidden', role: 'status', 'aria-live': 'polite' });
  replaceChildren(
    container,
    h('div', { class: 'page-head' }, h('h1', { tabindex: -1 }, 'Rewards')),
    managesRewards(ctx.session.user) ? null : h('p', { class: 'notice' }, 'Only managers and admins can fulfil rewards.'),
    h(
      'form',
      { class: 'filters compact', 'aria-label': 'Filter rewards', on: { submit: (ev: Event) => ev.preventDefault() } },
      h('div', { class: 'field' }, h('label', { for: selectId }, 'Status'), select),
    ),
    announcer,
    results,
  );

  listRewards({ status }).then(
    (ledger) => {
      if (!ctx.isCurrent()) return;
      results.setAttribute('aria-busy', 'false');
      if (ledger.rewards.length === 0) {
        replaceChildren(results, h('p', { class: 'empty', testid: 'rewards-empty' }, status === 'chosen' ? 'Nothing to fulfil.' : 'None.'));
        return;
      }
      replaceChildren(results, rewardTable(ledger.rewards, status === 'chosen' && managesRewards(ctx.session.user), announcer));
    },
    (err: unknown) => {
      if (!ctx.isCurrent()) return;
      results.setAttribute('aria-busy', 'false');
      replaceChildren(results, errorBox(`Couldn't load rewards. ${messageOf(err)}`));
    },
  );
}

function rewardTable(rewards: Reward[], actionable: boolean, announcer: HTMLElement): HTMLElement {
  const cols = ['Agent', 'Reward', 'Points', 'Chosen', 'Status', ...(actionable ? ['Action'] : [])];
  const rows = rewards.map((w) => {
    const statusCell = h('td', { 'data-label': 'Status', testid: 'reward-status' }, w.status);
    const actionCell = h('td', { 'data-label': 'Action', class: 'row-actions' });
    if (actionable) {
      const fulfil = h('button', { type: 'button', class: 'primary small', testid: 'reward-fulfil' }, 'Fulfil');
      const cancel = h('button', { type: 'button', class: 'small', testid: 'reward-cancel' }, 'Cancel');
      const act = (to: 'fulfilled' | 'cancelled'): void => {
        fulfil.disabled = cancel.disabled = true;
        updateReward(w.id, to).then(
          (updated) => {
            statusCell.textContent = updated.status;
            replaceChildren(actionCell, h('span', { class: 'success small' }, to === 'fulfilled' ? 'Fulfilled' : 'Cancelled'));
            announcer.textContent = `${w.label} for ${w.agent_name}: ${updated.status}.`;
          },
          (err: unknown) => {
            fulfil.disabled = cancel.disabled = false;
            let message = messageOf(err);
            if (err instanceof ApiError && err.status === 422) message = validationMessages(err.body).details.join(' ') || message;
            if (err instanceof ApiError && err.status === 403) message = 'Only managers and admins can do this.';
            actionCell.querySelector('.error')?.remove();
            actionCell.append(errorBox(message));
          },
        );
      };
      fulfil.addEventListener('click', () => act('fulfilled'));
      cancel.addEventListener('click', () => act('cancelled'));
      fulfil.setAttribute('aria-label', `Fulfil ${w.label} for ${w.agent_name}`);
      cancel.setAttribute('aria-label', `Cancel ${w.label} for ${w.agent_name}`);
      actionCell.append(fulfil, ' ', cancel);
    }
    return h(
      'tr',
      { testid: 'reward-row', 'data-reward-id': w.id },
      h('td', { 'data-label': 'Agent' }, w.agent_name),
      h('td', { 'data-label': 'Reward' }, w.label),
      h('td', { 'data-label': 'Points', class: 'num' }, String(w.points)),
      h('td', { 'data-label': 'Chosen' }, timeAgo(w.created_at)),
      statusCell,
      actionable ? actionCell : null,
    );
  });
  return h(
    'table',
    { class: 'tickets data-table', testid: 'reward-table' },
    h('caption', { class: 'visually-hidden' }, 'Rewards chosen by customers'),
    h('thead', null, h('tr', null, ...cols.map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', null, ...rows),
  );
}
