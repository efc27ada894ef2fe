// The chat room's panes on the terminal: the room list, the messages of the conversation on screen,
// its members, the input line and the status bar; where each goes at the terminal's size, their
// colours, and drawing them from the model. The text in them comes from chat-view.ts.

import blessed from 'blessed';
import { installBlessedSpeedups, shareParsedContent } from './blessed-speedups.ts';
import { fastBoxRender } from './fast-box-render.ts';
import { unicode } from './blessed-internals.ts';
import { renderWhenChanged } from './render-when-changed.ts';
import type { ChatStatus } from '../shared/chat-status.ts';
import { conversationTitle } from '../shared/conversations.ts';
import { conversationHeader, entryLines, entryTime, memberListText, roomListText, statusText, type TerminalConversations, type TerminalEntry } from './chat-view.ts';
import { fieldText } from './field.ts';
import type { LineEditor } from './line-editor.ts';
import { boxStyle, paint, type Theme } from '../shared/themes.ts';
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
  /** The entries of the conversation on screen, as last drawn: expand() fills the pane with all of them. */
  private shown: { entries: readonly TerminalEntry[]; selfName: string } = { entries: [], selfName: '' };
  /** How many of them (the oldest) the message pane leaves out while it follows the newest line. */
  private hiddenEntries = 0;
  /** The entries of the last drawing, as drawn (drawnEntry). */
  private drawnEntries = new Map<TerminalEntry, DrawnEntry>();
  /** Set while draw() scrolls to the newest line. */
  private following = false;
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
    installBlessedSpeedups();
    const parent = ui.screen;
    const box = (options: blessed.Widgets.BoxOptions) => blessed.box({ parent, tags: true, ...options });
    this.widgets = {
      rooms: box({ border: { type: 'line' }, label: ' Rooms ' }),
      messages: box({ border: { type: 'line' }, scrollable: true, alwaysScroll: true, mouse: ui.options.mouse, scrollbar: { ch: ' ', style: { inverse: true } } as never }),
      members: box({ border: { type: 'line' }, label: ' Members ' }),
      input: box({ border: { type: 'line' } }),
      bar: box({ height: 1 }),
    };
    // Drawn from runs of cells made once per text line (and shared by the message panes that show
    // the same text); then, as only the message pane changes with each message, the others
    // repaint when they change.
    for (const widget of Object.values(this.widgets)) fastBoxRender(widget);
    for (const widget of [this.widgets.rooms, this.widgets.members, this.widgets.input, this.widgets.bar]) renderWhenChanged(widget);
    // The SSH front door's visitors in one room see the same lines: parsed once for all of them.
    // The member and room lists too: when someone speaks for the first time (or a minute turns),
    // the time beside their name changes on every visitor's screen at once, and parsing that list
    // again for each of 200 visitors held that one message up by a few hundred milliseconds.
    for (const widget of [this.widgets.messages, this.widgets.members, this.widgets.rooms]) shareParsedContent(widget);
    this.widgets.messages.on('scroll', () => {
      // Scrolled up by other means than PageUp (the mouse wheel): the rest of the conversation first.
      if (!this.following && this.hiddenEntries > 0 && this.widgets.messages.getScrollPerc() < 100) {
        this.follow = false;
        this.expand();
      }
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
    this.expand();
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

  drawInput(model: TerminalConversations, editor: LineEditor): void {
    const { input } = this.widgets;
    const conversation = model.current();
    const label = conversation?.kind === 'status' ? ' commands only ' : conversation ? ` to ${conversationTitle(conversation).replace(/[{}]/g, '')} ` : ' ';
    setLabel(input, label);
    setContent(input, fieldText(editor, (input.width as number) - 3, true));
  }

  /** Every pane from the model, the status and the line being typed; `selfName`: this user's name now. */
  draw(model: TerminalConversations, status: ChatStatus, editor: LineEditor, selfName: string): void {
    const { theme } = this.ui;
    const { rooms, messages, members, bar } = this.widgets;
    const conversation = model.current();
    // blessed wraps a line that fills the box to its last column: one column is left free. The
    // lists do not scroll: lines below the box would never show, so they are not handed over.
    setContent(rooms, firstLines(roomListText(model.list(), model.active, theme, (rooms.width as number) - 3), innerRows(rooms)));
    setContent(members, memberListText(conversation, theme, (members.width as number) - 2, Date.now(), innerRows(members)));
    setLabel(messages, conversation ? ` ${conversationHeader(conversation).replace(/[{}]/g, '')}${conversation.more ? ' · PageUp for older' : ''} ` : ' ');
    this.shown = { entries: conversation?.entries ?? [], selfName };
    this.fillMessages(this.follow ? this.tailRows() : Infinity);
    if (this.follow) {
      // Its scroll events pass through the old bottom on the way to the new one: not the user's.
      this.following = true;
      messages.setScrollPerc(100);
      this.following = false;
    }
    setContent(bar, statusText(status, theme));
    this.drawInput(model, editor);
    this.ui.screen.render();
  }

  /**
   * While it follows the newest line, the message pane holds only the last entries (whole ones,
   * a little more than it shows): blessed re-reads the colours of all of a box's content at every
   * render, so a long conversation would make every frame dearer. What shows is the same;
   * scrolling up first puts the rest back above (expand), where it was.
   */
  private tailRows(): number {
    // One line more than shows, so that the tail overflows as the whole would, and blessed draws
    // the scrollbar just the same.
    return innerRows(this.widgets.messages) + 2;
  }

  /** The message pane's content: the entries on screen, the last ones up to `rows` lines (whole entries). */
  private fillMessages(rows: number): void {
    const { theme } = this.ui;
    const { messages } = this.widgets;
    const { entries, selfName } = this.shown;
    // Inside the border, less the scrollbar's column; blessed wraps a line that fills the rest.
    const textColumns = (messages.width as number) - 4;
    // Drawn for every visitor's screen at every message: the entries' texts are kept (drawnEntry)
    // and put together here, newest first, without an object or array per entry.
    const drawn: DrawnEntry[] = [];
    const kept = new Map<TerminalEntry, DrawnEntry>();
    let lineCount = 0;
    let first = entries.length;
    while (first > 0 && lineCount < rows) {
      first--;
      // A day-change line before an entry of another local day than the one before it (the first entry: than today's).
      const drawnEntry = this.drawnEntry(entries[first]!, selfName, textColumns, first === 0 ? undefined : entries[first - 1], kept);
      drawn.push(drawnEntry);
      lineCount += drawnEntry.rows + (drawnEntry.dayChange ? 1 : 0);
    }
    this.drawnEntries = kept;
    const texts: string[] = [];
    const placements: PicturePlacement[] = [];
    lineCount = 0;
    for (let i = drawn.length - 1; i >= 0; i--) {
      const { entry, dayChange, rows: entryRows, text } = drawn[i]!;
      // An image's rows follow its one-line head; every other line may hold '\n's of its own.
      if (entry.kind === 'image' && entry.cells) placements.push({ line: lineCount + (dayChange ? 2 : 1), column: PICTURE_COLUMN, image: entry.cells });
      lineCount += entryRows + (dayChange ? 1 : 0);
      if (dayChange) texts.push(` ${paint(theme.dim, dayChangeText(entryTime(entry)))}`);
      // An entry without lines (one not sealed to this reader) adds none, as its empty list did.
      if (text !== undefined) texts.push(text);
    }
    this.placements = placements;
    this.hiddenEntries = first;
    const text = texts.length > 0 ? texts.join('\n') : paint(theme.dim, 'Nothing said here yet.');
    // Without clearing its area first: the pane paints every cell of it at each render anyway (a
    // move or a resize clears it, in blessed itself).
    const pane = messages as unknown as { content: string; setContent(text: string, noClear: boolean): void };
    if (pane.content !== text) pane.setContent(text, true);
  }

  /**
   * An entry's lines, drawn once for a width, theme and name, and whether a day-change line goes
   * before it (after the entry before it, `previous`; none for the first, which goes by today): a
   * message's lines do not change, and each new message would otherwise draw again every line above
   * it. Kept for the entries of the last drawing only (`kept`, which becomes drawnEntries), so a
   * long conversation keeps no more than a screenful. A transfer's line changes in place as it goes
   * (transfer-board.ts): it is drawn each time.
   */
  private drawnEntry(entry: TerminalEntry, selfName: string, width: number, previous: TerminalEntry | undefined, kept: Map<TerminalEntry, DrawnEntry>): DrawnEntry {
    const { theme } = this.ui;
    let drawn = this.drawnEntries.get(entry);
    if (!drawn || entry.kind === 'transfer' || drawn.width !== width || drawn.theme !== theme || drawn.selfName !== selfName) {
      const lines = entryLines(entry, theme, selfName, width);
      drawn = { entry, width, theme, selfName, text: lines.length > 0 ? lines.join('\n') : undefined, rows: screenRows(lines), previous: null, dayChange: false };
    }
    // The first entry is compared with today, which moves on: worked out each time, as before.
    if (previous === undefined || drawn.previous !== previous) {
      drawn.previous = previous ?? null;
      drawn.dayChange = dayChanges([previous === undefined ? Date.now() : entryTime(previous), entryTime(entry)]).has(1);
    }
    kept.set(entry, drawn);
    return drawn;
  }

  /**
   * The whole conversation back in the message pane, the lines on screen staying where they are:
   * before the user scrolls up from the tail that following keeps.
   */
  private expand(): void {
    if (this.hiddenEntries === 0) return;
    const messages = this.widgets.messages as unknown as blessed.Widgets.BoxElement & { childBase: number; _clines: unknown[] };
    const before = messages.getScrollHeight();
    this.fillMessages(Infinity);
    // The lines went in above: the view moves down by as many, and shows what it showed.
    messages.childBase += messages.getScrollHeight() - before;
  }
}

/** An entry as the message pane last drew it (ChatPanes.drawnEntry). */
interface DrawnEntry {
  entry: TerminalEntry;
  width: number;
  theme: Theme;
  selfName: string;
  /** Its lines, joined; undefined for none. */
  text: string | undefined;
  /** The screen lines they take (a line may hold '\n's of its own). */
  rows: number;
  /** The entry before it (null: none yet known), and whether the day changed since. */
  previous: TerminalEntry | null;
  dayChange: boolean;
}

/**
 * New content, or none when it is the same (new content makes the box repaint,
 * render-when-changed.ts). Without clearing the box's area first, as the message pane's: a box
 * paints every cell of its area at each render anyway, and clearing it made every row it covers
 * dirty, so the next frame compared those rows whole. When someone spoke for the first time, or a
 * minute turned, each SSH visitor's member list changed at once and the whole screen of each was
 * compared, for the same bytes.
 */
function setContent(box: blessed.Widgets.BoxElement, text: string): void {
  const pane = box as unknown as { content: string; setContent(text: string, noClear: boolean): void };
  if (pane.content !== text) pane.setContent(text, true);
}

/**
 * A new label, or none when it is the same (setting one clears its area, as setContent does). Cut
 * to the box: blessed wraps a label wider than its box onto the box's first line, hiding it.
 */
function setLabel(box: blessed.Widgets.BoxElement, text: string): void {
  const pane = box as unknown as { _label?: { content: string }; parlorLabel?: { text: string; width: number } };
  const width = (box.width as number) - LABEL_MARGIN;
  // Drawn for every message on every SSH visitor's screen: the label is measured only when it or the box changes.
  if (pane.parlorLabel?.text === text && pane.parlorLabel.width === width) return;
  pane.parlorLabel = { text, width };
  const fitted = fitLabel(text, width);
  if (pane._label?.content !== fitted) box.setLabel(fitted);
}

/** Columns of a box's top border a label cannot take: blessed puts it 2 in, and the corner ends it. */
const LABEL_MARGIN = 4;

/** `text` (a label, a space at each end) in at most `width` columns, cut with '…' when longer. */
function fitLabel(text: string, width: number): string {
  let columns = 0;
  for (const char of text) columns += unicode.charWidth(char);
  if (columns <= width) return text;
  let cut = '';
  columns = 0;
  // Room for the ellipsis and the closing space.
  for (const char of text.trimEnd()) {
    const charColumns = unicode.charWidth(char);
    if (columns + charColumns > width - 2) break;
    cut += char;
    columns += charColumns;
  }
  return width < 3 ? '' : `${cut}… `;
}

/** The screen lines that lines take, each line with any '\n's of its own. */
function screenRows(lines: readonly string[]): number {
  let rows = 0;
  for (const line of lines) rows += line.split('\n').length;
  return rows;
}

/** Rows inside a bordered box. */
function innerRows(box: blessed.Widgets.BoxElement): number {
  return Math.max(1, (box.height as number) - 2);
}

/** The first `count` lines of a text. */
function firstLines(text: string, count: number): string {
  const lines = text.split('\n');
  return lines.length <= count ? text : lines.slice(0, count).join('\n');
}
