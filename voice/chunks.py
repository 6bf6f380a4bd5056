"""A voice take in chunks: a few sentences each, cut where the talk pauses, each spoken on its
own (on any worker, its result kept under its key) and joined once.

A chunk's key names everything its sound depends on: its sentences (words, styles, cues,
readings, stresses, speeds), the reviewers' notes that reach them, whether it opens the talk,
and the take's context (the persona's materials and learned timbre, the language, the voice and
speech-check settings, this module's format). Nothing about where it stands in the talk enters
the key, so a revision re-makes only the chunks it touches, even when sentences before them
change length. Cuts depend on the sentences themselves (a pause, or a property of the
sentence's words), so an inserted sentence moves the cuts only near it."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path

import numpy as np
from pydantic import BaseModel, Field

from core.records import AssetRef
from media.ffmpeg_io import write_wav
from script.rules import ANCHOR
from script.sentences import Sentence
from voice.assembly import LEAD_S, speak_sentences
from voice.contract import VoiceBackend, VoiceRequest
from voice.records import CueTiming, SentenceCheck, SentenceTiming, WordTiming

CHUNK_FORMAT = 1  # bump when the way a chunk is made changes, so no older chunk is reused
MIN_SENTENCES, MAX_SENTENCES = 2, 6
CUT_ONE_IN = 3  # away from pauses, about one sentence boundary in three is a cut
TAKE_GAIN, KNEE = 10 ** (4 / 20), 0.9


class VoiceChunkJob(BaseModel):
    """What one chunk is to say; ``key`` names its sound."""

    key: str
    position: int  # the chunk's place in this take (for people; not in the key)
    first: int  # the script index of its first sentence
    sentences: list[Sentence] = Field(min_length=1)
    notes: list[str] = Field(default_factory=list)  # the take's notes for every sentence
    sentence_notes: list[list[str]] = Field(default_factory=list)  # the notes anchored to each sentence
    lead_s: float = 0.0  # silence before the first sentence (the talk's opening chunk only)
    frame_s: float  # its length is a whole number of these (a video frame), so pictures join exactly


class VoicePlan(BaseModel):
    """A take's chunks in order, and the notes as they reach sentences (time anchors resolved)."""

    jobs: list[VoiceChunkJob]
    notes: list[str]
    made_at: datetime  # chunks made before this were made for an earlier take


class VoiceChunk(BaseModel):
    """One chunk as spoken: its sound (32-bit float, at the speech's own level; levelled once
    the take is joined) and its timings from the chunk's start, sentences by script index."""

    key: str
    audio: AssetRef
    duration_s: float
    sample_rate: int
    sentence_timings: list[SentenceTiming]
    checks: list[SentenceCheck] = Field(default_factory=list)
    cue_timings: list[CueTiming] = Field(default_factory=list)
    backend: str
    made_on: str  # the host that spoke it
    made_at: datetime
    seconds: float  # how long it took


def cut_points(sentences: list[Sentence]) -> list[list[int]]:
    """The script's sentence indices in chunks. A sentence ends a run where a pause follows it (or
    the next sentence starts with one) or, about one in ``CUT_ONE_IN``, where its own words say
    so: each cut is decided by the sentences beside it alone. Then a run of one sentence joins
    the run before it (the first, the run after it), and a run over ``MAX_SENTENCES`` is cut into
    even parts; so a changed sentence moves only the cuts of its own run and its neighbours',
    never those further on."""
    runs, current = [], []
    for i, s in enumerate(sentences):
        current.append(i)
        nxt = sentences[i + 1] if i + 1 < len(sentences) else None
        pause = any(c.kind == "pause" for c in s.cues_after) or bool(nxt and any(c.kind == "pause" for c in nxt.cues_before))
        by_words = int(hashlib.sha1(s.text.encode()).hexdigest()[:8], 16) % CUT_ONE_IN == 0
        if nxt is None or pause or by_words:
            runs.append(current)
            current = []
    chunks: list[list[int]] = []
    for run in runs:
        if chunks and (len(run) < MIN_SENTENCES or len(chunks[-1]) < MIN_SENTENCES):
            run = chunks.pop() + run
        parts = -(-len(run) // MAX_SENTENCES)
        chunks += [run[k * len(run) // parts:(k + 1) * len(run) // parts] for k in range(parts)]
    return chunks


def notes_by_sentence(notes: list[str], count: int) -> tuple[list[str], list[list[str]]]:
    """(notes for every sentence, notes for each sentence alone): ``[sentence 40] slower`` reaches
    sentence 40 only; an anchor past the script's end reaches none."""
    general, each = [], [[] for _ in range(count)]
    for note in notes:
        m = ANCHOR.match(note.strip())
        if m is None:
            general.append(note)
        elif 1 <= int(m.group(1)) <= count:
            each[int(m.group(1)) - 1].append(m.group(2).strip())
    return general, each


def digest(*parts) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str, ensure_ascii=False).encode()).hexdigest()[:32]


def plan_chunks(sentences: list[Sentence], notes: list[str], context: str, frame_s: float,
                made_at: datetime) -> VoicePlan:
    """The take's chunks; ``context``: the digest of what every chunk of the take shares."""
    general, each = notes_by_sentence(notes, len(sentences))
    jobs = []
    for position, indices in enumerate(cut_points(sentences)):
        chosen = [sentences[i] for i in indices]
        mine = [each[i] for i in indices]
        lead = LEAD_S if indices[0] == 0 else 0.0
        key = digest("voice-chunk", CHUNK_FORMAT, context, [s.model_dump(mode="json") for s in chosen], general, mine,
                     lead, round(frame_s, 6))
        jobs.append(VoiceChunkJob(key=key, position=position, first=indices[0], sentences=chosen, notes=general,
                                  sentence_notes=mine, lead_s=lead, frame_s=frame_s))
    return VoicePlan(jobs=jobs, notes=notes, made_at=made_at)


def speak_chunk_audio(backend: VoiceBackend, request: VoiceRequest, job: VoiceChunkJob):
    """Say ``job`` (``request`` carries the take's prompts, sounds and settings; its sentences and
    notes are the job's) into ``request.out_path`` as float audio padded to whole frames."""
    seed = int(job.key[:8], 16)  # the same chunk makes the same cue sounds wherever it is made
    spoken = speak_sentences(backend, request.model_copy(update={"sentences": job.sentences, "notes": job.notes}), seed,
                             first_index=job.first, lead_s=job.lead_s, sentence_notes=job.sentence_notes)
    sr = request.sample_rate
    frame = job.frame_s * sr
    whole = int(np.ceil(spoken.audio.size / frame - 1e-6) * frame)
    audio = np.pad(spoken.audio, (0, max(0, int(round(whole)) - spoken.audio.size)))
    write_wav(request.out_path, audio, sr, exact=True)
    return spoken, audio.size / sr


def join_chunks(paths: list[Path], chunks: list[VoiceChunk], out_path: Path) -> tuple[float, list[SentenceTiming],
                                                                                       list[CueTiming], list[tuple[float, float]]]:
    """The chunks' sound in order, levelled (``levelled``) into ``out_path``; returns its length,
    the timings moved to the take's clock, and each chunk's span."""
    import soundfile as sf

    parts, timings, cues, spans, at = [], [], [], [], 0.0
    sr = chunks[0].sample_rate
    for path, chunk in zip(paths, chunks):
        audio, rate = sf.read(str(path), dtype="float32")
        if rate != sr or audio.ndim != 1:
            raise ValueError(f"voice chunk {chunk.key} is not mono at {sr} Hz; make the take again")
        parts.append(audio)
        timings += [t.model_copy(update={"start_s": round(at + t.start_s, 3), "end_s": round(at + t.end_s, 3), "words": [
            WordTiming(word=w.word, start_s=round(at + w.start_s, 3), end_s=round(at + w.end_s, 3)) for w in t.words]})
            for t in chunk.sentence_timings]
        cues += [c.model_copy(update={"start_s": round(at + c.start_s, 3), "end_s": round(at + c.end_s, 3)})
                 for c in chunk.cue_timings]
        spans.append((round(at, 3), round(at + audio.size / sr, 3)))
        at += audio.size / sr
    audio = np.concatenate(parts)
    write_wav(out_path, levelled(audio), sr)
    return audio.size / sr, timings, cues, spans


def levelled(audio: np.ndarray) -> np.ndarray:
    """Speech said at -23 LUFS a sentence brought to about -19 LUFS by one fixed gain, peaks over
    0.9 rounded off below full scale: each sample depends on itself alone, so a chunk's sound is
    the same in every take it is part of."""
    out = audio * TAKE_GAIN
    over = np.abs(out) > KNEE
    out[over] = np.sign(out[over]) * (KNEE + (1 - KNEE) * np.tanh((np.abs(out[over]) - KNEE) / (1 - KNEE)))
    return out.astype(np.float32)
