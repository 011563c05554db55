import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { callerOf, checkHost, checkSameOrigin } from './security.js';
import { ConsoleError } from './errors.js';
import { parseListen } from './server.js';

function request(headers: Record<string, string>): IncomingMessage {
  return { headers } as unknown as IncomingMessage;
}

function refusedWith(code: string, fn: () => void): void {
  assert.throws(fn, (error: unknown) => error instanceof ConsoleError && error.code === code);
}

describe('console security', () => {
  test('a write needs the custom header and, when sent, its own Origin and a same-origin fetch', () => {
    const own = { host: '127.0.0.1:8090', 'x-flotilla-console': '1' };
    checkSameOrigin(request(own));
    checkSameOrigin(request({ ...own, origin: 'http://127.0.0.1:8090', 'sec-fetch-site': 'same-origin' }));
    refusedWith('CrossSite', () => checkSameOrigin(request({ host: '127.0.0.1:8090' })));
    refusedWith('CrossSite', () => checkSameOrigin(request({ ...own, origin: 'http://evil.example' })));
    refusedWith('CrossSite', () => checkSameOrigin(request({ ...own, origin: 'null' })));
    refusedWith('CrossSite', () => checkSameOrigin(request({ ...own, 'sec-fetch-site': 'cross-site' })));
  });

  test('on loopback only loopback Host names are answered (DNS rebinding)', () => {
    checkHost(request({ host: 'localhost:8090' }), '127.0.0.1');
    checkHost(request({ host: '[::1]:8090' }), '127.0.0.1');
    refusedWith('CrossSite', () => checkHost(request({ host: 'rebound.example:8090' }), '127.0.0.1'));
    checkHost(request({ host: 'console.example.com' }), '0.0.0.0');
  });

  test('the console token acts as the console; another token is passed on; none is a 401', () => {
    assert.deepEqual(callerOf(request({ authorization: 'Bearer s3cret' }), 's3cret'), { kind: 'console' });
    assert.deepEqual(callerOf(request({ authorization: 'Bearer other' }), 's3cret'), { kind: 'token', token: 'other' });
    refusedWith('Unauthorized', () => callerOf(request({}), 's3cret'));
    refusedWith('Unauthorized', () => callerOf(request({ authorization: 'Basic eDp5' }), 's3cret'));
  });

  test('--listen takes HOST:PORT, [IPv6]:PORT and :PORT', () => {
    assert.deepEqual(parseListen('127.0.0.1:8090'), { host: '127.0.0.1', port: 8090 });
    assert.deepEqual(parseListen('[::1]:0'), { host: '::1', port: 0 });
    assert.deepEqual(parseListen(':9000'), { host: '127.0.0.1', port: 9000 });
    refusedWith('BadRequest', () => parseListen('8090'));
    refusedWith('BadRequest', () => parseListen('host:99999'));
  });
});
