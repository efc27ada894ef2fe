// The page: one WebSocket to the local parlor process, and the room it says we are in. Nothing
// here holds a key or talks to the chat server; the local process does (src/web).

import type { PageRequest, StatusView, WebEvent } from '../src/web/wire.ts';
import { ChatRoomView } from './chat-room.ts';
import { Connection, type Down } from './connection.ts';
import { byId, h } from './dom.ts';
import { loginRoom, waitingRoom } from './rooms.ts';
import { applyTheme } from './theme.ts';
import { inertText } from '../src/shared/inert-text.ts';

let phase: 'connecting' | 'waiting' | 'login' | 'chat' = 'connecting';
let chat: ChatRoomView | undefined;
let status: StatusView | undefined;
let bell = 'mentions';
let countdown: number | undefined;

const connection = new Connection(onEvent, (open) => {
  document.body.dataset.connected = String(open);
  drawStatus();
});
const send = (request: PageRequest) => connection.send(request);
// Tests and the benchmark read how the page stands from here (never anything secret).
(window as unknown as { parlor: object }).parlor = { get phase() { return phase; }, get rendered() { return chat?.list.rendered ?? 0; }, get total() { return chat?.list.total ?? 0; } };

byId<HTMLSelectElement>('theme').addEventListener('change', (event) => send({ type: 'theme', name: (event.target as HTMLSelectElement).value }));
document.addEventListener('keydown', (event) => {
  if (phase === 'chat' && event.altKey && (event.key === 'ArrowUp' || event.key === 'ArrowDown') && document.activeElement?.id !== 'input') {
    event.preventDefault();
    chat?.cycleConversation(event.key === 'ArrowUp' ? -1 : 1);
  }
});

function show(next: typeof phase, element: HTMLElement): void {
  const view = byId<HTMLElement>('view');
  const same = next === phase;
  // Redrawn rooms keep what the user was typing and where the focus was.
  const focused = same ? document.activeElement?.id : undefined;
  const values = same ? new Map([...view.querySelectorAll('input')].map((i) => [i.id, i.value])) : new Map<string, string>();
  view.replaceChildren(element);
  for (const input of view.querySelectorAll('input')) if (values.has(input.id) && input.type !== 'password') input.value = values.get(input.id)!;
  document.body.dataset.phase = next;
  phase = next;
  // Where the keyboard starts: the field in error, an empty login field, the first server.
  const firsts = ['[aria-invalid="true"]', '.login-form input[value=""]', '.login-form input', '.server', '#address'];
  const target = (focused ? document.getElementById(focused) : null) ?? firsts.map((selector) => view.querySelector<HTMLElement>(selector)).find((e) => e !== null);
  target?.focus();
}

function onEvent(event: WebEvent): void {
  switch (event.type) {
    case 'settings':
      applyTheme(event.theme);
      bell = event.bell;
      return;
    case 'waiting':
      chat = undefined;
      status = undefined;
      show('waiting', waitingRoom(event, send));
      return drawStatus();
    case 'login':
      chat = undefined;
      show('login', loginRoom(event, send));
      return drawStatus();
    case 'chat':
      if (phase !== 'chat' || !chat) {
        chat = new ChatRoomView(send);
        show('chat', chat.element);
        chat.focus();
      }
      chat.setState(event);
      status = event.status;
      document.title = titleWith(event.conversations.reduce((sum, c) => sum + c.unread, 0));
      return drawStatus();
    case 'entries':
      return chat?.entries(event);
    case 'entry':
      return chat?.entry(event.key, event.entry);
    case 'completion':
      return chat?.completion(event);
    case 'notify':
      return notify(event.title, event.body);
    case 'download':
      return download(event.name, event.text);
    case 'open':
      window.open(event.url, '_blank', 'noopener,noreferrer');
      return;
    case 'refused':
      console.warn(`parlor: ${event.code}: ${event.message}`);
  }
}

const DOWN_TEXT: Record<Down, string> = {
  retrying: 'not connected to your parlor process: retrying',
  'not-running': 'your parlor web process is not running: start it again (parlor web), then open the address it prints',
  'other-process': 'this tab belongs to an earlier parlor web: open the address that the running one printed',
};

function titleWith(unread: number): string {
  return unread > 0 ? `(${unread}) parlor` : 'parlor';
}

function drawStatus(): void {
  const line = byId<HTMLElement>('status');
  window.clearInterval(countdown);
  countdown = undefined;
  if (!connection.open) {
    line.replaceChildren(h('span', { class: 'state-bad' }, `✗ ${DOWN_TEXT[connection.down]}`));
    return;
  }
  if (!status) {
    line.replaceChildren(h('span', {}, phase === 'login' ? 'Enter log in · Tab next field' : 'Enter connect · Tab moves between servers and the address field'));
    return;
  }
  const s = status;
  // The mark in the state's colour, the words in the status line's own (readable on any theme).
  const connectionText = s.connection === 'connected' ? h('span', {}, h('span', { class: 'state-ok' }, '●'), ' connected')
    : s.connection === 'reconnecting' ? h('span', {}, h('span', { class: 'state-warn' }, '◌'), ` reconnecting in ${Math.max(0, Math.ceil(((s.reconnectAt ?? Date.now()) - Date.now()) / 1000))} s (attempt ${s.attempt ?? 1})`)
    : h('span', {}, h('span', { class: 'state-bad' }, '✗'), ` disconnected${s.closedReason ? ': ' + s.closedReason : ''}`);
  const t = s.transfers;
  const files = [t.sending > 0 ? `↑${t.sending}` : '', t.receiving > 0 ? `↓${t.receiving}` : '', t.asking > 0 ? `${t.asking} to answer` : ''].filter(Boolean).join(' ');
  line.replaceChildren(connectionText, files ? h('span', { class: 'accent' }, ` · files ${files}`) : '',
    ` · ${inertText(s.name)} @ ${inertText(s.serverName)} ${s.address} · `, h('code', { title: s.fingerprint }, s.fingerprint.slice(0, 15) + '…'), ` (${inertText(s.trust)})`,
    s.hostedPassword !== undefined ? ` · hosting, password ${s.hostedPassword}` : '');
  if (s.connection === 'reconnecting') countdown = window.setInterval(drawStatus, 1000);
}

function notify(title: string, body: string): void {
  if (bell === 'off' || !('Notification' in window)) return;
  if (Notification.permission === 'granted' && document.visibilityState !== 'visible') new Notification(inertText(title), { body: inertText(body) });
  else if (Notification.permission === 'default') void Notification.requestPermission();
}

function download(name: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/plain;charset=utf-8' }));
  const a = h('a', { href: url, download: name, class: 'visually-hidden' });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
