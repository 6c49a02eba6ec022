/**
 * vitest.config.ts's setupFiles installs test/setup/typed-array-equality.ts for every test file:
 * this file does not import it, and sees its one difference from vitest's own path.
 */
import { expect, it } from 'vitest';

it('an own property beside the elements, which vitest\'s own path compares, is not looked at: [1, 2] with note "a" equals [1, 2] with note "b"', () => {
  const a = Object.assign(new Float32Array([1, 2]), { note: 'a' });
  const b = Object.assign(new Float32Array([1, 2]), { note: 'b' });
  expect(a).toEqual(b);
});
