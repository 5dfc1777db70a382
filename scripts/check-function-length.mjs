#!/usr/bin/env node
// Fails when a function in src/ or commands/ is longer than MAX lines (issue 14: keep
// functions readable). Tables of data are not functions, so they are not counted. A function
// may opt out with a `// long-function-ok: <reason>` comment on the line above it; the reason
// is printed. ALLOWED lists files still being split elsewhere: their long functions are
// printed as warnings, not failures. Run by `npm test`.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const MAX = 80;
const root = fileURLToPath(new URL('..', import.meta.url));

/** Path prefixes (relative to the repo root, `/` separators) whose long functions only warn. */
const ALLOWED = [];
const allowed = (rel) => ALLOWED.some((p) => rel.split(sep).join('/').startsWith(p));

function walk(dir, out = []) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

function nameOf(node, sf) {
  if (node.name) return node.name.getText(sf);
  const p = node.parent;
  if (p && (ts.isVariableDeclaration(p) || ts.isPropertyAssignment(p) || ts.isPropertyDeclaration(p)) && p.name) return p.name.getText(sf);
  return '<anonymous>';
}

const long = [];
const excused = [];
const warned = [];
for (const file of [...walk(join(root, 'src')), ...walk(join(root, 'commands'))]) {
  const text = readFileSync(file, 'utf8');
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const lines = text.split('\n');
  const visit = (node) => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const start = sf.getLineAndCharacterOfPosition(node.getStart(sf)).line;
      const end = sf.getLineAndCharacterOfPosition(node.end).line;
      const n = end - start + 1;
      if (n > MAX) {
        let owner = node;
        while (owner.parent && !ts.isSourceFile(owner.parent) && !ts.isClassLike(owner.parent) && !ts.isBlock(owner.parent)) owner = owner.parent;
        const ownerLine = sf.getLineAndCharacterOfPosition(owner.getStart(sf)).line;
        const prev = lines[Math.min(start, ownerLine) - 1] ?? '';
        const where = `${relative(root, file)}:${start + 1} ${nameOf(node, sf)} (${n} lines)`;
        const ok = /long-function-ok:\s*(.+)/.exec(prev);
        if (ok) excused.push(`${where}: ${ok[1]}`);
        else if (allowed(relative(root, file))) warned.push(where);
        else long.push(where);
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
}
for (const e of excused) console.log(`check-function-length: allowed ${e}`);
if (warned.length > 0) console.log(`check-function-length: ${warned.length} long function(s) in files being split elsewhere (ALLOWED):\n  ${warned.join('\n  ')}`);
if (long.length > 0) {
  console.error(`check-function-length: ${long.length} function(s) over ${MAX} lines\n  ${long.join('\n  ')}`);
  process.exit(1);
}
console.log(`check-function-length: no function in src/ or commands/ over ${MAX} lines outside ALLOWED`);
