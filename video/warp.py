"""Smooth landmark-driven warps: a thin-plate spline through matched points, evaluated on a
coarse grid and resampled (so a warp of a face region costs a few milliseconds)."""

from __future__ import annotations

import numpy as np

try:
    import cv2
except ImportError as exc:  # pragma: no cover
    raise ImportError("the reenact video backend needs opencv-python-headless: uv sync") from exc

GRID = 4  # the spline is evaluated every GRID pixels and interpolated between


def _kernel(r2: np.ndarray) -> np.ndarray:
    return r2 * np.log(np.maximum(r2, 1e-12))  # r^2 log r^2, 0 at r = 0 (1e-12 * log 1e-12 is 0 to float precision)


def _squared_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """|a_i - b_j|^2 for every pair, as one matrix product (no [len(a), len(b), 2] array)."""
    return np.maximum((a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2 * a @ b.T, 0.0)


def tps_map(dst: np.ndarray, src: np.ndarray, box: tuple[int, int, int, int], regular: float = 1e-3) -> tuple[np.ndarray, np.ndarray]:
    """(map_x, map_y) for ``cv2.remap`` over ``box`` (x0, y0, x1, y1) of the output: for each
    output pixel, where in the source image to read, so that source points ``src`` land on
    ``dst`` and everything between moves smoothly."""
    x0, y0, x1, y1 = box
    scale = float(max(x1 - x0, y1 - y0, 1))
    d = (dst.astype(np.float64) - (x0, y0)) / scale
    s = src.astype(np.float64) - (x0, y0)
    n = len(d)
    k = _kernel(_squared_distances(d, d)) + regular * np.eye(n)
    p = np.hstack([np.ones((n, 1)), d])
    a = np.zeros((n + 3, n + 3))
    a[:n, :n], a[:n, n:], a[n:, :n] = k, p, p.T
    coef = np.linalg.solve(a, np.vstack([s, np.zeros((3, 2))]))
    # grid points where cv2.resize puts its cell centres, so the upsampled map needs no shift
    # (a cell beyond each side, cropped off after, so the edges are interpolated, not clamped)
    cols, rows = -(-(x1 - x0) // GRID) + 2, -(-(y1 - y0) // GRID) + 2
    gx, gy = np.meshgrid((np.arange(cols) - 0.5) * GRID - 0.5, (np.arange(rows) - 0.5) * GRID - 0.5)
    g = np.stack([gx.ravel(), gy.ravel()], 1) / scale
    u = _kernel(_squared_distances(g, d))
    grid = (u @ coef[:n] + np.hstack([np.ones((len(g), 1)), g]) @ coef[n:]).astype(np.float32)
    mx = cv2.resize(grid[:, 0].reshape(rows, cols), (cols * GRID, rows * GRID))[GRID : GRID + y1 - y0, GRID : GRID + x1 - x0]
    my = cv2.resize(grid[:, 1].reshape(rows, cols), (cols * GRID, rows * GRID))[GRID : GRID + y1 - y0, GRID : GRID + x1 - x0]
    return mx + x0, my + y0


def warp_region(image: np.ndarray, dst: np.ndarray, src: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """The ``box`` of ``image`` warped so that its points ``src`` move to ``dst`` (bicubic)."""
    mx, my = tps_map(dst, src, box)
    return cv2.remap(image, mx, my, interpolation=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
