// Applies the protocol's requests to a session. Each request is validated against its schema
// first: a bad one gets an error reply with a stable code and the connection stays up.

import { ParlorError } from '../protocol/errors.ts';
import { isRequestType, requestEnvelope, requestSchemas, type Request, type RequestType } from '../protocol/messages.ts';

export interface RequestContext {
  reply(id: number, data?: unknown): void;
}

type Handler<T extends RequestType> = (request: Request<T>, context: RequestContext) => void;

const handlers: { [T in RequestType]: Handler<T> } = {
  ping: (request, context) => context.reply(request.id, request.payload === undefined ? {} : { payload: request.payload }),
};

/** Validates and runs one request; returns the error to send back, if any. */
export function routeRequest(message: unknown, context: RequestContext): { id?: number; error: ParlorError } | undefined {
  const envelope = requestEnvelope.safeParse(message);
  if (!envelope.success) return { error: new ParlorError('BAD_REQUEST', 'a request needs a numeric id and a type') };
  const { id, type } = envelope.data;
  if (!isRequestType(type)) return { id, error: new ParlorError('UNKNOWN_TYPE', `unknown request type "${type.slice(0, 64)}"`) };
  const parsed = requestSchemas[type].safeParse(message);
  if (!parsed.success) {
    const detail = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
    return { id, error: new ParlorError('BAD_REQUEST', `a bad ${type} request: ${detail}`) };
  }
  (handlers[type] as Handler<RequestType>)(parsed.data, context);
  return undefined;
}
