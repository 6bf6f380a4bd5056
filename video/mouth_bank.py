"""The mouth bank: the person's own lower face at each step of mouth opening, chosen from their
footage as a person would choose (never with the tongue out, a bitten or curled lip, a hand or
cup in front, motion blur or the head turned away; sharp teeth preferred), completed by openings
synthesised from their closed mouth where the footage never opens that far, and pasted onto any
base frame: the two bank frames nearest the wanted opening are morphed onto the same mouth shape
(so they blend without a double edge), fitted to the base face's own cheeks and jaw, colour
matched and feathered in inside its jaw line. Bank mouths whose face was turned and set like the
base frame's are preferred; where none fits (a head turned further than any bank frame, a
grimace), the base frame opens its own mouth, cheeks, moles and earrings untouched.

The bank is built from the same footage whatever the talk's length, so a persona looks the same
in a 6-second greeting and a 9-minute talk; a photo is a bank of one closed mouth."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np

from media.backends.dlib_face import measure, mouth_opening, mouth_width
from media.face_patches import STABLE_POINTS, LowerFace, occluded
from video.mouth_synth import face_length, inner_mask, open_mouth, settle_closed, shows_inside, teeth_colour
from video.quality import mouth_sharpness
from video.warp import tps_map

try:
    import cv2
except ImportError as exc:  # pragma: no cover
    raise ImportError("the reenact video backend needs opencv-python-headless: uv sync") from exc

log = logging.getLogger(__name__)

BANK_STEPS = 12
TARGET_RANGE = 0.14  # openings the bank must reach above the closed mouth (inner-lip gap over nose-to-chin)
_DRIVEN = list(range(48, 68))
_FITTED = [2, 3, 4, 12, 13, 14, 29, 30, 31, 32, 33, 34, 35]  # pasted where the base face has them
_CHIN = list(range(5, 12))
OWN_REST = 0.25  # a frame's own mouth open up to this share of the bank's range counts as resting
MISFIT_WEIGHT = 1.0  # how much a bank mouth's misfit to the frame's cheeks and jaw costs against its opening
OWN_MOUTH_MISFIT = 0.18  # past this for the best bank mouth, a frame (a turned head, a grimace) keeps its own mouth
SHARPENING = (0.0, 0.4, 0.8, 1.2, 1.6)  # unsharp amounts the bank tries on its own footage (``_calibrate``)
REJECT_REASONS = ("no face", "turned away", "blurred", "occluded", "tongue out", "lip bitten", "lips curled")


@dataclass
class BankReport:
    """Why the bank holds what it holds: candidate frames, those rejected per reason, the chosen
    frames (index into the bank footage) and how many openings were synthesised."""

    candidates: int = 0
    rejected: dict[str, int] = field(default_factory=dict)
    chosen: list[int] = field(default_factory=list)
    synthesised: int = 0
    real_range: float = 0.0
    sharpen: float = 0.0  # the unsharp amount that gives the pasted mouth the footage's own detail

    def summary(self) -> str:
        rejects = ", ".join(f"{n} {why}" for why, n in self.rejected.items() if n) or "none"
        return (f"{len(self.chosen)} frames of {self.candidates} (rejected: {rejects}), opening range "
                f"{self.real_range:.3f} in the footage, {self.synthesised} openings synthesised")


@dataclass
class _Entry:
    opening: float
    width: float
    image: np.ndarray  # a crop around the face
    points: np.ndarray  # its 68 landmarks in the crop


def _crop(frame: np.ndarray, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    length = face_length(points)
    x0, y0 = int(max(0, points[:, 0].min() - 0.5 * length)), int(max(0, points[:, 1].min() - 0.3 * length))
    x1 = int(min(frame.shape[1], points[:, 0].max() + 0.5 * length))
    y1 = int(min(frame.shape[0], points[:, 1].max() + 0.8 * length))
    return frame[y0:y1, x0:x1].copy(), (points - (x0, y0)).astype(np.float32)


class MouthBank:
    """See the module docstring. ``frames`` and ``points``: the bank footage and its landmarks
    (NaN where no face); ``drop``: frame indices an operator struck out; ``careful``: the nearest
    mouth alone (no blend of two) under a softer edge."""

    def __init__(self, frames: np.ndarray, points: np.ndarray, drop: set[int] | None = None, careful: bool = False):
        n = len(frames)
        self.careful = careful
        self.report = BankReport(candidates=n)
        points = _settled(frames, points)
        features = [_features(frames[i], points[i]) if not np.isnan(points[i]).any() else None for i in range(n)]
        reasons = _rejects(features, frames, points)
        for i in drop or ():
            if 0 <= i < n and reasons[i] is None:
                reasons[i] = "dropped by the operator"
        self.reasons = reasons
        for why in REJECT_REASONS + ("dropped by the operator",):
            self.report.rejected[why] = sum(r == why for r in reasons)
        kept = [i for i in range(n) if reasons[i] is None]
        if not kept:
            found = [i for i in range(n) if features[i] is not None]
            if not found:
                raise ValueError("no usable face in the footage for a mouth bank")
            kept = found  # better the person's own frames than none; the report says what was wrong
        openings = np.array([features[i]["opening"] for i in kept])
        widths = np.array([features[i]["width"] for i in kept])
        self.closed = float(np.percentile(openings, 5))
        real_widest = float(np.percentile(openings, 95))
        self.report.real_range = real_widest - self.closed
        self.narrow, self.spread = float(np.percentile(widths, 10)), float(np.percentile(widths, 90))
        self.entries: list[_Entry] = []
        edges = np.linspace(self.closed, max(real_widest, self.closed + 1e-3), BANK_STEPS + 1)
        for lo, hi in zip(edges[:-1], edges[1:]):
            idx = [k for k in range(len(kept)) if lo <= openings[k] <= hi]
            if not idx:
                continue
            by_width = sorted(idx, key=lambda k: widths[k])
            for part in np.array_split(np.array(by_width), min(3, len(by_width))):
                best = kept[max(part, key=lambda k: features[kept[k]]["score"])]
                crop, pts = _crop(frames[best], points[best])
                self.entries.append(_Entry(features[best]["opening"], features[best]["width"], crop, pts))
                self.report.chosen.append(best)
        self.widest = real_widest
        teeth = [f["teeth"] for f in (features[i] for i in kept) if f["teeth"] is not None]
        self.tooth = np.median(np.array(teeth), axis=0) if teeth else None
        if real_widest - self.closed < TARGET_RANGE:
            self._synthesise(features, kept)
        self._stable = np.stack([e.points[STABLE_POINTS] for e in self.entries]).astype(np.float64)
        self._fitted = np.stack([e.points[_FITTED] for e in self.entries]).astype(np.float64)
        self.sharpen = self.report.sharpen = self._calibrate(frames, points, kept)

    def _synthesise(self, features: list, kept: list[int]) -> None:
        """Openings above what the footage shows, from its most closed mouths (one per lip width)."""
        closed = sorted(self.entries, key=lambda e: e.opening)[: max(1, min(3, len(self.entries)))]
        top = self.closed + TARGET_RANGE
        steps = np.linspace(self.widest, top, 7)[1:]
        for base in closed:
            for target in steps:
                image, pts = open_mouth(base.image, base.points, target - base.opening, self.tooth)
                self.entries.append(_Entry(mouth_opening(pts), mouth_width(pts), image, pts))
                self.report.synthesised += 1
        self.widest = top

    def _calibrate(self, frames: np.ndarray, points: np.ndarray, kept: list[int]) -> float:
        """The sharpening that gives the pasted mouth the footage's own detail: the bank's mouths
        put onto some of its own frames at openings speech asks for (two mouths mixed, as in a
        render) and their detail compared with the frames' own, for each amount in ``SHARPENING``;
        the nearest to equal is returned (0.5 where the footage shows no detail to compare with)."""
        sample = kept[:: max(1, len(kept) // 4)][:4]
        own = mouth_sharpness(frames[sample], points[sample])
        if own <= 0:
            return 0.5
        ratios = []
        for amount in SHARPENING:
            self.sharpen = amount
            made = [self.apply(frames[i], points[i], loudness) for i in sample for loudness in (0.2, 0.45, 0.7)]
            ratios.append(mouth_sharpness(np.stack(made), np.repeat(points[sample], 3, axis=0)) / own)
        return SHARPENING[int(np.argmin([abs(np.log(max(r, 1e-6))) for r in ratios]))]

    def pick(self, loudness: float, shape: float = 0.0, misfit: np.ndarray | None = None) -> list[tuple[float, int]]:
        """(weight, entry) of the two bank frames nearest the opening this loudness asks for and
        the lip width ``shape`` asks for (-1 rounded .. +1 spread), weighted by nearness; with
        ``misfit`` (``misfits``: how far each entry's cheeks and jaw land from the frame's own), those
        whose face was turned and set like this frame's are preferred."""
        span = max(self.widest - self.closed, 1e-3)
        target = self._opening_for(loudness)
        middle, half = (self.narrow + self.spread) / 2, max((self.spread - self.narrow) / 2, 1e-3)
        width = middle + float(np.clip(shape, -1, 1)) * half
        costs = np.array([abs(e.opening - target) / span + 0.5 * abs(e.width - width) / (2 * half) for e in self.entries])
        if misfit is not None:
            costs = costs + MISFIT_WEIGHT * misfit
        order = np.argsort(costs)
        if len(order) == 1 or costs[order[0]] < 1e-6:
            return [(1.0, int(order[0]))]
        first, second = order[:2]
        return [(float(costs[second] / (costs[first] + costs[second])), int(first)),
                (float(costs[first] / (costs[first] + costs[second])), int(second))]

    def misfits(self, points: np.ndarray) -> np.ndarray:
        """For every entry, once its face is aligned on the points a mouth does not move: the
        farthest its cheek, jaw and nose points land from this frame's (in nose-to-chin lengths)."""
        src = self._stable  # [entries, points, 2]
        dst = points[STABLE_POINTS].astype(np.float64)
        src_mean, dst_mean = src.mean(axis=1, keepdims=True), dst.mean(axis=0)
        zs, zd = (src - src_mean) @ [1, 1j], (dst - dst_mean) @ [1, 1j]
        # the least-squares similarity (rotation, scale, shift) of every entry at once, as complex numbers
        a = (np.conj(zs) * zd).sum(axis=1) / np.maximum((np.abs(zs) ** 2).sum(axis=1), 1e-9)
        place = lambda pts: a[:, None] * ((pts - src_mean) @ [1, 1j]) + dst_mean @ [1, 1j]  # noqa: E731
        return np.abs(place(self._fitted) - (points[_FITTED] @ [1, 1j])[None]).max(axis=1) / face_length(points)

    def apply(self, frame: np.ndarray, points: np.ndarray, loudness: float, shape: float = 0.0) -> np.ndarray:
        """``frame`` with its lower face replaced by the bank's mouth for this loudness and shape;
        a frame no bank mouth fits (a head turned further, a grimace) opens its own mouth instead (a
        frontal mouth fitted to a turned jaw drags the cheek with it: a mole becomes a streak)."""
        if np.isnan(points).any():
            return frame
        h, w = frame.shape[:2]
        misfit = self.misfits(points)
        picks = self.pick(loudness, shape, misfit)
        if misfit[picks[0][1]] > OWN_MOUTH_MISFIT:
            own = self._own_mouth(frame, points, loudness)
            if own is not None:
                return own
        length = face_length(points)
        x0, x1 = int(max(0, points[2:15, 0].min() - 0.1 * length)), int(min(w, points[2:15, 0].max() + 0.1 * length))
        y0, y1 = int(max(0, points[29, 1])), int(min(h, points[8, 1] + 0.25 * length))
        if x1 - x0 < 8 or y1 - y0 < 8:
            return frame
        picked = []
        for weight, k in picks[: 1 if self.careful else 2]:
            entry = self.entries[k]
            m, _ = cv2.estimateAffinePartial2D(entry.points[STABLE_POINTS], points[STABLE_POINTS])
            if m is not None:
                picked.append((weight, entry, m, entry.points @ m[:, :2].T + m[:, 2]))
        if not picked:
            return frame
        total = sum(p[0] for p in picked)
        target = points.astype(np.float32).copy()
        target[_DRIVEN] = sum(wt * aligned[_DRIVEN] for wt, _, _, aligned in picked) / total
        target[_CHIN] += sum(wt * aligned[_CHIN] for wt, _, _, aligned in picked) / total - points[_CHIN]
        frame_pts = np.float32([[x0, y0], [x1, y0], [x0, y1], [x1, y1], [(x0 + x1) / 2, y0], [(x0 + x1) / 2, y1],
                                [x0, (y0 + y1) / 2], [x1, (y0 + y1) / 2]])
        pasted = np.zeros((y1 - y0, x1 - x0, 3), np.float32)
        for weight, entry, m, _ in picked:
            back = cv2.invertAffineTransform(m)
            src = np.vstack([entry.points[_DRIVEN + _FITTED + _CHIN], frame_pts @ back[:, :2].T + back[:, 2]])
            dst = np.vstack([target[_DRIVEN + _FITTED + _CHIN], frame_pts])
            mx, my = tps_map(dst, src, (x0, y0, x1, y1))
            pasted += weight / total * cv2.remap(entry.image, mx, my, cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
        # give back the detail two resamplings (align and morph, bicubic) and a mix of two mouths take
        pasted += self.sharpen * (pasted - cv2.GaussianBlur(pasted, (0, 0), 0.8))
        if np.abs(target[_CHIN] - points[_CHIN]).max() > 0.5:  # the jaw outside the paste moves with it (one chin line)
            anchors = _FITTED + [27, 39, 42]
            mx, my = tps_map(np.vstack([target[_CHIN], points[anchors], frame_pts]),
                             np.vstack([points[_CHIN], points[anchors], frame_pts]), (x0, y0, x1, y1))
            frame = frame.copy()
            frame[y0:y1, x0:x1] = cv2.remap(frame, mx, my, cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
        return _blend(frame, pasted, points, target, (x0, y0, x1, y1), 0.05 if self.careful else 0.035)

    def _own_mouth(self, frame: np.ndarray, points: np.ndarray, loudness: float) -> np.ndarray | None:
        """The frame's own mouth, opened further where this loudness asks for more than it shows;
        None where it should close (a mouth opened wider than rest: only a bank mouth closes it)."""
        wanted, opening = self._opening_for(loudness), mouth_opening(points)
        if wanted <= opening + 0.005:
            return None if opening > self._opening_for(OWN_REST) else frame
        return open_mouth(frame, points, wanted - opening, self.tooth)[0]

    def _opening_for(self, loudness: float) -> float:
        """The mouth opening this loudness (0 silent .. 1 loudest) asks for, within the bank's range."""
        return self.closed + float(np.clip(loudness, 0, 1)) * max(self.widest - self.closed, 1e-3)


def _blend(frame: np.ndarray, pasted: np.ndarray, points: np.ndarray, target: np.ndarray, box, feather: float) -> np.ndarray:
    """``pasted`` feathered into ``frame`` inside the face's own jaw line, its colour matched to
    the frame along the feather."""
    x0, y0, x1, y1 = box
    face_w = float(np.linalg.norm(points[16] - points[0]))
    centre = points[48:68].mean(axis=0)
    jaw = centre + 0.88 * (points[3:14] - centre)
    hull = cv2.convexHull(np.concatenate([jaw, points[31:36], target[48:60]]).astype(np.float32)).astype(np.int32)
    mask = np.zeros((y1 - y0, x1 - x0), np.float32)
    cv2.fillConvexPoly(mask, hull - (x0, y0), 1.0)
    mask = cv2.GaussianBlur(mask, (0, 0), max(1.0, feather * face_w))
    # all of the base frame's own lips go, however close they sit under the nose (no ghost lip)
    lips = np.zeros_like(mask)
    cv2.fillPoly(lips, [np.round(points[48:60] - (x0, y0)).astype(np.int32)], 1.0)
    lips = cv2.GaussianBlur(cv2.dilate(lips, np.ones((3, 3), np.uint8), iterations=max(1, int(0.015 * face_w))),
                            (0, 0), max(1.0, 0.01 * face_w))
    mask = np.maximum(mask, lips)
    roi = frame[y0:y1, x0:x1].astype(np.float32)
    ring = (mask > 0.1) & (mask < 0.9)
    if ring.sum() > 20:
        offset = np.clip((roi[ring] - pasted[ring]).mean(axis=0), -25, 25)
        pasted = pasted + offset
    out = frame.copy()
    out[y0:y1, x0:x1] = (roi * (1 - mask[..., None]) + pasted * mask[..., None]).clip(0, 255).astype(np.uint8)
    return out


def _settled(frames: np.ndarray, points: np.ndarray) -> np.ndarray:
    """Where the landmark model never once finds an inside in a mouth it reads as open, the person
    (or the drawing) has full lips it misreads: their inner lips are put together on the lip line."""
    found = [i for i in range(len(frames)) if not np.isnan(points[i]).any()]
    read_open = [i for i in found[:: max(1, len(found) // 60)] if shows_inside(frames[i], points[i]) is not None]
    if any(shows_inside(frames[i], points[i]) for i in read_open):
        return points
    out = points.copy()
    for i in found:
        out[i] = settle_closed(frames[i], points[i])
    return out


def _features(frame: np.ndarray, points: np.ndarray) -> dict:
    """What the bank judges a frame by."""
    length = face_length(points)
    ys = lambda idx: points[idx, 1].mean()  # noqa: E731
    x, y, bw, bh = cv2.boundingRect(np.round(points[48:60]).astype(np.int32))
    pad = int(0.3 * bw)
    patch = cv2.cvtColor(frame[max(0, y - pad) : y + bh + pad, max(0, x - pad) : x + bw + pad], cv2.COLOR_BGR2GRAY)
    pose = measure(points, frame.shape[1], frame.shape[0])
    tongue, teeth = _inside_mouth(frame, points)
    sharp = float(cv2.Laplacian(patch, cv2.CV_32F).var()) if patch.size else 0.0
    return dict(opening=mouth_opening(points), width=mouth_width(points), yaw=pose.yaw, pitch=pose.pitch, roll=pose.roll,
                sharp=sharp, upper=(ys([61, 62, 63]) - ys([50, 51, 52])) / length,
                lower=(ys([56, 57, 58]) - ys([65, 66, 67])) / length, tongue=tongue,
                teeth=teeth, score=0.0)


def _inside_mouth(frame: np.ndarray, points: np.ndarray) -> tuple[float, np.ndarray | None]:
    """(share of the open mouth that is tongue-coloured: as red and nearly as bright as the lips;
    the teeth's colour where they show)."""
    if mouth_opening(points) < 0.02:
        return 0.0, None
    inside = inner_mask(frame.shape[:2], points)
    teeth = teeth_colour(frame, points)
    # the middle of the opening only (a small face's landmarks put lip pixels on its edge), and only
    # an opening wide enough to show a tongue
    core = cv2.erode(inside, np.ones((3, 3), np.uint8)) > 0
    if mouth_opening(points) < 0.08 or core.sum() < 12:
        return 0.0, teeth
    lips = np.zeros(frame.shape[:2], np.uint8)
    cv2.fillPoly(lips, [np.round(points[48:60]).astype(np.int32)], 1)
    lips[inside > 0] = 0
    lab = cv2.cvtColor(frame, cv2.COLOR_BGR2LAB).astype(np.float32)
    lip = np.median(lab[lips > 0], axis=0) if (lips > 0).sum() else np.float32([120, 150, 140])
    mouth = lab[core]
    # a tongue is as red as the lips and about as bright (a mouth's inside is darker, teeth greyer)
    tongue = (mouth[:, 1] > lip[1] - 6) & (mouth[:, 0] > 0.9 * lip[0])
    return float(tongue.mean()), teeth


def _rejects(features: list, frames: np.ndarray, points: np.ndarray) -> list[str | None]:
    """The reason each frame is not fit for the bank, or None; and a score for the fit ones."""
    found = [i for i, f in enumerate(features) if f is not None]
    reasons: list[str | None] = ["no face" if f is None else None for f in features]
    if len(found) < 5:
        return reasons
    col = lambda key: np.array([features[i][key] for i in found], np.float64)  # noqa: E731
    med = {key: float(np.median(col(key))) for key in ("yaw", "pitch", "roll", "sharp", "upper", "lower")}
    occlusion = _occlusion(frames, found, points)
    for k, i in enumerate(found):
        f = features[i]
        turned = abs(f["yaw"] - med["yaw"]) > 15 or abs(f["pitch"] - med["pitch"]) > 15 or abs(f["roll"] - med["roll"]) > 12
        if turned:
            reasons[i] = "turned away"
        elif f["sharp"] < 0.45 * med["sharp"]:
            reasons[i] = "blurred"
        elif occlusion[k]:
            reasons[i] = "occluded"
        elif f["tongue"] > 0.45:
            reasons[i] = "tongue out"
        elif f["lower"] < 0.5 * med["lower"]:
            reasons[i] = "lip bitten"
        elif f["upper"] < 0.45 * med["upper"]:
            reasons[i] = "lips curled"
        pose_off = (abs(f["yaw"] - med["yaw"]) + abs(f["pitch"] - med["pitch"])) / 15
        f["score"] = min(f["sharp"] / max(med["sharp"], 1e-6), 1.5) + (0.4 if f["teeth"] is not None else 0.0) - pose_off
    return reasons


def _occlusion(frames: np.ndarray, found: list[int], points: np.ndarray) -> np.ndarray:
    """Frames with something in front of the cheeks, chin or mouth (``media.face_patches``)."""
    lower = LowerFace(np.nanmedian(points[found], axis=0))
    patches = [lower.patch(cv2.cvtColor(frames[i], cv2.COLOR_BGR2GRAY), points[i]) for i in found]
    return occluded(lower.unusual(patches))


def bank_sheet(bank: MouthBank, columns: int = 6, side: int = 128) -> bytes:
    """The bank's mouths as a contact sheet (PNG), the footage's numbered 1.. in ``report.chosen``'s
    order, synthesised openings after them marked "synth"."""
    tiles = []
    for k, entry in enumerate(bank.entries):
        p = entry.points
        length = face_length(p)
        cx, cy = p[48:68].mean(axis=0)
        half = int(0.55 * length)
        crop = entry.image[max(0, int(cy) - half) : int(cy) + half, max(0, int(cx) - half) : int(cx) + half]
        tile = cv2.resize(crop, (side, side), interpolation=cv2.INTER_AREA) if crop.size else np.zeros((side, side, 3), np.uint8)
        label = str(k + 1) if k < len(bank.report.chosen) else "synth"
        cv2.putText(tile, label, (4, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0, 0, 0), 3)
        cv2.putText(tile, label, (4, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 1)
        tiles.append(tile)
    while len(tiles) % columns:
        tiles.append(np.full((side, side, 3), 255, np.uint8))
    sheet = np.vstack([np.hstack(tiles[i : i + columns]) for i in range(0, len(tiles), columns)])
    return cv2.imencode(".png", sheet)[1].tobytes()
