"""SSRN generator: the self-supervised refinement network.

An encoder–decoder with a ResNet encoder whose last two stages use dilated convolutions (rates 2 and 4, no
further downsampling), and a decoder with skip connections. It works on the input pooled ×2 and predicts a
coarse correction that is upsampled bilinearly: the full-resolution detail is DLMN-G's, SSRN fixes larger-scale
errors, and stays cheap enough to run after DLMN-G at full resolution. Input: RGB + motion cue + soft segmentation + the
DLMN-G alpha; output: refined alpha and foreground (additive residuals on the DLMN-G alpha and the image; the
last layer starts at zero, so an untrained SSRN returns DLMN-G's result).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from matting_studio.engine.models.blocks import ResidualBlock, UpBlock, conv_bn_relu, pad_to_multiple


@dataclass(frozen=True)
class SSRNConfig:
    size: str
    widths: tuple[int, int, int, int, int]  # stem, stage1 (1/4), stage2 (1/8), stage3 d2, stage4 d4
    blocks: int  # residual blocks per stage


CONFIGS = {
    "lite": SSRNConfig("lite", (16, 16, 32, 32, 32), 1),
    "paper": SSRNConfig("paper", (64, 64, 128, 256, 256), 2),
}
STRIDE = 8  # the input is first pooled ×2, then the encoder downsamples ×4


def _stage(cin: int, cout: int, blocks: int, stride: int = 1, dilation: int = 1) -> nn.Sequential:
    layers = [ResidualBlock(cin, cout, stride, dilation)]
    layers += [ResidualBlock(cout, cout, 1, dilation) for _ in range(blocks - 1)]
    return nn.Sequential(*layers)


class SSRN(nn.Module):
    """``forward(image, motion, soft_seg, coarse_alpha) -> {"alpha", "foreground"}``.

    image ``(B,3,H,W)``, motion ``(B,4,H,W)``, soft_seg and coarse_alpha ``(B,1,H,W)``, all in [0,1]; any H, W.
    """

    def __init__(self, config: SSRNConfig) -> None:
        super().__init__()
        self.config = config
        c0, c1, c2, c3, c4 = config.widths
        self.stem = conv_bn_relu(9, c0, 2)
        self.stage1 = _stage(c0, c1, config.blocks)
        self.stage2 = _stage(c1, c2, config.blocks, stride=2)
        self.stage3 = _stage(c2, c3, config.blocks, dilation=2)
        self.stage4 = _stage(c3, c4, config.blocks, dilation=4)
        self.reduce = conv_bn_relu(c4 + c2, c1, kernel=1)
        self.up2 = UpBlock(c1, c1, c1)
        self.head = nn.Conv2d(c1, 4, 3, padding=1)  # a coarse correction, upsampled to the input's size
        nn.init.zeros_(self.head.weight)
        nn.init.zeros_(self.head.bias)

    def forward(self, image, motion, soft_seg, coarse_alpha):
        h, w = image.shape[-2:]
        x, _ = pad_to_multiple(torch.cat([image, motion, soft_seg, coarse_alpha], dim=1), STRIDE)
        s0 = self.stem(F.avg_pool2d(x, 2))
        s1 = self.stage1(s0)
        s2 = self.stage2(s1)
        s4 = self.stage4(self.stage3(s2))
        y = self.head(self.up2(self.reduce(torch.cat([s4, s2], 1)), s1))
        y = F.interpolate(y, size=x.shape[-2:], mode="bilinear", align_corners=False)[..., :h, :w]
        alpha = (coarse_alpha + y[:, :1]).clamp(0, 1)  # an additive correction keeps exact 0 / 1 reachable
        fg = (image + y[:, 1:]).clamp(0, 1)
        return {"alpha": alpha, "foreground": fg}


def build_ssrn(*, config: str = "lite", weights=None) -> SSRN:
    from matting_studio.engine.models.loading import load_weights, resolve_config

    model = SSRN(resolve_config(CONFIGS, config))
    if weights is not None:
        load_weights(model, weights)
    return model
