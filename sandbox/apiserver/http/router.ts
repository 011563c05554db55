/**
 * The HTTPS request entry point: fault gates (partition, latency), bearer-token authentication,
 * then health, discovery, OpenAPI, `/_flotilla/` and resource routing.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiError, notFound, unauthorized } from '../errors.js';
import { authenticate, forbidden, type ApiUser, type Identity, type ResourceAttributes } from '../authz.js';
import type { FaultInjector, RequestRecord, RequestVerb } from '../faults.js';
import { apiGroupDoc, apiGroupList, apiResourceList, apiVersions, serverVersion } from '../discovery.js';
import type { OpenApi } from '../openapi.js';
import type { ResourceRegistry } from '../registry.js';
import type { ResourceHandlers, ResourceRequest } from './handlers-resources.js';
import { handleFlotilla } from './handlers-flotilla.js';
import { sendError, sendJson } from './respond.js';

export interface RouterDeps {
  token: string;
  /** Identities besides the administrator's token, checked by RBAC. */
  users: readonly ApiUser[];
  /** RBAC over the stored Roles and bindings (the administrator is never asked about). */
  authorize: (who: Identity, request: ResourceAttributes) => boolean;
  registry: ResourceRegistry;
  faults: FaultInjector;
  openapi: OpenApi;
  resources: ResourceHandlers;
  /** host:port for /api's serverAddressByClientCIDRs. */
  serverAddress: () => string;
}

const unauthenticated = new Set(['/healthz', '/livez', '/readyz', '/version']);

function bearerOf(req: IncomingMessage): string | undefined {
  const m = (req.headers.authorization ?? '').match(/^Bearer\s+(.+)$/i);
  return m?.[1]?.trim();
}

/** The RBAC verb of a resource request: HTTP method, whether a name is given, `watch=`. */
export function requestVerb(method: string, name: string | undefined, query: URLSearchParams): RequestVerb {
  switch (method) {
    case 'POST':
      return 'create';
    case 'PUT':
      return 'update';
    case 'PATCH':
      return 'patch';
    case 'DELETE':
      return name === undefined ? 'deletecollection' : 'delete';
    default: {
      if (name !== undefined) return 'get';
      const watch = query.get('watch');
      return watch === 'true' || watch === '1' ? 'watch' : 'list';
    }
  }
}

export class Router {
  constructor(private readonly d: RouterDeps) {}

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', 'https://localhost');
      const path = url.pathname.length > 1 ? url.pathname.replace(/\/+$/, '') : url.pathname;
      if (!path.startsWith('/_flotilla/')) {
        if (this.d.faults.partitioned) await this.d.faults.whenOpen();
        const delay = this.d.faults.responseDelayMs;
        if (delay > 0) await sleep(delay);
      }
      if (unauthenticated.has(path) && req.method === 'GET') {
        if (path === '/version') sendJson(res, 200, serverVersion);
        else {
          res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
          res.end('ok');
        }
        return;
      }
      const who = authenticate(bearerOf(req), this.d.token, this.d.users);
      if (!who) throw unauthorized();
      if (path.startsWith('/_flotilla/')) {
        if (!who.admin) throw new ApiError(403, 'Forbidden', `User "${who.name}" cannot use /_flotilla/`);
        return await handleFlotilla(req, res, path, url.searchParams, this.d.faults);
      }
      if (path.startsWith('/openapi/')) return this.openapi(res, path);
      return await this.route(req, res, path, url.searchParams, who);
    } catch (error) {
      sendError(res, error);
    }
  }

  private openapi(res: ServerResponse, path: string): void {
    if (path === '/openapi/v3') {
      sendJson(res, 200, this.d.openapi.root());
      return;
    }
    if (path.startsWith('/openapi/v3/')) {
      const doc = this.d.openapi.document(path.slice('/openapi/v3/'.length));
      if (doc === undefined) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
      res.writeHead(200, {
        'Content-Type': 'application/json',
        'Cache-Control': 'public, immutable',
        'Content-Length': Buffer.byteLength(doc),
      });
      res.end(doc);
      return;
    }
    throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
  }

  private async route(
    req: IncomingMessage,
    res: ServerResponse,
    path: string,
    query: URLSearchParams,
    who: Identity,
  ): Promise<void> {
    const seg = path
      .split('/')
      .filter((s) => s !== '')
      .map((s) => decodeURIComponent(s));
    const get = req.method === 'GET';
    if (seg[0] === 'api') {
      if (seg.length === 1 && get) return sendJson(res, 200, apiVersions(this.d.serverAddress()));
      if (seg[1] !== 'v1') throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
      return this.resource(req, res, '', 'v1', seg.slice(2), query, who);
    }
    if (seg[0] === 'apis') {
      if (seg.length === 1 && get) return sendJson(res, 200, apiGroupList(this.d.registry));
      const group = seg[1] ?? '';
      if (seg.length === 2 && get) {
        const doc = apiGroupDoc(this.d.registry, group);
        if (!doc) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
        return sendJson(res, 200, doc);
      }
      return this.resource(req, res, group, seg[2] ?? '', seg.slice(3), query, who);
    }
    throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
  }

  private async resource(
    req: IncomingMessage,
    res: ServerResponse,
    group: string,
    version: string,
    rest: string[],
    query: URLSearchParams,
    who: Identity,
  ): Promise<void> {
    if (rest.length === 0) {
      const doc = req.method === 'GET' ? apiResourceList(this.d.registry, group, version) : undefined;
      if (!doc) throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
      return sendJson(res, 200, doc);
    }
    let namespace: string | undefined;
    let parts = rest;
    const nsSub = rest.length === 3 && (rest[2] === 'status' || rest[2] === 'finalize');
    if (rest[0] === 'namespaces' && rest.length >= 3 && !nsSub) {
      namespace = rest[1];
      parts = rest.slice(2);
    }
    const [plural = '', name, sub, ...extra] = parts;
    const rt = this.d.registry.lookup(group, version, plural);
    if (!rt || extra.length > 0 || (namespace !== undefined && !rt.namespaced)) {
      throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    }
    const podLog = sub === 'log' && plural === 'pods' && group === '' && namespace !== undefined && name !== undefined;
    if (sub !== undefined && sub !== 'status' && !(sub === 'finalize' && plural === 'namespaces') && !podLog) {
      throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    }
    if (rt.namespaced && namespace === undefined && name !== undefined)
      throw notFound({ resource: rt.plural, group: rt.group, name });
    if (rt.namespaced && namespace === undefined && req.method !== 'GET') {
      throw new ApiError(404, 'NotFound', 'the server could not find the requested resource');
    }
    const verb = requestVerb(req.method ?? 'GET', name, query);
    const attributes: ResourceAttributes = {
      verb,
      group,
      resource: plural,
      subresource: sub ?? '',
      namespace: namespace ?? '',
      name: name ?? '',
    };
    if (!this.d.authorize(who, attributes)) throw forbidden(who, attributes);
    const record: RequestRecord = { verb, group, resource: plural, subresource: sub ?? '', namespace: namespace ?? '' };
    this.d.faults.recordRequest(record);
    const reportAnswer = await this.d.faults.gate(record, name);
    if (reportAnswer) res.once('finish', () => reportAnswer(res.statusCode));
    this.d.faults.traffic.request(verb, sub === undefined ? plural : `${plural}/${sub}`, req.headers['content-length']);
    const r: ResourceRequest = {
      rt,
      version,
      namespace,
      name,
      subresource: sub === undefined ? undefined : podLog ? 'log' : 'status',
      query,
    };
    return this.d.resources.handle(req, res, r);
  }
}
