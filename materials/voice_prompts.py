"""Voice materials: from recordings of any length and format, the 4-5 prompt clips of 3-5 s
that cover the person's distinct speaking styles, and the sound bank of their own coughs,
laughs, breaths and sighs.

Each recording is decoded, denoised with DeepFilterNet3 where it is noisy, cut by Silero VAD
into 3-5 s candidates, and every candidate is scored: SNR, clipping, reverberation, duration,
and its voice against the recordings' main speaker (Resemblyzer), so that another voice in
the room is never chosen. Candidates are clustered by style (pitch level and range, syllable
rate, loudness); the best clip of each cluster is a prompt, named after the style it is
closest to, and Whisper writes its transcript (which zero-shot servers take as the reference
text). Everything the choice rests on is kept in ``MaterialSet.prompt_candidates``, and an
operator's ``VoiceChoice`` replaces the automatic choice."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from core.records import AssetRef
from core.settings import SpeechCheckSettings
from materials.derived import content_key, derived
from materials.records import PromptPick, SoundEvent, VoicePrompt
from materials.sound_bank import find_sound_events
from media.analysis import HOP_S, frame_rms, pitch_track, resample, speech_regions
from media.asr import Heard, transcribe, voice_activity
from media.backends.deepfilternet import SR as DF_SR
from media.backends.deepfilternet import denoise
from media.backends.resemblyzer_speaker import embed
from media.ffmpeg_io import MediaError, load_audio, write_wav
from storage.catalog import Catalog

SR = 16000
CLIP_SR = 24000  # stored prompts and sounds
MIN_PROMPT_S, MAX_PROMPT_S = 3.0, 5.0
DENOISE_BELOW_DB = 30.0
OTHER_SPEAKER_BELOW = 0.70  # cosine to the main speaker's voice
# analyses kept per content (``materials.derived``): a new version of either model changes these
DENOISED = "denoised-deepfilternet3-v1"
SPEAKER_EMBEDDINGS = "speaker-embeddings-resemblyzer-v1"
# a transcript the recogniser is sure of is worth this much score: zero-shot servers and the
# timbre learning read it as what the person said
TRANSCRIPT_WEIGHT = 0.3

# style prototypes in standardised (pitch, pitch range, rate, loudness) space
STYLE_PROTOTYPES = {
    "neutral": (0.0, 0.0, 0.0, 0.0),
    "teasing": (1.0, 1.0, 0.5, 0.2),
    "warm": (-0.6, 0.0, -0.8, -0.3),
    "solemn": (-1.0, -1.0, -0.6, -1.0),
    "lively": (0.5, 0.6, 1.0, 1.0),
}


@dataclass
class Candidate:
    source: AssetRef
    start: float
    end: float
    clip: np.ndarray  # 16 kHz, denoised where the recording needed it
    clip_hi: np.ndarray  # 24 kHz, for the stored prompt
    f0: float
    f0_range_st: float
    rate: float
    level_db: float
    snr_db: float
    clipping: float
    reverb: float
    denoised: bool
    similarity: float = 1.0
    score: float = 0.0
    style: str = "neutral"
    cluster: int = 0
    heard: Heard | None = None


@dataclass
class VoiceSelection:
    prompts: list[VoicePrompt]
    candidates: list[VoicePrompt]
    sound_bank: list[SoundEvent] = field(default_factory=list)
    speaking_rate_wpm: float | None = None
    skipped: list[str] = field(default_factory=list)  # recordings left out, and why


# ------------------------------------------------------------------ signal figures
def candidate_clips(audio: np.ndarray, regions: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """3-5 s clips from speech regions: short regions joined across short pauses, long ones
    cut at their quietest points."""
    clips: list[tuple[float, float]] = []
    pending: tuple[float, float] | None = None
    for s, e in regions:
        if pending is not None:
            if s - pending[1] < 1.0 and e - pending[0] <= MAX_PROMPT_S:
                s = pending[0]
            elif pending[1] - pending[0] >= MIN_PROMPT_S - 0.5:
                clips.append(pending)
            pending = None
        if e - s > MAX_PROMPT_S:
            clips += _split_long(audio, s, e)
        elif e - s >= MIN_PROMPT_S:
            clips.append((s, e))
        else:
            pending = (s, e)
    if pending is not None and pending[1] - pending[0] >= MIN_PROMPT_S - 0.5:
        clips.append(pending)
    return [(max(0.0, s - 0.05), min(audio.size / SR, e + 0.05)) for s, e in clips]


def _split_long(audio: np.ndarray, start: float, end: float) -> list[tuple[float, float]]:
    out = []
    while end - start > MAX_PROMPT_S:
        lo, hi = start + MIN_PROMPT_S, min(start + MAX_PROMPT_S, end - 1.0)
        if hi <= lo:
            break
        rms = frame_rms(audio[int(lo * SR) : int(hi * SR)], SR, win_s=0.05)
        cut = lo + int(np.argmin(rms)) * HOP_S + 0.025
        out.append((start, cut))
        start = cut
    out.append((start, end))
    return out


def syllable_rate(clip: np.ndarray, voiced_s: float) -> float:
    """Syllable-like energy peaks per second of speech (a tempo proxy)."""
    env = np.convolve(frame_rms(clip, SR, win_s=0.04), np.ones(5) / 5, mode="same")
    thresh = np.percentile(env, 60)
    peaks = (env[1:-1] > env[:-2]) & (env[1:-1] >= env[2:]) & (env[1:-1] > thresh)
    return float(peaks.sum()) / max(voiced_s, 1e-3)


def reverberation(audio: np.ndarray) -> float:
    """0 (dry) .. 1 (a hall), from how fast the level can fall: a room's reverberation caps
    the steepest fall at the end of syllables (about 60 dB per T60). Measured: dry speech
    0.0; the same speech in simulated rooms of T60 0.3 / 0.8 / 1.2 s: about 0.15-0.3 / 0.5-0.6 / 0.85."""
    db = 20 * np.log10(frame_rms(audio, SR, win_s=0.02) + 1e-9)
    fall = (db[:-5] - db[5:]) / 0.05  # dB/s over 50 ms
    for margin in (15, 10, 5):
        loud = db[:-5] > np.percentile(db, 5) + margin
        if loud.sum() >= 20:
            t60 = 60 / max(float(np.percentile(fall[loud], 98)), 1e-3)
            return float(np.clip((t60 - 0.15) / 0.4, 0, 1))
    return 0.0


def _range_st(f0: np.ndarray) -> float:
    voiced = f0[f0 > 0]
    if voiced.size < 10:
        return 0.0
    lo, hi = np.percentile(voiced, [10, 90])
    return float(12 * np.log2(hi / lo))


# ------------------------------------------------------------------------- styles
def cluster_styles(cands: list[Candidate], k: int) -> None:
    """k-means on standardised (pitch, range, rate, loudness); each cluster gets the style
    name whose prototype its centre is nearest to, every name used once."""
    from scipy.optimize import linear_sum_assignment

    feats = np.array([[12 * np.log2(c.f0), c.f0_range_st, c.rate, c.level_db] for c in cands])
    z = (feats - feats.mean(0)) / (feats.std(0) + 1e-6)
    k = max(1, min(k, len(cands)))
    centres = [z[0]]  # farthest-point start: deterministic
    while len(centres) < k:
        d = np.min([((z - c) ** 2).sum(1) for c in centres], axis=0)
        centres.append(z[int(np.argmax(d))])
    centres = np.array(centres)
    for _ in range(30):
        labels = np.argmin(((z[:, None, :] - centres[None]) ** 2).sum(2), axis=1)
        new = np.array([z[labels == j].mean(0) if (labels == j).any() else centres[j] for j in range(k)])
        if np.allclose(new, centres):
            break
        centres = new
    names = list(STYLE_PROTOTYPES)
    protos = np.array([STYLE_PROTOTYPES[n] for n in names])
    cost = ((centres[:, None, :] - protos[None]) ** 2).sum(2)
    rows, cols = linear_sum_assignment(cost)
    style = {int(r): names[c] for r, c in zip(rows, cols)}
    for c, label in zip(cands, labels):
        c.cluster, c.style = int(label), style[int(label)]


# ------------------------------------------------------------------------ selection
def _analyse(catalog: Catalog, ref: AssetRef) -> tuple[list[Candidate], list[tuple[str, float, float, str, float]], np.ndarray, float]:
    path = catalog.media_path(ref)
    raw48 = load_audio(path, DF_SR)
    raw = resample(raw48, DF_SR, SR)
    energy = speech_regions(raw, SR)
    name = ref.name or ref.key
    if not energy.regions:
        raise MediaError(f"{name}: no speech found (silent or constant noise); upload a recording of the person talking")
    denoised = energy.snr_db < DENOISE_BELOW_DB
    clean48 = derived(catalog, DENOISED, ref.sha256, lambda: denoise(raw48), dtype="int16") if denoised else raw48
    clean = resample(clean48, DF_SR, SR) if denoised else raw
    speech = voice_activity(clean, SR)
    if not speech:
        raise MediaError(f"{name}: the voice detector hears no speech in it; upload a recording of the person talking")
    reverb = reverberation(clean)
    noise_db = float(20 * np.log10(energy.noise_rms + 1e-9))
    cands = []
    for s, e in candidate_clips(clean, speech):
        clip = clean[int(s * SR) : int(e * SR)]
        f0 = pitch_track(clip, SR)
        voiced = f0[f0 > 0]
        if clip.size < 2 * SR or voiced.size < 20:
            continue
        voiced_s = sum(min(b, e) - max(a, s) for a, b in speech if b > s and a < e) or (e - s)
        level = float(20 * np.log10(np.sqrt(np.mean(clip**2)) + 1e-9))
        raw_clip = raw48[int(s * DF_SR) : int(e * DF_SR)]
        cands.append(Candidate(
            source=ref, start=s, end=e, clip=clip, clip_hi=resample(clean48[int(s * DF_SR) : int(e * DF_SR)], DF_SR, CLIP_SR),
            f0=float(np.median(voiced)), f0_range_st=_range_st(f0), rate=syllable_rate(clip, voiced_s), level_db=level,
            snr_db=float(np.clip(20 * np.log10(np.sqrt(np.mean(raw_clip**2)) + 1e-9) - noise_db, 0, 60)),
            clipping=float(np.mean(np.abs(raw_clip) > 0.99)), reverb=reverb, denoised=denoised))
    events = find_sound_events(raw, speech)
    return cands, events, raw48, sum(b - a for a, b in speech)


def _speaker_check(catalog: Catalog, cands: list[Candidate]) -> None:
    """Similarity of each candidate to the main speaker (the centre of the voices that agree)."""

    if len(cands) < 2:
        return
    vecs = derived(catalog, SPEAKER_EMBEDDINGS, content_key(*[c.clip for c in cands]),
                   lambda: np.array([embed(c.clip, SR) for c in cands], np.float32))
    centre = vecs.mean(0)
    for _ in range(2):  # re-centre on the candidates that sound like the majority
        sims = vecs @ (centre / np.linalg.norm(centre))
        keep = sims >= np.median(sims) - 0.05
        centre = vecs[keep].mean(0)
    sims = vecs @ (centre / np.linalg.norm(centre))
    for c, sim in zip(cands, sims):
        c.similarity = float(sim)


def _score(c: Candidate) -> float:
    dur_fit = 1 - min(abs((c.end - c.start) - 4.0) / 2.0, 1)
    return (0.35 * min(c.snr_db, 40) / 40 + 0.2 * dur_fit + 0.15 * (1 - min(c.clipping * 100, 1))
            + 0.15 * (1 - c.reverb) + 0.15 * float(np.clip((c.similarity - 0.6) / 0.35, 0, 1)))


def _why(c: Candidate, chosen: bool, cluster_size: int) -> str:
    figures = (f"{c.end - c.start:.1f} s, SNR {c.snr_db:.0f} dB{' (denoised)' if c.denoised else ''}, "
               f"clipping {c.clipping * 100:.1f}%, reverb {c.reverb:.2f}, same speaker {c.similarity:.2f}; "
               f"F0 {c.f0:.0f} Hz, range {c.f0_range_st:.1f} st, {c.rate:.1f} syll/s, {c.level_db:.0f} dBFS")
    if c.similarity < OTHER_SPEAKER_BELOW:
        return f"{figures} -> left out: sounds like another speaker"
    if chosen:
        sure = f", transcript confidence {c.heard.confidence:.2f}" if c.heard and c.heard.text else ""
        return f"{figures}{sure} -> best-scoring of {cluster_size} clip(s) in the '{c.style}' style cluster"
    return f"{figures} -> '{c.style}' cluster, a better clip of it was chosen"


def _prompt(catalog: Catalog, c: Candidate, work: Path, i: int, why: str, chosen_by: str = "selection",
            heard: Heard | None = None) -> VoicePrompt:
    path = write_wav(work / f"prompt_{i}_{c.style}.wav", c.clip_hi, CLIP_SR)
    return VoicePrompt(
        clip=catalog.put_media_file(path, "audio/wav", name=f"prompt-{c.style}-{i}.wav"), source=c.source,
        start_s=round(c.start, 2), duration_s=round(c.end - c.start, 2), style=c.style, median_f0_hz=round(c.f0, 1),
        snr_db=round(c.snr_db, 1), score=round(c.score, 3), why=why, transcript=heard.text if heard and heard.text else None,
        transcript_confidence=heard.confidence if heard and heard.text else None,
        clipping_pct=round(c.clipping * 100, 2), reverb=round(c.reverb, 2), f0_range_st=round(c.f0_range_st, 1),
        syllables_per_s=round(c.rate, 2), level_db=round(c.level_db, 1), speaker_similarity=round(c.similarity, 3),
        chosen_by=chosen_by)


def select_voice_prompts(catalog: Catalog, recordings: list[AssetRef], work: Path, max_prompts: int = 5,
                         check: SpeechCheckSettings | None = None, picks: list[PromptPick] | None = None,
                         picked_by: str = "") -> VoiceSelection:
    """Score every 3-5 s stretch of the recordings and choose one prompt per speaking style
    (or the operator's ``picks``); transcribe the prompts when ``check`` names a recogniser."""
    if not recordings:
        raise MediaError("no voice recordings: upload some with `studio materials add --role voice`")
    cands, events, raws, speech_s, skipped = [], [], {}, 0.0, []
    for ref in recordings:
        try:
            found, heard, raw48, spoken = _analyse(catalog, ref)
        except MediaError as exc:  # one useless recording never blocks the others
            skipped.append(str(exc))
            continue
        cands += found
        events += [(ref, *ev) for ev in heard]
        raws[ref.key] = raw48
        speech_s += spoken
    if not cands:
        raise MediaError("no usable 3-5 s speech clips found in the recordings; upload clearer or longer speech"
                         + (f" ({'; '.join(skipped)})" if skipped else ""))
    _speaker_check(catalog, cands)
    for c in cands:
        c.score = _score(c)
    usable = [c for c in cands if c.similarity >= OTHER_SPEAKER_BELOW] or cands
    cluster_styles(usable, max_prompts)

    def transcript_of(c: Candidate) -> Heard | None:
        if check is not None and c.heard is None:
            c.heard = transcribe(c.clip, SR, check)
        return c.heard

    # with a recogniser, the two best clips of each style are heard, and a sure transcript counts
    contenders = set() if picks or check is None else {
        id(c) for k in {c.cluster for c in usable}
        for c in sorted((c for c in usable if c.cluster == k), key=lambda c: -c.score)[:2]}

    def worth(c: Candidate) -> float:
        heard = transcript_of(c) if id(c) in contenders else None
        return c.score + (TRANSCRIPT_WEIGHT * heard.confidence if heard and heard.text else 0.0)

    best: dict[int, Candidate] = {}
    for c in usable:
        if c.cluster not in best or worth(c) > worth(best[c.cluster]):
            best[c.cluster] = c
    sizes = {k: sum(1 for c in usable if c.cluster == k) for k in best}
    chosen = sorted(best.values(), key=lambda c: -sizes[c.cluster])
    for c in cands:
        if c not in usable:
            c.style = "other_speaker"

    if picks:
        prompts = [_picked(catalog, p, raws, work, i, picked_by, transcript_of) for i, p in enumerate(picks)]
    else:
        heard = [transcript_of(c) for c in chosen]  # before the reasons, which quote the recogniser's confidence
        prompts = [_prompt(catalog, c, work, i, _why(c, True, sizes[c.cluster]), heard=heard[i])
                   for i, c in enumerate(chosen)]
    candidates = [
        VoicePrompt(clip=c.source, source=c.source, start_s=round(c.start, 2), duration_s=round(c.end - c.start, 2),
                    style=c.style, median_f0_hz=round(c.f0, 1), snr_db=round(c.snr_db, 1), score=round(c.score, 3),
                    why=_why(c, c in chosen, sizes.get(c.cluster, 0)), clipping_pct=round(c.clipping * 100, 2),
                    reverb=round(c.reverb, 2), f0_range_st=round(c.f0_range_st, 1), syllables_per_s=round(c.rate, 2),
                    level_db=round(c.level_db, 1), speaker_similarity=round(c.similarity, 3))
        for c in sorted(cands, key=lambda c: (c.source.key, c.start))]
    bank = []
    for i, (ref, kind, s, e, why, level) in enumerate(events):
        clip = raws[ref.key][int(s * 48000) : int(e * 48000)]

        path = write_wav(work / f"sound_{i}_{kind}.wav", resample(clip, 48000, CLIP_SR), CLIP_SR)
        bank.append(SoundEvent(kind=kind, clip=catalog.put_media_file(path, "audio/wav", name=f"{kind}-{i}.wav"),
                               source=ref, start_s=round(s, 2), duration_s=round(e - s, 2), why=why,
                               level_db=round(level, 1)))
    # syllables per second of speech, as words per minute (1.4 syllables a word in English)
    rate = float(np.median([c.rate for c in usable]))
    return VoiceSelection(prompts=prompts, candidates=candidates, sound_bank=bank,
                          speaking_rate_wpm=round(rate * 60 / 1.4, 1) if speech_s > 0 else None, skipped=skipped)


def _picked(catalog: Catalog, pick: PromptPick, raws: dict[str, np.ndarray], work: Path, i: int, picked_by: str,
            transcript_of) -> VoicePrompt:

    raw48 = raws.get(pick.source.key)
    if raw48 is None:
        raise MediaError(f"the chosen prompt's recording {pick.source.name or pick.source.key} is not among the persona's uploads")
    seg = raw48[int(pick.start_s * 48000) : int((pick.start_s + pick.duration_s) * 48000)]
    if seg.size < int((pick.duration_s - 0.05) * 48000):
        raise MediaError(f"the chosen prompt at {pick.start_s:.1f} s runs past the end of {pick.source.name or pick.source.key}")
    clip = resample(seg, 48000, SR)
    f0 = pitch_track(clip, SR)
    voiced = f0[f0 > 0]
    c = Candidate(source=pick.source, start=pick.start_s, end=pick.start_s + seg.size / 48000, clip=clip,
                  clip_hi=resample(seg, 48000, CLIP_SR), f0=float(np.median(voiced)) if voiced.size else 0.0,
                  f0_range_st=_range_st(f0), rate=syllable_rate(clip, seg.size / 48000),
                  level_db=float(20 * np.log10(np.sqrt(np.mean(clip**2)) + 1e-9)), snr_db=0.0,
                  clipping=float(np.mean(np.abs(seg) > 0.99)), reverb=0.0, denoised=False, style=pick.style)
    if c.f0 <= 0:
        raise MediaError(f"no voiced speech in the chosen stretch {pick.start_s:.1f}-{c.end:.1f} s; pick a stretch where the person talks")
    return _prompt(catalog, c, work, i, f"chosen by {picked_by or 'an operator'} as the '{pick.style}' prompt",
                   chosen_by="operator", heard=transcript_of(c))
