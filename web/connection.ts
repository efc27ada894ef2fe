// The page's one WebSocket to the local parlor process. It reconnects by itself (a second, then
// every two) when the process or the network hiccups, and lines sent while it is down wait in
// order and go out once it is back.

import type { PageRequest, WebEvent } from '../src/web/wire.ts';

export class Connection {
  private socket: WebSocket | undefined;
  private readonly waiting: string[] = [];
  open = false;

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
      if (was) this.onState(false);
      setTimeout(() => this.connect(), was ? 1000 : 2000);
    });
  }
}
