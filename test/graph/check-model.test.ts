/**
 * checkModel refuses a model name longer than any could be (256 characters) before seeking a
 * suggestion or copying it into the error. Found by a hunt: a 30,000,000-character name took
 * 0.9 s and answered a 30,000,498-character message with the name again in its details.
 */
import { describe, expect, it } from 'vitest';
import { MAX_MODEL_NAME, checkModel } from '../../src/graph/load.js';
import { ZOO } from '../../src/zoo/index.js';
import { errorOf } from '../helpers.js';

describe('checkModel and an over-long name', () => {
  it('every zoo name is within MAX_MODEL_NAME (256), so none is refused for its length', () => {
    expect(MAX_MODEL_NAME).toBe(256);
    expect(Math.max(...ZOO.map((m) => m.name.length))).toBeLessThan(MAX_MODEL_NAME);
  });

  it('256 characters are looked up as usual, the name in the message and details', () => {
    const name = 'r'.repeat(256);
    const e = errorOf(() => checkModel(name, '$.model'));
    expect(e.code).toBe('UNKNOWN_MODEL');
    expect(e.message).toContain(`no built-in model '${name}'`);
    expect(e.details).toMatchObject({ path: '$.model', model: name });
  });

  it('1,000,000 characters: UNKNOWN_MODEL at its path, saying its length, without the name (the message was 1,000,498 characters)', () => {
    const name = `resnet18${'x'.repeat(999_992)}`;
    const e = errorOf(() => checkModel(name, '$.models[3]'));
    expect(e.code).toBe('UNKNOWN_MODEL');
    expect(e.message).toMatch(/^no built-in model has a name of 1000000 characters \(more than 256\); available: alexnet, /);
    expect(e.message).not.toContain('xxxx');
    expect(e.details).toEqual({ path: '$.models[3]', length: 1_000_000, limit: 256 });
    expect(e.message.length + JSON.stringify(e.details).length).toBeLessThan(2_000);
  });
});
