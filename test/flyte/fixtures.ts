/** Loads the FlyteWorkflow fixtures under test/fixtures/flyte (fresh copies, free to mutate). */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export const FIXTURE_DIR = fileURLToPath(new URL('../fixtures/flyte/', import.meta.url));

export type Obj = Record<string, unknown>;

export function fixtureFiles(): string[] {
  return readdirSync(FIXTURE_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .sort();
}

export function fixture(file: string): Obj {
  return parse(readFileSync(`${FIXTURE_DIR}${file}`, 'utf8')) as Obj;
}

/** `obj[a][b]...` as an object, for mutating a fixture in a test. */
export function get(obj: Obj, ...path: string[]): Obj {
  let cur: unknown = obj;
  for (const p of path) cur = (cur as Obj)[p];
  if (cur === null || typeof cur !== 'object') throw new Error(`no object at ${path.join('.')}`);
  return cur as Obj;
}
