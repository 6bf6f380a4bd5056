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


class PrefectSettings(BaseModel):
    api_url: str = "http://127.0.0.1:4200/api"
    ui_url: str = "http://127.0.0.1:4200"
    deployment: str = "produce/produce"
    work_pool: str = "studio-process"
    runner_poll_seconds: float = Field(default=2.0, gt=0)


class LLMSettings(BaseModel):
    backend: Literal["composer", "openai"] = "composer"
    base_url: str = "http://127.0.0.1:8080/v1"
    api_key: SecretStr = SecretStr("not-needed")
    model: str = "default"
    timeout_s: float = 120.0
    max_retries: int = 2
    temperature: float = 0.7


class VoiceSettings(BaseModel):
    backend: Literal["espeak"] = "espeak"
    sample_rate: int = 24000


class VideoSettings(BaseModel):
    backend: Literal["reenact"] = "reenact"
    max_height: int = Field(default=720, le=1080)
    fps: float = 25.0
    crf: int = 20
    preset: str = "veryfast"


class DeliverySettings(BaseModel):
    label_text: str = "AI生成 / AI-generated"
    label_seconds: float = 3.0
    corner_text: str = "AI生成"
    corner: Literal["top_left", "top_right", "bottom_left", "bottom_right"] = "top_right"
    font_file: Path = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
    audio_bitrate: str = "128k"


class PortalSettings(BaseModel):
    host: str = "127.0.0.1"
    port: int = 8501


class StudioSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="STUDIO_", env_nested_delimiter="__", extra="ignore")

    home: Path = Path(".studio")
    operator: str = "operator"
    storage: StorageSettings = StorageSettings()
    prefect: PrefectSettings = PrefectSettings()
    llm: LLMSettings = LLMSettings()
    voice: VoiceSettings = VoiceSettings()
    video: VideoSettings = VideoSettings()
    delivery: DeliverySettings = DeliverySettings()
    portal: PortalSettings = PortalSettings()

    @property
    def store_root(self) -> Path:
        root = self.storage.root
        return (root if root.is_absolute() else self.home / root).resolve()

    @property
    def work_dir(self) -> Path:
        """Scratch space for media being processed; safe to delete."""
        return (self.home / "work").resolve()


@lru_cache(maxsize=1)
def get_settings() -> StudioSettings:
    """The settings from the environment, read once per process (tests call ``cache_clear``)."""
    return StudioSettings()
