// The page's one WebSocket to the local parlor process. It reconnects by itself (a second, then
// every two) when the process or the network hiccups, and lines sent while it is down wait in
// order and go out once it is back. When it cannot get back, it finds out why, for the status
// line: the process is not running, or a new `parlor web` runs there whose pass this tab lacks
// (each start makes a new one: the tab must be opened from the address that process printed).

import type { PageRequest, WebEvent } from '../src/web/wire.ts';

/** Why the page is not connected: still trying, nothing answers, or a `parlor web` that refuses this tab. */
export type Down = 'retrying' | 'not-running' | 'other-process';

export class Connection {
  private socket: WebSocket | undefined;
  private readonly waiting: string[] = [];
  open = false;
  down: Down = 'retrying';

  constructor(
    private readonly onEvent: (event: WebEvent) => void,
    private readonly onState: (open: boolean) => void,
  ) {
    this.connect();
  }

  send(request: PageRequest): void {
    const text = JSON.stringify(request);
    if (this.open && this.socket) this.socket.send(text);
    else if (request.type === 'line' || request.type === 'transfer') this.waiting.push(text);
  }

  private connect(): void {
    const socket = new WebSocket(`ws://${location.host}/ws`);
    this.socket = socket;
    socket.addEventListener('open', () => {
      this.open = true;
      this.onState(true);
      for (const text of this.waiting.splice(0)) socket.send(text);
    });
    socket.addEventListener('message', (message) => {
      try {
        this.onEvent(JSON.parse(String(message.data)) as WebEvent);
      } catch (error) {
        console.error('parlor: a message from the local process could not be used', error);
      }
    });
    socket.addEventListener('close', () => {
      const was = this.open;
      this.open = false;
      if (was) {
        this.down = 'retrying';
        this.onState(false);
      } else {
        void this.findWhyDown();
      }
      setTimeout(() => this.connect(), was ? 1000 : 2000);
    });
  }

  /** A WebSocket that fails says nothing of why: the page asks for itself the plain way. */
  private async findWhyDown(): Promise<void> {
    let down: Down;
    try {
      const answer = await fetch(location.pathname, { method: 'HEAD', cache: 'no-store' });
      down = answer.status === 403 ? 'other-process' : 'retrying';
    } catch {
      down = 'not-running';
    }
    if (this.open || down === this.down) return;
    this.down = down;
    this.onState(false);
  }
}
