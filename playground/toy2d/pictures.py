"""What the 2-D lab shows of a trainer: the live picture's arrays and the quality of G's samples.

:class:`Pictures` is a mixin of :class:`~playground.toy2d.trainer.Trainer` (it reads the trainer's G, D,
data set, config and evaluation noise): ``snapshot()`` returns everything the page draws (D over the
plane, D*, samples, G's manifold, gradient arrows) as numpy arrays; ``quality(x)`` measures generated
points (JSD and V(D*, G) on the picture's grid, the 2-D Fréchet distance); ``d_vs_d_star()`` measures how
close D is to its optimum.

A conditional D judges (point, label) pairs, so a picture of it over the plane needs a label per point: each
point of the plane is judged with the label of its nearest mode, D(x, y(x)), and D* is the conditional optimum
p(x | y) / (p(x | y) + p_g(x | y)) with the same y. G's samples are asked for every label equally often
(``fake_labels``: 0, 1, ..., K-1, 0, ...), and G's manifold is drawn once per label.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from playground.toy2d import divergence, fast, losses, metrics
from playground.toy2d.data import GaussianMixture

MANIFOLD_POINTS = 41  # points per drawn latent line
CONDITIONAL_MANIFOLD_LINES = 5  # latent lines per direction and label of a conditional G (11 for an unconditional one)
QUALITY_GRID = 48  # the grid of the JSD (the lab's picture grid)
QUALITY_DENSITY_SAMPLES = 1000  # G samples behind G's density estimate for the JSD
QUALITY_LENS_CELLS = 1.5  # width of the Gaussian lens both densities are seen through, in grid cells


class Pictures:
    """The trainer's pictures and measurements (a mixin; see the module docstring)."""

    def quality(self, x: np.ndarray) -> dict:
        """JSD(p_data || p_g), V(D*, G), KL both ways and the 2-D Fréchet distance of generated points ``x``.

        The JSD lives on the lab's grid, with both densities seen through the same Gaussian lens of width
        h = QUALITY_LENS_CELLS grid cells: the data's exact density blurred by h (its modes' spread becomes
        sqrt(sigma^2 + h^2)) and a kernel density estimate of x with bandwidth h. Through one lens a G that
        matches the data scores JSD ~ 0 and V(D*, G) ~ -log 4; with the data sharp and G blurred, JSD would
        stay near log 2 however good G became. The Fréchet distance compares x with a fixed sample of the
        data. JSD and V are None where G's mass left the grid entirely.
        """
        ref = self._quality_ref
        if ref is None:
            gx, gy = divergence.grid_axes(self.dataset, QUALITY_GRID)
            xx, yy = np.meshgrid(gx, gy)
            h = QUALITY_LENS_CELLS * float(gx[1] - gx[0])
            ds = self.dataset
            seen = GaussianMixture(ds.name, ds.means, math.hypot(ds.sigma, h), ds.centers)
            ref = self._quality_ref = {
                "gx": gx, "gy": gy, "h": h,
                "p_data": seen.density(np.stack([xx.ravel(), yy.ravel()], 1)).reshape(xx.shape),
                "real": ds.sample(metrics.N_METRIC_SAMPLES, self._eval_gen(5)).numpy(),  # whatever len(x) is
            }
        out = {"frechet": metrics.frechet_distance_2d(ref["real"], x), "jsd": None, "v_star": None,
               "kl_data_g": None, "kl_g_data": None}
        try:
            p_g = metrics.kde_on_grid(x[:QUALITY_DENSITY_SAMPLES], ref["gx"], ref["gy"], bandwidth=ref["h"])
            div = divergence.divergence_on_grid(ref["p_data"], p_g)
            out.update({k: div[k] for k in ("jsd", "v_star", "kl_data_g", "kl_g_data")})
        except ValueError:  # no mass of G on the grid
            pass
        return out

    # ---- the live picture -------------------------------------------------------------------------

    def d_output(self, points: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """What the heatmap shows at points (m, 2): D(x) in [0, 1] for the sigmoid losses, else the raw
        output. With packing, each point is judged as a pack of identical copies. A conditional D judges each
        point with its one-hot label (m, K): by default the label of its nearest mode."""
        if self.n_labels and labels is None:
            labels = self._onehot(torch.as_tensor(self.nearest_labels(points.numpy())))
        x = points if labels is None else torch.cat([points, labels], 1)
        out = self.D(x.repeat(1, self.cfg.pack) if self.cfg.pack > 1 else x).squeeze(1)
        return torch.sigmoid(out) if losses.OBJECTIVES[self.cfg.loss].output == "probability" else out

    def _grid(self, res: int) -> tuple[np.ndarray, np.ndarray, torch.Tensor]:
        xmin, xmax, ymin, ymax = self.dataset.extent
        gx = np.linspace(xmin, xmax, res, dtype=np.float32)
        gy = np.linspace(ymin, ymax, res, dtype=np.float32)
        xx, yy = np.meshgrid(gx, gy)  # row i = y[i], column j = x[j]
        return gx, gy, torch.from_numpy(np.stack([xx.ravel(), yy.ravel()], 1))

    def nearest_labels(self, points: np.ndarray) -> np.ndarray:
        """The label of each point's nearest mode (a conditional picture's y(x))."""
        return metrics.nearest_center(points, self.dataset.means)[0]

    def _view_cache(self, res: int, n_real: int, n_fake: int, manifold_points: int = MANIFOLD_POINTS,
                    n_density: int = 2000) -> dict:
        key = (res, n_real, n_fake, manifold_points, n_density)
        if self._view is None or self._view["key"] != key:
            gx, gy, pts = self._grid(res)
            g = self._eval_gen(3)
            real, real_labels = self.dataset.sample_labelled(n_real, g)
            z = self.sample_z(max(n_fake, n_density), g)  # fixed z: fakes move smoothly between frames
            lines = self._manifold_z(lines=CONDITIONAL_MANIFOLD_LINES if self.n_labels else 11, points=manifold_points)
            manifold_z = torch.cat(lines)  # one batched forward pass
            self._view = {
                "key": key,
                "gx": gx,
                "gy": gy,
                "pts": pts,
                "p_data": self.dataset.density(pts.numpy()).reshape(res, res),
                "real": real,
                "z": z,
                "manifold_z": manifold_z,
                "manifold_points": manifold_points,
            }
            if self.n_labels:  # the labels of the reals, of the fakes (each mode equally often) and of the grid
                k = self.n_labels
                self._view.update(
                    real_y=self._onehot(real_labels),
                    fake_labels=self.eval_labels(len(z)),
                    grid_labels=self.nearest_labels(pts.numpy()),
                    # G's manifold once per label: every latent line under label 0, then under label 1, ...
                    manifold_z=manifold_z.repeat(k, 1),
                    manifold_y=self._onehot(torch.arange(k).repeat_interleave(len(manifold_z))))
                self._view["fake_y"] = self._onehot(torch.as_tensor(self._view["fake_labels"]))
                self._view["grid_y"] = self._onehot(torch.as_tensor(self._view["grid_labels"]))
        return self._view

    def _manifold_z(self, lines: int = 11, points: int = MANIFOLD_POINTS) -> list[torch.Tensor]:
        """Latent lines whose images draw G's manifold: a line (z_dim 1) or a grid in the first two dims."""
        lim = 1.0 if self.cfg.z_dist == "uniform" else 2.5
        t = torch.linspace(-lim, lim, points)
        if self.cfg.z_dim == 1:
            return [t[:, None]]
        out = []
        for v in torch.linspace(-lim, lim, lines):
            for a, b in ((0, 1), (1, 0)):
                z = torch.zeros(points, self.cfg.z_dim)
                z[:, a], z[:, b] = t, v
                out.append(z)
        return out

    def snapshot(self, res: int = 48, n_real: int = 512, n_fake: int = 512, n_arrows: int = 64, d_star: bool = True,
                 fresh_metrics: bool = True, manifold_points: int = MANIFOLD_POINTS, n_density: int = 2000,
                 extras: bool = True) -> dict:
        """Everything the tab draws, as numpy arrays (grids indexed [row = y, column = x]): real, fake,
        grid_x, grid_y, d_grid, d_star_grid (or None), boundary_level, d_is_probability, manifold (a list of
        (L, 2) polylines), arrows_pos/arrows_dir (minus each fake's own G-loss gradient: where G pushes it),
        metrics, iteration, d_loss, g_loss. ``fresh_metrics=False`` reuses the last logged mode metrics;
        D* uses ``n_density`` samples; ``extras=False`` leaves out the manifold and the arrows (None).
        """
        v = self._view_cache(res, n_real, n_fake, manifold_points, n_density)
        n_gen = len(v["z"]) if d_star else n_fake
        n_arrows = (n_arrows // self.cfg.pack) * self.cfg.pack
        g_in = torch.cat([v["z"][:n_gen], v["manifold_z"]]) if extras else v["z"][:n_gen]  # one pass of G
        g_lab = None
        if self.n_labels:
            g_lab = torch.cat([v["fake_y"][:n_gen], v["manifold_y"]]) if extras else v["fake_y"][:n_gen]
        real = v["real"]
        out, d_grid, level, arrows = self._picture_tensors(g_in, v["pts"], real, n_fake, n_arrows, g_lab)
        fake_all = out[:n_gen]
        fake = fake_all[:n_fake]
        manifold = None
        if extras:
            m = out[n_gen:].numpy()
            manifold = np.split(m, len(m) // v["manifold_points"])
        d_grid = d_grid.reshape(res, res)
        fake_np, d_np = fake_all.numpy(), d_grid.numpy()
        if not (np.isfinite(fake_np).all() and np.isfinite(d_np).all()):
            self._check_weights()
            self._diverged("the pictures would contain NaN values")
        d_star_grid = None
        if d_star and self.n_labels:
            d_star_grid = self._conditional_d_star(fake_np, v["fake_labels"][:n_gen], v).astype(np.float32)
        elif d_star:
            p_g = metrics.kde_on_grid(fake_np, v["gx"], v["gy"])
            d_star_grid = metrics.optimal_discriminator(v["p_data"], p_g).astype(np.float32)
        pos = direction = None
        if extras:
            if arrows is not None:
                pos, direction = fake[:n_arrows].numpy(), arrows.numpy()
            else:
                pos, direction = self._arrows(fake[:n_arrows], real, g_lab)
        d_loss = float(self._last_d) if self._last_d is not None else None
        g_loss = float(self._last_g) if self._last_g is not None else None
        if d_loss is None or g_loss is None:
            d_now, g_now = self.losses_now()
            d_loss = d_now if d_loss is None else d_loss
            g_loss = g_now if g_loss is None else g_loss
        return {
            "real": real.numpy(),
            "fake": fake.numpy(),
            "grid_x": v["gx"],
            "grid_y": v["gy"],
            "d_grid": d_np,
            "d_star_grid": d_star_grid,
            "boundary_level": level,
            "d_is_probability": losses.OBJECTIVES[self.cfg.loss].output == "probability",
            "manifold": manifold,
            "arrows_pos": pos,
            "arrows_dir": direction,
            "metrics": self._live_metrics() if not fresh_metrics else self.metrics(),
            "iteration": self.iteration,
            "d_loss": d_loss,
            "g_loss": g_loss,
            "fake_labels": v["fake_labels"][:n_fake] if self.n_labels else None,
            "n_labels": self.n_labels,
        }

    def _conditional_d_star(self, fake: np.ndarray, labels: np.ndarray, v: dict) -> np.ndarray:
        """D*(x, y) = p(x | y) / (p(x | y) + p_g(x | y)) on the grid, y = the label of x's nearest mode: p(x | y)
        is mode y's Gaussian, p_g(x | y) a KDE of the samples G made when asked for y."""
        xx, yy = np.meshgrid(v["gx"], v["gy"])
        pts = np.stack([xx.ravel(), yy.ravel()], 1).astype(np.float64)
        grid_labels = v["grid_labels"]
        s2 = self.dataset.sigma ** 2
        out = np.full(len(pts), 0.5)
        for y in range(self.n_labels):
            cells = grid_labels == y
            mine = fake[labels == y]
            if not cells.any() or len(mine) == 0:
                continue
            d2 = ((pts[cells] - self.dataset.means[y]) ** 2).sum(1)
            # exponent floored at -100 (as GaussianMixture.density): underflowing exp() is slow on some CPUs
            p_data = np.exp(np.maximum(-0.5 * d2 / s2, -100.0)) / (2 * math.pi * s2)
            p_g = metrics.kde_on_grid(mine, v["gx"], v["gy"]).ravel()[cells]
            out[cells] = metrics.optimal_discriminator(p_data, p_g)
        return out.reshape(xx.shape)

    def _live_metrics(self) -> dict:
        """The mode metrics of the last logged iteration; before the first log, measured once and kept (a live
        frame must not re-measure 2,500 samples each time: a crowded run makes frames long before it logs)."""
        if not self._last_metrics:
            self._last_metrics = self.metrics()
        return self._last_metrics

    def _picture_tensors(self, g_in: torch.Tensor, pts: torch.Tensor, real: torch.Tensor, n_fake: int,
                         n_arrows: int, g_lab: torch.Tensor | None = None
                         ) -> tuple[torch.Tensor, torch.Tensor, float, torch.Tensor | None]:
        """G of ``g_in`` (asked for the one-hot labels ``g_lab`` when conditional), the heatmap's values at
        ``pts``, the boundary level, and (fast path only) the arrows of the first ``n_arrows`` samples; with flat
        weights all in one compiled call."""
        objective = losses.OBJECTIVES[self.cfg.loss]
        v = self._view
        grid_y = v.get("grid_y") if self.n_labels else None
        real_y = v.get("real_y") if self.n_labels else None
        if getattr(self, "fast", False):
            gw, gb, dw, db = self._nets[0], self._nets[1], self._nets[5], self._nets[6]  # G's and D's layers
            none = torch.empty([0, 0])
            out, d_grid, level_t, arrows = fast.picture_function(self.scripted)(
                gw, gb, dw, db, self._spec.act, self._spec.act_param, g_in, pts, real, n_fake, n_arrows,
                self._spec.g_code, self._spec.g_reals, self.cfg.pack, objective.output == "probability",
                objective.output == "critic", self.n_labels, none if g_lab is None else g_lab,
                none if grid_y is None else grid_y, none if real_y is None else real_y)
            return out, d_grid, float(level_t), arrows
        with torch.no_grad():
            out = self.G(g_in, g_lab)
            d_grid = self.d_output(pts, grid_y)
            level = 0.5
            if objective.output == "critic":
                f_lab = None if g_lab is None else g_lab[:n_fake]
                level = float((self.d_output(real, real_y).mean() + self.d_output(out[:n_fake], f_lab).mean()) / 2)
        return out, d_grid, level, None

    def _arrows(self, fake: torch.Tensor, real: torch.Tensor, g_lab: torch.Tensor | None = None
                ) -> tuple[np.ndarray, np.ndarray]:
        """Where G's loss pushes each fake point: -d(loss of that point)/dx (a G loss that reads reals reads
        ``real``'s whole packs; a conditional D reads each fake's label from ``g_lab``, each real's from the view)."""
        objective = losses.OBJECTIVES[self.cfg.loss]
        y = None if g_lab is None else g_lab[: len(fake)]
        r = None
        if objective.g_uses_reals:
            m = (len(real) // self.cfg.pack) * self.cfg.pack
            real_y = self._view["real_y"][:m] if self.n_labels else None
            with torch.no_grad():
                r = self.D(self._d_in(real[:m], real_y))
        x = fake.detach().clone().requires_grad_(True)
        per_point = objective.g(r, self.D(self._d_in(x, y))) * (len(x) // self.cfg.pack)
        (grad,) = torch.autograd.grad(per_point, x)
        return x.detach().numpy(), (-grad).numpy()

    def d_vs_d_star(self, res: int = 64, n_fake: int = 20000, rel: float = 0.01) -> dict:
        """How close the learned D is to D* = p_data / (p_data + p_g) where densities are not negligible.

        p_g is a KDE of n_fake generated samples; "not negligible" = either density is at least rel times its own maximum.
        Meaningful for the sigmoid losses and LSGAN, whose optimal D is exactly D*.
        """
        gx, gy, pts = self._grid(res)
        p_data = self.dataset.density(pts.numpy())
        fake = self.generate(n_fake, self._eval_gen(4))
        p_g = metrics.kde_on_grid(fake, gx, gy).ravel()
        if self.n_labels:  # D(x, y(x)) against the conditional optimum (see the module docstring)
            view = {"gx": gx, "gy": gy, "grid_labels": self.nearest_labels(pts.numpy())}
            d_star = self._conditional_d_star(fake, self.eval_labels(n_fake), view).ravel()
        else:
            d_star = metrics.optimal_discriminator(p_data, p_g)
        with torch.no_grad():
            d = self.d_output(pts).numpy().astype(np.float64)
        mask = metrics.support_mask(p_data, p_g, rel)
        return {"mae": metrics.masked_mae(d, d_star, mask), "cells": int(mask.sum()), "grid_cells": res * res}
