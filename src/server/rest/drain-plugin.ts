/**
 * The REST side of a drain, as a fastify plugin: counts running requests and, once
 * `draining()` is true, answers new `/v1/` and `/v2/` calls with UNAVAILABLE `Server is shutting down`
 * and `Connection: close` (probes and the metrics page still answer).
 */
import type { ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyPluginCallback } from 'fastify';
import { Errors } from '../../errors.js';
import { errorJson } from '../../tensor/json-tensor.js';

export interface RestDrain {
  /** Register on the REST app before it listens: `app.register(drain.plugin)`. */
  readonly plugin: FastifyPluginCallback;
  /** Resolves when no REST request is running. */
  idle(): Promise<void>;
  /** For the REST app's lean path (app.ts): the same count and refusal for requests fastify never sees. */
  readonly admission: { enter(res: ServerResponse): boolean; draining(): boolean };
}

export function createRestDrain(draining: () => boolean): RestDrain {
  let running = 0;
  let waiters: (() => void)[] = [];
  const refused = Errors.serverShuttingDown();
  const finished = (): void => {
    running--;
    if (running === 0) {
      const w = waiters;
      waiters = [];
      for (const resolve of w) resolve();
    }
  };
  /** Count a request until its response closes ('close' fires however it ends: sent, failed, client gone). */
  const track = (res: ServerResponse): void => {
    running++;
    // `on`, not `once`: a response emits 'close' exactly once, and `once` wraps the listener
    // in two more objects per request.
    res.on('close', finished);
  };
  const plugin = (app: FastifyInstance, _opts: unknown, done: (err?: Error) => void): void => {
    app.addHook('onRequest', (request, reply, next) => {
      if (draining() && /^\/v[12]\//i.test(request.raw.url ?? '')) {
        void reply
          .code(refused.httpStatus)
          .header('content-type', 'application/json')
          .header('connection', 'close')
          .send(errorJson(refused.message));
        return;
      }
      track(reply.raw);
      next();
    });
    // A response sent during the drain closes its connection, so the client does not reuse
    // a keep-alive connection that is about to go away (it would see a reset).
    app.addHook('onSend', (_request, reply, payload, next) => {
      if (draining()) void reply.header('connection', 'close');
      next(null, payload);
    });
    done();
  };
  // What fastify-plugin does: without it the hook would only apply inside the plugin's own
  // encapsulated context, not to the app's routes.
  (plugin as unknown as Record<symbol, boolean>)[Symbol.for('skip-override')] = true;
  return {
    plugin: plugin as FastifyPluginCallback,
    admission: {
      enter: (res) => {
        if (draining()) return false;
        track(res);
        return true;
      },
      draining,
    },
    idle: () => (running === 0 ? Promise.resolve() : new Promise<void>((resolve) => waiters.push(resolve))),
  };
}
