// Frames: a screen draws at most once per turn of the event loop, however many times it is asked.
// blessed's screen.render() repaints every widget (and re-reads their whole content's colours)
// each time it is called, and it is called often: the chat room after each message, and blessed
// itself from inside a scroll (a box with a label renders again on every scroll event, so one
// "scroll to the end" costs two renders). A burst of messages read in one go is one frame; what
// the terminal ends up showing is the same, the last state. The SSH front door runs a screen per
// visitor in one process, where this is the difference between keeping up and falling behind.

import type blessed from 'blessed';

/** The frame a screen has been asked for and not drawn yet: draws it now. */
const pendingFrames = new WeakMap<blessed.Widgets.Screen, () => void>();

/** Makes `screen.render()` ask for a frame, drawn once at the end of this turn (setImmediate). */
export function coalesceRenders(screen: blessed.Widgets.Screen): void {
  const renderNow = screen.render.bind(screen);
  let pending: NodeJS.Immediate | undefined;
  const draw = (): void => {
    if (pending) clearImmediate(pending);
    pending = undefined;
    // blessed itself skips a destroyed screen: nothing is written after the terminal was given back.
    renderNow();
  };
  screen.render = () => {
    pending ??= setImmediate(draw);
  };
  pendingFrames.set(screen, () => {
    if (pending) draw();
  });
  screen.on('destroy', () => {
    if (pending) clearImmediate(pending);
    pending = undefined;
  });
}

/**
 * Draws the frame asked for, if any, now rather than at the end of the turn: for a caller that has
 * just finished the last change of its own turn (the chat room's coalesced drawing), so that its
 * bytes leave now, not after every other screen in the process has drawn too.
 */
export function renderPendingFrame(screen: blessed.Widgets.Screen): void {
  pendingFrames.get(screen)?.();
}
