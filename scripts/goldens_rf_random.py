"""A random-graph differential fuzz of receptive fields against PyTorch autograd: seeded random small
2-D CNN graphs (DAGs: residual adds and muls, channel concats) over [1, C, H, W] inputs (C 1–3, H and
W 5–24), each measured unit by unit as scripts/goldens_rf_broadcast.py measures its cases.

Layers drawn from: conv2d (kernel 1–5, sometimes rectangular [kh, kw], stride 1–3, sometimes
[sh, sw], padding 0–2, sometimes [ph, pw], dilation 1–2, outChannels 1–3, no bias), maxPool2d and
avgPool2d (kernel 2–3, stride 1–2, padding 0–1 (at most half the kernel), ceilMode sometimes;
maxPool2d dilation 2 rarely), convTranspose2d (kernel 1–4, stride 1–2, padding below the kernel,
outputPadding 1 sometimes at stride 2), upsample (nearest ×2; bilinear ×2, alignCorners false),
slice of rows and/or columns (step 1 or 2), a constant pad (asymmetric), add / mul of two earlier
tensors of equal shape, concat along the channels of two tensors of one spatial size, and three
composites: a residual (a conv keeping the size, added to or multiplied with its input), a dense
block (the same, concatenated), a U-Net / FPN skip (down by 2, up by 2 with nearest, bilinear or a
transposed conv, both cropped to one size, merged with the input by add, mul or concat). Half the
graphs are unpadded (no conv or pool padding, no ceil mode, no pad: the residual's conv is then
unpadded and its input cropped to its size, centred or not, as U-Net crops). A layer whose shapes
torch refuses (or that empties a map) is drawn again; a graph is kept when it has 2–7 layers.

Measured as goldens_rf_broadcast.py: positive weights (every conv's kernel 1/fan_in), double
precision, positive inputs (uniform in [0.5, 1.5)), so no gradient cancels and a unit's footprint
(the input pixels of nonzero gradient, over every input channel) is what it reads; batch row t
holds output unit t on every axis (the last one where an axis is shorter), over every channel of
the last layer, and each axis's box is the footprint projected on it (null for a unit that reads
no input pixel: all padding).

Flags per case: `clipped` (zero padding in a conv or pool, a constant pad, a ceil-mode pool, a
transposed conv (a zero-stuffed input padded by d·(k − 1) − p), whose border windows are cut by the
edge: containment only against autograd), `maxPool` (max pooling reads one input per
window, data-dependent, a subset of its window: containment only), `resampled` (upsampling or a
transposed conv: non-uniform reads, composed per layer as envelopes, so a box may be looser than
the envelope of the composition), `whole` (every unit's box is the whole input on every axis: a
global field is then exact). `virtual`: per axis and unit, the envelope of what the unit reads when
nothing is cut at an edge (virtual(): padding counted in the box, as the README's convention; an exact
composition of the reads unit by unit, where the field's algebra composes boxes), checked here to hold
every autograd box; the test compares the field with it on every case (max pooling and padding
included).

    /usr/bin/python3 scripts/goldens_rf_random.py [SEED] [N] > tmp/rf-random.json
"""
import sys

import torch
import torch.nn.functional as F

from golden_kit import footprint_boxes, write_cases

D = torch.double


def pair(v):
    return [v, v] if isinstance(v, int) else list(v)


def forward(layer, env):
    op, ins = layer['op'], [env[i] for i in layer['inputs']]
    x = ins[0]
    if op == 'conv2d':
        k = pair(layer['kernelSize'])
        fan = x.shape[1] * k[0] * k[1]
        w = torch.full([layer['outChannels'], x.shape[1]] + k, 1.0 / fan, dtype=D)
        return F.conv2d(x, w, None, pair(layer.get('stride', 1)), pair(layer.get('padding', 0)), pair(layer.get('dilation', 1)))
    if op == 'convTranspose2d':
        k = pair(layer['kernelSize'])
        fan = x.shape[1] * k[0] * k[1]
        w = torch.full([x.shape[1], layer['outChannels']] + k, 1.0 / fan, dtype=D)
        return F.conv_transpose2d(x, w, None, pair(layer.get('stride', 1)), pair(layer.get('padding', 0)), pair(layer.get('outputPadding', 0)), 1,
                                  pair(layer.get('dilation', 1)))
    if op == 'maxPool2d':
        k = layer['kernelSize']
        return F.max_pool2d(x, k, layer.get('stride', k), layer.get('padding', 0), layer.get('dilation', 1), layer.get('ceilMode', False))
    if op == 'avgPool2d':
        k = layer['kernelSize']
        return F.avg_pool2d(x, k, layer.get('stride', k), layer.get('padding', 0), layer.get('ceilMode', False), True)
    if op == 'upsample':
        kw = {'align_corners': layer['alignCorners']} if 'alignCorners' in layer else {}
        return F.interpolate(x, scale_factor=layer['scaleFactor'], mode=layer['mode'], **kw)
    if op == 'slice':
        steps = layer.get('steps', [1] * len(layer['axes']))
        for s, e, a, st in zip(layer['starts'], layer['ends'], layer['axes'], steps):
            idx = [slice(None)] * x.dim()
            idx[a] = slice(s, e, st)
            x = x[tuple(idx)]
        return x
    if op == 'pad':
        p = layer['pads']  # ONNX: [n, c, top, left, n, c, bottom, right]
        return F.pad(x, (p[3], p[7], p[2], p[6]))
    if op == 'concat':
        return torch.cat(ins, layer['dim'])
    if op == 'add':
        return ins[0] + ins[1]
    if op == 'mul':
        return ins[0] * ins[1]
    raise ValueError(op)


def run(layers, x):
    env = {'x': x}
    for l in layers:
        env[l['name']] = forward(l, env)
    return env


def measure(shape, layers):
    return footprint_boxes(lambda x: run(layers, x)[layers[-1]['name']], shape)


# ---------------------------------------------------------------- virtual reads (an exact envelope, no edge)

def virtual(shape, layers, shapes):
    """Per axis, per output unit of the last layer, the envelope [lo, hi] of the input units it reads when
    nothing is cut at an edge (README: padding counted in the box, Araujo's virtual padding): every layer's
    read rule extended to units outside its map (a window reads o·s − pb + u·d for every tap, a transposed
    conv every i with i·s + u·d = o + pb, nearest ×2 ⌊o/2⌋, bilinear ×2 as ATen inside the map (the source
    clamped at 0, a tap of weight 0 not read) and outside it as the border unit of the same parity
    moved by whole input units, a slice start + o·step, a pad o −
    begin, a merge the union of its operands' unit o). Composed unit by unit as sets' envelopes (exact, where
    the per-layer (size, stride, padding) algebra composes boxes). None: a unit that reads nothing (a
    transposed conv's zero-stuffed rows)."""
    by = {l['name']: l for l in layers}
    memo = {}

    def union(parts):
        parts = [p for p in parts if p is not None]
        return (min(p[0] for p in parts), max(p[1] for p in parts)) if parts else None

    def reads(name, a, o):
        key = (name, a, o)
        if key in memo:
            return memo[key]
        if name == 'x':
            memo[key] = (o, o)
            return memo[key]
        l = by[name]
        op, src = l['op'], l['inputs'][0]
        n_in = shapes[src][2 + a]
        n_out = shapes[name][2 + a]
        if op in ('conv2d', 'maxPool2d', 'avgPool2d'):
            k = pair(l['kernelSize'])[a]
            s = pair(l.get('stride', l['kernelSize'] if op != 'conv2d' else 1))[a]
            d = pair(l.get('dilation', 1))[a]
            pb = pair(l.get('padding', 0))[a]
            r = union(reads(src, a, o * s - pb + u * d) for u in range(k))
        elif op == 'convTranspose2d':
            k = pair(l['kernelSize'])[a]
            s = pair(l.get('stride', 1))[a]
            d = pair(l.get('dilation', 1))[a]
            pb = pair(l.get('padding', 0))[a]
            r = union(reads(src, a, (o + pb - u * d) // s) for u in range(k) if (o + pb - u * d) % s == 0)
        elif op == 'upsample' and l['mode'] == 'nearest':
            r = reads(src, a, o // 2)  # PyTorch: floor(o · 0.5)
        elif op == 'upsample':
            # outside the map: the border unit of its parity, moved by whole input units (the reads' period: 2)
            o2 = o if 0 <= o < n_out else min(max(o % 2 if o < 0 else n_out - 2 + (o - n_out) % 2, 0), n_out - 1)
            x = max((o2 + 0.5) * 0.5 - 0.5, 0.0)  # half-pixel, exact in binary, clamped at 0 as ATen
            i0 = min(int(x // 1), n_in - 1)
            taps = [t + (o - o2) // 2 for t in [i0] + ([min(i0 + 1, n_in - 1)] if x - i0 > 0 else [])]
            r = union(reads(src, a, i) for i in taps)
        elif op == 'slice':
            if 2 + a in l['axes']:
                i = l['axes'].index(2 + a)
                step = l.get('steps', [1] * len(l['axes']))[i]
                r = reads(src, a, l['starts'][i] + o * step)
            else:
                r = reads(src, a, o)
        elif op == 'pad':
            r = reads(src, a, o - l['pads'][2 + a])
        elif op in ('add', 'mul', 'concat'):
            r = union(reads(i, a, o) for i in l['inputs'])
        else:
            raise ValueError(op)
        memo[key] = r
        return r

    last = layers[-1]['name']
    return [[list(reads(last, a, o)) if reads(last, a, o) is not None else None for o in range(shapes[last][2 + a])] for a in range(2)]


# ---------------------------------------------------------------- random layers

def rand_conv(rng, src, shape, same=False, pad_ok=True):
    c = shape[1]
    if same:  # keeps the size: odd kernel, stride 1, padding d·(k − 1)/2; out channels = in (a residual)
        k = rng.choice([1, 1, 3, 5])
        d = rng.choice([1, 1, 2]) if k > 1 else 1
        return {'op': 'conv2d', 'inputs': [src], 'outChannels': c, 'kernelSize': k, 'padding': d * (k - 1) // 2, 'dilation': d, 'bias': False}
    layer = {'op': 'conv2d', 'inputs': [src], 'outChannels': rng.randint(1, 3)}
    layer['kernelSize'] = [rng.randint(1, 5), rng.randint(1, 5)] if rng.random() < 0.3 else rng.randint(1, 5)
    s = rng.choice([1, 1, 2, 2, 3])
    if rng.random() < 0.15:
        s = [rng.randint(1, 3), rng.randint(1, 3)]
    if s != 1:
        layer['stride'] = s
    p = rng.choice([0] * 6 + [1, 1, 2])
    if rng.random() < 0.1:
        p = [rng.randint(0, 2), rng.randint(0, 2)]
    if p != 0 and pad_ok:
        layer['padding'] = p
    if rng.random() < 0.3:
        layer['dilation'] = 2
    layer['bias'] = False
    return layer


def rand_pool(rng, src, pad_ok=True):
    op = rng.choice(['maxPool2d', 'avgPool2d'])
    k = rng.randint(2, 3)
    layer = {'op': op, 'inputs': [src], 'kernelSize': k, 'stride': rng.randint(1, 2)}
    if pad_ok and rng.random() < 0.3:
        layer['padding'] = 1  # at most k // 2 (PyTorch's rule)
    if pad_ok and rng.random() < 0.25:
        layer['ceilMode'] = True
    if op == 'maxPool2d' and rng.random() < 0.1:
        layer['dilation'] = 2
    return layer


def rand_transpose(rng, src):
    k = rng.randint(1, 4)
    s = rng.randint(1, 2)
    layer = {'op': 'convTranspose2d', 'inputs': [src], 'outChannels': rng.randint(1, 3), 'kernelSize': k, 'bias': False}
    if s > 1:
        layer['stride'] = s
    if rng.random() < 0.35:
        layer['padding'] = rng.randint(1, max(1, k - 1))
    if s > 1 and rng.random() < 0.3:
        layer['outputPadding'] = 1
    return layer


def rand_upsample(rng, src):
    if rng.random() < 0.5:
        return {'op': 'upsample', 'inputs': [src], 'mode': 'nearest', 'scaleFactor': 2}
    return {'op': 'upsample', 'inputs': [src], 'mode': 'bilinear', 'scaleFactor': 2, 'alignCorners': False}


def rand_slice(rng, src, shape):
    axes = rng.choice([[2], [3], [2, 3]])
    starts, ends, steps = [], [], []
    for a in axes:
        n = shape[a]
        s = rng.randint(0, min(2, n - 1))
        e = rng.randint(max(s + 1, n - 2), n)
        starts.append(s)
        ends.append(e)
        steps.append(2 if rng.random() < 0.2 else 1)
    layer = {'op': 'slice', 'inputs': [src], 'starts': starts, 'ends': ends, 'axes': axes}
    if any(st != 1 for st in steps):
        layer['steps'] = steps
    return layer


def rand_pad(rng, src):
    t, l, b, r = (rng.randint(0, 2) for _ in range(4))
    if t + l + b + r == 0:
        l = 1
    return {'op': 'pad', 'inputs': [src], 'pads': [0, 0, t, l, 0, 0, b, r]}


def same_branch(rng, src, shape, pad_ok, n):
    """A branch of src's size and channels, named from l{n}: a conv keeping the size (padded), or
    (pad_ok false) an unpadded conv beside src cropped to its size, centred or not (U-Net's crop).
    Returns its layers and the two names to merge."""
    conv = rand_conv(rng, src, shape, same=True)
    conv['name'] = f'l{n}'
    if pad_ok or conv['kernelSize'] == 1:
        return [conv], src, conv['name']
    total = conv.pop('padding') * 2  # d·(k − 1): what the unpadded conv loses per axis
    if min(shape[2:]) <= total:
        return None
    offs = [total // 2 if rng.random() < 0.7 else rng.randint(0, total) for _ in range(2)]
    crop = {'name': f'l{n + 1}', 'op': 'slice', 'inputs': [src], 'starts': offs, 'ends': [shape[2 + a] - total + offs[a] for a in range(2)], 'axes': [2, 3]}
    return [conv, crop], crop['name'], conv['name']


def skip_block(rng, src, shape, pad_ok, n):
    """A U-Net / FPN skip, named from l{n}: down by 2 (conv or pool), up by 2 (nearest, bilinear or a
    transposed conv), both cropped to a common size where they differ (at 0 or centred), merged with src
    (add, mul or concat). Paths of one stride whose centres differ: the merge keeps their union."""
    c = shape[1]
    layers = []

    def add(l):
        l['name'] = f'l{n + len(layers)}'
        layers.append(l)
        return l['name']

    kind = rng.choice(['conv', 'maxPool2d', 'avgPool2d'])
    if kind == 'conv':
        k = rng.choice([2, 3])
        down = {'op': 'conv2d', 'inputs': [src], 'outChannels': rng.randint(1, 3), 'kernelSize': k, 'stride': 2, 'bias': False}
        if pad_ok and k == 3 and rng.random() < 0.6:
            down['padding'] = 1
    else:
        down = {'op': kind, 'inputs': [src], 'kernelSize': 2, 'stride': 2}
        if pad_ok and rng.random() < 0.4:
            down.update(kernelSize=3, padding=1)
    d = add(down)
    up_kind = rng.choice(['nearest', 'bilinear', 't2', 't3', 't4'])
    if up_kind in ('nearest', 'bilinear'):
        up = {'op': 'upsample', 'inputs': [d], 'mode': up_kind, 'scaleFactor': 2}
        if up_kind == 'bilinear':
            up['alignCorners'] = False
    else:
        k = int(up_kind[1])
        up = {'op': 'convTranspose2d', 'inputs': [d], 'outChannels': c, 'kernelSize': k, 'stride': 2, 'bias': False}
        if k > 2:
            up['padding'] = 1
        if k == 3:
            up['outputPadding'] = 1
    u = add(up)
    return layers, u


def fit(rng, a, sa, b, sb, n):
    """Slices a and b (shapes sa, sb) to their common spatial size (a crop at 0 or centred), named from l{n}."""
    layers, names = [], []
    for name, shape in ((a, sa), (b, sb)):
        axes, starts, ends = [], [], []
        for ax in (2, 3):
            m = min(sa[ax], sb[ax])
            if shape[ax] > m:
                off = 0 if rng.random() < 0.5 else (shape[ax] - m) // 2
                axes.append(ax)
                starts.append(off)
                ends.append(off + m)
        if axes:
            l = {'name': f'l{n + len(layers)}', 'op': 'slice', 'inputs': [name], 'starts': starts, 'ends': ends, 'axes': axes}
            layers.append(l)
            names.append(l['name'])
        else:
            names.append(name)
    return layers, names


def graph(rng):
    # half the graphs unpadded (no conv or pool padding, no ceil mode, no pad): their fields must be tight
    pad_ok = rng.random() < 0.5
    c = rng.randint(1, 3)
    shape = [1, c, rng.randint(5, 24), rng.randint(5, 24)]
    want = rng.randint(2, 7)
    shapes = {'x': shape}
    layers = []
    with torch.no_grad():
        env = {'x': torch.ones(shape, dtype=D)}
        attempts = 0
        while len(layers) < want and attempts < 60:
            attempts += 1
            names = list(shapes)
            last = names[-1]
            src = last if rng.random() < 0.65 else rng.choice(names)
            sshape = shapes[src]
            kind = rng.choices(['conv', 'pool', 'residual', 'dense', 'merge', 'concat', 'upsample', 'slice', 'transpose', 'pad', 'skip'],
                               [30, 16, 9, 5, 6, 6, 8, 8, 8, 3 if pad_ok else 0, 10])[0]
            new = []
            if kind == 'conv':
                new = [rand_conv(rng, src, sshape, pad_ok=pad_ok)]
            elif kind == 'pool':
                new = [rand_pool(rng, src, pad_ok)]
            elif kind == 'transpose':
                new = [rand_transpose(rng, src)]
            elif kind == 'upsample':
                if max(sshape[2:]) > 24:
                    continue
                new = [rand_upsample(rng, src)]
            elif kind == 'slice':
                new = [rand_slice(rng, src, sshape)]
            elif kind == 'pad':
                new = [rand_pad(rng, src)]
            elif kind in ('residual', 'dense'):
                branch = same_branch(rng, src, sshape, pad_ok, len(layers))
                if branch is None or len(layers) + len(branch[0]) + 1 > want:
                    continue
                pre, a, b = branch
                pair_ = [a, b] if rng.random() < 0.7 else [b, a]
                merge = {'op': rng.choice(['add', 'add', 'mul']), 'inputs': pair_} if kind == 'residual' else {'op': 'concat', 'inputs': pair_, 'dim': 1}
                new = pre + [merge]
            elif kind == 'merge':
                other = [n for n in names if n != src and shapes[n] == sshape]
                if not other:
                    continue
                new = [{'op': rng.choice(['add', 'add', 'mul']), 'inputs': rng.sample([src, rng.choice(other)], 2)}]
            elif kind == 'concat':
                other = [n for n in names if n != src and shapes[n][2:] == sshape[2:]]
                if not other:
                    continue
                new = [{'op': 'concat', 'inputs': rng.sample([src, rng.choice(other)], 2), 'dim': 1}]
            elif kind == 'skip':
                if min(sshape[2:]) < 4:
                    continue
                pre, u = skip_block(rng, src, sshape, pad_ok, len(layers))
                # the up path's shape, to crop it and src to one size
                try:
                    t = dict(env)
                    for l in pre:
                        t[l['name']] = forward(l, t)
                except (RuntimeError, ValueError, IndexError):
                    continue
                crop, (a, b) = fit(rng, src, sshape, u, list(t[u].shape), len(layers) + len(pre))
                op = rng.choice(['add', 'add', 'mul', 'concat'])
                if op != 'concat' and sshape[1] != t[u].shape[1]:
                    op = 'concat'
                pair_ = [a, b] if rng.random() < 0.6 else [b, a]
                new = pre + crop + [{'op': op, 'inputs': pair_, **({'dim': 1} if op == 'concat' else {})}]
                if len(layers) + len(new) > 7:
                    continue
            try:
                tmp = dict(env)
                out = []
                for i, l in enumerate(new):
                    l['name'] = f'l{len(layers) + i}'
                    y = forward(l, tmp)
                    if y.numel() == 0 or min(y.shape[2:]) < 1:
                        raise ValueError('empty')
                    tmp[l['name']] = y
                    out.append(l)
            except (RuntimeError, ValueError, IndexError):
                continue
            for l in out:
                # key order: name, op, inputs, attributes
                l2 = {'name': l['name'], 'op': l['op'], 'inputs': l['inputs']}
                l2.update({k: v for k, v in l.items() if k not in l2})
                layers.append(l2)
                env[l['name']] = tmp[l['name']]
                shapes[l['name']] = list(tmp[l['name']].shape)
    if len(layers) < 2:
        return None
    return shape, layers, shapes


def flags(layers):
    clipped = any(pair(l.get('padding', 0)) != [0, 0] for l in layers if l['op'] in ('conv2d', 'maxPool2d', 'avgPool2d')) \
        or any(l['op'] in ('pad', 'convTranspose2d') or l.get('ceilMode') for l in layers)
    return {
        'clipped': clipped,
        'maxPool': any(l['op'] == 'maxPool2d' for l in layers),
        'resampled': any(l['op'] in ('upsample', 'convTranspose2d') for l in layers),
    }


def draw_case(rng, name):
    g = graph(rng)
    if g is None:
        return None
    shape, layers, shapes = g
    size, boxes = measure(shape, layers)
    virt = virtual(shape, layers, shapes)
    # the oracle's own check: every unit's autograd box inside its virtual envelope
    bad = [(a, o) for a in range(2) for o, (b, v) in enumerate(zip(boxes[a], virt[a]))
           if b is not None and (v is None or not (v[0] <= b[0] and b[1] <= v[1]))]
    if bad:
        print(f'oracle: autograd outside the virtual envelope in {name}: {bad[:3]}', file=sys.stderr)
    whole = all(b == [0, shape[2 + a] - 1] for a, axis in enumerate(boxes) for b in axis if b is not None)
    return {'name': name, 'input': shape, 'layers': layers, **flags(layers), 'whole': whole, 'output': size, 'boxes': boxes, 'virtual': virt}


def main():
    write_cases(draw_case)


if __name__ == '__main__':
    main()
