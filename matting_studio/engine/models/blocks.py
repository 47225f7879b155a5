"""Building blocks shared by the networks (tensors are ``(B, C, H, W)``)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


def conv_bn_relu(cin: int, cout: int, stride: int = 1, dilation: int = 1, kernel: int = 3) -> nn.Sequential:
    """3×3 conv + BatchNorm + ReLU (the paper's encoder unit)."""
    pad = dilation * (kernel // 2)
    return nn.Sequential(
        nn.Conv2d(cin, cout, kernel, stride, pad, dilation=dilation, bias=False),
        nn.BatchNorm2d(cout),
        nn.ReLU(inplace=True),
    )


class ResidualBlock(nn.Module):
    """Basic ResNet block (two 3×3 convs, optional dilation / stride, projection shortcut when needed)."""

    def __init__(self, cin: int, cout: int, stride: int = 1, dilation: int = 1) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, dilation, dilation=dilation, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, dilation, dilation=dilation, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = (
            nn.Identity() if stride == 1 and cin == cout
            else nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu(self.bn1(self.conv1(x)), inplace=True)
        y = self.bn2(self.conv2(y))
        return F.relu(y + self.shortcut(x), inplace=True)


class UpBlock(nn.Module):
    """×2 bilinear upsampling, concatenation with a skip feature, then conv + BN + ReLU.

    The conv over the concatenation is computed as the sum of its two halves' convs (the same numbers up to float
    rounding): the concatenated map is never written, which at full resolution was a fifth of DLMN-G's CPU time."""

    def __init__(self, cin: int, cskip: int, cout: int) -> None:
        super().__init__()
        self.cin = cin
        self.conv = conv_bn_relu(cin + cskip, cout)

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        x = F.interpolate(x, size=skip.shape[-2:], mode="bilinear", align_corners=False)
        conv = self.conv[0]
        weight = conv.weight
        y = F.conv2d(x, weight[:, :self.cin], conv.bias, conv.stride, conv.padding, conv.dilation)
        y = y + F.conv2d(skip, weight[:, self.cin:], None, conv.stride, conv.padding, conv.dilation)
        return self.conv[1:](y)


def pad_to_multiple(x: torch.Tensor, multiple: int) -> tuple[torch.Tensor, tuple[int, int]]:
    """Replicate-pad bottom/right so H and W are multiples of ``multiple``; returns (padded, (H, W))."""
    h, w = x.shape[-2:]
    ph, pw = (-h) % multiple, (-w) % multiple
    if ph or pw:
        x = F.pad(x, (0, pw, 0, ph), mode="replicate")
    return x, (h, w)


def logit(p: torch.Tensor, eps: float = 1e-3) -> torch.Tensor:
    p = p.clamp(eps, 1 - eps)
    return torch.log(p) - torch.log1p(-p)


def trimap_channels(trimap: torch.Tensor | None, like: torch.Tensor) -> torch.Tensor:
    """``(B, 2, H, W)`` known-foreground / known-background masks (zeros when no trimap is given)."""
    if trimap is None:
        return like.new_zeros(like.shape[0], 2, *like.shape[-2:])
    return torch.cat([(trimap > 0.75).float(), (trimap < 0.25).float()], dim=1)


def apply_known(alpha: torch.Tensor, trimap: torch.Tensor | None) -> torch.Tensor:
    """Force alpha to 1 / 0 where the trimap says known foreground / background."""
    if trimap is None:
        return alpha
    alpha = torch.where(trimap > 0.75, torch.ones_like(alpha), alpha)
    return torch.where(trimap < 0.25, torch.zeros_like(alpha), alpha)


def fold_batchnorm(model: nn.Module) -> nn.Module:
    """Fold every BatchNorm that directly follows a conv into that conv (inference only: the model must be in eval
    mode). The same outputs up to float rounding, one pass over each feature map fewer. Returns ``model``."""
    from torch.nn.utils.fusion import fuse_conv_bn_eval

    if model.training:
        raise ValueError("fold_batchnorm is for inference: call model.eval() first.")
    for module in model.modules():
        if isinstance(module, nn.Sequential):
            for i in range(len(module) - 1):
                if isinstance(module[i], nn.Conv2d) and isinstance(module[i + 1], nn.BatchNorm2d):
                    module[i] = fuse_conv_bn_eval(module[i], module[i + 1])
                    module[i + 1] = nn.Identity()
        elif isinstance(module, ResidualBlock):
            for conv, bn in (("conv1", "bn1"), ("conv2", "bn2")):
                if isinstance(getattr(module, bn), nn.BatchNorm2d):
                    setattr(module, conv, fuse_conv_bn_eval(getattr(module, conv), getattr(module, bn)))
                    setattr(module, bn, nn.Identity())
    return model
