// Live preview: an iframe on the project's preview URL http://{project}.localhost:PORT/.
// Previews are for members (unless the owner made them public): before loading, the pane asks
// the API for a short-lived preview token and appends it as ?cs_preview=; the server trades it
// for a cookie on the preview origin, so the app's own requests and WebSockets need nothing.
import { api } from '../api';
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

// Tokens in URLs live 10 minutes on the server; fetch a new one well before.
const TOKEN_REUSE_MS = 4 * 60 * 1000;

export class PreviewPane {
  readonly el: HTMLElement;
  private readonly frame: HTMLIFrameElement;
  private readonly open: HTMLAnchorElement;
  private readonly url: string;
  private loaded = false;
  private tokenUrl = '';
  private tokenAt = 0;

  constructor(private readonly project: string, opts: { owner?: boolean; isPublic?: boolean } = {}) {
    this.url = previewUrl(project);
    // The preview runs on its own origin ({project}.localhost), so it cannot reach the IDE's
    // cookies or DOM; no sandbox attribute, so apps behave as in a tab of their own.
    this.frame = h('iframe', { class: 'preview-frame', testid: 'preview-iframe', title: 'Preview' });
    const address = h('input', { class: 'preview-url', readOnly: true, value: this.url, testid: 'preview-url' });
    this.open = h('a', { class: 'icon-btn', title: 'Open in a new tab', testid: 'preview-open', href: this.url,
      target: '_blank', rel: 'noopener', onclick: (e: MouseEvent) => this.openInTab(e) }, '↗') as HTMLAnchorElement;
    const tools: HTMLElement[] = [
      h('button', { class: 'icon-btn', title: 'Reload', testid: 'preview-reload', onclick: () => this.reload() }, '↻'),
      this.open,
    ];
    if (opts.owner) {
      // The owner may publish the preview: anyone with the URL can then load it.
      const toggle = h('input', { type: 'checkbox', checked: !!opts.isPublic, testid: 'preview-public' }) as HTMLInputElement;
      toggle.addEventListener('change', async () => {
        toggle.disabled = true;
        try {
          const p = await api.setPublicPreview(this.project, toggle.checked);
          toggle.checked = !!p.public_preview;
        } catch {
          toggle.checked = !toggle.checked;
        } finally {
          toggle.disabled = false;
        }
      });
      tools.unshift(h('label', { class: 'preview-public', title: 'Anyone with the URL can open the preview' }, toggle, 'public'));
    }
    this.el = h('div', { class: 'preview-panel' },
      h('div', { class: 'panel-header' },
        h('span', { class: 'panel-title' }, 'Preview'),
        address,
        h('div', { class: 'panel-tools' }, ...tools)),
      this.frame);
  }

  // The preview URL with a fresh token (or the plain URL if the API refuses one).
  private async authorizedUrl(): Promise<string> {
    if (this.tokenUrl && Date.now() - this.tokenAt < TOKEN_REUSE_MS) return this.tokenUrl;
    try {
      const { token } = await api.previewToken(this.project);
      this.tokenUrl = `${this.url}?cs_preview=${encodeURIComponent(token)}`;
      this.tokenAt = Date.now();
      this.open.href = this.tokenUrl;
      return this.tokenUrl;
    } catch {
      return this.url;
    }
  }

  private openInTab(e: MouseEvent): void {
    if (this.tokenUrl && Date.now() - this.tokenAt < TOKEN_REUSE_MS) return;  // the href is fresh
    e.preventDefault();
    void this.authorizedUrl().then((url) => window.open(url, '_blank', 'noopener'));
  }

  async reload(): Promise<void> {
    this.loaded = true;
    // Re-assigning src reloads even a cross-origin frame.
    this.frame.src = await this.authorizedUrl();
  }

  // Loads the preview the first time (or again when `force`).
  show(force = false): void {
    if (!this.loaded || force) void this.reload();
  }
}
