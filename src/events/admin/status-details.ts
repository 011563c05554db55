/**
 * FlyteAdmin's rejection details: a FailedPrecondition whose `grpc-status-details-bin` trailer is
 * a `google.rpc.Status` carrying one `flyteidl.admin.EventFailureReason` (already in a terminal
 * state, or the execution belongs to another cluster). Encoded and decoded here for both sides,
 * the client (./client.ts) and the sandbox's recording admin.
 *
 * google.rpc.Status (not generated here; three fields): 1 code (int32), 2 message (string),
 * 3 details (repeated google.protobuf.Any: 1 type_url, 2 value).
 */
import { BinaryReader, BinaryWriter } from '@bufbuild/protobuf/wire';
import { EventFailureReason } from '../../generated/flyteidl/flyteidl/admin/event.js';

/** The metadata key grpc carries rich error details in. */
export const STATUS_DETAILS_KEY = 'grpc-status-details-bin';
export const EVENT_FAILURE_REASON_TYPE = 'type.googleapis.com/flyteidl.admin.EventFailureReason';

/** A `google.rpc.Status` with one EventFailureReason detail. */
export function encodeStatusDetails(code: number, message: string, reason: EventFailureReason): Buffer {
  const any = new BinaryWriter();
  any.uint32(10).string(EVENT_FAILURE_REASON_TYPE);
  any.uint32(18).bytes(EventFailureReason.encode(reason).finish());
  const status = new BinaryWriter();
  status.uint32(8).int32(code);
  status.uint32(18).string(message);
  status.uint32(26).bytes(any.finish());
  return Buffer.from(status.finish());
}

/** The EventFailureReason of a `google.rpc.Status`, or undefined (none, or unreadable bytes). */
export function decodeEventFailureReason(bytes: Uint8Array): EventFailureReason | undefined {
  try {
    const reader = new BinaryReader(bytes);
    while (reader.pos < reader.len) {
      const tag = reader.uint32();
      if (tag >>> 3 !== 3 || (tag & 7) !== 2) {
        reader.skip(tag & 7);
        continue;
      }
      const any = new BinaryReader(reader.bytes());
      let typeUrl = '';
      let value: Uint8Array | undefined;
      while (any.pos < any.len) {
        const t = any.uint32();
        if (t === 10) typeUrl = any.string();
        else if (t === 18) value = any.bytes();
        else any.skip(t & 7);
      }
      if (typeUrl === EVENT_FAILURE_REASON_TYPE && value) return EventFailureReason.decode(value);
    }
  } catch {
    return undefined;
  }
  return undefined;
}
