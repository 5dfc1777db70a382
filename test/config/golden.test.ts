/**
 * Golden cases: fixtures/configs/invalid/<case>/ holds one input file (its name decides the
 * detected kind) and `expected`: every error as `tfs validate` prints it
 * (`<input>:line:column: message`), then `tensorflow_model_server: <what upstream fails with>`.
 * Regenerate after a deliberate change with TFS_UPDATE_GOLDEN=1 (then review the diff).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fixtures } from '../helpers/paths.js';
import { validateConfigText } from '../../src/config/validate-files.js';
import { formatIssue } from '../../src/config/validation.js';

const casesDir = join(fixtures, 'configs', 'invalid');
const cases = readdirSync(casesDir).sort();

test('the golden suite has enough cases', () => {
  assert.ok(cases.length >= 15, `only ${cases.length} cases`);
});

test('every invalid config is rejected with the expected errors, positions and fixes', () => {
  const failures: string[] = [];
  for (const name of cases) {
    const dir = join(casesDir, name);
    const inputs = readdirSync(dir).filter((f) => f !== 'expected');
    assert.equal(inputs.length, 1, `${name}: exactly one input file besides expected`);
    const input = inputs[0]!;
    const report = validateConfigText(readFileSync(join(dir, input), 'utf8'), input);
    const actual = [...report.errors.map(formatIssue), `tensorflow_model_server: ${report.upstream ?? '(accepts it)'}`].join('\n') + '\n';
    if (process.env['TFS_UPDATE_GOLDEN'] === '1') writeFileSync(join(dir, 'expected'), actual);
    const expected = readFileSync(join(dir, 'expected'), 'utf8');
    if (actual !== expected) failures.push(`--- ${name}\nexpected:\n${expected}actual:\n${actual}`);
    // Invalid means: at least one error, each with a position and a way to fix it.
    if (report.valid || report.errors.length === 0) failures.push(`${name}: accepted`);
    for (const e of report.errors) {
      if (!(e.line >= 1 && e.column >= 1)) failures.push(`${name}: error without position: ${e.message}`);
      if (!e.hint) failures.push(`${name}: error without a fix: ${e.message}`);
    }
    assert.equal(report.config, null, `${name}: an invalid file reports no config`);
  }
  assert.deepEqual(failures, []);
});
