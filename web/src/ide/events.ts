// The project event stream ws(s)://HOST/events/{project}, reconnecting with backoff.
import { wsUrl } from '../util';

export type ProjectEvent =
  | { type: 'files' }
  | { type: 'run'; state: 'running' | 'stopped' | 'exited'; code?: number }
  | { type: 'presence'; users: { username: string; display_name: string }[] };

export class EventStream {
  private ws: WebSocket | null = null;
  private retry = 0;
  private timer = 0;
  private closed = false;
  onEvent: (event: ProjectEvent) => void = () => {};
  onStatus: (connected: boolean) => void = () => {};

  constructor(private readonly project: string) {}

  connect(): void {
    if (this.closed) return;
    const ws = new WebSocket(wsUrl(`/events/${encodeURIComponent(this.project)}`));
    this.ws = ws;
    ws.onopen = () => { this.retry = 0; this.onStatus(true); };
    ws.onmessage = (ev) => {
      if (typeof ev.data !== 'string') return;
      try {
        const event = JSON.parse(ev.data);
        if (event && typeof event.type === 'string') this.onEvent(event as ProjectEvent);
      } catch { /* ignore malformed events */ }
    };
    ws.onclose = () => {
      if (this.ws !== ws) return;
      this.onStatus(false);
      if (this.closed) return;
      this.timer = window.setTimeout(() => this.connect(), Math.min(5000, 250 * 2 ** this.retry++));
    };
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.ws?.close();
  }
}
