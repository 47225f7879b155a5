"""Matting error metrics, following the Deep Image Matting evaluation code (Xu et al., CVPR 2017).

Conventions (those of the reference MATLAB code and its common Python ports):

- ``pred`` and ``gt`` are alpha mattes ``(H, W)`` in [0, 1] (the reference divides 8-bit mattes by 255);
  errors are summed over the trimap's **unknown** region only (trimap == 0.5, i.e. 128 in 8-bit).
- ``SAD`` = Σ|pred − gt| / 1000 (reported in thousands).
- ``MSE`` = Σ(pred − gt)² / (number of unknown pixels).
- ``Grad`` = Σ(|∇pred| − |∇gt|)² / 1000, gradients by first-order Gaussian derivative filters with σ = 1.4
  (kernel normalised to unit L2 norm, replicate borders).
- ``Conn`` = Σ|φ(pred) − φ(gt)| / 1000 with φ(a) = 1 − d·[d ≥ 0.15], d = a − l, where l is the highest
  threshold (step 0.1) at which the pixel still belongs to the largest 4-connected component of both
  thresholded mattes.
"""

from __future__ import annotations

import cv2
import numpy as np
from scipy import ndimage

from matting_studio.core.errors import MattingError
from matting_studio.core.trimap import UNKNOWN


def _prepare(pred: np.ndarray, gt: np.ndarray, trimap: np.ndarray):
    pred = np.asarray(pred, dtype=np.float64)
    gt = np.asarray(gt, dtype=np.float64)
    trimap = np.asarray(trimap, dtype=np.float64)
    if pred.ndim != 2 or pred.shape != gt.shape or trimap.shape != gt.shape:
        raise MattingError(
            f"Metrics need 2-D arrays of one size; got pred {pred.shape}, gt {gt.shape}, trimap {trimap.shape}."
        )
    if pred.min(initial=0) < -1e-6 or pred.max(initial=0) > 1 + 1e-6 or gt.min(initial=0) < -1e-6 or gt.max(initial=0) > 1 + 1e-6:
        raise MattingError("Alpha mattes for metrics must lie in [0, 1].")
    return pred, gt, trimap == UNKNOWN


def sad(pred: np.ndarray, gt: np.ndarray, trimap: np.ndarray) -> float:
    """Sum of absolute differences over the unknown region, in thousands."""
    pred, gt, region = _prepare(pred, gt, trimap)
    return float(np.abs(pred - gt)[region].sum() / 1000.0)


def mse(pred: np.ndarray, gt: np.ndarray, trimap: np.ndarray) -> float:
    """Mean squared error over the unknown region (0 when the region is empty)."""
    pred, gt, region = _prepare(pred, gt, trimap)
    n = int(region.sum())
    return float(((pred - gt) ** 2)[region].sum() / n) if n else 0.0


def _gauss_kernel(sigma: float = 1.4, epsilon: float = 1e-2) -> np.ndarray:
    half = int(np.ceil(sigma * np.sqrt(-2.0 * np.log(np.sqrt(2.0 * np.pi) * sigma * epsilon))))
    u = np.arange(-half, half + 1, dtype=np.float64)
    gauss = np.exp(-(u**2) / (2 * sigma**2)) / (sigma * np.sqrt(2 * np.pi))
    dgauss = -u * gauss / sigma**2
    hx = np.outer(gauss, dgauss)  # rows: gaussian, columns: derivative
    return hx / np.sqrt(np.sum(hx * hx))


def _gradient_magnitude(alpha: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    gx = ndimage.convolve(alpha, kernel, mode="nearest")
    gy = ndimage.convolve(alpha, kernel.T, mode="nearest")
    return np.sqrt(gx**2 + gy**2)


def gradient_error(pred: np.ndarray, gt: np.ndarray, trimap: np.ndarray, sigma: float = 1.4) -> float:
    """Gradient error over the unknown region, in thousands."""
    pred, gt, region = _prepare(pred, gt, trimap)
    kernel = _gauss_kernel(sigma)
    diff = (_gradient_magnitude(pred, kernel) - _gradient_magnitude(gt, kernel)) ** 2
    return float(diff[region].sum() / 1000.0)


def _largest_component(binary: np.ndarray) -> np.ndarray:
    count, labels = cv2.connectedComponents(binary.astype(np.uint8), connectivity=4)
    if count <= 1:
        return np.zeros(binary.shape, bool)
    sizes = np.bincount(labels.ravel())
    sizes[0] = 0
    return labels == int(np.argmax(sizes))


def connectivity_error(pred: np.ndarray, gt: np.ndarray, trimap: np.ndarray, step: float = 0.1) -> float:
    """Connectivity error over the unknown region, in thousands."""
    pred, gt, region = _prepare(pred, gt, trimap)
    steps = np.arange(0.0, 1.0 + step, step)
    level = np.full(pred.shape, -1.0)
    for i in range(1, len(steps)):
        omega = _largest_component((pred >= steps[i]) & (gt >= steps[i]))
        level[(level == -1) & ~omega] = steps[i - 1]
    level[level == -1] = 1.0
    d_pred, d_gt = pred - level, gt - level
    phi_pred = 1.0 - d_pred * (d_pred >= 0.15)
    phi_gt = 1.0 - d_gt * (d_gt >= 0.15)
    return float(np.abs(phi_pred - phi_gt)[region].sum() / 1000.0)


def all_metrics(pred: np.ndarray, gt: np.ndarray, trimap: np.ndarray) -> dict[str, float]:
    """``{"SAD", "MSE", "Grad", "Conn"}`` for one prediction."""
    return {
        "SAD": sad(pred, gt, trimap),
        "MSE": mse(pred, gt, trimap),
        "Grad": gradient_error(pred, gt, trimap),
        "Conn": connectivity_error(pred, gt, trimap),
    }
