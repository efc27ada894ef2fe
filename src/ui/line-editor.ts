// The input line: editing keys, a history of sent lines (Up/Down), and Tab handed to completion.
// blessed's own textbox grabs every key and knows nothing of history, so the chat room keeps its
// line here and draws it; this class never touches the terminal and is tested with plain keys.

export interface EditorKey {
  /** blessed's key name: 'left', 'backspace', 'enter', 'C-a', ... */
  full: string;
  /** The character typed, for printable keys. */
  ch?: string | undefined;
}

export type EditorResult = { submitted?: string; tab?: boolean; handled: boolean };

export class LineEditor {
  value = '';
  cursor = 0;
  private readonly history: string[] = [];
  /** Where Up/Down are in the history; history.length means the line being written. */
  private historyIndex = 0;
  private draft = '';

  constructor(private readonly historyLimit = 200) {}

  set(value: string): void {
    this.value = value;
    this.cursor = value.length;
  }

  key(key: EditorKey): EditorResult {
    switch (key.full) {
      case 'enter':
      case 'return': {
        const line = this.value;
        if (line.trim() !== '' && this.history.at(-1) !== line) this.history.push(line);
        if (this.history.length > this.historyLimit) this.history.shift();
        this.historyIndex = this.history.length;
        this.draft = '';
        this.set('');
        return { submitted: line, handled: true };
      }
      case 'tab':
        return { tab: true, handled: true };
      case 'up':
        if (this.historyIndex === 0) return { handled: true };
        if (this.historyIndex === this.history.length) this.draft = this.value;
        this.set(this.history[--this.historyIndex]!);
        return { handled: true };
      case 'down':
        if (this.historyIndex >= this.history.length) return { handled: true };
        this.historyIndex++;
        this.set(this.historyIndex === this.history.length ? this.draft : this.history[this.historyIndex]!);
        return { handled: true };
      case 'left':
        this.cursor = Math.max(0, this.cursor - 1);
        return { handled: true };
      case 'right':
        this.cursor = Math.min(this.value.length, this.cursor + 1);
        return { handled: true };
      case 'home':
      case 'C-a':
        this.cursor = 0;
        return { handled: true };
      case 'end':
      case 'C-e':
        this.cursor = this.value.length;
        return { handled: true };
      case 'backspace':
        if (this.cursor > 0) {
          this.value = this.value.slice(0, this.cursor - 1) + this.value.slice(this.cursor);
          this.cursor--;
        }
        return { handled: true };
      case 'delete':
      case 'C-d':
        this.value = this.value.slice(0, this.cursor) + this.value.slice(this.cursor + 1);
        return { handled: true };
      case 'C-u':
        this.value = this.value.slice(this.cursor);
        this.cursor = 0;
        return { handled: true };
      case 'C-k':
        this.value = this.value.slice(0, this.cursor);
        return { handled: true };
      case 'C-w': {
        const head = this.value.slice(0, this.cursor).replace(/\S*\s*$/, '');
        this.value = head + this.value.slice(this.cursor);
        this.cursor = head.length;
        return { handled: true };
      }
      default:
        break;
    }
    // Printable input only: a control character from a paste is dropped, never kept in the line.
    if (key.ch !== undefined && key.ch !== '' && !/[\u0000-\u001f\u007f]/.test(key.ch) && !key.full.startsWith('C-') && !key.full.startsWith('M-')) {
      this.value = this.value.slice(0, this.cursor) + key.ch + this.value.slice(this.cursor);
      this.cursor += key.ch.length;
      return { handled: true };
    }
    return { handled: false };
  }

  /** The visible part of the line for a field `width` columns wide, and the cursor within it. */
  view(width: number, mask = false): { text: string; cursor: number } {
    const shown = mask ? '•'.repeat(this.value.length) : this.value;
    const start = Math.max(0, this.cursor - width + 1);
    return { text: shown.slice(start, start + width), cursor: this.cursor - start };
  }
}
