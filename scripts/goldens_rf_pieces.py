"""Receptive fields of random CNN graphs built from pieces, against PyTorch autograd: a differential
fuzz in the manner of scripts/goldens_rf_random.py, whose random layers it draws, with blocks that
script does not draw: broadcasts of one row, column or pixel, concats along H or W, squeeze-excitation
gates, coordinate attention's strips and pad modes. A graph is an input [1, C, H, W] (C 1–3, H and W
5–24) and 1–3 blocks, each after one of goldens_rf_random's layers half the time (a conv, a pool, a
slice, an upsampling, a transposed conv, a pad) and before one a third of the time (a conv, a pool,
a slice); a block reads the last tensor or, a third of the time, any tensor drawn so far. 40 % of the
graphs may pad (conv and pool padding, ceil mode, pads, padmode blocks); the others pad nothing.

Blocks (each case lists them in `kinds`, family:variant, beside the layers drawn around them):
  expand   a slice of one row, one column or one pixel broadcast to a map's size (`expand` with a
           `shape` layer, as torch.onnx writes expand_as; `tile` of the one unit; upsampled to the
           size, nearest or bilinear, alignCorners false or true, or nearest by a scale; adaptive
           average pooling to the size; or implicit in the merge), then added to or multiplied with a
           map, concatenated along the channels or along the other spatial axis, or left as it is; or
           replicate padding as torch writes it with a cat, cat([x[..., :1] tiled b0, x, x[..., -1:]
           tiled b1]) along H or W (`expand:concatOwn`);
  spatcat  a concat along H or W: a roll (the map cut in two and stacked the other way round), two
           or three maps of one channel count and one size on the other axis (`pair`), a map beside
           its version strided by 2 along that axis (a conv [k, 1] or [1, k], an average or max pool
           [2, 1] or [1, 2]: `strided`), a map beside its 2×2 pooled version, both cropped on the other
           axis to one size (`pooled`);
  gate     squeeze-excitation: globalAvgPool2d, adaptiveAvgPool2d to 1×1 or reduceMean over H and W,
           optionally two 1×1 convs, optionally expanded or upsampled back to the map's size, merged
           into the map by mul, add or a concat along the channels;
  strip    coordinate attention's strips: adaptiveAvgPool2d to [None, 1] or [1, None], or reduceMean
           over one axis, kept, optionally a 1×1 conv, multiplied into or added to the map (one strip
           or both);
  padmode  (graphs that pad) a pad in mode reflect or edge followed by a conv of 2b + 1 units or more
           (b the wider pad of that axis), or a conv in paddingMode reflect or replicate whose window
           is 2p + 1 units or more.
Left out: `tile` of a map of more than one unit (when the fixture was made, tile kept its first
copy's field; a tiled axis now has stride 0 over its units' envelope, checked by hand-worked cases in
test/analysis/receptive-pieces.test.ts), and, as the README gives their boxes as approximate, the
border units of a reflect or edge pad that no wide enough window reads again, and every wrap
(circular) pad. A block whose shapes torch refuses, that empties a
map or makes an axis longer than 64 units, is drawn again; a graph is kept with one block or more.

Measured with golden_kit.footprint_boxes as goldens_rf_random.py measures (positive weights, every
conv's kernel 1/fan_in, double precision, inputs uniform in [0.5, 1.5): no gradient cancels), but per
axis over every unit rather than along the diagonal: `reads[a][x]` is the input box, on axis a, of
what all the units at x on axis a read (every channel, every position on the other axis: the output
summed over the other axis, whose unit x is then their sum), which the field's box at x must hold
(null: they read no input pixel). Across a concat along H or W, or a broadcast, units off the
diagonal read more than the diagonal ones. A squeeze-excitation gate is detached where it is merged
(README: a global summary broadcast over the map is a gate, and the field reported stays the local
one); a strip is not (a local operand of one unit along an axis, spread over it).

Flags per case: `clipped` (zero padding in a conv or pool, a pad of any mode, a conv in a paddingMode
(padded too), a ceil-mode pool, a transposed conv: border windows cut at the edge, containment
only), `maxPool` (data-dependent reads, a subset of each window: containment only), `resampled` (a
transposed conv, or an upsampling or adaptive pooling of an axis of more than one unit to another
size but 1: reads not one window moved by a stride, boxes composed per layer as envelopes), `gated`
(a gate was detached). `strides`: for each tensor the output reads through (the gates left out, the
output itself too), per axis, the stride J at which its units read exactly [x·J − P, x·J − P + R − 1],
unit by unit (measured as `reads`), or null where no such box holds their reads or the tensor has
one unit there; `affine` per axis: no such tensor without one. A tensor whose reads are no box moved
by a stride (a broadcast operand merged into a map, a roll's or a concat's pieces, replicate padding,
upsampling ×2) has a field that is their envelope, and a layer after it composes that envelope, so
the field there may be looser than the envelope of the composition; as it may where the field gives
a tensor another stride than its reads' (a strip merged: every unit reads the whole row, stride 0,
where the field spreads the strip at the map's stride, README). The test holds the field to the
tightest box on an axis where the case is neither clipped, nor maxPool, nor resampled, it is affine
and every tensor's field has the stride of its reads.

    /usr/bin/python3 scripts/goldens_rf_pieces.py [SEED] [N] > test/fixtures/rf-nd/pieces.json

(the fixture: seed 3, 150 graphs; test/analysis/receptive-random-pieces.test.ts checks it).
"""
from fractions import Fraction

import torch
import torch.nn.functional as F

import goldens_rf_random as rf
from golden_kit import footprint_boxes, write_cases

D = torch.double
pair = rf.pair
TORCH_PAD = {'reflect': 'reflect', 'edge': 'replicate', 'replicate': 'replicate'}
MAX_LAYERS = 14


def forward(layer, env, detach=()):
    """goldens_rf_random.forward with the ops and attributes the blocks add: shape, expand, tile,
    globalAvgPool2d, reduceMean, adaptiveAvgPool2d, upsample to a size, pad in mode reflect or edge,
    conv2d in paddingMode reflect or replicate; operands at the indices in `detach` detached."""
    ins = [env[i].detach() if k in detach else env[i] for k, i in enumerate(layer['inputs'])]
    op, x = layer['op'], ins[0]
    if op == 'shape':
        return list(x.shape)
    if op == 'expand':  # ONNX Expand: bidirectional broadcast
        return x.expand(*torch.broadcast_shapes(tuple(x.shape), tuple(ins[1])))
    if op == 'tile':
        return x.repeat(*layer['repeats'])
    if op == 'globalAvgPool2d':
        return x.mean((2, 3), keepdim=True)
    if op == 'reduceMean':
        return x.mean(tuple(layer['axes']), keepdim=layer.get('keepDims', True))
    if op == 'adaptiveAvgPool2d':
        return F.adaptive_avg_pool2d(x, tuple(layer['outputSize']))
    if op == 'upsample' and 'size' in layer:
        kw = {'align_corners': layer['alignCorners']} if 'alignCorners' in layer else {}
        return F.interpolate(x, size=tuple(layer['size']), mode=layer['mode'], **kw)
    if op == 'pad' and layer.get('mode', 'constant') != 'constant':
        p = layer['pads']  # ONNX: [n, c, top, left, n, c, bottom, right]
        return F.pad(x, (p[3], p[7], p[2], p[6]), mode=TORCH_PAD[layer['mode']])
    if op == 'conv2d' and layer.get('paddingMode', 'zeros') != 'zeros':
        p = pair(layer['padding'])
        ins[0] = F.pad(x, (p[1], p[1], p[0], p[0]), mode=TORCH_PAD[layer['paddingMode']])
        layer = {k: v for k, v in layer.items() if k not in ('padding', 'paddingMode')}
    return rf.forward(layer, dict(zip(layer['inputs'], ins)))


def run(layers, x, detach=None):
    """Every tensor of the graph on input x, by name; detach: {merge: [operand index]}."""
    detach = detach or {}
    env = {'x': x}
    for l in layers:
        env[l['name']] = forward(l, env, detach.get(l['name'], ()))
    return env


def reads(shape, layers, detach, name):
    """Per axis a, per unit x of tensor `name` along a: the input box, on axis a, of what every unit at
    x reads (all channels, every position on the other axis): footprint_boxes of the tensor summed
    over the other axis, whose unit x is then the sum of those units (positive terms: no cancelling)."""
    return [footprint_boxes(lambda x: run(layers, x, detach)[name].sum(3 - a, keepdim=True), shape)[1][a] for a in range(2)]


def affine_stride(axis):
    """The stride J when units 0 … n − 1 read boxes [x·J − P, x·J − P + R − 1] of one J, P and R (an
    int, or a float when fractional); None when one unit (any J) or when no such box holds their reads
    (False)."""
    if any(b is None for b in axis):
        return False
    if len(axis) == 1:
        return None
    j = Fraction(axis[-1][0] - axis[0][0], len(axis) - 1)
    if not all(lo - x * j == axis[0][0] and hi - x * j == axis[0][1] for x, (lo, hi) in enumerate(axis)):
        return False
    return int(j) if j.denominator == 1 else float(j)


# ---------------------------------------------------------------- blocks

class Refused(Exception):
    """A block that empties a map or makes an axis longer than 64 units: drawn again."""


class Block:
    """Layers named from l{n}, each run (on ones) as it is added, so a block knows its shapes;
    detach: {merge: [operand index]} (gates); hidden: tensors no later layer may read."""

    def __init__(self, n, env):
        self.n, self.env, self.layers, self.detach, self.hidden = n, dict(env), [], {}, set()

    def add(self, op, inputs, **attrs):
        l = {'name': f'l{self.n + len(self.layers)}', 'op': op, 'inputs': list(inputs), **attrs}
        y = forward(l, self.env)
        if op != 'shape' and (y.numel() == 0 or min(y.shape[2:]) < 1 or max(y.shape[2:]) > 64):
            raise Refused('empty or large')
        self.env[l['name']] = y
        self.layers.append(l)
        return l['name']

    def shape(self, name):
        return list(self.env[name].shape)


def one_of(rng, shapes, keep):
    """A tensor among `shapes` (name → shape) for which keep(shape) holds."""
    return rng.choice([v for v, s in shapes.items() if keep(s)])


def expand_block(rng, B, src, shapes, pad_ok):
    """expand: one unit broadcast and merged, or replicate padding as a cat (the header). Each block
    adds its layers to B, reading src (or any of `shapes`, name → shape), and returns its kind (None:
    not drawable here)."""
    st = shapes[src]
    merge = rng.choices(['add', 'mul', 'concat1', 'concatOther', 'concatOwn', 'none'], [24, 18, 20, 12, 14, 12])[0]
    if merge == 'concatOwn':
        a = rng.choice([2, 3])
        ends = [rng.randint(0, 3), rng.randint(0, 3)]
        if sum(ends) == 0:
            ends[0] = 1
        pieces = []
        for b, at in zip(ends, (0, st[a] - 1)):
            if b:
                sl = B.add('slice', [src], starts=[at], ends=[at + 1], axes=[a])
                reps = [1, 1, 1, 1]
                reps[a] = b
                pieces.append(B.add('tile', [sl], repeats=reps) if b > 1 or rng.random() < 0.5 else sl)
            else:
                pieces.append(None)
        B.add('concat', [p for p in (pieces[0], src, pieces[1]) if p], dim=a)
        return 'expand:concatOwn'
    axes = rng.choices([[2], [3], [2, 3]], [45, 45, 10])[0]
    if any(st[a] < 2 for a in axes) or (merge == 'concatOther' and len(axes) == 2):
        return None
    u = src if rng.random() < 0.7 else one_of(rng, shapes, lambda s: s[1] == st[1] and all(s[b] == st[b] for b in (2, 3) if b not in axes))
    at = [rng.randint(0, shapes[u][a] - 1) for a in axes]
    e = B.add('slice', [u], starts=at, ends=[i + 1 for i in at], axes=axes)
    how = rng.choice(['expand', 'expand', 'tile', 'upsample', 'adaptive'] + (['implicit'] if merge in ('add', 'mul') else []))
    size = [st[2] if 2 in axes else shapes[u][2], st[3] if 3 in axes else shapes[u][3]]
    if how == 'upsample':
        mode = rng.choice(['nearest', 'bilinear', 'bilinearAC', 'nearestScale'])
        if mode == 'nearestScale':
            e = B.add('upsample', [e], mode='nearest', scaleFactor=[float(size[0]) if 2 in axes else 1.0, float(size[1]) if 3 in axes else 1.0])
        elif mode == 'bilinearAC':
            e = B.add('upsample', [e], mode='bilinear', size=size, alignCorners=True)
        else:
            e = B.add('upsample', [e], mode=mode, size=size, **({'alignCorners': False} if mode == 'bilinear' else {}))
        how += '-' + mode
    elif how == 'adaptive':
        e = B.add('adaptiveAvgPool2d', [e], outputSize=[st[2] if 2 in axes else None, st[3] if 3 in axes else None])
    elif how == 'expand':
        e = B.add('expand', [e, B.add('shape', [src])])
    elif how == 'tile':
        reps = [1, 1, 1, 1]
        for a in axes:
            reps[a] = st[a]
        e = B.add('tile', [e], repeats=reps)
    if merge in ('add', 'mul'):
        v = src if rng.random() < 0.7 else one_of(rng, shapes, lambda s: s == st)
        B.add(merge, [v, e] if rng.random() < 0.6 else [e, v])
    elif merge == 'concat1':
        v = src if rng.random() < 0.6 else one_of(rng, shapes, lambda s: s[2:] == st[2:])
        B.add('concat', [v, e] if rng.random() < 0.5 else [e, v], dim=1)
    elif merge == 'concatOther':
        v = src if rng.random() < 0.5 else one_of(rng, shapes, lambda s: s[1] == st[1] and s[axes[0]] == st[axes[0]])
        B.add('concat', [v, e] if rng.random() < 0.5 else [e, v], dim=5 - axes[0])
    return f'expand:{how}:{merge}' + (':pixel' if len(axes) == 2 else '')


def spatcat_block(rng, B, src, shapes, pad_ok):
    """spatcat: a concat along H or W of a roll's pieces, of maps, of a map and a strided or pooled version."""
    st = shapes[src]
    a = rng.choice([2, 3])
    b = 5 - a
    variant = rng.choices(['roll', 'pair', 'strided', 'pooled'], [25, 25, 30, 20])[0]
    if variant == 'roll':
        if st[a] < 2:
            return None
        k = rng.randint(1, st[a] - 1)
        B.add('concat', [B.add('slice', [src], starts=[k], ends=[st[a]], axes=[a]), B.add('slice', [src], starts=[0], ends=[k], axes=[a])], dim=a)
    elif variant == 'pair':
        same = lambda s: s[1] == st[1] and s[b] == st[b]
        ins = [src, one_of(rng, shapes, same)]
        if rng.random() < 0.5:
            ins.reverse()
        if rng.random() < 0.2:
            ins.append(one_of(rng, shapes, same))
        B.add('concat', ins, dim=a)
    elif variant == 'strided':
        kind = rng.choice(['conv', 'avgPool2d', 'maxPool2d'])
        ks, ss = [1, 1], [1, 1]
        ss[a - 2] = 2
        if kind == 'conv':
            ks[a - 2] = rng.choice([2, 3])
            attrs = {'outChannels': st[1], 'kernelSize': ks, 'stride': ss, 'bias': False}
            if pad_ok and ks[a - 2] == 3 and rng.random() < 0.5:
                attrs['padding'] = [1, 0] if a == 2 else [0, 1]
            v = B.add('conv2d', [src], **attrs)
        else:
            ks[a - 2] = 2
            v = B.add(kind, [src], kernelSize=ks, stride=ss)
        B.add('concat', [src, v] if rng.random() < 0.6 else [v, src], dim=a)
        variant += ':' + kind
    else:
        kind = rng.choice(['avgPool2d', 'maxPool2d', 'conv'])
        if kind == 'conv':
            v = B.add('conv2d', [src], outChannels=st[1], kernelSize=rng.choice([2, 3]), stride=2, bias=False)
        else:
            v = B.add(kind, [src], kernelSize=2, stride=2)
        m = min(B.shape(v)[b], st[b])
        crops = []
        for name, n in ((src, st[b]), (v, B.shape(v)[b])):
            off = 0 if n == m or rng.random() < 0.5 else (n - m) // 2
            crops.append(B.add('slice', [name], starts=[off], ends=[off + m], axes=[b]) if n > m else name)
        B.add('concat', crops if rng.random() < 0.6 else crops[::-1], dim=a)
        variant += ':' + kind
    return f'spatcat:{variant}:{"HW"[a - 2]}'


def gate_block(rng, B, src, shapes, pad_ok):
    """gate: a squeeze-excitation summary merged into the map, detached there."""
    st = shapes[src]
    if st[2] * st[3] == 1:
        return None
    q = src if rng.random() < 0.75 else rng.choice(list(shapes))
    pool = rng.choice(['globalAvgPool2d', 'adaptiveAvgPool2d', 'reduceMean'])
    g = B.add(pool, [q], **({'outputSize': [1, 1]} if pool == 'adaptiveAvgPool2d' else {'axes': [2, 3], 'keepDims': True} if pool == 'reduceMean' else {}))
    if rng.random() < 0.6:
        g = B.add('conv2d', [g], outChannels=rng.randint(1, 3), kernelSize=1, bias=False)
        g = B.add('conv2d', [g], outChannels=st[1], kernelSize=1, bias=False)
    elif shapes[q][1] not in (1, st[1]):
        g = B.add('conv2d', [g], outChannels=st[1], kernelSize=1, bias=False)
    spread = rng.choices(['none', 'expand', 'upsample'], [60, 20, 20])[0]
    if spread == 'expand':
        g = B.add('expand', [g, B.add('shape', [src])])
    elif spread == 'upsample':
        mode = rng.choice(['nearest', 'bilinear'])
        g = B.add('upsample', [g], mode=mode, size=st[2:], **({'alignCorners': False} if mode == 'bilinear' else {}))
    merge = rng.choices(['mul', 'add', 'concat'], [50, 25, 25 if spread != 'none' else 0])[0]
    ins, gi = ([src, g], 1) if rng.random() < 0.6 else ([g, src], 0)
    m = B.add(merge, ins, **({'dim': 1} if merge == 'concat' else {}))
    B.detach[m] = [gi]
    # read by this merge only: a later merge would read the gate undetached
    B.hidden |= {l['name'] for l in B.layers if l['name'] != m}
    return f'gate:{pool}:{spread}:{merge}'


def strip_block(rng, B, src, shapes, pad_ok):
    """strip: a map pooled over W (or H) to one unit there, merged back into it."""
    st = shapes[src]
    which = rng.choices([['w'], ['h'], ['h', 'w']], [40, 40, 20])[0]
    if min(st[2:]) < 2:  # pooled to 1×1: a gate, not a strip
        return None
    strips = []
    for s in which:
        a = 3 if s == 'w' else 2  # the axis pooled away
        if rng.random() < 0.85:
            g = B.add('adaptiveAvgPool2d', [src], outputSize=[None, 1] if a == 3 else [1, None])
        else:
            g = B.add('reduceMean', [src], axes=[a], keepDims=True)
        if rng.random() < 0.5:
            g = B.add('conv2d', [g], outChannels=st[1], kernelSize=1, bias=False)
        strips.append(g)
    v = src
    for g in strips:
        v = B.add(rng.choice(['mul', 'mul', 'add']), [v, g] if rng.random() < 0.6 else [g, v])
    return f'strip:{"+".join(which)}'


def padmode_block(rng, B, src, shapes, pad_ok):
    """padmode: reflect or edge borders that a window of 2b + 1 units or more reads again."""
    if not pad_ok:
        return None
    st = shapes[src]
    if rng.random() < 0.55:
        mode = rng.choice(['reflect', 'edge'])
        p = [rng.randint(0, 2) for _ in range(4)]  # top, left, bottom, right
        if sum(p) == 0:
            p[rng.randint(0, 3)] = 1
        if mode == 'reflect' and (max(p[0], p[2]) >= st[2] or max(p[1], p[3]) >= st[3]):
            return None
        pd = B.add('pad', [src], pads=[0, 0, p[0], p[1], 0, 0, p[2], p[3]], mode=mode)
        # a window of 2b + 1 units or more reads every border unit's pixels inside its box again
        kh = 2 * max(p[0], p[2]) + 1 + rng.choice([0, 0, 1, 2])
        kw = 2 * max(p[1], p[3]) + 1 + rng.choice([0, 0, 1, 2])
        B.add('conv2d', [pd], outChannels=rng.randint(1, 3), kernelSize=[kh, kw] if kh != kw else kh, **({'stride': 2} if rng.random() < 0.3 else {}), bias=False)
        B.hidden.add(pd)
        return f'padmode:pad-{mode}+conv'
    mode = rng.choice(['reflect', 'replicate'])
    p = rng.randint(1, 2) if rng.random() < 0.8 else [rng.randint(0, 2), rng.randint(0, 2)]
    pp = pair(p)
    d = 2 if rng.random() < 0.2 else 1
    k = rng.randint(max(pp) + 1, 5) if d == 2 else rng.randint(2 * max(pp) + 1, 5)  # d·(k − 1) + 1 ≥ 2p + 1
    if pp == [0, 0] or (mode == 'reflect' and (pp[0] >= st[2] or pp[1] >= st[3])):
        return None
    attrs = {'outChannels': rng.randint(1, 3), 'kernelSize': k, 'padding': p, 'paddingMode': mode}
    if d > 1:
        attrs['dilation'] = d
    if rng.random() < 0.3:
        attrs['stride'] = rng.choice([2, 3])
    B.add('conv2d', [src], **attrs, bias=False)
    return f'padmode:conv-{mode}'


BLOCKS = {'expand': expand_block, 'spatcat': spatcat_block, 'gate': gate_block, 'strip': strip_block, 'padmode': padmode_block}


def rf_layer(rng, B, src, pad_ok, kinds):
    """One of goldens_rf_random's random layers, drawn among `kinds` ({kind: weight}), added to B."""
    shape = B.shape(src)
    kind = rng.choices(list(kinds), list(kinds.values()))[0]
    if kind == 'conv':
        l = rf.rand_conv(rng, src, shape, pad_ok=pad_ok)
    elif kind == 'pool':
        l = rf.rand_pool(rng, src, pad_ok)
    elif kind == 'slice':
        l = rf.rand_slice(rng, src, shape)
    elif kind == 'upsample':
        l = rf.rand_upsample(rng, src)
    elif kind == 'transpose':
        l = rf.rand_transpose(rng, src)
    else:
        l = rf.rand_pad(rng, src)
    B.add(l.pop('op'), l.pop('inputs'), **l)
    return kind


BEFORE = {'conv': 50, 'pool': 20, 'slice': 12, 'upsample': 8, 'transpose': 6, 'pad': 4}
AFTER = {'conv': 60, 'pool': 25, 'slice': 15}


def graph(rng):
    """A graph as the header says: (input shape, layers, shapes, detached operands, kinds drawn)."""
    pad_ok = rng.random() < 0.4
    shape = [1, rng.randint(1, 3), rng.randint(5, 24), rng.randint(5, 24)]
    with torch.no_grad():
        env = {'x': torch.ones(shape, dtype=D)}
    shapes = {'x': shape}
    layers, detach, hidden, kinds = [], {}, set(), []
    want = rng.randint(1, 3)
    attempts = 0
    while sum(k.split(':')[0] in BLOCKS for k in kinds) < want and attempts < 40:
        attempts += 1
        visible = {k: s for k, s in shapes.items() if k not in hidden}
        names = list(visible)
        src = names[-1] if rng.random() < 0.65 else rng.choice(names)
        kind = rng.choices(list(BLOCKS), [30, 26, 16, 16, 25 if pad_ok else 0])[0]
        B = Block(len(layers), env)
        tags = []
        try:
            with torch.no_grad():
                if rng.random() < 0.5:
                    tags.append(rf_layer(rng, B, src, pad_ok, BEFORE if pad_ok else {k: w for k, w in BEFORE.items() if k != 'pad'}))
                    src = B.layers[-1]['name']
                    visible = {**visible, src: B.shape(src)}
                tag = BLOCKS[kind](rng, B, src, visible, pad_ok)
                if not tag:
                    continue
                tags.append(tag)
                if rng.random() < 0.35:
                    tags.append(rf_layer(rng, B, B.layers[-1]['name'], pad_ok, AFTER))
        except (Refused, RuntimeError, ValueError, IndexError):
            continue
        if len(layers) + len(B.layers) > MAX_LAYERS:
            continue
        for l in B.layers:
            layers.append(l)
            env[l['name']] = B.env[l['name']]
            if l['op'] != 'shape':
                shapes[l['name']] = B.shape(l['name'])
        detach.update(B.detach)
        hidden |= B.hidden
        kinds += tags
    if not any(k.split(':')[0] in BLOCKS for k in kinds):
        return None
    return shape, layers, shapes, detach, kinds


def upstream(layers, detach):
    """The tensors the last layer reads through (its gates' operands left out), itself excluded."""
    by = {l['name']: l for l in layers}
    seen, todo = set(), [layers[-1]['name']]
    while todo:
        l = by[todo.pop()]
        for k, i in enumerate(l['inputs']):
            if i in by and i not in seen and k not in detach.get(l['name'], ()) and by[i]['op'] != 'shape':
                seen.add(i)
                todo.append(i)
    return [l['name'] for l in layers if l['name'] in seen]


def case_flags(shape, layers, shapes, detach):
    """clipped, maxPool, resampled, gated, affine and strides (the header)."""
    clipped = rf.flags(layers)['clipped']  # a conv in a paddingMode has its padding too

    def resamples(l):
        if l['op'] == 'convTranspose2d':
            return True
        if l['op'] not in ('upsample', 'adaptiveAvgPool2d'):
            return False
        n_in, n_out = shapes[l['inputs'][0]][2:], shapes[l['name']][2:]
        return any(i > 1 and o not in (1, i) for i, o in zip(n_in, n_out))

    strides = {n: [affine_stride(axis) for axis in reads(shape, layers, detach, n)] for n in upstream(layers, detach)}
    return {'clipped': clipped, 'maxPool': rf.flags(layers)['maxPool'], 'resampled': any(resamples(l) for l in layers), 'gated': bool(detach),
            'affine': [all(j[a] is not False for j in strides.values()) for a in range(2)],
            'strides': {n: [v if v is not False else None for v in j] for n, j in strides.items()}}


def draw_case(rng, name):
    g = graph(rng)
    if g is None:
        return None
    shape, layers, shapes, detach, kinds = g
    last = layers[-1]['name']
    return {'name': name, 'input': shape, 'layers': layers, 'kinds': kinds, **case_flags(shape, layers, shapes, detach),
            'output': shapes[last][2:], 'reads': reads(shape, layers, detach, last)}


def main():
    write_cases(draw_case)


if __name__ == '__main__':
    main()
