// Entry point: decides between the sign-in screen and the app, and routes the hash (#/tickets,
// #/tickets/:id, the feedback pages).
import './style.css';
import { clearCaches, getSession, logout, rememberUser, setCsrfToken, setUnauthorizedHandler, type Session, type User } from './api';
import { h, replaceChildren } from './dom';
import { clearFeedbackCaches, listCases, managesRewards, seesAllFeedback } from './feedback_api';
import { renderIncidents } from './incidents';
import { renderArticleEditor, renderKnowledge } from './knowledge';
import { editsKnowledge } from './knowledge_api';
import { renderLeaderboard } from './leaderboard';
import { renderLiveFeed } from './live_feed';
import { renderLogin } from './login';
import { renderMyFeedback } from './my_feedback';
import { renderCase, renderRecovery } from './recovery';
import { renderRewards } from './rewards';
import { renderSlaQueue } from './sla';
import { renderSlaSettings } from './sla_admin';
import { renderRules } from './rules';
import { renderRouting } from './routing';
import { Router } from './router';
import { renderTicket } from './ticket';
import { renderMailboxes } from './mailboxes';
import { renderTickets } from './tickets';
import { errorBox, loading, messageOf } from './ui';
import { plansWorkforce, renderWorkforce } from './workforce';

const root = document.getElementById('app') as HTMLElement;
const router = new Router()
  .add('/tickets', renderTickets)
  .add('/tickets/:id', renderTicket)
  .add('/my-feedback', renderMyFeedback)
  .add('/feedback', renderLiveFeed)
  .add('/leaderboard', renderLeaderboard)
  .add('/recovery', renderRecovery)
  .add('/recovery/:id', renderCase)
  .add('/rewards', renderRewards)
  .add('/workforce', renderWorkforce)
  .add('/sla', renderSlaQueue)
  .add('/settings/sla', renderSlaSettings)
  .add('/routing', renderRouting)
  .add('/admin/:kind', renderRules)
  .add('/kb', renderKnowledge)
  .add('/kb/articles/:id', renderArticleEditor)
  .add('/kb/new/:section', renderArticleEditor)
  .add('/incidents', renderIncidents)
  .add('/settings/email', renderMailboxes);

let session: Session | null = null;
let generation = 0;
let main: HTMLElement | null = null;
let leaving: Array<() => void> = [];

/** Runs the previous page's clean-ups (streams, timers), each once. */
function leavePage(): void {
  const fns = leaving;
  leaving = [];
  for (const fn of fns) {
    try {
      fn();
    } catch {
      // A failing clean-up must not keep the next page from rendering.
    }
  }
}

interface NavItem {
  href: string;
  label: string;
  testid: string;
  show: (u: User) => boolean;
}

// Which pages a user sees in the menu; the server decides what each may actually read.
const NAV: NavItem[] = [
  { href: '#/tickets', label: 'Tickets', testid: 'nav-tickets', show: () => true },
  { href: '#/my-feedback', label: 'My feedback', testid: 'nav-my-feedback', show: (u) => u.role === 'agent' || u.role === 'admin' },
  { href: '#/feedback', label: 'Live feed', testid: 'nav-live-feed', show: seesAllFeedback },
  { href: '#/leaderboard', label: 'Leaderboard', testid: 'nav-leaderboard', show: (u) => u.role === 'agent' || u.role === 'admin' },
  { href: '#/recovery', label: 'Recovery', testid: 'nav-recovery', show: seesAllFeedback },
  { href: '#/settings/email', label: 'Email', testid: 'nav-email', show: (u) => u.role === 'admin' },
  { href: '#/rewards', label: 'Rewards', testid: 'nav-rewards', show: managesRewards },
  { href: '#/workforce', label: 'Workforce', testid: 'nav-workforce', show: plansWorkforce },
  { href: '#/sla', label: 'SLA queue', testid: 'nav-sla', show: (u) => u.role === 'agent' || u.role === 'admin' },
  { href: '#/routing', label: 'Routing', testid: 'nav-routing', show: (u) => u.role === 'agent' || u.role === 'admin' },
  { href: '#/admin/triggers', label: 'Rules', testid: 'nav-rules', show: (u) => u.role === 'admin' },
  { href: '#/settings/sla', label: 'SLA settings', testid: 'nav-sla-settings', show: (u) => u.role === 'admin' },
  { href: '#/kb', label: 'Knowledge base', testid: 'nav-kb', show: editsKnowledge },
  { href: '#/incidents', label: 'Incidents', testid: 'nav-incidents', show: (u) => u.role === 'agent' || u.role === 'admin' },
];

function navigate(hash: string): void {
  if (window.location.hash === hash) route();
  else window.location.hash = hash;
}

function route(): void {
  if (!session || !main) return;
  const match = router.match(window.location.hash);
  if (!match) {
    // Unknown or empty hash: the ticket list is home. replace() keeps Back usable.
    window.location.replace('#/tickets');
    return;
  }
  leavePage();
  generation += 1;
  const mine = generation;
  const path = window.location.hash.split('?')[0] ?? '';
  for (const link of root.querySelectorAll<HTMLAnchorElement>('.site-nav a')) {
    const href = link.getAttribute('href') ?? '#';
    const active = path === href || path.startsWith(`${href}/`);
    if (active) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  match.view(main, {
    params: match.params,
    query: match.query,
    session,
    isCurrent: () => mine === generation,
    navigate,
    onLeave: (fn) => {
      if (mine === generation) leaving.push(fn);
      else fn();
    },
  });
  window.scrollTo(0, 0);
}

function startApp(s: Session): void {
  session = s;
  setCsrfToken(s.csrf_token);
  rememberUser(s.user);

  const signOut = h('button', { type: 'button', class: 'link-button', testid: 'logout' }, 'Log out');
  signOut.addEventListener('click', () => {
    signOut.disabled = true;
    logout()
      .catch(() => undefined) // Signed out locally either way; the cookie expires on its own.
      .finally(() => showLogin('You are signed out.'));
  });

  main = h('main', { id: 'main', class: 'content', tabindex: -1 });
  const nav = h(
    'nav',
    { class: 'site-nav', 'aria-label': 'Main' },
    ...NAV.filter((item) => item.show(s.user)).map((item) => h('a', { href: item.href, testid: item.testid }, item.label)),
  );
  // Agents without a Rapport role see the recovery queue when cases are theirs to work on
  // (assigned to them or to their recovery group): the server is the one that knows.
  if (!seesAllFeedback(s.user) && s.user.role === 'agent') {
    listCases({ status: 'active' }).then(
      (cases) => {
        if (cases.length === 0 || session !== s || nav.querySelector('[data-testid=nav-recovery]')) return;
        nav.append(h('a', { href: '#/recovery', testid: 'nav-recovery' }, 'Recovery'));
      },
      () => undefined,
    );
  }
  replaceChildren(
    root,
    h(
      'header',
      { class: 'site-header' },
      h('a', { class: 'brand', href: '#/tickets' }, 'Rapport'),
      nav,
      h(
        'div',
        { class: 'account' },
        h('span', { class: 'user-name', testid: 'current-user', title: s.user.email ?? '' }, s.user.name),
        signOut,
      ),
    ),
    main,
  );
  route();
}

function showLogin(notice?: string): void {
  leavePage();
  document.documentElement.classList.remove('tv-mode');
  session = null;
  main = null;
  generation += 1;
  setCsrfToken(null);
  clearCaches();
  clearFeedbackCaches();
  const container = h('main', { id: 'main', class: 'content narrow' });
  replaceChildren(root, container);
  renderLogin(container, startApp, notice);
}

setUnauthorizedHandler(() => {
  if (session) showLogin('Your session has ended. Please sign in again.');
});
window.addEventListener('hashchange', route);

// The skip link must not touch the hash, which is the router's.
document.querySelector('.skip-link')?.addEventListener('click', (ev) => {
  ev.preventDefault();
  const target = document.getElementById('main');
  if (target) {
    if (!target.hasAttribute('tabindex')) target.setAttribute('tabindex', '-1');
    target.focus();
  }
});

async function boot(): Promise<void> {
  replaceChildren(root, h('main', { id: 'main', class: 'content narrow' }, loading()));
  try {
    const existing = await getSession();
    if (existing) startApp(existing);
    else showLogin();
  } catch (err) {
    const retry = h('button', { type: 'button', testid: 'retry' }, 'Try again');
    retry.addEventListener('click', () => void boot());
    replaceChildren(
      root,
      h('main', { id: 'main', class: 'content narrow' }, h('h1', null, "Can't reach Rapport"), errorBox(messageOf(err)), retry),
    );
  }
}

void boot();
