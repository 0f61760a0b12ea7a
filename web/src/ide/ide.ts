// The IDE page #/p/{project}: file tree, editor, terminals, run/stop, preview, presence, chat.
import { api, Project, User } from '../api';
import { shareProject, userBadge } from '../dashboard';
import { openDialog } from '../dialog';
import { formatSize, h, toast } from '../util';
import { ChatPanel } from './chat';
import { openRoom, Room } from './collab';
import { EditorArea } from './editor';
import { EventStream, ProjectEvent } from './events';
import { FileTree } from './filetree';
import { PresenceList } from './presence';
import { PreviewPane } from './preview';
import { TerminalPanel } from './terminals';

export interface Page { destroy(): void }

export async function renderIde(root: HTMLElement, projectId: string, user: User, onLogout: () => void): Promise<Page> {
  let project: Project;
  try {
    project = await api.project(projectId);
  } catch (err) {
    root.replaceChildren(h('div', { class: 'center-message' },
      h('h2', {}, 'Cannot open this project'), h('p', { class: 'form-error' }, (err as Error).message),
      h('a', { href: '#/', class: 'btn' }, 'Back to projects')));
    return { destroy() {} };
  }
  const canWrite = project.role !== 'viewer';
  document.title = `${project.name} · codesphere`;

  const projectRoom: Room = openRoom(project.id, '.codesphere/project', user);
  const tree = new FileTree(project.id, canWrite);
  const editor = new EditorArea(project.id, user, !canWrite);
  const terminals = new TerminalPanel(project.id, !canWrite);
  const preview = new PreviewPane(project.id, { owner: project.role === 'owner', isPublic: project.public_preview });
  const presence = new PresenceList(projectRoom.provider.awareness, user.username);
  const chat = new ChatPanel(projectRoom.doc, user.username, canWrite, (u) => presence.nameOf(u));
  presence.onChange = () => chat.render();
  const events = new EventStream(project.id);

  tree.onOpen = (path) => (isBinaryPath(path) ? void showBinary(project.id, path) : editor.open(path));
  tree.onChanged = (paths, renamed) => editor.syncWithTree(paths, renamed);
  editor.onActiveChange = (path) => {
    tree.setActive(path);
    projectRoom.provider.awareness.setLocalStateField('file', path);
  };

  const runButton = h('button', { class: 'btn btn-run', testid: 'run-button', disabled: !canWrite,
    title: canWrite ? 'Run the project' : 'Viewers cannot run the project' });
  let runState = project.run_state || 'stopped';
  const showRunState = () => {
    const running = runState === 'running';
    runButton.textContent = running ? '■ Stop' : '▶ Run';
    runButton.classList.toggle('running', running);
    runButton.dataset.state = runState;
  };
  showRunState();
  runButton.addEventListener('click', async () => {
    runButton.disabled = true;
    try {
      if (runState === 'running') {
        await api.stop(project.id);
        runState = 'stopped';
      } else {
        const { terminal } = await api.run(project.id);
        runState = 'running';
        terminals.show(terminal || 'run', 'run', true);
      }
      showRunState();
    } catch (err) {
      toast(`${runState === 'running' ? 'Stop' : 'Run'} failed: ${(err as Error).message}`, 'error');
    } finally {
      runButton.disabled = !canWrite;
    }
  });

  events.onEvent = (event: ProjectEvent) => {
    switch (event.type) {
      case 'files':
        void tree.refresh();
        break;
      case 'run':
        runState = event.state;
        showRunState();
        // Everyone in the project follows the run: its terminal comes to the front.
        if (event.state === 'running') terminals.show('run', 'run', true);
        break;
      case 'presence':
        presence.setServerUsers(Array.isArray(event.users) ? event.users : []);
        break;
    }
  };
  const connection = h('span', { class: 'conn-dot', testid: 'connection-status', title: 'connecting' });
  events.onStatus = (connected) => {
    connection.classList.toggle('online', connected);
    connection.title = connected ? 'connected' : 'reconnecting…';
    connection.dataset.connected = String(connected);
    if (connected) void tree.refresh();
  };

  const shareButton = project.role === 'owner'
    ? h('button', { class: 'btn btn-small', testid: 'ide-share', onclick: () => void shareProject(project) }, 'Share')
    : null;

  // Side panels can be toggled on narrow screens.
  const layout = h('div', { class: 'ide', testid: 'ide', dataset: { project: project.id, role: project.role } });
  const toggle = (name: string, label: string) => h('button', { class: 'btn btn-small toggle', testid: `toggle-${name}`,
    onclick: () => layout.classList.toggle(`show-${name}`) }, label);

  layout.append(
    h('header', { class: 'topbar ide-topbar' },
      h('a', { class: 'brand', href: '#/', title: 'All projects', testid: 'back-to-dashboard' }, h('span', { class: 'brand-mark' }, '◆')),
      h('span', { class: 'project-title', testid: 'project-title' }, project.name),
      h('span', { class: `badge badge-${project.role}`, testid: 'ide-role' }, project.role),
      connection,
      runButton,
      shareButton,
      h('div', { class: 'spacer' }),
      toggle('files', 'Files'), toggle('side', 'Preview'),
      presence.el,
      userBadge(user, onLogout)),
    h('aside', { class: 'ide-files' }, tree.el),
    h('section', { class: 'ide-center' }, editor.el, terminals.el),
    h('aside', { class: 'ide-side' }, preview.el, chat.el));
  root.replaceChildren(layout);

  events.connect();
  await tree.refresh();
  await terminals.load();
  if (runState === 'running') terminals.show('run', 'run');
  preview.show();
  // Open the template's entry file, as hosted IDEs do.
  const paths = tree.paths;
  const entry = ['main.py', 'index.js', 'main.js', 'index.html', 'README.md'].find((p) => paths.has(p));
  if (entry) editor.open(entry);

  return {
    destroy() {
      events.close();
      editor.destroy();
      terminals.destroy();
      projectRoom.destroy();
    },
  };
}

// Files the editor can't show as text: images get a preview, the rest a download link.
const IMAGE = /\.(png|jpe?g|gif|webp|bmp|ico|svg)$/i;
const BINARY = /\.(png|jpe?g|gif|webp|bmp|ico|pdf|zip|gz|tgz|bz2|xz|7z|tar|jar|class|so|o|a|dll|exe|bin|woff2?|ttf|otf|eot|mp3|mp4|wav|ogg|webm|mov|sqlite|db|pyc|wasm)$/i;

function isBinaryPath(path: string): boolean {
  return BINARY.test(path);
}

async function showBinary(project: string, path: string): Promise<void> {
  let bytes: ArrayBuffer;
  try {
    bytes = await api.readFile(project, path);
  } catch (err) {
    toast(`Cannot read ${path}: ${(err as Error).message}`, 'error');
    return;
  }
  const type = IMAGE.test(path) ? (path.toLowerCase().endsWith('.svg') ? 'image/svg+xml' : 'image/*') : 'application/octet-stream';
  const url = URL.createObjectURL(new Blob([bytes], { type }));
  const name = path.split('/').pop() ?? path;
  const body = h('div', { class: 'binary-view', testid: 'binary-view' },
    IMAGE.test(path) ? h('img', { src: url, alt: name, class: 'binary-image' }) : h('p', { class: 'muted' }, 'This file is not text.'),
    h('p', {}, `${formatSize(bytes.byteLength)} · `, h('a', { href: url, download: name }, 'Download')));
  await openDialog(path, body);
  URL.revokeObjectURL(url);
}
