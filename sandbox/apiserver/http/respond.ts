/** Response and request helpers shared by the HTTP handlers. */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, internalError } from '../errors.js';

/** Request bodies above this are rejected (the real server's limit is 3 MiB). */
export const maxBodyBytes = 3 * 1024 * 1024;

export function sendJson(
  res: ServerResponse,
  code: number,
  body: unknown,
  headers: Record<string, string | string[]> = {},
): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(code, {
    'Content-Type': 'application/json',
    'Cache-Control': 'no-cache, private',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export function sendError(res: ServerResponse, error: unknown): ApiError {
  const apiError =
    error instanceof ApiError ? error : internalError(error instanceof Error ? error.message : String(error), error);
  sendJson(res, apiError.status, apiError.toStatus());
  return apiError;
}

export async function readBody(req: IncomingMessage): Promise<string> {
  return (await readBodyBuffer(req)).toString('utf8');
}

/** Past the limit, the rest of a body is read and dropped up to this much, so the client gets its 413. */
const maxDrainBytes = 64 * 1024 * 1024;

/** The 413 the real server answers for a body over its limit (`NewRequestEntityTooLargeError`). */
export function entityTooLarge(): ApiError {
  return new ApiError(413, 'RequestEntityTooLarge', `Request entity too large: limit is ${maxBodyBytes}`);
}

/**
 * The request body. One over {@link maxBodyBytes} is a 413 (`RequestEntityTooLarge`): the rest of
 * it is read and dropped (up to {@link maxDrainBytes}, then the connection is closed) so that the
 * client reads the answer instead of a reset connection.
 */
export function readBodyBuffer(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBodyBytes) chunks.push(chunk);
      else if (size > maxBodyBytes + maxDrainBytes) {
        reject(entityTooLarge());
        req.destroy();
      }
    });
    req.on('end', () => (size > maxBodyBytes ? reject(entityTooLarge()) : resolve(Buffer.concat(chunks))));
    req.on('error', reject);
  });
}

/** Parses a JSON (or empty) body; malformed JSON is a 400 like the real server's decoder. */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw new ApiError(
      400,
      'BadRequest',
      `the body of the request could not be decoded: ${cause instanceof Error ? cause.message : String(cause)}`,
      undefined,
      { cause },
    );
  }
}

/** True when the Accept header asks for a meta.k8s.io Table. */
export function wantsTable(accept: string | undefined): boolean {
  if (!accept) return false;
  return accept.split(',').some((part) => {
    const params = part.split(';').map((p) => p.trim());
    return params.includes('as=Table') && params.some((p) => p === 'g=meta.k8s.io');
  });
}

/** `Warning` header values in the real server's format. */
export function warningHeaders(warnings: readonly string[]): Record<string, string[]> {
  if (warnings.length === 0) return {};
  return { Warning: warnings.map((w) => `299 - ${JSON.stringify(w)}`) };
}
