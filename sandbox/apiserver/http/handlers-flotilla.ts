/**
 * `/_flotilla/` endpoints (loopback peers with the bearer token only): fault injection, the write
 * audit and stats, the request log (`GET`/`DELETE /_flotilla/requests`) and traffic counters
 * (`GET /_flotilla/traffic`). Bodies and answers are JSON.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, badRequest, methodNotAllowed } from '../errors.js';
import type { AuditFilter, FaultInjector } from '../faults.js';
import { isObject } from '../types.js';
import { parseJsonBody, readBody, sendJson } from './respond.js';

function isLoopback(address: string | undefined): boolean {
  if (!address) return false;
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

function num(body: Record<string, unknown>, name: string): number {
  const v = body[name];
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0)
    throw badRequest(`"${name}" must be a non-negative number`);
  return v;
}

function optStr(body: Record<string, unknown>, name: string): string | undefined {
  const v = body[name];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw badRequest(`"${name}" must be a string`);
  return v;
}

export async function handleFlotilla(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  query: URLSearchParams,
  faults: FaultInjector,
): Promise<void> {
  if (!isLoopback(req.socket.remoteAddress))
    throw new ApiError(403, 'Forbidden', 'fault injection is accepted only from loopback');
  const method = req.method ?? 'GET';
  const sub = path.slice('/_flotilla/'.length).replace(/\/+$/, '');
  if (sub === 'audit' && method === 'GET') {
    const filter: AuditFilter = {};
    for (const k of ['resource', 'verb', 'namespace', 'name'] as const) {
      const v = query.get(k);
      if (v !== null) filter[k] = v;
    }
    sendJson(res, 200, faults.audit(filter));
    return;
  }
  if (sub === 'requests' && method === 'GET') {
    sendJson(res, 200, faults.requests());
    return;
  }
  if (sub === 'requests' && method === 'DELETE') {
    faults.clearRequests();
    sendJson(res, 200, {});
    return;
  }
  if (sub === 'traffic' && method === 'GET') {
    sendJson(res, 200, faults.traffic.stats());
    return;
  }
  if (sub === 'stats' && method === 'GET') {
    sendJson(res, 200, faults.auditStats());
    return;
  }
  if (sub === 'faults' && method === 'DELETE') {
    faults.clear();
    sendJson(res, 200, {});
    return;
  }
  if (method !== 'POST') throw methodNotAllowed();
  const parsed = parseJsonBody(await readBody(req));
  const body = isObject(parsed) ? parsed : {};
  switch (sub) {
    case 'faults/expire-watches':
      sendJson(res, 200, { expired: faults.expireWatches() });
      return;
    case 'faults/compact':
      faults.compact();
      sendJson(res, 200, {});
      return;
    case 'faults/conflicts': {
      const resource = optStr(body, 'resource');
      if (!resource) throw badRequest('"resource" is required');
      const namespace = optStr(body, 'namespace');
      const name = optStr(body, 'name');
      faults.conflicts({
        resource,
        count: num(body, 'count'),
        ...(namespace !== undefined ? { namespace } : {}),
        ...(name !== undefined ? { name } : {}),
      });
      sendJson(res, 200, {});
      return;
    }
    case 'faults/latency':
      faults.latency({ ms: num(body, 'ms'), watchOnly: body['watchOnly'] === true });
      sendJson(res, 200, {});
      return;
    case 'faults/partition':
      // Answer first, then partition, so the caller is not caught by its own fault.
      sendJson(res, 200, {});
      faults.partition({ ms: num(body, 'ms') });
      return;
    default:
      throw new ApiError(404, 'NotFound', `unknown endpoint ${path}`);
  }
}
