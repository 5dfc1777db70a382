/**
 * `tfs --help` lists the commands: once as a child process of the real entry point, then
 * `validate --help` in-process through oclif (test/helpers/cli-inprocess.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromDist, runBuiltCli } from '../helpers/cli-build.js';
import { runCliInProcess } from '../helpers/cli-inprocess.js';

test(`tfs --help lists validate (${fromDist ? 'bin/run.js' : 'commands of this build'})`, async () => {
  const r = await runBuiltCli(['--help']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /USAGE\n\s+\$ tfs \[COMMAND\]/);
  assert.match(r.stdout, /\n\s+validate\s+Check TensorFlow Serving config files; errors as file:line:column\./);
});

test('tfs validate --help explains the command and its flags', async () => {
  const r = await runCliInProcess(['validate', '--help']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /\$ tfs validate FILE/);
  assert.match(r.stdout, /--kind=<option>/);
  assert.match(r.stdout, /<options: model_config\|batching\|monitoring\|ssl>/);
  assert.match(r.stdout, /--json/);
});
