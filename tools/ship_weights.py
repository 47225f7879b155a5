"""Copy trained weights into ``models/`` (model state only) and register them in ``models/manifest.json``.

    python tools/ship_weights.py CHECKPOINT --name dlmng-lite --description "DLMN-G lite, ..." [--default]

The file written is ``models/<name>.pt`` holding ``{"model", "size", "kind", "step", "val"}`` (no optimiser
state); its sha256 goes into the manifest entry, replacing any entry of the same name. Refuses to overwrite an
existing weights file unless ``--force``. ``--default`` marks the entry as automatic mode's default (do that only
when the model card shows the learned pipeline ahead of the classical methods).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
MODELS = ROOT / "models"
LIMIT = 20 * 1024 * 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("checkpoint", type=Path)
    parser.add_argument("--name", required=True, choices=["dlmng-lite", "ssrn-lite"])
    parser.add_argument("--description", required=True)
    parser.add_argument("--force", action="store_true")
    parser.add_argument("--default", action="store_true", help="auto mode uses these weights by default")
    args = parser.parse_args()

    ckpt = torch.load(args.checkpoint, map_location="cpu", weights_only=False)
    config = ckpt.get("config") or {}
    payload = {
        "model": {k: v.clone() for k, v in ckpt["model"].items()},
        "size": ckpt.get("size") or config.get("size", "lite"),
        "kind": ckpt.get("kind") or config.get("model"),
        "step": ckpt.get("step"),
        "val": ckpt.get("val"),
    }
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    data = buffer.getvalue()
    if len(data) > LIMIT:
        print(f"{len(data)} bytes is over the 20 MB limit", file=sys.stderr)
        return 2
    target = MODELS / f"{args.name}.pt"
    if target.exists() and not args.force:
        print(f"{target} exists; use --force", file=sys.stderr)
        return 2
    target.write_bytes(data)
    digest = hashlib.sha256(data).hexdigest()
    manifest_path = MODELS / "manifest.json"
    entries = json.loads(manifest_path.read_text()) if manifest_path.is_file() else []
    entries = [e for e in entries if e["name"] != args.name]
    entries.append({"name": args.name, "filename": target.name, "sha256": digest,
                    "description": args.description, "licence": "Apache-2.0", "default": args.default})
    manifest_path.write_text(json.dumps(sorted(entries, key=lambda e: e["name"]), indent=2) + "\n")
    print(f"{target.relative_to(ROOT)}: {len(data)} bytes, sha256 {digest}, step {payload['step']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
