"""The watermark payload: a 32-bit content id, a 32-bit keyed tag and a convolutional code.

The tag is ``HMAC-SHA256(key, id)`` truncated to 32 bits. A detector reports a watermark
only when the decoded tag matches, so on unmarked media a false positive needs a random
64-bit word to pass a 32-bit check: probability 2^-32 (2.3e-10) per decode attempt. Every
detector bounds its number of attempts (``MAX_DECODE_ATTEMPTS``), which bounds the false
positive rate by design: 64 x 2^-32 = 1.5e-8 per file, below the 1e-6 target.

The 64 bits are protected by the rate-1/2, constraint-length-7 convolutional code
(generators 133/171 octal, the one used by 802.11 and DVB), decoded with soft-decision
Viterbi, which corrects bursts of weak or wrong bits that a repetition code would not.
"""

from __future__ import annotations

import hashlib
import hmac

import numpy as np

ID_BITS = 32
TAG_BITS = 32
MESSAGE_BITS = ID_BITS + TAG_BITS
_K = 7
_GENERATORS = (0o133, 0o171)
CODED_BITS = (MESSAGE_BITS + _K - 1) * len(_GENERATORS)  # 140
MAX_DECODE_ATTEMPTS = 64
FALSE_POSITIVE_BOUND = MAX_DECODE_ATTEMPTS * 2.0 ** -TAG_BITS


def _bits(value: int, n: int) -> np.ndarray:
    return np.array([(value >> (n - 1 - i)) & 1 for i in range(n)], dtype=np.uint8)


def _int(bits: np.ndarray) -> int:
    out = 0
    for b in bits:
        out = (out << 1) | int(b)
    return out


def keyed_tag(key: bytes, content_id: int) -> int:
    digest = hmac.new(key, b"studio-watermark-tag" + content_id.to_bytes(4, "big"), hashlib.sha256).digest()
    return int.from_bytes(digest[:4], "big")


def key_seed(key: bytes, purpose: str) -> int:
    """A 64-bit RNG seed derived from the key, separate for each use (video, audio)."""
    return int.from_bytes(hmac.new(key, purpose.encode(), hashlib.sha256).digest()[:8], "big")


def _parity(x: int) -> int:
    return bin(x).count("1") & 1


# Trellis tables: for each state (last 6 input bits) and input bit, the next state and the
# two output bits.
_STATES = 1 << (_K - 1)
_NEXT = np.zeros((_STATES, 2), dtype=np.int64)
_OUT = np.zeros((_STATES, 2, 2), dtype=np.float64)
for _s in range(_STATES):
    for _b in (0, 1):
        _reg = (_b << (_K - 1)) | _s
        _NEXT[_s, _b] = _reg >> 1
        for _g, _gen in enumerate(_GENERATORS):
            _OUT[_s, _b, _g] = _parity(_reg & _gen)


def encode(content_id: int, key: bytes) -> np.ndarray:
    """The 140 coded bits (0/1) that carry ``content_id`` and its keyed tag."""
    if not 0 <= content_id < 2 ** ID_BITS:
        raise ValueError(f"content id must fit in {ID_BITS} bits")
    message = np.concatenate([_bits(content_id, ID_BITS), _bits(keyed_tag(key, content_id), TAG_BITS),
                              np.zeros(_K - 1, dtype=np.uint8)])
    state, out = 0, []
    for b in message:
        out.extend(_OUT[state, b].astype(np.uint8))
        state = _NEXT[state, b]
    return np.array(out, dtype=np.uint8)


def viterbi(soft: np.ndarray) -> np.ndarray:
    """Soft-decision Viterbi: ``soft`` > 0 means bit 1 is likelier. Returns the message bits."""
    soft = np.asarray(soft, dtype=np.float64).reshape(-1, len(_GENERATORS))
    signs = 2.0 * _OUT - 1.0  # +1 where the encoder emits bit 1
    nxt = np.arange(_STATES)
    bit = nxt >> (_K - 2)  # the input bit that leads into each state
    preds = np.stack([((nxt & (_STATES // 2 - 1)) << 1) | j for j in (0, 1)])  # two predecessors each
    metric = np.full(_STATES, -np.inf)
    metric[0] = 0.0
    back = np.zeros((len(soft), _STATES), dtype=np.int64)
    for t, y in enumerate(soft):
        gain = signs @ y  # (state, input bit)
        cand = metric[preds] + gain[preds, bit]  # (2, states)
        pick = np.argmax(cand, axis=0)
        metric = cand[pick, nxt]
        back[t] = preds[pick, nxt]
    state, bits = 0, []  # the tail bits return the encoder to state 0
    for t in range(len(soft) - 1, -1, -1):
        bits.append(state >> (_K - 2))
        state = back[t, state]
    return np.array(bits[::-1], dtype=np.uint8)[:MESSAGE_BITS]


def decode(soft: np.ndarray, key: bytes) -> int | None:
    """The content id carried by ``soft`` (140 values), or None when its keyed tag fails."""
    message = viterbi(soft)
    content_id, tag = _int(message[:ID_BITS]), _int(message[ID_BITS:])
    return content_id if keyed_tag(key, content_id) == tag else None


def cell_layout(key: bytes, purpose: str, n_cells: int, repeat: int) -> tuple[np.ndarray, np.ndarray]:
    """Which cells carry which coded bit ([CODED_BITS, repeat] cell indices) and the keyed
    sync signs of the other cells ([n_cells], 0 on data cells): a shuffle only the key knows,
    which also spreads any local damage across the code word."""
    if n_cells < CODED_BITS * repeat + 64:
        raise ValueError(f"{n_cells} cells cannot hold {CODED_BITS} x {repeat} payload cells and a sync pattern")
    rng = np.random.default_rng(key_seed(key, purpose))
    cells = rng.permutation(n_cells)
    data_cells = cells[: CODED_BITS * repeat].reshape(CODED_BITS, repeat)
    sync = np.zeros(n_cells, dtype=np.float64)
    rest = cells[CODED_BITS * repeat:]
    sync[rest] = rng.choice([-1.0, 1.0], size=len(rest))
    return data_cells, sync


def cell_signs(key: bytes, purpose: str, n_cells: int, repeat: int, content_id: int) -> np.ndarray:
    """+1/-1 for every cell: the sync pattern plus the coded bits of ``content_id``."""
    data_cells, signs = cell_layout(key, purpose, n_cells, repeat)
    bits = encode(content_id, key).astype(np.float64) * 2 - 1
    for r in range(repeat):
        signs[data_cells[:, r]] = bits
    return signs
