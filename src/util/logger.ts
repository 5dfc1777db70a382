/**
 * Logging: every component takes a `Logger` (pino's interface) so the server, tests
 * and library users choose where logs go. `silentLogger` is the default for library use.
 */
import pino from 'pino';

export type Logger = pino.Logger;

export interface LoggerOptions {
  level?: string;
  format?: 'json' | 'pretty';
  /** Write to this fd (default 2, stderr, like tensorflow_model_server). */
  fd?: number;
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  const level = opts.level ?? 'info';
  const fd = opts.fd ?? 2;
  if (opts.format === 'pretty') {
    return pino({
      level,
      transport: { target: 'pino-pretty', options: { destination: fd, colorize: false, translateTime: 'SYS:standard' } },
    });
  }
  return pino({ level }, pino.destination({ fd, sync: true }));
}

export const silentLogger: Logger = pino({ level: 'silent' });
