// The message list, windowed: a conversation may hold 10,000 entries or more, but at most
// WINDOW of them are in the DOM at once. Scrolling near an edge slides the window by STEP
// (keeping the line under the reader's eye where it was); at the very top, older history is asked
// for. New entries are added while the reader is at the bottom; otherwise a "new messages" button
// offers to jump there. Day changes get a separator. The list is an ARIA log region.

import type { WebEntry } from '../src/web/wire.ts';
import { h } from './dom.ts';
import { dayOf, entryElement, type EntryActions } from './entries.ts';

const WINDOW = 240;
const STEP = 80;
/** Pixels from an edge at which the window slides. */
const EDGE = 300;

export class MessageList {
  readonly element: HTMLElement;
  readonly jump: HTMLButtonElement;
  private entries: WebEntry[] = [];
  /** The window: entries[start, end) are in the DOM. */
  private start = 0;
  private end = 0;
  private readonly nodes = new Map<number, HTMLElement>();
  private sliding = false;
  /** The reader is at the bottom: what grows later (a picture loading) keeps them there. */
  private stick = true;

  constructor(
    private readonly actions: EntryActions,
    private readonly askOlder: () => void,
  ) {
    this.element = h('div', { id: 'messages', class: 'messages', role: 'log', 'aria-live': 'polite', 'aria-relevant': 'additions', 'aria-label': 'Messages', tabindex: '0' });
    this.jump = h('button', { type: 'button', class: 'jump', hidden: true, onclick: () => this.toBottom() }, 'new messages ↓');
    this.element.addEventListener('scroll', () => {
      if (!this.sliding) this.stick = this.atBottom() && this.end === this.entries.length;
      this.checkEdges();
    });
  }

  /** How many entries are in the DOM now (the benchmark and the tests read it). */
  get rendered(): number {
    return this.end - this.start;
  }

  get total(): number {
    return this.entries.length;
  }

  reset(entries: WebEntry[]): void {
    this.entries = entries.slice();
    this.end = this.entries.length;
    this.start = Math.max(0, this.end - WINDOW);
    this.redraw();
    this.toBottom();
  }

  append(added: WebEntry[]): void {
    const following = this.atBottom() && this.end === this.entries.length;
    this.entries.push(...added);
    if (!following) {
      this.jump.hidden = false;
      return;
    }
    for (let i = this.end; i < this.entries.length; i++) this.element.append(this.node(i));
    this.end = this.entries.length;
    this.trimTop();
    this.stick = true;
    this.element.scrollTop = this.element.scrollHeight;
  }

  /** Older history arrived: it goes above, and the view stays on the same line. */
  prepend(added: WebEntry[]): void {
    if (added.length === 0) return;
    this.entries.unshift(...added);
    this.start += added.length;
    this.end += added.length;
    this.slideUp();
  }

  update(entry: WebEntry): void {
    const at = this.entries.findIndex((e) => e.seq === entry.seq);
    if (at < 0) return;
    this.entries[at] = entry;
    const old = this.nodes.get(entry.seq);
    if (old) {
      const fresh = this.node(at);
      old.replaceWith(fresh);
    }
  }

  atBottom(): boolean {
    const el = this.element;
    return el.scrollHeight - el.scrollTop - el.clientHeight < 40;
  }

  toBottom(): void {
    if (this.end < this.entries.length) {
      this.end = this.entries.length;
      this.start = Math.max(0, this.end - WINDOW);
      this.redraw();
    }
    this.jump.hidden = true;
    this.stick = true;
    this.element.scrollTop = this.element.scrollHeight;
  }

  page(direction: 1 | -1): void {
    this.element.scrollBy({ top: direction * this.element.clientHeight * 0.9 });
  }

  private redraw(): void {
    this.nodes.clear();
    const nodes: HTMLElement[] = [];
    for (let i = this.start; i < this.end; i++) nodes.push(this.node(i));
    this.element.replaceChildren(...nodes);
  }

  private node(i: number): HTMLElement {
    const entry = this.entries[i]!;
    const element = entryElement(entry, this.actions);
    const previous = this.entries[i - 1];
    const wrapper = h('div', { class: 'row', 'data-seq': entry.seq });
    if (!previous || dayOf(previous.ts) !== dayOf(entry.ts)) {
      wrapper.append(h('div', { class: 'day', role: 'separator' }, new Date(entry.ts).toLocaleDateString(undefined, { weekday: 'long', year: 'numeric', month: 'long', day: 'numeric' })));
    }
    wrapper.append(element);
    for (const img of wrapper.querySelectorAll('img')) img.addEventListener('load', () => {
      if (this.stick) this.element.scrollTop = this.element.scrollHeight;
    });
    this.nodes.set(entry.seq, wrapper);
    return wrapper;
  }

  /** Slides the window, or asks for older history, when the view is near an edge. */
  checkEdges(): void {
    if (this.sliding) return;
    const el = this.element;
    if (el.scrollTop < EDGE) {
      if (this.start > 0) this.slideUp();
      else this.askOlder();
    } else if (el.scrollHeight - el.scrollTop - el.clientHeight < EDGE && this.end < this.entries.length) {
      this.slideDown();
    }
    if (this.atBottom() && this.end === this.entries.length) this.jump.hidden = true;
  }

  private slideUp(): void {
    this.sliding = true;
    const el = this.element;
    const from = Math.max(0, this.start - STEP);
    const before = el.scrollHeight;
    const nodes: HTMLElement[] = [];
    for (let i = from; i < this.start; i++) nodes.push(this.node(i));
    // The first row already shown may gain or lose its day separator: redraw it too.
    const first = this.entries[this.start];
    if (first) {
      const old = this.nodes.get(first.seq);
      const fresh = this.node(this.start);
      old?.replaceWith(fresh);
    }
    el.prepend(...nodes);
    this.start = from;
    el.scrollTop += el.scrollHeight - before;
    while (this.end - this.start > WINDOW) this.removeAt(--this.end);
    this.sliding = false;
  }

  private slideDown(): void {
    this.sliding = true;
    const to = Math.min(this.entries.length, this.end + STEP);
    for (let i = this.end; i < to; i++) this.element.append(this.node(i));
    this.end = to;
    this.trimTop();
    this.sliding = false;
  }

  private trimTop(): void {
    const el = this.element;
    while (this.end - this.start > WINDOW) {
      const before = el.scrollHeight;
      this.removeAt(this.start++);
      el.scrollTop -= before - el.scrollHeight;
    }
  }

  private removeAt(i: number): void {
    const entry = this.entries[i];
    if (!entry) return;
    this.nodes.get(entry.seq)?.remove();
    this.nodes.delete(entry.seq);
  }
}
