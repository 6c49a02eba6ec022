"""Receptive fields of merges with an operand of one unit along some spatial axes, or all of them
while its field is local (a global one is a squeeze-excitation gate, left out by convention), measured by
autograd unit by unit (test/analysis/receptive-broadcast.test.ts): x · x[..., :1] (a column), x + a
row after a 3×3 conv, coordinate attention (Hou et al., CVPR 2021: x · a_h · a_w with a_h pooled
along W to [N, C, H, 1] and a_w along H to [N, C, 1, W], each through a 1×1 conv), its 3-D form
over [N, C, D, H, W] (a_d pooled to [N, C, D, 1, 1]: two axes broadcast), and the gate first in the
operand list. Such an operand is read by every unit along the broadcast axis; so is one broadcast explicitly (expand,
tile of one unit) or upsampled with alignCorners from one unit (a field of stride 0 there), in a
merge or as a piece of a concat (along the channels, or along another spatial axis); and a merge of
one unit, where a map pooled to 1×1 is read by that unit, not broadcast as a gate.

As scripts/goldens_rf_resampling.py: one channel unless the spec says more, positive weights (every
conv's kernel 1/fan_in), sigmoid left out (positive anyway, the footprint unchanged), double
precision, an input of positive values, so no gradient cancels and a unit's footprint (the input
pixels of nonzero gradient) is what it reads. Every output unit of the last layer on every axis:
batch row t holds unit t on every axis (the last one where an axis has fewer), and each axis's box
is the footprint projected on it. `clipped` marks specs with padding (border footprints cut by the
edge: containment only).

    /usr/bin/python3 scripts/goldens_rf_broadcast.py > test/fixtures/rf-nd/broadcast.json
"""
import json

import torch
import torch.nn.functional as F

from golden_kit import footprint_boxes

D = torch.double


def conv(x, layer):
    rank = x.dim() - 2
    k = layer['kernelSize']
    ks = [k] * rank if isinstance(k, int) else k
    fan = x.shape[1]
    for n in ks:
        fan *= n
    w = torch.full([layer['outChannels'], x.shape[1]] + ks, 1.0 / fan, dtype=D)
    return [F.conv1d, F.conv2d, F.conv3d][rank - 1](x, w, None, layer.get('stride', 1), layer.get('padding', 0))


def forward(layer, env):
    op, ins = layer['op'], [env[i] for i in layer['inputs']]
    if op.startswith('conv'):
        return conv(ins[0], layer)
    if op == 'slice':
        x = ins[0]
        for s, e, a in zip(layer['starts'], layer['ends'], layer['axes']):
            x = x.narrow(a, s, e - s)
        return x
    if op.startswith('adaptiveAvgPool'):
        sizes = layer['outputSize']
        x = ins[0]
        for a, n in enumerate(sizes):
            if n is not None:
                assert n == 1
                x = x.mean(2 + a, keepdim=True)
        return x
    if op == 'shape':
        return list(ins[0].shape)
    if op == 'expand':
        return ins[0].expand(*ins[1])
    if op == 'tile':
        return ins[0].repeat(*layer['repeats'])
    if op == 'upsample':
        return F.interpolate(ins[0], size=layer['size'], mode=layer['mode'], align_corners=layer.get('alignCorners'))
    if op == 'transpose':
        return ins[0].permute(*layer['perm'])
    if op == 'concat':
        return torch.cat(ins, layer['dim'])
    if op == 'split':
        return ins[0].split(layer['split'], layer['axis'])
    if op == 'mul':
        return ins[0] * ins[1]
    if op == 'add':
        return ins[0] + ins[1]
    raise ValueError(op)


def measure(shape, layers):
    def run(x):
        env = {'x': x}
        for l in layers:
            y = forward(l, env)
            if isinstance(y, tuple):  # a split's outputs: name, name:1, …
                for k, part in enumerate(y):
                    env[l['name'] + (f':{k}' if k else '')] = part
            else:
                env[l['name']] = y
        return env[layers[-1]['name']]
    return footprint_boxes(run, shape)


def named(*layers):
    return [dict(l, name=l.get('name', f'l{i}'), inputs=l.get('inputs', [f'l{i - 1}' if i else 'x'])) for i, l in enumerate(layers)]


def coord_att(shape, first=False):
    """x · a_h · a_w, each gate pooled along the other axes and through a 1×1 conv (C → C)."""
    rank, c = len(shape) - 2, shape[1]
    layers = []
    gates = []
    for a in range(rank):
        size = [None] * rank
        for b in range(rank):
            if b != a:
                size[b] = 1
        layers.append({'name': f'pool{a}', 'op': f'adaptiveAvgPool{rank}d', 'inputs': ['x'], 'outputSize': size})
        layers.append({'name': f'gate{a}', 'op': f'conv{rank}d', 'inputs': [f'pool{a}'], 'outChannels': c, 'kernelSize': 1, 'bias': False})
        gates.append(f'gate{a}')
    prev = 'x'
    for a, g in enumerate(gates):
        layers.append({'name': f'm{a}', 'op': 'mul', 'inputs': [g, prev] if first else [prev, g]})
        prev = f'm{a}'
    return layers


def coord_att_official(shape):
    """Coordinate attention as its authors wrote it: the W-pooled [N, C, H, 1] and the H-pooled map
    transposed to [N, C, W, 1] concatenated along dim 2, a 1×1 conv, split back, one part transposed:
    h and w run along one dim in the concat, so no box of one stride holds it (global)."""
    c, h, w = shape[1], shape[2], shape[3]
    return [
        {'name': 'ph', 'op': 'adaptiveAvgPool2d', 'inputs': ['x'], 'outputSize': [None, 1]},
        {'name': 'pw', 'op': 'adaptiveAvgPool2d', 'inputs': ['x'], 'outputSize': [1, None]},
        {'name': 'pwt', 'op': 'transpose', 'inputs': ['pw'], 'perm': [0, 1, 3, 2]},
        {'name': 'cat', 'op': 'concat', 'inputs': ['ph', 'pwt'], 'dim': 2},
        {'name': 'conv', 'op': 'conv2d', 'inputs': ['cat'], 'outChannels': c, 'kernelSize': 1, 'bias': False},
        {'name': 'sp', 'op': 'split', 'inputs': ['conv'], 'axis': 2, 'split': [h, w]},
        {'name': 'awt', 'op': 'transpose', 'inputs': ['sp:1'], 'perm': [0, 1, 3, 2]},
        {'name': 'm1', 'op': 'mul', 'inputs': ['x', 'sp']},
        {'name': 'm2', 'op': 'mul', 'inputs': ['m1', 'awt']},
    ]


CASES = [
    ('x · x[..., :1]: column 0 read by every unit of its row', [1, 1, 6, 8],
     named({'op': 'slice', 'inputs': ['x'], 'starts': [0], 'ends': [1], 'axes': [3]}, {'op': 'mul', 'inputs': ['x', 'l0']})),
    ('x + row 4 of a 3×3 conv of x (padding 1), the row first', [1, 1, 7, 9],
     named({'op': 'conv2d', 'inputs': ['x'], 'outChannels': 1, 'kernelSize': 3, 'padding': 1, 'bias': False},
           {'op': 'slice', 'inputs': ['l0'], 'starts': [4], 'ends': [5], 'axes': [2]}, {'op': 'add', 'inputs': ['l1', 'x']})),
    ('coordinate attention on a 4-channel 6×8 map', [1, 4, 6, 8], coord_att([1, 4, 6, 8])),
    ('coordinate attention on a 2-channel 7×5 map, the gates first', [1, 2, 7, 5], coord_att([1, 2, 7, 5], first=True)),
    ('coordinate attention over [d, h, w] on 4×5×6 (each gate broadcast over two axes)', [1, 2, 4, 5, 6], coord_att([1, 2, 4, 5, 6])),
    ('x · x[..., :1] on a one-row map [1, 1, 1, 8] (the column is 1×1, local: not a gate)', [1, 1, 1, 8],
     named({'op': 'slice', 'inputs': ['x'], 'starts': [0], 'ends': [1], 'axes': [3]}, {'op': 'mul', 'inputs': ['x', 'l0']})),
    ('x + x[..., 4:5, 1:2] (one pixel, local, broadcast over both axes) on 6×7', [1, 1, 6, 7],
     named({'op': 'slice', 'inputs': ['x'], 'starts': [4, 1], 'ends': [5, 2], 'axes': [2, 3]}, {'op': 'add', 'inputs': ['l0', 'x']})),
    ('x · expand(x[..., :1]) (torch.onnx\'s expand_as: a stride-0 field along W, spread by the mul)', [1, 1, 6, 8],
     named({'op': 'slice', 'inputs': ['x'], 'starts': [0], 'ends': [1], 'axes': [3]}, {'op': 'shape', 'inputs': ['x']},
           {'op': 'expand', 'inputs': ['l0', 'l1']}, {'op': 'mul', 'inputs': ['x', 'l2']})),
    ('x + tile(x[..., 2:3, :], 5 along H)', [1, 1, 5, 7],
     named({'op': 'slice', 'inputs': ['x'], 'starts': [2], 'ends': [3], 'axes': [2]}, {'op': 'tile', 'inputs': ['l0'], 'repeats': [1, 1, 5, 1]},
           {'op': 'add', 'inputs': ['x', 'l1']})),
    ('x + bilinear alignCorners of a 1×1 local map (two convs of a 5×5 input) back to 5×5', [1, 1, 5, 5],
     named({'op': 'conv2d', 'inputs': ['x'], 'outChannels': 1, 'kernelSize': 3, 'stride': 2, 'bias': False},
           {'op': 'conv2d', 'outChannels': 1, 'kernelSize': 2, 'bias': False},
           {'op': 'upsample', 'mode': 'bilinear', 'size': [5, 5], 'alignCorners': True}, {'op': 'add', 'inputs': ['x', 'l2']})),
    ('coordinate attention as its authors wrote it (concat of [N, C, H, 1] and transposed [N, C, W, 1] along dim 2) on 2×6×8', [1, 2, 6, 8],
     coord_att_official([1, 2, 6, 8])),
    ('concat along the channels of x and tile(x[..., 2:3, :], 5 along H) (a piece of stride 0 along H)', [1, 1, 5, 7],
     named({'op': 'slice', 'inputs': ['x'], 'starts': [2], 'ends': [3], 'axes': [2]}, {'op': 'tile', 'inputs': ['l0'], 'repeats': [1, 1, 5, 1]},
           {'op': 'concat', 'inputs': ['x', 'l1'], 'dim': 1})),
    ('concat along the channels of expand(x[..., :1]) and a 3×3 conv of x (padding 1), the stride-0 piece first', [1, 1, 6, 8],
     named({'op': 'slice', 'inputs': ['x'], 'starts': [0], 'ends': [1], 'axes': [3]}, {'op': 'shape', 'inputs': ['x']},
           {'op': 'expand', 'inputs': ['l0', 'l1']}, {'op': 'conv2d', 'inputs': ['x'], 'outChannels': 1, 'kernelSize': 3, 'padding': 1, 'bias': False},
           {'op': 'concat', 'inputs': ['l2', 'l3'], 'dim': 1})),
    ('concat along H of x and tile(x[..., 0:1], 6 along W) on 4×6 (pieces along H, one of stride 0 along W)', [1, 1, 4, 6],
     named({'op': 'slice', 'inputs': ['x'], 'starts': [0], 'ends': [1], 'axes': [3]}, {'op': 'tile', 'inputs': ['l0'], 'repeats': [1, 1, 1, 6]},
           {'op': 'concat', 'inputs': ['x', 'l1'], 'dim': 2})),
    ('x[..., :1, :1] + x pooled to 1×1 on 3×4 (a merge of one unit: the pooled operand is read by it, not a gate over a map)', [1, 1, 3, 4],
     named({'op': 'adaptiveAvgPool2d', 'inputs': ['x'], 'outputSize': [1, 1]}, {'op': 'slice', 'inputs': ['x'], 'starts': [0, 0], 'ends': [1, 1], 'axes': [2, 3]},
           {'op': 'add', 'inputs': ['l1', 'l0']})),
    ('concat along the channels of x[..., :1, :1] and x pooled to 1×1 on 3×4', [1, 1, 3, 4],
     named({'op': 'adaptiveAvgPool2d', 'inputs': ['x'], 'outputSize': [1, 1]}, {'op': 'slice', 'inputs': ['x'], 'starts': [0, 0], 'ends': [1, 1], 'axes': [2, 3]},
           {'op': 'concat', 'inputs': ['l1', 'l0'], 'dim': 1})),
    ('a 3×3 conv (no padding) times its own column 2', [1, 1, 8, 9],
     named({'op': 'conv2d', 'inputs': ['x'], 'outChannels': 1, 'kernelSize': 3, 'bias': False},
           {'op': 'slice', 'inputs': ['l0'], 'starts': [2], 'ends': [3], 'axes': [3]}, {'op': 'mul', 'inputs': ['l0', 'l1']})),
]


def main():
    out = []
    for name, shape, layers in CASES:
        size, boxes = measure(shape, layers)
        clipped = any(l.get('padding', 0) for l in layers)
        # every unit reading the whole input on every axis: the field expected is global
        whole = all(b == [0, shape[2 + a] - 1] for a, axis in enumerate(boxes) for b in axis)
        out.append({'name': name, 'input': shape, 'layers': layers, 'clipped': clipped, 'whole': whole, 'output': size, 'boxes': boxes})
    print(json.dumps({'torch': torch.__version__, 'cases': out}, separators=(',', ':')))


if __name__ == '__main__':
    main()
