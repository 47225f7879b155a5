"""Known-colour propagation: a fast classical alpha prior from a trimap, as a differentiable torch op.

For every pixel, the colours of the nearest known foreground and known background are estimated by
push–pull (normalised convolution over an image pyramid: each pixel takes the mean colour of the known region
at the finest scale where there is some), and alpha is the projection of the pixel's colour onto the line
between them, the compositing equation ``I = αF + (1−α)B`` solved per pixel in least squares::

    α = clip(((I − B) · (F − B)) / (|F − B|² + ε), 0, 1)

This is the sampling idea of Bayesian / shared matting without any search (a few ms for 0.5 MP).

DLMN-G ``lite`` is trained and run with :func:`matting_prior`: ``F`` and ``B`` from here and four alpha cues
(coarse closed-form, colour posterior, the projected alpha, KNN on the band) that its head mixes per pixel. How
each cue scores is in the model card (``models/dlmng-lite.md``), not here.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from matting_studio.core.trimap import UNKNOWN

EPS = 1e-2  # |F − B|² regulariser: where F ≈ B the colour says little and alpha shrinks towards 0
_TINY = 1e-6


def _blur_down(x: torch.Tensor) -> torch.Tensor:
    """4×4 box filter with stride 2 (a cheap ``pyrDown``); ``(B, C, H, W)``."""
    return F.avg_pool2d(x, 4, stride=2, padding=1, count_include_pad=False)


def push_pull(values: torch.Tensor, weights: torch.Tensor) -> torch.Tensor:
    """Fill ``values (B, C, H, W)`` where ``weights (B, 1, H, W)`` ∈ [0, 1] is low from nearby weighted values.

    Pull: pyramids of ``values·w`` and ``w``. Push: from the coarsest level up, each level's normalised mean
    is blended with the upsampled coarser estimate by its clipped weight. An image with no weight at all gets
    its plain mean colour.
    """
    num, den = [values * weights], [weights]
    while min(den[-1].shape[-2:]) > 2:
        num.append(_blur_down(num[-1]))
        den.append(_blur_down(den[-1]))
    total = weights.sum(dim=(-2, -1), keepdim=True)
    fallback = torch.where(total > _TINY, (values * weights).sum(dim=(-2, -1), keepdim=True) / total.clamp_min(_TINY),
                           values.mean(dim=(-2, -1), keepdim=True))
    d = den[-1]
    est = torch.where(d > _TINY, num[-1] / d.clamp_min(_TINY), fallback)
    for n, d in zip(reversed(num[:-1]), reversed(den[:-1])):
        up = F.interpolate(est, size=d.shape[-2:], mode="bilinear", align_corners=False)
        conf = (d * 4.0).clamp(0, 1)  # a level's mean is trusted where it saw enough known pixels
        est = conf * (n / d.clamp_min(_TINY)) + (1 - conf) * up
    return est


def colour_prior(image: torch.Tensor, fg_known: torch.Tensor, bg_known: torch.Tensor) -> torch.Tensor:
    """``(B, 7, H, W)``: propagated foreground (3), background (3) and projected alpha (1), all in [0, 1].

    image ``(B, 3, H, W)`` in [0, 1]; fg_known / bg_known ``(B, 1, H, W)`` in [0, 1] (1 = known there).
    Alpha is 1 / 0 where the pixel is known foreground / background.
    """
    n = image.shape[0]
    both = push_pull(torch.cat([image, image]), torch.cat([fg_known, bg_known])).clamp(0, 1)
    fg, bg = both[:n], both[n:]
    d = fg - bg
    alpha = (((image - bg) * d).sum(1, keepdim=True) / ((d * d).sum(1, keepdim=True) + EPS)).clamp(0, 1)
    alpha = torch.where(fg_known > 0.5, torch.ones_like(alpha), torch.where(bg_known > 0.5, torch.zeros_like(alpha), alpha))
    return torch.cat([fg, bg, alpha], dim=1)


SOLVE_PIXELS = 40_000  # the closed-form prior is solved on at most this many pixels of the unknown box
COLOUR_BINS = 32  # per channel, for the colour models
POSTERIOR_TILE = 96  # px: the local colour model counts known pixels in 3×3 tiles of this size around a pixel
POSTERIOR_PSEUDO = 16.0  # known pixels' worth of the global colour model mixed into every local one


def _box3(a):
    """Sum over each tile's 3×3 neighbourhood of tiles: ``(GY, GX, K)`` → same shape (zero outside)."""
    c = np.pad(np.cumsum(np.cumsum(np.pad(a, ((1, 1), (1, 1), (0, 0))), 0), 1), ((1, 0), (1, 0), (0, 0)))
    return c[3:, 3:] - c[:-3, 3:] - c[3:, :-3] + c[:-3, :-3]


def colour_posterior(image, trimap, *, bins: int = COLOUR_BINS, tile: int = POSTERIOR_TILE,
                     pseudo: float = POSTERIOR_PSEUDO):
    """``(H, W)`` float32: P(foreground | colour, neighbourhood) from histograms of the known colours.

    A non-local cue like KNN matting's colour neighbours, made local enough to matter: the foreground and background
    colour histograms (``bins`` per channel) are counted per ``tile``-pixel tile and summed over 3×3 tiles, each
    mixed with ``pseudo`` pixels' worth of the whole image's histograms (so a neighbourhood with few known pixels
    falls back to the global model), and the posterior (equal class priors) is interpolated bilinearly between
    tile centres. Where a colour is background nearby but foreground elsewhere (a beige wall beside a silver
    mesh), the global model says foreground and this one says background. 0.5 for colours seen in neither region.
    Known pixels are exact. Measured on the 16 training images of alphamatting_dev with both benchmark trimaps:
    mean squared error over the unknown region 0.033, against 0.041 for the global model alone
    (``benchmarks/colour_posterior.py``).
    image ``(H, W, 3)`` in [0, 1]; trimap ``(H, W)`` with {0, 0.5, 1}.
    """
    image = np.asarray(image[..., :3], np.float32)
    h, w = trimap.shape
    n_col = bins**3
    q = np.minimum((image * bins).astype(np.int32), bins - 1)
    colour = (q[..., 0] * bins + q[..., 1]) * bins + q[..., 2]
    fg_known, bg_known, unknown = trimap == 1, trimap == 0, (trimap != 1) & (trimap != 0)
    post = np.where(fg_known, 1.0, 0.0).astype(np.float32)
    if not unknown.any():
        return post
    # the colours of the unknown pixels, numbered 0..K-1: only their table entries are ever needed
    used = np.flatnonzero(np.bincount(colour[unknown], minlength=n_col))
    compact = np.full(n_col, -1, np.int64)
    compact[used] = np.arange(used.size)
    k = used.size
    gy, gx = max(1, round(h / tile)), max(1, round(w / tile))
    tile_of = (np.minimum(np.arange(h) * gy // h, gy - 1)[:, None] * gx
               + np.minimum(np.arange(w) * gx // w, gx - 1)[None, :])

    def model(known):
        """Likelihoods P(colour | class, neighbourhood) ``(GY, GX, K)`` for one class."""
        c, t = colour[known], tile_of[known]
        total = _box3(np.bincount(t, minlength=gy * gx).reshape(gy, gx, 1).astype(np.float32))
        glob = np.bincount(c, minlength=n_col)[used].astype(np.float32) / max(c.size, 1)
        keep = compact[c] >= 0
        counts = np.bincount(t[keep] * k + compact[c[keep]], minlength=gy * gx * k).astype(np.float32)
        return (_box3(counts.reshape(gy, gx, k)) + pseudo * glob) / (total + pseudo)

    pf, pb = model(fg_known), model(bg_known)
    tiny = 1e-7
    table = ((pf + tiny) / (pf + pb + 2 * tiny)).reshape(gy * gx, k)
    ys, xs = np.nonzero(unknown)
    ci = compact[colour[ys, xs]]
    # bilinear weights between the four nearest tile centres
    cy = np.clip((ys + 0.5) * gy / h - 0.5, 0, gy - 1).astype(np.float32)
    cx = np.clip((xs + 0.5) * gx / w - 0.5, 0, gx - 1).astype(np.float32)
    y0, x0 = np.floor(cy).astype(np.int64), np.floor(cx).astype(np.int64)
    y1, x1 = np.minimum(y0 + 1, gy - 1), np.minimum(x0 + 1, gx - 1)
    wy, wx = cy - y0, cx - x0
    post[ys, xs] = ((1 - wy) * ((1 - wx) * table[y0 * gx + x0, ci] + wx * table[y0 * gx + x1, ci])
                    + wy * ((1 - wx) * table[y1 * gx + x0, ci] + wx * table[y1 * gx + x1, ci]))
    return post


def matting_prior(image, trimap, *, solve_pixels: int = SOLVE_PIXELS):
    """The prior DLMN-G ``lite`` is trained and run with: ``(10, H, W)`` float32 numpy in [0, 1].

    Channels 0–5 are the push–pull propagated foreground and background colours (:func:`colour_prior`);
    channel 6 is a coarse closed-form alpha (Levin et al.), solved on the unknown region's box downscaled to
    at most ``solve_pixels`` pixels and brought back edge-aware (guided filter), known pixels exact; channel 7
    is the local colour posterior (:func:`colour_posterior`); channel 8 is the full-resolution projected alpha
    of :func:`colour_prior` (the pixel's colour on the line between its propagated F and B): it keeps structures
    a few pixels wide, such as the holes of a mesh, that the downscaled solve loses. The network corrects
    channel 6 at full resolution, using channels 7 and 8 where the colours tell foreground from background.
    Channel 9 is KNN matting solved on the unknown band from channel 6 (:func:`~matting_studio.classical.knn_band.
    knn_band_alpha`): the non-local cue (a far pixel of the same colour), strong on hair and leaves.
    image ``(H, W, 3)`` in [0, 1]; trimap ``(H, W)`` with {0, 0.5, 1}. Its time is the pipeline's ``prior``
    stage (``benchmarks/run_all.py``).
    """
    from matting_studio.classical.estimate_alpha_cf import estimate_alpha_cf
    from matting_studio.classical.fast_matting import fast_alpha
    from matting_studio.classical.knn_band import knn_band_alpha

    image = np.ascontiguousarray(image, dtype=np.float32)[..., :3]
    trimap = np.asarray(trimap, dtype=np.float32)
    x = torch.from_numpy(image).permute(2, 0, 1)[None]
    t = torch.from_numpy(trimap)[None, None]
    colours = colour_prior(x, (t > 0.75).float(), (t < 0.25).float())[0].numpy()
    prior = np.concatenate([colours, colour_posterior(image, trimap)[None], colours[6:7], colours[6:7]])
    if (trimap == UNKNOWN).any() and (trimap != UNKNOWN).any():
        def solve(img, tri, progress=None, cancel=None):
            return estimate_alpha_cf(img, tri, progress=progress, cancel=cancel)

        prior[6] = fast_alpha(solve, image, trimap, max_pixels=solve_pixels)
        prior[9] = knn_band_alpha(image, trimap, prior[6])
    if not np.isfinite(prior).all():  # a last guard: the network must never see NaN
        prior = np.nan_to_num(prior, nan=0.5, posinf=1.0, neginf=0.0)
    return prior


def confident_trimap(soft_mask: np.ndarray, low: float = 0.05, high: float = 0.95) -> np.ndarray:
    """The guidance trimap of a soft mask alone ``(H, W)``: its confident parts known, the rest unknown."""
    mask = np.asarray(soft_mask, np.float32)
    return np.where(mask > high, 1.0, np.where(mask < low, 0.0, 0.5)).astype(np.float32)


def matting_prior_batch(image: torch.Tensor, trimap: torch.Tensor) -> torch.Tensor:
    """:func:`matting_prior` per sample: image ``(B,3,H,W)``, trimap ``(B,1,H,W)`` → ``(B,10,H,W)`` on the
    image's device (computed on the CPU, no gradient)."""
    with torch.no_grad():
        priors = [torch.from_numpy(matting_prior(i.permute(1, 2, 0).float().cpu().numpy(), t[0].float().cpu().numpy()))
                  for i, t in zip(image, trimap)]
    return torch.stack(priors).to(image.device)
