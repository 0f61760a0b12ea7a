// Who is here: the union of the server's presence events and the awareness states of the
// project document (which also tell which file each person has open).
import { Awareness } from 'y-protocols/awareness';
import { colorFor, h, initials } from '../util';

interface Person { username: string; name: string; color: string; file?: string; self: boolean }

export class PresenceList {
  readonly el = h('div', { class: 'presence', testid: 'presence-list', 'aria-label': 'People in this project' });
  private serverUsers: { username: string; display_name: string }[] = [];
  // Display names seen so far (present or not), for the chat.
  private readonly names = new Map<string, string>();
  onChange: () => void = () => {};

  nameOf(username: string): string { return this.names.get(username) ?? username; }

  constructor(private readonly awareness: Awareness, private readonly me: string) {
    awareness.on('change', () => this.render());
    this.render();
  }

  setServerUsers(users: { username: string; display_name: string }[]): void {
    this.serverUsers = users;
    this.render();
  }

  private render(): void {
    const people = new Map<string, Person>();
    for (const u of this.serverUsers) {
      people.set(u.username, { username: u.username, name: u.display_name || u.username, color: colorFor(u.username), self: u.username === this.me });
    }
    this.awareness.getStates().forEach((state) => {
      const user = state.user as { username?: string; name?: string; color?: string } | undefined;
      if (!user?.username) return;
      const prev = people.get(user.username);
      people.set(user.username, {
        username: user.username,
        name: user.name || prev?.name || user.username,
        color: user.color || colorFor(user.username),
        file: typeof state.file === 'string' ? state.file : prev?.file,
        self: user.username === this.me,
      });
    });
    let changed = false;
    for (const p of people.values()) {
      if (this.names.get(p.username) !== p.name) { this.names.set(p.username, p.name); changed = true; }
    }
    if (changed) this.onChange();
    const sorted = [...people.values()].sort((a, b) => Number(b.self) - Number(a.self) || a.name.localeCompare(b.name));
    this.el.replaceChildren(...sorted.map((p) =>
      h('span', {
        class: `avatar${p.self ? ' avatar-self' : ''}`, testid: 'presence-user',
        dataset: { username: p.username }, style: { background: p.color },
        title: `${p.name}${p.self ? ' (you)' : ''}${p.file ? ` — ${p.file}` : ''}`,
      }, initials(p.name))));
  }
}
