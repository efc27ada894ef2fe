// blessed repaints every widget into the screen's cell buffer at every render, changed or not. In
// the chat room a new message changes the message pane; the room list, the member list, the input
// line and the status bar mostly stay as they were, yet cost as much again to repaint. A widget
// wrapped here repaints only when something it is drawn from has changed: its parsed content,
// where it is, its style (a theme switch makes new style objects), its label, or the screen's
// buffer itself (a resize or Ctrl-L makes a new one); and after anything cleared its area
// (blessed clears an element's area through clearPos on every move, resize, hide or new content).
// Its cells in the buffer are then still exactly what the repaint would write, so the screen's
// diff and what the terminal shows are unchanged. Only for widgets that nothing else overlaps.

import type blessed from 'blessed';
import type { Coords } from './blessed-internals.ts';

interface ElementInternals {
  screen: { lines: unknown };
  hidden: boolean;
  detached: boolean;
  style: { border?: unknown };
  _clines: unknown;
  _label?: ElementInternals & { rtop?: number; rleft?: number };
  parseContent(): void;
  _getCoords(get: boolean): Coords | undefined;
  clearPos(...args: unknown[]): unknown;
  render(): unknown;
}

export function renderWhenChanged(widget: blessed.Widgets.BlessedElement): void {
  const element = widget as unknown as ElementInternals;
  const render = element.render.bind(element);
  const clearPos = element.clearPos.bind(element);
  let cleared = true;
  let last: unknown[] = [];
  element.clearPos = (...args: unknown[]) => {
    cleared = true;
    return clearPos(...args);
  };
  const labelClearPos = (label: ElementInternals): void => {
    // A new label text clears the label's own area, on this widget's border.
    const clear = label.clearPos.bind(label);
    label.clearPos = (...args: unknown[]) => {
      cleared = true;
      return clear(...args);
    };
  };
  let watchedLabel: ElementInternals | undefined;
  element.render = () => {
    if (element.hidden || element.detached) {
      cleared = true;
      return render();
    }
    const label = element._label;
    if (label && label !== watchedLabel) {
      labelClearPos(label);
      watchedLabel = label;
      cleared = true;
    }
    element.parseContent();
    label?.parseContent();
    const coords = element._getCoords(true);
    const now = [
      element.screen.lines,
      element._clines,
      element.style,
      element.style.border,
      coords?.xi,
      coords?.xl,
      coords?.yi,
      coords?.yl,
      coords?.base,
      label?._clines,
      label?.style,
      label?.rtop,
      label?.rleft,
    ];
    if (!cleared && coords && now.every((value, i) => value === last[i])) return undefined;
    cleared = false;
    last = now;
    return render();
  };
}
