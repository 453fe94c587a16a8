"""Our features against the reference tools' own code (pip-installed test dependencies, no downloads).

Each mode's whole path (decode, resize, scale, network) is compared with the tool it names:

* ``clean``: clean-fid's ``build_resizer("clean")`` then its ``(x - 128) / 128``: the same input
  tensor to the bit, so the same features from the same network.
* ``legacy_pytorch``: pytorch-fid's ``InceptionV3`` (its resize, its scaling, its FID-patched network
  definition) on ``ToTensor`` pixels.
* ``legacy_tensorflow``: torch-fidelity's ``FeatureExtractorInceptionV3`` (TF1-exact bilinear resize,
  ``(x - 128) / 128``, its network definition) on uint8 pixels.

The reference networks get the TF ``inception-2015-12-05`` weights read out of our FID TorchScript
(their published ``.pth`` files are those weights converted; they are a download away, so offline
the comparison checks everything but that conversion).
"""

import numpy as np
import pytest
import pytorch_fid.inception
import torch
from cleanfid.resize import build_resizer
from PIL import Image
from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3
from torch_fidelity.interpolate_compat_tensorflow import interpolate_bilinear_2d_like_tensorflow1x

from playground.metrics.features import extract_features, preprocess, resize_tf1_bilinear
from playground.metrics.io import load_image_set
from tests.metrics.test_features import tf_weights_in_is_layout


@pytest.fixture(scope="module")
def photo(tmp_path_factory):
    """One odd-sized RGB picture on disk and as the array every tool decodes it to."""
    arr = (np.random.RandomState(7).rand(37, 53, 3) * 255).astype(np.uint8)
    folder = tmp_path_factory.mktemp("ref")
    Image.fromarray(arr).save(folder / "a.png")
    return folder, np.asarray(Image.open(folder / "a.png").convert("RGB"))


@pytest.fixture(scope="module")
def reference_weights(fid_net):
    state = tf_weights_in_is_layout(fid_net)
    state["fc.weight"], state["fc.bias"] = torch.zeros(1008, 2048), torch.zeros(1008)
    return state


def ours(folder, mode, fid_net):
    return extract_features(load_image_set(folder), mode, fid_net, "fid-ts").features


def test_clean_input_is_clean_fids_to_the_bit(photo):
    _, arr = photo
    theirs = (build_resizer("clean")(arr) - 128) / 128
    assert np.array_equal(preprocess(arr, "clean").numpy().transpose(1, 2, 0), theirs.astype(np.float32))


def test_legacy_pytorch_features_are_pytorch_fids(photo, fid_net, reference_weights, monkeypatch):
    folder, arr = photo
    monkeypatch.setattr(pytorch_fid.inception, "load_state_dict_from_url", lambda *a, **k: reference_weights)
    net = pytorch_fid.inception.InceptionV3([3]).eval()  # resize_input and normalize_input on: its defaults
    x = torch.from_numpy(arr.transpose(2, 0, 1).copy()).float()[None] / 255  # torchvision's ToTensor
    with torch.inference_mode():
        theirs = net(x)[0].flatten(1).double().numpy()
    assert np.abs(ours(folder, "legacy_pytorch", fid_net) - theirs).max() < 5e-6
    assert np.abs(theirs).max() > 1  # features of a real size, so the bound above is ~1e-6 relative


def test_legacy_tensorflow_features_are_torch_fidelitys(photo, fid_net, reference_weights, tmp_path):
    folder, arr = photo
    path = tmp_path / "inception.pth"
    torch.save(reference_weights, path)
    net = FeatureExtractorInceptionV3("inception-v3-compat", ["2048"], feature_extractor_weights_path=str(path))
    with torch.inference_mode():
        (theirs,) = net(torch.from_numpy(arr.transpose(2, 0, 1).copy())[None])
    # Our resize is StyleGAN's affine grid_sample, TF1's to ~0.02 grey levels (next test): ~2e-5 here.
    assert np.abs(ours(folder, "legacy_tensorflow", fid_net) - theirs.double().numpy()).max() < 5e-5


@pytest.mark.parametrize("shape", [(37, 53), (64, 64), (300, 500)])
def test_tf1_resize_is_torch_fidelitys_tf1_exact_resize(shape):
    x = torch.from_numpy(np.random.RandomState(1).rand(1, 3, *shape) * 255).float()
    theirs = interpolate_bilinear_2d_like_tensorflow1x(x, size=(299, 299), align_corners=False)
    assert (resize_tf1_bilinear(x) - theirs).abs().max() < 0.03  # grey levels of 255
