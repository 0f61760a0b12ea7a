// The file tree: the workspace listing from GET /api/projects/{id}/files, with create, rename,
// delete and upload (buttons, and files dropped onto the tree).
import { api, FileEntry } from '../api';
import { confirmDialog, promptFields } from '../dialog';
import { clear, formatSize, h, toast } from '../util';

interface Node { name: string; path: string; type: FileEntry['type']; size: number; children: Map<string, Node> }

// Folders the IDE keeps for itself (the project document lives under .codesphere/).
const HIDDEN = new Set(['.codesphere']);

export class FileTree {
  readonly el: HTMLElement;
  private readonly list = h('div', { class: 'tree', testid: 'file-tree', role: 'tree' });
  private readonly expanded = new Set<string>();
  private selectedDir = '';
  private activePath: string | null = null;
  private entries: FileEntry[] = [];
  // The rename in flight: refreshes meanwhile (e.g. from the server's files event) move tabs.
  private renaming: { from: string; to: string } | undefined;
  onOpen: (path: string) => void = () => {};
  onChanged: (paths: Set<string>, renamed?: { from: string; to: string }) => void = () => {};

  constructor(private readonly project: string, private readonly canWrite: boolean) {
    const upload = h('input', { type: 'file', multiple: true, hidden: true, testid: 'file-upload-input' });
    upload.addEventListener('change', () => {
      if (upload.files) void this.upload([...upload.files], this.selectedDir);
      upload.value = '';
    });
    const tool = (label: string, title: string, testid: string, fn: () => void) =>
      h('button', { class: 'icon-btn', title, 'aria-label': title, testid, onclick: fn }, label);
    this.el = h('div', { class: 'file-panel' },
      h('div', { class: 'panel-header' },
        h('span', { class: 'panel-title' }, 'Files'),
        h('div', { class: 'panel-tools' },
          this.canWrite ? tool('+', 'New file', 'new-file', () => void this.createFile()) : null,
          this.canWrite ? tool('⊞', 'New folder', 'new-folder', () => void this.createDir()) : null,
          this.canWrite ? tool('⇧', 'Upload files', 'upload-files', () => upload.click()) : null,
          tool('↻', 'Refresh', 'refresh-files', () => void this.refresh()),
          upload)),
      this.list);
    if (this.canWrite) {
      this.list.addEventListener('dragover', (e) => { e.preventDefault(); this.list.classList.add('drop'); });
      this.list.addEventListener('dragleave', () => this.list.classList.remove('drop'));
      this.list.addEventListener('drop', (e) => {
        e.preventDefault();
        this.list.classList.remove('drop');
        const files = [...(e.dataTransfer?.files ?? [])];
        const target = (e.target as HTMLElement).closest<HTMLElement>('[data-dir]');
        if (files.length) void this.upload(files, target?.dataset.dir ?? this.selectedDir);
      });
    }
  }

  get paths(): Set<string> { return new Set(this.entries.map((e) => e.path)); }

  setActive(path: string | null): void {
    this.activePath = path;
    for (const row of this.list.querySelectorAll<HTMLElement>('.tree-row')) {
      row.classList.toggle('active', row.dataset.path === path);
    }
  }

  async refresh(): Promise<void> {
    try {
      this.entries = await api.files(this.project);
    } catch (err) {
      this.list.replaceChildren(h('div', { class: 'form-error' }, `Cannot list files: ${(err as Error).message}`));
      return;
    }
    this.render();
    this.onChanged(this.paths, this.renaming);
  }

  private render(): void {
    const root: Node = { name: '', path: '', type: 'dir', size: 0, children: new Map() };
    for (const entry of this.entries) {
      const parts = entry.path.split('/').filter(Boolean);
      if (parts.length === 0 || HIDDEN.has(parts[0])) continue;
      let node = root;
      parts.forEach((part, i) => {
        const path = parts.slice(0, i + 1).join('/');
        let child = node.children.get(part);
        if (!child) {
          child = { name: part, path, type: 'dir', size: 0, children: new Map() };
          node.children.set(part, child);
        }
        if (i === parts.length - 1) { child.type = entry.type; child.size = entry.size; }
        node = child;
      });
    }
    clear(this.list);
    if (root.children.size === 0) {
      this.list.append(h('div', { class: 'muted tree-empty' }, 'No files yet.'));
      return;
    }
    this.renderChildren(root, 0);
    this.setActive(this.activePath);
  }

  private renderChildren(node: Node, depth: number): void {
    const children = [...node.children.values()].sort((a, b) =>
      (a.type === 'dir' ? 0 : 1) - (b.type === 'dir' ? 0 : 1) || a.name.localeCompare(b.name));
    for (const child of children) {
      const isDir = child.type === 'dir';
      const open = this.expanded.has(child.path);
      const actions = this.canWrite
        ? h('span', { class: 'row-tools' },
            h('button', { class: 'icon-btn', title: 'Rename', testid: 'file-rename',
              onclick: (e: Event) => { e.stopPropagation(); void this.rename(child.path); } }, '✎'),
            h('button', { class: 'icon-btn', title: 'Delete', testid: 'file-delete',
              onclick: (e: Event) => { e.stopPropagation(); void this.remove(child.path, isDir); } }, '✕'))
        : null;
      const row = h('div', {
        class: `tree-row ${isDir ? 'tree-dir' : 'tree-file'}${this.selectedDir === child.path ? ' selected' : ''}`,
        role: 'treeitem', testid: 'file-entry', tabindex: '0',
        dataset: { path: child.path, type: child.type, ...(isDir ? { dir: child.path } : {}) },
        style: { paddingLeft: `${8 + depth * 14}px` },
        title: isDir ? child.path : `${child.path} (${formatSize(child.size)})`,
      },
        h('span', { class: 'tree-icon' }, isDir ? (open ? '▾' : '▸') : fileIcon(child.name)),
        h('span', { class: 'tree-name' }, child.name + (child.type === 'symlink' ? ' →' : '')),
        actions);
      const activate = () => {
        if (isDir) {
          if (open) this.expanded.delete(child.path); else this.expanded.add(child.path);
          this.selectedDir = child.path;
          this.render();
        } else {
          this.selectedDir = child.path.includes('/') ? child.path.slice(0, child.path.lastIndexOf('/')) : '';
          this.onOpen(child.path);
        }
      };
      row.addEventListener('click', activate);
      row.addEventListener('keydown', (e) => { if (e.key === 'Enter') activate(); });
      this.list.append(row);
      if (isDir && open) this.renderChildren(child, depth + 1);
    }
  }

  private join(dir: string, name: string): string {
    return dir ? `${dir}/${name}` : name;
  }

  async createFile(): Promise<void> {
    let path = '';
    const values = await promptFields('New file', [{ name: 'path', label: 'Path', value: this.join(this.selectedDir, ''), placeholder: 'src/app.py' }],
      'Create', async (v) => {
        path = cleanPath(v.path);
        await api.writeFile(this.project, path, '');
      });
    if (!values) return;
    this.expandParents(path);
    await this.refresh();
    this.onOpen(path);
  }

  async createDir(): Promise<void> {
    let path = '';
    const values = await promptFields('New folder', [{ name: 'path', label: 'Path', value: this.join(this.selectedDir, ''), placeholder: 'src' }],
      'Create', async (v) => {
        path = cleanPath(v.path);
        await api.mkdir(this.project, path);
      });
    if (!values) return;
    this.expandParents(path);
    this.expanded.add(path);
    this.selectedDir = path;
    await this.refresh();
  }

  async rename(from: string): Promise<void> {
    let to = '';
    const values = await promptFields(`Rename ${from}`, [{ name: 'to', label: 'New path', value: from }], 'Rename', async (v) => {
      to = cleanPath(v.to);
      if (to === from) return;
      this.renaming = { from, to };
      try {
        await api.renameFile(this.project, from, to);
      } catch (err) {
        this.renaming = undefined;
        throw err;
      }
    });
    if (!values || to === from) return;
    this.expandParents(to);
    await this.refresh();
    this.renaming = undefined;
  }

  async remove(path: string, isDir: boolean): Promise<void> {
    if (!(await confirmDialog(`Delete ${path}?`, isDir ? 'The folder and everything in it is deleted.' : 'The file is deleted for everyone.'))) return;
    try {
      await api.deleteFile(this.project, path);
    } catch (err) {
      toast(`Delete failed: ${(err as Error).message}`, 'error');
    }
    await this.refresh();
  }

  async upload(files: File[], dir: string): Promise<void> {
    for (const file of files) {
      const path = this.join(dir, file.name);
      try {
        await api.writeFile(this.project, path, file);
        toast(`Uploaded ${path}`);
      } catch (err) {
        toast(`Upload of ${path} failed: ${(err as Error).message}`, 'error');
      }
    }
    if (dir) this.expanded.add(dir);
    await this.refresh();
  }

  private expandParents(path: string): void {
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) this.expanded.add(parts.slice(0, i).join('/'));
  }
}

function cleanPath(path: string): string {
  const parts = path.split('/').filter((p) => p && p !== '.');
  if (parts.length === 0) throw new Error('enter a path');
  if (parts.includes('..')) throw new Error('".." is not allowed in paths');
  return parts.join('/');
}

// Plain glyphs (no emoji: they need fonts a server-side browser may lack).
function fileIcon(name: string): string {
  const ext = name.includes('.') ? name.slice(name.lastIndexOf('.') + 1).toLowerCase() : '';
  const icons: Record<string, string> = { py: 'py', js: 'js', mjs: 'js', ts: 'ts', json: '{}', md: '¶', html: '<>', css: '#', sh: '$' };
  return icons[ext] ?? '·';
}
