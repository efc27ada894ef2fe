// The waiting room: an animation while discovery looks (the original ChatRoom showed waiting.gif),
// servers listed live as they answer with their users, fingerprint and trust state, a field for a
// manual HOST:PORT, retry, and "host a server here". When nothing answers it shows discovery's
// own hints. It resolves with the server to log in to.

import blessed from 'blessed';
import { describeTrustState, KnownServers } from '../client/known-servers.ts';
import { DEFAULT_DISCOVERY_PORT } from '../discovery/datagrams.ts';
import { discoverServers, type ProbeTarget } from '../discovery/discover.ts';
import { DiscoveredChats } from '../shared/discovered-chats.ts';
import { noServerHints } from '../discovery/hints.ts';
import { formatAddress, parseServerAddress } from '../options.ts';
import { fieldText } from './field.ts';
import { startHostedServer } from '../shared/host-server.ts';
import { LineEditor } from './line-editor.ts';
import { safeText } from './safe-text.ts';
import { safeFold } from './text-layout.ts';
import { boxStyle, paint } from '../shared/themes.ts';
import type { LoginTarget, UiContext } from './ui-context.ts';

/**
 * The waiting animation: a laptop sending rings of probes across the network, frame by frame;
 * `frame` undefined is the still picture once the search has finished (no rings, no spinner).
 */
export function waitingFrame(frame: number | undefined, width: number): string[] {
  const lane = Math.max(10, width - 16);
  const wave = [...' '.repeat(lane)];
  if (frame !== undefined) for (let at = frame % 4; at < lane; at += 4) wave[at] = at % 8 === frame % 8 ? ')' : '·';
  const spinner = frame === undefined ? '✓' : '⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏'[frame % 10];
  return [
    ' ┌────┐' + ' '.repeat(lane + 3) + '┌──┐',
    ` │ >_ │ ${wave.join('')}  │${spinner} │`,
    ' └┬──┬┘' + ' '.repeat(lane + 3) + '└──┘',
    '  ▔▔▔▔ ',
  ];
}


export async function waitingRoom(ui: UiContext): Promise<LoginTarget> {
  const { screen, theme } = ui;
  const style = boxStyle(theme);
  const root = blessed.box({ parent: screen, top: 0, left: 0, width: '100%', height: '100%-1', tags: true, style });
  const banner = blessed.box({ parent: root, top: 0, left: 0, width: '100%', height: 7, tags: true, border: { type: 'line' }, label: ' parlor: looking for servers ', style });
  const list = blessed.list({
    parent: root, top: 7, left: 0, width: '100%', height: '100%-10', tags: true, border: { type: 'line' }, label: ' Servers on this network ', keys: false, mouse: ui.options.mouse,
    style: { ...(style as object), selected: { ...(theme.selectedBg !== undefined && { bg: theme.selectedBg }), bold: true }, item: style.fg !== undefined ? { fg: style.fg } : {} },
  });
  const hints = blessed.box({ parent: list, top: 0, left: 0, width: '100%-2', height: '100%-2', tags: true, hidden: true, style, scrollable: true });
  const address = blessed.box({ parent: root, bottom: 0, left: 0, width: '100%', height: 3, tags: true, border: { type: 'line' }, label: ' Or type an address (HOST:PORT) ', style });
  const status = blessed.box({ parent: screen, bottom: 0, left: 0, width: '100%', height: 1, tags: true, style: { ...(theme.statusBg !== undefined && { bg: theme.statusBg }), ...(theme.statusFg !== undefined && { fg: theme.statusFg }) } });

  const known = new KnownServers(ui.options.configDir);
  // One row per chat: the servers of one chat (same chat id and key) are one row, with their addresses.
  const found = new DiscoveredChats();
  const servers = found.chats;
  const editor = new LineEditor();
  let focus: 'list' | 'address' = 'list';
  // True from the first frame: the search starts right after it, and "Search finished" must not flash first.
  let searching = true;
  let frame = 0;
  let message = '';
  let generation = 0;
  let busy = false;

  const keys = () => 'Enter connect · Tab address field · r retry · h host a server here · q quit';
  const draw = () => {
    const width = (banner.width as number) - 2;
    const art = waitingFrame(searching ? frame : undefined, Math.min(width, 60));
    const line = searching ? `Looking for parlor servers on your network… ${servers.length} found` : `Search finished: ${servers.length} server${servers.length === 1 ? '' : 's'} found. Press r to look again.`;
    // A message (a server that could not start, a bad address) in full, in place of the picture.
    const said = message === '' ? [] : safeFold(message, width - 1).slice(0, 5);
    const picture = [...art.map((l) => paint(theme.accent, l)), paint(theme.dim, line)].slice(0, 5 - said.length);
    banner.setContent([...picture, ...said.map((l) => paint(message.startsWith('starting') ? theme.dim : theme.error, l))].join('\n'));
    const rows = servers.map((server) => {
      const where = formatAddress(server.host, server.port);
      // A chat on several servers: its first address, "+N" beside it, and the others at the end of the row.
      const others = server.addresses.slice(1).map((a) => a.address);
      const shown = others.length === 0 ? where : `${where} +${others.length}`;
      const more = others.length === 0 ? '' : paint(theme.dim, ` · also ${safeText(others.join(', '))}`);
      const state = known.check(where, server.fingerprint);
      const label = describeTrustState(state);
      const trust = state.state === 'changed' ? `{bold}${paint(theme.error, label)}{/bold}` : paint(state.state === 'known' ? theme.ok : theme.warning, safeText(label));
      const users = server.users === undefined ? '' : `${server.users} online`;
      const ssh = server.sshPort === undefined ? '' : paint(theme.dim, ` · ssh -p ${server.sshPort}`);
      return `${safeText(server.name).padEnd(16).slice(0, 24)} ${shown.padEnd(21)} ${users.padEnd(9)} ${safeText(shortFingerprint(server.fingerprint))} ${trust}${ssh}${more}`;
    });
    list.setItems(rows as unknown as blessed.Widgets.BlessedElement[]);
    address.setContent(fieldText(editor, (address.width as number) - 3, focus === 'address'));
    address.style.border = { ...style.border, ...(focus === 'address' && theme.accent !== undefined && { fg: theme.accent }) };
    list.style.border = { ...style.border, ...(focus === 'list' && theme.accent !== undefined && { fg: theme.accent }) };
    status.setContent(' ' + safeText(keys()));
    screen.render();
  };

  const search = async () => {
    const mine = ++generation;
    found.clear();
    hints.hide();
    searching = true;
    const targets: ProbeTarget[] = [];
    const timeoutMs = ui.options.discovery.timeoutMs ?? 3000;
    try {
      for await (const server of discoverServers(ui.options.discovery, targets)) {
        if (mine !== generation) return;
        // A later, richer answer (the users online, after mDNS answered first), or another server
        // of the same chat, updates its row.
        found.add(server);
        draw();
      }
    } catch (error) {
      message = `discovery failed: ${(error as Error).message}`;
    }
    if (mine !== generation) return;
    searching = false;
    if (servers.length === 0) {
      hints.setContent(safeText(noServerHints(targets, { timeoutMs, discoveryPort: ui.options.discovery.discoveryPort ?? DEFAULT_DISCOVERY_PORT }).join('\n'), { keepNewlines: true }));
      hints.show();
    }
    draw();
  };

  const animation = setInterval(() => {
    if (!searching) return;
    frame++;
    draw();
  }, 120);

  return new Promise<LoginTarget>((resolve) => {
    const finish = (target: LoginTarget) => {
      generation++;
      clearInterval(animation);
      screen.removeListener('keypress', onKey);
      root.destroy();
      status.destroy();
      resolve(target);
    };
    const host = async () => {
      if (busy) return;
      busy = true;
      message = 'starting a server here…';
      draw();
      try {
        const hosted = await startHostedServer(ui.options.hosting);
        finish({ host: hosted.host, port: hosted.port, fingerprint: hosted.fingerprint, serverName: hosted.name, password: hosted.password, hosted });
      } catch (error) {
        busy = false;
        message = `could not start a server: ${(error as Error).message}`;
        draw();
      }
    };
    const onKey = (ch: string | undefined, key: { full: string }) => {
      if (busy) return;
      if (key.full === 'tab' || key.full === 'S-tab') {
        focus = focus === 'list' ? 'address' : 'list';
        return draw();
      }
      if (focus === 'address') {
        if (key.full === 'escape') {
          focus = 'list';
          return draw();
        }
        const result = editor.key({ full: key.full, ch });
        if (result.submitted !== undefined) {
          try {
            const { host, port } = parseServerAddress(result.submitted.trim());
            return finish({ host, port });
          } catch (error) {
            message = (error as Error).message;
            editor.set(result.submitted);
          }
        }
        return draw();
      }
      switch (key.full) {
        case 'up':
        case 'k':
          list.up(1);
          return draw();
        case 'down':
        case 'j':
          list.down(1);
          return draw();
        case 'enter': {
          const server = servers[(list as unknown as { selected: number }).selected];
          if (server) finish({ host: server.host, port: server.port, fingerprint: server.fingerprint, serverName: server.name, ...(server.password !== undefined && { password: server.password }) });
          return;
        }
        case 'r':
          message = '';
          void search();
          return draw();
        case 'h':
          void host();
          return;
        case 'q':
          ui.quit(0);
      }
    };
    screen.on('keypress', onKey);
    draw();
    void search();
  });
}

/** SHA256: and the first 12 characters: enough to tell keys apart on a line; the login room shows all. */
export function shortFingerprint(fingerprint: string): string {
  return fingerprint.length > 19 ? fingerprint.slice(0, 19) + '…' : fingerprint;
}
