// What a line typed in the web page does: parsed by the same parseChatLine as the terminal UI's
// (src/shared/slash-commands.ts), so every /command, alias and `!` command means the same thing,
// then run against ChatClient here in the local process. Results and errors go to the
// conversation on screen with their stable codes.

import { openLink } from '../client/open-link.ts';
import { saveReceivedImage } from '../client/received-images.ts';
import type { BotReply } from '../protocol/messages.ts';
import { formatExport, stamp } from '../shared/export.ts';
import { joinedText } from '../shared/notices.ts';
import { sayIn, sayInRoom, sayTo } from '../shared/own-messages.ts';
import { answerBell } from '../shared/settings.ts';
import { runTypedLine } from '../shared/typed-line.ts';
import { helpLines, type ChatAction } from '../shared/slash-commands.ts';
import { isThemeName, THEME_NAMES } from '../shared/themes.ts';
import { conversationTitle, roomKey } from '../shared/conversations.ts';
import type { WebChat } from './web-chat.ts';

export function runWebLine(room: WebChat, line: string): Promise<void> {
  return runTypedLine(line, {
    chat: room.chat,
    context: () => ({ current: room.current(), knownUsers: room.knownUsers, knownRooms: room.knownRooms }),
    notice: (text, tone) => room.notice(text, tone),
    run: (action) => run(room, action),
  });
}

async function run(room: WebChat, action: ChatAction): Promise<void> {
  const { chat, session } = room;
  const current = room.current();
  switch (action.kind) {
    case 'say': {
      if (!current) return room.notice('join a room first: /join ROOM', 'error');
      return sayIn(room, current, action.text);
    }
    case 'dm':
      return room.select(await sayTo(room, action.to, action.text));
    case 'group':
      return sayInRoom(room, action.room, action.text);
    case 'join':
    case 'create': {
      await room.openRoom(action.room, action.password, action.kind === 'create', action.kind === 'create' && action.secret === true);
      const joined = room.current();
      return room.notice(joinedText(action.kind === 'create', joined?.name ?? action.room, joined?.secret === true), 'join');
    }
    case 'leave': {
      const target = action.room !== undefined ? room.model.get(roomKey(action.room)) : current;
      if (!target) return room.notice('not in that room', 'error');
      if (target.kind === 'room') await chat.leave(target.name);
      room.close(target.key);
      return target.kind === 'room' ? room.notice(`left #${target.name}`, 'leave') : undefined;
    }
    case 'export': {
      if (!current) return room.notice('nothing to export', 'error');
      const title = conversationTitle(current);
      const name = `${title.slice(1).replace(/[^A-Za-z0-9_-]+/g, '-') || 'chat'}-${stamp(Date.now()).replace(/[-:]/g, '').replace(' ', '-')}.txt`;
      session.broadcast({ type: 'download', name, text: formatExport(title, room.model.exportLines(current.key)) });
      return room.notice(`exported ${title}: your browser saves ${name}`);
    }
    case 'theme': {
      if (action.name === undefined) return room.notice(`theme ${session.settings.theme}; choose one of ${THEME_NAMES.join(', ')}`);
      if (!isThemeName(action.name)) return room.notice(`no theme "${action.name}": ${THEME_NAMES.join(', ')}`, 'error');
      session.settings.theme = action.name;
      session.saveSettings();
      return room.notice(`theme ${action.name}`);
    }
    case 'bell':
      return room.notice(answerBell(session, action.mode));
    case 'help':
      return room.notice(['Commands:', ...helpLines().map((l) => '  ' + l), 'Keys: Enter send · Up/Down history · Tab complete · Alt-Up/Alt-Down previous/next conversation · PageUp/PageDown scroll'].join('\n'));
    case 'quit':
      room.notice('parlor web keeps running: close this tab, or press Ctrl-C where you started it', 'info');
      return;
    case 'bot':
      return runBot(room, action.text);
    case 'file':
    case 'groupfile':
      return room.transfers.sendPath(action.kind === 'file' ? { to: action.to } : { room: action.room }, action.path);
    case 'accept':
    case 'decline':
    case 'cancel': {
      const problem = await room.transfers[action.kind](action.id);
      return problem === undefined ? undefined : room.notice(problem, 'error');
    }
    case 'transfers':
      return room.notice(room.transfers.summary());
    case 'trust': {
      const answer = await room.keyWarnings.trust(action.name, action.fingerprint);
      return answer === undefined ? undefined : room.notice(answer, 'info');
    }
    default:
      return;
  }
}

async function runBot(room: WebChat, line: string): Promise<void> {
  const current = room.current();
  const key = current?.key ?? room.open('dm', room.chat.name).key;
  const { command, reply } = await room.chat.command(line, current?.kind === 'room' ? current.name : undefined);
  await showBotReply(room, key, line, reply);
  if (command === 'exit') room.notice('the server let you go (!exit).', 'info');
}

async function showBotReply(room: WebChat, key: string, line: string, reply: BotReply): Promise<void> {
  const ts = Date.now();
  switch (reply.kind) {
    case 'text':
      room.add(key, { kind: 'bot', ts, command: line, text: reply.text });
      return;
    case 'image': {
      // Saved under receivedcats/ as the terminal UI does; the page gets it back by number only.
      const path = await saveReceivedImage(reply, room.session.options.dataDir);
      room.add(key, { kind: 'image', ts, command: line, path, src: room.transfers.publishImage(path) });
      return;
    }
    case 'link':
      room.add(key, { kind: 'bot', ts, command: line, text: reply.text ?? reply.url, link: reply.url });
      // The page opens it in a new tab (it is the browser); without a tab, the desktop's browser.
      if (room.session.tabCount() === 0) await openLink(reply.url);
      else room.session.broadcast({ type: 'open', url: reply.url });
  }
}
