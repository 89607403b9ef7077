/**
 * A request body read as a stream with an idle timeout: the listener's whole-request timeout
 * does not apply to a streamed upload (see exemptFromRequestTimeout), so a client that stalls
 * mid-upload is cut off here instead, after `idleMs` without a byte.
 */
import type { IncomingMessage } from 'node:http';
import { CofferError } from '../../core/errors.js';

/** Yields the body's chunks; throws a 400 CofferError when the client stalls or the connection breaks. */
export async function* streamedBody(req: IncomingMessage, idleMs: number): AsyncGenerator<Buffer> {
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      req.destroy(new CofferError('invalid_request', `the upload stalled: no data for ${Math.round(idleMs / 1000)}s; nothing was changed`));
    }, idleMs);
  };
  arm();
  try {
    for await (const chunk of req) {
      arm();
      yield chunk as Buffer;
    }
  } catch (err) {
    if (err instanceof CofferError) throw err;
    throw new CofferError('invalid_request', 'the upload was cut off before its end; nothing was changed');
  } finally {
    clearTimeout(timer);
  }
}
