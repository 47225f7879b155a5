"""Procedural synthetic foregrounds (fg colours + alpha) to enlarge scarce matting data.

Random shapes (ellipses, polygons, blobs) with soft and semi-transparent regions, see-through structures
(meshes, nets, perforated sheets: many small holes the matting must open), thin anti-aliased hair-like strands,
optional motion blur, textured colours. Deterministic for a given seed.

:func:`lookalike_background` puts a darker, shifted copy of a foreground behind it: the back wall of a wire
basket seen through its front, a fence behind a fence, hair over hair. :func:`palette_background` paints a
background from the foreground's own colours. Where the background looks like the subject, colour cannot tell
them apart. :func:`defocus` blurs a foreground as an out-of-focus lens would: wide, smooth alpha ramps.
"""

from __future__ import annotations

import cv2
import numpy as np


def _texture(h: int, w: int, rng: np.random.Generator) -> np.ndarray:
    base = rng.uniform(0.05, 0.95, size=3).astype(np.float32)
    noise = cv2.resize(rng.normal(0, 0.15, size=(max(2, h // 16), max(2, w // 16), 3)).astype(np.float32),
                       (w, h), interpolation=cv2.INTER_CUBIC)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    stripes = 0.08 * np.sin(xx * rng.uniform(0.05, 0.4) + yy * rng.uniform(0.05, 0.4))[..., None]
    return np.clip(base + noise + stripes, 0, 1)


def see_through(shape_mask: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``shape_mask`` ``(H, W)`` in [0, 1] made see-through: a rotated mesh of thin bars (wire mesh, net,
    fence) or a sheet perforated with small round holes (lace, grilles), anti-aliased (drawn at 4× and
    reduced)."""
    h, w = shape_mask.shape
    big = np.zeros((4 * h, 4 * w), np.float32)
    pitch = rng.uniform(4.0, 14.0) * 4
    if rng.random() < 0.65:  # a mesh: two families of bars
        width = max(2, int(rng.uniform(0.12, 0.45) * pitch))
        angle = rng.uniform(0, np.pi)
        reach = 2 * max(big.shape)  # bars long enough to cross the canvas at any angle
        for theta in (angle, angle + rng.uniform(np.pi / 3, 2 * np.pi / 3)):
            d = np.array([np.cos(theta), np.sin(theta)])
            n = np.array([-d[1], d[0]])
            for k in np.arange(-reach, reach, pitch):
                a, b = (k * n - reach * d + [2 * w, 2 * h]), (k * n + reach * d + [2 * w, 2 * h])
                cv2.line(big, tuple(int(v) for v in a), tuple(int(v) for v in b), 1.0, width)
    else:  # a perforated sheet
        big[:] = 1.0
        radius = max(2, int(rng.uniform(0.2, 0.42) * pitch))
        for y in np.arange(0, 4 * h + pitch, pitch):
            shift = pitch / 2 if rng.random() < 0.5 else 0.0
            for x in np.arange(-shift, 4 * w + pitch, pitch):
                cv2.circle(big, (int(x), int(y)), radius, 0.0, -1)
    pattern = cv2.resize(big, (w, h), interpolation=cv2.INTER_AREA)
    return shape_mask * pattern


def synthetic_foreground(size: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``(fg (S,S,3), alpha (S,S))`` float32 in [0, 1] for ``seed``."""
    rng = np.random.default_rng(seed)
    h = w = size
    alpha = np.zeros((h, w), np.float32)
    for _ in range(int(rng.integers(1, 4))):
        layer = np.zeros((h, w), np.float32)
        kind = rng.integers(0, 3)
        c = (int(rng.uniform(0.3, 0.7) * w), int(rng.uniform(0.3, 0.7) * h))
        if kind == 0:
            axes = (int(rng.uniform(0.1, 0.35) * w), int(rng.uniform(0.1, 0.35) * h))
            cv2.ellipse(layer, c, axes, rng.uniform(0, 180), 0, 360, 1.0, -1, cv2.LINE_AA)
        elif kind == 1:
            n = int(rng.integers(3, 8))
            angles = np.sort(rng.uniform(0, 2 * np.pi, n))
            radii = rng.uniform(0.1, 0.35, n) * size
            pts = np.stack([c[0] + radii * np.cos(angles), c[1] + radii * np.sin(angles)], 1).astype(np.int32)
            cv2.fillPoly(layer, [pts], 1.0, cv2.LINE_AA)
        else:
            blob = cv2.GaussianBlur(rng.random((h, w)).astype(np.float32), (0, 0), size / 12)
            layer = (blob > np.quantile(blob, rng.uniform(0.6, 0.85))).astype(np.float32)
        if rng.random() < 0.25:
            layer = see_through(layer, rng)
        opacity = 1.0 if rng.random() < 0.7 else rng.uniform(0.3, 0.8)  # semi-transparent parts
        alpha = np.maximum(alpha, layer * opacity)
    strands = np.zeros((h, w), np.float32)
    for _ in range(int(rng.integers(0, 60))):  # hair: thin random curves from the shape's edge outwards
        ys, xs = np.nonzero(alpha > 0.5)
        if len(ys) == 0:
            break
        i = int(rng.integers(0, len(ys)))
        p = np.array([xs[i], ys[i]], np.float64)
        direction = rng.uniform(0, 2 * np.pi)
        pts = [p.copy()]
        for _ in range(int(rng.integers(5, 25))):
            direction += rng.normal(0, 0.25)
            p += 2.0 * np.array([np.cos(direction), np.sin(direction)])
            pts.append(p.copy())
        cv2.polylines(strands, [np.round(np.array(pts) * 4).astype(np.int32)], False, rng.uniform(0.4, 1.0), 1,
                      cv2.LINE_AA, shift=2)
    alpha = np.maximum(alpha, strands)
    if rng.random() < 0.3:  # motion blur
        k = int(rng.integers(3, 9))
        kernel = np.zeros((k, k), np.float32)
        kernel[k // 2] = 1.0 / k
        rot = cv2.getRotationMatrix2D((k / 2 - 0.5, k / 2 - 0.5), rng.uniform(0, 180), 1.0)
        kernel = cv2.warpAffine(kernel, rot, (k, k))
        alpha = cv2.filter2D(alpha, -1, kernel / max(kernel.sum(), 1e-6))
    else:
        alpha = cv2.GaussianBlur(alpha, (0, 0), rng.uniform(0.3, 1.0))
    return _texture(h, w, rng), np.clip(alpha, 0, 1).astype(np.float32)


def lookalike_background(fg: np.ndarray, alpha: np.ndarray, bg: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``bg`` ``(S, S, 3)`` with a copy of the foreground (``fg (S, S, 3)``, ``alpha (S, S)``, all in [0, 1])
    composited into it, shifted by a few to a few tens of pixels, darkened (shade 0.45–0.9) and slightly blurred:
    part of the background now looks like the subject. The ground-truth alpha is unchanged (it is background)."""
    s = alpha.shape[0]
    dx, dy = (int(v) for v in rng.integers(-max(2, s // 10), max(2, s // 10) + 1, size=2))
    shift = np.float32([[1, 0, dx], [0, 1, dy]])
    size = alpha.shape[::-1]
    back_alpha = cv2.warpAffine(alpha, shift, size, borderMode=cv2.BORDER_CONSTANT)
    back_fg = cv2.warpAffine(fg, shift, size, borderMode=cv2.BORDER_REFLECT) * np.float32(rng.uniform(0.45, 0.9))
    sigma = float(rng.uniform(0.3, 1.5))
    back_alpha = cv2.GaussianBlur(back_alpha, (0, 0), sigma)[..., None]
    back_fg = cv2.GaussianBlur(back_fg, (0, 0), sigma)
    return np.clip(back_alpha * back_fg + (1 - back_alpha) * bg, 0, 1).astype(np.float32)


def defocus(fg: np.ndarray, alpha: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """``(fg, alpha)`` out of focus: both blurred (Gaussian, sigma 1.5–5 px), the colour premultiplied by alpha
    first, so that the edge's colour stays the subject's. fg ``(S, S, 3)``, alpha ``(S, S)``, float32 in [0, 1]."""
    sigma = float(rng.uniform(1.5, 5.0))
    soft = cv2.GaussianBlur(alpha, (0, 0), sigma)
    premultiplied = cv2.GaussianBlur(fg * alpha[..., None], (0, 0), sigma)
    colour = np.where(soft[..., None] > 1e-3, premultiplied / np.maximum(soft[..., None], 1e-3), fg)
    return np.clip(colour, 0, 1).astype(np.float32), np.clip(soft, 0, 1).astype(np.float32)


def palette_background(fg: np.ndarray, alpha: np.ndarray, bg: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """``bg`` ``(S, S, 3)`` recoloured with the foreground's own colours: each of a few smooth random regions takes
    the colour of a random opaque foreground pixel (jittered), blended with the background's texture. Colour
    alone then cannot separate subject from background. Inputs float32 in [0, 1]; alpha ``(S, S)``."""
    s = alpha.shape[0]
    opaque = fg[alpha > 0.9]
    if opaque.shape[0] < 4:
        return bg
    k = int(rng.integers(2, 6))
    colours = opaque[rng.integers(0, opaque.shape[0], size=k)] + rng.normal(0, 0.04, size=(k, 3)).astype(np.float32)
    field = cv2.resize(rng.random((max(2, s // 32), max(2, s // 32), k)).astype(np.float32), (s, s),
                       interpolation=cv2.INTER_CUBIC).reshape(s, s, k)
    label = np.argmax(field, axis=-1)
    painted = colours[label].astype(np.float32)
    texture = bg - cv2.GaussianBlur(bg, (0, 0), 4.0)  # keep the background's fine texture
    mix = np.float32(rng.uniform(0.5, 0.9))
    out = mix * (painted + texture) + (1 - mix) * bg
    return np.clip(cv2.GaussianBlur(out, (0, 0), 0.7), 0, 1).astype(np.float32)
