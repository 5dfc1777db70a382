import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lookupType, toObjectOptions } from '../../src/proto/root.js';
import { formatTextFormat, parseTextFormat, parseTextFormatDocument, TextFormatError } from '../../src/proto/text-format.js';
import { Code } from '../../src/errors.js';

const MSC = lookupType('tensorflow.serving.ModelServerConfig');
const BATCH = lookupType('tensorflow.serving.BatchingParameters');
const TENSOR = lookupType('tensorflow.TensorProto');

/** The same object after a trip through the wire format (protobufjs encode/decode/toObject). */
function viaWire(type: typeof MSC, obj: Record<string, unknown>): Record<string, unknown> {
  return type.toObject(type.decode(type.encode(type.fromObject(obj)).finish()), toObjectOptions);
}

function parseError(type: typeof MSC, text: string): TextFormatError {
  try {
    parseTextFormat(type, text, 'f.txt');
  } catch (e) {
    assert.ok(e instanceof TextFormatError, `not a TextFormatError: ${String(e)}`);
    return e;
  }
  assert.fail(`parsed without error: ${text}`);
}

test('messages: {} and <>, optional colon, , and ; separators, # comments', () => {
  const forms = [
    'model_config_list { config { name: "a" base_path: "/a" } }',
    'model_config_list: { config: { name: "a", base_path: "/a"; } }',
    'model_config_list < config < name: "a" base_path: "/a" > >',
    '# leading comment\nmodel_config_list {  # trailing\n config {\n  name: "a"  # x\n  base_path: "/a"\n }\n}\n# end',
  ];
  const expected = { config: 'model_config_list', model_config_list: { config: [{ name: 'a', base_path: '/a', version_labels: {} }] } };
  for (const f of forms) assert.deepEqual(parseTextFormat(MSC, f), expected, f);
});

test('repeated fields written repeatedly, as [a, b] lists, empty [] lists, and mixed', () => {
  const a = parseTextFormat(BATCH, 'allowed_batch_sizes: 1 allowed_batch_sizes: 2 allowed_batch_sizes: 4');
  const b = parseTextFormat(BATCH, 'allowed_batch_sizes: [1, 2, 4]');
  const c = parseTextFormat(BATCH, 'allowed_batch_sizes: [1] allowed_batch_sizes: [] allowed_batch_sizes: [2, 4]');
  for (const x of [a, b, c]) assert.deepEqual(x['allowed_batch_sizes'], ['1', '2', '4']);
  const m = parseTextFormat(MSC, 'model_config_list { config: [ { name: "a" }, < name: "b" > ] config { name: "c" } }');
  const names = ((m['model_config_list'] as Record<string, unknown>)['config'] as { name: string }[]).map((x) => x.name);
  assert.deepEqual(names, ['a', 'b', 'c']);
});

test('strings: single/double quotes, C escapes (octal, hex, \\u, \\U, surrogate pairs), adjacent concatenation', () => {
  const text = String.raw`model_config_list { config { name: 'it''s' "\x41\101\n\t\\\"\'\?" base_path: "caf\u00e9 \U0001F600 \ud83d\ude00 ünï" } }`;
  const v = parseTextFormat(MSC, text);
  const c = ((v['model_config_list'] as Record<string, unknown>)['config'] as Record<string, unknown>[])[0]!;
  assert.equal(c['name'], "its" + 'AA\n\t\\"\'?');
  assert.equal(c['base_path'], 'café 😀 😀 ünï');
});

test('bytes keep raw octets (\\377 is one byte, not UTF-8)', () => {
  const v = parseTextFormat(TENSOR, String.raw`dtype: DT_UINT8 tensor_content: "\000\377\x10A"`);
  assert.deepEqual([...(v['tensor_content'] as Uint8Array)], [0, 255, 16, 65]);
  assert.equal(v['dtype'], 'DT_UINT8');
});

test('integers: decimal, hex, octal, negative, 64-bit range kept exactly as decimal strings', () => {
  const v = parseTextFormat(TENSOR, 'int64_val: [0x7fffffffffffffff, -9223372036854775808, 010, 0] int_val: -0x10 uint64_val: 18446744073709551615');
  assert.deepEqual(v['int64_val'], ['9223372036854775807', '-9223372036854775808', '8', '0']);
  assert.deepEqual(v['int_val'], [-16]);
  assert.deepEqual(v['uint64_val'], ['18446744073709551615']);
  assert.equal(parseError(TENSOR, 'int_val: 2147483648').reason, 'Integer out of range (2147483648)');
  assert.equal(parseError(TENSOR, 'uint64_val: -1').reason, 'Expected integer, got: -');
  assert.equal(parseError(TENSOR, 'int64_val: 1.5').reason, 'Expected integer, got: 1.5');
});

test('floats: exponents, f suffix, leading dot, inf/infinity/nan (any case), integers as floats, float32 rounding', () => {
  const v = parseTextFormat(TENSOR, 'double_val: [1.5e3, -2E-2, .5, 7, inf, -Infinity, NaN] float_val: 0.1f float_val: 3');
  const d = v['double_val'] as number[];
  assert.deepEqual(d.slice(0, 6), [1500, -0.02, 0.5, 7, Infinity, -Infinity]);
  assert.ok(Number.isNaN(d[6]));
  assert.deepEqual(v['float_val'], [Math.fround(0.1), 3]);
  assert.equal(parseError(TENSOR, 'double_val: 0x10').reason, 'Expect a decimal number, got: 0x10');
  assert.equal(parseError(TENSOR, 'double_val: abc').reason, 'Expected double, got: abc');
});

test('bools: true/false/True/False/t/f/1/0', () => {
  for (const [text, want] of [['true', true], ['True', true], ['t', true], ['1', true], ['false', false], ['False', false], ['f', false], ['0', false]] as const) {
    assert.equal(parseTextFormat(BATCH, `pad_variable_length_inputs: ${text}`)['pad_variable_length_inputs'], want, text);
  }
  assert.equal(parseError(BATCH, 'pad_variable_length_inputs: 2').reason, 'Integer out of range (2)');
  assert.equal(parseError(BATCH, 'pad_variable_length_inputs: yes').reason, 'Invalid value for boolean field "pad_variable_length_inputs". Value: "yes".');
});

test('enums by name and by number (unknown numbers kept: proto3 enums are open)', () => {
  const cfg = (t: string) => ((parseTextFormat(MSC, `model_config_list { config { ${t} } }`)['model_config_list'] as Record<string, unknown>)['config'] as Record<string, unknown>[])[0]!;
  assert.equal(cfg('model_type: TENSORFLOW')['model_type'], 'TENSORFLOW');
  assert.equal(cfg('model_type: 1')['model_type'], 'TENSORFLOW');
  assert.equal(cfg('model_type: 7')['model_type'], 7);
  assert.equal(parseError(MSC, 'model_config_list { config { model_type: tensorflow } }').reason, 'Unknown enumeration value of "tensorflow" for field "model_type".');
});

test('wrapper types and map entries (repeated, as a list, last duplicate wins)', () => {
  const b = parseTextFormat(BATCH, 'max_batch_size { value: 128 } thread_pool_name: < value: "pool" > enable_large_batch_splitting {}');
  assert.deepEqual(b['max_batch_size'], { value: '128' });
  assert.deepEqual(b['thread_pool_name'], { value: 'pool' });
  assert.deepEqual(b['enable_large_batch_splitting'], {});
  const doc = parseTextFormatDocument(
    MSC,
    'model_config_list { config { version_labels { key: "stable" value: 1 } version_labels: [{ value: 2 key: "canary" }, { key: "stable" value: 3 }] version_labels {} } }',
  );
  const c = ((doc.value['model_config_list'] as Record<string, unknown>)['config'] as Record<string, unknown>[])[0]!;
  assert.deepEqual(c['version_labels'], { stable: '3', canary: '2', '': '0' });
  assert.ok(doc.warnings.some((w) => w.message.includes('Map key "stable"')));
});

test('singular scalars: last value wins; singular messages merge; a oneof member replaces the other (upstream semantics, warned)', () => {
  const b = parseTextFormatDocument(BATCH, 'max_batch_size { value: 1 } max_batch_size { value: 2 } pad_variable_length_inputs: true pad_variable_length_inputs: false');
  assert.deepEqual(b.value['max_batch_size'], { value: '2' });
  assert.equal(b.value['pad_variable_length_inputs'], false);
  assert.equal(b.warnings.length, 3);
  const m = parseTextFormatDocument(MSC, 'model_config_list { config { name: "a" } } model_config_list { config { name: "b" } }');
  assert.deepEqual(((m.value['model_config_list'] as Record<string, unknown>)['config'] as { name: string }[]).map((x) => x.name), ['a', 'b']);
  const p = parseTextFormatDocument(MSC, 'model_config_list { config { model_version_policy { latest { num_versions: 2 } all {} } } }');
  const policy = (((p.value['model_config_list'] as Record<string, unknown>)['config'] as Record<string, unknown>[])[0]!)['model_version_policy'];
  assert.deepEqual(policy, { policy_choice: 'all', all: {} });
  assert.ok(p.warnings.some((w) => w.message.includes('oneof "policy_choice"')));
  assert.equal(p.locate('/model_config_list/config/0/model_version_policy/latest').line, 1);
});

test('google.protobuf.Any in expanded form is packed; unknown types and missing prefixes are upstream errors', () => {
  const v = parseTextFormat(MSC, 'custom_model_config { [type.googleapis.com/tensorflow.serving.ModelConfigList] { config { name: "x" base_path: "/x" } } }');
  const any = v['custom_model_config'] as { type_url: string; value: Uint8Array };
  assert.equal(any.type_url, 'type.googleapis.com/tensorflow.serving.ModelConfigList');
  const inner = lookupType('tensorflow.serving.ModelConfigList');
  assert.equal((inner.toObject(inner.decode(any.value)) as { config: { name: string }[] }).config[0]!.name, 'x');
  assert.equal(parseError(MSC, 'custom_model_config { [tensorflow.serving.ModelConfigList] {} }').reason, 'Type URL prefix is missing');
  assert.equal(parseError(MSC, 'custom_model_config { [type.googleapis.com/no.Such] {} }').reason, 'Could not find type "type.googleapis.com/no.Such" stored in google.protobuf.Any.');
  assert.equal(parseError(MSC, '[ext.field]: 1').reason, 'Extension "ext.field" is not defined or is not an extension of "tensorflow.serving.ModelServerConfig".');
});

test('errors are INVALID_ARGUMENT with 1-based line:column as upstream reports them (the token after an unknown name)', () => {
  const e = parseError(MSC, 'improperly formatted file');
  assert.equal(e.code, Code.INVALID_ARGUMENT);
  assert.deepEqual(e.location, { file: 'f.txt', line: 1, column: 12 });
  assert.equal(e.message, 'f.txt:1:12: Message type "tensorflow.serving.ModelServerConfig" has no field named "improperly".');
  assert.equal(e.upstreamLog, 'Error parsing text-format tensorflow.serving.ModelServerConfig: 1:12: Message type "tensorflow.serving.ModelServerConfig" has no field named "improperly".');
  assert.match(e.hint ?? '', /model_config_list, custom_model_config/);
});

test('columns count bytes and tabs advance to the next multiple of 8, as protobuf\'s tokenizer', () => {
  assert.deepEqual(parseError(BATCH, '\tmax_batch_size { value: x }').location, { file: 'f.txt', line: 1, column: 33 });
  // "é" is two bytes in UTF-8: the ":" after the unknown name is at byte column 46 (45 characters).
  const e = parseError(MSC, 'model_config_list { config { name: "é" bogus: 1 } }');
  assert.equal(e.reason, 'Message type "tensorflow.serving.ModelConfig" has no field named "bogus".');
  assert.deepEqual(e.location, { file: 'f.txt', line: 1, column: 46 });
  assert.deepEqual(parseError(MSC, 'model_config_list {\n  config {\n    name: "a"\n').location, { file: 'f.txt', line: 4, column: 1 });
});

test('tokenizer errors: bad escapes, multi-line strings, numbers glued to words, control characters, non-ASCII outside strings', () => {
  assert.equal(parseError(MSC, String.raw`model_config_list { config { name: "\q" } }`).reason, 'Invalid escape sequence in string literal.');
  assert.equal(parseError(MSC, 'model_config_list { config { name: "a\n" } }').reason, 'Multiline strings are not allowed. Did you miss a "?.');
  assert.equal(parseError(MSC, 'model_config_list { config { name: "a').reason, 'Unexpected end of string.');
  assert.equal(parseError(BATCH, 'max_batch_size { value: 12ab }').reason, 'Need space between number and identifier.');
  assert.equal(parseError(BATCH, 'max_batch_size { value: 0x }').reason, '"0x" must be followed by hex digits.');
  assert.equal(parseError(BATCH, 'max_batch_size { value: 09 }').reason, 'Numbers starting with leading zero must be in octal.');
  assert.equal(parseError(BATCH, 'pad_variable_length_inputs: true\u0001').reason, 'Invalid control characters encountered in text.');
  assert.equal(parseError(BATCH, 'ü: 1').reason, 'Interpreting non ascii codepoint 195.');
});

test('grammar errors name what was expected', () => {
  assert.equal(parseError(BATCH, 'max_batch_size: 5').reason, 'Expected "{", found "5".');
  assert.equal(parseError(BATCH, 'pad_variable_length_inputs true').reason, 'Expected ":", found "true".');
  assert.equal(parseError(BATCH, 'max_batch_size { value: 1 >').reason, 'Expected "}", found ">".');
  assert.equal(parseError(BATCH, '}').reason, 'Expected identifier, got: }');
  assert.equal(parseError(BATCH, 'allowed_batch_sizes: [1 2]').reason, 'Expected ",", found "2".');
  assert.equal(parseError(BATCH, 'thread_pool_name { value: 5 }').reason, 'Expected string, got: 5');
  const deep = 'model_config_list { config { model_version_policy { latest { } } } }';
  assert.doesNotThrow(() => parseTextFormatDocument(MSC, deep, 'f', { recursionLimit: 4 }));
  assert.equal(
    (() => {
      try {
        parseTextFormatDocument(MSC, deep, 'f', { recursionLimit: 3 });
      } catch (e) {
        return (e as TextFormatError).reason;
      }
      return 'parsed';
    })(),
    'Message is too deep, the parser exceeded the configured recursion limit of 3.',
  );
});

test('locations: every field occurrence maps to line:column of its name and value', () => {
  const doc = parseTextFormatDocument(MSC, 'model_config_list {\n  config {\n    name: "a"\n    version_labels { key: "s" value: 2 }\n    model_version_policy { specific { versions: [4, 5] } }\n  }\n}\n');
  assert.deepEqual(doc.locations.get('/model_config_list/config/0/name'), { name: { line: 3, column: 5 }, value: { line: 3, column: 11 } });
  assert.deepEqual(doc.locate('/model_config_list/config/0/version_labels/s', 'value'), { line: 4, column: 38 });
  assert.deepEqual(doc.locate('/model_config_list/config/0/model_version_policy/specific/versions/1', 'value'), { line: 5, column: 53 });
  // Not written: resolved to the closest written ancestor.
  assert.deepEqual(doc.locate('/model_config_list/config/0/base_path'), { line: 2, column: 3 });
  assert.ok(doc.has('/model_config_list/config/0/name'));
  // Message-valued map entries (key written after the value, nested maps) are keyed by their key.
  const g = parseTextFormatDocument(
    lookupType('tensorflow.GraphDef'),
    'node {\n  attr { value { type: DT_FLOAT } key: "T" }\n  attr { key: "v" value { list { s: ["a", "b"] } } }\n}\nnode { attr { key: "a/b" value { i: 3 } } }',
  );
  assert.deepEqual(g.locate('/node/0/attr/T/type', 'value'), { line: 2, column: 24 });
  assert.deepEqual(g.locate('/node/0/attr/v/list/s/1', 'value'), { line: 3, column: 43 });
  assert.deepEqual(g.locate('/node/1/attr/a~1b/i', 'value'), { line: 5, column: 37 });
  assert.ok(![...g.locations.keys()].some((k) => k.includes('\u0000')));
  assert.ok(!doc.has('/model_config_list/config/0/base_path'));
});

test('round trip: tricky text -> object -> canonical text -> same object, and through the wire format', () => {
  const tricky = `
    model_config_list: <
      config { name: 'half_' "plus_two" base_path: "/m/\\x68\\141lf"; model_platform: "tensorflow",
               model_type: 0
               model_version_policy: { specific { versions: [1, 0x2, 03] } }
               version_labels { key: "stable" value: 1 } version_labels: [ < key: 'canary' value: 2 > ]
               logging_config { sampling_config { sampling_rate: 5e-1 attributes: 3 per_task_sampling_configs { dc: "x" task_index: 0 } } } }
      config { name: "b\\n\\"q\\"" base_path: "gs://b/x" model_version_policy { all <> } }
    >`;
  const first = parseTextFormat(MSC, tricky);
  const printed = formatTextFormat(MSC, first);
  const second = parseTextFormat(MSC, printed);
  assert.deepEqual(second, first);
  assert.deepEqual(viaWire(MSC, first), viaWire(MSC, second));
  // Decoding the wire form gives the same values our parser produced.
  const wire = viaWire(MSC, first) as { model_config_list: { config: Record<string, unknown>[] } };
  const c0 = wire.model_config_list.config[0]!;
  assert.equal(c0['name'], 'half_plus_two');
  assert.equal(c0['base_path'], '/m/half');
  assert.deepEqual((c0['model_version_policy'] as { specific: { versions: string[] } }).specific.versions, ['1', '2', '3']);
  assert.deepEqual(c0['version_labels'], { stable: '1', canary: '2' });
  assert.equal(wire.model_config_list.config[1]!['name'], 'b\n"q"');

  const tensor = parseTextFormat(TENSOR, String.raw`dtype: DT_STRING tensor_shape { dim { size: 2 } dim { size: -1 name: "n" } } string_val: ["a\000b", '\377'] double_val: [inf, -inf, 0.25]`);
  assert.deepEqual(parseTextFormat(TENSOR, formatTextFormat(TENSOR, tensor)), tensor);
});
