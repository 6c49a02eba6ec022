"""Figures the README's --memory paragraph quotes, measured in PyTorch 1.13 / torchvision 0.14.

torchinfo's forward/backward pass size by its rule (model_statistics.py: 2 x the output bytes of every
leaf module with parameters), applied with forward hooks; and what PyTorch holds as weights
(parameters + buffers, each at its own element size). Run: /usr/bin/python3 scripts/memory_footprint_truth.py
"""
import torch
import torchvision

MODELS = ['resnet18', 'mobilenet_v2', 'efficientnet_b0', 'convnext_tiny', 'vit_b_16', 'swin_t', 'swin_b']


def torchinfo_forward_backward(m: torch.nn.Module, x: torch.Tensor) -> int:
    total = [0]

    def hook(mod, inp, out):
        if not any(mod.children()) and sum(p.numel() for p in mod.parameters()) > 0:
            o = out[0] if isinstance(out, (tuple, list)) else out
            total[0] += o.numel() * o.element_size() * 2

    handles = [mm.register_forward_hook(hook) for mm in m.modules()]
    with torch.no_grad():
        m(x)
    for h in handles:
        h.remove()
    return total[0]


for name in MODELS:
    m = getattr(torchvision.models, name)().eval()
    weights = sum(p.numel() * p.element_size() for p in m.parameters()) + sum(b.numel() * b.element_size() for b in m.buffers())
    buffers = sum(b.numel() for b in m.buffers() if b.dtype.is_floating_point or b.dim() > 0)
    print(f'{name}: torchinfo forward/backward {torchinfo_forward_backward(m, torch.randn(1, 3, 224, 224))} B, weights {weights} B, buffers {buffers}')
