/**
 * A minimal keep-alive HTTP/1.1 client for `tfs bench`'s REST target.
 *
 * Why not undici or node:http: the load generator must not be the bottleneck, and a general
 * client spends most of its time on header objects, stream plumbing and body decoding that a
 * benchmark does not need. Here the request is serialized once into a Buffer and written as is;
 * responses are parsed just enough to find the status and where the body ends (Content-Length or
 * chunked). One request is in flight per connection (no pipelining), like wrk.
 */
import { connect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

/** TLS for an https:// target: the CA to trust (default: Node's roots) and the name to verify. */
export interface Http1Tls {
  readonly ca?: Buffer;
  readonly servername: string;
}

export interface HttpReply {
  readonly status: number;
  /** The first bytes of the body, only for non-2xx replies (for error samples). */
  readonly errorText?: string;
}

type Pending = { resolve: (r: HttpReply) => void; reject: (e: Error) => void };

const CRLFCRLF = Buffer.from('\r\n\r\n');
const ERROR_TEXT_LIMIT = 300;

class Connection {
  private socket: Socket | undefined;
  private buf: Buffer = Buffer.alloc(0);
  private pending: Pending | undefined;
  // Response parse state.
  private status = 0;
  private bodyLeft = -1; // bytes of body still to skip (Content-Length mode)
  private chunked = false;
  private inBody = false;
  private errorChunks: Buffer[] = [];
  private errorLen = 0;

  constructor(
    private readonly host: string,
    private readonly port: number,
    private readonly timeoutMs: number,
    private readonly tls?: Http1Tls,
  ) {}

  private open(): Socket {
    const s = this.tls
      ? tlsConnect({ host: this.host, port: this.port, servername: this.tls.servername, ALPNProtocols: ['http/1.1'], ...(this.tls.ca ? { ca: this.tls.ca } : {}) })
      : connect({ host: this.host, port: this.port, noDelay: true });
    if (this.tls) s.setNoDelay(true);
    s.setTimeout(this.timeoutMs);
    s.on('data', (d: Buffer) => this.onData(d));
    s.on('timeout', () => this.fail(new Error(`ETIMEDOUT: no response within ${this.timeoutMs} ms`)));
    s.on('error', (e) => this.fail(e));
    s.on('close', () => {
      this.socket = undefined;
      this.fail(Object.assign(new Error('socket closed by the server'), { code: 'ECONNRESET' }));
    });
    return s;
  }

  send(request: Buffer): Promise<HttpReply> {
    return new Promise<HttpReply>((resolve, reject) => {
      this.pending = { resolve, reject };
      this.resetParse();
      if (!this.socket || this.socket.destroyed) this.socket = this.open();
      this.socket.write(request);
    });
  }

  private resetParse(): void {
    this.buf = Buffer.alloc(0);
    this.status = 0;
    this.bodyLeft = -1;
    this.chunked = false;
    this.inBody = false;
    this.errorChunks = [];
    this.errorLen = 0;
  }

  private fail(e: Error): void {
    const p = this.pending;
    this.pending = undefined;
    if (this.socket && !this.socket.destroyed) this.socket.destroy();
    this.socket = undefined;
    p?.reject(e);
  }

  private keepError(b: Buffer): void {
    if (this.status >= 200 && this.status < 300) return;
    if (this.errorLen >= ERROR_TEXT_LIMIT) return;
    const part = b.subarray(0, ERROR_TEXT_LIMIT - this.errorLen);
    this.errorChunks.push(Buffer.from(part));
    this.errorLen += part.length;
  }

  private done(): void {
    const p = this.pending;
    this.pending = undefined;
    const ok = this.status >= 200 && this.status < 300;
    const reply: HttpReply = ok ? { status: this.status } : { status: this.status, errorText: Buffer.concat(this.errorChunks).toString('utf8') };
    this.resetParse();
    p?.resolve(reply);
  }

  private onData(d: Buffer): void {
    if (!this.pending) return; // stray bytes after a failure
    this.buf = this.buf.length === 0 ? d : Buffer.concat([this.buf, d]);
    if (!this.inBody) {
      const end = this.buf.indexOf(CRLFCRLF);
      if (end < 0) return;
      const head = this.buf.toString('latin1', 0, end);
      this.status = Number(head.slice(9, 12));
      const lower = head.toLowerCase();
      const cl = /\r\ncontent-length:\s*(\d+)/.exec(lower);
      this.chunked = /\r\ntransfer-encoding:[^\r]*chunked/.test(lower);
      this.bodyLeft = cl ? Number(cl[1]) : this.chunked ? -1 : 0;
      this.inBody = true;
      this.buf = this.buf.subarray(end + 4);
    }
    if (!this.chunked) {
      const take = Math.min(this.bodyLeft, this.buf.length);
      this.keepError(this.buf.subarray(0, take));
      this.bodyLeft -= take;
      this.buf = this.buf.subarray(take);
      if (this.bodyLeft === 0) this.done();
      return;
    }
    // Chunked: <hex size>\r\n<data>\r\n ... 0\r\n\r\n
    for (;;) {
      const lineEnd = this.buf.indexOf('\r\n');
      if (lineEnd < 0) return;
      const size = parseInt(this.buf.toString('latin1', 0, lineEnd), 16);
      if (Number.isNaN(size)) return this.fail(new Error('malformed chunked response'));
      if (size === 0) {
        if (this.buf.length < lineEnd + 4) return;
        return this.done();
      }
      if (this.buf.length < lineEnd + 2 + size + 2) return;
      this.keepError(this.buf.subarray(lineEnd + 2, lineEnd + 2 + size));
      this.buf = this.buf.subarray(lineEnd + 2 + size + 2);
    }
  }

  close(): void {
    this.socket?.destroy();
    this.socket = undefined;
  }
}

/** A fixed set of keep-alive connections; a request waits for a free one. */
export class Http1Pool {
  private readonly idle: Connection[] = [];
  private readonly all: Connection[] = [];
  private readonly waiters: Array<(c: Connection) => void> = [];

  constructor(host: string, port: number, connections: number, timeoutMs: number, tls?: Http1Tls) {
    for (let i = 0; i < Math.max(1, connections); i++) {
      const c = new Connection(host, port, timeoutMs, tls);
      this.all.push(c);
      this.idle.push(c);
    }
  }

  async request(raw: Buffer): Promise<HttpReply> {
    const c = this.idle.pop() ?? (await new Promise<Connection>((r) => this.waiters.push(r)));
    try {
      return await c.send(raw);
    } finally {
      const w = this.waiters.shift();
      if (w) w(c);
      else this.idle.push(c);
    }
  }

  close(): void {
    for (const c of this.all) c.close();
  }
}

/** The bytes of a POST with a JSON body, Host header and keep-alive. */
export function rawPost(host: string, port: number, path: string, body: Buffer, headers: readonly (readonly [string, string])[] = []): Buffer {
  const extra = headers.map(([k, v]) => `${k}: ${v}\r\n`).join('');
  const head =
    `POST ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nContent-Type: application/json\r\n` +
    `Content-Length: ${body.length}\r\nConnection: keep-alive\r\n${extra}\r\n`;
  return Buffer.concat([Buffer.from(head, 'latin1'), body]);
}
