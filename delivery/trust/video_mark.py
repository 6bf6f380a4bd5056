"""Invisible watermark in the picture: a keyed, tiled spread-spectrum pattern in luma.

Layout. The frame is covered by a periodic tile of ``GRID`` x ``GRID`` cells whose size is
a fixed fraction of the frame's short side (``CELLS_PER_SHORT_SIDE``), so downscaling keeps
the pattern's geometry relative to the frame and cropping only shifts it cyclically. Each
cell holds one smooth bump (a raised sine, so the pattern has no sharp edges) of sign +1 or
-1. Of the 576 cells, 420 carry the 140 coded payload bits three times (``delivery.trust.payload``)
and 156 carry a keyed synchronisation pattern; the key also shuffles which cell is which.
In delivery each cell's strength is fitted to the video (``informed_pattern``) within a PSNR
budget of 40.5 dB, and no pixel moves by more than the detail right around it hides
(``change_cap``: one grey level on a plain wall, smooth skin, or a few pixels away from an
eye); the pattern is added to the Y plane of every frame with a keyed dither that changes from
frame to frame, so its fractions of a level survive on average and no fixed dot grid stands on
a plain wall.

Detection averages many frames (the pattern is static, the content moves), removes the
picture's low frequencies, weighs every pixel by the inverse of the picture's local variance
(flat areas, where the mark is clean, count most), and for a small set of candidate scales folds the result onto
one tile and finds the cyclic shift by FFT cross-correlation with the sync cells. The
payload cells are then read at that shift and decoded; only a matching keyed tag counts.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import cv2
import numpy as np

from delivery.trust.payload import MAX_DECODE_ATTEMPTS, cell_layout, cell_signs, decode
from delivery.trust.visibility import masking

GRID = 24
CELLS_PER_SHORT_SIDE = 48  # the tile spans half the short side
REPEAT = 3  # each coded bit is carried by this many cells
STRENGTH = 4.0  # peak luma change (0-255 scale); RMS is about STRENGTH / 2
_REF_CELL = 8  # detection works on a grid resampled to 8 px per cell
# Candidate cell sizes relative to "short side / 48": 1.0 is the original framing at any
# size; larger values cover crops of up to ~30 % of the short side.
SCALES = tuple(np.round(np.arange(0.96, 1.42, 0.02), 3))
SCALE_REFINE = (-0.009, -0.006, -0.003, 0.0, 0.003, 0.006, 0.009)  # around a candidate, before its payload is read


def _layout(key: bytes) -> tuple[np.ndarray, np.ndarray]:
    """(cell index of each coded-bit copy [CODED_BITS, REPEAT], sync signs per cell [GRID*GRID] with 0 on data)."""
    data_cells, sync = cell_layout(key, "video-layout", GRID * GRID, REPEAT)
    return data_cells, sync.astype(np.float32)


def _cell_signs(key: bytes, content_id: int) -> np.ndarray:
    return cell_signs(key, "video-layout", GRID * GRID, REPEAT, content_id).astype(np.float32).reshape(GRID, GRID)


def _bump(n: int) -> np.ndarray:
    x = (np.arange(n) + 0.5) / n
    return np.sin(np.pi * x).astype(np.float32)


def cell_size(width: int, height: int) -> float:
    return min(width, height) / CELLS_PER_SHORT_SIDE


def _grid(width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    """For every pixel: its cell's flat index [h, w] and its bump weight [h, w]."""
    cell = cell_size(width, height)
    ys = np.arange(height) / cell
    xs = np.arange(width) / cell
    ui = np.floor(ys).astype(np.int64) % GRID
    vi = np.floor(xs).astype(np.int64) % GRID
    wy = np.sin(np.pi * (ys - np.floor(ys))).astype(np.float32)
    wx = np.sin(np.pi * (xs - np.floor(xs))).astype(np.float32)
    return ui[:, None] * GRID + vi[None, :], wy[:, None] * wx[None, :]


def _field(amplitudes: np.ndarray, width: int, height: int) -> np.ndarray:
    """Per-cell signed amplitudes [GRID, GRID] spread as smooth bumps over a frame (float32)."""
    index, weight = _grid(width, height)
    return (amplitudes.reshape(-1)[index] * weight).astype(np.float32)


def texture_mask(host: np.ndarray, cell: float, flat: float = 0.25) -> np.ndarray:
    """How much change each pixel hides (0.25 on flat areas up to 1.5 in texture): a
    pattern on a flat wall shows as a dot grid long before its PSNR says so."""
    detail = host - cv2.GaussianBlur(host, (0, 0), max(1.0, cell))
    activity = np.sqrt(cv2.GaussianBlur(detail * detail, (0, 0), max(1.0, cell * 1.5)))
    return np.clip(activity / 4.0, flat, 1.5).astype(np.float32)


def informed_pattern(key: bytes, content_id: int, host_mean: np.ndarray, psnr_db: float = 40.5,
                     max_strength: float = 2 * STRENGTH) -> np.ndarray:
    """A pattern whose per-cell strength is fitted to this video (informed embedding).

    The detector's main noise is the picture itself: static texture that happens to
    correlate with a cell's bump. Knowing the picture (the average of the frames to be
    marked), the embedder computes what the detector will read from each cell, then spends
    the power budget (``psnr_db``) where the picture works against the wanted sign and
    little where it already agrees. Cells still get at least half the plain strength, and
    every pixel's change is scaled by how much texture there is to hide it (``texture_mask``).
    """
    height, width = host_mean.shape
    signs = _cell_signs(key, content_id).reshape(-1)
    cell = cell_size(width, height)
    host = host_mean.astype(np.float32)
    local = _local_contrast(_hp(host, cell), cell)
    cap, texture = change_cap(host, cell), texture_mask(host, cell)
    mask = np.minimum(texture, cap / max_strength)  # what the cap lets through, linear in the amplitude

    def read(image_hp: np.ndarray) -> np.ndarray:
        return _cell_values(image_hp / local, width, height)

    host_cells = read(_hp(host, cell)) * signs
    unit = read(_hp(_field(signs, width, height) * mask, cell)) * signs
    unit = np.maximum(unit, np.median(unit) * 0.25)
    budget = 255.0 ** 2 / 10 ** (psnr_db / 10)  # allowed mean squared change
    index, weight = _grid(width, height)
    energy = np.bincount(index.reshape(-1), weights=((weight * mask) ** 2).reshape(-1), minlength=GRID * GRID)
    energy /= width * height
    floor = STRENGTH * 0.5

    def amplitudes(margin: float) -> np.ndarray:
        return np.clip((margin - host_cells) / unit, floor, max_strength)

    lo, hi = 0.0, float(np.max(unit) * max_strength * 4 + np.max(np.abs(host_cells)))
    for _ in range(40):  # the largest margin whose power fits the budget
        mid = (lo + hi) / 2
        if np.sum(amplitudes(mid) ** 2 * energy) <= budget:
            lo = mid
        else:
            hi = mid
    pattern = _field(amplitudes(lo) * signs, width, height) * texture
    return np.clip(pattern, -cap, cap).astype(np.float32)


FLAT_CAP = 1.0  # grey levels: the most the mark changes a pixel where nothing hides it
MASK_GAIN = 0.5  # a change of up to half the detail right around a pixel stays hidden in it


def change_cap(host: np.ndarray, cell: float) -> np.ndarray:
    """The largest change each pixel may take: ``FLAT_CAP`` where nothing hides it (a plain wall,
    a backdrop, smooth skin, a few pixels away from an eye: ``visibility.masking``), up to
    ``MASK_GAIN`` of the detail right around it in texture."""
    return np.clip(MASK_GAIN * masking(host, cell), FLAT_CAP, 4 * STRENGTH).astype(np.float32)


DITHERS = 16  # frames of keyed dither the marker cycles through


class LumaMarker:
    """Adds one content id's pattern to Y planes of a fixed size (fast: one add and clip).

    With ``host_mean`` (the average Y plane of the frames to be marked) the pattern is
    fitted to the video (``informed_pattern``); without it every cell gets ``strength``. The
    pattern's fractions of a grey level are kept by a keyed dither that changes from frame to
    frame (cycling through ``DITHERS``): each frame moves a pixel by whole levels (at most one
    where the picture is flat), their average over frames, which is what the detector reads, is
    the pattern itself, and no fixed dot grid is left standing on a plain wall."""

    def __init__(self, key: bytes, content_id: int, width: int, height: int, strength: float = STRENGTH,
                 host_mean: np.ndarray | None = None, psnr_db: float = 40.5):
        self.width, self.height = width, height
        if host_mean is not None:
            if host_mean.shape != (height, width):
                raise ValueError(f"host mean is {host_mean.shape[1]}x{host_mean.shape[0]}, frames are {width}x{height}")
            pattern = informed_pattern(key, content_id, host_mean, psnr_db)
        else:
            pattern = _field(_cell_signs(key, content_id) * strength, width, height)
        rng = np.random.default_rng(int.from_bytes(hashlib.sha256(key + b"video-dither").digest()[:8], "big"))
        self.patterns = [np.floor(pattern + rng.random(pattern.shape, dtype=np.float32)).astype(np.int16)
                         for _ in range(DITHERS)]
        self.pattern = pattern
        self.cell = cell_size(width, height)
        self._frames = 0

    def mark(self, y: np.ndarray) -> np.ndarray:
        if y.shape != self.pattern.shape:
            raise ValueError(f"frame is {y.shape[1]}x{y.shape[0]}, the marker was made for {self.width}x{self.height}")
        out = y.astype(np.int16)
        # the cap from this frame's own picture (half size: cheap): a wall is flat where the person
        # has just moved away from it, though the frames' average there is not
        small = cv2.resize(y, (max(8, self.width // 2), max(8, self.height // 2)), interpolation=cv2.INTER_AREA)
        small_cap = cv2.erode(change_cap(small, self.cell / 2), np.ones((5, 5), np.uint8))  # flat nearby: flat
        cap = np.floor(cv2.resize(small_cap, (self.width, self.height), interpolation=cv2.INTER_NEAREST)).astype(np.int16)
        out += np.clip(self.patterns[self._frames % DITHERS], -cap, cap)
        self._frames += 1
        np.clip(out, 0, 255, out=out)
        return out.astype(np.uint8)


@dataclass
class VideoDetection:
    found: bool
    content_id: int | None = None
    sync_z: float = 0.0
    scale: float | None = None
    frames_used: int = 0
    soft_bits: list[float] = field(default_factory=list)  # at the best sync, for bit-accuracy figures


def _hp(image: np.ndarray, cell: float) -> np.ndarray:
    return image - cv2.GaussianBlur(image, (0, 0), max(1.0, cell * 0.45))


def _local_contrast(hp: np.ndarray, cell: float) -> np.ndarray:
    """What the detector divides by: the local variance (the picture's own detail is the
    noise a correlation detector weighs by its inverse), floored for flat areas."""
    return (np.sqrt(cv2.GaussianBlur(hp * hp, (0, 0), max(1.0, cell))) + 0.5) ** 2


def _highpass(mean: np.ndarray, cell: float) -> np.ndarray:
    """Remove the picture's low frequencies, then weigh each pixel by the inverse of the local
    variance, so that strong edges (hair, collars) count far less than flat skin where the
    pattern is clean."""
    hp = _hp(mean, cell)
    return hp / _local_contrast(hp, cell)


def _cell_values(hp: np.ndarray, width: int, height: int, scale: float = 1.0) -> np.ndarray:
    """What the detector reads from each cell [GRID*GRID] at the embedding's own alignment."""
    factor = _REF_CELL / (cell_size(width, height) * scale)
    size = (max(1, round(width * factor)), max(1, round(height * factor)))
    img = cv2.resize(hp, size, interpolation=cv2.INTER_AREA if factor < 1 else cv2.INTER_LINEAR)
    tile = _fold(img, GRID * _REF_CELL)
    tile -= tile.mean()
    bump = _bump(_REF_CELL)
    return (tile.reshape(GRID, _REF_CELL, GRID, _REF_CELL) * np.outer(bump, bump)[None, :, None, :]).sum(axis=(1, 3)).reshape(-1)


def _fold(img: np.ndarray, period: int) -> np.ndarray:
    h, w = img.shape
    hh, ww = (h // period) * period, (w // period) * period
    acc = np.zeros((period, period), dtype=np.float64)
    cnt = np.zeros((period, period), dtype=np.float64)
    if hh and ww:
        acc += img[:hh, :ww].reshape(hh // period, period, ww // period, period).sum(axis=(0, 2))
        cnt += (hh // period) * (ww // period)
    # the remainders (bottom strip, right strip) still carry the pattern
    for ys, xs in ((slice(hh, h), slice(0, w)), (slice(0, hh), slice(ww, w))):
        part = img[ys, xs]
        if part.size:
            yi = (np.arange(ys.start, ys.stop) % period)[:, None]
            xi = (np.arange(xs.start, xs.stop) % period)[None, :]
            np.add.at(acc, (np.broadcast_to(yi, part.shape), np.broadcast_to(xi, part.shape)), part)
            np.add.at(cnt, (np.broadcast_to(yi, part.shape), np.broadcast_to(xi, part.shape)), 1)
    return acc / np.maximum(cnt, 1)


def _reference(signs: np.ndarray) -> np.ndarray:
    bump = _bump(_REF_CELL)
    cell = np.outer(bump, bump)
    return np.kron(signs, cell)


class LumaDetector:
    def __init__(self, key: bytes):
        self.key = key
        self.data_cells, sync = _layout(key)
        self.sync_ref = _reference(sync.reshape(GRID, GRID))
        self._sync_fft = np.conj(np.fft.fft2(self.sync_ref))
        bump = _bump(_REF_CELL)
        self._cell_weight = np.outer(bump, bump)

    def detect_mean(self, mean_y: np.ndarray, frames_used: int = 1) -> VideoDetection:
        """Detect in the average of a clip's Y planes (float array)."""
        h, w = mean_y.shape
        base = cell_size(w, h)
        hp = _highpass(mean_y.astype(np.float32), base)
        candidates = [c for c in (self._sync_at(hp, base, s) for s in SCALES) if c is not None]
        if not candidates:
            return VideoDetection(found=False, frames_used=frames_used)
        candidates.sort(key=lambda c: -c[0])
        best = None
        for z, s, tile, peak in candidates[: min(4, MAX_DECODE_ATTEMPTS)]:
            # a crop's scale falls between the grid's steps; a tile read 1 % off drifts a quarter cell by its edge
            z, s, tile, peak = max((c for c in (self._sync_at(hp, base, s + d) for d in SCALE_REFINE) if c is not None),
                                   key=lambda c: c[0])
            soft = self._soft_bits(tile, peak)
            content_id = decode(soft, self.key)
            result = VideoDetection(found=content_id is not None, content_id=content_id, sync_z=round(z, 2),
                                    scale=round(s, 4), frames_used=frames_used, soft_bits=soft.tolist())
            if best is None:
                best = result
            if content_id is not None:
                return result
        return best

    def _sync_at(self, hp: np.ndarray, base: float, scale: float) -> tuple[float, float, np.ndarray, tuple[int, int]] | None:
        """(sync z-score, scale, folded tile, cyclic shift) with cells assumed ``scale`` x the original size."""
        h, w = hp.shape
        period = GRID * _REF_CELL
        factor = _REF_CELL / (base * scale)
        size = (max(1, round(w * factor)), max(1, round(h * factor)))
        if min(size) < period:
            return None
        img = cv2.resize(hp, size, interpolation=cv2.INTER_AREA if factor < 1 else cv2.INTER_LINEAR)
        tile = _fold(img, period)
        tile -= tile.mean()
        corr = np.real(np.fft.ifft2(np.fft.fft2(tile) * self._sync_fft))
        peak = np.unravel_index(np.argmax(corr), corr.shape)
        z = float((corr[peak] - corr.mean()) / (corr.std() + 1e-12))
        return z, float(scale), tile, peak

    def _soft_bits(self, tile: np.ndarray, peak: tuple[int, int]) -> np.ndarray:
        aligned = np.roll(tile, (-peak[0], -peak[1]), axis=(0, 1))
        cells = (aligned.reshape(GRID, _REF_CELL, GRID, _REF_CELL) * self._cell_weight[None, :, None, :]).sum(axis=(1, 3))
        values = cells.reshape(-1)
        soft = values[self.data_cells].sum(axis=1)
        return soft / (np.std(soft) + 1e-12) * 1.0
