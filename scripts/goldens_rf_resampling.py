"""Receptive fields of resampling layers measured by autograd, unit by unit: interpolating
upsampling (linear, bilinear, bicubic, trilinear; alignCorners false and true; by scale 2, 3, 1.5
and by size) and adaptive average pooling with ratios that are not integers (8 → 7, 12 → 5,
7 → 3, 5 → 7), over 1, 2 and 3 spatial axes, after a map of stride 1, 2 or 4; the fuzzer's
reproducers of the two bugs; and depth-to-space written as reshape, transpose, reshape (repros
12–14, a field reported global before); and reflect and edge pads before a window (the convention
pinned: a pad is a shift) (test/analysis/receptive-resampling.test.ts).

As scripts/goldens_rf_nd.py: one channel (b² for a depth-to-space, whose footprints are taken over
every input channel), positive weights (a conv's kernel all ones, max pooling
read as average pooling of the same window), double precision, an input of ones, so no gradient
path cancels and a unit's footprint (the input pixels of nonzero gradient) is what it reads. Every
output unit of the last layer is measured: batch row t holds unit t on every axis (the last one
where an axis has fewer), and each axis's box is the footprint projected on it (the layers are
separable, so it depends on that axis's coordinate only). `clipped` marks a chain with padding,
whose border units' footprints are cut by the input's edge; `onCentre` the slack (input pixels a
side) convlens's box may take over autograd's where a source falls on a pixel centre (on_centre).

    /usr/bin/python3 scripts/goldens_rf_resampling.py > test/fixtures/rf-nd/resampling.json
"""
import json
from fractions import Fraction

import torch
import torch.nn as nn
import torch.nn.functional as F

RANKS = {1: ('conv1d', 'linear', 'upsample1d', 'adaptiveAvgPool1d'), 2: ('conv2d', 'bilinear', 'upsample', 'adaptiveAvgPool2d'),
         3: ('conv3d', 'trilinear', 'upsample3d', 'adaptiveAvgPool3d')}


class View(nn.Module):
    """reshape (the batch row kept: the units measured), transpose or a reflect/edge pad, as the spec's layer."""

    def __init__(self, layer):
        super().__init__()
        self.layer = layer

    def forward(self, x):
        if self.layer['op'] == 'reshape':
            return x.reshape(x.shape[0], *self.layer['shape'][1:])
        if self.layer['op'] == 'pad':
            pads, rank = self.layer['pads'], len(self.layer['pads']) // 2
            torch_pads = [p for a in reversed(range(2, rank)) for p in (pads[a], pads[rank + a])]
            return F.pad(x, torch_pads, mode={'reflect': 'reflect', 'edge': 'replicate'}[self.layer['mode']])
        return x.permute(*self.layer['perm'])


def module(layer, rank, channels=1):
    op = layer['op']
    if op in ('reshape', 'transpose', 'pad'):
        return View(layer)
    if op.startswith('conv'):
        conv = [nn.Conv1d, nn.Conv2d, nn.Conv3d][rank - 1](channels, layer['outChannels'], layer['kernelSize'], layer.get('stride', 1), layer.get('padding', 0), bias=False)
        nn.init.constant_(conv.weight, 1.0)
        return conv
    if op.startswith('maxPool') or op.startswith('avgPool'):
        pool = [nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d][rank - 1]
        return pool(layer['kernelSize'], layer.get('stride'), layer.get('padding', 0))
    if op.startswith('upsample'):
        kw = {'mode': layer['mode']}
        if 'scaleFactor' in layer:
            kw['scale_factor'] = layer['scaleFactor']
        else:
            kw['size'] = layer['size']
        if 'alignCorners' in layer:
            kw['align_corners'] = layer['alignCorners']
        return nn.Upsample(**kw)
    if op.startswith('adaptiveAvgPool'):
        return [nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d, nn.AdaptiveAvgPool3d][rank - 1](layer['outputSize'])
    raise ValueError(op)


def measure(shape, layers):
    rank = len(shape) - 2
    mods, channels = [], shape[1]
    for l in layers:
        mods.append(module(l, rank, channels))
        channels = l.get('outChannels', l['shape'][1] if l['op'] == 'reshape' and len(l['shape']) == rank + 2 else channels)
    net = nn.Sequential(*mods).double()
    with torch.no_grad():
        out = net(torch.ones(shape, dtype=torch.double)).shape[2:]
    units = max(out)
    x = torch.ones([units] + list(shape[1:]), dtype=torch.double, requires_grad=True)
    y = net(x)
    sel = torch.zeros_like(y)
    for t in range(units):
        sel[(t, 0) + tuple(min(t, n - 1) for n in out)] = 1.0
    g, = torch.autograd.grad((y * sel).sum(), x)
    nz = (g != 0).any(1)  # over the input channels: a footprint may lie in any of them
    boxes = []
    for a in range(rank):
        other = tuple(d for d in range(1, rank + 1) if d != a + 1)
        proj = nz.amax(dim=other) if other else nz
        boxes.append([[int(proj[t].nonzero().min()), int(proj[t].nonzero().max())] for t in range(out[a])])
    return list(out), boxes


def prefix(stride, rank):
    conv = RANKS[rank][0]
    return [{'op': conv, 'outChannels': 1, 'kernelSize': stride, 'stride': stride}] if stride > 1 else []


# the map after the prefix: a few units per axis, not all alike (axes mixed up would show)
MAP = {1: [10], 2: [6, 7], 3: [4, 5, 6]}


def sweep():
    cases = []
    for rank, mode in [(1, 'linear'), (2, 'bilinear'), (2, 'bicubic'), (3, 'trilinear')]:
        for align in [False, True]:
            for scale in [2, 3, 1.5]:
                for stride in [1, 2, 4]:
                    up = {'op': RANKS[rank][2], 'mode': mode, 'scaleFactor': scale, 'alignCorners': align}
                    name = f"{mode} {rank}-D alignCorners {str(align).lower()} ×{scale} after stride {stride}"
                    cases.append((name, [1, 1] + [n * stride for n in MAP[rank]], prefix(stride, rank) + [up]))
            # by size, to a size that is not a multiple of the map's
            up = {'op': RANKS[rank][2], 'mode': mode, 'size': [2 * n + 3 for n in MAP[rank]] if rank > 1 else 2 * MAP[1][0] + 3, 'alignCorners': align}
            cases.append((f"{mode} {rank}-D alignCorners {str(align).lower()} to size 2·n + 3 after stride 4", [1, 1] + [4 * n for n in MAP[rank]], prefix(4, rank) + [up]))
    for rank in [1, 2, 3]:
        for n_in, n_out in [(8, 7), (12, 5), (7, 3), (5, 7)]:
            for stride in [1, 4]:
                pool = {'op': RANKS[rank][3], 'outputSize': n_out if rank == 1 else [n_out] * rank}
                cases.append((f"adaptiveAvgPool{rank}d {n_in} → {n_out} after stride {stride}", [1, 1] + [n_in * stride] * rank, prefix(stride, rank) + [pool]))
    return cases


REPROS = [
    ('repro 01: linear ×2 after avgPool1d 4', [1, 1, 8], [{'op': 'avgPool1d', 'kernelSize': 4}, {'op': 'upsample1d', 'mode': 'linear', 'scaleFactor': 2}]),
    ('repro 02: linear ×2 after a stride-4 conv1d', [1, 1, 64], [{'op': 'conv1d', 'outChannels': 1, 'kernelSize': 1, 'stride': 4}, {'op': 'upsample1d', 'mode': 'linear', 'scaleFactor': 2}]),
    ('repro 03: bilinear ×2 after two 3×3 stride-2 convs padded 1', [1, 1, 64, 64], [{'op': 'conv2d', 'outChannels': 1, 'kernelSize': 3, 'stride': 2, 'padding': 1}] * 2 + [{'op': 'upsample', 'mode': 'bilinear', 'scaleFactor': 2}]),
    ('repro 04: bilinear to the input size 64 from stride 8', [1, 1, 64, 64], [{'op': 'conv2d', 'outChannels': 1, 'kernelSize': 1, 'stride': 8}, {'op': 'upsample', 'mode': 'bilinear', 'size': [64, 64]}]),
    ('repro 05: bicubic ×2 after maxPool2d 4', [1, 1, 4, 12], [{'op': 'maxPool2d', 'kernelSize': 4}, {'op': 'upsample', 'mode': 'bicubic', 'scaleFactor': 2}]),
    ('repro 06: bicubic ×2 after a stride-4 conv', [1, 1, 64, 64], [{'op': 'conv2d', 'outChannels': 1, 'kernelSize': 1, 'stride': 4}, {'op': 'upsample', 'mode': 'bicubic', 'scaleFactor': 2}]),
    ('repro 07: linear ×2 alignCorners after maxPool1d 3', [1, 1, 12], [{'op': 'maxPool1d', 'kernelSize': 3}, {'op': 'upsample1d', 'mode': 'linear', 'scaleFactor': 2, 'alignCorners': True}]),
    ('repro 08: trilinear ×2 after a stride-4 conv3d', [1, 1, 16, 16, 16], [{'op': 'conv3d', 'outChannels': 1, 'kernelSize': 1, 'stride': 4}, {'op': 'upsample3d', 'mode': 'trilinear', 'scaleFactor': 2}]),
    ('repro 09: adaptiveAvgPool1d 12 → 2 → 3', [1, 1, 12], [{'op': 'adaptiveAvgPool1d', 'outputSize': 2}, {'op': 'adaptiveAvgPool1d', 'outputSize': 3}]),
    ('repro 10: adaptiveAvgPool1d 7 → 3 after a stride-4 conv1d', [1, 1, 28], [{'op': 'conv1d', 'outChannels': 1, 'kernelSize': 1, 'stride': 4}, {'op': 'adaptiveAvgPool1d', 'outputSize': 3}]),
    ("repro 11: VGG's AdaptiveAvgPool2d(7) on an 8×8 map at stride 32", [1, 1, 256, 256], [{'op': 'conv2d', 'outChannels': 1, 'kernelSize': 1, 'stride': 32}, {'op': 'adaptiveAvgPool2d', 'outputSize': [7, 7]}]),
    # depth-to-space written as a view, a permute and a view (einops' "(h b)"), which the field read as global
    ('repro 12: depth-to-space ×2 (DCR) as reshape, transpose, reshape of a 4-channel 6×7 map', [1, 4, 6, 7],
     [{'op': 'reshape', 'shape': [1, 2, 2, 1, 6, 7]}, {'op': 'transpose', 'perm': [0, 3, 4, 1, 5, 2]}, {'op': 'reshape', 'shape': [1, 1, 12, 14]}]),
    ('repro 13: pixel shuffle ×3 (CRD) as reshape, transpose, reshape after a 3×3 stride-2 conv to 9 channels', [1, 1, 12, 14],
     [{'op': 'conv2d', 'outChannels': 9, 'kernelSize': 3, 'stride': 2}, {'op': 'reshape', 'shape': [1, 1, 3, 3, 5, 6]}, {'op': 'transpose', 'perm': [0, 1, 4, 2, 5, 3]},
      {'op': 'reshape', 'shape': [1, 1, 15, 18]}]),
    # reflect and edge pads are a shift (virtual padding): the border units of the pad itself read inside the map, and
    # a window of 2b + 1 or more after it brings every read back inside its box, as autograd finds (README)
    ('pad reflect 3 then a 7×7 conv (a ResNet generator stem) on a 12×13 map', [1, 1, 12, 13],
     [{'op': 'pad', 'mode': 'reflect', 'pads': [0, 0, 3, 3, 0, 0, 3, 3]}, {'op': 'conv2d', 'outChannels': 1, 'kernelSize': 7}]),
    ('pad edge 1 then a 3×3 stride-2 conv on a 12×13 map', [1, 1, 12, 13],
     [{'op': 'pad', 'mode': 'edge', 'pads': [0, 0, 1, 1, 0, 0, 1, 1]}, {'op': 'conv2d', 'outChannels': 1, 'kernelSize': 3, 'stride': 2}]),
    ('repro 14: 1-D depth-to-space ×2 as reshape, transpose, reshape after a stride-2 conv1d', [1, 1, 20],
     [{'op': 'conv1d', 'outChannels': 2, 'kernelSize': 2, 'stride': 2}, {'op': 'reshape', 'shape': [1, 1, 2, 10]}, {'op': 'transpose', 'perm': [0, 1, 3, 2]}, {'op': 'reshape', 'shape': [1, 1, 20]}]),
]


def on_centre(shape, layers):
    """The slack the field may have over autograd's envelope, in input pixels a side: an interpolation
    whose exact source coordinate (before clamping) falls on a pixel centre n, other than alignCorners'
    unit 0 (0 in any arithmetic) or an axis kept at its size (a copy), is n ± an ulp in ATen's float
    arithmetic, floored to n − 1 or n by the dtype, and convlens's box takes both sides (reach 1, bicubic
    2, times the input stride)."""
    rank = len(shape) - 2
    sizes = list(shape[2:])
    stride = 1
    for l in layers:
        op = l['op']
        if op.startswith('upsample'):
            sf = l.get('scaleFactor')
            out = [int(n * sf) for n in sizes] if sf else ([l['size']] * rank if isinstance(l['size'], int) else l['size'])
            for I, O in zip(sizes, out):
                if I == O:
                    continue
                ratio = 1 / Fraction(sf) if sf else Fraction(I, O)
                for o in range(O):
                    src = Fraction(o * (I - 1), O - 1) if l.get('alignCorners') else (o + Fraction(1, 2)) * ratio - Fraction(1, 2)
                    if src.denominator == 1 and src >= 0 and not (l.get('alignCorners') and o == 0):
                        return (2 if l['mode'] == 'bicubic' else 1) * stride
            return 0
        if 'stride' in l or 'kernelSize' in l:
            s = l.get('stride', l['kernelSize']) if not op.startswith('conv') else l.get('stride', 1)
            stride *= s
            k, p = l['kernelSize'], l.get('padding', 0)
            sizes = [(n + 2 * p - k) // s + 1 for n in sizes]
    return 0


def main():
    out = []
    for name, shape, layers in REPROS + sweep():
        size, boxes = measure(shape, layers)
        clipped = any(l.get('padding', 0) for l in layers)
        out.append({'name': name, 'input': shape, 'layers': layers, 'clipped': clipped, 'onCentre': on_centre(shape, layers), 'output': size, 'boxes': boxes})
    print(json.dumps({'torch': torch.__version__, 'cases': out}, separators=(',', ':')))


if __name__ == '__main__':
    main()
