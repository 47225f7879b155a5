"""One optimisation step per function: ``(models, optimisers, batch) -> losses``; the loop is the caller's."""

from __future__ import annotations

from matting_studio.training import losses


GUIDANCE_MODES = ("auto", "trimap", "segmentation")


def guidance(batch: dict, mode: str):
    """(soft_seg, trimap) fed to DLMN-G for a guidance ``mode``:
    ``auto`` — imperfect segmentation + trimap (the automatic pipeline); ``trimap`` — a user/benchmark trimap
    alone (the pipeline then passes the trimap as the soft segmentation too); ``segmentation`` — no trimap."""
    if mode == "auto":
        return batch["soft_seg"], batch["trimap"]
    if mode == "trimap":
        return batch["trimap"], batch["trimap"]
    return batch["soft_seg"], None


def dlmng_step(model, optimizer, batch: dict, *, mode: str = "auto") -> dict:
    """Supervised DLMN-G step on a composited batch with the guidance of ``mode`` (see :func:`guidance`)."""
    model.train()
    seg, trimap = guidance(batch, mode)
    out = model(batch["image"], seg, batch["motion"], trimap)
    terms = losses.dlmng_loss(out, batch)
    optimizer.zero_grad(set_to_none=True)
    terms["total"].backward()
    optimizer.step()
    return {k: float(v.detach()) for k, v in terms.items()}


def ssrn_step(generator, discriminator, opt_g, opt_d, teacher, batch: dict) -> dict:
    """Adversarial SSRN step on unlabelled photos: the frozen DLMN-G teacher gives pseudo-labels, the
    discriminator compares real photos with composites of the generator's cut-out onto new backgrounds."""
    import torch

    image, motion, seg, new_bg = batch["image"], batch["motion"], batch["soft_seg"], batch["new_bg"]
    with torch.no_grad():
        teacher.eval()
        t_out = teacher(image, seg, motion, None)
    generator.train()
    out = generator(image, motion, seg, t_out["alpha"])
    composite = out["alpha"] * out["foreground"] + (1 - out["alpha"]) * new_bg
    # discriminator: real photos vs composites
    d_terms = losses.gan_discriminator_loss(discriminator(image), discriminator(composite.detach()))
    opt_d.zero_grad(set_to_none=True)
    d_terms["total"].backward()
    opt_d.step()
    # generator: follow the teacher, keep the cut-out consistent, fool the discriminator
    g_terms = losses.ssrn_generator_loss(out, t_out, image, discriminator(composite))
    opt_g.zero_grad(set_to_none=True)
    g_terms["total"].backward()
    opt_g.step()
    result = {k: float(v.detach()) for k, v in g_terms.items()}
    result.update({"d_" + k: float(v.detach()) for k, v in d_terms.items()})
    return result
