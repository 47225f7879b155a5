"""Augmentation of composited training samples: what stretches 16–20 real alphas into many.

Geometry of the foreground (scale, rotation, perspective, elastic), its colours (gain, gamma, hue, saturation), two
foregrounds in one composite, generated and out-of-focus backgrounds, and degradations of the composite itself (noise, JPEG, blur, resampling). All
settings are one :class:`AugmentConfig`; every function takes the sample's ``rng`` so samples stay a pure function
of ``(seed, index)``. Arrays are float32 in [0, 1]: colours ``(S, S, 3)``, alpha ``(S, S)``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import cv2
import numpy as np

from matting_studio.core.motion import CURRENT_FRAME, grayscale


@dataclass(frozen=True)
class AugmentConfig:
    scale: tuple[float, float] = (0.5, 2.0)  # foreground crop window / training crop (log-uniform)
    rotate_deg: float = 20.0
    perspective: float = 0.06  # corner jitter as a fraction of the crop
    warp_probability: float = 0.5
    elastic_probability: float = 0.3  # a smooth random displacement of the warped foreground
    elastic_strength: float = 0.02  # its largest displacement as a fraction of the crop
    gamma: tuple[float, float] = (0.7, 1.4)
    hue_deg: float = 15.0
    saturation: tuple[float, float] = (0.7, 1.3)
    colour_probability: float = 0.6
    two_foregrounds: float = 0.2  # probability of a second foreground in the composite
    defocus: float = 0.1  # probability of an out-of-focus subject (synthetic.defocus)
    lookalike: float = 0.1  # probability of a shifted dark copy of the subject behind it (synthetic.lookalike_background)
    palette: float = 0.15  # probability of a background painted in the subject's colours (synthetic.palette_background)
    procedural_background: float = 0.15  # probability of a generated background (synthetic.procedural_background)
    background_blur: float = 0.2  # probability of an out-of-focus background (Gaussian, sigma 1–6 px)
    wide_band: float = 0.0  # probability of wide unknown bands (datasets.WIDE_BAND): the adaptive band's and wide strokes'
    moving_subject: float = 0.0  # probability of a 4-frame clip of the subject moving (moving_frames): real motion cues
    monochrome: float = 0.0  # probability of a black-and-white composite (monochrome): colour cannot tell F from B
    noise_std: float = 0.02  # maximum Gaussian noise of the composite
    jpeg_probability: float = 0.25
    jpeg_quality: tuple[int, int] = (40, 95)
    blur_probability: float = 0.15
    resample_probability: float = 0.15  # down- and up-sampling of the composite by 0.5–0.9

    def to_dict(self) -> dict:
        return asdict(self)


def crop_scale(config: AugmentConfig, rng: np.random.Generator) -> float:
    """Size of the foreground window relative to the crop: < 1 zooms in (up-sampled), > 1 zooms out."""
    lo, hi = config.scale
    return float(np.exp(rng.uniform(np.log(lo), np.log(hi))))


def warp(fg: np.ndarray, alpha: np.ndarray, config: AugmentConfig, rng: np.random.Generator):
    """A random rotation + perspective of the foreground and its alpha (about the centre; outside: alpha 0)."""
    if rng.random() >= config.warp_probability:
        return fg, alpha
    h, w = alpha.shape
    angle = np.deg2rad(rng.uniform(-config.rotate_deg, config.rotate_deg))
    c, s = np.cos(angle), np.sin(angle)
    corners = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    centre = np.float32([w / 2, h / 2])
    moved = (corners - centre) @ np.float32([[c, s], [-s, c]]) + centre
    moved += rng.uniform(-config.perspective, config.perspective, size=(4, 2)).astype(np.float32) * np.float32([w, h])
    m = cv2.getPerspectiveTransform(corners, moved.astype(np.float32))
    fg = cv2.warpPerspective(fg, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    alpha = cv2.warpPerspective(alpha, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    if rng.random() < config.elastic_probability:
        fg, alpha = elastic(fg, alpha, config.elastic_strength, rng)
    return fg, np.clip(alpha, 0, 1)


def elastic(fg: np.ndarray, alpha: np.ndarray, strength: float, rng: np.random.Generator):
    """Foreground and alpha moved by one smooth random displacement field (largest shift ``strength`` × size):
    strands bend and outlines wobble while the alpha stays a true alpha of the moved colours."""
    h, w = alpha.shape
    coarse = rng.uniform(-1, 1, size=(2, 5, 5)).astype(np.float32)
    dx, dy = (cv2.resize(c, (w, h), interpolation=cv2.INTER_CUBIC) * strength * max(h, w) for c in coarse)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    mx, my = xx + dx, yy + dy
    fg = cv2.remap(fg, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    alpha = cv2.remap(alpha, mx, my, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    return fg, np.clip(alpha, 0, 1)


def recolour(fg: np.ndarray, config: AugmentConfig, rng: np.random.Generator) -> np.ndarray:
    """Gain per channel, then (with ``colour_probability``) gamma, hue rotation and saturation of the foreground."""
    gain = rng.uniform(0.8, 1.2, size=3).astype(np.float32) * np.float32(rng.uniform(0.85, 1.15))
    fg = np.clip(fg * gain, 0, 1)
    if rng.random() >= config.colour_probability:
        return fg
    fg = np.power(fg, np.float32(rng.uniform(*config.gamma)))
    hsv = cv2.cvtColor(np.ascontiguousarray(fg, np.float32), cv2.COLOR_RGB2HSV)
    hsv[..., 0] = (hsv[..., 0] + rng.uniform(-config.hue_deg, config.hue_deg)) % 360
    hsv[..., 1] = np.clip(hsv[..., 1] * rng.uniform(*config.saturation), 0, 1)
    return np.clip(cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB), 0, 1)


def union(fg1: np.ndarray, a1: np.ndarray, fg2: np.ndarray, a2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two foregrounds as one: the first in front, ``α = α₁ + (1 − α₁) α₂`` and the colour that composites to it."""
    alpha = a1 + (1 - a1) * a2
    weight2 = ((1 - a1) * a2)[..., None]
    fg = (a1[..., None] * fg1 + weight2 * fg2) / np.maximum(alpha[..., None], 1e-6)
    fg = np.where(alpha[..., None] > 1e-6, fg, fg1)
    return np.clip(fg, 0, 1).astype(np.float32), np.clip(alpha, 0, 1).astype(np.float32)


MAX_SPEED = 6.0  # px per frame of a moving subject (moving_frames), at the training crop's scale
PAN_JITTER = 0.5  # px: the background's misalignment left after the video's global alignment


def motion_blur(fg: np.ndarray, alpha: np.ndarray, velocity: tuple[float, float]) -> tuple[np.ndarray, np.ndarray]:
    """Foreground and alpha smeared along ``velocity`` (px, the distance travelled while the shutter is open): the
    premultiplied colour and the alpha are blurred by one line kernel, so the result is still a true alpha."""
    length = float(np.hypot(*velocity))
    if length < 1.0:
        return fg, alpha
    size = int(np.ceil(length)) | 1
    kernel = np.zeros((size, size), np.float32)
    c = size // 2
    ux, uy = velocity[0] / length, velocity[1] / length
    for t in np.linspace(-length / 2, length / 2, 2 * size + 1):
        kernel[int(round(c + t * uy)), int(round(c + t * ux))] += 1.0
    kernel /= kernel.sum()
    a = cv2.filter2D(alpha, -1, kernel, borderType=cv2.BORDER_REPLICATE)
    premultiplied = cv2.filter2D(fg * alpha[..., None], -1, kernel, borderType=cv2.BORDER_REPLICATE)
    blurred = np.where(a[..., None] > 1e-4, premultiplied / np.maximum(a[..., None], 1e-4), fg)
    return np.clip(blurred, 0, 1).astype(np.float32), np.clip(a, 0, 1).astype(np.float32)


def moving_frames(fg: np.ndarray, alpha: np.ndarray, bg: np.ndarray, rng: np.random.Generator,
                  current: int = CURRENT_FRAME) -> tuple[np.ndarray, np.ndarray, list[np.ndarray]]:
    """Four composites of the subject moving over ``bg`` at a random velocity (1 to ``MAX_SPEED`` px per frame),
    with motion blur, frame ``current`` being the sample itself; the background keeps up to ``PAN_JITTER`` px of
    misalignment (the video's cues are aligned on the background first).

    Returns the current frame's foreground ``(S, S, 3)`` and alpha ``(S, S)`` (blurred: the training targets) and
    the four composites ``(S, S, 3)`` in temporal order."""
    h, w = alpha.shape
    speed, angle = rng.uniform(1.0, MAX_SPEED), rng.uniform(0, 2 * np.pi)
    v = (speed * np.cos(angle), speed * np.sin(angle))
    blur_fg, blur_alpha = motion_blur(fg, alpha, tuple(x * rng.uniform(0.0, 1.0) for x in v))
    frames = []
    for k in range(4):
        t = k - current
        m = np.float32([[1, 0, t * v[0]], [0, 1, t * v[1]]])
        f = cv2.warpAffine(blur_fg, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        a = cv2.warpAffine(blur_alpha, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)[..., None]
        jitter = np.float32([[1, 0, 0], [0, 1, 0]])
        if t:
            jitter[:, 2] = rng.uniform(-PAN_JITTER, PAN_JITTER, size=2)
        b = cv2.warpAffine(bg, jitter, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
        frames.append(np.clip(a * f + (1 - a) * b, 0, 1).astype(np.float32))
    return blur_fg, blur_alpha, frames


def monochrome(*colours: np.ndarray) -> list[np.ndarray]:
    """Each ``(H, W, 3)`` image in [0, 1] as black and white: its luma in all three channels (float32), as a
    black-and-white photo's foreground and background are."""
    return [np.repeat(grayscale(c)[..., None], 3, axis=2) for c in colours]


def degrade(image: np.ndarray, config: AugmentConfig, rng: np.random.Generator) -> np.ndarray:
    """The composite as a camera and a web upload leave it: resampling, blur, noise, JPEG (each at random)."""
    h, w = image.shape[:2]
    if rng.random() < config.resample_probability:
        f = rng.uniform(0.5, 0.9)
        small = cv2.resize(image, (max(2, round(w * f)), max(2, round(h * f))), interpolation=cv2.INTER_AREA)
        image = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    if rng.random() < config.blur_probability:
        image = cv2.GaussianBlur(image, (0, 0), rng.uniform(0.3, 1.0))
    if config.noise_std > 0:
        image = image + rng.normal(0, rng.uniform(0, config.noise_std), size=image.shape).astype(np.float32)
    image = np.clip(image, 0, 1).astype(np.float32)
    if rng.random() < config.jpeg_probability:
        quality = int(rng.integers(config.jpeg_quality[0], config.jpeg_quality[1] + 1))
        ok, buf = cv2.imencode(".jpg", (image[..., ::-1] * 255 + 0.5).astype(np.uint8),
                               [cv2.IMWRITE_JPEG_QUALITY, quality])
        if ok:
            image = cv2.imdecode(buf, cv2.IMREAD_COLOR)[..., ::-1].astype(np.float32) / 255
    return np.ascontiguousarray(image, dtype=np.float32)
