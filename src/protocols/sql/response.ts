import { type Attributes, type L7Message, newMessage } from '../../model/message.js';
import { SERVER_TO_CLIENT, type Conversation } from '../../model/stream.js';
import type { SqlDialect } from './sanitize.js';

/** Where a reply's bytes began and how many there were. */
export interface ReplySpan {
  start: number;
  size: number;
}

/**
 * A SQL server's response, carrying the request it answers: the SQL decoders pair them
 * themselves (the 'stream' match strategy), since a reply is only known complete in context.
 */
export function sqlResponse(
  protocol: SqlDialect,
  conv: Conversation,
  reply: ReplySpan,
  end: number,
  attributes: Attributes,
  details: Record<string, unknown>,
  request: L7Message,
  error: boolean,
): L7Message {
  const response = newMessage(protocol, conv, SERVER_TO_CLIENT, 'response', reply.start, end, reply.size, attributes);
  response.details = details;
  response.request = request;
  if (error) response.error = true;
  return response;
}
