/**
 * A second opinion on protobuf JSON and binary, for the tests of the generated Flyte IDL.
 *
 * Input:  the vendored protos (proto/flyteidl), compiled by `buf build` into a FileDescriptorSet.
 * Output: `reference(typeName)`, which converts with `@bufbuild/protobuf` (protobuf-es v2, already a
 *         dependency), a conformant protobuf JSON implementation, from the descriptors alone.
 *
 * The generated ts-proto code and this reference share nothing but the .proto files, so agreeing
 * JSON and mutually readable binary mean the generated code speaks protobuf, not just itself.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createFileRegistry,
  fromBinary,
  fromJson,
  toBinary,
  toJson,
  type DescMessage,
  type FileRegistry,
  type JsonValue,
} from '@bufbuild/protobuf';
import { FileDescriptorSetSchema } from '@bufbuild/protobuf/wkt';

let registry: FileRegistry | undefined;

function load(): FileRegistry {
  if (registry) return registry;
  const dir = mkdtempSync(join(tmpdir(), 'flyteidl-ref-'));
  try {
    const out = join(dir, 'flyteidl.binpb');
    const buf = join(process.cwd(), 'node_modules', '.bin', 'buf');
    execFileSync(
      buf,
      ['build', '--path', 'proto/flyteidl', '--as-file-descriptor-set', '--exclude-source-info', '-o', out],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, readFileSync(out)));
    return registry;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Conversions of one message type by the reference implementation. */
export interface Reference {
  /** Protobuf JSON → binary (fails on JSON that is not valid protobuf JSON for the type). */
  encodeJson(json: JsonValue): Uint8Array;
  /** Binary → canonical protobuf JSON. */
  decodeToJson(bytes: Uint8Array): JsonValue;
  /** Protobuf JSON → canonical protobuf JSON. */
  canonical(json: JsonValue): JsonValue;
}

export function reference(typeName: string): Reference {
  const reg = load();
  const desc: DescMessage | undefined = reg.getMessage(typeName);
  if (!desc) throw new Error(`no message ${typeName} in proto/flyteidl`);
  return {
    encodeJson: (json) => toBinary(desc, fromJson(desc, json, { registry: reg })),
    decodeToJson: (bytes) => toJson(desc, fromBinary(desc, bytes), { registry: reg }),
    canonical: (json) => toJson(desc, fromJson(desc, json, { registry: reg }), { registry: reg }),
  };
}
