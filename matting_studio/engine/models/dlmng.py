"""DLMN-G: the supervised encoder–decoder of deep residual background matting.

Separate encoders (3×3 conv + BatchNorm + ReLU) for the image, the soft segmentation (+ optional trimap
guidance) and the motion cues; a *combinator* fusing image+segmentation, image+motion and image+image into
64-channel maps each (``paper``); residual blocks; two decoders with skip connections from the image encoder,
one for alpha and one for the foreground colour.

``lite`` also feeds the image encoder and the full-resolution decoder stage with a classical matting prior
(:func:`.colour_prior.matting_prior`, computed once by the caller: propagated foreground / background colours and
four alpha cues — coarse closed-form, colour posterior, projected colour, KNN on the band). Its alpha head
predicts, per pixel, a mixture of the cues (softmax weights), a correction ``Δ`` in logit space and a confidence
gate ``g`` ∈ [0, 1]::

    α = clip(Σᵢ wᵢ cueᵢ + g · Δ, 0, 1)

so the network chooses which classical estimate to trust where, and falls back to that mixture (which lies
between its cues) where it is unsure. It corrects matting estimates instead of inventing one.

Otherwise alpha is predicted as a residual on the soft segmentation in logit space (``α = σ(logit(s) + Δ)``), the
foreground as a residual on the image (``F = clip(I + Δ_F, 0, 1)``): with no evidence the network returns its
guidance, which makes small networks train fast.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from matting_studio.core.errors import MattingError
from matting_studio.core.trimap import UNKNOWN
from matting_studio.engine.models.blocks import (
    ResidualBlock, UpBlock, apply_known, conv_bn_relu, logit, pad_to_multiple, trimap_channels,
)


@dataclass(frozen=True)
class DLMNGConfig:
    size: str
    widths: tuple[int, int, int]  # image encoder at 1/2, 1/4, 1/8
    guide_width: int  # segmentation and motion encoders' width (paper: 256)
    combinator: int  # channels of each fused pair (paper: 64)
    residual_blocks: int
    decoder: tuple[int, int, int]  # at 1/4, 1/2, 1/1
    colour_prior: bool = False  # image encoder also sees the known-colour prior; alpha is a residual on it


CONFIGS = {
    "lite": DLMNGConfig("lite", (16, 32, 64), 32, 32, 3, (32, 16, 8), colour_prior=True),
    "paper": DLMNGConfig("paper", (64, 128, 256), 256, 64, 8, (128, 64, 32)),
}
PRIOR_CHANNELS = 10  # F (3), B (3), then the alpha cues below (colour_prior.matting_prior)
CUES = (6, 7, 8, 9)  # prior channels that are alpha estimates: closed-form, colour posterior, projected, KNN band
CUE_BIAS = (-2.0, -4.0, -4.0, 2.0)  # initial mixture: the KNN cue (weight 0.98), the best single cue
GATE_BIAS = -1.0  # initial confidence of the correction: σ(−1) ≈ 0.27
STRIDE = 8
PRIOR_EPS = 0.05  # the guidance enters as a soft prior (logit ±2.9), so the sigmoid is not saturated


class _Decoder(nn.Module):
    def __init__(self, cfg: DLMNGConfig, cin: int, cout: int, full_res: int) -> None:
        super().__init__()
        w1, w2, _ = cfg.widths
        d4, d2, d1 = cfg.decoder
        self.up4 = UpBlock(cin, w2, d4)
        self.up2 = UpBlock(d4, w1, d2)
        self.up1 = UpBlock(d2, full_res, d1)
        self.head = nn.Conv2d(d1, cout, 3, padding=1)

    def forward(self, x, skips):
        e1, e2, image = skips
        return self.head(self.up1(self.up2(self.up4(x, e2), e1), image))


def _like_weights(x: torch.Tensor, weight: torch.Tensor) -> torch.Tensor:
    """``x`` in the memory format of a conv ``weight``: a channels-last model fed contiguous inputs converts every
    skip concatenation at full resolution (measured: a third of the decoder's time on CPU)."""
    if weight.is_contiguous(memory_format=torch.channels_last) and not weight.is_contiguous():
        return x.contiguous(memory_format=torch.channels_last)
    return x


class DLMNG(nn.Module):
    """``forward(image, soft_seg, motion, trimap=None) -> {"alpha", "foreground"}``.

    Shapes: image ``(B,3,H,W)`` in [0,1]; soft_seg ``(B,1,H,W)`` in [0,1]; motion ``(B,4,H,W)`` in [0,1];
    trimap ``(B,1,H,W)`` with {0, 0.5, 1} or None. Outputs: alpha ``(B,1,H,W)`` in [0,1] (known trimap
    pixels exact), foreground ``(B,3,H,W)`` in [0,1] (the image itself with ``foreground=False``, which skips the
    colour decoder). Any H, W (padded to a multiple of 8 internally).
    ``prior`` ``(B,10,H,W)``: the :func:`~.colour_prior.matting_prior` of the guidance trimap (``lite`` needs it;
    the pipeline's ``prior`` stage computes it once, on the whole image when this is a crop). With a prior the
    output also holds ``gate`` ``(B,1,H,W)`` in [0,1], the confidence of the correction.
    """

    def __init__(self, config: DLMNGConfig) -> None:
        super().__init__()
        self.config = config
        w1, w2, w3 = config.widths
        g, c = config.guide_width, config.combinator
        cin = 3 + (PRIOR_CHANNELS if config.colour_prior else 0)
        self.image_enc = nn.ModuleList([conv_bn_relu(cin, w1, 2), conv_bn_relu(w1, w2, 2), conv_bn_relu(w2, w3, 2)])
        self.seg_enc = nn.Sequential(conv_bn_relu(3, g // 2, 2), conv_bn_relu(g // 2, g, 2), conv_bn_relu(g, g, 2))
        self.motion_enc = nn.Sequential(conv_bn_relu(4, g // 2, 2), conv_bn_relu(g // 2, g, 2), conv_bn_relu(g, g, 2))
        self.comb_seg = conv_bn_relu(w3 + g, c, kernel=1)
        self.comb_motion = conv_bn_relu(w3 + g, c, kernel=1)
        self.comb_image = conv_bn_relu(2 * w3, c, kernel=1)
        self.fuse = conv_bn_relu(3 * c, w3)
        self.residual = nn.Sequential(*[ResidualBlock(w3, w3) for _ in range(config.residual_blocks)])
        self.alpha_dec = _Decoder(config, w3, alpha_head_channels(config), cin)
        self.fg_dec = _Decoder(config, w3, 3, cin)
        for dec in (self.alpha_dec, self.fg_dec):  # start at the guidance (zero residual)
            nn.init.zeros_(dec.head.weight)
            nn.init.zeros_(dec.head.bias)
        if config.colour_prior:  # [Δ, gate, cue mixture logits]
            with torch.no_grad():
                self.alpha_dec.head.bias[1] = GATE_BIAS
                self.alpha_dec.head.bias[2:] = torch.tensor(CUE_BIAS)

    def forward(self, image, soft_seg, motion, trimap=None, prior=None, *, foreground: bool = True):
        h, w = image.shape[-2:]
        known = trimap_channels(trimap, image)
        guide = torch.cat([soft_seg, known], dim=1)
        x, _ = pad_to_multiple(torch.cat([image, guide, motion], dim=1), STRIDE)
        img, gd, mo = x[:, :3], x[:, 3:6], x[:, 6:10]
        if not self.config.colour_prior:
            prior = None
        else:
            if prior is None:
                raise MattingError("DLMN-G lite needs the matting prior of its trimap (colour_prior.matting_prior).")
            img = torch.cat([img, pad_to_multiple(prior, STRIDE)[0]], dim=1)
        img, gd, mo = (_like_weights(a, self.image_enc[0][0].weight) for a in (img, gd, mo))
        e1 = self.image_enc[0](img)
        e2 = self.image_enc[1](e1)
        e3 = self.image_enc[2](e2)
        s = self.seg_enc(gd)
        m = self.motion_enc(mo)
        fused = torch.cat([self.comb_seg(torch.cat([e3, s], 1)), self.comb_motion(torch.cat([e3, m], 1)),
                           self.comb_image(torch.cat([e3, e3], 1))], dim=1)
        z = self.residual(self.fuse(fused))
        skips = (e1, e2, img)
        head = self.alpha_dec(z, skips)[..., :h, :w]
        out = {}
        if prior is not None:
            weights = torch.softmax(head[:, 2:], dim=1)
            base = (weights * prior[:, list(CUES)]).sum(dim=1, keepdim=True)
            out["gate"] = torch.sigmoid(head[:, 1:2])
            # additive in alpha: an untrained network returns its mixture exactly, 0 and 1 included (a logit
            # residual on a clipped base costs PRIOR_EPS on every opaque or clear pixel of the band). The clip
            # passes gradients straight through: torch's clamp has none at the bounds, where the cues often are.
            raw = base + out["gate"] * head[:, :1]
            alpha = raw + (raw.clamp(0, 1) - raw).detach()
        else:
            base = soft_seg if trimap is None else torch.where(trimap == UNKNOWN, soft_seg, trimap)
            alpha = torch.sigmoid(logit(base, PRIOR_EPS) + head)
        # foreground=False skips the colour decoder (SSRN makes its own): the image stands in for it
        fg = (image + self.fg_dec(z, skips)[..., :h, :w]).clamp(0, 1) if foreground else image
        return {**out, "alpha": apply_known(alpha, trimap), "foreground": fg}


def alpha_head_channels(config: DLMNGConfig) -> int:
    """The alpha decoder's outputs: Δ, gate and one mixture logit per cue with a prior; Δ alone without."""
    return 2 + len(CUES) if config.colour_prior else 1


def build_dlmng(*, config: str = "lite", weights=None) -> DLMNG:
    """DLMN-G of size ``lite`` or ``paper``; ``weights`` is a path, a state dict or a training checkpoint."""
    from matting_studio.engine.models.loading import load_weights, resolve_config

    model = DLMNG(resolve_config(CONFIGS, config))
    if weights is not None:
        load_weights(model, weights)
    return model

