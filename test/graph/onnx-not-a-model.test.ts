/**
 * A file given as an ONNX model that is something else says what it is (graph/onnx/proto.ts): a Git
 * LFS pointer, which a CI checkout without `git lfs pull` leaves in the model's place, and an HTML
 * page, which a download that fetched a web page leaves. They were only "not an ONNX model, or is
 * truncated (protobuf: index out of range: 4 + 115 > 103)".
 */
import { describe, expect, it } from 'vitest';
import { decodeModel } from '../../src/graph/onnx/proto.js';
import { errorOf } from '../helpers.js';

const text = (s: string) => new TextEncoder().encode(s);
const LFS = 'version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 553408843\n';

describe('bytes given as an ONNX file that are not one', () => {
  it('a Git LFS pointer (vgg16.onnx, 553,408,843 bytes, not pulled): ONNX_INVALID naming the pointer, its size and git lfs pull', () => {
    const e = errorOf(() => decodeModel(text(LFS)));
    expect(e.code).toBe('ONNX_INVALID');
    expect(e.message).toMatch(/^the file is not an ONNX model, or is truncated \(protobuf: [^)]*\); it is a Git LFS pointer to a file of 553,408,843 bytes, not the file: fetch its content first \(git lfs pull\)$/);
  });

  it.each([['<!DOCTYPE html><html><body>404</body></html>'], ['\n  <html lang="en">\n<head>']])('an HTML page (%j): ONNX_INVALID saying the download fetched a web page', (page) => {
    const e = errorOf(() => decodeModel(text(page)));
    expect(e.code).toBe('ONNX_INVALID');
    expect(e.message).toMatch(/; it is an HTML page, not a model: the download fetched a web page \(a login, an error page, or a repository's page for the file rather than its raw bytes\)$/);
  });

  it('other bytes (garbage\\n): protobuf\'s reason alone, no guess', () => {
    expect(errorOf(() => decodeModel(text('garbage\n'))).message).toBe('the file is not an ONNX model, or is truncated (protobuf: invalid wire type 7 at offset 1)');
  });
});
