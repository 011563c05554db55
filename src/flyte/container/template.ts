/**
 * Rendering a container's `command` and `args` the way FlytePropeller does (flyteplugins
 * `pluginmachinery/core/template`, v1.16.8): templates are case-insensitive, start with `.` or
 * `$`, may have spaces inside the braces, and are replaced in this order: `{{.input}}` (the
 * inputs.pb URI), `{{.outputPrefix}}`, `{{.inputPrefix}}`, `{{.rawOutputDataPrefix}}`,
 * `{{.prevCheckpointPrefix}}` (`""` on a first attempt), `{{.checkpointOutputPrefix}}`,
 * `{{.perRetryUniqueKey}}`, `{{.taskTemplatePath}}`, `{{.namespace}}`, then `{{.inputs.<name>}}`
 * (the input's value as text: primitives, blob and schema URIs, `[a,b]` for collections).
 * Anything else is left as it is, as FlytePropeller leaves it. Pure; written from the behaviour,
 * not from the Go code.
 */
import { FlyteError } from '../errors.js';
import { literalToTemplateString, type LiteralsJson } from '../literals/values.js';

/** The values of one attempt's templates. */
export interface TemplateParams {
  /** `{{.input}}`: the URI of the node's inputs.pb. */
  readonly inputPath: string;
  /** `{{.inputPrefix}}`: the node's data directory. */
  readonly inputPrefix: string;
  /** `{{.outputPrefix}}`: the attempt's output directory (outputs.pb, error.pb go there). */
  readonly outputPrefix: string;
  /** `{{.rawOutputDataPrefix}}`: where the task writes raw data (files, dataframes). */
  readonly rawOutputDataPrefix: string;
  /** `{{.checkpointOutputPrefix}}`: where this attempt writes checkpoints. */
  readonly checkpointOutputPrefix: string;
  /** `{{.prevCheckpointPrefix}}`: the previous attempt's checkpoints; empty on the first attempt. */
  readonly prevCheckpointPrefix: string;
  /** `{{.perRetryUniqueKey}}`: unique per attempt, letters, digits and `_` only, starting with a letter. */
  readonly perRetryUniqueKey: string;
  /** `{{.taskTemplatePath}}`: the URI of the task's serialised TaskTemplate. */
  readonly taskTemplatePath: string;
  /** `{{.namespace}}`. */
  readonly namespace: string;
  /** `{{.inputs.<name>}}`: the node's inputs. */
  readonly inputs: LiteralsJson;
}

const re = (name: string): RegExp => new RegExp(`{{\\s*[.$]${name}\\s*}}`, 'gi');
const INPUT_VAR = /{{\s*[.$]inputs\.([^}\s]+)\s*}}/gi;

/** Whether a text uses `{{.taskTemplatePath}}` (the caller then writes task.pb). */
export function usesTaskTemplatePath(texts: readonly string[]): boolean {
  return texts.some((t) => re('TaskTemplatePath').test(t));
}

/** Letters, digits and `_`, starting with a letter or `_`, as FlytePropeller shapes `perRetryUniqueKey`. */
export function uniqueKeyOf(text: string): string {
  return text.replace(/^[^a-zA-Z_]+/, 'a').replace(/[^a-zA-Z0-9_]+/g, '_');
}

/** Renders each text; throws `FlyteError('BadTemplate')` for an `{{.inputs.x}}` that cannot be rendered. */
export function renderTemplates(texts: readonly string[], params: TemplateParams): string[] {
  return texts.map((text) => renderOne(text, params));
}

function renderOne(text: string, p: TemplateParams): string {
  const literal = (value: string) => () => value;
  let out = text
    .replace(re('Input'), literal(p.inputPath))
    .replace(re('OutputPrefix'), literal(p.outputPrefix))
    .replace(re('InputPrefix'), literal(p.inputPrefix))
    .replace(re('RawOutputDataPrefix'), literal(p.rawOutputDataPrefix))
    .replace(re('PrevCheckpointPrefix'), literal(p.prevCheckpointPrefix === '' ? '""' : p.prevCheckpointPrefix))
    .replace(re('CheckpointOutputPrefix'), literal(p.checkpointOutputPrefix))
    .replace(re('PerRetryUniqueKey'), literal(p.perRetryUniqueKey))
    .replace(re('TaskTemplatePath'), literal(p.taskTemplatePath))
    .replace(re('Namespace'), literal(p.namespace));
  const errors: string[] = [];
  out = out.replace(INPUT_VAR, (whole: string, name: string) => {
    const value = p.inputs[name];
    if (value === undefined) {
      errors.push(`${whole}: no input named ${JSON.stringify(name)}`);
      return '';
    }
    try {
      return literalToTemplateString(value);
    } catch (error) {
      errors.push(`${whole}: ${error instanceof Error ? error.message : String(error)}`);
      return '';
    }
  });
  if (errors.length > 0) throw new FlyteError('BadTemplate', errors.join('; '));
  return out;
}
