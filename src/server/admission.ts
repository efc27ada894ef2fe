// Who may start a handshake: connections that have not logged in yet are capped per address and in
// all (issue 17, item 3: idle handshaken connections held an address's places for good, and
// half-open sockets from many addresses used up the fds). A refused socket is told why with the
// handshake's error frame (TOO_MANY_CONNECTIONS), which a client reads in place of a ServerHello.
// Over the cap in all (not per address), a connection first waits in a short queue for a place.

import type { Socket } from 'node:net';
import { encodeFrame } from '../protocol/frame.ts';
import { encodeHandshakeError } from '../protocol/handshake-messages.ts';

export interface AdmissionLimits {
  maxUnauthenticatedPerAddress: number;
  maxUnauthenticated: number;
  /** Connections that wait for a place when maxUnauthenticated are taken; beyond it they are refused. */
  admissionQueue: number;
  /** How long one waits in that queue before it is refused after all. */
  admissionWaitMs: number;
}

/** Refused sockets told why at once, and how long each may take to go (each holds an fd meanwhile). */
const MAX_REFUSALS_BEING_TOLD = 64;
const REFUSAL_GRACE_MS = 1000;

/** Gives a connection's place back (at login or close; calling it again does nothing). */
export type ReleasePlace = () => void;

/** What became of a connection at the door: `start` has run, will run once a place frees, or never. */
export type AdmissionOutcome = { admitted: true } | { queued: true } | { refused: string };

interface Waiting {
  socket: Socket;
  address: string;
  start: (release: ReleasePlace) => void;
  timer: NodeJS.Timeout;
}

/**
 * Why a queue and not only a cap: when a server restarts, all its clients come back at once. Refused
 * at the cap, most of them failed an attempt or several and waited out a backoff; measured with
 * 2,000 clients, 3,576 refusals, and all were back after 8.4 s. Waiting at the door in arrival
 * order, each gets its place as soon as one frees. The queue is bounded in length and in time, and
 * a place in it counts toward its address's cap, so one address cannot fill it.
 */
export class Admission {
  private readonly perAddress = new Map<string, number>();
  private total = 0;
  private refusing = 0;
  private readonly waiting: Waiting[] = [];
  private closed = false;

  /** `onRefused`: each refusal, also of one that waited in the queue too long. */
  constructor(
    private readonly limits: AdmissionLimits,
    private readonly onRefused: (socket: Socket, message: string) => void = () => {},
  ) {}

  /**
   * Takes a place for a new connection and runs `start` with the function that gives it back; or
   * queues it until a place frees (running `start` then); or refuses it, telling it why.
   */
  admit(socket: Socket, address: string, start: (release: ReleasePlace) => void): AdmissionOutcome {
    const pending = this.perAddress.get(address) ?? 0;
    if (pending >= this.limits.maxUnauthenticatedPerAddress) {
      return this.refuse(socket, `more than ${this.limits.maxUnauthenticatedPerAddress} connections from your address have not logged in`);
    }
    if (this.total < this.limits.maxUnauthenticated && this.waiting.length === 0) {
      this.perAddress.set(address, pending + 1);
      this.take(address, start);
      return { admitted: true };
    }
    if (this.waiting.length >= this.limits.admissionQueue) {
      return this.refuse(socket, 'the server has too many connections that have not logged in: try again shortly');
    }
    this.perAddress.set(address, pending + 1);
    const waiting: Waiting = {
      socket,
      address,
      start,
      timer: setTimeout(() => {
        if (!this.leaveQueue(waiting)) return;
        this.refuse(socket, `the server has too many connections that have not logged in: waited ${this.limits.admissionWaitMs} ms for a place`);
      }, this.limits.admissionWaitMs),
    };
    waiting.timer.unref();
    socket.on('error', () => {});
    socket.once('close', () => this.leaveQueue(waiting));
    this.waiting.push(waiting);
    return { queued: true };
  }

  /** At the server's stop: those still waiting are closed (they were never served). */
  close(): void {
    this.closed = true;
    for (const waiting of this.waiting.splice(0)) {
      clearTimeout(waiting.timer);
      waiting.socket.destroy();
    }
  }

  /** Counts the connection (its address's count is already taken) and starts it. */
  private take(address: string, start: (release: ReleasePlace) => void): void {
    this.total++;
    let counted = true;
    start(() => {
      if (!counted) return;
      counted = false;
      this.total--;
      this.giveBack(address);
      this.admitWaiting();
    });
  }

  /** The oldest waiting connections, while places are free (one that has closed meanwhile left the queue). */
  private admitWaiting(): void {
    while (!this.closed && this.total < this.limits.maxUnauthenticated && this.waiting.length > 0) {
      const next = this.waiting.shift()!;
      clearTimeout(next.timer);
      this.take(next.address, next.start);
    }
  }

  /** Takes a waiting connection out of the queue and gives its address's place back; false if it was not there. */
  private leaveQueue(waiting: Waiting): boolean {
    const index = this.waiting.indexOf(waiting);
    if (index < 0) return false;
    this.waiting.splice(index, 1);
    clearTimeout(waiting.timer);
    this.giveBack(waiting.address);
    return true;
  }

  private giveBack(address: string): void {
    const left = (this.perAddress.get(address) ?? 1) - 1;
    if (left > 0) this.perAddress.set(address, left);
    else this.perAddress.delete(address);
  }

  /** Refused before any work (no handshake, no key operations): told why when few are being told. */
  private refuse(socket: Socket, message: string): { refused: string } {
    this.onRefused(socket, message);
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
