#!/usr/bin/env python3
"""Ground truth from PyTorch for the model zoo and the analyzer's receptive fields.

Writes test/fixtures/torchvision/truth.json. For each torchvision model at its crop size:
  params      sum of parameter sizes (buffers excluded), as torchvision's num_params
  macs        conv/linear multiply-accumulates measured by forward hooks on the real modules:
              Conv2d N*Cout*H'*W'*(Cin/g)*kh*kw, ConvTranspose2d N*Cin*H*W*(Cout/g)*kh*kw,
              Linear rows*in*out (bias excluded), the torchvision/fvcore rule
  shapes      output shape of every Conv2d/Linear/BatchNorm2d/pooling module, by module name
  output      the logits' shape
and, under "nonSquare", the same for a few models at an H×W input (NON_SQUARE: a sweep's
non-square sizes, where a segmentation head upsamples to both sides, and Inception-v3 below 299,
where its training-only head cannot run); and, for feature
extractors, the receptive field measured by autograd: weights set to 1,
biases to 0, BN to identity, max pooling replaced by average pooling of the same geometry,
ReLU6 swapped for ReLU, then the gradient of one output unit w.r.t. the input marks the
pixels it sees.

Run: /usr/bin/python3 scripts/torchvision_truth.py   (Debian python3-torch, python3-torchvision)
     /usr/bin/python3 scripts/torchvision_truth.py --non-square   (only the nonSquare entries)
"""
import json
import sys
from pathlib import Path

import torch
import torch.nn as nn
import torchvision.models as tvm

torch.manual_seed(0)
OUT = Path(__file__).resolve().parent.parent / "test" / "fixtures" / "torchvision" / "truth.json"

MODELS = {
    "alexnet": (tvm.alexnet, 224, {}),
    "vgg11": (tvm.vgg11, 224, {}),
    "vgg16": (tvm.vgg16, 224, {}),
    "vgg16_bn": (tvm.vgg16_bn, 224, {}),
    "resnet18": (tvm.resnet18, 224, {}),
    "resnet34": (tvm.resnet34, 224, {}),
    "resnet50": (tvm.resnet50, 224, {}),
    "resnet101": (tvm.resnet101, 224, {}),
    "mobilenet_v2": (tvm.mobilenet_v2, 224, {}),
    "mobilenet_v3_large": (tvm.mobilenet_v3_large, 224, {}),
    "mobilenet_v3_small": (tvm.mobilenet_v3_small, 224, {}),
    "shufflenet_v2_x1_0": (tvm.shufflenet_v2_x1_0, 224, {}),
    "squeezenet1_1": (tvm.squeezenet1_1, 224, {}),
    "googlenet": (tvm.googlenet, 224, {"aux_logits": False, "init_weights": False}),
    "inception_v3": (tvm.inception_v3, 299, {"aux_logits": True, "init_weights": False}),
    "densenet121": (tvm.densenet121, 224, {}),
    "efficientnet_b0": (tvm.efficientnet_b0, 224, {}),
    "deeplabv3_resnet50": (tvm.segmentation.deeplabv3_resnet50, 520, {"weights_backbone": None, "aux_loss": True}),
    "resnext50_32x4d": (tvm.resnext50_32x4d, 224, {}),
    "wide_resnet50_2": (tvm.wide_resnet50_2, 224, {}),
    "regnet_y_400mf": (tvm.regnet_y_400mf, 224, {}),
    "mnasnet1_0": (tvm.mnasnet1_0, 224, {}),
    "efficientnet_v2_s": (tvm.efficientnet_v2_s, 384, {}),
    "fcn_resnet50": (tvm.segmentation.fcn_resnet50, 520, {"weights_backbone": None, "aux_loss": True}),
    "lraspp_mobilenet_v3_large": (tvm.segmentation.lraspp_mobilenet_v3_large, 520, {"weights_backbone": None}),
    "convnext_tiny": (tvm.convnext_tiny, 224, {}),
    "vit_b_16": (tvm.vit_b_16, 224, {}),
    "swin_t": (tvm.swin_t, 224, {}),
    "swin_s": (tvm.swin_s, 224, {}),
    "swin_b": (tvm.swin_b, 224, {}),
    # Swin V2 at 256, the crop its weights are published at (min_size 256)
    "swin_v2_t": (tvm.swin_v2_t, 256, {}),
    "swin_v2_s": (tvm.swin_v2_s, 256, {}),
    "swin_v2_b": (tvm.swin_v2_b, 256, {}),
    "resnet152": (tvm.resnet152, 224, {}),
    "efficientnet_b1": (tvm.efficientnet_b1, 240, {}),
    "efficientnet_b2": (tvm.efficientnet_b2, 288, {}),
    "efficientnet_b3": (tvm.efficientnet_b3, 300, {}),
    "efficientnet_b4": (tvm.efficientnet_b4, 380, {}),
    "efficientnet_b5": (tvm.efficientnet_b5, 456, {}),
    "efficientnet_b6": (tvm.efficientnet_b6, 528, {}),
    "efficientnet_b7": (tvm.efficientnet_b7, 600, {}),
    "regnet_y_800mf": (tvm.regnet_y_800mf, 224, {}),
    "regnet_y_1_6gf": (tvm.regnet_y_1_6gf, 224, {}),
    "regnet_y_3_2gf": (tvm.regnet_y_3_2gf, 224, {}),
    "regnet_y_8gf": (tvm.regnet_y_8gf, 224, {}),
    "regnet_y_16gf": (tvm.regnet_y_16gf, 224, {}),
    "regnet_y_32gf": (tvm.regnet_y_32gf, 224, {}),
    "regnet_y_128gf": (tvm.regnet_y_128gf, 224, {}),
    "regnet_x_400mf": (tvm.regnet_x_400mf, 224, {}),
    "regnet_x_800mf": (tvm.regnet_x_800mf, 224, {}),
    "regnet_x_1_6gf": (tvm.regnet_x_1_6gf, 224, {}),
    "regnet_x_3_2gf": (tvm.regnet_x_3_2gf, 224, {}),
    "regnet_x_8gf": (tvm.regnet_x_8gf, 224, {}),
    "regnet_x_16gf": (tvm.regnet_x_16gf, 224, {}),
    "regnet_x_32gf": (tvm.regnet_x_32gf, 224, {}),
    # every other torchvision 0.14 builder with a parametrised generator
    "vgg11_bn": (tvm.vgg11_bn, 224, {}),
    "vgg13": (tvm.vgg13, 224, {}),
    "vgg13_bn": (tvm.vgg13_bn, 224, {}),
    "vgg19": (tvm.vgg19, 224, {}),
    "vgg19_bn": (tvm.vgg19_bn, 224, {}),
    "resnext101_32x8d": (tvm.resnext101_32x8d, 224, {}),
    "resnext101_64x4d": (tvm.resnext101_64x4d, 224, {}),
    "wide_resnet101_2": (tvm.wide_resnet101_2, 224, {}),
    "densenet161": (tvm.densenet161, 224, {}),
    "densenet169": (tvm.densenet169, 224, {}),
    "densenet201": (tvm.densenet201, 224, {}),
    "squeezenet1_0": (tvm.squeezenet1_0, 224, {}),
    "shufflenet_v2_x0_5": (tvm.shufflenet_v2_x0_5, 224, {}),
    "shufflenet_v2_x1_5": (tvm.shufflenet_v2_x1_5, 224, {}),
    "shufflenet_v2_x2_0": (tvm.shufflenet_v2_x2_0, 224, {}),
    "mnasnet0_5": (tvm.mnasnet0_5, 224, {}),
    "mnasnet0_75": (tvm.mnasnet0_75, 224, {}),
    "mnasnet1_3": (tvm.mnasnet1_3, 224, {}),
    "efficientnet_v2_m": (tvm.efficientnet_v2_m, 480, {}),
    "efficientnet_v2_l": (tvm.efficientnet_v2_l, 480, {}),
    "convnext_small": (tvm.convnext_small, 224, {}),
    "convnext_base": (tvm.convnext_base, 224, {}),
    "convnext_large": (tvm.convnext_large, 224, {}),
    "vit_b_32": (tvm.vit_b_32, 224, {}),
    "vit_l_16": (tvm.vit_l_16, 224, {}),
    "vit_l_32": (tvm.vit_l_32, 224, {}),
    "vit_h_14": (tvm.vit_h_14, 224, {}),
    "fcn_resnet101": (tvm.segmentation.fcn_resnet101, 520, {"weights_backbone": None, "aux_loss": True}),
    "deeplabv3_resnet101": (tvm.segmentation.deeplabv3_resnet101, 520, {"weights_backbone": None, "aux_loss": True}),
    "deeplabv3_mobilenet_v3_large": (tvm.segmentation.deeplabv3_mobilenet_v3_large, 520, {"weights_backbone": None, "aux_loss": True}),
    "maxvit_t": (tvm.maxvit_t, 224, {}),
}
# video models: (builder, frame side, frames), input [1, 3, frames, side, side] (the video ResNets'
# hook counts are in test/zoo/video.test.ts)
VIDEO = {
    "s3d": (tvm.video.s3d, 224, 16),
    "mvit_v1_b": (tvm.video.mvit_v1_b, 224, 16),
    "mvit_v2_s": (tvm.video.mvit_v2_s, 224, 16),
}
# nn.MultiheadAttention multiplies by its in_proj_weight and out_proj.weight without calling a module,
# and its q·kᵀ, attn·v are bare matrix products: module hooks miss them, so these models' MACs are
# counted on the ATen ops instead (export_catalog.count_macs: convolution, mm, addmm, bmm, baddbmm).
# Swin's shifted_window_attention likewise calls F.linear on its qkv/proj weights and Tensor.matmul.
MACS_FROM_ATEN = {"vit_b_16", "vit_b_32", "vit_l_16", "vit_l_32", "vit_h_14", "swin_t", "swin_s", "swin_b"}
# Swin V2 too; its cpb_mlp Linears run once per forward on the relative-coordinates table (two mm's of
# (2w − 1)² rows per block), which both the ATen count and the module hooks see once
MACS_FROM_ATEN |= {"swin_v2_t", "swin_v2_s", "swin_v2_b"}
# MaxViT's RelativePositionalMultiHeadAttention multiplies q·kᵀ and attn·v by torch.einsum (bmm on ATen), no module
MACS_FROM_ATEN |= {"maxvit_t"}
# MViT's MultiscaleAttention: q·kᵀ and attn·v are torch.matmul, _add_rel_pos's einsums and matmul bmm's (ATen)
MACS_FROM_ATEN |= {"mvit_v1_b", "mvit_v2_s"}

# (model, H, W): fully convolutional heads, global pooling, Swin's padded windows, YOLO-free (not torchvision)
NON_SQUARE = [
    ("deeplabv3_resnet50", 520, 640),
    ("fcn_resnet50", 320, 256),
    ("lraspp_mobilenet_v3_large", 256, 320),
    ("resnet18", 224, 320),
    ("efficientnet_b0", 320, 224),
    ("convnext_tiny", 224, 288),
    ("swin_t", 224, 256),
    # below 299 the training-only AuxLogits head cannot run (eval mode skips it; its params count)
    ("inception_v3", 200, 224),
    ("inception_v3", 75, 96),
]

RECORDED = (nn.Conv2d, nn.ConvTranspose2d, nn.Linear, nn.BatchNorm2d, nn.LayerNorm, nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d,
            nn.Conv3d, nn.BatchNorm3d, nn.MaxPool3d, nn.AvgPool3d, nn.AdaptiveAvgPool3d)


def measure(model, res, aten_macs=False, frames=None):
    """res: a side, or (H, W); frames: a video model's clip length (input [1, 3, frames, H, W])."""
    h_in, w_in = (res, res) if isinstance(res, int) else res
    shape = (1, 3, h_in, w_in) if frames is None else (1, 3, frames, h_in, w_in)
    model.eval()
    macs = 0
    shapes = {}

    def hook(name):
        def fn(mod, inp, out):
            nonlocal macs
            x = inp[0]
            if isinstance(mod, nn.Conv3d):
                macs += out.numel() * (mod.in_channels // mod.groups) * mod.kernel_size[0] * mod.kernel_size[1] * mod.kernel_size[2]
            elif isinstance(mod, nn.Conv2d):
                n, _, h, w = out.shape
                macs += n * mod.out_channels * h * w * (mod.in_channels // mod.groups) * mod.kernel_size[0] * mod.kernel_size[1]
            elif isinstance(mod, nn.ConvTranspose2d):
                n, _, h, w = x.shape
                macs += n * mod.in_channels * h * w * (mod.out_channels // mod.groups) * mod.kernel_size[0] * mod.kernel_size[1]
            elif isinstance(mod, nn.Linear):
                macs += (x.numel() // mod.in_features) * mod.in_features * mod.out_features
            shapes[name] = list(out.shape)
        return fn

    handles = [m.register_forward_hook(hook(n)) for n, m in model.named_modules() if isinstance(m, RECORDED)]
    with torch.no_grad():
        y = model(torch.zeros(*shape))
    for h in handles:
        h.remove()
    if isinstance(y, tuple):
        y = y[0]
    if isinstance(y, dict):
        y = y["out"]
    params = sum(p.numel() for p in model.parameters())
    if aten_macs:
        from export_catalog import count_macs
        macs, _ = count_macs(model, torch.zeros(*shape))
    return {"resolution": res if isinstance(res, int) else [h_in, w_in], "params": params, "macs": macs, "output": list(y.shape), "shapes": shapes}


def rf_ready(module):
    """Positive weights, biases 0, BN identity, ReLU6 → ReLU (its clamp would zero gradients once
    residual sums pass 6), max pooling → average pooling of the same geometry."""
    for name, child in module.named_children():
        if isinstance(child, nn.ReLU6):
            setattr(module, name, nn.ReLU())
        elif isinstance(child, nn.MaxPool2d):
            setattr(module, name, nn.AvgPool2d(child.kernel_size, child.stride, child.padding, child.ceil_mode))
        elif isinstance(child, nn.BatchNorm2d):
            setattr(module, name, nn.Identity())
        else:
            rf_ready(child)
    for m in module.modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            nn.init.constant_(m.weight, 1.0 / max(1, m.weight[0].numel()))
            if m.bias is not None:
                nn.init.zeros_(m.bias)
    return module


def rf_of(features, size=600):
    """Size, effective stride and effective padding per axis from the gradient of two output units."""
    features = rf_ready(features).double().eval()
    x = torch.ones(1, 3, size, size, dtype=torch.double, requires_grad=True)
    y = features(x)
    oh, ow = y.shape[2], y.shape[3]
    cy, cx = oh // 2, ow // 2

    def region(i, j):
        if x.grad is not None:
            x.grad = None
        g, = torch.autograd.grad(y[0, :, i, j].sum(), x, retain_graph=True)
        nz = (g[0].abs().sum(0) > 0).nonzero()
        return nz[:, 0].min().item(), nz[:, 0].max().item(), nz[:, 1].min().item(), nz[:, 1].max().item()

    r0 = region(cy, cx)
    r1 = region(cy + 1, cx + 1)
    size_h, size_w = r0[1] - r0[0] + 1, r0[3] - r0[2] + 1
    stride_h, stride_w = r1[0] - r0[0], r1[2] - r0[2]
    return {
        "inputSize": size,
        "size": [size_h, size_w],
        "stride": [stride_h, stride_w],
        "padding": [cy * stride_h - r0[0], cx * stride_w - r0[2]],
    }


def feature_extractors():
    def resnet_features(m):
        return nn.Sequential(m.conv1, m.bn1, m.relu, m.maxpool, m.layer1, m.layer2, m.layer3, m.layer4)
    return {
        "vgg16": ("features.30", lambda: tvm.vgg16().features),
        "alexnet": ("features.12", lambda: tvm.alexnet().features),
        "resnet18": ("layer4.1.relu", lambda: resnet_features(tvm.resnet18())),
        "resnet50": ("layer4.2.relu", lambda: resnet_features(tvm.resnet50())),
        "mobilenet_v2": ("features.18.2", lambda: tvm.mobilenet_v2().features),
    }


def main():
    """With model names as arguments, measures only those and updates the existing file."""
    only = set(sys.argv[1:])
    out = {"torch": torch.__version__, "models": {}, "receptiveFields": {}}
    if only and OUT.exists():
        out = json.loads(OUT.read_text())
    if not only or "--non-square" in only:
        out["nonSquare"] = {}
        for name, h, w in NON_SQUARE:
            ctor, _, kw = MODELS[name]
            key = f"{name}@{h}x{w}"
            out["nonSquare"][key] = measure(ctor(weights=None, **kw), (h, w), aten_macs=name in MACS_FROM_ATEN)
            print(key, out["nonSquare"][key]["params"], out["nonSquare"][key]["macs"], out["nonSquare"][key]["output"], flush=True)
        only.discard("--non-square")
        if not only and OUT.exists() and len(sys.argv) > 1:
            OUT.write_text(json.dumps(out, indent=1) + "\n")
            return
    for name, (ctor, res, kw) in MODELS.items():
        if only and name not in only:
            continue
        out["models"][name] = measure(ctor(weights=None, **kw), res, aten_macs=name in MACS_FROM_ATEN)
        print(name, out["models"][name]["params"], out["models"][name]["macs"], flush=True)
    for name, (ctor, res, frames) in VIDEO.items():
        if only and name not in only:
            continue
        out["models"][name] = measure(ctor(weights=None), res, aten_macs=name in MACS_FROM_ATEN, frames=frames)
        out["models"][name]["frames"] = frames
        print(name, out["models"][name]["params"], out["models"][name]["macs"], flush=True)
    for name, (layer, ctor) in feature_extractors().items():
        if only and name not in only:
            continue
        rf = rf_of(ctor())
        rf["layer"] = layer
        out["receptiveFields"][name] = rf
        print("rf", name, rf, flush=True)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
