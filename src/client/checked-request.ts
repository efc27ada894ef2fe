// The one way ChatClient and its reconnect (reconnect.ts) send a request: the reply is checked
// against the reply schema of its type before anything reads it, as data from the network must be.

import { ParlorError } from '../protocol/errors.ts';
import { replySchemas, type Reply, type RequestType } from '../protocol/messages.ts';
import type { ParlorClient } from './client.ts';

/**
 * A request on one connection, its reply checked against the reply schema of its type. `onReply`
 * sees the checked reply as soon as it arrives, before later notices (see ParlorClient.request).
 */
export function checkedRequest<T extends RequestType>(
  client: ParlorClient,
  type: T,
  fields: Record<string, unknown>,
  onReply?: (reply: Reply<T>) => void,
): Promise<Reply<T>> {
  return client.request(type, fields, (data) => {
    const parsed = replySchemas[type].safeParse(data ?? {});
    if (!parsed.success) throw new ParlorError('BAD_MESSAGE', `the server's reply to ${type} is not what this client expects`);
    const reply = parsed.data as Reply<T>;
    onReply?.(reply);
    return reply;
  }) as Promise<Reply<T>>;
}
