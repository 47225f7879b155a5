"""Losses, as pure functions returning dicts with a ``"total"`` entry.

Batches are dicts of ``(B, C, H, W)`` float tensors: ``image`` (3, the composite), ``alpha`` (1, ground
truth), ``fg`` (3), ``bg`` (3), ``soft_seg`` (1), ``motion`` (4), ``trimap`` (1, values 0 / 0.5 / 1) and
``unknown`` (1, 1.0 where the trimap is unknown). Networks return ``{"alpha", "foreground"}``.
The GAN terms are LSGAN (least squares), which trains stably on small batches.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def _masked_mean(x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    if mask is None:
        return x.mean()
    mask = mask.expand_as(x)
    return (x * mask).sum() / mask.sum().clamp_min(1.0)


def alpha_l1(pred: torch.Tensor, gt: torch.Tensor, weight_mask: torch.Tensor | None = None) -> torch.Tensor:
    """Mean |α̂ − α| (over ``weight_mask`` when given)."""
    return _masked_mean((pred - gt).abs(), weight_mask)


def alpha_mse(pred: torch.Tensor, gt: torch.Tensor, weight_mask: torch.Tensor | None = None) -> torch.Tensor:
    """Mean (α̂ − α)² (over ``weight_mask`` when given): weighs the few large errors that L1 lets through."""
    return _masked_mean((pred - gt) ** 2, weight_mask)


def _gauss_kernel(device, dtype) -> torch.Tensor:
    k = torch.tensor([1.0, 4.0, 6.0, 4.0, 1.0], device=device, dtype=dtype)
    k = torch.outer(k, k)
    return (k / k.sum())[None, None]


def _pyramid(x: torch.Tensor, levels: int) -> list[torch.Tensor]:
    kernel = _gauss_kernel(x.device, x.dtype).expand(x.shape[1], 1, 5, 5)
    out = []
    for _ in range(levels):
        blurred = F.conv2d(F.pad(x, (2, 2, 2, 2), mode="replicate"), kernel, groups=x.shape[1])
        down = blurred[..., ::2, ::2]
        up = F.interpolate(down, size=x.shape[-2:], mode="bilinear", align_corners=False)
        out.append(x - up)
        x = down
        if min(x.shape[-2:]) < 4:
            break
    out.append(x)
    return out


def laplacian_pyramid_loss(pred: torch.Tensor, gt: torch.Tensor, levels: int = 5) -> torch.Tensor:
    """Σ_l 2^l · mean |L_l(α̂) − L_l(α)| over Laplacian-pyramid levels (sharp structure at every scale)."""
    return sum((2**i) * (a - b).abs().mean() for i, (a, b) in enumerate(zip(_pyramid(pred, levels),
                                                                          _pyramid(gt, levels))))


def composition_loss(alpha, fg, bg, image, mask=None) -> torch.Tensor:
    """Mean |α̂F̂ + (1 − α̂)B − I| (the re-composite must reproduce the image)."""
    return _masked_mean((alpha * fg + (1 - alpha) * bg - image).abs(), mask)


def foreground_loss(fg_pred, fg_gt, alpha_gt) -> torch.Tensor:
    """Mean |F̂ − F| where the true alpha is positive (colour is undefined elsewhere)."""
    return _masked_mean((fg_pred - fg_gt).abs(), (alpha_gt > 0).float())


def gan_generator_loss(logits_fake: torch.Tensor) -> torch.Tensor:
    """LSGAN: the generator wants the discriminator to say 1 on its composites."""
    return ((logits_fake - 1) ** 2).mean()


def gan_discriminator_loss(logits_real: torch.Tensor, logits_fake: torch.Tensor) -> dict:
    """LSGAN: real photos → 1, composites → 0."""
    real = ((logits_real - 1) ** 2).mean()
    fake = (logits_fake**2).mean()
    return {"real": real, "fake": fake, "total": 0.5 * (real + fake)}


DLMNG_WEIGHTS = {"alpha": 1.0, "mse": 2.0, "laplacian": 0.5, "composition": 0.5, "foreground": 0.5}


def dlmng_loss(outputs: dict, batch: dict, weights: dict | None = None) -> dict:
    """Supervised DLMN-G loss: alpha L1 (on the unknown region and overall) + alpha squared error on the unknown
    region + Laplacian + composition + fg."""
    w = {**DLMNG_WEIGHTS, **(weights or {})}
    a, f = outputs["alpha"], outputs["foreground"]
    unknown = batch.get("unknown")
    terms = {
        "alpha": alpha_l1(a, batch["alpha"], unknown) + alpha_l1(a, batch["alpha"]),
        "mse": alpha_mse(a, batch["alpha"], unknown),
        "laplacian": laplacian_pyramid_loss(a, batch["alpha"]),
        "composition": composition_loss(a, batch["fg"], batch["bg"], batch["image"], unknown),
        "foreground": foreground_loss(f, batch["fg"], batch["alpha"]),
    }
    terms["total"] = sum(w[k] * v for k, v in terms.items())
    return terms


SSRN_WEIGHTS = {"alpha": 1.0, "composition": 1.0, "gan": 0.05}


def ssrn_generator_loss(outputs: dict, teacher_outputs: dict, image: torch.Tensor, d_logits_fake: torch.Tensor,
                        weights: dict | None = None) -> dict:
    """The paper's L_alpha (vs the teacher's alpha) + L_comp (re-composite onto the photo's own background
    estimate is not available, so over the confidently-opaque teacher region: α̂F̂ ≈ I) + L_GAN."""
    w = {**SSRN_WEIGHTS, **(weights or {})}
    a, f = outputs["alpha"], outputs["foreground"]
    t_alpha = teacher_outputs["alpha"].detach()
    opaque = (t_alpha > 0.95).float()
    terms = {
        "alpha": alpha_l1(a, t_alpha) + 0.5 * laplacian_pyramid_loss(a, t_alpha),
        "composition": _masked_mean((a * f - t_alpha * image).abs(), opaque),
        "gan": gan_generator_loss(d_logits_fake),
    }
    terms["total"] = sum(w[k] * v for k, v in terms.items())
    return terms
