import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ModelConfig } from '../../src/config/types.js';
import { type LabelMap, computeLabelMap } from '../../src/core/labels.js';
import { TfsError } from '../../src/errors.js';

function model(name: string, labels: Record<string, number>): ModelConfig {
  return { name, basePath: `/m/${name}`, modelPlatform: 'tensorflow', versionPolicy: { kind: 'all' }, versionLabels: labels };
}

const NOT_AVAILABLE = (v: number, m: string): string =>
  `Request to assign label to version ${v} of model ${m}, which is not currently available for inference`;

test('label rules, with and without --allow_version_labels_for_unavailable_models', () => {
  const available = new Set(['m/1', 'm/2']);
  const isAvailable = (m: string, v: number): boolean => available.has(`${m}/${v}`);
  const current: LabelMap = new Map([['m', new Map([['stable', 1], ['canary', 2]])]]);
  type Row = [string, boolean, LabelMap | undefined, Record<string, number>, Record<string, number> | string];
  const table: Row[] = [
    ['labels on available versions', false, undefined, { stable: 1, canary: 2 }, { stable: 1, canary: 2 }],
    ['label on an unavailable version fails', false, undefined, { stable: 3 }, NOT_AVAILABLE(3, 'm')],
    ['moving a label to an available version', false, current, { stable: 2 }, { stable: 2 }],
    ['allow flag: new label on an unavailable version', true, current, { next: 3 }, { next: 3 }],
    ['allow flag: label keeps its (now unavailable) version', true, new Map([['m', new Map([['old', 7]])]]), { old: 7 }, { old: 7 }],
    ['allow flag: moving a label to an unavailable version still fails', true, current, { stable: 3 }, NOT_AVAILABLE(3, 'm')],
    ['allow flag at startup (no map yet)', true, undefined, { stable: 9 }, { stable: 9 }],
    ['many labels on one version', false, undefined, { a: 1, b: 1 }, { a: 1, b: 1 }],
  ];
  for (const [what, allow, cur, labels, want] of table) {
    const run = (): LabelMap =>
      computeLabelMap([model('m', labels)], cur, { allowVersionLabelsForUnavailableModels: allow, isAvailable });
    if (typeof want === 'string') {
      assert.throws(run, (e: unknown) => e instanceof TfsError && e.codeName === 'FAILED_PRECONDITION' && e.message === want, what);
    } else {
      assert.deepEqual(Object.fromEntries(run().get('m') ?? new Map()), want, what);
    }
  }
});

test('models without labels have no entry; the first failing label (sorted) is reported', () => {
  const map = computeLabelMap([model('a', {}), model('b', { x: 1 })], undefined, {
    allowVersionLabelsForUnavailableModels: false,
    isAvailable: () => true,
  });
  assert.equal(map.has('a'), false);
  assert.equal(map.get('b')?.get('x'), 1);
  assert.throws(
    () =>
      computeLabelMap([model('b', { zeta: 5, alpha: 4 })], undefined, {
        allowVersionLabelsForUnavailableModels: false,
        isAvailable: () => false,
      }),
    { message: NOT_AVAILABLE(4, 'b') },
  );
});
