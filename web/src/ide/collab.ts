// Y.Doc + y-websocket provider per room, and the remote-cursor styles drawn from awareness.
import * as Y from 'yjs';
import { WebsocketProvider } from 'y-websocket';
import { readAuthMessage } from 'y-protocols/auth';
import { User } from '../api';
import { colorFor, roomPath, wsUrl } from '../util';

export interface AwarenessUser { name: string; color: string; username: string }

export function awarenessUser(user: User): AwarenessUser {
  return { name: user.display_name || user.username, color: colorFor(user.username), username: user.username };
}

export interface Room {
  doc: Y.Doc;
  provider: WebsocketProvider;
  destroy(): void;
}

// Opens ws(s)://HOST/yjs/{project}/{path}. `path` is a workspace path such as "src/main.py",
// or ".codesphere/project" for the project document.
export function openRoom(project: string, path: string, user: User): Room {
  const doc = new Y.Doc();
  const provider = new WebsocketProvider(wsUrl(`/yjs/${encodeURIComponent(project)}`), roomPath(path), doc, {
    // Every tab goes through the server: no BroadcastChannel shortcut between tabs, so what a
    // tab shows is what the server accepted (a viewer's refused edits never reach other tabs).
    disableBc: true,
    maxBackoffTime: 5000,
  });
  // The server refuses updates it won't apply (a viewer, a path without write access) with the
  // protocol's auth message: surface it as a 'permission-denied' event instead of a console line.
  provider.messageHandlers[2] = (_encoder, decoder, p) => {
    readAuthMessage(decoder, p.doc, (_doc, reason) => p.emit('permission-denied', [reason]));
  };
  provider.awareness.setLocalStateField('user', awarenessUser(user));
  const cursors = new CursorStyles(provider);
  return {
    doc,
    provider,
    destroy() {
      cursors.destroy();
      provider.awareness.setLocalState(null);
      provider.destroy();
      doc.destroy();
    },
  };
}

// y-monaco marks remote selections with the classes yRemoteSelection-{clientID} and
// yRemoteSelectionHead-{clientID}; this keeps one <style> rule set per remote client, coloured
// and labelled from that client's awareness `user`.
class CursorStyles {
  private readonly style = document.createElement('style');
  private readonly onChange = () => this.render();

  constructor(private readonly provider: WebsocketProvider) {
    document.head.append(this.style);
    provider.awareness.on('change', this.onChange);
    this.render();
  }

  private render(): void {
    const rules: string[] = [];
    const own = this.provider.awareness.clientID;
    this.provider.awareness.getStates().forEach((state, clientID) => {
      if (clientID === own) return;
      const user = state.user as Partial<AwarenessUser> | undefined;
      const color = safeColor(user?.color ?? '#888888');
      const name = JSON.stringify(String(user?.name ?? 'anonymous')).replace(/</g, '\\3c ');
      rules.push(
        `.yRemoteSelection-${clientID} { background-color: ${color}44; }`,
        `.yRemoteSelectionHead-${clientID} { border-left: 2px solid ${color}; }`,
        `.yRemoteSelectionHead-${clientID}::after { content: ${name}; background: ${color}; }`,
      );
    });
    this.style.textContent = rules.join('\n');
  }

  destroy(): void {
    this.provider.awareness.off('change', this.onChange);
    this.style.remove();
  }
}

function safeColor(color: string): string {
  return /^#[0-9a-fA-F]{6}$/.test(color) ? color : '#888888';
}
