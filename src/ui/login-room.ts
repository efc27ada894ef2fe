// The login room: name (remembered), password (filled from the advert), the server's fingerprint
// and its trust state. A changed key is a red warning that blocks login until the user types
// "yes" to accept it. The server's errors appear beside the field they concern.

import blessed from 'blessed';
import { userInfo } from 'node:os';
import { ChatClient } from '../client/chat-client.ts';
import { describeTrustState, KnownServers, serverKeyChangedError } from '../client/known-servers.ts';
import { ParlorError } from '../protocol/errors.ts';
import { formatAddress } from '../options.ts';
import { fieldText } from './field.ts';
import { LineEditor } from './line-editor.ts';
import { safeText } from './safe-text.ts';
import { defaultChatName } from '../shared/default-name.ts';
import { safeFold } from './text-layout.ts';
import { rememberName } from '../shared/settings.ts';
import { boxStyle, paint, type Theme } from '../shared/themes.ts';
import type { LoginTarget, UiContext } from './ui-context.ts';

type FieldName = 'name' | 'password' | 'accept';

/** Below this many rows the login form puts its fields above what it says about the server. */
const SHORT_SCREEN_ROWS = 18;

/** Which field an error from login belongs beside; the rest go under the form. */
export function fieldForError(code: string): FieldName | 'form' {
  if (code === 'NAME_TAKEN' || code === 'NAME_RESERVED' || code === 'NAME_INVALID' || code === 'BANNED') return 'name';
  if (code === 'BAD_PASSWORD' || code === 'RATE_LIMITED') return 'password';
  return 'form';
}

export async function loginRoom(ui: UiContext, target: LoginTarget): Promise<ChatClient | 'back'> {
  const { screen, theme } = ui;
  const style = boxStyle(theme);
  const address = formatAddress(target.host, target.port);
  const root = blessed.box({ parent: screen, top: 0, left: 0, width: '100%', height: '100%-1', tags: true, border: { type: 'line' }, label: ' parlor: log in ', style });
  const status = blessed.box({ parent: screen, bottom: 0, left: 0, width: '100%', height: 1, tags: true, style: { ...(theme.statusBg !== undefined && { bg: theme.statusBg }), ...(theme.statusFg !== undefined && { fg: theme.statusFg }) } });

  const editors: Record<FieldName, LineEditor> = { name: new LineEditor(), password: new LineEditor(), accept: new LineEditor() };
  editors.name.set(ui.options.name ?? defaultChatName(ui.settings.names?.[address], userInfo().username));
  editors.password.set(ui.options.password ?? target.password ?? '');
  const errors: Partial<Record<FieldName | 'form', string>> = {};
  // The first field still to fill; with both filled, the name, where Enter logs in at once.
  let focus: FieldName = editors.name.value !== '' && editors.password.value === '' ? 'password' : 'name';
  // The key the server proved in a login that then failed (a wrong password): shown from then on.
  let proven: { fingerprint: string; trust: string } | undefined;
  let busy = false;
  // A changed key found before connecting (from the advert) or by a refused attempt.
  let keyChange: string | undefined;
  let accepted = ui.options.acceptNewKey === true;
  let trust: string;
  if (target.fingerprint !== undefined) {
    const state = new KnownServers(ui.options.configDir).check(address, target.fingerprint);
    trust = state.state === 'known'
      ? state.movedFrom === undefined ? trustText('known') : `${describeTrustState(state)}: the same key as before, at a new address`
      : state.state === 'new' ? trustText('new') : 'CHANGED';
    target.trust = state.state;
    if (state.state === 'changed') keyChange = serverKeyChangedError(state, target.fingerprint, new KnownServers(ui.options.configDir).path).message;
  } else {
    trust = 'checked against your known servers when you log in';
  }

  const draw = () => {
    const width = Math.max(20, Math.min(40, (root.width as number) - 30));
    const line = (label: string, name: FieldName, mask = false) => {
      const error = errors[name];
      const text = fieldText(editors[name], width, focus === name, mask);
      // The focused field: a pointer, its label and brackets in the accent colour, in bold.
      const field = focus === name
        ? `{bold}${paint(theme.accent, `▸ ${label.padEnd(10)} [`)}{/bold}${text}{bold}${paint(theme.accent, ']')}{/bold}`
        : `  ${paint(theme.dim, `${label.padEnd(10)} [`)}${text}${paint(theme.dim, ']')}`;
      // Beside the field when the screen is wide enough, else just under it.
      if (!error) return field;
      if ((root.width as number) - 2 >= 14 + width + 4 + error.length) return `${field}  ${paint(theme.error, '✗ ' + safeText(error))}`;
      // Under the field, folded so that a long reason wraps under itself, not at column 0.
      const room = Math.max(20, (root.width as number) - 2 - 15);
      const folded = safeFold('✗ ' + error, room, room - 2);
      return [field, ...folded.map((part, index) => `             ${index === 0 ? '' : '  '}${paint(theme.error, part)}`)].join('\n');
    };
    const about = [
      `  Server     ${serverLine(target, address, theme)}`,
      `  Key        ${safeText(target.fingerprint ?? proven?.fingerprint ?? '(presented when you connect)')}`,
      `  Trust      ${keyChange ? `{bold}${paint(theme.error, 'KEY CHANGED: see the warning below')}{/bold}` : paint((proven?.trust ?? trust).startsWith('known') ? theme.ok : theme.warning, safeText(proven?.trust ?? trust))}`,
      ...(target.hosted ? [`  Hosting    ${paint(theme.ok, 'this server runs here')}; join password ${paint(theme.mention, safeText(target.hosted.password))}, operator password ${safeText(target.hosted.operatorPassword)}`] : []),
    ];
    const form = [line('Name', 'name'), line('Password', 'password', true)];
    // In a short terminal (a split pane) the fields come first, so that the wrapped lines about
    // the server cannot push them off the bottom.
    const short = (root.height as number) < SHORT_SCREEN_ROWS;
    const lines = short ? ['', ...form, '', ...about, ''] : ['', ...about, '', ...form, ''];
    if (keyChange && !accepted) {
      lines.push(...keyChange.split('\n').filter((l) => l !== '').map((l) => '  ' + `{bold}${paint(theme.error, safeText(l))}{/bold}`), '');
      lines.push(line('Accept?', 'accept') + '  ' + paint(theme.dim, 'type yes to trust the new key'));
    }
    if (errors.form) lines.push('', '  ' + paint(theme.error, safeText(errors.form)));
    if (busy) lines.push('', '  ' + paint(theme.dim, 'connecting…'));
    root.setContent(lines.join('\n'));
    status.setContent(' ' + safeText('Enter log in · Tab next field · Esc back to the server list · Ctrl-C quit'));
    screen.render();
  };

  return new Promise<ChatClient | 'back'>((resolve) => {
    const finish = (result: ChatClient | 'back') => {
      screen.removeListener('keypress', onKey);
      root.destroy();
      status.destroy();
      resolve(result);
    };
    const fields = (): FieldName[] => (keyChange && !accepted ? ['name', 'password', 'accept'] : ['name', 'password']);
    const attempt = async () => {
      for (const key of Object.keys(errors)) delete errors[key as FieldName];
      if (keyChange && !accepted) {
        if (editors.accept.value.trim().toLowerCase() !== 'yes') {
          errors.accept = 'the key changed: type yes here only if its operator confirmed the new key';
          focus = 'accept';
          return draw();
        }
        accepted = true;
      }
      const name = editors.name.value.trim();
      if (name === '') {
        errors.name = 'a name, please';
        return draw();
      }
      busy = true;
      draw();
      try {
        const chat = await ChatClient.connect({
          host: target.host,
          port: target.port,
          configDir: ui.options.configDir,
          identity: ui.identity,
          name,
          password: editors.password.value,
          acceptNewKey: accepted,
          replace: ui.options.replace === true,
          onServerProven: (server) => {
            if (target.fingerprint === undefined) proven = { fingerprint: server.fingerprint, trust: trustText(server.trust) };
          },
          ...((ui.options.fingerprint ?? target.fingerprint) !== undefined && { fingerprint: ui.options.fingerprint ?? target.fingerprint }),
        });
        if (accepted) target.trust = 'new key accepted';
        rememberName(ui.settings, address, chat.name);
        ui.saveSettings();
        finish(chat);
      } catch (error) {
        busy = false;
        const coded = error instanceof ParlorError ? error : new ParlorError('CONNECTION_FAILED', (error as Error).message);
        if (coded.code === 'SERVER_KEY_CHANGED') {
          keyChange = coded.message;
          accepted = false;
          focus = 'accept';
        } else {
          const wait = coded.retryAfterMs !== undefined ? ` (try again in ${Math.ceil(coded.retryAfterMs / 1000)} s)` : '';
          const where = fieldForError(coded.code);
          errors[where] = `${coded.code}: ${coded.message}${wait}`;
          if (where !== 'form') focus = where;
        }
        draw();
      }
    };
    const onKey = (ch: string | undefined, key: { full: string }) => {
      if (busy) return;
      const order = fields();
      if (key.full === 'escape') return finish('back');
      if (key.full === 'tab' || key.full === 'down' || key.full === 'S-tab' || key.full === 'up') {
        const step = key.full === 'tab' || key.full === 'down' ? 1 : -1;
        focus = order[(order.indexOf(focus) + step + order.length) % order.length]!;
        return draw();
      }
      const result = editors[focus].key({ full: key.full, ch });
      if (result.submitted !== undefined) {
        editors[focus].set(result.submitted);
        void attempt();
        return;
      }
      draw();
    };
    screen.on('keypress', onKey);
    draw();
  });
}

/** The server's name and address, or the address alone when the name says no more. */
export function serverLine(target: LoginTarget, address: string, theme: Theme): string {
  const name = target.serverName;
  if (name === undefined || name === '' || name === address || name === target.host) return paint(theme.accent, safeText(address));
  return `${paint(theme.accent, safeText(name))} at ${safeText(address)}`;
}

/** What the handshake found of a server's key, in the words of the login room. */
function trustText(trust: string): string {
  if (trust === 'known') return 'known: you have used this server with this key';
  if (trust === 'new') return 'new: first time here; check the key with the operator';
  return trust;
}
