// The chat room's keys: PageUp/PageDown through the messages (older history at the top),
// Ctrl-N/Ctrl-P between conversations, Esc from the status conversation back, Ctrl-L to redraw, and every other key to the input line,
// where Tab completes names and rooms and Enter hands the line to chat-actions.ts.

import { foldName } from '../protocol/names.ts';
import { runChatLine } from './chat-actions.ts';
import type { ChatRoom } from './chat-room.ts';
import { completeLine } from '../shared/completion.ts';
import { STATUS_KEY } from './conversations.ts';
import { LineEditor } from './line-editor.ts';

export class ChatKeys {
  /** The line being typed. */
  readonly editor = new LineEditor();
  private cycle: Parameters<typeof completeLine>[2];

  constructor(private readonly room: ChatRoom) {}

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
    if (result.submitted !== undefined) void runChatLine(room, result.submitted);
    room.panes.drawInput(room.model, this.editor);
    room.ui.screen.render();
  }
}
