// The chat room: conversations with unread counts (a nav), the message list (message-list.ts),
// the members with their last-message times, and the input line with history and Tab completion
// (answered by the local process from the same completion code as the terminal's). Files dropped
// or pasted on the conversation are uploaded to the local process, which sends them.

import { inertText } from '../src/shared/inert-text.ts';
import type { ConversationView, PageRequest, WebEntry, WebEvent } from '../src/web/wire.ts';
import { h } from './dom.ts';
import { lastSpoke } from '../src/shared/notices.ts';
import { MessageList } from './message-list.ts';
import { nameColour } from './theme.ts';

type ChatState = Extract<WebEvent, { type: 'chat' }>;
type Completion = Extract<WebEvent, { type: 'completion' }>;

const HISTORY_MAX = 200;

export class ChatRoomView {
  readonly element: HTMLElement;
  readonly list: MessageList;
  private readonly nav: HTMLElement;
  private readonly members: HTMLElement;
  private readonly title: HTMLElement;
  private readonly input: HTMLInputElement;
  private readonly fileInput: HTMLInputElement;
  /** At phone width the conversation list is behind this button: it carries the unread count. */
  private readonly navToggle: HTMLButtonElement;
  private state: ChatState | undefined;
  /** Which conversation the list holds. */
  private shownKey: string | undefined;
  private readonly typed: string[] = [];
  private historyAt = -1;
  private cycle: Completion['cycle'];
  private askedOlder = false;

  constructor(private readonly send: (request: PageRequest) => void) {
    this.list = new MessageList({ transfer: (verb, id) => send({ type: 'transfer', verb, id }) }, () => this.older());
    this.nav = h('ul', { class: 'conversations' });
    this.members = h('ul', { class: 'member-list' });
    this.title = h('h2', { id: 'conversation-title', class: 'conversation-title' });
    this.input = h('input', { id: 'input', class: 'input', autocomplete: 'off', spellcheck: 'true', placeholder: 'Say something; /help lists the commands', 'aria-label': 'Message' });
    this.fileInput = h('input', { type: 'file', id: 'file-pick', class: 'visually-hidden', tabindex: '-1', 'aria-hidden': 'true' });
    this.fileInput.addEventListener('change', () => {
      for (const file of this.fileInput.files ?? []) void this.upload(file);
      this.fileInput.value = '';
    });
    const form = h('form', { class: 'input-row', onsubmit: (event: Event) => {
      event.preventDefault();
      this.submit();
    } }, h('label', { for: 'input', class: 'visually-hidden' }, 'Message'), this.input,
    h('button', { type: 'button', class: 'btn', title: 'Send a file (or drop one on the conversation, or paste it)', onclick: () => this.fileInput.click() }, 'File…'),
    h('button', { type: 'submit', class: 'btn primary' }, 'Send'), this.fileInput);
    this.input.addEventListener('keydown', (event) => this.key(event));
    const navToggle = (this.navToggle = h('button', { type: 'button', class: 'btn toggle', 'aria-controls': 'conversations-panel', 'aria-expanded': 'false' }, 'Rooms'));
    const membersToggle = h('button', { type: 'button', class: 'btn toggle', 'aria-controls': 'members-panel', 'aria-expanded': 'false' }, 'Members');
    const conversation = h('section', { class: 'conversation', 'aria-labelledby': 'conversation-title' },
      h('div', { class: 'conversation-head' }, navToggle, this.title, membersToggle), this.list.element, this.list.jump, form);
    const navPanel = h('nav', { id: 'conversations-panel', class: 'panel side', 'aria-label': 'Conversations' }, h('h2', { class: 'panel-title' }, 'Conversations'), this.nav);
    const membersPanel = h('aside', { id: 'members-panel', class: 'panel side', 'aria-label': 'Members' }, h('h2', { class: 'panel-title' }, 'Members'), this.members);
    const toggle = (button: HTMLElement, panel: HTMLElement) => button.addEventListener('click', () => {
      const open = panel.classList.toggle('open');
      button.setAttribute('aria-expanded', String(open));
    });
    toggle(navToggle, navPanel);
    toggle(membersToggle, membersPanel);
    this.element = h('div', { class: 'room chat' }, navPanel, conversation, membersPanel);
    // A file dragged onto the conversation, or pasted into the page, goes to it.
    conversation.addEventListener('dragover', (event) => {
      event.preventDefault();
      conversation.classList.add('dropping');
    });
    conversation.addEventListener('dragleave', () => conversation.classList.remove('dropping'));
    conversation.addEventListener('drop', (event) => {
      event.preventDefault();
      conversation.classList.remove('dropping');
      for (const file of event.dataTransfer?.files ?? []) void this.upload(file);
    });
    this.input.addEventListener('paste', (event) => {
      const files = [...(event.clipboardData?.files ?? [])];
      if (files.length === 0) return;
      event.preventDefault();
      for (const file of files) void this.upload(file);
    });
  }

  focus(): void {
    this.input.focus();
  }

  setState(state: ChatState): void {
    this.state = state;
    this.nav.replaceChildren(...state.conversations.map((c) => this.conversationItem(c, state.active)));
    const current = state.conversations.find((c) => c.key === state.active);
    this.title.textContent = current ? header(current) : 'no conversation';
    this.members.replaceChildren(...(current?.kind === 'dm'
      ? [h('li', {}, h('span', { class: 'dim' }, 'Direct with '), h('span', { style: `color: ${nameColour(current.name)}` }, inertText(current.name)))]
      : state.members.map((m) => h('li', {}, h('span', { class: 'member-name', style: `color: ${nameColour(m.name)}` }, inertText(m.name)), h('span', { class: 'dim member-said', title: 'last message' }, lastSpoke(m.lastMessageAt))))));
    // An answer to "older" came with this state: if the reader is still at the top, go on.
    if (this.askedOlder) {
      this.askedOlder = false;
      this.list.checkEdges();
    }
    const unread = state.conversations.reduce((sum, c) => sum + c.unread, 0);
    this.navToggle.textContent = unread > 0 ? `Rooms (${unread})` : 'Rooms';
    this.navToggle.classList.toggle('mentioned', state.conversations.some((c) => c.mentioned));
  }

  entries(event: Extract<WebEvent, { type: 'entries' }>): void {
    if (event.mode === 'reset') {
      this.shownKey = event.key;
      this.list.reset(event.entries);
      return;
    }
    if (event.key !== this.shownKey) return;
    if (event.mode === 'append') this.list.append(event.entries);
    else this.list.prepend(event.entries);
  }

  entry(key: string, entry: WebEntry): void {
    if (key === this.shownKey) this.list.update(entry);
  }

  completion(event: Completion): void {
    this.input.value = event.line;
    this.cycle = event.cycle;
  }

  /** The next or previous conversation (Alt-Down, Alt-Up). */
  cycleConversation(step: number): void {
    const list = this.state?.conversations ?? [];
    if (list.length === 0) return;
    const at = Math.max(0, list.findIndex((c) => c.key === this.state?.active));
    this.send({ type: 'select', key: list[(at + step + list.length) % list.length]!.key });
  }

  private conversationItem(c: ConversationView, active: string | undefined): HTMLElement {
    const label = `${c.kind === 'room' ? '#' : '@'}${inertText(c.name)}`;
    const count = c.unread > 0 ? h('span', { class: 'unread', 'aria-label': `${c.unread} unread` }, String(c.unread)) : null;
    return h('li', {}, h('button', {
      type: 'button', class: `conversation-item${c.key === active ? ' active' : ''}${c.mentioned ? ' mentioned' : ''}${c.unread > 0 ? ' has-unread' : ''}`,
      ...(c.key === active && { 'aria-current': 'true' }),
      onclick: () => {
        this.send({ type: 'select', key: c.key });
        document.getElementById('conversations-panel')?.classList.remove('open');
        this.input.focus();
      },
    }, h('span', { class: 'conversation-name' }, label), c.kind === 'room' && c.secret ? h('span', { class: 'badge secret', title: 'end-to-end encrypted' }, 'secret') : null, count));
  }

  private older(): void {
    const current = this.state?.conversations.find((c) => c.key === this.state?.active);
    if (!current?.more || this.askedOlder) return;
    this.askedOlder = true;
    this.send({ type: 'older', key: current.key });
  }

  private submit(): void {
    const text = this.input.value;
    if (text.trim() === '') return;
    this.typed.push(text);
    if (this.typed.length > HISTORY_MAX) this.typed.shift();
    this.historyAt = -1;
    this.cycle = undefined;
    this.input.value = '';
    this.send({ type: 'line', text });
  }

  private key(event: KeyboardEvent): void {
    if (event.key === 'Tab' && !event.shiftKey && this.input.value.trim() !== '') {
      event.preventDefault();
      this.send({ type: 'complete', line: this.input.value, ...(this.cycle && { cycle: this.cycle }) });
      return;
    }
    if (event.key !== 'Tab') this.cycle = undefined;
    if (event.altKey && (event.key === 'ArrowUp' || event.key === 'ArrowDown')) {
      event.preventDefault();
      return this.cycleConversation(event.key === 'ArrowUp' ? -1 : 1);
    }
    if (event.key === 'PageUp' || event.key === 'PageDown') {
      event.preventDefault();
      return this.list.page(event.key === 'PageUp' ? -1 : 1);
    }
    if ((event.key === 'ArrowUp' || event.key === 'ArrowDown') && this.typed.length > 0) {
      event.preventDefault();
      const at = this.historyAt < 0 ? this.typed.length : this.historyAt;
      const next = Math.min(this.typed.length, Math.max(0, at + (event.key === 'ArrowUp' ? -1 : 1)));
      this.historyAt = next === this.typed.length ? -1 : next;
      this.input.value = next === this.typed.length ? '' : this.typed[next]!;
    }
  }

  private async upload(file: File): Promise<void> {
    const current = this.state?.conversations.find((c) => c.key === this.state?.active);
    if (!current) return;
    const query = new URLSearchParams({ [current.kind === 'room' ? 'room' : 'to']: current.name, name: file.name || 'pasted' });
    await fetch(`/upload?${query}`, { method: 'POST', body: file, credentials: 'same-origin' });
  }
}

function header(c: ConversationView): string {
  const title = `${c.kind === 'room' ? '#' : '@'}${inertText(c.name)}`;
  if (c.kind === 'dm') return `${title} · end-to-end`;
  return c.secret ? `${title} · secret, end-to-end` : title;
}
