"""The paper's networks: DLMN-G (supervised), SSRN (self-supervised refinement) and the PatchGAN
discriminator. Builders are keyword-only and load their own weights."""

from matting_studio.engine.models.discriminator import PatchDiscriminator, build_discriminator
from matting_studio.engine.models.dlmng import DLMNG, build_dlmng
from matting_studio.engine.models.loading import LoadReport, load_weights
from matting_studio.engine.models.ssrn import SSRN, build_ssrn

__all__ = ["DLMNG", "SSRN", "PatchDiscriminator", "build_dlmng", "build_ssrn", "build_discriminator",
           "load_weights", "LoadReport"]
