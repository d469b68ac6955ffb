// Entry point: decides between the sign-in screen and the app, and routes #/tickets and #/tickets/:id.
import './style.css';
import { clearCaches, getSession, logout, rememberUser, setCsrfToken, setUnauthorizedHandler, type Session } from './api';
import { h, replaceChildren } from './dom';
import { renderLogin } from './login';
import { Router } from './router';
import { renderTicket } from './ticket';
import { renderTickets } from './tickets';
import { errorBox, loading, messageOf } from './ui';

const root = document.getElementById('app') as HTMLElement;
const router = new Router().add('/tickets', renderTickets).add('/tickets/:id', renderTicket);

let session: Session | null = null;
let generation = 0;
let main: HTMLElement | null = null;

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
  generation += 1;
  const mine = generation;
  for (const link of root.querySelectorAll<HTMLAnchorElement>('.site-nav a')) {
    const active = window.location.hash.startsWith(link.getAttribute('href') ?? '#');
    if (active) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  match.view(main, {
    params: match.params,
    query: match.query,
    session,
    isCurrent: () => mine === generation,
    navigate,
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
  replaceChildren(
    root,
    h(
      'header',
      { class: 'site-header' },
      h('a', { class: 'brand', href: '#/tickets' }, 'Rapport'),
      h('nav', { class: 'site-nav', 'aria-label': 'Main' }, h('a', { href: '#/tickets' }, 'Tickets')),
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
  session = null;
  main = null;
  generation += 1;
  setCsrfToken(null);
  clearCaches();
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
