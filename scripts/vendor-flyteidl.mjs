#!/usr/bin/env node
// Vendors Flyte's .proto files into proto/flyteidl/ from the npm package @flyteorg/flyteidl.
//
// Input:  the package tarball (`npm pack` downloads it; no install), or --tarball <file.tgz>.
// Output: proto/flyteidl/{core,event,admin,service,datacatalog}/*.proto (import paths stay
//         `flyteidl/...` under the buf module root proto/), the package's LICENSE and NOTICE, and
//         VENDORED (package, version, tarball sha512, file list).
//
// Which files: the import closure of ROOTS below, nothing else (admin/agent.proto and
// admin/notification.proto, the plugins and the other services are not reached and not copied).
//
// One rewrite: service/*.proto import google/api/annotations.proto and
// protoc-gen-openapiv2/options/annotations.proto for grpc-gateway's HTTP mapping and OpenAPI docs.
// flotilla speaks gRPC only, so those imports and every `option (google.api.*)` /
// `option (grpc.gateway.*)` statement are removed, and the file gets a notice saying so
// (Apache-2.0 §4(b)). Messages, fields, services and methods are untouched: the wire contract is
// Flyte's. The run is repeatable: the same tarball gives the same files byte for byte.
//
// Usage: node scripts/vendor-flyteidl.mjs [--version 1.16.5] [--tarball path.tgz]
//        then `npm run gen:proto`.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const PACKAGE = '@flyteorg/flyteidl';
const DEFAULT_VERSION = '1.16.5';
/** The files flotilla needs; their imports are followed. Directories mean every .proto in them. */
const ROOTS = [
  'flyteidl/core/',
  'flyteidl/event/',
  'flyteidl/datacatalog/',
  'flyteidl/service/admin.proto',
  'flyteidl/service/signal.proto',
];
/** Imports that are dropped (with the options that use them). */
const STRIPPED_IMPORTS = ['google/api/annotations.proto', 'protoc-gen-openapiv2/options/annotations.proto'];
/** Option names (inside the parentheses) whose statements are dropped. */
const STRIPPED_OPTION_PREFIXES = ['google.api.', 'grpc.gateway.'];
/** The directories under proto/flyteidl/ this script owns (deleted and rewritten on every run). */
const OWNED_DIRS = ['admin', 'core', 'datacatalog', 'event', 'service'];

const repo = resolve(dirname(new URL(import.meta.url).pathname), '..');
const target = join(repo, 'proto', 'flyteidl');

const { values } = parseArgs({
  options: { version: { type: 'string', default: DEFAULT_VERSION }, tarball: { type: 'string' } },
});
const work = mkdtempSync(join(tmpdir(), 'vendor-flyteidl-'));
try {
  let tarball = values.tarball ? resolve(values.tarball) : undefined;
  if (!tarball) {
    const name = execFileSync('npm', ['pack', `${PACKAGE}@${values.version}`, '--silent', '--pack-destination', work], {
      encoding: 'utf8',
    })
      .trim()
      .split('\n')
      .pop();
    tarball = join(work, name);
  }
  execFileSync('tar', ['-xzf', tarball, '-C', work]);
  const pkgRoot = join(work, 'package');
  const pkg = JSON.parse(readFileSync(join(pkgRoot, 'package.json'), 'utf8'));
  if (pkg.name !== PACKAGE) throw new Error(`${tarball} is ${pkg.name}, not ${PACKAGE}`);
  const protoRoot = join(pkgRoot, 'protos');

  const files = closure(protoRoot);
  for (const dir of OWNED_DIRS) rmSync(join(target, dir), { recursive: true, force: true });
  const modified = [];
  for (const file of files) {
    const source = readFileSync(join(protoRoot, file), 'utf8');
    const rewritten = stripHttpAnnotations(file, source);
    if (rewritten !== source) modified.push(file);
    mkdirSync(dirname(join(target, file.slice('flyteidl/'.length))), { recursive: true });
    writeFileSync(join(target, file.slice('flyteidl/'.length)), rewritten);
  }
  for (const legal of ['LICENSE', 'NOTICE']) writeFileSync(join(target, legal), readFileSync(join(pkgRoot, legal)));
  const sha512 = createHash('sha512').update(readFileSync(tarball)).digest('base64');
  writeFileSync(
    join(target, 'VENDORED'),
    [
      `# Written by scripts/vendor-flyteidl.mjs; do not edit.`,
      `package: ${PACKAGE}@${pkg.version}`,
      `tarball-sha512: ${sha512}`,
      `license: ${pkg.license} (LICENSE, NOTICE)`,
      `modified (google.api / openapiv2 annotations removed):`,
      ...modified.map((f) => `  ${f}`),
      `files:`,
      ...files.map((f) => `  ${f}`),
      '',
    ].join('\n'),
  );
  console.log(
    `vendored ${files.length} files from ${PACKAGE}@${pkg.version} into ${target} (${modified.length} rewritten)`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}

/** The sorted import closure of ROOTS inside the package's protos/ directory. */
function closure(protoRoot) {
  const pending = ROOTS.flatMap((root) =>
    root.endsWith('/')
      ? readdirSync(join(protoRoot, root))
          .filter((n) => n.endsWith('.proto'))
          .map((n) => root + n)
      : [root],
  );
  const seen = new Set();
  while (pending.length > 0) {
    const file = pending.pop();
    if (seen.has(file)) continue;
    if (!existsSync(join(protoRoot, file))) throw new Error(`${file} is imported but not in the package`);
    seen.add(file);
    for (const [, imported] of readFileSync(join(protoRoot, file), 'utf8').matchAll(
      /^import\s+(?:public\s+|weak\s+)?"([^"]+)";/gm,
    )) {
      if (imported.startsWith('google/protobuf/') || STRIPPED_IMPORTS.includes(imported)) continue; // WKTs ship with buf
      if (!imported.startsWith('flyteidl/'))
        throw new Error(`${file} imports ${imported}: neither flyteidl nor a well-known type`);
      pending.push(imported);
    }
  }
  return [...seen].sort();
}

/** Removes the stripped imports and option statements from one file; returns it unchanged if it has none. */
function stripHttpAnnotations(file, source) {
  let out = source;
  for (const imported of STRIPPED_IMPORTS)
    out = out.replace(new RegExp(`^import\\s+"${imported.replace(/[./]/g, '\\$&')}";\\n`, 'gm'), '');
  out = removeOptionStatements(out);
  if (out === source) return source;
  // A method whose body held only options is left with `{` + whitespace + `}`: make it `{}`.
  out = out.replace(/\)\s*\{\s*\n\s*\}/g, ') {}');
  // Flyte left some options commented out; comments stay, code must not mention what was removed.
  const code = out.replace(/\/\/.*$/gm, '');
  for (const marker of ['google.api', 'grpc.gateway', 'openapiv2']) {
    if (code.includes(marker))
      throw new Error(`${file}: "${marker}" is still referenced after stripping; extend the script`);
  }
  const notice = [
    `// Vendored from ${PACKAGE} by flotilla's scripts/vendor-flyteidl.mjs, and MODIFIED: the imports of`,
    `// google/api/annotations.proto and protoc-gen-openapiv2/options/annotations.proto and every`,
    `// \`option (google.api.http)\` / \`option (grpc.gateway.protoc_gen_openapiv2.options.*)\` were`,
    `// removed (HTTP gateway and OpenAPI metadata only). Everything else is Flyte's, under Apache-2.0.`,
    '',
  ].join('\n');
  return notice + out;
}

/**
 * Removes every `option (<stripped prefix>...) = ...;` statement, with the whitespace before it
 * on its line and the line break after it. The value may be an aggregate `{ ... }` spanning lines,
 * with nested braces, strings and comments; the scan honours all three.
 */
function removeOptionStatements(text) {
  const start = /^[ \t]*option\s*\(\s*([A-Za-z0-9_.]+)\s*\)/gm;
  let out = '';
  let from = 0;
  for (let m = start.exec(text); m !== null; m = start.exec(text)) {
    if (m.index < from) continue;
    if (!STRIPPED_OPTION_PREFIXES.some((p) => m[1].startsWith(p))) continue;
    const end = statementEnd(text, m.index + m[0].length);
    out += text.slice(from, m.index);
    from = text[end + 1] === '\n' ? end + 2 : end + 1;
    start.lastIndex = from;
  }
  return out + text.slice(from);
}

/** The index of the `;` that ends the statement starting before `i` (outside braces, strings, comments). */
function statementEnd(text, i) {
  let depth = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '"' || c === "'") {
      i++;
      while (i < text.length && text[i] !== c) i += text[i] === '\\' ? 2 : 1;
    } else if (c === '/' && text[i + 1] === '/') {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (c === '/' && text[i + 1] === '*') {
      i = text.indexOf('*/', i + 2) + 1;
      if (i === 0) break;
    } else if (c === '{') depth++;
    else if (c === '}') depth--;
    else if (c === ';' && depth === 0) return i;
    i++;
  }
  throw new Error('unterminated option statement');
}
