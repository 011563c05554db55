/**
 * Who may act, and from where. Reads are open to whoever reaches the listener (loopback by
 * default); every write needs:
 *
 * 1. **A bearer token** (`Authorization: Bearer ...`): the console's own token (random, printed at
 *    start, or read from `--token-file`) acts as the console's kubeconfig identity; any other token
 *    is taken as a Kubernetes token and the API server judges it (see actions.ts). No token: 401.
 * 2. **A same-origin request**: the `X-Flotilla-Console` header (a page on another site cannot
 *    send a custom header without a CORS preflight, which the console never grants), an `Origin`,
 *    when sent, equal to the console's own, and `Sec-Fetch-Site`, when sent, `same-origin`.
 *    Anything else is refused before the token is looked at.
 * 3. **A Host the console answers to**: on a loopback listener only loopback names, so a page that
 *    rebinds its DNS name to 127.0.0.1 cannot read the console either.
 *
 * The token travels in a header, never a cookie, so the browser does not attach it on its own.
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Caller } from './actions.js';
import { ConsoleError } from './errors.js';

/** The header every write must carry (any value); see the module comment. */
export const CSRF_HEADER = 'x-flotilla-console';

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

export function isLoopbackHost(host: string): boolean {
  return LOOPBACK_NAMES.has(host) || host.startsWith('127.');
}

/** Refuses a Host header naming another site when the console listens on loopback (DNS rebinding). */
export function checkHost(req: IncomingMessage, listenHost: string): void {
  if (!isLoopbackHost(listenHost)) return;
  const host = req.headers.host ?? '';
  const name = host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : host.split(':')[0];
  if (!isLoopbackHost(name ?? '')) throw new ConsoleError('CrossSite', `host ${host || '(none)'} is not this console`);
}

/** Refuses a write that did not come from the console's own pages. */
export function checkSameOrigin(req: IncomingMessage): void {
  if (req.headers[CSRF_HEADER] === undefined)
    throw new ConsoleError('CrossSite', `cross-site request refused: the ${CSRF_HEADER} header is missing`);
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none')
    throw new ConsoleError('CrossSite', `cross-site request refused (Sec-Fetch-Site: ${String(site)})`);
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== 'null') {
    let originHost: string;
    try {
      originHost = new URL(origin).host;
    } catch {
      throw new ConsoleError('CrossSite', `cross-site request refused: bad Origin ${origin}`);
    }
    if (originHost !== req.headers.host)
      throw new ConsoleError('CrossSite', `cross-site request refused: Origin ${origin} is not this console`);
  } else if (origin === 'null') {
    throw new ConsoleError('CrossSite', 'cross-site request refused: opaque Origin');
  }
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The caller of a write from its bearer token (see the module comment). */
export function callerOf(req: IncomingMessage, consoleToken: string): Caller {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '');
  const token = match?.[1];
  if (token === undefined)
    throw new ConsoleError(
      'Unauthorized',
      'actions need a token: the console token printed at start, or a Kubernetes bearer token',
    );
  return sameSecret(token, consoleToken) ? { kind: 'console' } : { kind: 'token', token };
}
