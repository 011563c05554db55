/**
 * The resource endpoints: get, list (selectors, limit/continue, Table), watch, create, update,
 * patch, delete and deletecollection, for the main resource and `/status`; `pods/log` as text. Every write is audited.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, badRequest, expired, methodNotAllowed, notFound } from '../errors.js';
import type { Admission } from '../admission.js';
import type { AuditVerb } from '../faults.js';
import type { Collector, DeleteOptions, PropagationPolicy } from '../gc.js';
import type { FieldValidation, Resources, WriteOptions } from '../operations.js';
import { patchTypeOf } from '../patch.js';
import { both, fieldMatcher, labelMatcher, type Matcher } from '../selectors.js';
import { objectKey } from '../store.js';
import { toTable, type IncludeObject } from '../table.js';
import type { JsonObject, KubeObject, ResourceType } from '../types.js';
import { groupVersion, isObject } from '../types.js';
import { WatchHub } from '../watch.js';
import { decodeProtobuf, protobufContentType } from '../protobuf.js';
import { parseJsonBody, readBody, readBodyBuffer, sendError, sendJson, wantsTable, warningHeaders } from './respond.js';
import { HttpWatchStream } from './watch-stream.js';
import { podLogText } from '../pod-log.js';

export interface ResourceRequest {
  rt: ResourceType;
  version: string;
  namespace: string | undefined;
  name: string | undefined;
  /** `log` only for pods (`pods/log`, text from the simulated kubelet's state). */
  subresource: 'status' | 'log' | undefined;
  query: URLSearchParams;
}

export interface ResourceHandlerDeps {
  res: Resources;
  gc: Collector;
  hub: WatchHub;
  /** Calls admission webhooks on create, update and patch (fast path when none is configured). */
  admission: Admission;
  /** @defaultValue 1000 */
  bookmarkIntervalMs: number;
}

function intParam(q: URLSearchParams, name: string): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw badRequest(`invalid value for ${name}: ${v}`);
  return n;
}

function boolParam(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  return v === 'true' || v === '1';
}

function writeOptions(q: URLSearchParams): WriteOptions {
  const fv = q.get('fieldValidation');
  let fieldValidation: FieldValidation | undefined;
  if (fv !== null && fv !== '') {
    if (fv !== 'Strict' && fv !== 'Warn' && fv !== 'Ignore')
      throw badRequest(`fieldValidation must be one of "Ignore", "Warn", or "Strict", got "${fv}"`);
    fieldValidation = fv;
  }
  const dryRun = q.getAll('dryRun');
  if (dryRun.some((d) => d !== 'All'))
    throw badRequest(`Invalid value: "${dryRun.join(',')}": supported values: "All"`);
  const opts: WriteOptions = { dryRun: dryRun.length > 0 };
  if (fieldValidation !== undefined) opts.fieldValidation = fieldValidation;
  const fm = q.get('fieldManager');
  if (fm !== null) opts.fieldManager = fm;
  return opts;
}

function includeParam(q: URLSearchParams): IncludeObject {
  const v = q.get('includeObject');
  return v === 'None' || v === 'Object' ? v : 'Metadata';
}

interface ContinueToken {
  rv: number;
  start: string;
}

function decodeContinue(token: string): ContinueToken {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as unknown;
    if (isObject(parsed) && typeof parsed['rv'] === 'number' && typeof parsed['start'] === 'string')
      return { rv: parsed['rv'], start: parsed['start'] };
  } catch {
    // fall through
  }
  throw badRequest('continue key is not valid: illegal base64 data');
}

export class ResourceHandlers {
  constructor(private readonly d: ResourceHandlerDeps) {}

  async handle(req: IncomingMessage, res: ServerResponse, r: ResourceRequest): Promise<void> {
    const method = req.method ?? 'GET';
    if (r.name === undefined) {
      if (r.subresource !== undefined) throw notFound({ resource: r.rt.plural, group: r.rt.group, name: '' });
      if (method === 'GET') return this.listOrWatch(req, res, r);
      if (method === 'POST') return this.write(req, res, r, 'create');
      if (method === 'DELETE') return this.deleteCollection(req, res, r);
      throw methodNotAllowed();
    }
    if (r.subresource === 'status' && !r.rt.statusSubresource)
      throw notFound({ resource: r.rt.plural, group: r.rt.group, name: r.name });
    if (r.subresource === 'log') {
      if (method !== 'GET') throw methodNotAllowed();
      const text = podLogText(this.d.res.get(r.rt, r.namespace, r.name), r.query.get('container'));
      res.writeHead(200, {
        'Content-Type': 'text/plain',
        'Cache-Control': 'no-cache, private',
        'Content-Length': Buffer.byteLength(text),
      });
      res.end(text);
      return;
    }
    switch (method) {
      case 'GET':
        return this.get(req, res, r, r.name);
      case 'PUT':
        return this.write(req, res, r, r.subresource ? 'status-update' : 'update');
      case 'PATCH':
        return this.write(req, res, r, r.subresource ? 'status-patch' : 'patch');
      case 'DELETE':
        if (r.subresource) throw methodNotAllowed();
        return this.write(req, res, r, 'delete');
      default:
        throw methodNotAllowed();
    }
  }

  private get(req: IncomingMessage, res: ServerResponse, r: ResourceRequest, name: string): void {
    const obj = this.d.res.present(r.rt, r.version, this.d.res.get(r.rt, r.namespace, name));
    if (wantsTable(req.headers.accept)) {
      sendJson(
        res,
        200,
        toTable({
          rt: r.rt,
          version: r.version,
          objects: [obj],
          include: includeParam(r.query),
          listMeta: { resourceVersion: obj.metadata.resourceVersion ?? '' },
        }),
      );
      return;
    }
    sendJson(res, 200, obj);
  }

  private matcher(r: ResourceRequest): Matcher | undefined {
    const key = this.d.res.key(r.rt);
    return both(labelMatcher(r.query.get('labelSelector')), fieldMatcher(r.query.get('fieldSelector'), key, r.rt.kind));
  }

  private listOrWatch(req: IncomingMessage, res: ServerResponse, r: ResourceRequest): void {
    if (boolParam(r.query, 'watch')) return this.watch(req, res, r);
    const store = this.d.res.store;
    const key = this.d.res.key(r.rt);
    const matcher = this.matcher(r);
    const limit = intParam(r.query, 'limit') ?? 0;
    const cont = r.query.get('continue');
    const rvParam = r.query.get('resourceVersion');
    const rvMatch = r.query.get('resourceVersionMatch');
    let token: ContinueToken | undefined;
    if (cont) {
      token = decodeContinue(cont);
      if (token.rv < store.forcedCompactionRv) {
        throw expired(
          'The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.',
        );
      }
    } else if (rvMatch === 'Exact' && rvParam && Number(rvParam) < store.forcedCompactionRv) {
      throw expired(`too old resource version: ${rvParam} (${store.forcedCompactionRv})`);
    }
    let items = store.list(key, r.rt.namespaced ? r.namespace : undefined);
    if (matcher) items = items.filter(matcher);
    const keyOf = (o: KubeObject): string => objectKey(o.metadata.namespace, o.metadata.name ?? '');
    items.sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0));
    if (token) {
      const start = token.start;
      items = items.filter((o) => keyOf(o) > start);
    }
    const listRv = token ? token.rv : store.currentRv;
    const metadata: JsonObject = { resourceVersion: String(listRv) };
    if (limit > 0 && items.length > limit) {
      const page = items.slice(0, limit);
      const last = page[page.length - 1];
      metadata['continue'] = Buffer.from(JSON.stringify({ rv: listRv, start: last ? keyOf(last) : '' })).toString(
        'base64url',
      );
      metadata['remainingItemCount'] = items.length - limit;
      items = page;
    }
    const presented = items.map((o) => this.d.res.present(r.rt, r.version, o));
    if (wantsTable(req.headers.accept)) {
      sendJson(
        res,
        200,
        toTable({
          rt: r.rt,
          version: r.version,
          objects: presented,
          include: includeParam(r.query),
          listMeta: metadata,
        }),
      );
      return;
    }
    sendJson(res, 200, {
      kind: r.rt.listKind,
      apiVersion: groupVersion(r.rt.group, r.version),
      metadata,
      items: presented,
    });
  }

  private watch(req: IncomingMessage, res: ServerResponse, r: ResourceRequest): void {
    const store = this.d.res.store;
    const key = this.d.res.key(r.rt);
    const matcher = this.matcher(r);
    const rvParam = r.query.get('resourceVersion') ?? '';
    const sendInitialEvents = boolParam(r.query, 'sendInitialEvents');
    const namespace = r.rt.namespaced ? r.namespace : undefined;
    let replay: ReturnType<typeof store.eventsSince> | undefined;
    const fromRv = rvParam === '' || rvParam === '0' || sendInitialEvents ? undefined : Number(rvParam);
    if (fromRv !== undefined) {
      if (!Number.isFinite(fromRv)) throw badRequest(`invalid resource version: ${rvParam}`);
      replay = store.eventsSince(Math.min(fromRv, store.currentRv), key);
    }
    const timeout = intParam(r.query, 'timeoutSeconds');
    const stream = new HttpWatchStream({
      res,
      hub: this.d.hub,
      faults: this.d.res.faults,
      rt: r.rt,
      version: r.version,
      resourceKey: key,
      namespace,
      matcher,
      table: wantsTable(req.headers.accept) ? { include: includeParam(r.query) } : undefined,
      bookmarks: boolParam(r.query, 'allowWatchBookmarks'),
      bookmarkIntervalMs: this.d.bookmarkIntervalMs,
      currentRv: () => store.currentRv,
      timeoutSeconds: timeout,
    });
    if (replay === 'expired') {
      stream.expire(`too old resource version: ${rvParam} (${store.oldestRetainedRv})`);
      return;
    }
    if (replay === undefined) {
      let items = store.list(key, namespace);
      if (matcher) items = items.filter(matcher);
      for (const obj of items) stream.sendInitial(obj);
      if (sendInitialEvents && boolParam(r.query, 'allowWatchBookmarks')) stream.bookmark(true);
    } else {
      for (const e of replay) {
        const type = WatchHub.typeFor({ namespace, matcher }, e);
        if (type !== undefined) stream.deliver(e, type);
      }
    }
    stream.start();
  }

  private async write(req: IncomingMessage, res: ServerResponse, r: ResourceRequest, verb: AuditVerb): Promise<void> {
    const rt = r.rt;
    let name = r.name ?? '';
    let code = 500;
    let rv = '';
    // The audit entry is stamped when the answer is decided, before it is sent: a client that has
    // the answer can then never hold a time earlier than the entry's, however the processes are
    // scheduled (a stamp taken after sending lagged the client by milliseconds on a busy machine).
    let answeredAt: string | undefined;
    let message: string | undefined;
    const answer = (status: number, object: unknown, headers?: Record<string, string | string[]>): void => {
      answeredAt = new Date().toISOString();
      sendJson(res, status, object, headers);
    };
    try {
      const buffer = await readBodyBuffer(req);
      const raw = buffer.toString('utf8');
      const isProtobuf = (req.headers['content-type'] ?? '').startsWith(protobufContentType);
      const decode = (): unknown => (isProtobuf ? decodeProtobuf(buffer) : parseJsonBody(raw));
      const opts = writeOptions(r.query);
      const sub = r.subresource === 'status' ? 'status' : undefined;
      if (verb === 'create') {
        const body = decode();
        if (isObject(body) && isObject(body['metadata']) && typeof body['metadata']['name'] === 'string')
          name = body['metadata']['name'];
        const result = await this.d.admission.create(rt, r.version, r.namespace, body, opts);
        name = result.object.metadata.name ?? name;
        rv = result.object.metadata.resourceVersion ?? '';
        code = 201;
        answer(201, result.object, warningHeaders(result.warnings));
      } else if (verb === 'update' || verb === 'status-update') {
        const result = await this.d.admission.update(rt, r.version, r.namespace, name, decode(), opts, sub);
        rv = result.object.metadata.resourceVersion ?? '';
        code = result.created ? 201 : 200;
        answer(code, result.object, warningHeaders(result.warnings));
      } else if (verb === 'patch' || verb === 'status-patch') {
        const contentType = req.headers['content-type'] ?? '';
        const result = await this.d.admission.patch(
          rt,
          r.version,
          r.namespace,
          name,
          patchTypeOf(contentType),
          contentType,
          raw,
          opts,
          sub,
        );
        rv = result.object.metadata.resourceVersion ?? '';
        code = result.created ? 201 : 200;
        answer(code, result.object, warningHeaders(result.warnings));
      } else {
        const options = this.deleteOptions(r.query, isProtobuf ? undefined : parseJsonBody(raw));
        const result = this.d.gc.delete(rt, r.version, r.namespace, name, options);
        rv = result.object.metadata.resourceVersion ?? '';
        code = 200;
        if (rt.custom || rt.plural === 'pods' || !result.removed) answer(200, result.object);
        else
          answer(200, {
            kind: 'Status',
            apiVersion: 'v1',
            metadata: {},
            status: 'Success',
            details: { name, group: rt.group, kind: rt.plural, uid: result.object.metadata.uid },
          });
      }
    } catch (error) {
      answeredAt = new Date().toISOString();
      const apiError = sendError(res, error);
      code = apiError.status;
      message = apiError.message;
    } finally {
      this.d.res.faults.record({
        time: answeredAt ?? new Date().toISOString(),
        verb,
        resource: rt.plural,
        group: rt.group,
        namespace: r.namespace ?? '',
        name,
        code,
        resourceVersion: code < 300 ? rv : '',
        ...(message !== undefined ? { message } : {}),
      });
    }
  }

  private deleteOptions(q: URLSearchParams, body: unknown): DeleteOptions {
    const opts: DeleteOptions = {};
    const b = isObject(body) ? body : {};
    const policy =
      q.get('propagationPolicy') ?? (typeof b['propagationPolicy'] === 'string' ? b['propagationPolicy'] : undefined);
    if (policy !== undefined && policy !== null) {
      if (policy !== 'Foreground' && policy !== 'Background' && policy !== 'Orphan')
        throw badRequest(
          `propagationPolicy: Unsupported value: "${policy}": supported values: "Foreground", "Background", "Orphan"`,
        );
      opts.propagationPolicy = policy as PropagationPolicy;
    }
    const grace =
      intParam(q, 'gracePeriodSeconds') ??
      (typeof b['gracePeriodSeconds'] === 'number' ? b['gracePeriodSeconds'] : undefined);
    if (grace !== undefined) opts.gracePeriodSeconds = grace;
    const orphan = q.get('orphanDependents') ?? b['orphanDependents'];
    if (orphan === 'true' || orphan === true) opts.orphanDependents = true;
    if (isObject(b['preconditions'])) {
      const p = b['preconditions'];
      opts.preconditions = {};
      if (typeof p['uid'] === 'string') opts.preconditions.uid = p['uid'];
      if (typeof p['resourceVersion'] === 'string') opts.preconditions.resourceVersion = p['resourceVersion'];
    }
    const dryRun = [...q.getAll('dryRun'), ...(Array.isArray(b['dryRun']) ? b['dryRun'] : [])];
    if (dryRun.includes('All')) opts.dryRun = true;
    return opts;
  }

  private async deleteCollection(req: IncomingMessage, res: ServerResponse, r: ResourceRequest): Promise<void> {
    const options = this.deleteOptions(r.query, parseJsonBody(await readBody(req)));
    const key = this.d.res.key(r.rt);
    const matcher = this.matcher(r);
    let items = this.d.res.store.list(key, r.rt.namespaced ? r.namespace : undefined);
    if (matcher) items = items.filter(matcher);
    const out: KubeObject[] = [];
    for (const obj of items) {
      const name = obj.metadata.name ?? '';
      let code = 200;
      try {
        out.push(this.d.gc.delete(r.rt, r.version, obj.metadata.namespace, name, options).object);
      } catch (error) {
        code = error instanceof ApiError ? error.status : 500;
        if (!(error instanceof ApiError && error.status === 404)) throw error;
      } finally {
        this.d.res.faults.record({
          time: new Date().toISOString(),
          verb: 'delete',
          resource: r.rt.plural,
          group: r.rt.group,
          namespace: obj.metadata.namespace ?? '',
          name,
          code,
          resourceVersion: '',
        });
      }
    }
    sendJson(res, 200, {
      kind: r.rt.listKind,
      apiVersion: groupVersion(r.rt.group, r.version),
      metadata: { resourceVersion: String(this.d.res.store.currentRv) },
      items: out,
    });
  }
}
