"""How visible the picture watermark is, measured where nothing hides it.

PSNR and SSIM average over the whole frame, so a dot grid on a plain wall can sit at 40 dB and
still be the first thing a viewer sees. These figures look at flat regions (the host's local
detail under ``FLAT_SPREAD`` grey levels at the pattern's scale, gradients not counted): the mark's largest and typical
change there, and the same after blurring to the scale the eye resolves the pattern at (single-
pixel grain averages out, a dot does not). Beside them, the share of pixels whose change passes a
just-noticeable difference (Chou and Li's luminance adaptation and texture masking); a per-pixel
model like this one underrates a regular pattern, which is why the flat-region figures lead.
"""

from __future__ import annotations

import cv2
import numpy as np
from pydantic import BaseModel

FLAT_SPREAD = 1.0  # grey levels of local detail (RMS, gradients removed) below which a region is flat


class MarkVisibility(BaseModel):
    flat_share: float  # of the frame
    flat_peak: float  # largest change in flat regions, grey levels
    flat_std: float
    flat_seen_peak: float  # largest change in flat regions at the pattern's scale (grain averaged out)
    over_jnd: float  # share of pixels whose change passes the just-noticeable difference


def masking(host: np.ndarray, cell: float) -> np.ndarray:
    """How much detail each pixel has right around it to hide a change (grey levels, RMS): the
    picture's fine detail (finer than an eighth of the pattern's cell), over an eighth of a cell. A
    smooth gradient (shaded skin, a lit wall) has none: it hides a dot no better than a plain
    wall; and an eye or a hair line hides nothing a few pixels away from it."""
    h = host.astype(np.float32)
    reach = max(1.0, cell / 8)
    detail = h - cv2.GaussianBlur(h, (0, 0), reach)
    return np.sqrt(cv2.GaussianBlur(detail * detail, (0, 0), reach))


def flat_regions(host: np.ndarray, cell: float) -> np.ndarray:
    """Where nothing hides a pattern (``masking`` under ``FLAT_SPREAD``)."""
    return masking(host, cell) < FLAT_SPREAD


def jnd(host: np.ndarray) -> np.ndarray:
    """Chou and Li (1995): the larger of luminance adaptation and texture masking, grey levels."""
    h = host.astype(np.float32)
    bg = cv2.blur(h, (5, 5))
    adaptation = np.where(bg <= 127, 17 * (1 - np.sqrt(bg / 127)) + 3, 3 / 128 * (bg - 127) + 3)
    gradient = np.maximum(np.abs(cv2.Sobel(h, cv2.CV_32F, 1, 0, ksize=3)), np.abs(cv2.Sobel(h, cv2.CV_32F, 0, 1, ksize=3))) / 8
    masking = gradient * (0.0001 * bg + 0.115) + (0.5 - 0.01 * bg)
    return np.maximum(adaptation, masking)


def mark_visibility(host: np.ndarray, marked: np.ndarray, cell: float) -> MarkVisibility:
    """``host`` and ``marked``: the same Y plane without and with the mark."""
    change = marked.astype(np.float32) - host.astype(np.float32)
    flat = flat_regions(host, cell)
    # the change a flat region shows at the pattern's scale (its own pixels only: texture next to it may take more)
    weight = cv2.GaussianBlur(flat.astype(np.float32), (0, 0), max(1.0, cell / 4))
    seen = cv2.GaussianBlur(change * flat, (0, 0), max(1.0, cell / 4)) / np.maximum(weight, 1e-6)
    values, seen_values = change[flat], seen[flat]
    return MarkVisibility(
        flat_share=round(float(flat.mean()), 3),
        flat_peak=round(float(np.abs(values).max()), 2) if values.size else 0.0,
        flat_std=round(float(values.std()), 3) if values.size else 0.0,
        flat_seen_peak=round(float(np.abs(seen_values).max()), 2) if values.size else 0.0,
        over_jnd=round(float((np.abs(change) > jnd(host)).mean()), 5))
