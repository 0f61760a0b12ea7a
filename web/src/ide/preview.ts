// Live preview: an iframe on the project's preview URL http://{project}.localhost:PORT/.
import { h } from '../util';

export function previewUrl(project: string): string {
  // A project id that is no DNS label can't be a subdomain: use the path form instead.
  if (!/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i.test(project)) {
    return `${location.origin}/preview/${encodeURIComponent(project)}/`;
  }
  const host = location.hostname;
  // *.localhost resolves to loopback in browsers, so a local server needs no DNS; behind a real
  // host name, previews live on its subdomains.
  const isLocal = host === 'localhost' || /^[0-9.]+$/.test(host) || host.startsWith('[') || host.endsWith('.localhost');
  const base = isLocal ? 'localhost' : host;
  const port = location.port ? `:${location.port}` : '';
  return `${location.protocol}//${project}.${base}${port}/`;
}

export class PreviewPane {
  readonly el: HTMLElement;
  private readonly frame: HTMLIFrameElement;
  private readonly url: string;
  private loaded = false;

  constructor(project: string) {
    this.url = previewUrl(project);
    // The preview runs on its own origin ({project}.localhost), so it cannot reach the IDE's
    // cookies or DOM; no sandbox attribute, so apps behave as in a tab of their own.
    this.frame = h('iframe', { class: 'preview-frame', testid: 'preview-iframe', title: 'Preview' });
    const address = h('input', { class: 'preview-url', readOnly: true, value: this.url, testid: 'preview-url' });
    this.el = h('div', { class: 'preview-panel' },
      h('div', { class: 'panel-header' },
        h('span', { class: 'panel-title' }, 'Preview'),
        address,
        h('div', { class: 'panel-tools' },
          h('button', { class: 'icon-btn', title: 'Reload', testid: 'preview-reload', onclick: () => this.reload() }, '↻'),
          h('a', { class: 'icon-btn', title: 'Open in a new tab', testid: 'preview-open', href: this.url, target: '_blank', rel: 'noopener' }, '↗'))),
      this.frame);
  }

  reload(): void {
    this.loaded = true;
    // Re-assigning src reloads even a cross-origin frame.
    this.frame.src = this.url;
  }

  // Loads the preview the first time (or again when `force`).
  show(force = false): void {
    if (!this.loaded || force) this.reload();
  }
}
