/** A raw HTTPS request to the embedded API server (for what typed clients hide: exact bytes, status codes). */
import { request } from 'node:https';

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  json<T = unknown>(): T;
}

export interface RawRequest {
  /** Base URL, e.g. `https://127.0.0.1:6443`. */
  url: string;
  caPem: string;
  /** Bearer token; omitted = anonymous. */
  token?: string;
  method?: string;
  path: string;
  body?: unknown;
  contentType?: string;
}

export function rawRequest(req: RawRequest): Promise<RawResponse> {
  const target = new URL(req.path, req.url);
  const payload =
    req.body === undefined ? undefined : typeof req.body === 'string' ? req.body : JSON.stringify(req.body);
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (req.token) headers['Authorization'] = `Bearer ${req.token}`;
  if (payload !== undefined) {
    headers['Content-Type'] = req.contentType ?? 'application/json';
    headers['Content-Length'] = String(Buffer.byteLength(payload));
  }
  return new Promise((resolve, reject) => {
    const r = request(target, { method: req.method ?? 'GET', ca: req.caPem, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (d: string) => (text += d));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: <T>() => JSON.parse(text) as T }),
      );
      res.on('error', reject);
    });
    r.on('error', reject);
    r.end(payload);
  });
}
