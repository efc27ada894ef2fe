// A connection whose two ends are both in this process (the SSH front door's bridge from a
// visitor's ChatClient to the server, ssh/bridge-socket.ts) has nothing between them to encrypt
// against: its frames are neither read nor altered by anyone else, and the SSH leg is SSH's. Its
// frames keep their layout (counter, records, a tag of zeros) but skip AES-GCM, which was about a
// fifth of the server's CPU with 200 SSH users. Only code in this process can mark a socket, and
// only both ends of a bridge are: a socket from the network never carries the mark, so a peer
// cannot ask for unsealed frames.

const IN_PROCESS = Symbol('parlor.inProcessSocket');

export function markInProcess(socket: object): void {
  (socket as { [IN_PROCESS]?: true })[IN_PROCESS] = true;
}

export function isInProcess(socket: object): boolean {
  return (socket as { [IN_PROCESS]?: true })[IN_PROCESS] === true;
}
