// The editor area: tabs of open files, one Monaco model per file bound with y-monaco to the
// file's room /yjs/{project}/{path}.
import { MonacoBinding } from 'y-monaco';
import { User } from '../api';
import { h, toast } from '../util';
import { openRoom, Room } from './collab';
import { languageFor, monaco } from './monaco';

interface OpenFile {
  path: string;
  room: Room;
  model: monaco.editor.ITextModel;
  binding: MonacoBinding;
  tab: HTMLElement;
  status: HTMLElement;
  synced: boolean;
  denied: boolean;
}

export class EditorArea {
  readonly el: HTMLElement;
  private readonly tabs = h('div', { class: 'tabs editor-tabs', testid: 'editor-tabs', role: 'tablist' });
  private readonly host = h('div', { class: 'editor-host', testid: 'editor' });
  private readonly empty = h('div', { class: 'editor-empty', testid: 'editor-empty' },
    h('div', {}, 'Open a file from the tree to start editing.'),
    h('div', { class: 'muted' }, 'Everyone in the project sees your edits and cursor live.'));
  private readonly editor: monaco.editor.IStandaloneCodeEditor;
  private readonly files = new Map<string, OpenFile>();
  private active: OpenFile | null = null;
  onActiveChange: (path: string | null) => void = () => {};

  constructor(private readonly project: string, private readonly user: User, private readonly readOnly: boolean) {
    this.el = h('div', { class: 'editor-area' }, this.tabs, h('div', { class: 'editor-stack' }, this.host, this.empty));
    this.editor = monaco.editor.create(this.host, {
      theme: 'codesphere-dark',
      automaticLayout: true,
      readOnly,
      minimap: { enabled: false },
      fontSize: 14,
      padding: { top: 18 },
      scrollBeyondLastLine: false,
      model: null,
      tabSize: 4,
      renderWhitespace: 'selection',
    });
    this.host.hidden = true;
    // Every keystroke is already saved: Ctrl/Cmd+S says so instead of opening "Save page".
    this.editor.addCommand(monaco.KeyMod.CtrlCmd | monaco.KeyCode.KeyS, () => {
      const file = this.active;
      if (!file) return;
      const online = file.room.provider.wsconnected;
      toast(online ? `${file.path}: changes are saved as you type` : `${file.path}: offline, changes are kept and sent on reconnect`);
    });
  }

  get activePath(): string | null { return this.active?.path ?? null; }

  open(path: string, activate = true): void {
    let file = this.files.get(path);
    if (!file) {
      const room = openRoom(this.project, path, this.user);
      const uri = monaco.Uri.from({ scheme: 'codesphere', path: `/${this.project}/${path}` });
      monaco.editor.getModel(uri)?.dispose();
      const model = monaco.editor.createModel('', languageFor(path), uri);
      const binding = new MonacoBinding(room.doc.getText('monaco'), model, new Set([this.editor]), room.provider.awareness);
      const status = h('span', { class: 'tab-status', title: 'connecting' });
      const tab = h('div', { class: 'tab', role: 'tab', testid: 'editor-tab', dataset: { path }, onclick: () => this.open(path) },
        status,
        h('span', { class: 'tab-label', title: path }, path.split('/').pop() ?? path),
        h('button', { class: 'tab-close', title: 'Close', testid: 'editor-tab-close',
          onclick: (e: Event) => { e.stopPropagation(); this.close(path); } }, '×'));
      const onStatus = ({ status: s }: { status: string }) => {
        status.className = `tab-status tab-status-${s}`;
        status.title = s;
        tab.dataset.status = s;
      };
      room.provider.on('status', onStatus);
      this.tabs.append(tab);
      const opened: OpenFile = { path, room, model, binding, tab, status, synced: false, denied: false };
      room.provider.on('permission-denied', (reason: string) => {
        if (opened.denied) return;
        opened.denied = true;
        tab.dataset.denied = 'true';
        tab.classList.add('denied');
        if (this.active === opened) this.editor.updateOptions({ readOnly: true });
        if (!this.readOnly) toast(`You cannot change ${path} (${reason || 'permission denied'}): your edits to it are not saved.`, 'error');
      });
      room.provider.on('sync', (synced: boolean) => {
        tab.dataset.synced = String(synced);
        // Typing before the first sync would insert into an empty document: wait for it.
        if (synced && !opened.synced) {
          opened.synced = true;
          if (this.active === opened) this.editor.updateOptions({ readOnly: this.readOnly || opened.denied });
        }
      });
      file = opened;
      this.files.set(path, file);
    }
    if (activate || !this.active) this.activate(file);
  }

  private activate(file: OpenFile): void {
    // Others stop seeing a cursor in the file this user switched away from.
    if (this.active && this.active !== file) this.active.room.provider.awareness.setLocalStateField('selection', null);
    this.active = file;
    for (const f of this.files.values()) f.tab.classList.toggle('active', f === file);
    this.editor.setModel(file.model);
    this.editor.updateOptions({ readOnly: this.readOnly || !file.synced || file.denied });
    this.host.dataset.path = file.path;
    this.host.hidden = false;
    this.empty.hidden = true;
    this.editor.focus();
    this.onActiveChange(file.path);
  }

  close(path: string): void {
    const file = this.files.get(path);
    if (!file) return;
    this.files.delete(path);
    file.tab.remove();
    file.binding.destroy();
    file.room.destroy();
    if (this.active === file) {
      this.active = null;
      this.editor.setModel(null);
      const next = [...this.files.values()].pop();
      if (next) {
        this.activate(next);
      } else {
        this.host.hidden = true;
        this.empty.hidden = false;
        delete this.host.dataset.path;
        this.onActiveChange(null);
      }
    }
    file.model.dispose();
  }

  // Keeps tabs in step with the file tree: tabs of files that are gone close, and during a
  // rename the tabs under `renamed.from` move once the new path is listed.
  syncWithTree(paths: Set<string>, renamed?: { from: string; to: string }): void {
    const activePath = this.active?.path;
    for (const path of [...this.files.keys()]) {
      const under = renamed && (path === renamed.from || path.startsWith(`${renamed.from}/`));
      if (under) {
        const target = renamed!.to + path.slice(renamed!.from.length);
        if (!paths.has(target)) continue; // the listing does not show the rename yet
        this.close(path);
        this.open(target, path === activePath);
      } else if (!paths.has(path)) {
        this.close(path);
      }
    }
  }

  layout(): void { this.editor.layout(); }

  destroy(): void {
    for (const path of [...this.files.keys()]) this.close(path);
    this.editor.dispose();
  }
}
