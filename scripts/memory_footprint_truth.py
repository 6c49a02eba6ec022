"""Memory-footprint truth for the zoo's torchvision models, measured in PyTorch 1.13 / torchvision 0.14
with torchinfo itself (TylerYep/torchinfo checkout, commit 5c4164f1e2e185ce33c597dbe00535bf8ed2b930).

Per model, at batch 1 and the zoo's resolution, eval mode:
  torchinfo:  summary(model, input_size, verbose=0).total_output_bytes ("Forward/backward pass size":
              2 x the first output's bytes of every executed leaf module -- no child modules -- with
              parameters), total_param_bytes ("Params size") and total_input ("Input size")
  pytorch:    sum(t.numel() * t.element_size()) over parameters and over buffers, and apart the bytes
              of BatchNorm's num_batches_tracked (int64 scalars, 8 B each: convlens declares them, buffers
              of 8 B, since fix/footprint; an ONNX file has none)
  headIn:     in_features of the classifier's last linear: the channels of the last (widest) stage
              (Swin-B's embed_dim * 2**3 = 1024), for the structure width

Writes test/fixtures/memory/footprint.json (`models`: the zoo's; `onnxOnly`: models whose ONNX exports
are fixtures, test/fixtures/catalog/, but which the zoo lacks). Run:
  PYTHONPATH=/tmp/tools/TylerYep+torchinfo /usr/bin/python3 scripts/memory_footprint_truth.py
  PYTHONPATH=/tmp/tools/TylerYep+torchinfo /usr/bin/python3 scripts/memory_footprint_truth.py swin_v2_t   (only these)
"""
import json
import os
import sys

import torch
import torchvision
import torchinfo

# zoo name, resolution (the zoo's), input rank
MODELS = [
    ('resnet18', 224), ('resnet50', 224), ('mobilenet_v2', 224), ('mobilenet_v3_large', 224),
    ('efficientnet_b0', 224), ('densenet121', 224), ('regnet_y_400mf', 224), ('shufflenet_v2_x1_0', 224),
    ('squeezenet1_1', 224), ('mnasnet1_0', 224), ('vgg16_bn', 224), ('alexnet', 224),
    ('convnext_tiny', 224), ('vit_b_16', 224), ('swin_t', 224), ('swin_s', 224), ('swin_b', 224),
    ('swin_v2_t', 256), ('maxvit_t', 224),
    # video: 16 frames of res × res (torchvision.models.video), the zoo's clip
    ('mvit_v1_b', 224), ('mvit_v2_s', 224),
]
VIDEO = {'mvit_v1_b', 'mvit_v2_s'}
# torchvision models the zoo lacks whose ONNX exports are test fixtures (test/fixtures/catalog/*.onnx)
ONNX_ONLY = [('vit_b_32', 224)]
ONLY = sys.argv[1:]


def truth(name: str, res: int) -> dict:
    torch.manual_seed(0)
    video = name in VIDEO
    m = getattr(torchvision.models.video if video else torchvision.models, name)().eval()
    shape = (1, 3, 16, res, res) if video else (1, 3, res, res)
    s = torchinfo.summary(m, input_size=shape, verbose=0, device='cpu')
    lines = [l for l in str(s).splitlines() if l.startswith(('Input size', 'Forward/backward', 'Params size', 'Estimated Total'))]
    params = sum(p.numel() * p.element_size() for p in m.parameters())
    nbt = sum(b.numel() * b.element_size() for n, b in m.named_buffers() if n.endswith('num_batches_tracked'))
    buffers = sum(b.numel() * b.element_size() for b in m.buffers())
    by_dtype: dict = {}
    for b in m.buffers():
        by_dtype[str(b.dtype)] = by_dtype.get(str(b.dtype), 0) + b.numel()
    linears = [l for l in m.modules() if isinstance(l, torch.nn.Linear)]
    return {
        'input': list(shape),
        'headIn': linears[-1].in_features if linears else None,
        'torchinfo': {
            'inputBytes': s.total_input,
            'forwardBackwardBytes': s.total_output_bytes,
            'paramsBytes': s.total_param_bytes,
            'lines': lines,
        },
        'pytorch': {
            'paramBytes': params,
            'bufferBytes': buffers,
            'numBatchesTrackedBytes': nbt,
            'bufferElementsByDtype': by_dtype,
        },
    }


path = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'memory', 'footprint.json')
out = {
    'source': 'scripts/memory_footprint_truth.py: torchinfo 5c4164f summary(), PyTorch 1.13 / torchvision 0.14',
    'models': {},
    'onnxOnly': {},
}
# with model names as arguments, only those entries are measured and replaced in the existing file
if ONLY and os.path.exists(path):
    with open(path) as f:
        out = json.load(f)
for name, res in MODELS:
    if ONLY and name not in ONLY:
        continue
    out['models'][name] = truth(name, res)
    print(name, json.dumps(out['models'][name]), flush=True)

for name, res in ONNX_ONLY:
    if ONLY and name not in ONLY:
        continue
    out['onnxOnly'][name] = truth(name, res)
    print(name, json.dumps(out['onnxOnly'][name]), flush=True)

os.makedirs(os.path.dirname(path), exist_ok=True)
with open(path, 'w') as f:
    json.dump(out, f, indent=1)
    f.write('\n')
