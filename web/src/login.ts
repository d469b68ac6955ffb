// The sign-in screen: email + password → POST /api/v2/session.
import { ApiError, login, type Session } from './api';
import { h, replaceChildren } from './dom';
import { errorBox, setTitle } from './ui';

export function renderLogin(container: HTMLElement, onSignedIn: (session: Session) => void, notice?: string): void {
  setTitle('Sign in');
  const email = h('input', {
    id: 'login-email',
    name: 'email',
    type: 'email',
    autocomplete: 'username',
    required: true,
    testid: 'login-email',
  });
  const password = h('input', {
    id: 'login-password',
    name: 'password',
    type: 'password',
    autocomplete: 'current-password',
    required: true,
    testid: 'login-password',
  });
  const submit = h('button', { type: 'submit', class: 'primary', testid: 'login-submit' }, 'Sign in');
  const feedback = h('div', { class: 'feedback', 'aria-live': 'polite', testid: 'login-feedback' });
  if (notice) feedback.append(h('p', { class: 'notice' }, notice));

  let retryTimer: number | undefined;
  const showError = (message: string): void => {
    replaceChildren(feedback, errorBox(message));
    feedback.querySelector('[role=alert]')?.setAttribute('data-testid', 'login-error');
  };

  const form = h(
    'form',
    { class: 'login-form', novalidate: true, 'aria-labelledby': 'login-heading', testid: 'login-form' },
    h('h1', { id: 'login-heading' }, 'Sign in to Rapport'),
    h('div', { class: 'field' }, h('label', { for: 'login-email' }, 'Email'), email),
    h('div', { class: 'field' }, h('label', { for: 'login-password' }, 'Password'), password),
    feedback,
    submit,
  );

  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const emailValue = email.value.trim();
    if (!emailValue || !password.value) {
      showError('Enter your email and password.');
      (emailValue ? password : email).focus();
      return;
    }
    submit.disabled = true;
    submit.textContent = 'Signing in…';
    window.clearTimeout(retryTimer);
    login(emailValue, password.value)
      .then((session) => {
        onSignedIn(session);
      })
      .catch((err: unknown) => {
        submit.disabled = false;
        submit.textContent = 'Sign in';
        if (err instanceof ApiError && err.status === 401) {
          showError('Wrong email or password');
          password.select();
          password.focus();
        } else if (err instanceof ApiError && err.status === 429) {
          const seconds = err.retryAfter ?? 60;
          showError(`Too many attempts, try again in ${seconds} ${seconds === 1 ? 'second' : 'seconds'}`);
          submit.disabled = true;
          retryTimer = window.setTimeout(() => {
            submit.disabled = false;
          }, seconds * 1000);
        } else {
          showError(err instanceof Error ? err.message : 'Sign in failed.');
        }
      });
  });

  replaceChildren(container, h('div', { class: 'login-page' }, form));
  email.focus();
}
