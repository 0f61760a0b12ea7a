// Entry point: hash routing between the auth page, the dashboard and the IDE.
//   #/login  #/signup  #/ (dashboard)  #/p/{project}  #/share/{token}
import '@xterm/xterm/css/xterm.css';
import './styles.css';
import { api, setUnauthenticatedHandler, User } from './api';
import { renderAuth } from './auth';
import { renderDashboard } from './dashboard';
import { renderIde, Page } from './ide/ide';
import { h, toast } from './util';

const root = document.getElementById('app')!;
let user: User | null = null;
let page: Page | null = null;
let afterLogin = '#/';

function go(hash: string): void {
  if (location.hash === hash) void route(); else location.hash = hash;
}

async function logout(): Promise<void> {
  try { await api.logout(); } catch { /* the session is gone either way */ }
  user = null;
  go('#/login');
}

setUnauthenticatedHandler(() => {
  if (!user) return;
  user = null;
  afterLogin = location.hash || '#/';
  toast('Your session ended: please log in again.', 'error');
  go('#/login');
});

async function route(): Promise<void> {
  page?.destroy();
  page = null;
  const hash = location.hash || '#/';
  const parts = hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);

  if (parts[0] === 'login' || parts[0] === 'signup') {
    document.title = 'codesphere';
    renderAuth(root, parts[0], (u) => { user = u; const next = afterLogin; afterLogin = '#/'; go(next); });
    return;
  }
  if (!user) {
    try {
      user = await api.me();
    } catch {
      afterLogin = hash;
      go('#/login');
      return;
    }
  }
  if (parts[0] === 'share' && parts[1]) {
    try {
      const project = await api.acceptShareLink(parts[1]);
      toast(`You joined ${project.name} as ${project.role}`);
      go(`#/p/${encodeURIComponent(project.id)}`);
    } catch (err) {
      root.replaceChildren(h('div', { class: 'center-message' }, h('h2', {}, 'This share link does not work'),
        h('p', { class: 'form-error' }, (err as Error).message), h('a', { href: '#/', class: 'btn' }, 'Back to projects')));
    }
    return;
  }
  if (parts[0] === 'p' && parts[1]) {
    document.title = `${parts[1]} · codesphere`;
    const current = hash;
    const opened = await renderIde(root, parts[1], user, () => void logout());
    if (location.hash !== current || page) { opened.destroy(); return; }
    page = opened;
    return;
  }
  document.title = 'Projects · codesphere';
  await renderDashboard(root, user, () => void logout());
}

window.addEventListener('hashchange', () => void route());
void route();
