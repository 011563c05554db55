/**
 * How the controller authenticates to FlyteAdmin, as flytectl configures it (`admin.authType`):
 * a static bearer token (a file, re-read when it changes: tokens are rotated by mounting a new
 * one), or OAuth2 client credentials — client id, a secret file and the token URL, with scopes
 * and an optional audience — whose access token is fetched on first use and refreshed a minute
 * before it expires. Tokens never reach a log (src/security/grpc.ts redacts them).
 */
import { readFileSync } from 'node:fs';
import { protectSecretInGrpcLogs, readTokenFile } from '../../security/grpc.js';
import { AdminError } from './errors.js';

/** Where the bearer token comes from. */
export type AdminAuth =
  | { readonly kind: 'token-file'; readonly path: string }
  | {
      readonly kind: 'client-credentials';
      readonly clientId: string;
      /** File holding the client secret (first line). */
      readonly clientSecretFile: string;
      /** The authorization server's token endpoint (`https://.../oauth2/token`). */
      readonly tokenUrl: string;
      readonly scopes?: readonly string[];
      readonly audience?: string;
    };

/** Gives the current access token; refreshes it when due. */
export interface TokenSource {
  token(): Promise<string>;
}

/** How early a token is refreshed before it expires. */
const REFRESH_MARGIN_MS = 60_000;

export function tokenSource(auth: AdminAuth, fetchImpl: typeof fetch = fetch): TokenSource {
  return auth.kind === 'token-file' ? new FileTokenSource(auth.path) : new ClientCredentialsSource(auth, fetchImpl);
}

class FileTokenSource implements TokenSource {
  constructor(private readonly path: string) {}
  token(): Promise<string> {
    try {
      const token = readTokenFile(this.path);
      protectSecretInGrpcLogs(token);
      return Promise.resolve(token);
    } catch (cause) {
      return Promise.reject(
        new AdminError('AuthFailed', `admin token file ${this.path}: ${(cause as Error).message}`, { cause }),
      );
    }
  }
}

class ClientCredentialsSource implements TokenSource {
  private current: { token: string; refreshAt: number } | undefined;
  private pending: Promise<string> | undefined;

  constructor(
    private readonly auth: Extract<AdminAuth, { kind: 'client-credentials' }>,
    private readonly fetchImpl: typeof fetch,
  ) {}

  token(): Promise<string> {
    if (this.current && Date.now() < this.current.refreshAt) return Promise.resolve(this.current.token);
    this.pending ??= this.fetchToken().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  private async fetchToken(): Promise<string> {
    const secret = (readFileSync(this.auth.clientSecretFile, 'utf8').split(/\r?\n/)[0] ?? '').trim();
    if (secret === '') throw new AdminError('AuthFailed', `client secret file ${this.auth.clientSecretFile} is empty`);
    protectSecretInGrpcLogs(secret);
    const form = new URLSearchParams({ grant_type: 'client_credentials' });
    if (this.auth.scopes && this.auth.scopes.length > 0) form.set('scope', this.auth.scopes.join(' '));
    if (this.auth.audience) form.set('audience', this.auth.audience);
    const basic = Buffer.from(`${encodeURIComponent(this.auth.clientId)}:${encodeURIComponent(secret)}`).toString(
      'base64',
    );
    let response: Response;
    try {
      response = await this.fetchImpl(this.auth.tokenUrl, {
        method: 'POST',
        headers: {
          authorization: `Basic ${basic}`,
          'content-type': 'application/x-www-form-urlencoded',
          accept: 'application/json',
        },
        body: form.toString(),
        signal: AbortSignal.timeout(10_000),
      });
    } catch (cause) {
      throw new AdminError('Unavailable', `token endpoint ${this.auth.tokenUrl}: ${(cause as Error).message}`, {
        cause,
      });
    }
    const body = (await response.json().catch(() => ({}))) as { access_token?: unknown; expires_in?: unknown };
    if (!response.ok || typeof body.access_token !== 'string' || body.access_token === '')
      throw new AdminError(
        response.status >= 500 ? 'Unavailable' : 'AuthFailed',
        `token endpoint ${this.auth.tokenUrl} answered ${response.status} without an access_token`,
      );
    protectSecretInGrpcLogs(body.access_token);
    const lifetimeMs = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in * 1000 : 3_600_000;
    this.current = {
      token: body.access_token,
      refreshAt: Date.now() + Math.max(lifetimeMs - REFRESH_MARGIN_MS, lifetimeMs / 2),
    };
    return body.access_token;
  }
}
