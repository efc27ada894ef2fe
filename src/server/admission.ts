// Who may start a handshake: connections that have not logged in yet are capped per address and in
// all (issue 17, item 3: idle handshaken connections held an address's places for good, and
// half-open sockets from many addresses used up the fds). A refused socket is told why with the
// handshake's error frame (TOO_MANY_CONNECTIONS), which a client reads in place of a ServerHello.

import type { Socket } from 'node:net';
import { encodeFrame } from '../protocol/frame.ts';
import { encodeHandshakeError } from '../protocol/handshake-messages.ts';

export interface AdmissionLimits {
  maxUnauthenticatedPerAddress: number;
  maxUnauthenticated: number;
}

/** Refused sockets told why at once, and how long each may take to go (each holds an fd meanwhile). */
const MAX_REFUSALS_BEING_TOLD = 64;
const REFUSAL_GRACE_MS = 1000;

export class Admission {
  private readonly perAddress = new Map<string, number>();
  private total = 0;
  private refusing = 0;

  constructor(private readonly limits: AdmissionLimits) {}

  /**
   * Takes a place for a new connection, or refuses it (telling it why). Returns the function that
   * gives the place back (at login or close; calling it again does nothing), or undefined if refused.
   */
  admit(socket: Socket, address: string): { release: () => void } | { refused: string } {
    const pending = this.perAddress.get(address) ?? 0;
    if (pending >= this.limits.maxUnauthenticatedPerAddress) {
      return this.refuse(socket, `more than ${this.limits.maxUnauthenticatedPerAddress} connections from your address have not logged in`);
    }
    if (this.total >= this.limits.maxUnauthenticated) {
      return this.refuse(socket, 'the server has too many connections that have not logged in: try again shortly');
    }
    this.perAddress.set(address, pending + 1);
    this.total++;
    let counted = true;
    return {
      release: () => {
        if (!counted) return;
        counted = false;
        this.total--;
        const left = (this.perAddress.get(address) ?? 1) - 1;
        if (left > 0) this.perAddress.set(address, left);
        else this.perAddress.delete(address);
      },
    };
  }

  /** Refused before any work (no handshake, no key operations): told why when few are being told. */
  private refuse(socket: Socket, message: string): { refused: string } {
    if (this.refusing >= MAX_REFUSALS_BEING_TOLD) {
      socket.destroy();
      return { refused: message };
    }
    this.refusing++;
    socket.on('error', () => {});
    // Read what the client sends (its ClientHello): unread input would turn the close into a reset
    // that discards the error frame.
    socket.resume();
    socket.end(encodeFrame(encodeHandshakeError({ code: 'TOO_MANY_CONNECTIONS', message })));
    const timer = setTimeout(() => socket.destroy(), REFUSAL_GRACE_MS);
    timer.unref();
    socket.once('close', () => {
      this.refusing--;
      clearTimeout(timer);
    });
    return { refused: message };
  }
}
