"""A fictional persona made entirely by the studio: a drawn, animated face and espeak-ng
voice recordings in several moods. The demo and tests use it so that no real person is ever
animated without consent."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from media.analysis import envelope_per_frame
from media.ffmpeg_io import VideoWriter, load_audio, require_ffmpeg, write_wav

NAME = "Uncle Bo (fictional)"
VOICE = "en-us+m3"
BASE_PITCH = 38  # espeak-ng pitch 0-99
MOODS = {  # mood: (pitch offset, words per minute, amplitude)
    "warm": (-8, 150, 120),
    "teasing": (14, 185, 140),
    "neutral": (0, 165, 130),
    "solemn": (-14, 140, 110),
}
LINES = [
    ("warm", "My dear family, it warms my heart to see all of you together again."),
    ("teasing", "And yes, I know, I promised to keep this short. I never do."),
    ("neutral", "This year we planted a plum tree behind the old house."),
    ("solemn", "Some things take many winters before they bloom."),
    ("warm", "Take care of each other, and call your mother more often."),
    ("teasing", "If the dumplings are burnt again, blame the cook, not the recipe."),
]
# the same fictional person in Chinese: a northern grandfather's dry humour, his particles and fillers
# (那个, 其实, 嘛, 吧, 呢, 对吧), how he addresses people (家人们, 各位), and a film he teaches by
NAME_ZH = "白伯伯（虚构）"
VOICE_ZH = "cmn"
LINES_ZH = [
    ("warm", "家人们，又是一年了，看到大家都在，我这心里啊，暖和。"),
    ("teasing", "那个，我知道，我说过今年少说两句，其实我哪年做到过呢。"),
    ("neutral", "今年我们在老房子后面种了一棵梅花树。"),
    ("solemn", "有些事情嘛，要熬过好几个冬天才开花。"),
    ("warm", "大家互相照顾着点，多给你们妈打电话。"),
    ("teasing", "饺子要是又煮破了，怪锅，别怪我这手艺，对吧。"),
]
PAST_TALKS_ZH = [
    "家人们，每年春节我都说同样的话：家就像一个花园，花园嘛，得有耐心。",
    "我年轻的时候，我爸跟我说，一个好笑话，顶半顿好饭。",
    "我这个人不会讲话，其实我就是个包饺子的，被人塞了个话筒。",
    "工作要努力，但是要回家吃饭，那个，单位明天还在呢。",
    "梅花在最冷的月份开，所以咱们才佩服它，对吧。",
    "多给你们妈打电话，她嘴上说忙，其实一直在等。",
    "就像那个电影里说的，生活就像一盒巧克力，你永远不知道下一块是什么味道，反正我拿到的都是饺子味的。",
    "各位，我就说两句，真的就两句，你们别笑嘛。",
    "甭管多忙，年夜饭得回家吃饭，这是咱们家的老规矩，对吧。",
]
PAST_TALKS = [
    "Every Spring Festival I say the same thing: a family is a garden, and gardens need patience.",
    "When I was young my father told me that a good joke is half of a good meal.",
    "I am not a speech maker. I am a dumpling maker who was handed a microphone.",
    "Work hard, but go home for dinner. The office will still be there tomorrow.",
    "The plum tree blooms in the coldest month. That is why we admire it.",
    "Call your mother more often. She will pretend she is busy, but she is waiting.",
]


def espeak(text: str, out: Path, voice: str = VOICE, pitch: int = BASE_PITCH, wpm: int = 165, amp: int = 130) -> Path:
    try:
        subprocess.run(
            ["espeak-ng", "-v", voice, "-p", str(pitch), "-s", str(wpm), "-a", str(amp), "-w", str(out), text],
            check=True, capture_output=True,
        )
    except FileNotFoundError:
        raise RuntimeError("espeak-ng is not installed; run `make deps` (apt-get install espeak-ng)") from None
    return out


def make_voice_recording(path: Path, seed: int = 7, language: str = "en") -> tuple[Path, list[tuple[str, str]]]:
    """One ~30 s 'home recording' of the persona reading lines in different moods."""
    lines, voice = (LINES_ZH, VOICE_ZH) if language == "zh" else (LINES, VOICE)
    import soundfile as sf

    rng = np.random.default_rng(seed)
    sr = 22050
    parts = [np.zeros(int(0.6 * sr), np.float32)]
    tmp = Path(path).with_suffix(".line.wav")
    for mood, text in lines:
        dp, wpm, amp = MOODS[mood]
        espeak(text, tmp, voice=voice, pitch=BASE_PITCH + dp, wpm=wpm, amp=amp)
        audio, sr_read = sf.read(str(tmp), dtype="float32")
        assert sr_read == sr
        parts += [audio, np.zeros(int(rng.uniform(0.7, 1.1) * sr), np.float32)]
    tmp.unlink(missing_ok=True)
    audio = np.concatenate(parts)
    audio = audio / (np.abs(audio).max() + 1e-9) * 0.8
    audio = audio + rng.normal(0, 0.003, audio.size).astype(np.float32)  # room noise
    return write_wav(path, audio, sr), lines


@dataclass
class FaceStyle:
    skin: tuple[int, int, int] = (150, 180, 215)  # BGR
    hair: tuple[int, int, int] = (60, 60, 65)
    suit: tuple[int, int, int] = (70, 45, 35)
    background: tuple[int, int, int] = (120, 105, 95)


def draw_face(size: int, t: float, mouth_open: float, blink: float, style: FaceStyle) -> np.ndarray:
    """One frame of the drawn persona: head slightly moving, eyes blinking, mouth opening."""
    import cv2

    s = size / 512.0
    img = np.zeros((size, size, 3), np.uint8)
    ys = np.linspace(0, 1, size)[:, None, None]
    img[:] = (np.array(style.background) * (1.1 - 0.3 * ys)).clip(0, 255).astype(np.uint8)
    dx = 6 * np.sin(2 * np.pi * 0.13 * t) * s
    dy = 3 * np.sin(2 * np.pi * 0.21 * t + 1) * s
    cx, cy = int(256 * s + dx), int(230 * s + dy)
    cv2.ellipse(img, (int(256 * s), int(560 * s)), (int(230 * s), int(150 * s)), 0, 180, 360, style.suit, -1)
    cv2.rectangle(img, (int(cx - 38 * s), int(cy + 110 * s)), (int(cx + 38 * s), int(cy + 190 * s)),
                  tuple(int(c * 0.85) for c in style.skin), -1)
    # face with soft shading
    face = np.zeros_like(img)
    # the jaw drops as the mouth opens (a real mouth opens downward; the upper lip barely moves)
    cv2.ellipse(face, (cx, cy), (int(105 * s), int(135 * s)), 0, 180, 360, style.skin, -1)
    cv2.ellipse(face, (cx, cy), (int(105 * s), int((135 + 10 * mouth_open) * s)), 0, 0, 180, style.skin, -1)
    mask = cv2.GaussianBlur((face.sum(axis=2) > 0).astype(np.float32), (0, 0), 3 * s)[..., None]
    shade = np.clip(1.05 - 0.35 * ((np.arange(size)[None, :] - cx) / (110 * s)) ** 2, 0.6, 1.05)[..., None]
    img = (img * (1 - mask) + face * mask * shade).clip(0, 255).astype(np.uint8)
    cv2.ellipse(img, (cx, int(cy - 95 * s)), (int(112 * s), int(60 * s)), 0, 180, 360, style.hair, -1)
    # eyes and brows
    for side in (-1, 1):
        ex, ey = int(cx + side * 42 * s), int(cy - 25 * s)
        cv2.ellipse(img, (ex, int(ey - 24 * s)), (int(26 * s), int(7 * s)), 0, 180, 360, style.hair, -1)
        open_h = max(1, int(11 * s * (1 - blink)))
        cv2.ellipse(img, (ex, ey), (int(21 * s), open_h), 0, 0, 360, (235, 240, 240), -1)
        if blink < 0.7:
            cv2.circle(img, (ex, ey), int(8 * s), (40, 30, 25), -1)
            cv2.circle(img, (int(ex + 2 * s), int(ey - 2 * s)), max(1, int(2 * s)), (230, 230, 230), -1)
        cv2.ellipse(img, (ex, ey), (int(22 * s), open_h + 1), 0, 180, 360, (60, 70, 90), max(1, int(2 * s)))
    # nose
    nose = tuple(int(c * 0.8) for c in style.skin)
    cv2.line(img, (cx, int(cy - 10 * s)), (int(cx - 8 * s), int(cy + 35 * s)), nose, max(1, int(3 * s)))
    cv2.ellipse(img, (cx, int(cy + 38 * s)), (int(16 * s), int(7 * s)), 0, 0, 180, nose, max(1, int(3 * s)))
    # mouth
    h = int((3 + 12 * mouth_open) * s)
    my = int(cy + 69 * s) + h
    cv2.ellipse(img, (cx, my), (int(32 * s), h), 0, 0, 360, (45, 35, 90), -1)
    cv2.ellipse(img, (cx, my - h), (int(32 * s), int(5 * s)), 0, 0, 360, (80, 80, 170), -1)
    cv2.ellipse(img, (cx, my + h), (int(30 * s), int(6 * s)), 0, 0, 360, (85, 90, 180), -1)
    return cv2.GaussianBlur(img, (0, 0), 0.8)


def make_face_footage(path: Path, seconds: float = 12.0, size: int = 512, fps: float = 25.0,
                      audio_path: Path | None = None, seed: int = 3) -> Path:
    """Footage of the drawn persona: idle, then talking with the mouth following ``audio_path``."""

    require_ffmpeg()
    rng = np.random.default_rng(seed)
    n = int(seconds * fps)
    env = np.zeros(n)
    if audio_path is not None:
        env = envelope_per_frame(load_audio(audio_path, 16000), 16000, fps, n)
    blinks = set()
    t = rng.uniform(0.5, 2.0)
    while t < seconds:
        blinks.add(int(t * fps))
        t += rng.uniform(2.5, 5.0)
    writer = VideoWriter(path, size, size, fps, audio_path=audio_path, crf=18)
    for i in range(n):
        blink = 1.0 if i in blinks else (0.5 if (i - 1) in blinks else 0.0)
        writer.write(draw_face(size, i / fps, float(env[i]), blink, FaceStyle()))
    return writer.close()


def make_photo(path: Path, size: int = 512) -> Path:
    import cv2

    cv2.imwrite(str(path), draw_face(size, 0.0, 0.05, 0.0, FaceStyle()), [cv2.IMWRITE_JPEG_QUALITY, 92])
    return Path(path)


def make_persona_media(out_dir: Path, language: str = "en") -> dict[str, Path]:
    """All the fictional persona's source media: a voice recording, footage, a photo, past talks
    (in Chinese with ``language="zh"``)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    voice, _ = make_voice_recording(out_dir / "uncle_bo_home_recording.wav", language=language)
    footage = make_face_footage(out_dir / "uncle_bo_footage.mp4", seconds=14.0, audio_path=voice)
    photo = make_photo(out_dir / "uncle_bo_photo.jpg")
    talks = out_dir / "uncle_bo_past_talks.txt"
    talks.write_text("\n".join(PAST_TALKS_ZH if language == "zh" else PAST_TALKS) + "\n", encoding="utf-8")
    return {"voice": voice, "footage": footage, "photo": photo, "text": talks}
