// Terminal tabs: xterm.js views of the project's terminals over /pty/{project}/{terminal}.
import { Terminal } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import { api, TerminalInfo } from '../api';
import { h, toast, wsUrl } from '../util';
import { parseControl, resizeMessage, signalMessage } from './ptyproto';

const THEME = {
  background: '#0c0e13', foreground: '#d7dce5', cursor: '#f5a524', selectionBackground: '#3b4252',
  black: '#1d2027', red: '#f7768e', green: '#9ece6a', yellow: '#e0af68', blue: '#7aa2f7',
  magenta: '#bb9af7', cyan: '#7dcfff', white: '#c0caf5', brightBlack: '#565f89',
};

class TerminalTab {
  readonly term: Terminal;
  readonly fit = new FitAddon();
  readonly pane: HTMLElement;
  readonly tab: HTMLElement;
  private ws: WebSocket | null = null;
  private exited = false;
  private retry = 0;
  private retryTimer = 0;
  private closed = false;
  private readonly encoder = new TextEncoder();

  constructor(private readonly project: string, readonly id: string, title: string, readOnly: boolean,
              onSelect: () => void, onClose: () => void) {
    this.term = new Terminal({
      theme: THEME, fontSize: 13, cursorBlink: true, scrollback: 5000, convertEol: false,
      disableStdin: readOnly, fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", monospace',
    });
    this.term.loadAddon(this.fit);
    this.pane = h('div', { class: 'terminal-pane', testid: 'terminal', dataset: { terminal: id } });
    this.tab = h('div', { class: 'tab', role: 'tab', testid: 'terminal-tab', dataset: { terminal: id } },
      h('span', { class: 'tab-status' }),
      h('span', { class: 'tab-label', onclick: onSelect }, title),
      h('button', { class: 'tab-close', title: 'Close tab (the terminal keeps running)', testid: 'terminal-tab-close',
        onclick: (e: Event) => { e.stopPropagation(); onClose(); } }, '×'));
    this.term.onData((data) => this.send(this.encoder.encode(data)));
    this.term.onBinary((data) => this.send(Uint8Array.from(data, (c) => c.charCodeAt(0))));
    this.term.onResize(({ cols, rows }) => this.sendText(resizeMessage(cols, rows)));
  }

  mount(): void {
    if (!this.term.element) this.term.open(this.pane);
    this.resize();
  }

  resize(): void {
    if (this.pane.offsetWidth === 0 || this.pane.offsetHeight === 0) return;
    try { this.fit.fit(); } catch { /* not visible */ }
  }

  get connected(): boolean { return this.ws?.readyState === WebSocket.OPEN; }

  connect(): void {
    if (this.closed || (this.ws && this.ws.readyState <= WebSocket.OPEN)) return;
    clearTimeout(this.retryTimer);
    this.exited = false;
    const ws = new WebSocket(wsUrl(`/pty/${encodeURIComponent(this.project)}/${encodeURIComponent(this.id)}`));
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    this.setStatus('connecting');
    ws.onopen = () => {
      this.retry = 0;
      this.setStatus('connected');
      this.sendText(resizeMessage(this.term.cols, this.term.rows));
    };
    ws.onmessage = (ev) => {
      if (typeof ev.data === 'string') {
        const msg = parseControl(ev.data);
        if (msg?.type === 'exit') {
          this.exited = true;
          this.term.write(`\r\n\x1b[2m[process exited with code ${String(msg.code)}]\x1b[0m\r\n`);
          this.setStatus('exited');
        } else if (msg?.type === 'error') {
          this.term.write(`\r\n\x1b[31m[${String(msg.message)}]\x1b[0m\r\n`);
        }
      } else {
        this.term.write(new Uint8Array(ev.data as ArrayBuffer));
      }
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.closed) return;
      if (this.exited) { this.setStatus('exited'); return; }
      this.setStatus('disconnected');
      // Reconnect with backoff; the server replays the scrollback on attach.
      const delay = Math.min(5000, 250 * 2 ** this.retry++);
      this.retryTimer = window.setTimeout(() => this.connect(), delay);
    };
  }

  // Reattaches after the process behind the terminal was restarted (e.g. Run after an exit).
  reconnect(): void {
    if (this.ws) { const old = this.ws; this.ws = null; old.close(); }
    this.term.reset();
    this.connect();
  }

  interrupt(): void { this.sendText(signalMessage('INT')); }

  private send(data: Uint8Array): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(data);
  }

  private sendText(text: string): void {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(text);
  }

  private setStatus(status: string): void {
    this.tab.dataset.status = status;
    this.pane.dataset.status = status;
    const dot = this.tab.querySelector<HTMLElement>('.tab-status');
    if (dot) { dot.className = `tab-status tab-status-${status}`; dot.title = status; }
  }

  dispose(): void {
    this.closed = true;
    clearTimeout(this.retryTimer);
    this.ws?.close();
    this.term.dispose();
  }
}

export class TerminalPanel {
  readonly el: HTMLElement;
  private readonly tabs = h('div', { class: 'tabs terminal-tabs', testid: 'terminal-tabs', role: 'tablist' });
  private readonly panes = h('div', { class: 'terminal-panes' });
  private readonly empty: HTMLElement;
  private readonly terminals = new Map<string, TerminalTab>();
  private active: TerminalTab | null = null;
  private readonly observer: ResizeObserver;

  constructor(private readonly project: string, private readonly readOnly: boolean) {
    const newBtn = readOnly ? null : h('button', { class: 'icon-btn', title: 'New terminal', testid: 'new-terminal',
      onclick: () => void this.create() }, '+');
    const ctrlC = readOnly ? null : h('button', { class: 'icon-btn', title: 'Send Ctrl-C (SIGINT)', testid: 'terminal-interrupt',
      onclick: () => this.active?.interrupt() }, '⌃C');
    this.empty = h('div', { class: 'terminal-empty muted', testid: 'terminal-empty' },
      readOnly ? 'No terminals yet. Editors can open shells and run the project.' : 'No terminals yet: + opens a shell, Run runs the project.');
    this.panes.append(this.empty);
    this.el = h('div', { class: 'terminal-panel' },
      h('div', { class: 'panel-header' }, h('span', { class: 'panel-title' }, 'Terminals'), this.tabs,
        h('div', { class: 'panel-tools' }, ctrlC, newBtn)),
      this.panes);
    this.observer = new ResizeObserver(() => this.active?.resize());
    this.observer.observe(this.panes);
  }

  // Tabs for the terminals that already exist; connects only the one shown.
  async load(): Promise<void> {
    let list: TerminalInfo[] = [];
    try { list = await api.terminals(this.project); } catch (err) {
      toast(`Cannot list terminals: ${(err as Error).message}`, 'error');
    }
    for (const t of list) this.add(t.id, t.title || t.id, false);
    if (!this.active && this.terminals.size > 0) this.select(this.terminals.values().next().value!);
  }

  async create(): Promise<void> {
    try {
      const { id } = await api.createTerminal(this.project);
      const info = (await api.terminals(this.project).catch(() => [] as TerminalInfo[])).find((t) => t.id === id);
      this.show(id, info?.title || `shell ${id}`);
    } catch (err) {
      toast(`Cannot open a terminal: ${(err as Error).message}`, 'error');
    }
  }

  // Shows terminal `id` (adding its tab if needed). `restart` reattaches after a new process.
  show(id: string, title = id, restart = false): void {
    const existing = this.terminals.get(id);
    const t = existing ?? this.add(id, title, true);
    this.select(t);
    if (restart && existing && !existing.connected) existing.reconnect();
  }

  private add(id: string, title: string, connect: boolean): TerminalTab {
    const existing = this.terminals.get(id);
    if (existing) return existing;
    const t: TerminalTab = new TerminalTab(this.project, id, title, this.readOnly, () => this.select(t), () => this.close(t));
    this.terminals.set(id, t);
    this.tabs.append(t.tab);
    this.panes.append(t.pane);
    t.pane.hidden = true;
    if (connect) t.connect();
    return t;
  }

  private select(t: TerminalTab): void {
    this.active = t;
    this.empty.hidden = true;
    for (const other of this.terminals.values()) {
      other.pane.hidden = other !== t;
      other.tab.classList.toggle('active', other === t);
    }
    t.mount();
    t.connect();
    t.term.focus();
  }

  private close(t: TerminalTab): void {
    this.terminals.delete(t.id);
    t.tab.remove();
    t.pane.remove();
    t.dispose();
    if (this.active === t) {
      this.active = null;
      const next = [...this.terminals.values()].pop();
      if (next) this.select(next); else this.empty.hidden = false;
    }
  }

  destroy(): void {
    this.observer.disconnect();
    for (const t of this.terminals.values()) t.dispose();
  }
}
