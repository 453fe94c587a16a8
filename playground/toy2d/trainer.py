"""The training loop of the 2-D GAN lab.

One :class:`Trainer` holds G, D, their optimisers and a seeded random stream. ``step(n)`` runs n
iterations (``d_steps`` updates of D, then ``g_steps`` updates of G) and logs losses, mode metrics and
sample quality every ``log_every`` iterations. What the page draws of it (``snapshot()``) lives in
:mod:`playground.toy2d.pictures`.

Everything runs on the CPU on purpose: these networks have a few thousand weights, and a GPU would
spend more time launching kernels and copying back pictures than computing.
"""

from __future__ import annotations

import copy
import csv
import functools
import io
import json
import math
from pathlib import Path

import numpy as np
import torch

from playground.errors import UserError
from playground.seeding import seeded
from playground.toy2d import fast, losses, metrics
from playground.toy2d.config import ToyConfig
from playground.toy2d.data import GaussianMixture, make_dataset
from playground.toy2d.models import LABEL_SCALE, build_models, one_hot, with_labels
from playground.toy2d.pictures import Pictures

MODE_FIELDS = ("modes_covered", "modes_hit", "modes_total", "high_quality", "reverse_kl")
# label_accuracy: a conditional G's samples on the mode they were asked for (None for an unconditional run)
# jsd, v_star: JSD(p_data || p_g) and V(D*, G) on the lab's grid; frechet: the 2-D Fréchet distance between
# data and G's samples (the "when to stop" curve)
QUALITY_FIELDS = ("jsd", "v_star", "frechet")
HISTORY_FIELDS = ("iteration", "d_loss", "g_loss", *MODE_FIELDS, *QUALITY_FIELDS, "label_accuracy")


class NonFiniteTraining(UserError):
    """A loss or a weight became NaN or infinite: the run diverged."""


# Added under the look-ahead's square roots so their gradient stays finite where a second moment is 0. It must
# lie far below any float32 moment that matters, or the look-ahead's step would differ from the optimiser's for
# weights with tiny gradients (1e-16 did: tests/toy2d/test_trainer.py compares the two).
TINY = 1e-30


def make_optimizer(name: str, params, lr: float, beta1: float, beta2: float) -> torch.optim.Optimizer:
    if name == "adam":
        return torch.optim.Adam(params, lr=lr, betas=(beta1, beta2), fused=True)  # fused: fewest ops per step
    if name == "rmsprop":
        return torch.optim.RMSprop(params, lr=lr, alpha=beta2, foreach=True)
    return torch.optim.SGD(params, lr=lr, foreach=True)


class Trainer(Pictures):
    """A 2-D GAN being trained; see the module docstring.

    ``freeze_d`` / ``freeze_g`` skip that player's updates (e.g. train D alone against a fixed G).
    ``history`` gets one row every ``log_every`` iterations (losses and mode metrics).

    Conditional (``cfg.conditional``): ``n_labels`` = the data set's modes. D's update labels each real point
    with its mode and asks G for fakes with the same labels (so the labels are uniform over the modes, and a
    gradient penalty's x̂ keeps one label); G's update asks for fresh uniform labels, or for the labels of the
    real batch a relativistic loss draws.
    """

    def __init__(self, cfg: ToyConfig | None = None, dataset: GaussianMixture | None = None, *, points=None,
                 log_every: int = 100, use_fast: bool = True, scripted: bool = True):
        self.cfg = ToyConfig.from_dict((cfg or ToyConfig()).to_dict())  # own copy: presets stay untouched
        self.dataset = dataset if dataset is not None else make_dataset(self.cfg, points)
        self.log_every = int(log_every)
        self.gen = torch.Generator().manual_seed(self.cfg.seed)  # every training noise draw
        with seeded(self.cfg.seed):  # the initial weights: the seed's alone, whatever other threads draw
            self.n_labels = self.dataset.n_labels if self.cfg.conditional else 0
            if self.cfg.conditional and not self.n_labels:
                raise UserError(f"A conditional GAN needs a data set with separate modes; {self.dataset.name} has none.")
            self.G, self.D = build_models(self.cfg, self.n_labels)
        c = self.cfg
        self.objective = losses.OBJECTIVES[c.loss]
        # Hand-written backprop (playground.toy2d.fast) wherever the objective has it and no unrolling needs
        # a gradient through D's update.
        self.fast = bool(use_fast) and self.objective.fast is not None and c.unroll_steps == 0
        self.scripted = bool(scripted)  # the fast path's chunks as TorchScript (else the same code in Python)
        if self.fast:
            self._fg, self._fd = fast.FlatMLP(self.G.net), fast.FlatMLP(self.D.net)
            self._fopt_g, self._fopt_d = fast.FlatOptimizer(self._fg), fast.FlatOptimizer(self._fd)
            # the chunk function's per-network arguments: layer views, then [flat, grad, moments]
            self._nets = [part for net, opt in ((self._fg, self._fopt_g), (self._fd, self._fopt_d))
                          for part in ([[layer[i] for layer in net.layers] for i in range(4)]
                                       + [[net.flat, net.grad, opt.m, opt.v]])]
            self._sigma_t = torch.tensor(self.dataset.sigma)
            self._spec = fast.ChunkSpec(
                act=self._fg.act_code, act_param=self._fg.act_param, d_code=self.objective.fast[0],
                g_code=self.objective.fast[1], g_reals=self.objective.g_uses_reals, opt=fast.OPT_CODES[c.optimizer],
                pack=c.pack, n=(c.batch_size // c.pack) * c.pack, z_dim=c.z_dim, z_uniform=c.z_dist == "uniform",
                lr_g=c.lr_g, lr_d=c.lr_d, beta1=c.beta1, beta2=c.beta2, eps=fast.ADAM_EPS,
                clip=c.clip_value if self.objective.clip else -1.0, n_labels=self.n_labels, label_scale=LABEL_SCALE)
        self._g_params = list(self.G.parameters())
        self._n = (c.batch_size // c.pack) * c.pack  # samples per batch: whole packs only
        self.iteration = 0
        self.freeze_d = False
        self.freeze_g = False
        self.history: list[dict] = []
        self._quality_ref: dict | None = None  # grid, data density and data sample for quality()
        self._last_metrics: dict | None = None  # of the last logged iteration (the live view reuses them)
        self._last_d: torch.Tensor | None = None
        self._last_g: torch.Tensor | None = None
        self._view = None  # fixed samples and grid cache for snapshot()

    # The autograd path's optimisers, made on first use: building a torch.optim optimiser imports torch's
    # compiler package (~1 s), which a trainer that only draws its first frame (the page on arrival) never needs.
    @functools.cached_property
    def opt_g(self) -> torch.optim.Optimizer:
        c = self.cfg
        return make_optimizer(c.optimizer, self.G.parameters(), c.lr_g, c.beta1, c.beta2)

    @functools.cached_property
    def opt_d(self) -> torch.optim.Optimizer:
        c = self.cfg
        return make_optimizer(c.optimizer, self.D.parameters(), c.lr_d, c.beta1, c.beta2)

    # ---- noise and packing ------------------------------------------------------------------------

    def sample_z(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        g = self.gen if generator is None else generator
        if self.cfg.z_dist == "uniform":
            return torch.rand(n, self.cfg.z_dim, generator=g).mul_(2).sub_(1)
        return torch.randn(n, self.cfg.z_dim, generator=g)

    def _packed(self, x: torch.Tensor) -> torch.Tensor:
        """(n, 2) -> (n / pack, 2 * pack): PacGAN's D sees pack samples per decision."""
        return x if self.cfg.pack == 1 else x.reshape(-1, 2 * self.cfg.pack)

    def _d_in(self, x: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
        """D's input rows for points x (n, 2) with one-hot labels y (None: unconditional): packs of [x, y]."""
        return self._packed(x) if y is None else with_labels(x, y).reshape(-1, (2 + self.n_labels) * self.cfg.pack)

    def _onehot(self, labels: torch.Tensor) -> torch.Tensor | None:
        return one_hot(labels, self.n_labels) if self.n_labels else None

    def _real_batch(self, n: int, generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """n real points and their one-hot labels (None unless conditional); the draws are ``sample``'s."""
        x, labels = self.dataset.sample_labelled(n, self.gen if generator is None else generator)
        return x, self._onehot(labels)

    def _fake_labels(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor | None:
        """Fresh labels for G, uniform over the modes (None and no draw unless conditional)."""
        if not self.n_labels:
            return None
        return self._onehot(torch.randint(self.n_labels, (n,), generator=self.gen if generator is None else generator))

    def _labelled_d(self, D, y: torch.Tensor | None):
        """D as a function of packed points alone, the labels y fixed (a gradient penalty differentiates by x only)."""
        if y is None:
            return D
        return lambda xp: D(self._d_in(xp.reshape(-1, 2), y))

    # ---- one update of each player -----------------------------------------------------------------

    def _d_update(self, D, opt) -> torch.Tensor:
        c, n = self.cfg, self._n
        real, y = self._real_batch(n)
        with torch.no_grad():
            fake = self.G(self.sample_z(n), y)  # fakes asked for the reals' labels
        out = D(torch.cat([self._d_in(real, y), self._d_in(fake, y)]))
        loss = self.objective.d_loss(out[: len(out) // 2], out[len(out) // 2 :])
        if self.objective.penalty is not None:
            real, fake = self._packed(real), self._packed(fake)
            loss = loss + c.gp_weight * self.objective.penalty(self._labelled_d(D, y), real, fake, self.gen)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if self.objective.clip:  # the original WGAN keeps the critic Lipschitz by clipping its weights
            with torch.no_grad():
                for p in D.parameters():
                    p.clamp_(-c.clip_value, c.clip_value)
        return loss.detach()

    def _g_update(self) -> torch.Tensor:
        # a relativistic G loss compares its fakes with a fresh real batch, drawn first (as the fast path does);
        # the fakes are asked for its labels, else for fresh uniform ones
        real = y = None
        if self.objective.g_uses_reals:
            real, y = self._real_batch(self._n)
            real = self._d_in(real, y)
        else:
            y = self._fake_labels(self._n)
        fake = self._d_in(self.G(self.sample_z(self._n), y), y)
        params = self._unrolled_d_params() if self.cfg.unroll_steps > 0 else None  # D as it will be

        def D(x):
            return self.D(x) if params is None else torch.func.functional_call(self.D, params, (x,))

        loss = self.objective.g(None if real is None else D(real), D(fake))
        # gradients for G only: D's weight gradients would be computed and thrown away
        grads = torch.autograd.grad(loss, self._g_params)
        for p, g in zip(self._g_params, grads):
            p.grad = g
        self.opt_g.step()
        return loss.detach()

    def _unrolled_d_params(self) -> dict[str, torch.Tensor]:
        """Unrolled GAN (Metz et al. 2017): D's weights after ``unroll_steps`` more updates, as a
        differentiable function of G, so G's gradient includes how D would react to G's move.

        The look-ahead repeats D's own optimiser step (Adam / RMSprop / SGD, starting from D's current
        optimiser state) on fresh batches; it never changes the real D. Gradient penalties are left
        out of the look-ahead (they would need third derivatives).
        """
        c = self.cfg
        names = [n for n, _ in self.D.named_parameters()]
        params = [p.detach().requires_grad_(True) for _, p in self.D.named_parameters()]
        state = [self.opt_d.state.get(p, {}) for p in self.D.parameters()]  # empty before D's first step
        m1 = [st.get("exp_avg", torch.zeros_like(p)) for st, p in zip(state, params)]  # Adam's first moment
        m2 = [st.get("exp_avg_sq", st.get("square_avg", torch.zeros_like(p))) for st, p in zip(state, params)]
        step = int(state[0].get("step", 0)) if state else 0
        code = fast.OPT_CODES[c.optimizer]
        for _ in range(c.unroll_steps):
            real, y = self._real_batch(self._n)  # D's own update's draws
            fake = self._d_in(self.G(self.sample_z(self._n), y), y)  # keeps its graph to G
            out = torch.func.functional_call(self.D, dict(zip(names, params)), (torch.cat([self._d_in(real, y), fake]),))
            loss = self.objective.d_loss(out[: len(real)], out[len(real) :])
            grads = torch.autograd.grad(loss, params, create_graph=True)
            step += 1
            # the optimiser's own rule, out of place, so G's gradient flows through it
            moved = [fast.opt_rule(p, g, m, v, step, code, c.lr_d, c.beta1, c.beta2, 1e-8, TINY)
                     for p, g, m, v in zip(params, grads, m1, m2)]
            params, m1, m2 = (list(t) for t in zip(*moved))
            if self.objective.clip:
                params = [p.clamp(-c.clip_value, c.clip_value) for p in params]
        return dict(zip(names, params))

    def d_step(self) -> float:
        """One discriminator update (ignores freeze flags: the user asked for it); returns D's loss."""
        if self.fast:
            self._last_d = self._run_chunk(1, d_steps=1, g_steps=0)[0]
        else:
            self._last_d = self._d_update(self.D, self.opt_d)
        self._check(self._last_d, "D")
        return float(self._last_d)

    def g_step(self) -> float:
        """One generator update; returns G's loss."""
        if self.fast:
            self._last_g = self._run_chunk(1, d_steps=0, g_steps=1)[1]
        else:
            self._last_g = self._g_update()
        self._check(self._last_g, "G")
        return float(self._last_g)

    def step(self, n: int = 1) -> None:
        """n full iterations: d_steps D updates then g_steps G updates each, honouring the freezes."""
        n = int(n)
        if self.fast:
            self._step_fast(n)
        else:
            self._step_autograd(n)
        if self._last_d is not None:
            self._check(self._last_d, "D")
        if self._last_g is not None:
            self._check(self._last_g, "G")

    def _step_autograd(self, n: int) -> None:
        c = self.cfg
        for _ in range(n):
            if not self.freeze_d:
                for _ in range(c.d_steps):
                    self._last_d = self._d_update(self.D, self.opt_d)
            if not self.freeze_g:
                for _ in range(c.g_steps):
                    self._last_g = self._g_update()
            self.iteration += 1
            if self.log_every and self.iteration % self.log_every == 0:
                self._log()

    def _run_chunk(self, k: int, d_steps: int, g_steps: int) -> tuple[torch.Tensor, torch.Tensor]:
        """k iterations of d_steps D updates then g_steps G updates: one call of fast.chunk_function()."""
        losses_ = fast.chunk_function(self.scripted)(k, self.dataset._means_t, self._sigma_t, self.gen, *self._nets,
                                                     self._spec, d_steps, g_steps, self._fopt_g.step_count,
                                                     self._fopt_d.step_count)
        self._fopt_d.step_count += k * d_steps
        self._fopt_g.step_count += k * g_steps
        return losses_

    def _step_fast(self, n: int) -> None:
        """n iterations in chunks that end at the log points."""
        done = 0
        while done < n:
            k = n - done
            if self.log_every:
                k = min(k, self.log_every - self.iteration % self.log_every)
            d_steps = 0 if self.freeze_d else self.cfg.d_steps
            g_steps = 0 if self.freeze_g else self.cfg.g_steps
            d_loss, g_loss = self._run_chunk(k, d_steps, g_steps)
            if d_steps:
                self._last_d = d_loss
            if g_steps:
                self._last_g = g_loss
            self.iteration += k
            done += k
            if self.log_every and self.iteration % self.log_every == 0:
                self._log()

    # ---- health -----------------------------------------------------------------------------------

    def _check(self, loss: torch.Tensor, who: str) -> None:
        if not bool(torch.isfinite(loss)):
            self._diverged(f"the {who} loss became {float(loss)}")

    def _check_weights(self) -> None:
        for name, m in (("G", self.G), ("D", self.D)):
            if not all(bool(torch.isfinite(p).all()) for p in m.parameters()):
                self._diverged(f"{name}'s weights became NaN or infinite")

    def _diverged(self, what: str) -> None:
        c = self.cfg
        raise NonFiniteTraining(
            f"Training diverged at iteration {self.iteration}: {what}. The learning rate is probably too high "
            f"(lr_d={c.lr_d:g}, lr_g={c.lr_g:g}); lower it and press Reset."
        )

    # ---- measuring --------------------------------------------------------------------------------

    def _eval_gen(self, salt: int) -> torch.Generator:
        """A fresh generator per measurement: measuring never changes the training run."""
        return torch.Generator().manual_seed(self.cfg.seed * 7919 + salt)

    def eval_labels(self, n: int) -> np.ndarray | None:
        """The labels a conditional G is asked for when measured and drawn: 0, 1, ..., K-1, 0, 1, ... (every mode
        equally often); None for an unconditional G."""
        return np.arange(n) % self.n_labels if self.n_labels else None

    @torch.no_grad()
    def generate(self, n: int, generator: torch.Generator | None = None, labels=None) -> np.ndarray:
        """n samples of G; a conditional G is asked for ``labels`` (n,) ints, by default :meth:`eval_labels`."""
        z = self.sample_z(n, generator or self._eval_gen(1))
        if not self.n_labels:
            return self.G(z).numpy()
        labels = self.eval_labels(n) if labels is None else labels
        return self.G(z, self._onehot(torch.as_tensor(np.asarray(labels), dtype=torch.int64))).numpy()

    def metrics(self, n: int = metrics.N_METRIC_SAMPLES) -> dict:
        """Mode metrics of n fresh generated samples (VEEGAN/PacGAN definitions), and a conditional G's label
        accuracy (:func:`metrics.label_accuracy`; None when unconditional)."""
        return self._measure(self._samples(n))

    def _measure(self, x: np.ndarray) -> dict:
        m = metrics.mode_metrics(x, self.dataset.centers, self.dataset.sigma, self.dataset.means)
        labels = self.eval_labels(len(x))
        m["label_accuracy"] = None if labels is None else metrics.label_accuracy(x, labels, self.dataset.means)
        return m

    def _samples(self, n: int) -> np.ndarray:
        """n generated points from the fixed evaluation noise (a clear error if G produced NaN)."""
        x = self.generate(n)
        if not np.isfinite(x).all():
            self._check_weights()
            self._diverged("the generator produced NaN points")
        return x

    @torch.no_grad()
    def losses_now(self) -> tuple[float, float]:
        """D's and G's losses on a fresh batch (no update, no penalty terms)."""
        g = self._eval_gen(2)
        real, y = self._real_batch(self._n, g)
        r = self.D(self._d_in(real, y))
        f = self.D(self._d_in(self.G(self.sample_z(self._n, g), y), y))
        return float(self.objective.d_loss(r, f)), float(self.objective.g(r, f))

    def _log(self) -> None:
        if self._last_d is None or self._last_g is None or self.freeze_d or self.freeze_g:
            d_now, g_now = self.losses_now()
        d = d_now if (self._last_d is None or self.freeze_d) else float(self._last_d)
        g = g_now if (self._last_g is None or self.freeze_g) else float(self._last_g)
        if not (math.isfinite(d) and math.isfinite(g)):
            self._diverged(f"the losses became D={d}, G={g}")
        x = self._samples(metrics.N_METRIC_SAMPLES)
        m = self._last_metrics = self._measure(x)
        row = {"iteration": self.iteration, "d_loss": d, "g_loss": g}
        row.update({k: m[k] for k in MODE_FIELDS})
        row.update(self.quality(x))
        row["label_accuracy"] = m["label_accuracy"]
        self.history.append(row)

    def history_csv(self) -> str:
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=HISTORY_FIELDS, lineterminator="\n")
        w.writeheader()
        for row in self.history:
            w.writerow({k: ("" if row.get(k) is None else row[k]) for k in HISTORY_FIELDS})
        return buf.getvalue()

    def clone(self) -> "Trainer":
        """An independent copy that goes on exactly as this one would: the weights, the optimisers' moments,
        the noise generator's state, the iteration and the history (a student leaving a run shared by a class
        takes one, and trains on from there alone)."""
        t = Trainer(self.cfg, self.dataset, log_every=self.log_every, use_fast=self.fast, scripted=self.scripted)
        t.G.load_state_dict(self.G.state_dict())  # copies (into the fast path's flat tensors too)
        t.D.load_state_dict(self.D.state_dict())
        if self.fast:
            for mine, theirs in ((self._fopt_g, t._fopt_g), (self._fopt_d, t._fopt_d)):
                theirs.m.copy_(mine.m)
                theirs.v.copy_(mine.v)
                theirs.step_count = mine.step_count
        for name in ("opt_g", "opt_d"):
            if name in self.__dict__:  # made on first use (cached_property)
                getattr(t, name).load_state_dict(copy.deepcopy(getattr(self, name).state_dict()))
        t.gen.set_state(self.gen.get_state())
        t.iteration, t.history = self.iteration, [dict(r) for r in self.history]
        t.freeze_d, t.freeze_g = self.freeze_d, self.freeze_g
        t._last_metrics = copy.deepcopy(self._last_metrics)
        t._last_d, t._last_g = (x.clone() if isinstance(x, torch.Tensor) else x for x in (self._last_d, self._last_g))
        t._view, t._quality_ref = self._view, self._quality_ref  # fixed samples and grids, only read: shared
        return t

    # ---- saving -----------------------------------------------------------------------------------

    def save(self, path: str | Path) -> Path:
        """Write ``model.safetensors`` and ``config.json`` into a folder (or next to a .safetensors path).

        The optimiser state is not saved: a loaded run continues with fresh optimiser moments.
        """
        from safetensors.torch import save_file

        weights, meta = _paths(path)
        weights.parent.mkdir(parents=True, exist_ok=True)
        tensors = {f"G.{k}": t.contiguous() for k, t in self.G.state_dict().items()}
        tensors.update({f"D.{k}": t.contiguous() for k, t in self.D.state_dict().items()})
        if self.cfg.dataset == "custom":
            tensors["data.points"] = torch.as_tensor(self.dataset.means, dtype=torch.float64)
        save_file(tensors, str(weights))
        meta.write_text(json.dumps({"config": self.cfg.to_dict(), "iteration": self.iteration, "history": self.history}, indent=2))
        return weights.parent

    @classmethod
    def load(cls, path: str | Path) -> "Trainer":
        from safetensors.torch import load_file

        from playground import safe_input

        weights, meta = _paths(path)
        if not weights.exists() or not meta.exists():
            raise UserError(f"A saved run needs {weights.name} and {meta.name} in {weights.parent}.")
        try:
            info = json.loads(meta.read_text())
            tensors = load_file(str(weights))
        except Exception as e:  # corrupt upload
            raise UserError(f"Could not read the saved run: {e}.") from None
        if not isinstance(info, dict):
            raise UserError(f"The saved run's {meta.name} is not a JSON object; save the run again from the 2-D lab.")
        # A visitor's file: a whole number of iterations, far above any run a class trains (10^9 at the lab's
        # fastest, 500 iterations a frame, is days), so the file names and the charts stay readable.
        iteration = safe_input.integer(info.get("iteration", 0), "The saved run's iteration", 0, 10**9)
        cfg = ToyConfig.from_dict(info.get("config", {}))
        points = tensors.get("data.points")
        t = cls(cfg, points=None if points is None else points.numpy())
        try:
            t.G.load_state_dict({k[2:]: v for k, v in tensors.items() if k.startswith("G.")})
            t.D.load_state_dict({k[2:]: v for k, v in tensors.items() if k.startswith("D.")})
        except RuntimeError as e:
            raise UserError(f"The saved weights do not fit the saved configuration: {e}") from None
        t.iteration = iteration
        t.history = list(info.get("history", []))
        return t


def _paths(path: str | Path) -> tuple[Path, Path]:
    p = Path(path)
    if p.suffix == ".safetensors":
        return p, p.with_name("config.json")
    return p / "model.safetensors", p / "config.json"
