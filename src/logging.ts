/**
 * The processes' logger options (the service, `convlens worker`): one JSON object per line, or with
 * LOG_FORMAT=pretty pino-pretty in a transport thread. Its thread cannot see whether stdout is a
 * terminal, so colour is decided here: on a terminal, unless it is a dumb one (TERM=dumb) or
 * NO_COLOR is set and not empty (no-color.org), where escape codes would show as text.
 */
import type { LoggerOptions } from 'pino';
import type { Config } from './config.js';

/** Whether log lines to `stream` may carry colour escapes, by the environment `env`. */
export function colourLogs(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv): boolean {
  return stream.isTTY === true && env.TERM !== 'dumb' && !env.NO_COLOR;
}

export function loggerOptions(config: Pick<Config, 'LOG_LEVEL' | 'LOG_FORMAT'>): LoggerOptions {
  return {
    level: config.LOG_LEVEL,
    ...(config.LOG_FORMAT === 'pretty' && {
      transport: { target: 'pino-pretty', options: { colorize: colourLogs(process.stdout, process.env), translateTime: 'SYS:HH:MM:ss.l' } },
    }),
  };
}
