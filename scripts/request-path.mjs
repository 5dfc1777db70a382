#!/usr/bin/env node
// Checks the request path that src/README.md lists ("The path of a predict request"):
// every file named there exists, and neither REST nor gRPC crosses more than MAX files
// from the socket to the runtime (their own list plus the shared one). Run by `npm test`.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const MAX = 10;
const root = fileURLToPath(new URL('..', import.meta.url));
const readme = readFileSync(join(root, 'src', 'README.md'), 'utf8');
const section = /## The path of a predict request\n([\s\S]*?)(?=\n## |$)/.exec(readme)?.[1];
if (!section) {
  console.error('request-path: src/README.md has no "## The path of a predict request" section');
  process.exit(1);
}

/** The numbered files under the paragraph that starts with `heading`. */
function listAfter(heading) {
  const at = section.indexOf(`\n${heading}\n`);
  if (at < 0) return undefined;
  const files = [];
  for (const line of section.slice(at + heading.length + 2).split('\n').slice(1)) {
    const m = /^\d+\. `([^`]+)`/.exec(line);
    if (!m) break;
    files.push(m[1]);
  }
  return files;
}

const lists = { rest: listAfter('REST only:'), grpc: listAfter('gRPC only:'), shared: listAfter('Shared:') };
const problems = [];
for (const [name, files] of Object.entries(lists)) {
  if (!files || files.length === 0) problems.push(`no ${name} list`);
  for (const f of files ?? []) if (!existsSync(join(root, 'src', f))) problems.push(`src/${f} (${name}) does not exist`);
}
for (const proto of ['rest', 'grpc']) {
  const n = (lists[proto]?.length ?? 0) + (lists.shared?.length ?? 0);
  if (n > MAX) problems.push(`${proto} crosses ${n} files (at most ${MAX})`);
}
if (problems.length > 0) {
  console.error(`request-path: ${problems.join('; ')}`);
  process.exit(1);
}
console.log(`request-path: REST ${lists.rest.length}+${lists.shared.length}, gRPC ${lists.grpc.length}+${lists.shared.length} files, all present`);
