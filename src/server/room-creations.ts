// Who may create a room, and how often (issue 17, item 6): one session created 225 permanent
// rooms in 20 s, each with a scrypt hash. Rooms are never deleted, so creations are budgeted per
// identity (a bucket refilled by the minute, its address sharing a bounded part of it) and
// capped per creator and in all.

import { ParlorError } from '../protocol/errors.ts';
import type { ChatStore } from '../store/store.ts';
import { RetryLaterError } from './limits.ts';
import { RateBudgets } from './rate-budget.ts';
import type { Session } from './session.ts';

export interface RoomCreationLimits {
  maxRoomsPerCreator: number;
  maxRooms: number;
  createsPerMinute: number;
  passwordHashConcurrency: number;
  maxQueuedPasswordHashes: number;
}

/** Creations an identity may make at once before the per-minute rate applies. */
const CREATE_BURST = 3;

export class RoomCreations {
  private readonly byCreator = new Map<string, number>();
  private total = 0;
  private readonly budgets: RateBudgets;

  constructor(store: ChatStore, private readonly limits: RoomCreationLimits) {
    for (const room of store.listRooms()) {
      this.total++;
      if (room.createdBy !== null) this.byCreator.set(room.createdBy, (this.byCreator.get(room.createdBy) ?? 0) + 1);
    }
    const perSecond = limits.createsPerMinute / 60;
    const burst = Math.min(CREATE_BURST, limits.createsPerMinute);
    // Never "flooding": a refused create is only refused (the request budget handles floods).
    this.budgets = new RateBudgets({ perSecond, burst, addressPerSecond: perSecond * 4, addressBurst: burst * 4, strikes: Infinity, windowMs: 1 });
  }

  /** Refuses a creation over a cap (TOO_MANY_ROOMS) or over the identity's budget (RATE_LIMITED); spends the budget. */
  check(session: Session, creator: string): void {
    this.checkCaps(creator);
    const spent = this.budgets.spend(session.client.fingerprint, session.address, 'create');
    if (!spent.ok) throw new RetryLaterError(`too many rooms created: try again in ${Math.ceil(spent.retryAfterMs / 1000)} s`, spent.retryAfterMs);
  }

  /** The room is being created now: the caps again (others may have created meanwhile), then it counts. */
  count(creator: string): void {
    this.checkCaps(creator);
    this.total++;
    this.byCreator.set(creator, (this.byCreator.get(creator) ?? 0) + 1);
  }

  private checkCaps(creator: string): void {
    if (this.total >= this.limits.maxRooms) throw new ParlorError('TOO_MANY_ROOMS', `this server has ${this.total} rooms, as many as it allows`);
    const mine = this.byCreator.get(creator) ?? 0;
    if (mine >= this.limits.maxRoomsPerCreator) throw new ParlorError('TOO_MANY_ROOMS', `you have created ${mine} rooms, as many as one user may`);
  }
}
