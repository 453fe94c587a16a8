"""Start-up: what ``python app.py`` pays before it serves the page (benchmarks/startup.py measures the seconds)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# every module of every tab (a tab is the package playground/ui/<tab>/)
TAB_MODULES = sorted(f"playground.ui.{p.parent.name}.{p.stem}" for p in (ROOT / "playground" / "ui").glob("*/*.py")
                     if p.stem != "__init__")


def test_the_app_and_its_tabs_import_without_torchvision():
    """torchvision imports all its models (~1-3 s on 2 cores): the app, every tab's module and the metrics
    code import it only when the Inception Score's network is built."""
    code = "; ".join([
        "import sys",
        "import playground.ui.app as app",
        "app.available_tabs()",
        *[f"import {m}" for m in TAB_MODULES],
        "import playground.metrics.compute, playground.metrics.inception, playground.images",
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'torchvision'))",
    ])
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_the_is_network_definition_is_still_importable_from_inception():
    """``FIDInceptionV3`` moved to ``inception_net`` (it needs torchvision) and is still found where it was."""
    from playground.metrics import inception, inception_net

    assert inception.FIDInceptionV3 is inception_net.FIDInceptionV3


def test_arrival_content_is_computed_without_torchs_compiler_package(tmp_path):
    """Building every tab's arrival content from an empty cache (a server's first start) must not import
    ``torch._dynamo`` (~1 s on 2 cores): a torch.optim optimiser imports it when built, and so does
    initialising a network on the meta device. The 2-D lab makes its optimisers on first use, and a translation
    network built to receive a file's weights is not initialised. The page's build itself is checked."""
    code = "; ".join([
        "import sys",
        "import playground.ui.app as app",
        "app.build_demo()",
        "from playground.toy2d.trainer import Trainer, ToyConfig",
        "t = Trainer(ToyConfig(loss='wgan_gp')); t.snapshot()",  # WGAN-GP trains through torch.optim
        "print('torch._dynamo' in sys.modules)",
        "t.step(2)",  # its first step needs the optimisers, and gets them
        "print(t.iteration, 'torch._dynamo' in sys.modules)",
    ])
    env = {**__import__("os").environ, "PLAYGROUND_CACHE": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300, env=env)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip().splitlines()[-2:] == ["False", "2 True"]
