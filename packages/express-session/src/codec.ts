/** Sessions to and from their stored text, with the store's typed errors (ids never whole). */

import type { SessionData } from 'express-session';
import { describeSessionId, SessionStoreError } from './errors.js';
import type { SessionSerializer } from './options.js';

export async function parseSession(
  serializer: SessionSerializer,
  prefix: string,
  sid: string,
  text: string,
): Promise<SessionData> {
  try {
    return await serializer.parse(text);
  } catch (error) {
    // Only the error's name: a serializer's message (and so the error itself, which apps log as
    // a `cause`) may quote the stored session, e.g. JSON.parse's `"…" is not valid JSON`.
    throw new SessionStoreError(
      'PARSE_FAILED',
      `the stored session ${describeSessionId(sid)} under prefix ${JSON.stringify(prefix)} could not be parsed by serializer.parse (it threw ${errorName(error)}; its message is left out as it may quote the stored value)`,
    );
  }
}

/** The session's stored text; nothing is written when this throws. */
export function serializeSession(
  serializer: SessionSerializer,
  maxSessionBytes: number,
  sid: string,
  session: SessionData,
): string {
  let text: unknown;
  try {
    text = serializer.stringify(session);
  } catch (error) {
    throw new SessionStoreError(
      'SERIALIZE_FAILED',
      `session ${describeSessionId(sid)} could not be serialized (${(error as Error)?.message ?? error}); nothing was written`,
      { cause: error },
    );
  }
  if (typeof text !== 'string') {
    throw new SessionStoreError(
      'SERIALIZE_FAILED',
      `serializer.stringify returned ${typeof text} for session ${describeSessionId(sid)}, not a string; nothing was written`,
    );
  }
  const bytes = Buffer.byteLength(text);
  if (bytes > maxSessionBytes) {
    throw new SessionStoreError(
      'SESSION_TOO_LARGE',
      `session ${describeSessionId(sid)} is ${bytes} bytes serialized, over maxSessionBytes (${maxSessionBytes}); nothing was written`,
    );
  }
  return text;
}

/** The name of what a user's function threw (`SyntaxError`, …), without its message. */
function errorName(error: unknown): string {
  if (error instanceof Error) return error.name;
  return error === null ? 'null' : typeof error;
}
