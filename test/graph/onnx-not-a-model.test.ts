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

describe('a PyTorch file given as the ONNX model (torch 1.13\'s first 48 bytes of resnet18\'s state_dict)', () => {
  const hex = (h: string) => Uint8Array.from(h.match(/../g)!.map((b) => parseInt(b, 16)));

  it('torch.save (a ZIP archive, PK\\x03\\x04): ONNX_INVALID saying so and pointing to torch.onnx.export', () => {
    const zip = hex('504b0304000008080000000000000000000000000000000000000c0016007231382f646174612e706b6c464212005a5a');
    expect(errorOf(() => decodeModel(zip)).message).toMatch(/\); it is a ZIP archive, as torch\.save and TorchScript write \(\.pt, \.pth\): export the module with torch\.onnx\.export instead \(README: Exporting a model from PyTorch\)$/);
  });

  it('traced TorchScript (torch.jit.save: its first entry archive/data/0): the same', () => {
    const name = text('archive/data/0');
    const jit = Uint8Array.from([0x50, 0x4b, 0x03, 0x04, ...new Array(22).fill(0), name.length, 0, 0, 0, ...name]);
    expect(errorOf(() => decodeModel(jit)).message).toMatch(/; it is a ZIP archive, as torch\.save and TorchScript write \(\.pt, \.pth\)/);
  });

  it('another ZIP archive (model.zip holding model.onnx: the first 40 bytes Python\'s zipfile writes): ONNX_INVALID saying to unzip it, not naming PyTorch', () => {
    const zip = hex('504b0304140000000800319d865d987c78d407000000c80000000a0000006d6f64656c2e6f6e6e78');
    const message = errorOf(() => decodeModel(zip)).message;
    expect(message).toMatch(/\); it is a ZIP archive, not an ONNX file: if it holds the model, unzip it and give the \.onnx file inside$/);
    expect(message).not.toContain('torch');
  });

  it('torch.save(…, _use_new_zipfile_serialization=False) (a pickle, protocol 2): ONNX_INVALID saying so', () => {
    const pickle = hex('80028a0a6cfc9c46f9206aa850192e80024de9032e80027d710028581000000070726f746f636f6c5f76657273696f6e');
    expect(errorOf(() => decodeModel(pickle)).message).toMatch(/\); it is a Python pickle \(protocol 2\), as torch\.save wrote before torch 1\.6 \(\.pt, \.pth\): export the module with torch\.onnx\.export instead/);
  });
});
