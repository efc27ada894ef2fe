// The end-to-end half of ChatClient (issue 9): which rooms are secret and whose keys are in them,
// sealing a secret room's messages, DMs and file offers to the right keys, and opening what
// arrives. The sealing and the checks are E2eSession's (e2e.ts), the trust decisions PeerKeys'
// (peer-keys.ts); this class knows which keys to hand them. ChatClient owns one and sends its
// requests for it.

import { messageNonce } from '../message-nonce.ts';
import { ParlorError } from '../../protocol/errors.ts';
import { foldName } from '../../protocol/names.ts';
import type { ClientIdentity } from '../../crypto/identity.ts';
import type { RecipientKey } from '../../crypto/e2e-envelope.ts';
import type { IdentityKey, JoinedMessage, LeftMessage, PeerKey, Reply, RequestType } from '../../protocol/messages.ts';
import { E2eSession, type DeliveredMessage, type OpenedFile, type SealedFile } from './e2e.ts';
import { PeerKeys } from './peer-keys.ts';
import type { SeenEnvelopes } from './seen-envelopes.ts';

/** A join (or create) reply with sealed messages opened, and how many were not sealed to this client. */
export type OpenedJoin = Omit<Reply<'join'>, 'history'> & {
  history: DeliveredMessage[];
  /** Secret messages from before this client joined: genuine, but not sealed to it (so unreadable). */
  notSealedToYou: number;
};
/** A history reply, opened likewise. */
export type OpenedHistory = Omit<Reply<'history'>, 'messages'> & { messages: DeliveredMessage[]; notSealedToYou: number };

/** What whois tells: the server's answer, and whether that key matches known_peers. */
export type WhoisResult = Reply<'whois'> & { trust: 'known' | 'new' | 'changed' | 'you' };

/** What SealedChat needs of the ChatClient that owns it. */
export interface SealedChatSession {
  /** This client's name as the server confirmed it. */
  name(): string;
  /** This client's fingerprint as the server saw it on the current connection. */
  fingerprint(): string;
  /** A request on the current connection, its reply checked. */
  request<T extends RequestType>(type: T, fields: Record<string, unknown>): Promise<Reply<T>>;
}

/** A DM's acknowledgement; `sshUser` when it went in clear because that party is over ssh. */
export type SentDirect = Reply<'dm'> & { sshUser?: string };

export class SealedChat {
  private readonly e2e: E2eSession;
  /** Secret rooms this client is in: their members' keys by folded name. */
  private readonly secretRooms = new Map<string, Map<string, PeerKey>>();

  constructor(
    identity: ClientIdentity,
    private readonly peers: PeerKeys,
    private readonly session: SealedChatSession,
    seen: SeenEnvelopes,
  ) {
    this.e2e = new E2eSession(identity, peers, () => session.name(), seen);
  }

  /** Whether a room this client is in is secret (end-to-end). */
  isSecretRoom(room: string): boolean {
    return this.secretRooms.has(foldName(room.replace(/^#/, '')));
  }

  /** A user's key and fingerprint as the server has it, and whether it matches known_peers. */
  async whois(name: string): Promise<WhoisResult> {
    const reply = await this.session.request('whois', { name });
    const { fingerprint } = PeerKeys.parseWireKey(reply);
    if (foldName(reply.name) === foldName(this.session.name())) return { ...reply, trust: fingerprint === this.session.fingerprint() ? 'you' : 'changed' };
    return { ...reply, trust: this.peers.trustOf(reply.name, fingerprint) };
  }

  /** After comparing fingerprints: trust the key this name now presents (or the one given). */
  acceptPeerKey(name: string, fingerprint?: string): boolean {
    return this.peers.accept(name, fingerprint);
  }

  /** The path of this client's known_peers file. */
  get knownPeersPath(): string {
    return this.peers.known.path;
  }

  /** Opens a message if it is sealed; plaintext messages pass through untouched. Never throws. */
  open(message: DeliveredMessage): DeliveredMessage {
    return this.e2e.open(message);
  }

  /** A join (or create) reply's history page, opened. */
  openJoin(reply: Reply<'join'>): OpenedJoin {
    const history = reply.history.map((message) => this.e2e.open(message));
    return { ...reply, history, notSealedToYou: countNotSealed(history) };
  }

  /** A history reply's messages, opened. */
  openHistory(reply: Reply<'history'>): OpenedHistory {
    const messages = reply.messages.map((message) => this.e2e.open(message));
    return { ...reply, messages, notSealedToYou: countNotSealed(messages) };
  }

  /** Says something in a secret room, sealed to every member but this client. */
  async say(room: string, text: string): Promise<Reply<'say'>> {
    const key = foldName(room.replace(/^#/, ''));
    const { sealed, messageId } = this.e2e.seal('room', key, text, this.roomRecipients(key));
    const reply = await this.session.request('e2e_say', { room, sealed, nonce: messageNonce() });
    this.e2e.sent(messageId, reply.id);
    return reply;
  }

  /** A direct message sealed to the user's key. */
  async dm(to: string, text: string): Promise<SentDirect> {
    const { name, recipients, overSsh } = await this.directRecipients(to);
    // The server holds an SSH user's key and reads what is sealed to it: sealing would only pretend.
    if (overSsh) return { ...(await this.session.request('dm', { to, text, nonce: messageNonce() })), sshUser: name };
    const { sealed, messageId } = this.e2e.seal('direct', name, text, recipients);
    const reply = await this.session.request('e2e_dm', { to, sealed, nonce: messageNonce() });
    this.e2e.sent(messageId, reply.id);
    return reply;
  }

  /**
   * Seals a file offer's metadata for a user or a secret room (to the members' keys as this client
   * knows them), as a DM or a secret message is sealed; E2E_PEER_KEY_CHANGED for a changed key.
   */
  async sealFileOffer(target: { to: string } | { room: string }, metadata: Buffer): Promise<SealedFile> {
    if ('room' in target) {
      const key = foldName(target.room.replace(/^#/, ''));
      return this.e2e.sealFile('room', key, metadata, this.roomRecipients(key));
    }
    const { name, recipients } = await this.directRecipients(target.to);
    return this.e2e.sealFile('direct', name, metadata, recipients);
  }

  /** Opens a sealed file offer with every check a sealed message gets; throws its E2E_ code. */
  openFileOffer(offer: { from: string; room?: string | undefined; to?: string | undefined; sealed: string }): OpenedFile {
    return this.e2e.openFile(offer);
  }

  /** A join (or rejoin) reply: a secret room's members and their keys. */
  noteRoomKeys(reply: Reply<'join'>): void {
    const key = foldName(reply.room);
    if (reply.secret !== true) return;
    this.secretRooms.set(key, new Map((reply.keys ?? []).map((peer) => [foldName(peer.name), peer])));
    // Checked now, so a changed key is reported at join rather than at the first message.
    for (const peer of reply.keys ?? []) {
      if (foldName(peer.name) === foldName(this.session.name())) continue;
      try {
        this.trustedKey(peer.name, peer);
      } catch {
        // Reported through peerKeyChanged; say() refuses until the user decides.
      }
    }
  }

  /** Someone joined or left a room: a secret room's members change. */
  onRoomPresence(event: JoinedMessage | LeftMessage): void {
    const members = this.secretRooms.get(foldName(event.room));
    if (!members) return;
    if (event.type === 'left') {
      members.delete(foldName(event.name));
      return;
    }
    if (!event.key) return;
    members.set(foldName(event.name), { name: event.name, ...event.key });
    try {
      this.trustedKey(event.name, event.key);
    } catch {
      // Reported through peerKeyChanged.
    }
  }

  /** The trusted keys of a secret room's members other than this client; throws for a changed key. */
  private roomRecipients(key: string): RecipientKey[] {
    const members = [...(this.secretRooms.get(key)?.values() ?? [])].filter((member) => foldName(member.name) !== foldName(this.session.name()));
    return members.map((member) => this.trustedKey(member.name, member));
  }

  /** A user's name as the server has it, and the trusted key to seal to (none when it is this client). */
  private async directRecipients(to: string): Promise<{ name: string; recipients: RecipientKey[]; overSsh: boolean }> {
    // Asked each time: a key that changed since the last DM is then caught before sealing to it.
    const { keys } = await this.session.request('keys', { names: [to] });
    const peer = keys.find((key) => foldName(key.name) === foldName(to));
    if (!peer) throw new ParlorError('USER_NOT_FOUND', `the server has no key for "${to}"`);
    const recipients = foldName(peer.name) === foldName(this.session.name()) ? [] : [this.trustedKey(peer.name, peer)];
    return { name: peer.name, recipients, overSsh: peer.via === 'ssh' };
  }

  private trustedKey(name: string, key: IdentityKey): RecipientKey {
    const { fingerprint, parts } = PeerKeys.parseWireKey(key);
    return this.peers.trust(name, fingerprint, parts);
  }
}

function countNotSealed(messages: readonly DeliveredMessage[]): number {
  return messages.filter((message) => message.e2e?.state === 'not-sealed-to-you').length;
}
