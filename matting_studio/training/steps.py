"""One optimisation step per function: ``(models, optimisers, batch) -> losses``; the loop is the caller's."""

from __future__ import annotations

from matting_studio.training import losses


GUIDANCE_MODES = ("auto", "trimap", "segmentation")  # drawn per batch; "given": chosen per sample (sample_pool)


def guidance(batch: dict, mode: str):
    """(soft_seg, trimap) fed to DLMN-G for a guidance ``mode``:
    ``auto`` — imperfect segmentation + the trimap eroded / dilated from it (the automatic pipeline); ``trimap`` — a user/benchmark trimap
    alone (the pipeline then passes the trimap as the soft segmentation too); ``segmentation`` — no trimap;
    ``given`` — the batch's own ``soft_seg`` and ``trimap`` (a pool's samples carry their guidance and loss region)."""
    if mode == "given":
        return batch["soft_seg"], batch["trimap"]
    if mode == "auto":
        return batch["soft_seg"], batch.get("seg_trimap", batch["trimap"])
    if mode == "trimap":
        return batch["trimap"], batch["trimap"]
    return batch["soft_seg"], None


def _prior(batch: dict, trimap):
    """The batch's precomputed matting prior, for the trimap it was made from (None without a trimap)."""
    return batch.get("prior") if trimap is not None else None


def dlmng_step(model, optimizer, batch: dict, *, mode: str = "auto", loss_weights: dict | None = None) -> dict:
    """Supervised DLMN-G step on a composited batch with the guidance of ``mode`` (see :func:`guidance`);
    ``loss_weights`` override :data:`~matting_studio.training.losses.DLMNG_WEIGHTS`."""
    import torch

    model.train()
    seg, trimap = guidance(batch, mode)
    out = model(batch["image"], seg, batch["motion"], trimap, prior=_prior(batch, trimap))
    if mode == "auto" and "seg_unknown" in batch:  # the loss looks where the pipeline's trimap is unsure
        batch = {**batch, "unknown": batch["seg_unknown"]}
    terms = losses.dlmng_loss(out, batch, loss_weights)
    optimizer.zero_grad(set_to_none=True)
    if not torch.isfinite(terms["total"]):  # one bad batch must not poison the weights: skip it
        return {k: float(v.detach()) for k, v in terms.items()}
    terms["total"].backward()
    optimizer.step()
    return {k: float(v.detach()) for k, v in terms.items()}


def ssrn_step(generator, discriminator, opt_g, opt_d, teacher, batch: dict) -> dict:
    """Adversarial SSRN step on unlabelled photos: the frozen DLMN-G teacher gives pseudo-labels, the
    discriminator compares real photos with composites of the generator's cut-out onto new backgrounds."""
    import torch

    from matting_studio.engine.models.blocks import apply_known

    image, motion, seg, new_bg = batch["image"], batch["motion"], batch["soft_seg"], batch["new_bg"]
    trimap = batch.get("seg_trimap")  # the automatic pipeline's trimap, as at inference
    with torch.no_grad():
        teacher.eval()
        t_out = teacher(image, seg, motion, trimap, prior=_prior(batch, trimap))
    generator.train()
    out = generator(image, motion, seg, t_out["alpha"])
    out = {**out, "alpha": apply_known(out["alpha"], trimap)}
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


def ssrn_supervised_step(generator, opt_g, teacher, batch: dict, *, mode: str = "trimap",
                         loss_weights: dict | None = None) -> dict:
    """SSRN step on a composited batch with a true alpha: the teacher's alpha (guidance of ``mode``) refined
    by SSRN is scored against the truth (DLMN-G's loss: alpha L1 and squared error, Laplacian, composition,
    foreground; ``loss_weights`` override its weights), so SSRN learns to fix the
    teacher's own errors. Alternates with :func:`ssrn_step` on real photos."""
    import torch

    from matting_studio.engine.models.blocks import apply_known

    seg, trimap = guidance(batch, mode)
    with torch.no_grad():
        teacher.eval()
        coarse = teacher(batch["image"], seg, batch["motion"], trimap,
                         prior=_prior(batch, trimap))["alpha"]
    generator.train()
    out = generator(batch["image"], batch["motion"], seg, coarse)
    out = {**out, "alpha": apply_known(out["alpha"], trimap)}
    if mode == "auto" and "seg_unknown" in batch:
        batch = {**batch, "unknown": batch["seg_unknown"]}
    terms = losses.dlmng_loss(out, batch, loss_weights)
    opt_g.zero_grad(set_to_none=True)
    terms["total"].backward()
    opt_g.step()
    result = {"sup_" + k: float(v.detach()) for k, v in terms.items()}
    result["total"] = result["sup_total"]
    return result
