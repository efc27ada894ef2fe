// The one way ChatClient and its reconnect (reconnect.ts) send a request: the reply is checked
// against the reply schema of its type before anything reads it, as data from the network must be.

import { ParlorError } from '../protocol/errors.ts';
import { replySchemas, type Reply, type RequestType } from '../protocol/messages.ts';
import type { ParlorClient } from './client.ts';

/** A request on one connection, its reply checked against the reply schema of its type. */
export async function checkedRequest<T extends RequestType>(client: ParlorClient, type: T, fields: Record<string, unknown>): Promise<Reply<T>> {
  const data = await client.request(type, fields);
  const parsed = replySchemas[type].safeParse(data ?? {});
  if (!parsed.success) throw new ParlorError('BAD_MESSAGE', `the server's reply to ${type} is not what this client expects`);
  return parsed.data as Reply<T>;
}
