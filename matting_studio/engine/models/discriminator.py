"""PatchGAN discriminator: judges whether (patches of) an RGB image are real photos or composites."""

from __future__ import annotations

from torch import nn
from torch.nn.utils import spectral_norm

WIDTHS = {"lite": 32, "paper": 64}


class PatchDiscriminator(nn.Module):
    """``forward(rgb (B,3,H,W) in [0,1]) -> logits (B,1,h,w)`` (h, w ≈ H/8, W/8), spectrally normalised."""

    def __init__(self, width: int = 32, layers: int = 3) -> None:
        super().__init__()
        mods: list[nn.Module] = [spectral_norm(nn.Conv2d(3, width, 4, 2, 1)), nn.LeakyReLU(0.2, inplace=True)]
        c = width
        for _ in range(layers - 1):
            mods += [spectral_norm(nn.Conv2d(c, c * 2, 4, 2, 1)), nn.LeakyReLU(0.2, inplace=True)]
            c *= 2
        mods += [spectral_norm(nn.Conv2d(c, c, 3, 1, 1)), nn.LeakyReLU(0.2, inplace=True), nn.Conv2d(c, 1, 3, 1, 1)]
        self.net = nn.Sequential(*mods)

    def forward(self, rgb):
        return self.net(rgb * 2 - 1)


def build_discriminator(*, config: str = "lite", weights=None) -> PatchDiscriminator:
    from matting_studio.core.errors import WeightsError
    from matting_studio.engine.models.loading import load_weights

    if config not in WIDTHS:
        raise WeightsError(f"Unknown discriminator size '{config}'; choose lite or paper.")
    model = PatchDiscriminator(WIDTHS[config])
    if weights is not None:
        load_weights(model, weights)
    return model
