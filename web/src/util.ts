// Small DOM and formatting helpers shared by every page.

type Child = Node | string | number | null | undefined | false;
type Attrs = Record<string, unknown>;

// h('div', {class: 'x', testid: 'y', onclick: fn}, child, ...) builds an element.
// `testid` becomes data-testid; `on*` functions become listeners; `dataset` keys become data-*;
// other values are set as properties when the element has one (value, checked, disabled...),
// otherwise as attributes.
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === 'testid') {
      el.dataset.testid = String(value);
    } else if (key === 'class') {
      el.className = String(value);
    } else if (key === 'dataset') {
      for (const [k, v] of Object.entries(value as Record<string, string>)) el.dataset[k] = v;
    } else if (key === 'style' && typeof value === 'object') {
      Object.assign(el.style, value);
    } else if (key.startsWith('on') && typeof value === 'function') {
      el.addEventListener(key.slice(2), value as EventListener);
    } else if (key in el && typeof value !== 'string') {
      (el as unknown as Record<string, unknown>)[key] = value;
    } else if (key === 'value' || key === 'title' || key === 'placeholder') {
      (el as unknown as Record<string, unknown>)[key] = value;
    } else {
      el.setAttribute(key, value === true ? '' : String(value));
    }
  }
  append(el, ...children);
  return el;
}

export function append(el: Element, ...children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function clear(el: Element): void {
  while (el.firstChild) el.removeChild(el.firstChild);
}

// A stable colour per user name, so everyone sees the same person in the same colour.
const PALETTE = [
  '#f97316', '#22c55e', '#3b82f6', '#e11d48', '#a855f7', '#eab308',
  '#14b8a6', '#ec4899', '#06b6d4', '#f59e0b', '#6366f1', '#f472b6',
];

export function colorFor(name: string): string {
  let hash = 2166136261;
  for (let i = 0; i < name.length; i++) {
    hash ^= name.charCodeAt(i);
    hash = Math.imul(hash, 16777619);
  }
  return PALETTE[(hash >>> 0) % PALETTE.length];
}

export function initials(name: string): string {
  const parts = name.trim().split(/[\s._-]+/).filter(Boolean);
  const letters = parts.length >= 2 ? parts[0][0] + parts[1][0] : name.slice(0, 2);
  return letters.toUpperCase();
}

// ws:// or wss:// URL on this origin for a server path such as /events/p1.
export function wsUrl(path: string): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}${path}`;
}

// Encodes a workspace path segment by segment, keeping the slashes.
export function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

// The canonical room name of a workspace path (docs/platform.md, File rooms): every byte but
// [A-Za-z0-9-._~] of each segment percent-encoded with upper-case hex. The server refuses any
// other spelling, so each file has exactly one room.
export function roomPath(path: string): string {
  return path.split('/').filter((s) => s !== '' && s !== '.').map((s) =>
    encodeURIComponent(s).replace(/[!'()*]/g, (c) => '%' + c.charCodeAt(0).toString(16).toUpperCase())).join('/');
}

export function formatTime(ts: number): string {
  const d = new Date(ts);
  return d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
}

export function formatDate(value: string | number): string {
  const d = typeof value === 'number' ? new Date(value < 1e12 ? value * 1000 : value) : new Date(value);
  if (Number.isNaN(d.getTime())) return String(value);
  return d.toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
}

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

// Transient message in the bottom corner.
export function toast(message: string, kind: 'info' | 'error' = 'info'): void {
  let box = document.getElementById('toasts');
  if (!box) {
    box = h('div', { id: 'toasts', class: 'toasts' });
    document.body.append(box);
  }
  const item = h('div', { class: `toast toast-${kind}`, testid: 'toast', role: 'status' }, message);
  box.append(item);
  setTimeout(() => item.remove(), kind === 'error' ? 6000 : 3000);
}
