import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { VersionPolicy } from '../../src/config/types.js';
import {
  type HarnessState,
  type PolicyAction,
  availabilityPreservingAction,
  parseVersionNumber,
  selectAspiredVersions,
} from '../../src/core/version-policy.js';

test('parseVersionNumber accepts what safe_strto64 accepts', () => {
  const table: Array<[string, number | undefined]> = [
    ['1', 1],
    ['00000123', 123],
    ['+7', 7],
    ['-3', -3],
    [' 12 ', 12],
    ['0', 0],
    ['12a', undefined],
    ['1.5', undefined],
    ['', undefined],
    ['abc', undefined],
    ['1e3', undefined],
    ['0x10', undefined],
    ['9223372036854775808', undefined], // beyond int64
    ['9007199254740993', undefined], // int64 but not exact in JS
    ['9007199254740991', 9007199254740991],
  ];
  for (const [name, want] of table) assert.equal(parseVersionNumber(name), want, `parse ${JSON.stringify(name)}`);
});

test('selectAspiredVersions applies latest / all / specific', () => {
  const table: Array<[VersionPolicy, number[], number[], number[]]> = [
    [{ kind: 'latest', numVersions: 1 }, [1, 2, 3], [3], []],
    [{ kind: 'latest', numVersions: 2 }, [3, 1, 2], [2, 3], []],
    [{ kind: 'latest', numVersions: 0 }, [1, 2], [2], []], // 0 counts as 1
    [{ kind: 'latest', numVersions: 5 }, [4, 9], [4, 9], []],
    [{ kind: 'latest', numVersions: 1 }, [], [], []],
    [{ kind: 'all' }, [5, 1, 3], [1, 3, 5], []],
    [{ kind: 'specific', versions: [42, 43] }, [41, 42, 44], [42], [43]],
    [{ kind: 'specific', versions: [2, 1] }, [1, 2, 3], [1, 2], []],
    [{ kind: 'specific', versions: [] }, [1, 2], [], []],
  ];
  for (const [policy, present, aspired, missing] of table) {
    const got = selectAspiredVersions(policy, present);
    assert.deepEqual(got, { aspired, missingSpecific: missing }, `${JSON.stringify(policy)} over ${JSON.stringify(present)}`);
  }
});

test('availability-preserving policy: load new before unloading old', () => {
  type Row = [string, Array<[number, HarnessState, boolean]>, PolicyAction | undefined];
  const table: Row[] = [
    ['nothing', [], undefined],
    ['load the only new aspired version', [[1, 'new', true]], { action: 'load', version: 1 }],
    ['load the highest new aspired first', [[1, 'new', true], [2, 'new', true]], { action: 'load', version: 2 }],
    ['keep old while new is only aspired', [[1, 'ready', false], [2, 'new', true]], { action: 'load', version: 2 }],
    ['keep old while new is loading', [[1, 'ready', false], [2, 'loading', true]], undefined],
    ['unload old once new is ready', [[1, 'ready', false], [2, 'ready', true]], { action: 'unload', version: 1 }],
    ['keep old when the new one failed', [[1, 'ready', false], [2, 'error', true]], undefined],
    ['nothing aspired: unload', [[1, 'ready', false]], { action: 'unload', version: 1 }],
    ['two unaspired serving: unload the lowest even with nothing new ready', [[1, 'ready', false], [2, 'ready', false], [3, 'loading', true]], { action: 'unload', version: 1 }],
    ['unloading is preferred over loading', [[1, 'ready', false], [2, 'ready', true], [3, 'new', true]], { action: 'unload', version: 1 }],
    ['a version already quiescing is not unloaded again', [[1, 'quiescing', false], [2, 'ready', true]], undefined],
    ['a version waiting for a load slot is not loaded again', [[2, 'loadRequested', true]], undefined],
    ['failed aspired versions are not retried', [[2, 'error', true]], undefined],
  ];
  for (const [what, rows, want] of table) {
    const got = availabilityPreservingAction(rows.map(([version, state, aspired]) => ({ version, state, aspired })));
    assert.deepEqual(got, want, what);
  }
});
