/**
 * `tfs validate` reports what `tfs serve` would refuse about version labels, with positions.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fixtures } from '../helpers/paths.js';
import { validateConfigText } from '../../src/config/validate-files.js';

const myModel = join(fixtures, 'models', 'my_model'); // versions 1 and 2 on disk

const config = (policy: string, labels: string): string =>
  `model_config_list {\n  config {\n    name: 'm'\n    base_path: '${myModel}'\n    model_platform: 'tensorflow'\n    ${policy}\n${labels}  }\n}\n`;

test('a label on a version outside a specific policy is an error at the label, with serve’s text', () => {
  const text = config('model_version_policy { specific { versions: 1 } }', "    version_labels { key: 'stable' value: 1 }\n    version_labels { key: 'canary' value: 2 }\n");
  const r = validateConfigText(text, '/cfg/models.config');
  assert.equal(r.valid, false);
  assert.equal(r.errors.length, 1);
  const e = r.errors[0]!;
  assert.equal(e.message, 'Request to assign label to version 2 of model m, which is not currently available for inference');
  assert.equal(e.line, 8);
  assert.match(e.hint ?? '', /serves only versions 1; point label canary/);
});

test('a label on a version the latest policy would not load today is a warning', () => {
  const r = validateConfigText(config('', "    version_labels { key: 'old' value: 1 }\n"), '/cfg/models.config');
  assert.equal(r.valid, true);
  assert.equal(r.warnings.length, 1);
  assert.match(r.warnings[0]!.message, /version 1 of model m.*the latest version policy serves 2 of the versions on disk/);
  assert.match(r.warnings[0]!.hint ?? '', /--allow_version_labels_for_unavailable_models/);
});

test('labels on served versions raise nothing', () => {
  const r = validateConfigText(config('model_version_policy { all { } }', "    version_labels { key: 'stable' value: 1 }\n    version_labels { key: 'canary' value: 2 }\n"), '/cfg/models.config');
  assert.deepEqual([r.valid, r.errors, r.warnings], [true, [], []]);
});

test('base path schemes: s3:// and file:// are accepted as serve reads them, gs:// and hdfs:// are errors naming the alternatives', () => {
  const one = (basePath: string) =>
    validateConfigText(`model_config_list {\n  config {\n    name: 'm'\n    base_path: '${basePath}'\n    model_platform: 'tensorflow'\n  }\n}\n`, '/cfg/models.config');
  for (const ok of ['s3://bucket/models/m', `file://${myModel}`]) {
    const r = one(ok);
    assert.deepEqual([r.valid, r.errors], [true, []], ok);
  }
  const gs = one('gs://bucket/m');
  assert.equal(gs.valid, false);
  assert.equal(gs.errors[0]!.line, 4);
  assert.match(gs.errors[0]!.message, /^base_path of model m: File system scheme 'gs' not implemented \(file: 'gs:\/\/bucket\/m'\); .*S3 interoperability endpoint .*mount the bucket as a volume/);
  assert.match(one('hdfs://nn:9000/m').errors[0]!.message, /File system scheme 'hdfs' not implemented .*Mount the hdfs:\/\/ store as a volume/);
});
