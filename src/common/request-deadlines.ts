import { randomUUID } from 'node:crypto';
import type { OutgoingHttpHeaders } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { REQUEST_ID_HEADER } from '../logging/request-id';

export const REQUEST_TIMEOUT_DETAIL = 'The request did not arrive within the request timeout';

/** Raised on a body that stops arriving: the body parser answers it like its own errors. */
class BodyTimeoutError extends Error {
  override name = 'FastifyError';
  readonly statusCode = 408;
  readonly code = 'PORTCULLIS_BODY_TIMEOUT';
}

/**
 * Node's requestTimeout stops counting once the headers are in, so a body trickled byte by byte
 * held a request until the connection timeout, unanswered. This ends it at `timeoutMs` with 408.
 */
export function armBodyDeadline(request: FastifyRequest, reply: FastifyReply, timeoutMs: number) {
  const raw = request.raw;
  if (raw.complete || (!raw.headers['content-length'] && !raw.headers['transfer-encoding'])) {
    return;
  }
  const timer = setTimeout(() => {
    if (!raw.complete && !raw.destroyed) {
      // The rest of the body may still come: the connection must not be reused after the answer.
      void reply.header('Connection', 'close');
      raw.emit('error', new BodyTimeoutError(REQUEST_TIMEOUT_DETAIL));
    }
  }, timeoutMs);
  timer.unref();
  const disarm = () => clearTimeout(timer);
  raw.once('end', disarm);
  raw.once('close', disarm);
}

const CLIENT_ERRORS: Record<string, { status: number; detail: string }> = {
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, detail: REQUEST_TIMEOUT_DETAIL },
  HPE_HEADER_OVERFLOW: { status: 431, detail: 'The request headers are larger than the limit' },
};

/**
 * Requests Node refuses before any route (headers too large, a malformed request line, headers
 * that stop arriving): answered as problem details with the security headers, not Node's bare text.
 */
export function clientErrorHandler(apiHeaders: Readonly<OutgoingHttpHeaders>) {
  return (error: Error & { code?: string }, socket: Socket): void => {
    if (error.code === 'ECONNRESET' || socket.destroyed) {
      return;
    }
    if (socket.writable) {
      const { status, detail } = CLIENT_ERRORS[error.code ?? ''] ?? {
        status: 400,
        detail: 'The request could not be read',
      };
      const title = STATUS_CODES[status] ?? 'Bad Request';
      const body = JSON.stringify({ type: 'about:blank', title, status, detail });
      const headers = {
        ...apiHeaders,
        [REQUEST_ID_HEADER]: randomUUID(),
        'content-type': 'application/problem+json; charset=utf-8',
        'content-length': Buffer.byteLength(body),
        connection: 'close',
      };
      const head = Object.entries(headers).map(([name, value]) => `${name}: ${String(value)}`);
      socket.write(`HTTP/1.1 ${status} ${title}\r\n${head.join('\r\n')}\r\n\r\n${body}`);
    }
    socket.destroy(error);
  };
}
