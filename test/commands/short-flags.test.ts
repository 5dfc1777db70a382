/** `-h` prints help on every command (serve parses upstream's flags itself, so it needs oclif's global -h), `-v` the version. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCliInProcess as runCli } from '../helpers/cli-inprocess.js';

test('-h is help on serve and validate, -v is the version', async () => {
  const serve = await runCli(['serve', '-h']);
  assert.equal(serve.code, 0, serve.stderr);
  assert.match(serve.stdout, /Serve SavedModels over REST and gRPC/);
  assert.doesNotMatch(serve.stdout + serve.stderr, /Failed to start server/);
  const validate = await runCli(['validate', '-h']);
  assert.equal(validate.code, 0, validate.stderr);
  assert.match(validate.stdout, /Check TensorFlow Serving config files/);
  const version = await runCli(['-v']);
  assert.equal(version.code, 0, version.stderr);
  assert.match(version.stdout, /^tfserving\/\d+\.\d+\.\d+ /);
});
