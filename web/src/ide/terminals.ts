// Terminal tabs: xterm.js views of the project's terminals over /pty/{project}/{terminal}.
import { Terminal } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import { api, TerminalInfo } from '../api';
import { h, toast, wsUrl } from '../util';
import { inputMessage, parseEvent, resizeMessage, signalMessage } from './ptyproto';

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
  private readonly label: HTMLElement;
  private ws: WebSocket | null = null;
  private exited = false;
  private detached = false;
  // After a detach (the session was closed, e.g. replaced by a new run) the tab attaches once
  // more; if that finds no session either, it stays closed.
  private reattach = false;
  private reattaching = false;
  private writer: boolean;
  private retry = 0;
  private retryTimer = 0;
  private closed = false;
  private readonly encoder = new TextEncoder();

  constructor(private readonly project: string, readonly id: string, title: string, private readonly readOnly: boolean,
              onSelect: () => void, onClose: () => void) {
    this.writer = !readOnly;
    this.term = new Terminal({
      theme: THEME, fontSize: 13, cursorBlink: true, scrollback: 5000,
      disableStdin: readOnly, fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, "DejaVu Sans Mono", monospace',
    });
    this.term.loadAddon(this.fit);
    this.pane = h('div', { class: 'terminal-pane', testid: 'terminal', dataset: { terminal: id } });
    this.label = h('span', { class: 'tab-label' }, title);
    this.tab = h('div', { class: 'tab', role: 'tab', testid: 'terminal-tab', dataset: { terminal: id }, onclick: onSelect },
      h('span', { class: 'tab-status' }),
      this.label,
      h('button', { class: 'tab-close', title: 'Close tab (the terminal keeps running)', testid: 'terminal-tab-close',
        onclick: (e: Event) => { e.stopPropagation(); onClose(); } }, '×'));
    this.term.onData((data) => {
      if (this.exited || this.detached) {
        // After the program ended, Enter attaches again (the server may start a new one).
        if (data === '\r' && this.id !== 'run') this.reconnect();
        return;
      }
      this.send(inputMessage(this.encoder.encode(data)));
    });
    this.term.onBinary((data) => this.send(inputMessage(Uint8Array.from(data, (c) => c.charCodeAt(0)))));
  }

  mount(): void {
    if (!this.term.element) this.term.open(this.pane);
    this.resize();
  }

  // Asks the server for the size that fits the pane (the most recently active writer's size
  // wins); the terminal follows the server's answer. Offline, it just fits the pane.
  resize(): void {
    if (this.pane.offsetWidth === 0 || this.pane.offsetHeight === 0) return;
    const dims = this.fit.proposeDimensions();
    if (!dims || !(dims.cols > 0) || !(dims.rows > 0)) return;
    if (this.connected && this.writer) {
      this.sendText(resizeMessage(dims.cols, dims.rows));
    } else if (!this.connected) {
      try { this.fit.fit(); } catch { /* not visible */ }
    }
  }

  get connected(): boolean { return this.ws?.readyState === WebSocket.OPEN; }

  connect(): void {
    if (this.closed || (this.ws && this.ws.readyState <= WebSocket.OPEN)) return;
    clearTimeout(this.retryTimer);
    const dims = this.fit.proposeDimensions();
    const cols = dims && dims.cols > 0 ? dims.cols : this.term.cols;
    const rows = dims && dims.rows > 0 ? dims.rows : this.term.rows;
    const role = this.readOnly ? '&role=read-only' : '';
    const ws = new WebSocket(wsUrl(`/pty/${encodeURIComponent(this.project)}/${encodeURIComponent(this.id)}?cols=${cols}&rows=${rows}${role}`));
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    this.setStatus('connecting');
    ws.onopen = () => {
      this.retry = 0;
      this.setStatus('connected');
      this.resize();
    };
    ws.onmessage = (ev) => {
      if (typeof ev.data !== 'string') {
        this.term.write(new Uint8Array(ev.data as ArrayBuffer));
        return;
      }
      const msg = parseEvent(ev.data);
      if (!msg) return;
      switch (msg.type) {
        case 'attach':
          // The scrollback replay follows: start from a clean screen.
          this.term.reset();
          this.exited = false;
          this.detached = false;
          this.reattaching = false;
          this.writer = !this.readOnly && msg.role !== 'read-only';
          this.term.options.disableStdin = !this.writer;
          if (msg.title) this.label.textContent = msg.title;
          if (msg.cols && msg.rows) this.term.resize(msg.cols, msg.rows);
          this.setStatus('connected');
          break;
        case 'resize':
          if (msg.cols > 0 && msg.rows > 0) this.term.resize(msg.cols, msg.rows);
          break;
        case 'exit': {
          this.exited = true;
          const how = msg.signal ? `killed by signal ${msg.signal}` : `exited with code ${msg.code ?? 0}`;
          this.term.write(`\r\n\x1b[2m[process ${how}${this.writer && this.id !== 'run' ? '; press Enter to attach again' : ''}]\x1b[0m\r\n`);
          this.setStatus('exited');
          break;
        }
        case 'error':
          this.term.write(`\r\n\x1b[31m[${msg.message ?? msg.code ?? 'error'}]\x1b[0m\r\n`);
          break;
        case 'detach':
          this.detached = true;
          this.reattach = !this.reattaching;
          this.term.write('\r\n\x1b[2m[terminal closed]\x1b[0m\r\n');
          this.setStatus('exited');
          ws.close();
          break;
      }
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.closed) return;
      if (this.reattach) {
        this.reattach = false;
        this.reattaching = true;
        this.connect();
        return;
      }
      if (this.reattaching) { this.reattaching = false; this.detached = true; }
      if (this.exited || this.detached) { this.setStatus('exited'); return; }
      this.setStatus('disconnected');
      // Reconnect with backoff; the server replays the scrollback on attach.
      const delay = Math.min(5000, 250 * 2 ** this.retry++);
      this.retryTimer = window.setTimeout(() => this.connect(), delay);
    };
  }

  // Attaches again, e.g. after the program behind the terminal ended and a new run started.
  reconnect(): void {
    this.exited = false;
    this.detached = false;
    if (this.ws) { const old = this.ws; this.ws = null; old.close(); }
    this.connect();
  }

  get ended(): boolean { return this.exited || this.detached; }

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
      onclick: () => { this.active?.interrupt(); this.active?.term.focus(); } }, '⌃C');
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
    if (restart && existing && (existing.ended || !existing.connected)) existing.reconnect();
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
