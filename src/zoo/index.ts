/** The built-in model zoo: name → generator of a network spec at a given input resolution. */
import type { NetworkSpec, Resolution } from './builder.js';
import { mobilenet_v1, mobilenet_v2, mobilenet_v3_large, mobilenet_v3_small } from './mobilenet.js';
import { resnet18, resnet34, resnet50, resnet101, resnet152, resnext50_32x4d, resnext101_32x8d, resnext101_64x4d, wide_resnet50_2, wide_resnet101_2 } from './resnet.js';
import { alexnet, vgg11, vgg11_bn, vgg13, vgg13_bn, vgg16, vgg16_bn, vgg19, vgg19_bn } from './vgg.js';
import { densenet121, densenet161, densenet169, densenet201 } from './densenet.js';
import { efficientnet_b0, efficientnet_b1, efficientnet_b2, efficientnet_b3, efficientnet_b4, efficientnet_b5, efficientnet_b6, efficientnet_b7, efficientnet_v2_l, efficientnet_v2_m, efficientnet_v2_s } from './efficientnet.js';
import { regnetByName, regnet_y_400mf } from './regnet.js';
import { mnasnet0_5, mnasnet0_75, mnasnet1_0, mnasnet1_3 } from './mnasnet.js';
import { yolov8n } from './yolo.js';
import { convnext_base, convnext_large, convnext_small, convnext_tiny } from './convnext.js';
import { vit_b_16, vit_b_32, vit_h_14, vit_l_16, vit_l_32 } from './vit.js';
import { swin_b, swin_s, swin_t, swin_v2_b, swin_v2_s, swin_v2_t } from './swin.js';
import { googlenet, inception_v3 } from './inception.js';
import { deeplabv3_mobilenet_v3_large, deeplabv3_resnet50, deeplabv3_resnet101, fcn_resnet50, fcn_resnet101, lraspp_mobilenet_v3_large, unet } from './segmentation.js';
import { shufflenet_v2_x0_5, shufflenet_v2_x1_0, shufflenet_v2_x1_5, shufflenet_v2_x2_0 } from './shufflenet.js';
import { squeezenet1_0, squeezenet1_1 } from './squeezenet.js';
import { mc3_18, r2plus1d_18, r3d_18 } from './video.js';
import { s3d } from './s3d.js';
import { maxvit_t } from './maxvit.js';
import { mvit_v1_b, mvit_v2_s } from './mvit.js';

export interface ZooEntry {
  name: string;
  /** Crop size the published numbers use. */
  resolution: number;
  /** torchvision's published parameter count and GMACs ("GFLOPS") at that resolution, where it has the model. */
  torchvision?: { params: number; gmacs: number };
  build(resolution?: Resolution): NetworkSpec;
}

export const ZOO: readonly ZooEntry[] = [
  { name: 'alexnet', resolution: 224, torchvision: { params: 61_100_840, gmacs: 0.71 }, build: alexnet },
  { name: 'vgg11', resolution: 224, torchvision: { params: 132_863_336, gmacs: 7.61 }, build: vgg11 },
  { name: 'vgg16', resolution: 224, torchvision: { params: 138_357_544, gmacs: 15.47 }, build: vgg16 },
  { name: 'vgg16_bn', resolution: 224, torchvision: { params: 138_365_992, gmacs: 15.47 }, build: vgg16_bn },
  { name: 'resnet18', resolution: 224, torchvision: { params: 11_689_512, gmacs: 1.81 }, build: resnet18 },
  { name: 'resnet34', resolution: 224, torchvision: { params: 21_797_672, gmacs: 3.66 }, build: resnet34 },
  { name: 'resnet50', resolution: 224, torchvision: { params: 25_557_032, gmacs: 4.09 }, build: resnet50 },
  { name: 'resnet101', resolution: 224, torchvision: { params: 44_549_160, gmacs: 7.8 }, build: resnet101 },
  { name: 'mobilenet_v1', resolution: 224, build: mobilenet_v1 },
  { name: 'mobilenet_v2', resolution: 224, torchvision: { params: 3_504_872, gmacs: 0.3 }, build: mobilenet_v2 },
  { name: 'mobilenet_v3_large', resolution: 224, torchvision: { params: 5_483_032, gmacs: 0.22 }, build: mobilenet_v3_large },
  { name: 'mobilenet_v3_small', resolution: 224, torchvision: { params: 2_542_856, gmacs: 0.06 }, build: mobilenet_v3_small },
  { name: 'shufflenet_v2_x1_0', resolution: 224, torchvision: { params: 2_278_604, gmacs: 0.14 }, build: shufflenet_v2_x1_0 },
  { name: 'squeezenet1_1', resolution: 224, torchvision: { params: 1_235_496, gmacs: 0.35 }, build: squeezenet1_1 },
  { name: 'googlenet', resolution: 224, torchvision: { params: 6_624_904, gmacs: 1.5 }, build: googlenet },
  { name: 'inception_v3', resolution: 299, torchvision: { params: 27_161_264, gmacs: 5.71 }, build: inception_v3 },
  { name: 'densenet121', resolution: 224, torchvision: { params: 7_978_856, gmacs: 2.83 }, build: densenet121 },
  { name: 'efficientnet_b0', resolution: 224, torchvision: { params: 5_288_548, gmacs: 0.39 }, build: efficientnet_b0 },
  { name: 'unet', resolution: 256, build: (r?: number) => unet({ resolution: r }) },
  { name: 'deeplabv3_resnet50', resolution: 520, torchvision: { params: 42_004_074, gmacs: 178.72 }, build: deeplabv3_resnet50 },
  { name: 'resnext50_32x4d', resolution: 224, torchvision: { params: 25_028_904, gmacs: 4.23 }, build: resnext50_32x4d },
  { name: 'wide_resnet50_2', resolution: 224, torchvision: { params: 68_883_240, gmacs: 11.4 }, build: wide_resnet50_2 },
  { name: 'regnet_y_400mf', resolution: 224, torchvision: { params: 4_344_144, gmacs: 0.4 }, build: regnet_y_400mf },
  { name: 'mnasnet1_0', resolution: 224, torchvision: { params: 4_383_312, gmacs: 0.31 }, build: mnasnet1_0 },
  { name: 'efficientnet_v2_s', resolution: 384, torchvision: { params: 21_458_488, gmacs: 8.37 }, build: efficientnet_v2_s },
  { name: 'fcn_resnet50', resolution: 520, torchvision: { params: 35_322_218, gmacs: 152.72 }, build: fcn_resnet50 },
  { name: 'lraspp_mobilenet_v3_large', resolution: 520, torchvision: { params: 3_221_538, gmacs: 2.09 }, build: lraspp_mobilenet_v3_large },
  { name: 'yolov8n', resolution: 640, build: yolov8n },
  { name: 'convnext_tiny', resolution: 224, torchvision: { params: 28_589_128, gmacs: 4.46 }, build: convnext_tiny },
  { name: 'vit_b_16', resolution: 224, torchvision: { params: 86_567_656, gmacs: 17.56 }, build: vit_b_16 },
  { name: 'swin_t', resolution: 224, torchvision: { params: 28_288_354, gmacs: 4.49 }, build: swin_t },
  { name: 'swin_s', resolution: 224, torchvision: { params: 49_606_258, gmacs: 8.74 }, build: swin_s },
  { name: 'swin_b', resolution: 224, torchvision: { params: 87_768_224, gmacs: 15.43 }, build: swin_b },
  // Swin V2: num_params from Swin_V2_*_Weights (0.14, at 256: min_size), GFLOPS from later torchvision docs (0.14's meta has none)
  { name: 'swin_v2_t', resolution: 256, torchvision: { params: 28_351_570, gmacs: 5.94 }, build: swin_v2_t },
  { name: 'swin_v2_s', resolution: 256, torchvision: { params: 49_737_442, gmacs: 11.55 }, build: swin_v2_s },
  { name: 'swin_v2_b', resolution: 256, torchvision: { params: 87_930_848, gmacs: 20.32 }, build: swin_v2_b },
  { name: 'r3d_18', resolution: 112, torchvision: { params: 33_371_472, gmacs: 40.7 }, build: (r) => r3d_18(r) },
  { name: 'mc3_18', resolution: 112, torchvision: { params: 11_695_440, gmacs: 43.34 }, build: (r) => mc3_18(r) },
  { name: 'r2plus1d_18', resolution: 112, torchvision: { params: 31_505_325, gmacs: 40.52 }, build: (r) => r2plus1d_18(r) },
  { name: 'resnet152', resolution: 224, torchvision: { params: 60_192_808, gmacs: 11.51 }, build: resnet152 },
  { name: 'efficientnet_b1', resolution: 240, torchvision: { params: 7_794_184, gmacs: 0.69 }, build: (r) => efficientnet_b1(r) },
  { name: 'efficientnet_b2', resolution: 288, torchvision: { params: 9_109_994, gmacs: 1.09 }, build: (r) => efficientnet_b2(r) },
  { name: 'efficientnet_b3', resolution: 300, torchvision: { params: 12_233_232, gmacs: 1.83 }, build: (r) => efficientnet_b3(r) },
  { name: 'efficientnet_b4', resolution: 380, torchvision: { params: 19_341_616, gmacs: 4.39 }, build: (r) => efficientnet_b4(r) },
  { name: 'efficientnet_b5', resolution: 456, torchvision: { params: 30_389_784, gmacs: 10.27 }, build: (r) => efficientnet_b5(r) },
  { name: 'efficientnet_b6', resolution: 528, torchvision: { params: 43_040_704, gmacs: 19.07 }, build: (r) => efficientnet_b6(r) },
  { name: 'efficientnet_b7', resolution: 600, torchvision: { params: 66_347_960, gmacs: 37.75 }, build: (r) => efficientnet_b7(r) },
  { name: 'regnet_y_800mf', resolution: 224, torchvision: { params: 6_432_512, gmacs: 0.83 }, build: regnetByName('regnet_y_800mf') },
  { name: 'regnet_y_1_6gf', resolution: 224, torchvision: { params: 11_202_430, gmacs: 1.61 }, build: regnetByName('regnet_y_1_6gf') },
  { name: 'regnet_y_3_2gf', resolution: 224, torchvision: { params: 19_436_338, gmacs: 3.18 }, build: regnetByName('regnet_y_3_2gf') },
  { name: 'regnet_y_8gf', resolution: 224, torchvision: { params: 39_381_472, gmacs: 8.47 }, build: regnetByName('regnet_y_8gf') },
  { name: 'regnet_y_16gf', resolution: 224, torchvision: { params: 83_590_140, gmacs: 15.91 }, build: regnetByName('regnet_y_16gf') },
  { name: 'regnet_y_32gf', resolution: 224, torchvision: { params: 145_046_770, gmacs: 32.28 }, build: regnetByName('regnet_y_32gf') },
  { name: 'regnet_y_128gf', resolution: 224, torchvision: { params: 644_812_894, gmacs: 127.52 }, build: regnetByName('regnet_y_128gf') },
  { name: 'regnet_x_400mf', resolution: 224, torchvision: { params: 5_495_976, gmacs: 0.41 }, build: regnetByName('regnet_x_400mf') },
  { name: 'regnet_x_800mf', resolution: 224, torchvision: { params: 7_259_656, gmacs: 0.8 }, build: regnetByName('regnet_x_800mf') },
  { name: 'regnet_x_1_6gf', resolution: 224, torchvision: { params: 9_190_136, gmacs: 1.6 }, build: regnetByName('regnet_x_1_6gf') },
  { name: 'regnet_x_3_2gf', resolution: 224, torchvision: { params: 15_296_552, gmacs: 3.18 }, build: regnetByName('regnet_x_3_2gf') },
  { name: 'regnet_x_8gf', resolution: 224, torchvision: { params: 39_572_648, gmacs: 7.995 }, build: regnetByName('regnet_x_8gf') },
  { name: 'regnet_x_16gf', resolution: 224, torchvision: { params: 54_278_536, gmacs: 15.94 }, build: regnetByName('regnet_x_16gf') },
  { name: 'regnet_x_32gf', resolution: 224, torchvision: { params: 107_811_560, gmacs: 31.74 }, build: regnetByName('regnet_x_32gf') },
  // the rest of torchvision 0.14's builders that the generators above parametrise
  { name: 'vgg11_bn', resolution: 224, torchvision: { params: 132_868_840, gmacs: 7.61 }, build: vgg11_bn },
  { name: 'vgg13', resolution: 224, torchvision: { params: 133_047_848, gmacs: 11.31 }, build: vgg13 },
  { name: 'vgg13_bn', resolution: 224, torchvision: { params: 133_053_736, gmacs: 11.31 }, build: vgg13_bn },
  { name: 'vgg19', resolution: 224, torchvision: { params: 143_667_240, gmacs: 19.63 }, build: vgg19 },
  { name: 'vgg19_bn', resolution: 224, torchvision: { params: 143_678_248, gmacs: 19.63 }, build: vgg19_bn },
  { name: 'resnext101_32x8d', resolution: 224, torchvision: { params: 88_791_336, gmacs: 16.41 }, build: resnext101_32x8d },
  { name: 'resnext101_64x4d', resolution: 224, torchvision: { params: 83_455_272, gmacs: 15.46 }, build: resnext101_64x4d },
  { name: 'wide_resnet101_2', resolution: 224, torchvision: { params: 126_886_696, gmacs: 22.75 }, build: wide_resnet101_2 },
  { name: 'densenet161', resolution: 224, torchvision: { params: 28_681_000, gmacs: 7.73 }, build: densenet161 },
  { name: 'densenet169', resolution: 224, torchvision: { params: 14_149_480, gmacs: 3.36 }, build: densenet169 },
  { name: 'densenet201', resolution: 224, torchvision: { params: 20_013_928, gmacs: 4.29 }, build: densenet201 },
  { name: 'squeezenet1_0', resolution: 224, torchvision: { params: 1_248_424, gmacs: 0.82 }, build: squeezenet1_0 },
  { name: 'shufflenet_v2_x0_5', resolution: 224, torchvision: { params: 1_366_792, gmacs: 0.04 }, build: shufflenet_v2_x0_5 },
  { name: 'shufflenet_v2_x1_5', resolution: 224, torchvision: { params: 3_503_624, gmacs: 0.3 }, build: shufflenet_v2_x1_5 },
  { name: 'shufflenet_v2_x2_0', resolution: 224, torchvision: { params: 7_393_996, gmacs: 0.58 }, build: shufflenet_v2_x2_0 },
  { name: 'mnasnet0_5', resolution: 224, torchvision: { params: 2_218_512, gmacs: 0.1 }, build: mnasnet0_5 },
  { name: 'mnasnet0_75', resolution: 224, torchvision: { params: 3_170_208, gmacs: 0.21 }, build: mnasnet0_75 },
  { name: 'mnasnet1_3', resolution: 224, torchvision: { params: 6_282_256, gmacs: 0.53 }, build: mnasnet1_3 },
  { name: 'efficientnet_v2_m', resolution: 480, torchvision: { params: 54_139_356, gmacs: 24.58 }, build: (r) => efficientnet_v2_m(r) },
  { name: 'efficientnet_v2_l', resolution: 480, torchvision: { params: 118_515_272, gmacs: 56.08 }, build: (r) => efficientnet_v2_l(r) },
  { name: 'convnext_small', resolution: 224, torchvision: { params: 50_223_688, gmacs: 8.68 }, build: convnext_small },
  { name: 'convnext_base', resolution: 224, torchvision: { params: 88_591_464, gmacs: 15.36 }, build: convnext_base },
  { name: 'convnext_large', resolution: 224, torchvision: { params: 197_767_336, gmacs: 34.36 }, build: convnext_large },
  { name: 'vit_b_32', resolution: 224, torchvision: { params: 88_224_232, gmacs: 4.41 }, build: vit_b_32 },
  { name: 'vit_l_16', resolution: 224, torchvision: { params: 304_326_632, gmacs: 61.55 }, build: vit_l_16 },
  { name: 'vit_l_32', resolution: 224, torchvision: { params: 306_535_400, gmacs: 15.38 }, build: vit_l_32 },
  // IMAGENET1K_SWAG_LINEAR_V1's figures, at 224 (the builder's default image_size; the E2E weights are at 518)
  { name: 'vit_h_14', resolution: 224, torchvision: { params: 632_045_800, gmacs: 167.29 }, build: vit_h_14 },
  { name: 'fcn_resnet101', resolution: 520, torchvision: { params: 54_314_346, gmacs: 232.74 }, build: fcn_resnet101 },
  { name: 'deeplabv3_resnet101', resolution: 520, torchvision: { params: 60_996_202, gmacs: 258.74 }, build: deeplabv3_resnet101 },
  { name: 'deeplabv3_mobilenet_v3_large', resolution: 520, torchvision: { params: 11_029_328, gmacs: 10.45 }, build: deeplabv3_mobilenet_v3_large },
  // MaxViT-T: GFLOPS count the attention's q·kᵀ and attn·v einsums (src/zoo/maxvit.ts)
  { name: 'maxvit_t', resolution: 224, torchvision: { params: 30_919_624, gmacs: 5.56 }, build: maxvit_t },
  // video, 16 frames of `resolution`²: num_params from S3D_Weights (0.14), GFLOPS from later torchvision docs (0.14's meta has none)
  { name: 's3d', resolution: 224, torchvision: { params: 8_320_048, gmacs: 17.98 }, build: (r) => s3d(r) },
  // MViT, 16 frames of 224² (torchvision fixes both): num_params from MViT_V1_B_Weights and MViT_V2_S_Weights (0.14), GFLOPS from later torchvision docs (0.14's meta has none)
  { name: 'mvit_v1_b', resolution: 224, torchvision: { params: 36_610_672, gmacs: 70.6 }, build: mvit_v1_b },
  { name: 'mvit_v2_s', resolution: 224, torchvision: { params: 34_537_744, gmacs: 64.22 }, build: mvit_v2_s },
];

export const ZOO_BY_NAME: ReadonlyMap<string, ZooEntry> = new Map(ZOO.map((z) => [z.name, z]));
