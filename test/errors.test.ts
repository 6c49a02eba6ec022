/** The error catalog (src/errors.ts) and its helpers: moving an error under the request field that holds its network. */
import { describe, expect, it } from 'vitest';
import { ConvlensError, ERROR_CATALOG, movePaths } from '../src/errors.js';

const under = (at: string) => (p: string) => (p.startsWith('$') ? at + p.slice(1) : p);

describe('movePaths', () => {
  it("moves the path, its issues' paths and the paths their messages name that lead to it ($.inputs[0] of $.inputs[0].dtype), not a longer name ($.options of $.option) nor a layer named $x", () => {
    const e = new ConvlensError('SPEC_INVALID', "$.inputs[0] has no field dtype; layer '$x' and $.options are not it", {
      path: '$.inputs[0].dtype',
      issues: [{ path: '$.inputs[0].dtype', message: '$.inputs[0] has no field dtype' }],
    });
    const m = movePaths(e, under('$.old.spec'));
    expect(m.message).toBe("$.old.spec.inputs[0] has no field dtype; layer '$x' and $.options are not it");
    expect(m.details).toMatchObject({ path: '$.old.spec.inputs[0].dtype', issues: [{ path: '$.old.spec.inputs[0].dtype', message: '$.old.spec.inputs[0] has no field dtype' }] });
    const o = movePaths(new ConvlensError('INVALID_OPTION', 'unknown field at $.option; see $.options', { path: '$.option' }), under('$.request'));
    expect(o.message).toBe('unknown field at $.request.option; see $.options');
  });

  it('a message given is kept as given', () => {
    const e = movePaths(new ConvlensError('SPEC_INVALID', 'at $.x', { path: '$.x' }), under('$.spec'), 'spec: at $.x');
    expect([e.message, e.details.path]).toEqual(['spec: at $.x', '$.spec.x']);
  });
});

describe('the catalog', () => {
  it('JOB_EVICTED (a job forgotten for room before its expiresAt, test/jobs/eviction.test.ts) is 410 Gone, apart from the 404 of JOB_NOT_FOUND, and names JOB_STORE_MAX_BYTES', () => {
    expect(ERROR_CATALOG.JOB_EVICTED.status).toBe(410);
    expect(ERROR_CATALOG.JOB_NOT_FOUND.status).toBe(404);
    expect(ERROR_CATALOG.JOB_EVICTED.title).toContain('JOB_STORE_MAX_BYTES');
    expect(new ConvlensError('JOB_EVICTED', 'gone', { path: 'id' }).status).toBe(410);
  });
});

describe('ANALYSIS_TOO_LARGE', () => {
  it('is 413 with a stable code, beside WORK_TOO_LARGE (a run) and GRAPH_TOO_LARGE (memory): an analysis over MAX_ANALYSIS_WORK', () => {
    expect(ERROR_CATALOG.ANALYSIS_TOO_LARGE).toMatchObject({ status: 413 });
    expect(ERROR_CATALOG.ANALYSIS_TOO_LARGE.title).toContain('MAX_ANALYSIS_WORK');
    const e = new ConvlensError('ANALYSIS_TOO_LARGE', 'analysing 2 layers …', { path: '$.layers', layers: 2, limit: 1 });
    expect([e.status, e.toJSON()]).toEqual([413, { code: 'ANALYSIS_TOO_LARGE', message: 'analysing 2 layers …', path: '$.layers', layers: 2, limit: 1 }]);
  });
});
