"""Speed of the learned networks on this machine's CPU (or GPU when present).

    python benchmarks/models_speed.py [--threads 2] [--repeats 3]

Prints inference time of DLMN-G and SSRN (lite and paper) at 512×512 and at the working resolution used for
a 1920×1080 photo (long side 512 → 512×288), and training images/s at 320×320 (batch 4, forward + backward
+ AdamW step).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch  # noqa: E402

from matting_studio.engine.models import build_dlmng, build_ssrn  # noqa: E402
from matting_studio.training.losses import dlmng_loss  # noqa: E402


from _timing import best_time  # noqa: E402



def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    print(f"{'network':<16}{'512x512 s':>12}{'512x288 s':>12}{'train img/s @320':>18}{'params':>12}")
    for size in ("lite", "paper"):
        dl, ss = build_dlmng(config=size).eval(), build_ssrn(config=size).eval()
        row = {}
        for name, model in (("DLMN-G", dl), ("SSRN", ss)):
            times = []
            for h, w in ((512, 512), (288, 512)):
                x, s, m = torch.rand(1, 3, h, w), torch.rand(1, 1, h, w), torch.rand(1, 4, h, w)
                call = (lambda: dl(x, s, m, None)) if name == "DLMN-G" else (lambda: ss(x, m, s, s))
                with torch.inference_mode():
                    times.append(best_time(call, args.repeats, warm_up=True))
            row[name] = times
        # training throughput of DLMN-G at 320
        model = build_dlmng(config=size).train()
        opt = torch.optim.AdamW(model.parameters(), 1e-3)
        b = 4
        a = torch.rand(b, 1, 320, 320)
        batch = {"image": torch.rand(b, 3, 320, 320), "alpha": a, "fg": torch.rand(b, 3, 320, 320),
                 "bg": torch.rand(b, 3, 320, 320), "soft_seg": a, "motion": torch.rand(b, 4, 320, 320),
                 "trimap": torch.full_like(a, 0.5), "unknown": torch.ones_like(a)}

        def step():
            out = model(batch["image"], batch["soft_seg"], batch["motion"], batch["trimap"])
            loss = dlmng_loss(out, batch)["total"]
            opt.zero_grad()
            loss.backward()
            opt.step()

        ips = b / best_time(step, args.repeats, warm_up=True)
        for name, model_ in (("DLMN-G", dl), ("SSRN", ss)):
            params = sum(p.numel() for p in model_.parameters())
            extra = f"{ips:>18.1f}" if name == "DLMN-G" else f"{'':>18}"
            print(f"{name + ' ' + size:<16}{row[name][0]:>12.3f}{row[name][1]:>12.3f}{extra}{params:>12,}")


if __name__ == "__main__":
    main()
