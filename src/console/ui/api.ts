/**
 * The page's side of the console's API: JSON reads, server-sent event streams, and writes that
 * carry the action token and the same-origin header (see ../security.ts). The token is kept in
 * this tab's sessionStorage only; a `#token=...` fragment (the URL the console prints) is moved
 * there and removed from the address bar, so it never reaches history or a Referer.
 */
const TOKEN_KEY = 'flotilla-console-token';

export function adoptTokenFromFragment(): void {
  const match = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  if (!match?.[1]) return;
  sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(match[1]));
  history.replaceState(null, '', location.pathname + location.search);
}

export function actionToken(): string {
  return sessionStorage.getItem(TOKEN_KEY) ?? '';
}

export function setActionToken(token: string): void {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

export async function getJson<T>(path: string): Promise<T> {
  const res = await fetch(path, { headers: { accept: 'application/json' } });
  const body = (await res.json()) as T & { message?: string };
  if (!res.ok) throw new Error(body.message ?? `HTTP ${res.status}`);
  return body;
}

/** Follows a stream of `snapshot` events; returns the function that closes it. */
export function follow<T>(path: string, onSnapshot: (value: T) => void, onState?: (live: boolean) => void): () => void {
  const source = new EventSource(path);
  source.addEventListener('snapshot', (event) => onSnapshot(JSON.parse((event as MessageEvent<string>).data) as T));
  source.addEventListener('open', () => onState?.(true));
  source.addEventListener('error', () => onState?.(false));
  return () => source.close();
}

export interface ActionResult {
  ok: boolean;
  status: number;
  message: string;
}

/** POSTs an action; the answer's message is the API server's own on a refusal. */
export async function act(path: string, body: unknown): Promise<ActionResult> {
  const token = actionToken();
  const res = await fetch(path, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-flotilla-console': '1',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify(body),
  });
  const answer = (await res.json().catch(() => ({}))) as { message?: string };
  return { ok: res.ok, status: res.status, message: answer.message ?? `HTTP ${res.status}` };
}
