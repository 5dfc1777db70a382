import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../src/config/validation.js';
import { DEFAULT_PROMETHEUS_PATH, loadMonitoringConfig, parseMonitoringConfig } from '../../src/config/monitoring.js';
import { loadSslConfig, parseSslConfig } from '../../src/config/ssl.js';
import { fixtures } from '../helpers/paths.js';

test('monitoring: enable and path; an empty or missing path is the upstream default', () => {
  assert.deepEqual(loadMonitoringConfig(join(fixtures, 'configs', 'demo', 'monitoring.config')), { prometheus: { enable: true, path: DEFAULT_PROMETHEUS_PATH } });
  assert.deepEqual(parseMonitoringConfig('prometheus_config { enable: true path: "/metrics" }', 'm'), { prometheus: { enable: true, path: '/metrics' } });
  assert.deepEqual(parseMonitoringConfig('prometheus_config { enable: true path: "" }', 'm'), { prometheus: { enable: true, path: DEFAULT_PROMETHEUS_PATH } });
  assert.deepEqual(parseMonitoringConfig('', 'm'), { prometheus: { enable: false, path: DEFAULT_PROMETHEUS_PATH } });
  assert.throws(() => parseMonitoringConfig('prometheus_config { path: "metrics" }', 'm'), (e: unknown) => e instanceof ConfigError && e.location?.column === 27);
});

const KEY = '-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n';
const CERT = '-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n';

test('ssl: PEM contents (multi-line strings joined), client_verify needs custom_ca', () => {
  const text = `server_key: "-----BEGIN PRIVATE KEY-----\\n"
  "MIIB\\n"
  "-----END PRIVATE KEY-----\\n"
server_cert: "${CERT.replace(/\n/g, '\\n')}"
custom_ca: "${CERT.replace(/\n/g, '\\n')}"
client_verify: true`;
  const dir = mkdtempSync(join(tmpdir(), 'tfs-ssl-'));
  try {
    writeFileSync(join(dir, 'ssl.config'), text);
    assert.deepEqual(loadSslConfig(join(dir, 'ssl.config')), { serverKey: KEY, serverCert: CERT, customCa: CERT, clientVerify: true });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  assert.throws(
    () => parseSslConfig(`server_key: "${KEY.replace(/\n/g, '\\n')}" server_cert: "${CERT.replace(/\n/g, '\\n')}" client_verify: true`, 's'),
    (e: unknown) => e instanceof ConfigError && e.message === 'client_verify is true but custom_ca is not set',
  );
  assert.throws(
    () => parseSslConfig('server_key: "/etc/key.pem" server_cert: "/etc/cert.pem"', 's'),
    (e: unknown) => e instanceof ConfigError && e.issues.length === 2 && /not a path/.test(e.hint ?? ''),
  );
});
