"""Start-up: what ``python app.py`` pays before it serves the page (benchmarks/startup.py measures the seconds)."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

TAB_MODULES = [f"playground.ui.{name}_{part}" for name in ("toy2d", "dcgan", "translation", "metrics")
               for part in ("tab", "handlers")]


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
