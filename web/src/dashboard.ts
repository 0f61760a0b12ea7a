// The dashboard: the user's projects, with create-from-template, fork, share, rename, delete.
import { api, membersOf, Member, Project, Role, Template, User } from './api';
import { confirmDialog, openDialog, promptFields } from './dialog';
import { clear, colorFor, formatDate, h, initials, toast } from './util';

export function userBadge(user: User, onLogout: () => void): HTMLElement {
  const name = user.display_name || user.username;
  return h('div', { class: 'user-badge', testid: 'current-user', dataset: { username: user.username } },
    h('span', { class: 'avatar', style: { background: colorFor(user.username) }, title: name }, initials(name)),
    h('span', { class: 'user-name' }, name),
    h('button', { class: 'btn btn-small', testid: 'logout', onclick: onLogout }, 'Log out'));
}

export async function renderDashboard(root: HTMLElement, user: User, onLogout: () => void): Promise<void> {
  const list = h('div', { class: 'project-list', testid: 'project-list' }, h('div', { class: 'muted' }, 'Loading…'));
  const nameInput = h('input', { name: 'name', testid: 'new-project-name', placeholder: 'project name', required: true,
    maxLength: 64 });
  const templateSelect = h('select', { name: 'template', testid: 'new-project-template' });
  const templateInfo = h('div', { class: 'muted template-info', testid: 'template-info' });
  const createBtn = h('button', { type: 'submit', class: 'btn btn-primary', testid: 'create-project' }, 'Create');
  const createForm = h('form', { class: 'create-form', testid: 'create-project-form' },
    h('label', { class: 'field' }, h('span', {}, 'Name'), nameInput),
    h('label', { class: 'field' }, h('span', {}, 'Template'), templateSelect),
    createBtn);

  root.replaceChildren(h('div', { class: 'dashboard' },
    h('header', { class: 'topbar' },
      h('a', { class: 'brand', href: '#/' }, h('span', { class: 'brand-mark' }, '◆'), ' codesphere'),
      h('div', { class: 'spacer' }),
      userBadge(user, onLogout)),
    h('main', { class: 'dashboard-main' },
      h('section', { class: 'card' }, h('h2', {}, 'New project'), createForm, templateInfo),
      h('section', { class: 'card' },
        h('div', { class: 'card-title' }, h('h2', {}, 'Projects'),
          h('button', { class: 'btn btn-small', testid: 'refresh-projects', onclick: () => void refresh() }, '↻ Refresh')),
        list))));

  let templates: Template[] = [];
  const showTemplate = () => {
    const t = templates.find((x) => x.id === templateSelect.value);
    templateInfo.textContent = t ? `${t.description}${t.run ? ` — runs \`${t.run}\`` : ''}` : '';
  };
  templateSelect.addEventListener('change', showTemplate);

  createForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    createBtn.disabled = true;
    try {
      const project = await api.createProject(nameInput.value.trim(), templateSelect.value);
      location.hash = `#/p/${encodeURIComponent(project.id)}`;
    } catch (err) {
      toast(`Create failed: ${(err as Error).message}`, 'error');
    } finally {
      createBtn.disabled = false;
    }
  });

  async function refresh(): Promise<void> {
    let projects: Project[];
    try {
      projects = await api.projects();
    } catch (err) {
      list.replaceChildren(h('div', { class: 'form-error' }, `Cannot load projects: ${(err as Error).message}`));
      return;
    }
    clear(list);
    if (projects.length === 0) {
      list.append(h('div', { class: 'empty', testid: 'no-projects' }, 'No projects yet: create one from a template.'));
      return;
    }
    projects.sort((a, b) => String(b.created_at).localeCompare(String(a.created_at)));
    for (const project of projects) list.append(projectRow(project, refresh));
  }

  try {
    templates = await api.templates();
    templateSelect.replaceChildren(...templates.map((t) => h('option', { value: t.id }, t.name)));
    showTemplate();
  } catch (err) {
    toast(`Cannot load templates: ${(err as Error).message}`, 'error');
  }
  await refresh();
}

function projectRow(project: Project, refresh: () => Promise<void>): HTMLElement {
  const owner = project.role === 'owner';
  const open = () => { location.hash = `#/p/${encodeURIComponent(project.id)}`; };
  const action = (label: string, testid: string, fn: () => void, danger = false) =>
    h('button', { class: `btn btn-small${danger ? ' btn-danger' : ''}`, testid, onclick: (e: Event) => { e.stopPropagation(); fn(); } }, label);
  return h('div', { class: 'project-row', testid: 'project-item', dataset: { projectId: project.id, projectName: project.name } },
    h('a', { class: 'project-name', href: `#/p/${encodeURIComponent(project.id)}`, testid: 'project-open' }, project.name),
    h('span', { class: `badge badge-${project.role}`, testid: 'project-role' }, project.role),
    h('span', { class: 'muted project-meta' }, `${project.template} · ${project.owner} · ${formatDate(project.created_at)}`),
    h('span', { class: `run-state run-${project.run_state}`, testid: 'project-run-state' }, project.run_state || 'stopped'),
    h('div', { class: 'row-actions' },
      action('Open', 'project-open-button', open),
      action('Fork', 'project-fork', () => void forkProject(project)),
      owner ? action('Share', 'project-share', () => void shareProject(project)) : null,
      owner ? action('Rename', 'project-rename', () => void renameProject(project, refresh)) : null,
      owner ? action('Delete', 'project-delete', () => void deleteProject(project, refresh), true) : null));
}

async function forkProject(project: Project): Promise<void> {
  let fork: Project | undefined;
  const values = await promptFields(`Fork ${project.name}`, [{ name: 'name', label: 'Name of the fork', value: `${project.name}-fork` }],
    'Fork', async (v) => { fork = await api.forkProject(project.id, v.name); });
  if (values && fork) location.hash = `#/p/${encodeURIComponent(fork.id)}`;
}

async function renameProject(project: Project, refresh: () => Promise<void>): Promise<void> {
  const values = await promptFields(`Rename ${project.name}`, [{ name: 'name', label: 'New name', value: project.name }],
    'Rename', async (v) => { await api.renameProject(project.id, v.name); });
  if (values) await refresh();
}

async function deleteProject(project: Project, refresh: () => Promise<void>): Promise<void> {
  if (!(await confirmDialog(`Delete ${project.name}?`, 'Its files, terminals and history are removed for every member.'))) return;
  try {
    await api.deleteProject(project.id);
    toast(`Deleted ${project.name}`);
  } catch (err) {
    toast(`Delete failed: ${(err as Error).message}`, 'error');
  }
  await refresh();
}

const ROLES: { value: Role; label: string }[] = [
  { value: 'editor', label: 'Editor (read and write)' },
  { value: 'viewer', label: 'Viewer (read only)' },
  { value: 'owner', label: 'Owner (also share and delete)' },
];

export async function shareProject(project: Project): Promise<void> {
  const membersList = h('ul', { class: 'members', testid: 'share-members' });
  const showMembers = (members: Member[]) => {
    membersList.replaceChildren(...members.map((m) =>
      h('li', { testid: 'share-member', dataset: { username: m.username } },
        h('span', { class: 'avatar avatar-small', style: { background: colorFor(m.username) } }, initials(m.username)),
        h('span', { class: 'member-name' }, m.username),
        h('span', { class: `badge badge-${m.role}` }, m.role))));
  };
  try {
    showMembers((await api.project(project.id)).members ?? []);
  } catch (err) {
    membersList.replaceChildren(h('li', { class: 'form-error' }, (err as Error).message));
  }

  const username = h('input', { testid: 'share-username', placeholder: 'username', autocomplete: 'off' });
  const role = h('select', { testid: 'share-role' }, ...ROLES.map((r) => h('option', { value: r.value }, r.label)));
  const addError = h('div', { class: 'form-error', testid: 'share-error' });
  const addBtn = h('button', { type: 'button', class: 'btn btn-primary', testid: 'share-add' }, 'Add');
  addBtn.addEventListener('click', async () => {
    addError.textContent = '';
    if (!username.value.trim()) { addError.textContent = 'enter a username'; return; }
    try {
      showMembers(membersOf(await api.setMember(project.id, username.value.trim(), role.value as Role)));
      username.value = '';
    } catch (err) {
      addError.textContent = (err as Error).message;
    }
  });
  username.addEventListener('keydown', (e) => { if (e.key === 'Enter') { e.preventDefault(); addBtn.click(); } });

  const linkRole = h('select', { testid: 'share-link-role' }, ...ROLES.filter((r) => r.value !== 'owner').map((r) => h('option', { value: r.value }, r.label)));
  const linkExpiry = h('select', { testid: 'share-link-expiry' },
    h('option', { value: '3600' }, '1 hour'), h('option', { value: '86400', selected: true }, '1 day'),
    h('option', { value: '604800' }, '7 days'), h('option', { value: '2592000' }, '30 days'));
  const linkOut = h('input', { readOnly: true, testid: 'share-link-url', placeholder: 'no link yet' });
  const linkBtn = h('button', { type: 'button', class: 'btn', testid: 'share-link-create' }, 'Create link');
  const copyBtn = h('button', { type: 'button', class: 'btn', testid: 'share-link-copy', disabled: true }, 'Copy');
  linkBtn.addEventListener('click', async () => {
    try {
      const link = await api.createShareLink(project.id, linkRole.value as Role, Number(linkExpiry.value));
      linkOut.value = link.url || `${location.origin}/#/share/${encodeURIComponent(link.token)}`;
      copyBtn.disabled = false;
      linkOut.select();
    } catch (err) {
      addError.textContent = (err as Error).message;
    }
  });
  copyBtn.addEventListener('click', async () => {
    try { await navigator.clipboard.writeText(linkOut.value); toast('Link copied'); } catch { linkOut.select(); }
  });

  const body = h('div', { class: 'share-dialog' },
    h('h3', {}, 'Members'), membersList,
    h('div', { class: 'inline-form' }, username, role, addBtn), addError,
    h('h3', {}, 'Share link'),
    h('div', { class: 'inline-form' }, linkRole, linkExpiry, linkBtn),
    h('div', { class: 'inline-form' }, linkOut, copyBtn));
  await openDialog(`Share ${project.name}`, body);
}
