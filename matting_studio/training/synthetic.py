"""Procedural synthetic foregrounds (fg colours + exact alpha) to enlarge scarce matting data.

Scenes (:data:`SCENES`) are layers composited front over back, so alpha and colour stay exact: solid shapes,
see-through structures (meshes, nets, lace: many small holes the matting must open), hair and fur (clumps of
anti-aliased strands of sub-pixel to 2.5 px width, varying opacity, colour and curl, flyaways far from the body),
foliage (stems and leaves with gaps), and smooth semi-transparency (smoke, veils, glass); then motion blur or a
slight optical blur. Deterministic for a given seed. :func:`procedural_background` makes backgrounds no photo
folder has (noise, stripes and checks, bokeh, gradients).

:func:`lookalike_background` puts a darker, shifted copy of a foreground behind it: the back wall of a wire
basket seen through its front, a fence behind a fence, hair over hair. :func:`palette_background` paints a
background from the foreground's own colours. Where the background looks like the subject, colour cannot tell
them apart. :func:`defocus` blurs a foreground as an out-of-focus lens would: wide, smooth alpha ramps.
"""

from __future__ import annotations

from typing import Optional

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


class _Layers:
    """Layers composited front-over-back with exact alpha: premultiplied colour ``(S, S, 3)`` and alpha ``(S, S)``."""

    def __init__(self, size: int) -> None:
        self.premultiplied = np.zeros((size, size, 3), np.float32)
        self.alpha = np.zeros((size, size), np.float32)

    def over(self, colour: np.ndarray, alpha: np.ndarray) -> None:
        """Put a layer (colour ``(S, S, 3)`` or ``(3,)``, alpha ``(S, S)``, in [0, 1]) in front of what is there."""
        a = np.clip(alpha, 0, 1).astype(np.float32)
        self.premultiplied = a[..., None] * colour + (1 - a[..., None]) * self.premultiplied
        self.alpha = a + (1 - a) * self.alpha

    def result(self, backing: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(fg, alpha)``; where alpha is 0 the colour is ``backing`` (it never shows)."""
        a = self.alpha[..., None]
        fg = np.where(a > 1e-4, self.premultiplied / np.maximum(a, 1e-4), backing)
        return np.clip(fg, 0, 1).astype(np.float32), np.clip(self.alpha, 0, 1).astype(np.float32)


def _shape(size: int, rng: np.random.Generator, centre=None, scale: float = 1.0) -> np.ndarray:
    """One filled, anti-aliased ellipse, polygon or blob ``(S, S)`` in [0, 1]."""
    h = w = size
    layer = np.zeros((h, w), np.float32)
    c = centre or (int(rng.uniform(0.3, 0.7) * w), int(rng.uniform(0.3, 0.7) * h))
    kind = rng.integers(0, 3)
    if kind == 0:
        axes = (int(rng.uniform(0.1, 0.35) * w * scale), int(rng.uniform(0.1, 0.35) * h * scale))
        cv2.ellipse(layer, c, axes, rng.uniform(0, 180), 0, 360, 1.0, -1, cv2.LINE_AA)
    elif kind == 1:
        n = int(rng.integers(3, 8))
        angles = np.sort(rng.uniform(0, 2 * np.pi, n))
        radii = rng.uniform(0.1, 0.35, n) * size * scale
        pts = np.stack([c[0] + radii * np.cos(angles), c[1] + radii * np.sin(angles)], 1).astype(np.int32)
        cv2.fillPoly(layer, [pts], 1.0, cv2.LINE_AA)
    else:
        blob = cv2.GaussianBlur(rng.random((h, w)).astype(np.float32), (0, 0), size / 12)
        layer = (blob > np.quantile(blob, rng.uniform(0.6, 0.85))).astype(np.float32)
    return layer


def _curve(start: np.ndarray, direction: float, steps: int, step: float, curl: float,
           rng: np.random.Generator) -> np.ndarray:
    """``(N, 2)`` points of a random curve: a walk whose heading turns by ``curl`` radians per step on average."""
    p, pts = start.astype(np.float64).copy(), [start.astype(np.float64).copy()]
    bend = rng.normal(0, curl)
    for _ in range(steps):
        direction += bend + rng.normal(0, curl * 0.5)
        p = p + step * np.array([np.cos(direction), np.sin(direction)])
        pts.append(p.copy())
    return np.array(pts)


def _draw_strands(size: int, curves, widths, opacities) -> list[np.ndarray]:
    """Each curve drawn anti-aliased at 4× and reduced: sub-pixel widths become partial alpha. ``widths`` in
    output pixels (0.25–3)."""
    out = []
    for pts, width, opacity in zip(curves, widths, opacities):
        big = np.zeros((4 * size, 4 * size), np.float32)
        cv2.polylines(big, [np.round(pts * 16).astype(np.int32)], False, 1.0, max(1, int(round(4 * width))),
                      cv2.LINE_AA, shift=2)
        out.append(cv2.resize(big, (size, size), interpolation=cv2.INTER_AREA) * opacity)
    return out


def _edge_points(mask: np.ndarray, n: int, rng: np.random.Generator):
    """``n`` random points on the outline of ``mask > 0.5`` with their outward normal angles."""
    inside = (mask > 0.5).astype(np.uint8)
    edge = inside - cv2.erode(inside, np.ones((3, 3), np.uint8))
    ys, xs = np.nonzero(edge)
    if len(ys) == 0:
        return np.zeros((0, 2)), np.zeros(0)
    pick = rng.integers(0, len(ys), size=n)
    gy = cv2.Sobel(cv2.GaussianBlur(mask.astype(np.float32), (0, 0), 3), cv2.CV_32F, 0, 1)
    gx = cv2.Sobel(cv2.GaussianBlur(mask.astype(np.float32), (0, 0), 3), cv2.CV_32F, 1, 0)
    normals = np.arctan2(-gy[ys[pick], xs[pick]], -gx[ys[pick], xs[pick]])
    return np.stack([xs[pick], ys[pick]], 1).astype(np.float64), normals


def _hair(size: int, rng: np.random.Generator, layers: _Layers, body: np.ndarray, fur: bool = False) -> None:
    """Hair or fur over the edge of ``body``: clumps of strands of varying width, opacity, colour and curl
    growing outwards, and (hair) long flyaways reaching far from the body."""
    base = rng.uniform(0.05, 0.9, size=3).astype(np.float32)
    n_clumps = int(rng.integers(4, 14)) if not fur else int(rng.integers(40, 120))
    roots, normals = _edge_points(body, n_clumps, rng)
    curves, widths, opacities, colours = [], [], [], []
    for root, normal in zip(roots, normals):
        per_clump = int(rng.integers(3, 12)) if not fur else int(rng.integers(1, 4))
        length = size * (rng.uniform(0.08, 0.35) if not fur else rng.uniform(0.02, 0.07))
        curl = rng.uniform(0.02, 0.25) if not fur else rng.uniform(0.0, 0.1)
        for _ in range(per_clump):
            start = root + rng.normal(0, 2.0 if not fur else 1.0, size=2)
            steps = max(3, int(length / 2 * rng.uniform(0.6, 1.2)))
            curves.append(_curve(start, normal + rng.normal(0, 0.35), steps, 2.0, curl, rng))
            widths.append(float(rng.uniform(0.25, 2.5) if not fur else rng.uniform(0.3, 1.2)))
            opacities.append(float(rng.uniform(0.5, 1.0)))
            colours.append(np.clip(base + rng.normal(0, 0.08, 3), 0, 1).astype(np.float32))
    for _ in range(0 if fur else int(rng.integers(0, 8))):  # flyaways: single, thin, long
        root, normal = _edge_points(body, 1, rng)
        if len(root) == 0:
            break
        curves.append(_curve(root[0], normal[0] + rng.normal(0, 0.6), int(size * rng.uniform(0.2, 0.5) / 2), 2.0,
                             rng.uniform(0.02, 0.12), rng))
        widths.append(float(rng.uniform(0.25, 0.9)))
        opacities.append(float(rng.uniform(0.3, 0.9)))
        colours.append(np.clip(base * rng.uniform(0.9, 1.4), 0, 1).astype(np.float32))
    for strand, colour in zip(_draw_strands(size, curves, widths, opacities), colours):
        layers.over(colour, strand)


def _foliage(size: int, rng: np.random.Generator, layers: _Layers) -> None:
    """Branches with leaves: thin stems and many small anti-aliased leaf ellipses with gaps between them."""
    green = np.array([rng.uniform(0.05, 0.5), rng.uniform(0.25, 0.8), rng.uniform(0.0, 0.35)], np.float32)
    for _ in range(int(rng.integers(2, 6))):
        start = np.array([rng.uniform(0, size), size * rng.uniform(0.8, 1.0)])
        stem = _curve(start, -np.pi / 2 + rng.normal(0, 0.5), int(size * rng.uniform(0.3, 0.6) / 3), 3.0, 0.06, rng)
        layers.over(green * 0.5, _draw_strands(size, [stem], [rng.uniform(1.0, 3.0)], [1.0])[0])
        for point in stem[:: max(1, int(rng.integers(1, 4)))]:
            leaf = np.zeros((4 * size, 4 * size), np.float32)
            axes = (int(4 * size * rng.uniform(0.01, 0.05)), int(4 * size * rng.uniform(0.005, 0.02)))
            offset = rng.normal(0, size * 0.03, 2)
            centre = tuple(int(v) for v in 4 * (point + offset))
            cv2.ellipse(leaf, centre, axes, rng.uniform(0, 180), 0, 360, 1.0, -1, cv2.LINE_AA)
            leaf = cv2.resize(leaf, (size, size), interpolation=cv2.INTER_AREA)
            layers.over(np.clip(green * rng.uniform(0.6, 1.4) + rng.normal(0, 0.04, 3), 0, 1).astype(np.float32),
                        leaf * rng.uniform(0.85, 1.0))


def _veil(size: int, rng: np.random.Generator, layers: _Layers) -> None:
    """Smooth semi-transparency: smoke (multi-scale noise), a veil (a sheet of low, varying opacity with folds)
    or glass (a shape of low opacity, brighter at its rim, with a highlight)."""
    kind = rng.integers(0, 3)
    colour = rng.uniform(0.4, 1.0, size=3).astype(np.float32)
    if kind == 0:  # smoke
        field = sum(cv2.resize(rng.random((max(2, size // k), max(2, size // k))).astype(np.float32), (size, size),
                               interpolation=cv2.INTER_CUBIC) / (i + 1) for i, k in enumerate((64, 32, 16, 8)))
        field = (field - field.min()) / max(float(np.ptp(field)), 1e-6)
        alpha = np.clip((field - rng.uniform(0.3, 0.6)) * rng.uniform(1.5, 3.0), 0, 1) * rng.uniform(0.4, 0.9)
        layers.over(colour, cv2.GaussianBlur(alpha.astype(np.float32), (0, 0), 2.0))
    elif kind == 1:  # veil
        sheet = _shape(size, rng, scale=1.4)
        yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
        folds = 0.5 + 0.5 * np.sin(xx * rng.uniform(0.03, 0.15) + np.sin(yy * rng.uniform(0.01, 0.05)) * 3)
        alpha = sheet * (rng.uniform(0.15, 0.4) + rng.uniform(0.1, 0.4) * folds)
        layers.over(colour, cv2.GaussianBlur(alpha, (0, 0), 1.0))
    else:  # glass
        body = _shape(size, rng)
        rim = body - cv2.erode(body, np.ones((5, 5), np.uint8), iterations=int(rng.integers(1, 4)))
        alpha = np.clip(body * rng.uniform(0.05, 0.3) + rim * rng.uniform(0.3, 0.7), 0, 1)
        layers.over(colour * rng.uniform(0.6, 1.0), cv2.GaussianBlur(alpha, (0, 0), 0.8))
        highlight = np.zeros((size, size), np.float32)
        ys, xs = np.nonzero(body > 0.5)
        if len(ys):
            i = int(rng.integers(0, len(ys)))
            cv2.ellipse(highlight, (int(xs[i]), int(ys[i])), (int(size * 0.03) + 1, int(size * 0.01) + 1),
                        rng.uniform(0, 180), 0, 360, 1.0, -1, cv2.LINE_AA)
        layers.over(np.ones(3, np.float32), cv2.GaussianBlur(highlight * body, (0, 0), 1.5) * 0.8)


SCENES = ("shapes", "hair", "fur", "foliage", "lace", "veil")


def synthetic_foreground(size: int, seed: int, scene: Optional[str] = None) -> tuple[np.ndarray, np.ndarray]:
    """``(fg (S,S,3), alpha (S,S))`` float32 in [0, 1] for ``seed``: one of :data:`SCENES` (solid shapes with
    strands, hair or fur on a body, foliage, lace/mesh, veils/smoke/glass over a body; drawn at random unless
    ``scene`` is given), with exact alpha, then motion blur or a slight optical blur."""
    rng = np.random.default_rng(seed)
    drawn = SCENES[int(rng.integers(0, len(SCENES)))]
    if scene is not None and scene not in SCENES:
        raise ValueError(f"Unknown synthetic scene '{scene}' (one of {', '.join(SCENES)}).")
    scene = scene or drawn
    layers = _Layers(size)
    body = np.zeros((size, size), np.float32)
    if scene in ("shapes", "hair", "fur", "lace"):
        for _ in range(int(rng.integers(1, 4))):
            layer = _shape(size, rng)
            if scene == "lace" or rng.random() < 0.1:
                layer = see_through(layer, rng)
            opacity = 1.0 if rng.random() < 0.75 else rng.uniform(0.3, 0.8)
            layers.over(_texture(size, size, rng), layer * opacity)
            body = np.maximum(body, layer)
    if scene == "shapes":
        if rng.random() < 0.5:
            _hair(size, rng, layers, body, fur=rng.random() < 0.3)
    elif scene in ("hair", "fur"):
        _hair(size, rng, layers, body, fur=scene == "fur")
    elif scene == "foliage":
        _foliage(size, rng, layers)
    elif scene == "veil":
        if rng.random() < 0.5:
            solid = _shape(size, rng)
            layers.over(_texture(size, size, rng), solid)
        _veil(size, rng, layers)
    fg, alpha = layers.result(_texture(size, size, rng))
    if rng.random() < 0.25:  # motion blur
        k = int(rng.integers(3, 9))
        kernel = np.zeros((k, k), np.float32)
        kernel[k // 2] = 1.0 / k
        rot = cv2.getRotationMatrix2D((k / 2 - 0.5, k / 2 - 0.5), rng.uniform(0, 180), 1.0)
        kernel = cv2.warpAffine(kernel, rot, (k, k))
        kernel /= max(kernel.sum(), 1e-6)
        premultiplied = cv2.filter2D(fg * alpha[..., None], -1, kernel)
        alpha = cv2.filter2D(alpha, -1, kernel)
        fg = np.where(alpha[..., None] > 1e-4, premultiplied / np.maximum(alpha[..., None], 1e-4), fg)
    elif rng.random() < 0.5:
        alpha = cv2.GaussianBlur(alpha, (0, 0), rng.uniform(0.3, 0.7))
    return np.clip(fg, 0, 1).astype(np.float32), np.clip(alpha, 0, 1).astype(np.float32)


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


def procedural_background(size: int, rng: np.random.Generator) -> np.ndarray:
    """A ``(S, S, 3)`` float32 background in [0, 1] no photo folder has: multi-scale coloured noise, stripes or
    checks, a bokeh of blurred discs (a portrait's out-of-focus lights), or a smooth gradient with grain."""
    kind = rng.integers(0, 4)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32) / size
    if kind == 0:
        out = sum(cv2.resize(rng.random((max(2, size // k), max(2, size // k), 3)).astype(np.float32),
                             (size, size), interpolation=cv2.INTER_CUBIC) / (i + 1)
                  for i, k in enumerate((128, 32, 8, 2)))
        out = (out - out.min()) / max(float(np.ptp(out)), 1e-6)
    elif kind == 1:
        a, b = rng.uniform(0.2, 0.9, size=(2, 3)).astype(np.float32)
        freq, angle = rng.uniform(4, 40), rng.uniform(0, np.pi)
        u = xx * np.cos(angle) + yy * np.sin(angle)
        if rng.random() < 0.5:
            pattern = (np.sin(u * freq * np.pi) > 0).astype(np.float32)
        else:
            v = -xx * np.sin(angle) + yy * np.cos(angle)
            pattern = ((np.floor(u * freq) + np.floor(v * freq)) % 2).astype(np.float32)
        out = cv2.GaussianBlur(pattern, (0, 0), 0.7)[..., None] * a + (1 - pattern[..., None]) * b
    elif kind == 2:
        out = np.zeros((size, size, 3), np.float32) + rng.uniform(0.0, 0.4, size=3).astype(np.float32)
        for _ in range(int(rng.integers(10, 60))):
            disc = np.zeros((size, size), np.float32)
            cv2.circle(disc, (int(rng.uniform(0, size)), int(rng.uniform(0, size))),
                       int(size * rng.uniform(0.02, 0.12)), 1.0, -1, cv2.LINE_AA)
            out = out + disc[..., None] * rng.uniform(0.05, 0.5, size=3).astype(np.float32)
        out = cv2.GaussianBlur(out, (0, 0), rng.uniform(1.0, 4.0))
    else:
        a, b = rng.uniform(0.0, 1.0, size=(2, 3)).astype(np.float32)
        t = np.clip(xx * rng.uniform(-1, 1) + yy * rng.uniform(-1, 1) + rng.uniform(0, 1), 0, 1)[..., None]
        out = a * t + b * (1 - t) + rng.normal(0, 0.02, size=(size, size, 3)).astype(np.float32)
    return np.clip(out, 0, 1).astype(np.float32)
