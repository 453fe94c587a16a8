"""Training loops for pix2pix and CycleGAN, readable top to bottom.

pix2pix (Isola et al. 2017), paired data A -> B::

    D: maximise  log D(A, B) + log(1 - D(A, G(A)))          (a conditional GAN: D sees the input too)
    G: minimise  -log D(A, G(A)) + lambda * |B - G(A)|_1      (lambda = 100)

The L1 term pins the low frequencies (G must reproduce the target's layout and colours); the GAN
term, judged patch by patch by a PatchGAN, supplies the high frequencies that L1 alone blurs away.

CycleGAN (Zhu et al. 2017), unpaired domains A and B, two generators G_A: A -> B, G_B: B -> A and
two least-squares discriminators (D_A judges B-images, D_B judges A-images, as in the official code)::

    G: (D_A(G_A(a)) - 1)^2 + (D_B(G_B(b)) - 1)^2
       + lambda_cyc * (|G_B(G_A(a)) - a|_1 + |G_A(G_B(b)) - b|_1)               (lambda_cyc = 10)
       + lambda_idt * lambda_cyc * (|G_A(b) - b|_1 + |G_B(a) - a|_1)            (lambda_idt = 0.5)
    D: 0.5 * ((D(real) - 1)^2 + D(fake from a pool of the last 50 fakes)^2)

Without pairs any bijection onto the target domain fools D; the cycle terms ask the two maps to be
near-inverses, which keeps the content of the image. Both use Adam(lr 2e-4, beta1 0.5), constant
for the first half of training and decaying linearly to 0 over the second half, as the official
"linear" policy does.
"""

from __future__ import annotations

import json
import os
import random
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
from safetensors.torch import save_file
from tqdm import tqdm

from playground import safe_input
from playground.cli_common import output_folder
from playground.device import get_device
from playground.errors import UserError
from playground.images import grid, tanh_to_uint8
from playground.translation import data as tdata
from playground.translation.networks import define_D, define_G


@dataclass
class TrainConfig:
    task: str = "pix2pix"  # pix2pix | cyclegan
    data: str = ""  # .npz from scripts/translation_make_data.py (arrays A, B)
    out: str = "runs/translation"
    name: str = "model"
    netG: str = "unet_64"
    ngf: int = 32
    ndf: int = 32
    n_layers_D: int = 3
    norm: str = ""  # default: batch for pix2pix, instance for cyclegan
    use_dropout: bool = True  # pix2pix's G noise
    steps: int = 5000
    batch_size: int = 16
    lr: float = 2e-4
    beta1: float = 0.5
    lambda_L1: float = 100.0
    lambda_cyc: float = 10.0
    lambda_idt: float = 0.5
    pool_size: int = 50
    flip: bool = True  # random horizontal flips (faces are left-right symmetric)
    seed: int = 0
    sample_every: int = 500
    save_every: int = 500
    minutes: float = 0.0  # stop early after this wall time (0: no limit); the LR schedule assumes `steps`
    stop_after: int = 0  # stop early at this step (0: run all `steps`); the LR schedule still assumes `steps`
    threads: int = 0
    init: str = ""  # start from the networks in this checkpoint (fine-tuning; optimiser state starts fresh)
    init_nets: str = ""  # comma-separated networks to take from `init` (default: all; e.g. "G_A,G_B" restarts the Ds)
    extra: dict = field(default_factory=dict)


class ImagePool:
    """Shrivastava et al.'s history buffer: D sees a mix of current and older fakes (stabler CycleGAN)."""

    def __init__(self, size: int, rng: random.Random):
        self.size, self.images, self.rng = size, [], rng

    def query(self, images: torch.Tensor) -> torch.Tensor:
        if self.size == 0:
            return images
        out = []
        for img in images.detach():
            img = img[None]
            if len(self.images) < self.size:
                self.images.append(img)
                out.append(img)
            elif self.rng.random() > 0.5:  # return an old fake, keep the new one in its place
                i = self.rng.randrange(self.size)
                out.append(self.images[i].clone())
                self.images[i] = img
            else:
                out.append(img)
        return torch.cat(out)


def linear_decay(step: int, total: int) -> float:
    """LR factor: 1 for the first half, then linearly down to 0 at ``total``."""
    half = total // 2
    return 1.0 if step < half else max(0.0, 1.0 - (step - half) / max(1, total - half))


def batches(x: np.ndarray, batch_size: int, rng: np.random.Generator, flip: bool, y: np.ndarray | None = None):
    """Endless shuffled mini-batches as [-1, 1] NCHW tensors (the same flip for an (x, y) pair)."""
    while True:
        order = rng.permutation(len(x))
        for i in range(0, len(order) - batch_size + 1, batch_size):
            idx = order[i : i + batch_size]
            bx = tdata.to_tensor(x[idx])
            by = tdata.to_tensor(y[idx]) if y is not None else None
            if flip:
                f = torch.from_numpy(rng.random(len(idx)) < 0.5)
                bx[f] = bx[f].flip(-1)
                if by is not None:
                    by[f] = by[f].flip(-1)
            yield bx, by


def save_grid(path: Path, rows: list[torch.Tensor]) -> None:
    """Rows of (N, C, H, W) [-1, 1] tensors, one under the other, as one PNG (gray rows become RGB)."""
    from PIL import Image

    images = np.concatenate([tanh_to_uint8(r) for r in rows])
    Image.fromarray(grid(images, ncols=len(rows[0]), pad=0)).save(path)


def save_checkpoint(path: Path, nets: dict[str, nn.Module], cfg: TrainConfig, step: int, half: bool = False) -> None:
    """All networks in one safetensors file (keys ``G.model...``, ``D.model...``), config in metadata."""
    tensors = {}
    for prefix, net in nets.items():
        for k, v in net.state_dict().items():
            v = v.detach().cpu().contiguous()
            if half and v.is_floating_point():
                v = v.half()
            tensors[f"{prefix}.{k}"] = v
    meta = {"config": json.dumps(asdict(cfg)), "step": str(step)}
    tmp = path.with_suffix(".tmp")
    save_file(tensors, str(tmp), metadata=meta)
    tmp.replace(path)


def _init_from(cfg: TrainConfig, nets: dict[str, nn.Module]) -> None:
    """Load the networks of a previous checkpoint (for a second phase, e.g. fine-tuning on new data)."""
    if not cfg.init:
        return
    from playground.translation import weights

    tensors, _ = weights.read(cfg.init)
    wanted = [n.strip() for n in cfg.init_nets.split(",") if n.strip()] or list(nets)
    unknown = set(wanted) - set(nets)
    if unknown:
        raise UserError(f"--init_nets names unknown networks {sorted(unknown)}; choose from {sorted(nets)}")
    for prefix, net in ((p, nets[p]) for p in wanted):
        weights.fit_state_dict(net, {k: v.float() for k, v in weights.sub_dict(tensors, prefix).items()}, cfg.init)


def _setup(cfg: TrainConfig, default_norm: str):
    """(device, output folder, numpy rng, data A, data B, norm) for a run, the config saved beside it."""
    if cfg.threads:
        torch.set_num_threads(safe_input.integer(cfg.threads, "threads", 0, os.cpu_count() or 1))
    torch.manual_seed(safe_input.integer(cfg.seed, "seed", 0, 2**63 - 1))
    out = output_folder(cfg.out)
    (out / "config.json").write_text(json.dumps(asdict(cfg), indent=1))
    a, b, _ = tdata.load_npz(cfg.data)
    return get_device(), out, np.random.default_rng(cfg.seed), a, b, cfg.norm or default_norm


def _adam(params, cfg: TrainConfig) -> torch.optim.Adam:
    return torch.optim.Adam(params, lr=cfg.lr, betas=(cfg.beta1, 0.999))


def _set_lr(cfg: TrainConfig, step: int, *opts: torch.optim.Optimizer) -> None:
    for opt in opts:
        for group in opt.param_groups:
            group["lr"] = cfg.lr * linear_decay(step, cfg.steps)


def _after_step(cfg: TrainConfig, step: int, t0: float, out: Path, nets: dict[str, nn.Module], samples, message,
                log) -> bool:
    """Sample grid and checkpoint when due (``samples()`` gives the grid's rows, ``message()`` the log
    line); True when training stops at this step."""
    done = step in (cfg.steps, cfg.stop_after) or bool(cfg.minutes and time.time() - t0 > cfg.minutes * 60)
    if step % cfg.sample_every == 0 or done:
        generators = [net for name, net in nets.items() if name.startswith("G")]
        for g in generators:
            g.eval()
        with torch.no_grad():
            save_grid(out / f"samples_{step:06d}.png", samples())
        for g in generators:
            g.train()
    if step % cfg.save_every == 0 or done:
        save_checkpoint(out / f"{cfg.name}.safetensors", nets, cfg, step)
        log(f"step {step}: {message()} ({time.time() - t0:.0f}s)")
    return done


def train_pix2pix(cfg: TrainConfig, log=print) -> Path:
    device, out, rng, a, b, norm = _setup(cfg, "batch")
    G = define_G(cfg.netG, norm, cfg.ngf, cfg.use_dropout, a.shape[-1], b.shape[-1]).to(device)
    D = define_D("n_layers", a.shape[-1] + b.shape[-1], cfg.ndf, cfg.n_layers_D, norm).to(device)
    _init_from(cfg, {"G": G, "D": D})
    opt_G, opt_D = _adam(G.parameters(), cfg), _adam(D.parameters(), cfg)
    bce, l1 = nn.BCEWithLogitsLoss(), nn.L1Loss()
    fixed_a, fixed_b = tdata.to_tensor(a[:8]).to(device), tdata.to_tensor(b[:8]).to(device)
    stream, t0 = batches(a, cfg.batch_size, rng, cfg.flip, b), time.time()
    bar = tqdm(range(1, cfg.steps + 1), desc=f"pix2pix {cfg.name}", mininterval=5)
    for step in bar:
        _set_lr(cfg, step, opt_G, opt_D)
        real_a, real_b = (t.to(device) for t in next(stream))
        fake_b = G(real_a)

        # D: real pairs -> 1, fake pairs -> 0 (fake detached: this step must not train G).
        opt_D.zero_grad(set_to_none=True)
        pred_fake = D(torch.cat([real_a, fake_b.detach()], 1))
        pred_real = D(torch.cat([real_a, real_b], 1))
        loss_D = 0.5 * (bce(pred_fake, torch.zeros_like(pred_fake)) + bce(pred_real, torch.ones_like(pred_real)))
        loss_D.backward()
        opt_D.step()

        # G: fool D (non-saturating form) and stay close to the target in L1.
        opt_G.zero_grad(set_to_none=True)
        pred_fake = D(torch.cat([real_a, fake_b], 1))
        loss_G_gan = bce(pred_fake, torch.ones_like(pred_fake))
        loss_G_l1 = l1(fake_b, real_b)
        (loss_G_gan + cfg.lambda_L1 * loss_G_l1).backward()
        opt_G.step()

        losses = lambda: f"D {loss_D.item():.3f} G_gan {loss_G_gan.item():.3f} L1 {loss_G_l1.item():.4f}"  # noqa: E731
        if step % 50 == 0:
            bar.set_postfix_str(losses())
        if _after_step(cfg, step, t0, out, {"G": G, "D": D}, lambda: [fixed_a, G(fixed_a), fixed_b], losses, log):
            break
    return out / f"{cfg.name}.safetensors"


def _cyclegan_g_step(nets, opt_G, real_a, real_b, cfg: TrainConfig, lam_idt: float):
    """One update of both generators against frozen discriminators: (fake_b, fake_a, LSGAN, cycle and
    identity losses)."""
    G_A, G_B, D_A, D_B = (nets[k] for k in ("G_A", "G_B", "D_A", "D_B"))
    mse, l1 = nn.functional.mse_loss, nn.functional.l1_loss
    for d in (D_A, D_B):
        d.requires_grad_(False)
    opt_G.zero_grad(set_to_none=True)
    fake_b, fake_a = G_A(real_a), G_B(real_b)
    pa, pb = D_A(fake_b), D_B(fake_a)
    loss_gan = mse(pa, torch.ones_like(pa)) + mse(pb, torch.ones_like(pb))
    loss_cyc = l1(G_B(fake_b), real_a) + l1(G_A(fake_a), real_b)
    loss_idt = (l1(G_A(real_b), real_b) + l1(G_B(real_a), real_a)) if lam_idt else torch.zeros((), device=real_a.device)
    (loss_gan + cfg.lambda_cyc * loss_cyc + lam_idt * loss_idt).backward()
    opt_G.step()
    for d in (D_A, D_B):
        d.requires_grad_(True)
    return fake_b, fake_a, loss_gan, loss_cyc, loss_idt


def _cyclegan_d_step(nets, opt_D, real_a, real_b, fake_b, fake_a, pools) -> float:
    """One update of both discriminators (real -> 1, a fake from the history pool -> 0); their summed loss."""
    opt_D.zero_grad(set_to_none=True)
    loss_D = 0.0
    for D, real, fake in ((nets["D_A"], real_b, pools[1].query(fake_b)), (nets["D_B"], real_a, pools[0].query(fake_a))):
        pr, pf = D(real), D(fake.detach())
        loss = 0.5 * (nn.functional.mse_loss(pr, torch.ones_like(pr)) + nn.functional.mse_loss(pf, torch.zeros_like(pf)))
        loss.backward()
        loss_D += loss.item()
    opt_D.step()
    return loss_D


def train_cyclegan(cfg: TrainConfig, log=print) -> Path:
    device, out, rng, a, b, norm = _setup(cfg, "instance")
    nc_a, nc_b = a.shape[-1], b.shape[-1]
    nets = {
        "G_A": define_G(cfg.netG, norm, cfg.ngf, False, nc_a, nc_b).to(device),  # A -> B
        "G_B": define_G(cfg.netG, norm, cfg.ngf, False, nc_b, nc_a).to(device),  # B -> A
        "D_A": define_D("n_layers", nc_b, cfg.ndf, cfg.n_layers_D, norm).to(device),  # real B vs G_A(A)
        "D_B": define_D("n_layers", nc_a, cfg.ndf, cfg.n_layers_D, norm).to(device),  # real A vs G_B(B)
    }
    _init_from(cfg, nets)
    G_A, G_B = nets["G_A"], nets["G_B"]
    opt_G = _adam([*G_A.parameters(), *G_B.parameters()], cfg)
    opt_D = _adam([*nets["D_A"].parameters(), *nets["D_B"].parameters()], cfg)
    pyrng = random.Random(cfg.seed)
    pools = (ImagePool(cfg.pool_size, pyrng), ImagePool(cfg.pool_size, pyrng))  # of fake A, of fake B
    fixed_a, fixed_b = tdata.to_tensor(a[:8]).to(device), tdata.to_tensor(b[:8]).to(device)
    stream_a, stream_b = batches(a, cfg.batch_size, rng, cfg.flip), batches(b, cfg.batch_size, rng, cfg.flip)
    lam_idt = cfg.lambda_idt * cfg.lambda_cyc if nc_a == nc_b else 0.0
    t0 = time.time()

    def samples():
        fb, fa = G_A(fixed_a), G_B(fixed_b)
        return [fixed_a, fb, G_B(fb), fixed_b, fa, G_A(fa)]

    bar = tqdm(range(1, cfg.steps + 1), desc=f"cyclegan {cfg.name}", mininterval=5)
    for step in bar:
        _set_lr(cfg, step, opt_G, opt_D)
        real_a, real_b = next(stream_a)[0].to(device), next(stream_b)[0].to(device)
        fake_b, fake_a, loss_gan, loss_cyc, loss_idt = _cyclegan_g_step(nets, opt_G, real_a, real_b, cfg, lam_idt)
        loss_D = _cyclegan_d_step(nets, opt_D, real_a, real_b, fake_b, fake_a, pools)
        losses = lambda: (f"D {loss_D:.3f} G_gan {loss_gan.item():.3f} cyc {loss_cyc.item():.4f} "  # noqa: E731
                          f"idt {loss_idt.item():.4f}")
        if step % 50 == 0:
            bar.set_postfix_str(losses())
        if _after_step(cfg, step, t0, out, nets, samples, losses, log):
            break
    return out / f"{cfg.name}.safetensors"


def train(cfg: TrainConfig, log=print) -> Path:
    if cfg.task == "pix2pix":
        return train_pix2pix(cfg, log)
    if cfg.task == "cyclegan":
        return train_cyclegan(cfg, log)
    raise UserError(f"unknown task {safe_input.quote(cfg.task)} (pix2pix or cyclegan)")
