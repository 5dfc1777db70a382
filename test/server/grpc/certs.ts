/**
 * Test PKI generated at test time: a CA, a server certificate for localhost/127.0.0.1 and
 * a client certificate, all signed by the CA. Uses the openssl CLI when it is on PATH;
 * otherwise (or with TFS_TEST_CERTS=node) writes X.509 v3 certificates with node:crypto
 * and a minimal DER encoder (ECDSA P-256 / SHA-256).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestPki {
  caCert: string;
  serverKey: string;
  serverCert: string;
  clientKey: string;
  clientCert: string;
  /** How the certificates were made. */
  via: 'openssl' | 'node:crypto';
}

function hasOpenssl(): boolean {
  return spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0;
}

export function makeTestPki(): TestPki {
  if (process.env['TFS_TEST_CERTS'] !== 'node' && hasOpenssl()) return viaOpenssl();
  return viaNodeCrypto();
}

function viaOpenssl(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'tfs-grpc-pki-'));
  const run = (...args: string[]): void => {
    execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  };
  try {
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    run('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=tfs test CA');
    writeFileSync(join(dir, 'server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n');
    writeFileSync(join(dir, 'client.ext'), 'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n');
    for (const who of ['server', 'client']) {
      run('req', ...ec, '-keyout', `${who}.key`, '-out', `${who}.csr`, '-subj', `/CN=${who === 'server' ? 'localhost' : 'tfs test client'}`);
      run('x509', '-req', '-in', `${who}.csr`, '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${who}.pem`, '-days', '2', '-extfile', `${who}.ext`);
    }
    const r = (f: string): string => readFileSync(join(dir, f), 'utf8');
    return {
      caCert: r('ca.pem'),
      serverKey: r('server.key'),
      serverCert: r('server.pem'),
      clientKey: r('client.key'),
      clientCert: r('client.pem'),
      via: 'openssl',
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- a minimal DER writer (just what an X.509 v3 certificate needs) ----

function len(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}
const tlv = (tag: number, body: Buffer): Buffer => Buffer.concat([Buffer.from([tag]), len(body.length), body]);
const seq = (...items: Buffer[]): Buffer => tlv(0x30, Buffer.concat(items));
const set = (...items: Buffer[]): Buffer => tlv(0x31, Buffer.concat(items));
const ctx = (n: number, body: Buffer): Buffer => tlv(0xa0 + n, body);
function int(b: Buffer): Buffer {
  return tlv(0x02, b[0]! & 0x80 ? Buffer.concat([Buffer.from([0]), b]) : b);
}
function oid(dotted: string): Buffer {
  const parts = dotted.split('.').map(Number);
  const out = [40 * parts[0]! + parts[1]!];
  for (const p of parts.slice(2)) {
    const chunk: number[] = [];
    let v = p;
    do {
      chunk.unshift(v & 0x7f);
      v >>= 7;
    } while (v > 0);
    for (let i = 0; i < chunk.length - 1; i++) chunk[i]! |= 0x80;
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
}
const utf8 = (s: string): Buffer => tlv(0x0c, Buffer.from(s, 'utf8'));
const bits = (b: Buffer): Buffer => tlv(0x03, Buffer.concat([Buffer.from([0]), b]));
const octets = (b: Buffer): Buffer => tlv(0x04, b);
const bool = (v: boolean): Buffer => tlv(0x01, Buffer.from([v ? 0xff : 0]));
function utcTime(d: Date): Buffer {
  const p = (n: number): string => String(n).padStart(2, '0');
  const s = `${p(d.getUTCFullYear() % 100)}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z`;
  return tlv(0x17, Buffer.from(s, 'ascii'));
}
const name = (cn: string): Buffer => seq(set(seq(oid('2.5.4.3'), utf8(cn))));
const ECDSA_SHA256 = seq(oid('1.2.840.10045.4.3.2'));

interface CertSpec {
  subject: string;
  issuer: string;
  publicKey: KeyObject;
  signer: KeyObject;
  ca: boolean;
  san?: { dns: string[]; ips: number[][] };
  clientAuth?: boolean;
}

function certificate(spec: CertSpec): string {
  const now = Date.now();
  const ext: Buffer[] = [seq(oid('2.5.29.19'), bool(true), octets(spec.ca ? seq(bool(true)) : seq()))];
  if (spec.ca) ext.push(seq(oid('2.5.29.15'), bool(true), octets(bits(Buffer.from([0x06]))))); // keyCertSign, cRLSign
  if (spec.san) {
    const names = [
      ...spec.san.dns.map((d) => tlv(0x82, Buffer.from(d, 'ascii'))),
      ...spec.san.ips.map((ip) => tlv(0x87, Buffer.from(ip))),
    ];
    ext.push(seq(oid('2.5.29.17'), octets(seq(...names))));
  }
  if (spec.clientAuth) ext.push(seq(oid('2.5.29.37'), octets(seq(oid('1.3.6.1.5.5.7.3.2')))));
  const tbs = seq(
    ctx(0, int(Buffer.from([2]))),
    int(randomBytes(8)),
    ECDSA_SHA256,
    name(spec.issuer),
    seq(utcTime(new Date(now - 3600_000)), utcTime(new Date(now + 2 * 86400_000))),
    name(spec.subject),
    spec.publicKey.export({ type: 'spki', format: 'der' }),
    ctx(3, seq(...ext)),
  );
  const signature = sign('sha256', tbs, spec.signer);
  const der = seq(tbs, ECDSA_SHA256, bits(signature));
  const b64 = der.toString('base64').replace(/(.{64})/g, '$1\n');
  return `-----BEGIN CERTIFICATE-----\n${b64}${b64.endsWith('\n') ? '' : '\n'}-----END CERTIFICATE-----\n`;
}

function viaNodeCrypto(): TestPki {
  const key = (): { privateKey: KeyObject; publicKey: KeyObject } => generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const pem = (k: KeyObject): string => k.export({ type: 'pkcs8', format: 'pem' }) as string;
  const ca = key();
  const srv = key();
  const cli = key();
  const caName = 'tfs test CA';
  return {
    caCert: certificate({ subject: caName, issuer: caName, publicKey: ca.publicKey, signer: ca.privateKey, ca: true }),
    serverKey: pem(srv.privateKey),
    serverCert: certificate({
      subject: 'localhost',
      issuer: caName,
      publicKey: srv.publicKey,
      signer: ca.privateKey,
      ca: false,
      san: { dns: ['localhost'], ips: [[127, 0, 0, 1]] },
    }),
    clientKey: pem(cli.privateKey),
    clientCert: certificate({
      subject: 'tfs test client',
      issuer: caName,
      publicKey: cli.publicKey,
      signer: ca.privateKey,
      ca: false,
      clientAuth: true,
    }),
    via: 'node:crypto',
  };
}
