// The chat room's keys: PageUp/PageDown through the messages (older history at the top),
// Ctrl-N/Ctrl-P between conversations, Esc from the status conversation back, Ctrl-L to redraw, and every other key to the input line,
// where Tab completes names and rooms and Enter hands the line to the room's `submit` (chat-actions.ts).

import type { ChatClient } from '../client/chat-client.ts';
import { foldName } from '../protocol/names.ts';
import type { ChatPanes } from './chat-panes.ts';
import { completeLine } from '../shared/completion.ts';
import { STATUS_KEY } from '../shared/conversations.ts';
import type { TerminalConversations } from './chat-view.ts';
import { LineEditor } from './line-editor.ts';
import type { UiContext } from './ui-context.ts';

/** What the keys need of the chat room: the conversations, the panes to scroll, names to complete. */
export interface ChatKeysHost {
  readonly chat: Pick<ChatClient, 'name'>;
  readonly model: TerminalConversations;
  readonly panes: Pick<ChatPanes, 'follow' | 'pageUp' | 'pageDown' | 'drawInput'>;
  readonly ui: Pick<UiContext, 'screen'>;
  readonly knownUsers: ReadonlySet<string>;
  readonly knownRooms: ReadonlySet<string>;
  /** Where Esc goes back to from the status conversation. */
  readonly returnTo: string | undefined;
  switchTo(key: string): void;
  loadOlder(): Promise<void>;
  render(): void;
  /** A drawing asked for and not done yet, done now. */
  flushRender(): void;
}

export class ChatKeys {
  /** The line being typed. */
  readonly editor = new LineEditor();
  private cycle: Parameters<typeof completeLine>[2];

  constructor(
    private readonly room: ChatKeysHost,
    /** Runs a line the user sent with Enter (chat-actions.ts). */
    private readonly submit: (line: string) => Promise<void>,
  ) {}

  press(ch: string | undefined, key: { full: string }): void {
    const { room } = this;
    // The panes as the model is now, before a key scrolls them or draws the input line over them.
    room.flushRender();
    switch (key.full) {
      case 'pageup':
        if (room.panes.pageUp()) void room.loadOlder();
        return room.ui.screen.render();
      case 'pagedown':
        room.panes.pageDown();
        return room.ui.screen.render();
      case 'C-n':
        room.model.cycle(1);
        room.panes.follow = true;
        return room.render();
      case 'C-p':
        room.model.cycle(-1);
        room.panes.follow = true;
        return room.render();
      case 'escape':
        // Back from the status conversation to where a command's answer took the user from.
        if (room.model.active === STATUS_KEY && room.returnTo !== undefined && room.model.get(room.returnTo)) {
          room.switchTo(room.returnTo);
          return;
        }
        break;
      case 'C-l':
        room.ui.screen.realloc();
        return room.render();
    }
    const result = this.editor.key({ full: key.full, ch });
    if (result.tab) {
      const members = [...room.model.list().flatMap((c) => [...c.members.values()].map((m) => m.name)), ...room.knownUsers];
      const completed = completeLine(this.editor.value, { users: members.filter((n) => foldName(n) !== foldName(room.chat.name)), rooms: [...room.knownRooms] }, this.cycle);
      this.editor.set(completed.line);
      this.cycle = completed.cycle;
    } else if (result.handled) {
      this.cycle = undefined;
    }
    if (result.submitted !== undefined) void this.submit(result.submitted);
    room.panes.drawInput(room.model, this.editor);
    room.ui.screen.render();
  }
}
