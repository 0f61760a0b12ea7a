// Project chat: the Y.Array "chat" of {user, text, ts} in the project document.
import * as Y from 'yjs';
import { formatTime, h, colorFor } from '../util';

interface Message { user: string; text: string; ts: number }

export class ChatPanel {
  readonly el: HTMLElement;
  private readonly list = h('div', { class: 'chat-messages', testid: 'chat-messages', 'aria-live': 'polite' });
  private readonly chat: Y.Array<Message>;

  constructor(doc: Y.Doc, private readonly user: string, canWrite: boolean,
              private readonly nameOf: (username: string) => string = (u) => u) {
    this.chat = doc.getArray<Message>('chat');
    const input = h('input', {
      class: 'chat-input', testid: 'chat-input', maxLength: 2000, autocomplete: 'off',
      placeholder: canWrite ? 'Message the project…' : 'Viewers can read the chat only', disabled: !canWrite,
    });
    const form = h('form', { class: 'chat-form', testid: 'chat-form' }, input,
      h('button', { type: 'submit', class: 'btn btn-small btn-primary', testid: 'chat-send', disabled: !canWrite }, 'Send'));
    form.addEventListener('submit', (e) => {
      e.preventDefault();
      const text = input.value.trim();
      if (!text) return;
      this.chat.push([{ user: this.user, text, ts: Date.now() }]);
      input.value = '';
    });
    this.el = h('div', { class: 'chat-panel' },
      h('div', { class: 'panel-header' }, h('span', { class: 'panel-title' }, 'Chat')), this.list, form);
    this.chat.observe(() => this.render());
    this.render();
  }

  render(): void {
    const atBottom = this.list.scrollHeight - this.list.scrollTop - this.list.clientHeight < 40;
    const messages = this.chat.toArray().filter((m) => m && typeof m.text === 'string');
    this.list.replaceChildren(...messages.map((m) =>
      h('div', { class: `chat-message${m.user === this.user ? ' own' : ''}`, testid: 'chat-message', dataset: { user: String(m.user) } },
        h('div', { class: 'chat-meta' },
          h('span', { class: 'chat-user', style: { color: colorFor(String(m.user)) }, title: String(m.user) }, this.nameOf(String(m.user))),
          h('span', { class: 'muted' }, formatTime(Number(m.ts)))),
        h('div', { class: 'chat-text' }, m.text))));
    if (messages.length === 0) this.list.append(h('div', { class: 'muted chat-empty' }, 'No messages yet.'));
    if (atBottom) this.list.scrollTop = this.list.scrollHeight;
  }
}
