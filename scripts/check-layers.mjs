#!/usr/bin/env node
// Fails when an import in src/ or commands/ runs up the layer list in src/README.md,
// or when the folders import each other in a circle (file-level cycles are reported too).
// The list is the fenced block after "## Layers" in src/README.md: one layer a line,
// lowest first; names on one line (space separated) are peers that may not import each other.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const root = fileURLToPath(new URL('..', import.meta.url));
const src = join(root, 'src');

function layersFromReadme() {
  const text = readFileSync(join(src, 'README.md'), 'utf8');
  const m = /## Layers[\s\S]*?```text\n([\s\S]*?)```/.exec(text);
  if (!m) throw new Error('src/README.md has no "## Layers" section with a ```text block');
  const rank = new Map();
  m[1].split('\n').map((l) => l.replace(/#.*/, '').trim()).filter(Boolean).forEach((line, i) => {
    for (const name of line.split(/\s+/)) rank.set(name, i);
  });
  return rank;
}

function walk(dir, out = []) {
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** Every relative module specifier of a file: import/export declarations, `import()` and `import type`. */
function specifiers(file) {
  const sf = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const out = [];
  const visit = (node) => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      out.push(node.moduleSpecifier.text);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      const a = node.arguments[0];
      if (a && ts.isStringLiteralLike(a)) out.push(a.text);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      out.push(node.argument.literal.text);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out.filter((s) => s.startsWith('.'));
}

/** The layer a src file belongs to: its top folder, or the file name for top-level files. */
function layerOf(file) {
  const rel = relative(src, file);
  return rel.includes('/') ? rel.split('/')[0] : rel.replace(/\.ts$/, '');
}

const rank = layersFromReadme();
const problems = [];
const fileEdges = new Map();
const files = walk(src);
for (const file of files) {
  const from = layerOf(file);
  if (!rank.has(from)) problems.push(`${relative(root, file)}: layer "${from}" is not in src/README.md's layer list`);
  const targets = [];
  for (const spec of specifiers(file)) {
    const target = resolve(dirname(file), spec).replace(/\.js$/, '.ts');
    if (!target.startsWith(src + '/')) {
      problems.push(`${relative(root, file)}: imports ${spec}, outside src/`);
      continue;
    }
    targets.push(target);
    const to = layerOf(target);
    if (to === from) continue;
    const rf = rank.get(from);
    const rt = rank.get(to);
    if (rf === undefined || rt === undefined) continue;
    if (rt > rf) problems.push(`${relative(root, file)}: imports ${relative(root, target)}: "${from}" may not import "${to}", a higher layer`);
    else if (rt === rf) problems.push(`${relative(root, file)}: imports ${relative(root, target)}: "${from}" and "${to}" are peers`);
  }
  fileEdges.set(file, targets);
}

// Circles between files (a folder-level circle always shows up as a layer violation above).
const state = new Map();
const stack = [];
function dfs(f) {
  state.set(f, 1);
  stack.push(f);
  for (const t of fileEdges.get(f) ?? []) {
    if (!fileEdges.has(t)) continue;
    if (state.get(t) === 1) {
      const cycle = stack.slice(stack.indexOf(t)).concat(t).map((p) => relative(root, p));
      problems.push(`import circle: ${cycle.join(' -> ')}`);
    } else if (!state.has(t)) dfs(t);
  }
  stack.pop();
  state.set(f, 2);
}
for (const f of files) if (!state.has(f)) dfs(f);

// commands/ sit on top: they may import src/ but src/ never imports them (checked above: outside src/).
if (problems.length > 0) {
  console.error(`check-layers: ${problems.length} problem(s)\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`check-layers: ${files.length} files, ${rank.size} layers, no upward import, no circle`);
