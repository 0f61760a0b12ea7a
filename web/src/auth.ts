// Sign-up and log-in page.
import { api, User } from './api';
import { h } from './util';

export function renderAuth(root: HTMLElement, mode: 'login' | 'signup', onDone: (user: User) => void): void {
  const username = h('input', { name: 'username', testid: 'auth-username', autocomplete: 'username', required: true,
    placeholder: 'username', maxLength: 64 });
  const displayName = h('input', { name: 'display_name', testid: 'auth-display-name', autocomplete: 'name',
    placeholder: 'display name (optional)' });
  const password = h('input', { name: 'password', type: 'password', testid: 'auth-password', required: true,
    autocomplete: mode === 'signup' ? 'new-password' : 'current-password', placeholder: 'password',
  });
  const error = h('div', { class: 'form-error', testid: 'auth-error', role: 'alert' });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary btn-wide', testid: 'auth-submit' },
    mode === 'signup' ? 'Create account' : 'Log in');
  const form = h('form', { class: 'auth-card', testid: mode === 'signup' ? 'signup-form' : 'login-form' },
    h('div', { class: 'brand brand-big' }, h('span', { class: 'brand-mark' }, '◆'), ' codesphere'),
    h('p', { class: 'muted' }, mode === 'signup' ? 'Create an account to start coding together.' : 'Welcome back.'),
    h('label', { class: 'field' }, h('span', {}, 'Username'), username),
    mode === 'signup' ? h('label', { class: 'field' }, h('span', {}, 'Display name'), displayName) : null,
    h('label', { class: 'field' }, h('span', {}, 'Password'), password),
    error, submit,
    h('p', { class: 'muted auth-switch' },
      mode === 'signup' ? 'Already have an account? ' : 'New here? ',
      h('a', { href: mode === 'signup' ? '#/login' : '#/signup', testid: 'auth-toggle' },
        mode === 'signup' ? 'Log in' : 'Create an account')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    error.textContent = '';
    submit.disabled = true;
    try {
      const answer = mode === 'signup'
        ? await api.signup(username.value.trim(), password.value, displayName.value.trim() || undefined)
        : await api.login(username.value.trim(), password.value);
      onDone(answer.user);
    } catch (err) {
      error.textContent = err instanceof Error ? err.message : String(err);
    } finally {
      submit.disabled = false;
    }
  });
  root.replaceChildren(h('div', { class: 'auth-page' }, form));
  username.focus();
}
