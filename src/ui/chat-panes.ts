// The chat room's panes on the terminal: the room list, the messages of the conversation on screen,
// its members, the input line and the status bar; where each goes at the terminal's size, their
// colours, and drawing them from the model. The text in them comes from chat-view.ts.

import blessed from 'blessed';
import { conversationHeader, conversationTitle, entryLines, entryTime, memberListText, roomListText, statusText, type StatusState } from './chat-view.ts';
import type { ConversationList } from './conversations.ts';
import { fieldText } from './field.ts';
import type { LineEditor } from './line-editor.ts';
import { boxStyle, paint } from '../shared/themes.ts';
import { pictureCells, TrueColorOverlay, type PicturePlacement } from './true-color.ts';
import { dayChanges, dayChangeText } from './text-layout.ts';
import type { UiContext } from './ui-context.ts';

/** Where a picture starts in its line: after the gutter and the time's width. */
const PICTURE_COLUMN = 7;

export class ChatPanes {
  /** The message pane keeps to its newest line; PageUp lets go, PageDown to the end takes it up again. */
  follow = true;
  /** Where the pictures of the conversation on screen are in the message pane's content. */
  private placements: PicturePlacement[] = [];
  private readonly widgets: {
    rooms: blessed.Widgets.BoxElement;
    messages: blessed.Widgets.BoxElement;
    members: blessed.Widgets.BoxElement;
    input: blessed.Widgets.BoxElement;
    bar: blessed.Widgets.BoxElement;
  };

  /** `scrolledToTop`: the message pane was scrolled to its first line. */
  constructor(
    private readonly ui: UiContext,
    scrolledToTop: () => void,
  ) {
    const parent = ui.screen;
    const box = (options: blessed.Widgets.BoxOptions) => blessed.box({ parent, tags: true, ...options });
    this.widgets = {
      rooms: box({ border: { type: 'line' }, label: ' Rooms ' }),
      messages: box({ border: { type: 'line' }, scrollable: true, alwaysScroll: true, mouse: ui.options.mouse, scrollbar: { ch: ' ', style: { inverse: true } } as never }),
      members: box({ border: { type: 'line' }, label: ' Members ' }),
      input: box({ border: { type: 'line' } }),
      bar: box({ height: 1 }),
    };
    this.widgets.messages.on('scroll', () => {
      if (this.widgets.messages.getScroll() === 0) scrolledToTop();
    });
    if (ui.colorDepth === 24) {
      // The terminal takes 24-bit colour: pictures are drawn again over blessed's 256 colours.
      const overlay = new TrueColorOverlay(ui.screen);
      // After every render, whoever asked for it (a keypress, a scroll, a message).
      ui.screen.on('render', () => overlay.draw(pictureCells(this.widgets.messages, this.placements)));
    }
  }

  /** The widest picture the message pane shows without wrapping (after its indent and scrollbar). */
  pictureColumns(): number {
    return Math.max(8, Math.min(64, (this.widgets.messages.width as number) - 2 - 1 - PICTURE_COLUMN));
  }

  /** PageUp: the message pane lets go of its newest line; true when it is at its first. */
  pageUp(): boolean {
    const { messages } = this.widgets;
    this.follow = false;
    messages.scroll(-this.page());
    return messages.getScroll() === 0;
  }

  pageDown(): void {
    const { messages } = this.widgets;
    messages.scroll(this.page());
    if (messages.getScrollPerc() >= 100) this.follow = true;
  }

  private page(): number {
    return Math.max(1, (this.widgets.messages.height as number) - 3);
  }

  /** The message pane's content height, in lines: to keep a line in place as lines go in above it. */
  contentHeight(): number {
    return this.widgets.messages.getScrollHeight();
  }

  scrollTo(line: number): void {
    this.widgets.messages.scrollTo(line);
  }

  layout(): void {
    const { rooms, messages, members, input, bar } = this.widgets;
    const width = this.ui.screen.width as number;
    const height = this.ui.screen.height as number;
    const side = width >= 110 ? 22 : 16;
    const right = width >= 64 ? side : 0;
    rooms.left = 0;
    rooms.top = 0;
    rooms.width = side;
    rooms.height = height - 1;
    messages.left = side;
    messages.top = 0;
    messages.width = width - side - right;
    messages.height = height - 4;
    input.left = side;
    input.top = height - 4;
    input.width = width - side - right;
    input.height = 3;
    members.left = width - right;
    members.top = 0;
    members.width = Math.max(right, 1);
    members.height = height - 1;
    if (right === 0) members.hide();
    else members.show();
    bar.left = 0;
    bar.top = height - 1;
    bar.width = width;
  }

  /** Styles the panes with the theme in use; the caller draws them again. */
  applyTheme(): void {
    const { theme } = this.ui;
    const style = boxStyle(theme);
    for (const widget of [this.widgets.rooms, this.widgets.messages, this.widgets.members, this.widgets.input]) {
      widget.style = { ...style, border: { ...style.border } };
      // A label is a box of its own that keeps the style object it was made with.
      const label = (widget as unknown as { _label?: blessed.Widgets.BoxElement })._label;
      if (label) label.style = { ...style.label };
    }
    // blessed reads style.scrollbar whenever the messages overflow: it must survive a restyle.
    this.widgets.messages.style.scrollbar = theme.border !== undefined ? { bg: theme.border } : { inverse: true };
    this.widgets.input.style.border = { ...style.border, ...(theme.accent !== undefined && { fg: theme.accent }) };
    this.widgets.bar.style = { ...(theme.statusBg !== undefined && { bg: theme.statusBg }), ...(theme.statusFg !== undefined && { fg: theme.statusFg }) };
  }

  drawInput(model: ConversationList, editor: LineEditor): void {
    const { input } = this.widgets;
    const conversation = model.current();
    const label = conversation?.kind === 'status' ? ' commands only ' : conversation ? ` to ${conversationTitle(conversation).replace(/[{}]/g, '')} ` : ' ';
    input.setLabel(label);
    input.setContent(fieldText(editor, (input.width as number) - 3, true));
  }

  /** Every pane from the model, the status and the line being typed; `selfName`: this user's name now. */
  draw(model: ConversationList, status: StatusState, editor: LineEditor, selfName: string): void {
    const { theme } = this.ui;
    const { rooms, messages, members, bar } = this.widgets;
    const conversation = model.current();
    // blessed wraps a line that fills the box to its last column: one column is left free.
    rooms.setContent(roomListText(model.list(), model.active, theme, (rooms.width as number) - 3));
    members.setContent(memberListText(conversation, theme, (members.width as number) - 2));
    messages.setLabel(conversation ? ` ${conversationHeader(conversation).replace(/[{}]/g, '')}${conversation.more ? ' · PageUp for older' : ''} ` : ' ');
    const lines: string[] = [];
    const placements: PicturePlacement[] = [];
    let lineCount = 0;
    // Inside the border, less the scrollbar's column; blessed wraps a line that fills the rest.
    const textColumns = (messages.width as number) - 4;
    const entries = conversation?.entries ?? [];
    const days = dayChanges(entries.map(entryTime));
    entries.forEach((entry, i) => {
      if (days.has(i)) {
        lines.push(` ${paint(theme.dim, dayChangeText(entryTime(entry)))}`);
        lineCount++;
      }
      const drawn = entryLines(entry, theme, selfName, textColumns);
      // An image's rows follow its one-line head; every other line may hold '\n's of its own.
      if (entry.kind === 'image' && entry.cells) placements.push({ line: lineCount + 1, column: PICTURE_COLUMN, image: entry.cells });
      for (const line of drawn) lineCount += line.split('\n').length;
      lines.push(...drawn);
    });
    this.placements = placements;
    messages.setContent(lines.length > 0 ? lines.join('\n') : paint(theme.dim, 'Nothing said here yet.'));
    if (this.follow) messages.setScrollPerc(100);
    bar.setContent(statusText(status, theme));
    this.drawInput(model, editor);
    this.ui.screen.render();
  }
}
