/**
 * Node ids as FlytePropeller names them in execution events. Pure.
 *
 * With event version 1 or 2 (FlyteAdmin writes 2 into `workflowMeta.eventVersion` by default), a
 * node nested in a branch or a sub-workflow is reported under an id unique within the execution:
 * `<parent's unique id>-<parent's attempt>-<node id>`, and when that is longer than 20 characters,
 * `f` followed by the base32 (alphabet `a-z1-6`, no padding) of its 32-bit FNV-1a hash. A top-level
 * node keeps its own id. With event version 0 every node is reported under its own id.
 */
import { fnv1a32 } from '../shard.js';

/** Longest unique node id before it is hashed (FlytePropeller's limit). */
export const MAX_UNIQUE_NODE_ID_LENGTH = 20;

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz123456';

/** Base32 of `bytes` in Flyte's alphabet, without padding. */
export function flyteBase32(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += ALPHABET[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}

/** The id itself when short enough, else `f` + base32(FNV-1a 32 of it). */
export function fixedLengthUniqueId(id: string, maxLength = MAX_UNIQUE_NODE_ID_LENGTH): string {
  if (id.length <= maxLength) return id;
  const hash = fnv1a32(id);
  const bytes = new Uint8Array([(hash >>> 24) & 255, (hash >>> 16) & 255, (hash >>> 8) & 255, hash & 255]);
  return `f${flyteBase32(bytes)}`;
}

/** The enclosing node a nested node is reported under. */
export interface EventParent {
  /** The parent's own unique id. */
  readonly uniqueId: string;
  /** The parent's attempt (from 0). */
  readonly attempt: number;
}

/** A node's unique id for events (event version ≥ 1). */
export function eventNodeId(parent: EventParent | undefined, nodeId: string): string {
  const parts = parent === undefined ? [nodeId] : [parent.uniqueId, String(parent.attempt), nodeId];
  return fixedLengthUniqueId(parts.filter((p) => p !== '').join('-'));
}

/** 64-bit FNV-1a of `text`, big-endian bytes. */
function fnv1a64(text: string): Uint8Array {
  let hash = 0xcbf29ce484222325n;
  for (const byte of Buffer.from(text, 'utf8')) {
    hash ^= BigInt(byte);
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  const out = new Uint8Array(8);
  for (let i = 7; i >= 0; i--) {
    out[i] = Number(hash & 0xffn);
    hash >>= 8n;
  }
  return out;
}

/**
 * The execution name of a launch plan node's child, as FlytePropeller names it (its V2 scheme):
 * `<parent execution>-<node unique id>-<attempt>`, or, past 20 characters, `f` + base32 of its
 * 64-bit FNV-1a. Deterministic: a repeated start asks admin for the same name (AlreadyExists).
 */
export function childExecutionName(parentExecution: string, nodeUniqueId: string, attempt: number): string {
  const joined = [parentExecution, nodeUniqueId, String(attempt)].filter((p) => p !== '').join('-');
  return joined.length <= MAX_UNIQUE_NODE_ID_LENGTH ? joined : `f${flyteBase32(fnv1a64(joined))}`;
}
