/**
 * A minimal decoder for the Kubernetes protobuf envelope (`k8s\0` + runtime.Unknown), for the
 * request bodies kubectl's typed commands send (`kubectl create namespace|configmap|secret|
 * serviceaccount`). Answers are always JSON, which kubectl accepts too.
 */
import { ApiError } from './errors.js';
import type { JsonObject } from './types.js';

export const protobufContentType = 'application/vnd.kubernetes.protobuf';
const magic = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

interface Field {
  no: number;
  wire: number;
  varint?: bigint;
  bytes?: Buffer;
}

function readVarint(buf: Buffer, pos: number): [bigint, number] {
  let result = 0n;
  let shift = 0n;
  for (;;) {
    if (pos >= buf.length) throw new ApiError(400, 'BadRequest', 'truncated protobuf varint');
    const b = buf[pos++] ?? 0;
    result |= BigInt(b & 0x7f) << shift;
    if ((b & 0x80) === 0) return [result, pos];
    shift += 7n;
  }
}

function fields(buf: Buffer): Field[] {
  const out: Field[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const [key, p1] = readVarint(buf, pos);
    pos = p1;
    const no = Number(key >> 3n);
    const wire = Number(key & 7n);
    if (wire === 0) {
      const [v, p2] = readVarint(buf, pos);
      pos = p2;
      out.push({ no, wire, varint: v });
    } else if (wire === 2) {
      const [len, p2] = readVarint(buf, pos);
      const end = p2 + Number(len);
      if (end > buf.length) throw new ApiError(400, 'BadRequest', 'truncated protobuf field');
      out.push({ no, wire, bytes: buf.subarray(p2, end) });
      pos = end;
    } else if (wire === 1) pos += 8;
    else if (wire === 5) pos += 4;
    else throw new ApiError(400, 'BadRequest', `unsupported protobuf wire type ${wire}`);
  }
  return out;
}

const str = (f: Field): string => f.bytes?.toString('utf8') ?? '';

function mapEntry(f: Field, asBase64 = false): [string, string] {
  let k = '';
  let v = '';
  for (const e of fields(f.bytes ?? Buffer.alloc(0))) {
    if (e.no === 1) k = str(e);
    if (e.no === 2) v = asBase64 ? (e.bytes ?? Buffer.alloc(0)).toString('base64') : str(e);
  }
  return [k, v];
}

function addMap(target: JsonObject, key: string, entry: [string, string]): void {
  const m = (target[key] as Record<string, string> | undefined) ?? {};
  m[entry[0]] = entry[1];
  target[key] = m;
}

function push(target: JsonObject, key: string, value: unknown): void {
  const list = (target[key] as unknown[] | undefined) ?? [];
  list.push(value);
  target[key] = list;
}

function objectMeta(buf: Buffer): JsonObject {
  const m: JsonObject = {};
  for (const f of fields(buf)) {
    switch (f.no) {
      case 1:
        m['name'] = str(f);
        break;
      case 2:
        m['generateName'] = str(f);
        break;
      case 3:
        m['namespace'] = str(f);
        break;
      case 5:
        m['uid'] = str(f);
        break;
      case 6:
        m['resourceVersion'] = str(f);
        break;
      case 7:
        m['generation'] = Number(f.varint ?? 0n);
        break;
      case 11:
        addMap(m, 'labels', mapEntry(f));
        break;
      case 12:
        addMap(m, 'annotations', mapEntry(f));
        break;
      case 13: {
        const o: JsonObject = {};
        for (const e of fields(f.bytes ?? Buffer.alloc(0))) {
          if (e.no === 1) o['kind'] = str(e);
          if (e.no === 3) o['name'] = str(e);
          if (e.no === 4) o['uid'] = str(e);
          if (e.no === 5) o['apiVersion'] = str(e);
          if (e.no === 6) o['controller'] = e.varint === 1n;
          if (e.no === 7) o['blockOwnerDeletion'] = e.varint === 1n;
        }
        push(m, 'ownerReferences', o);
        break;
      }
      case 14:
        push(m, 'finalizers', str(f));
        break;
      default:
        break;
    }
  }
  return m;
}

function decodeKind(kind: string, raw: Buffer): JsonObject {
  const obj: JsonObject = {};
  for (const f of fields(raw)) {
    if (f.no === 1 && f.bytes) {
      obj['metadata'] = objectMeta(f.bytes);
      continue;
    }
    switch (`${kind}:${f.no}`) {
      case 'Namespace:2':
        obj['spec'] = {
          finalizers: fields(f.bytes ?? Buffer.alloc(0))
            .filter((e) => e.no === 1)
            .map(str),
        };
        break;
      case 'ConfigMap:2':
        addMap(obj, 'data', mapEntry(f));
        break;
      case 'ConfigMap:3':
        addMap(obj, 'binaryData', mapEntry(f, true));
        break;
      case 'ConfigMap:4':
        obj['immutable'] = f.varint === 1n;
        break;
      case 'Secret:2':
        addMap(obj, 'data', mapEntry(f, true));
        break;
      case 'Secret:3':
        obj['type'] = str(f);
        break;
      case 'Secret:4':
        addMap(obj, 'stringData', mapEntry(f));
        break;
      case 'Secret:5':
        obj['immutable'] = f.varint === 1n;
        break;
      case 'ServiceAccount:3': {
        const name = fields(f.bytes ?? Buffer.alloc(0)).find((e) => e.no === 1);
        push(obj, 'imagePullSecrets', { name: name ? str(name) : '' });
        break;
      }
      case 'ServiceAccount:4':
        obj['automountServiceAccountToken'] = f.varint === 1n;
        break;
      default:
        break;
    }
  }
  return obj;
}

const supportedKinds = new Set(['Namespace', 'ConfigMap', 'Secret', 'ServiceAccount']);

/** Decodes a protobuf request body into the JSON object it represents. */
export function decodeProtobuf(body: Buffer): JsonObject {
  if (body.length < 4 || !body.subarray(0, 4).equals(magic))
    throw new ApiError(
      400,
      'BadRequest',
      'provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]',
    );
  let apiVersion = '';
  let kind = '';
  let raw: Buffer = Buffer.alloc(0);
  for (const f of fields(body.subarray(4))) {
    if (f.no === 1 && f.bytes) {
      for (const t of fields(f.bytes)) {
        if (t.no === 1) apiVersion = str(t);
        if (t.no === 2) kind = str(t);
      }
    }
    if (f.no === 2 && f.bytes) raw = f.bytes;
  }
  if (!supportedKinds.has(kind)) {
    throw new ApiError(
      415,
      'UnsupportedMediaType',
      `the embedded API server cannot decode protobuf for kind ${kind || '<none>'}; send application/json`,
    );
  }
  const obj = decodeKind(kind, raw);
  if (obj['stringData'] !== undefined) {
    const data = (obj['data'] as Record<string, string> | undefined) ?? {};
    for (const [k, v] of Object.entries(obj['stringData'] as Record<string, string>))
      data[k] = Buffer.from(v).toString('base64');
    obj['data'] = data;
    delete obj['stringData'];
  }
  return { apiVersion, kind, ...obj, metadata: obj['metadata'] ?? {} };
}
