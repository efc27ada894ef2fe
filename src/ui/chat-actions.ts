// What each typed line does, against ChatClient: chat, direct messages, rooms, people, blocks,
// the bot, /export, /theme, /bell. Results and errors appear in the conversation on screen; an
// error keeps its stable code, so the user can tell BAD_PASSWORD from ROOM_NOT_FOUND.

import { homedir } from 'node:os';
import type { ChatClient } from '../client/chat-client.ts';
import type { DeliveredMessage } from '../client/e2e/e2e.ts';
import { openLink } from '../client/open-link.ts';
import { saveReceivedImage } from '../client/received-images.ts';
import type { BotReply } from '../protocol/messages.ts';
import type { ChatPanes } from './chat-panes.ts';
import type { TerminalConversations } from './chat-view.ts';
import { conversationTitle, dmKey, roomKey, type Tone } from '../shared/conversations.ts';
import type { PeerKeyWarnings } from '../shared/peer-key-warnings.ts';
import type { UiContext } from './ui-context.ts';
import { defaultExportPath, formatExport, writeExport } from '../shared/export.ts';
import { expandHome } from '../shared/file-paths.ts';
import { transferSummary, type TransferBoard } from '../shared/transfer-board.ts';
import { readableFileSize } from '../shared/readable-file.ts';
import { joinedText } from '../shared/notices.ts';
import { sayIn, sayInRoom, sayTo } from '../shared/own-messages.ts';
import { answerBell } from '../shared/settings.ts';
import { runTypedLine } from '../shared/typed-line.ts';
import { cellsToTags, imageToCells } from './image-cells.ts';
import { helpLines, type ChatAction } from '../shared/slash-commands.ts';
import { isThemeName, THEME_NAMES, type ThemeName } from '../shared/themes.ts';

/** What typed lines need of the chat room: the conversations, the transfers, and how it answers. */
export interface ChatActionsHost {
  readonly chat: ChatClient;
  readonly model: TerminalConversations;
  readonly ui: Pick<UiContext, 'options' | 'settings' | 'theme' | 'screen' | 'saveSettings' | 'quit'>;
  readonly panes: Pick<ChatPanes, 'pictureColumns'>;
  readonly transfers: Pick<TransferBoard, 'accept' | 'decline' | 'cancel' | 'list' | 'send'>;
  readonly keyWarnings: Pick<PeerKeyWarnings, 'trust'>;
  readonly knownUsers: Set<string>;
  readonly knownRooms: Set<string>;
  /** Where Esc goes back to from the status conversation. */
  readonly returnTo: string | undefined;
  notice(text: string, tone?: Tone): void;
  here(text: string, tone?: Tone): void;
  reply(text: string, tone?: Tone): void;
  addOwn(message: DeliveredMessage): void;
  switchTo(key: string): void;
  openRoom(room: string, password?: string, create?: boolean, secret?: boolean): Promise<void>;
  forgetRoom(room: string): void;
  setTheme(name: ThemeName): void;
  render(): void;
}

/** Actions that say something: their line is what the user would lose if it is not sent. */
const SAYING = new Set<ChatAction['kind']>(['say', 'dm', 'group']);
/**
 * Actions about the conversation on screen: their answers and errors are said there. Every other
 * command's answer concerns no conversation and goes to the status conversation.
 */
const ABOUT_HERE = new Set<ChatAction['kind']>([...SAYING, 'export', 'file', 'groupfile', 'accept', 'decline', 'cancel', 'bot', 'leave', 'members', 'trust']);

export function runChatLine(room: ChatActionsHost, line: string): Promise<void> {
  return runTypedLine(line, {
    chat: room.chat,
    context: () => ({ current: room.model.current(), knownUsers: room.knownUsers, knownRooms: room.knownRooms }),
    notice: (text, tone, about) => (ABOUT_HERE.has(about) ? room.here(text, tone) : room.reply(text, tone)),
    run: (action) => run(room, action),
  });
}

/** Commands that read or write files where this UI runs. */
const LOCAL_FILES = new Set<ChatAction['kind']>(['file', 'groupfile', 'accept', 'export']);

async function run(room: ChatActionsHost, action: ChatAction): Promise<void> {
  const { chat, model, ui } = room;
  const current = model.current();
  if (ui.options.noLocalFiles !== undefined && LOCAL_FILES.has(action.kind)) return room.notice(ui.options.noLocalFiles, 'error');
  switch (action.kind) {
    case 'file':
    case 'groupfile':
      return sendFile(room, action);
    case 'accept':
    case 'decline':
    case 'cancel': {
      const problem = await room.transfers[action.kind](action.id);
      return problem === undefined ? room.render() : room.here(problem, 'error');
    }
    case 'transfers': {
      const lines = room.transfers.list().map(transferSummary);
      return room.reply(lines.length === 0 ? 'No file transfers under way.' : ['File transfers:', ...lines.map((l) => '  ' + l)].join('\n'));
    }
    case 'say': {
      if (!current || current.kind === 'status') {
        const back = room.returnTo !== undefined ? model.get(room.returnTo) : undefined;
        return room.here(`this is the status conversation: nothing said here goes anywhere. ${back ? `Esc goes back to ${conversationTitle(back)}; ` : ''}/join ROOM, @NAME TEXT, or Ctrl-N to a room`, 'error');
      }
      return sayIn(room, current, action.text);
    }
    case 'dm':
      return room.switchTo(await sayTo(room, action.to, action.text));
    case 'group':
      return sayInRoom(room, action.room, action.text);
    case 'join':
    case 'create':
      await room.openRoom(action.room, action.password, action.kind === 'create', action.kind === 'create' && action.secret === true);
      return room.here(joinedText(action.kind === 'create', model.current()?.name ?? action.room, model.current()?.secret === true), 'join');
    case 'leave': {
      const target = action.room !== undefined ? model.get(roomKey(action.room)) : current;
      if (!target || target.kind === 'status') return room.here('not in that room', 'error');
      if (target.kind === 'dm') {
        model.close(target.key);
        return room.render();
      }
      await chat.leave(target.name);
      room.forgetRoom(target.name);
      model.close(target.key);
      return room.notice(`left #${target.name}`, 'leave');
    }
    case 'export': {
      if (!current || current.kind === 'status') return room.here('nothing to export here: /export saves the room or direct conversation on screen', 'error');
      const title = conversationTitle(current);
      const path = action.path ?? defaultExportPath(ui.options.dataDir, title);
      const written = await writeExport(path, formatExport(title, model.exportLines(current.key)));
      return room.here(`exported ${title} to ${written}`);
    }
    case 'theme': {
      if (action.name === undefined) return room.reply(`theme ${ui.theme.name}; choose one of ${THEME_NAMES.join(', ')}`);
      if (!isThemeName(action.name)) return room.reply(`no theme "${action.name}": ${THEME_NAMES.join(', ')}`, 'error');
      room.setTheme(action.name);
      // A setting's acknowledgement: in the status conversation, without taking the user there.
      return room.notice(ui.theme.name === 'no-color' ? `theme ${action.name} remembered (NO_COLOR is set, so no colours are shown)` : `theme ${action.name}`);
    }
    case 'bell':
      return room.notice(answerBell(ui, action.mode));
    case 'trust': {
      const answer = await room.keyWarnings.trust(action.name, action.fingerprint);
      return answer === undefined ? undefined : room.reply(answer, 'info');
    }
    case 'help':
      return room.reply(['Commands:', ...helpLines().map((l) => '  ' + l), 'Keys: Enter send · Up/Down history · Tab complete · Ctrl-N/Ctrl-P next/previous conversation · PageUp/PageDown scroll · Ctrl-C quit'].join('\n'));
    case 'quit':
      return ui.quit(0);
    case 'bot':
      return runBot(room, action.text);
  }
}

/**
 * /file and /groupfile: the file is checked here first, so that a typo gets a plain answer
 * instead of a transfer line that fails; the line then goes to the conversation, shown.
 */
async function sendFile(room: ChatActionsHost, action: { kind: 'file'; to: string; path: string } | { kind: 'groupfile'; room: string; path: string }): Promise<void> {
  const { model, ui } = room;
  const path = expandHome(action.path, ui.options.env.HOME ?? homedir());
  const size = await readableFileSize(path);
  if (action.kind === 'groupfile' && !model.get(roomKey(action.room))) await room.openRoom(action.room);
  const target = action.kind === 'file' ? { to: action.to } : { room: model.get(roomKey(action.room))?.name ?? action.room };
  room.transfers.send(target, path, size);
  room.switchTo(action.kind === 'file' ? dmKey(action.to) : roomKey(action.room));
}

async function runBot(room: ChatActionsHost, line: string): Promise<void> {
  const { chat, model } = room;
  const current = model.current();
  const where = current?.kind === 'room' ? current.name : undefined;
  const key = current?.key ?? dmKey(chat.name);
  const { command, reply } = await chat.command(line, where);
  await showBotReply(room, key, line, reply);
  if (command === 'exit') room.here('the server let you go (!exit). Press Ctrl-C to leave.', 'info');
}

async function showBotReply(room: ChatActionsHost, key: string, line: string, reply: BotReply): Promise<void> {
  const { model, ui } = room;
  const ts = Date.now();
  switch (reply.kind) {
    case 'text':
      model.add(key, { kind: 'bot', ts, command: line, text: reply.text });
      return room.render();
    case 'image': {
      // Over ssh the picture would be saved on the server, of no use to the visitor: only shown.
      const path = ui.options.noLocalFiles === undefined ? await saveReceivedImage(reply, ui.options.dataDir) : '';
      // As wide as the pane allows and at most 16 rows (32 pixels) high: a picture, not a wall.
      const image = await imageToCells(path || Buffer.from(reply.data, 'base64'), room.panes.pictureColumns(), Math.max(4, Math.min(16, Math.floor((ui.screen.height as number) / 2))));
      model.add(key, { kind: 'image', ts, command: line, path, rows: cellsToTags(image), cells: image });
      return room.render();
    }
    case 'link': {
      const outcome = ui.options.openLinks ? await openLink(reply.url) : { opened: false, problem: 'opening links is off (--no-open)' };
      const text = `${reply.text === undefined ? '' : reply.text + ': '}${reply.url}\n${outcome.opened ? 'opened in your browser' : `not opened: ${outcome.problem ?? 'no browser'}`}`;
      model.add(key, { kind: 'bot', ts, command: line, text });
      return room.render();
    }
  }
}
