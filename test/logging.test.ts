import { describe, expect, it } from 'vitest';
import { colourLogs, loggerOptions } from '../src/logging.js';

describe('LOG_FORMAT=pretty colours only a terminal that shows them', () => {
  it.each([
    ['a terminal, TERM=xterm-256color', true, { TERM: 'xterm-256color' }, true],
    ['a dumb terminal, TERM=dumb (escape codes showed as text)', true, { TERM: 'dumb' }, false],
    ['a terminal with NO_COLOR=1', true, { TERM: 'xterm', NO_COLOR: '1' }, false],
    ['a terminal with NO_COLOR empty (no-color.org: present and not empty)', true, { TERM: 'xterm', NO_COLOR: '' }, true],
    ['a pipe or a file', false, { TERM: 'xterm' }, false],
  ])('%s: %s', (_, isTTY, env, colour) => {
    expect(colourLogs({ isTTY }, env)).toBe(colour);
  });

  it('json (the default) has no transport: one object per line, from the process itself', () => {
    expect(loggerOptions({ LOG_LEVEL: 'warn', LOG_FORMAT: 'json' })).toEqual({ level: 'warn' });
    expect(loggerOptions({ LOG_LEVEL: 'info', LOG_FORMAT: 'pretty' })).toMatchObject({ level: 'info', transport: { target: 'pino-pretty' } });
  });
});
