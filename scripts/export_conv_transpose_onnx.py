#!/usr/bin/env python3
"""ONNX ConvTranspose nodes with auto_pad SAME_UPPER / SAME_LOWER and output_shape, built by hand with
onnx.helper (one ConvTranspose over the graph input X, seeded weight W and bias B as initializers),
and a seeded input per case. The expected outputs come from onnxruntime
(scripts/conv_transpose_goldens.mjs) and from the spec's formula worked here with PyTorch
(`reference`): F.conv_transpose{1,2,3}d unpadded (output_padding as given), then per spatial axis
total = s·(in − 1) + output_padding + d·(k − 1) + 1 − target, target = output_shape or in·s,
cropped ⌊total/2⌋ at the begin under SAME_UPPER, total − ⌊total/2⌋ otherwise (the spec's "else"),
or, total < 0, zeros (plus the bias) appended at the end as onnxruntime writes them.

  same_upper_2d        2-D SAME_UPPER, k 3, s 2: total 1 per axis (the odd unit at the end)
  same_lower_2d_group  2-D SAME_LOWER, group 2, k 3, s 2, dilation [2, 1]: totals 3 and 1
  output_shape_2d      2-D output_shape [8, 9], auto_pad NOTSET (pads given, ignored): totals 1, 0
  output_shape_upper   2-D output_shape under SAME_UPPER, s [3, 2], output_padding [1, 0]
  output_shape_extra   1-D output_shape 12 of the plain 11: one position past it (output padding)
  same_upper_3d        3-D SAME_UPPER, s [1, 2, 2], k [2, 3, 3]: totals 1, 1, 1
  same_lower_1d        1-D SAME_LOWER, k 4, s 1: total 3
  same_upper_output_padding_1d  1-D SAME_UPPER, k 3, s 3, output_padding 1: the plain 13 cropped to
                       in·s = 12 (onnx's shape inference in onnxruntime expects 13 and warns; it writes 12)

Writes test/fixtures/onnx/conv-transpose/<case>.onnx and inputs.json ({case: {attrs, input, reference}}).
Run: /usr/bin/python3 scripts/export_conv_transpose_onnx.py && node scripts/conv_transpose_goldens.mjs
"""
import json
import os

import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import TensorProto, helper, numpy_helper

OUT = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'onnx', 'conv-transpose')

CASES = {
    'same_upper_2d': dict(x=[1, 2, 5, 4], w=[2, 3, 3, 3], attrs=dict(auto_pad='SAME_UPPER', strides=[2, 2])),
    'same_lower_2d_group': dict(x=[1, 4, 3, 5], w=[4, 1, 3, 3], attrs=dict(auto_pad='SAME_LOWER', strides=[2, 2], dilations=[2, 1], group=2)),
    'output_shape_2d': dict(x=[1, 2, 4, 4], w=[2, 2, 3, 3], attrs=dict(output_shape=[8, 9], strides=[2, 2], pads=[2, 0, 1, 1])),
    'output_shape_upper': dict(x=[1, 2, 3, 3], w=[2, 2, 3, 2], attrs=dict(output_shape=[9, 6], strides=[3, 2], output_padding=[1, 0], auto_pad='SAME_UPPER')),
    'output_shape_extra': dict(x=[1, 2, 5], w=[2, 3, 3], attrs=dict(output_shape=[12], strides=[2])),
    'same_upper_3d': dict(x=[1, 2, 2, 3, 3], w=[2, 2, 2, 3, 3], attrs=dict(auto_pad='SAME_UPPER', strides=[1, 2, 2])),
    'same_lower_1d': dict(x=[1, 3, 6], w=[3, 2, 4], attrs=dict(auto_pad='SAME_LOWER')),
    'same_upper_output_padding_1d': dict(x=[1, 2, 4], w=[2, 2, 3], attrs=dict(auto_pad='SAME_UPPER', strides=[3], output_padding=[1])),
}


def reference(x, w, b, attrs):
    rank = x.ndim - 2
    s = attrs.get('strides', [1] * rank)
    d = attrs.get('dilations', [1] * rank)
    op = attrs.get('output_padding', [0] * rank)
    g = attrs.get('group', 1)
    conv = [None, F.conv_transpose1d, F.conv_transpose2d, F.conv_transpose3d][rank]
    # output_padding in PyTorch must be < max(stride, dilation): add it by hand (zeros, then the bias)
    y = conv(torch.from_numpy(x), torch.from_numpy(w), None, stride=s, dilation=d, groups=g).numpy()
    y = np.pad(y, [(0, 0), (0, 0)] + [(0, p) for p in op])
    for a in range(rank):
        plain = y.shape[2 + a]
        target = attrs['output_shape'][a] if 'output_shape' in attrs else x.shape[2 + a] * s[a]
        total = plain - target
        if total < 0:
            y = np.pad(y, [(0, 0)] * (2 + a) + [(0, -total)] + [(0, 0)] * (rank - a - 1))
            continue
        begin = total // 2 if attrs.get('auto_pad') == 'SAME_UPPER' else total - total // 2
        y = np.take(y, range(begin, begin + target), axis=2 + a)
    return y + b.reshape([1, -1] + [1] * rank)


def main():
    os.makedirs(OUT, exist_ok=True)
    rng = np.random.default_rng(20261206)
    inputs = {}
    for name, c in CASES.items():
        x = rng.standard_normal(c['x']).astype(np.float32)
        w = rng.standard_normal(c['w']).astype(np.float32)
        g = c['attrs'].get('group', 1)
        b = rng.standard_normal(c['w'][1] * g).astype(np.float32)
        ref = reference(x, w, b, c['attrs'])
        node = helper.make_node('ConvTranspose', ['X', 'W', 'B'], ['Y'], name='t', **c['attrs'])
        graph = helper.make_graph(
            [node], name,
            [helper.make_tensor_value_info('X', TensorProto.FLOAT, c['x'])],
            [helper.make_tensor_value_info('Y', TensorProto.FLOAT, list(ref.shape))],
            [numpy_helper.from_array(w, 'W'), numpy_helper.from_array(b, 'B')],
        )
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 17)], producer_name='export_conv_transpose_onnx.py')
        model.ir_version = 8
        onnx.checker.check_model(model)
        onnx.save(model, os.path.join(OUT, f'{name}.onnx'))
        inputs[name] = {
            'attrs': c['attrs'],
            'input': {'shape': list(x.shape), 'data': [float(v) for v in x.ravel()]},
            'reference': {'shape': list(ref.shape), 'data': [float(v) for v in ref.astype(np.float32).ravel()]},
        }
        print(name, 'x', c['x'], 'W', c['w'], '→', list(ref.shape))
    with open(os.path.join(OUT, 'inputs.json'), 'w') as f:
        json.dump(inputs, f)


if __name__ == '__main__':
    main()
