"""The model-overview graph of the 2-D lab (as GAN Lab draws it), and what one iteration does on it, step by step.

The graph is declared here as data: noise z → G → fakes → D ← reals, D's output into the two losses, and the
two updates back (D's loss moves D; G's loss, through D, moves G). The page draws it as SVG
(``playground/ui/toy2d/graph.js``) and lights up the nodes and edges of one sub-step at a time.

:func:`substeps` says what a Step D, a Step G or one iteration of a config does, in order: each of the
``d_steps`` (k) D updates samples a batch, lets G map z to fakes, lets D score reals and fakes, then takes D's
loss and update; each G update samples z, maps it through G, lets D score the fakes (and a fresh real batch,
for a relativistic loss), then takes G's loss through D and G's update. Each sub-step has a one-line caption
with the chosen loss's own formula (its registry entry's ``plain``, :data:`playground.toy2d.losses.OBJECTIVES`)
and the run's numbers (batch, optimiser, k); a conditional run's captions name the label y that G and D read. The order is
the trainer's (:meth:`playground.toy2d.trainer.Trainer.step`): fresh noise and a fresh batch for every update.
"""

from __future__ import annotations

from playground.toy2d.config import ToyConfig
from playground.toy2d.losses import OBJECTIVES

# ---- the graph, as the page draws it (a viewBox of SIZE; x, y are a box's centre) ----------------------------

SIZE = (560, 194)
NODES = [
    {"id": "z", "label": "noise z", "sub": "z ~ p(z)", "x": 42, "y": 46, "w": 76, "h": 42, "kind": "noise"},
    {"id": "G", "label": "G", "sub": "generator", "x": 140, "y": 46, "w": 64, "h": 42, "kind": "net"},
    {"id": "fake", "label": "fakes G(z)", "sub": "G's samples", "x": 256, "y": 46, "w": 108, "h": 42, "kind": "fake"},
    {"id": "real", "label": "reals x", "sub": "x ~ p_data", "x": 256, "y": 128, "w": 108, "h": 42, "kind": "real"},
    {"id": "D", "label": "D", "sub": "discriminator", "x": 380, "y": 87, "w": 84, "h": 42, "kind": "net"},
    {"id": "loss_d", "label": "D's loss", "sub": "D's objective", "x": 504, "y": 46, "w": 104, "h": 42, "kind": "loss"},
    {"id": "loss_g", "label": "G's loss", "sub": "G's objective", "x": 504, "y": 128, "w": 104, "h": 42, "kind": "loss"},
]
# "via": control points of a curve (one: quadratic, two: cubic); "at": where the label sits
EDGES = [
    {"id": "z_G", "from": "z", "to": "G", "kind": "flow"},
    {"id": "G_fake", "from": "G", "to": "fake", "kind": "flow"},
    {"id": "fake_D", "from": "fake", "to": "D", "kind": "flow"},
    {"id": "real_D", "from": "real", "to": "D", "kind": "flow"},
    {"id": "D_loss_d", "from": "D", "to": "loss_d", "kind": "flow"},
    {"id": "D_loss_g", "from": "D", "to": "loss_g", "kind": "flow"},
    {"id": "update_d", "from": "loss_d", "to": "D", "kind": "update", "via": [[440, -4]], "label": "update D",
     "at": [404, 14]},
    {"id": "update_g", "from": "loss_g", "to": "G", "kind": "update", "via": [[504, 196], [140, 196]],
     "label": "update G (its gradient flows back through D)", "at": [322, 190]},
]
GRAPH = {"size": list(SIZE), "nodes": NODES, "edges": EDGES}

# ---- the sub-steps of a config's iteration --------------------------------------------------------------------

PARTS = ("sample", "generate", "score", "update")  # each update's four sub-steps, in order
OPTIMISER_NAMES = {"adam": "Adam", "sgd": "SGD", "rmsprop": "RMSprop"}


def substeps(cfg: ToyConfig, kind: str = "it", freeze_d: bool = False, freeze_g: bool = False) -> list[dict]:
    """The sub-steps of a Step D (``kind="d"``), a Step G (``"g"``) or one iteration (``"it"``: ``d_steps`` D
    updates, then ``g_steps`` G updates, leaving out a frozen player's, as :meth:`Trainer.step` does).

    Each is a dict: ``id`` ("d2.score": D update 2's scoring), ``player`` ("d" or "g"), ``n`` and ``of`` (which
    of the player's updates), ``part`` (one of :data:`PARTS`), ``title``, ``caption`` (one line), and the
    ``nodes`` and ``edges`` of :data:`GRAPH` it lights up.
    """
    if kind not in ("d", "g", "it"):
        raise ValueError(f"kind must be 'd', 'g' or 'it' (got {kind!r})")
    if kind == "d":
        plan = [("d", 1, 1)]
    elif kind == "g":
        plan = [("g", 1, 1)]
    else:
        k = 0 if freeze_d else cfg.d_steps
        m = 0 if freeze_g else cfg.g_steps
        plan = [("d", i + 1, k) for i in range(k)] + [("g", i + 1, m) for i in range(m)]
    return [_substep(cfg, player, n, of, part) for player, n, of in plan for part in PARTS]


def summary(cfg: ToyConfig, freeze_d: bool = False, freeze_g: bool = False) -> str:
    """One line saying what an iteration of this config is, for the graph's caption when nothing runs."""
    k = 0 if freeze_d else cfg.d_steps
    m = 0 if freeze_g else cfg.g_steps
    parts = [f"{k} D update{'s' if k != 1 else ''}" + (" (D frozen)" if freeze_d else ""),
             f"{m} G update{'s' if m != 1 else ''}" + (" (G frozen)" if freeze_g else "")]
    return (f"One iteration = {parts[0]}, then {parts[1]}; each update: sample, G maps z, D scores, loss and "
            "step. Press Step to watch each part work.")


def _substep(cfg: ToyConfig, player: str, n: int, of: int, part: str) -> dict:
    nodes, edges, caption = _PARTS[(player, part)](cfg)
    who = "D" if player == "d" else "G"
    title = f"{who} update" + (f" {n} of {of}" if of > 1 else "") + f" · {_TITLES[part]}"
    return {"id": f"{player}{n}.{part}", "player": player, "n": n, "of": of, "part": part, "title": title,
            "caption": caption, "nodes": nodes, "edges": edges}


_TITLES = {"sample": "sample", "generate": "G maps z to fakes", "score": "D scores", "update": "loss and update"}


def _batch(cfg: ToyConfig) -> int:
    return (cfg.batch_size // cfg.pack) * cfg.pack  # whole packs only, as the trainer draws


def _noise(cfg: ToyConfig) -> str:
    dist = "N(0, I)" if cfg.z_dist == "gaussian" else "uniform on [−1, 1]"
    return f"{_batch(cfg)} noise vectors z ∈ R^{cfg.z_dim}, z ~ {dist}"


def _cond(cfg: ToyConfig, text: str) -> str:
    """A formula with the label written in when the run is conditional: D(G(z)) -> D(G(z, y), y), D(x) -> D(x, y)."""
    if not cfg.conditional:
        return text
    return text.replace("G(z))", "G(z, y), y)").replace("(x)", "(x, y)").replace("(x̂)", "(x̂, y)")


def _scores(cfg: ToyConfig, of_reals: bool) -> str:
    """What D's outputs are, for this loss: '{D} scores …: {symbols}, {meaning}'."""
    output = OBJECTIVES[cfg.loss].output
    if output == "critic":
        symbols = _cond(cfg, "C(x) and C(G(z))" if of_reals else "C(G(z))")
        return f"The critic scores {_what(cfg, of_reals)}: {symbols}, unbounded numbers"
    symbols = _cond(cfg, "D(x) and D(G(z))" if of_reals else "D(G(z))")
    meaning = ("each its probability that the point is real" if output == "probability"
               else "pulled towards 1 for reals and 0 for fakes")
    return f"D scores {_what(cfg, of_reals)}: {symbols}, {meaning}"


def _what(cfg: ToyConfig, of_reals: bool) -> str:
    what = "reals and fakes" if of_reals else "only the fakes"
    return what + (", each point with its label" if cfg.conditional else "")


def _packs(cfg: ToyConfig) -> str:
    return f", judging packs of {cfg.pack} points at once (PacGAN)" if cfg.pack > 1 else ""


def _step(cfg: ToyConfig, lr: float) -> str:
    return f"one {OPTIMISER_NAMES[cfg.optimizer]} step (lr {lr:g})"


def _d_sample(cfg):
    labels = ", each with the label y of its mode," if cfg.conditional else ""
    return ["z", "real"], [], f"Draw a fresh batch: {_batch(cfg)} real points x ~ p_data{labels} and {_noise(cfg)}."


def _d_generate(cfg):
    if cfg.conditional:
        return (["z", "G", "fake"], ["z_G", "G_fake"],
                "G maps each z, with a real point's label y, to a fake point G(z, y): fakes asked for the reals' labels; "
                "in D's update G is only used, never changed.")
    return (["z", "G", "fake"], ["z_G", "G_fake"],
            "G maps each z to a fake point G(z); in D's update G is only used, never changed.")


def _d_score(cfg):
    return ["real", "fake", "D"], ["real_D", "fake_D"], f"{_scores(cfg, True)}{_packs(cfg)}."


def _d_update(cfg):
    objective = OBJECTIVES[cfg.loss]
    d_formula = _cond(cfg, objective.plain[0])
    extra = f" (λ = {cfg.gp_weight:g}, {objective.penalty_note})" if objective.penalty is not None else ""
    clip = f", then its weights are clipped to [−{cfg.clip_value:g}, {cfg.clip_value:g}]" if objective.clip else ""
    return (["D", "loss_d"], ["D_loss_d", "update_d"],
            f"D's loss {d_formula}{extra}; {_step(cfg, cfg.lr_d)} moves D's weights down its gradient{clip}.")


def _g_sample(cfg):
    if OBJECTIVES[cfg.loss].g_uses_reals:
        labels = (" with their labels y", "; the fakes are asked for the same labels") if cfg.conditional else ("", "")
        return (["z", "real"], [],
                f"Draw a fresh batch: {_batch(cfg)} real points x ~ p_data{labels[0]} (G's loss compares fakes with "
                f"reals{labels[1]}) and {_noise(cfg)}.")
    if cfg.conditional:
        return (["z"], [], f"Draw fresh noise and labels: {_noise(cfg)}, each with a label y drawn uniformly from the "
                           "modes (G's update needs no real data).")
    return ["z"], [], f"Draw fresh noise: {_noise(cfg)} (G's update needs no real data)."


def _g_generate(cfg):
    fake = "each (z, y) to a fake point G(z, y)" if cfg.conditional else "each z to a fake point G(z)"
    return (["z", "G", "fake"], ["z_G", "G_fake"],
            f"G maps {fake}, keeping track of how each point depends on G's weights.")


def _g_score(cfg):
    if OBJECTIVES[cfg.loss].g_uses_reals:
        return (["real", "fake", "D"], ["real_D", "fake_D"],
                f"{_scores(cfg, True)}{_packs(cfg)}; D itself is not changed.")
    return ["fake", "D"], ["fake_D"], f"{_scores(cfg, False)}{_packs(cfg)}; D itself is not changed."


def _g_update(cfg):
    g_formula = _cond(cfg, OBJECTIVES[cfg.loss].plain[1])
    through = "back through D" if cfg.unroll_steps == 0 else \
        f"back through D as it will be {cfg.unroll_steps} updates later (unrolled GAN)"
    return (["D", "loss_g", "G"], ["D_loss_g", "update_g"],
            f"G's loss {g_formula}: its gradient flows {through} into G; {_step(cfg, cfg.lr_g)} moves G's weights.")


_PARTS = {
    ("d", "sample"): _d_sample, ("d", "generate"): _d_generate, ("d", "score"): _d_score,
    ("d", "update"): _d_update,
    ("g", "sample"): _g_sample, ("g", "generate"): _g_generate, ("g", "score"): _g_score,
    ("g", "update"): _g_update,
}


def graph_state(cfg: ToyConfig, kind: str | None = None, freeze_d: bool = False, freeze_g: bool = False) -> dict:
    """What the page's graph needs: the sub-steps of one iteration of ``cfg`` (``steps``), the line shown when
    nothing runs (``summary``), and, after a Step, what that step ran (``ran``), which the page plays in order:
    ``"it"`` for a whole iteration (``steps`` itself), else the Step D's or Step G's own sub-steps."""
    out = {"steps": substeps(cfg, "it", freeze_d, freeze_g), "summary": summary(cfg, freeze_d, freeze_g)}
    if kind == "it":
        out["ran"] = "it"
    elif kind is not None:
        out["ran"] = substeps(cfg, kind)
    return out
