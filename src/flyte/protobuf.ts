/**
 * The flyteidl payloads a FlyteWorkflow embeds, as placeholders.
 *
 * Each alias is an object in the JSON form Flyte writes it (docs/flyte-format.md says which
 * encoding applies where). The flyteidl TypeScript types generated with protobuf-JSON support
 * (`src/generated/flyteidl`) replace these aliases when they are merged; until then every
 * payload is a plain `JsonObject` and readers check the fields they use.
 *
 * Two encodings occur, and the alias names say which:
 * - `...Json`: protobuf JSON (jsonpb defaults: lowerCamelCase names, enums as strings, 64-bit
 *   integers as strings, `google.protobuf.Duration` as `"10s"`, default values omitted);
 * - `...GoJson`: Go `encoding/json` of the generated protobuf struct (snake_case names from the
 *   `json` struct tags, enums as numbers, oneofs under their Go field names).
 */
import type { JsonObject } from '../api/schema.js';

/** `flyteidl.core.TaskTemplate`, protobuf JSON (`id`, `type`, `metadata`, `interface`, `custom`, `container`, `k8sPod`, `sql`, `config`, ...). */
export type TaskTemplateJson = JsonObject;

/** `flyteidl.core.LiteralMap`, protobuf JSON: `{ literals: { name: Literal } }`. */
export type LiteralMapJson = JsonObject;

/** `flyteidl.core.Binding`, protobuf JSON: `{ var, binding: BindingData }` (`promise`, `scalar`, `collection`, `map`, `union`). */
export type BindingJson = JsonObject;

/** `flyteidl.core.BooleanExpression`, protobuf JSON: `{ comparison: ... }` or `{ conjunction: ... }`. */
export type BooleanExpressionJson = JsonObject;

/** `flyteidl.core.VariableMap`, protobuf JSON: `{ variables: { name: { type: LiteralType } } }`. */
export type VariableMapJson = JsonObject;

/** `flyteidl.core.Identifier`, protobuf JSON: `{ resourceType, project, domain, name, version, org }`. */
export type IdentifierJson = JsonObject;

/** `flyteidl.core.ApproveCondition`, protobuf JSON: `{ signalId }`. */
export type ApproveConditionJson = JsonObject;

/** `flyteidl.core.SignalCondition`, protobuf JSON: `{ signalId, type: LiteralType, outputVariableName }`. */
export type SignalConditionJson = JsonObject;

/** `flyteidl.core.SleepCondition`, protobuf JSON: `{ duration: "10s" }`. */
export type SleepConditionJson = JsonObject;

/** `flyteidl.core.ExecutionError`, protobuf JSON: `{ code, message, errorUri, kind: "USER" | "SYSTEM", timestamp }`. */
export type ExecutionErrorJson = JsonObject;

/** `flyteidl.core.ExecutionError` through Go `encoding/json`: `{ code, message, error_uri, kind: 0 | 1 | 2, timestamp: { seconds, nanos } }`. */
export type ExecutionErrorGoJson = JsonObject;

/** `flyteidl.core.Error` through Go `encoding/json`: `{ failed_node_id, message }` (a branch's `elseFail`). */
export type CoreErrorGoJson = JsonObject;

/** `flyteidl.core.ExtendedResources`, protobuf JSON: `{ gpuAccelerator, sharedMemory }`. */
export type ExtendedResourcesJson = JsonObject;

/** `flyteidl.core.K8sPod` through Go `encoding/json`: `{ metadata, pod_spec, primary_container_name }`. */
export type K8sPodGoJson = JsonObject;

/** `flyteidl.core.SecurityContext` through Go `encoding/json`: `{ run_as: { iam_role, k8s_service_account, ... }, secrets, tokens }`. */
export type SecurityContextGoJson = JsonObject;

/** `flyteidl.admin.RawOutputDataConfig` through Go `encoding/json`: `{ output_location_prefix }`. */
export type RawOutputDataConfigGoJson = JsonObject;
