/**
 * Golden files: every case under fixtures/k8s/ generates exactly its expected/ files.
 * After an intended change: TFS_UPDATE_GOLDEN=1 node scripts/run-tests.mjs test/k8s/golden
 * (see test/k8s/cases.ts), then review `git diff fixtures/k8s`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bundleFiles, generateCase, listCases, readExpected, UPDATE_GOLDEN } from './cases.js';

const cases = listCases();

test('there are golden cases for the tutorial model, two models with batching, GPU and canary', () => {
  assert.deepEqual(
    cases.map((c) => c.name),
    ['canary', 'gpu', 'tutorial-model', 'two-models-batching'],
  );
});

for (const c of cases) {
  test(`golden: ${c.name}`, () => {
    const actual = bundleFiles(generateCase(c));
    if (UPDATE_GOLDEN) {
      const dir = join(c.dir, 'expected');
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      for (const [name, content] of actual) writeFileSync(join(dir, name), content);
    }
    const expected = readExpected(c);
    assert.ok(expected.size > 0, `${c.name}: no expected/ files (generate them with TFS_UPDATE_GOLDEN=1)`);
    assert.deepEqual([...actual.keys()].sort(), [...expected.keys()].sort(), `${c.name}: the set of files differs`);
    for (const [name, content] of actual) {
      assert.equal(content, expected.get(name), `${c.name}/expected/${name} differs (TFS_UPDATE_GOLDEN=1 regenerates)`);
    }
  });
}
