"""The live 2-D GAN lab: data sets, networks, losses, trainer, metrics and presets (no UI here).

    from playground.toy2d import ToyConfig, Trainer
    t = Trainer(ToyConfig(dataset="ring8", loss="nonsaturating", seed=0))
    t.step(1000)
    t.metrics()        # modes covered and hit, high-quality fraction, mode-histogram KL
    t.snapshot()       # numpy arrays the tab draws
"""

from playground.toy2d.config import ToyConfig
from playground.toy2d.data import make_dataset
from playground.toy2d.trainer import NonFiniteTraining, Trainer

__all__ = ["ToyConfig", "Trainer", "NonFiniteTraining", "make_dataset"]
