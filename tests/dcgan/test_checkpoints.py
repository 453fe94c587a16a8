"""Loading user generators: state_dicts (weights_only) and safetensors, with readable errors."""


import pytest
import torch
from safetensors.torch import save_file

from playground.dcgan.checkpoints import load_generator, save_generator
from playground.dcgan.models import Discriminator, Generator
from playground.errors import UserError


@pytest.fixture(scope="module")
def small_g():
    torch.manual_seed(1)
    return Generator(ngf=8).eval()


def _same(a, b):
    z = torch.randn(2, 100, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        return torch.allclose(a.eval()(z), b.eval()(z), atol=1e-6)


def test_pth_state_dict_roundtrip(tmp_path, small_g):
    p = tmp_path / "netG.pth"
    torch.save(small_g.state_dict(), p)
    g = load_generator(p)
    assert g.ngf == 8 and g.nz == 100 and not g.training
    assert _same(g, small_g)


@pytest.mark.parametrize("wrap", ["netG_state_dict", "state_dict", "module."])
def test_wrapped_state_dicts(tmp_path, small_g, wrap):
    sd = small_g.state_dict()
    obj = {f"module.{k}": v for k, v in sd.items()} if wrap == "module." else {wrap: sd, "epoch": 3}
    p = tmp_path / "ckpt.pt"
    torch.save(obj, p)
    assert _same(load_generator(p), small_g)


def test_safetensors_roundtrip(tmp_path, small_g):
    p = tmp_path / "netG.safetensors"
    save_generator(small_g, p)
    assert _same(load_generator(p), small_g)


def test_missing_and_unexpected_keys_are_named(tmp_path, small_g):
    sd = dict(small_g.state_dict())
    del sd["main.4.running_var"]
    sd["main.99.weight"] = torch.zeros(1)
    p = tmp_path / "bad.pth"
    torch.save(sd, p)
    with pytest.raises(UserError) as e:
        load_generator(p)
    msg = str(e.value)
    assert "missing keys: main.4.running_var" in msg and "unexpected keys: main.99.weight" in msg


def test_shape_mismatch_is_named(tmp_path, small_g):
    sd = dict(small_g.state_dict())
    sd["main.3.weight"] = torch.zeros(64, 32, 3, 3)  # kernel 3 instead of 4
    p = tmp_path / "bad.safetensors"
    save_file({k: v.contiguous() for k, v in sd.items()}, str(p))
    with pytest.raises(UserError, match=r"main\.3\.weight \(64, 32, 3, 3\) \(expected \(64, 32, 4, 4\)\)"):
        load_generator(p)


def test_discriminator_is_refused_with_advice(tmp_path):
    p = tmp_path / "netD.pth"
    torch.save(Discriminator(ndf=8).state_dict(), p)
    with pytest.raises(UserError, match="not a pytorch-examples DCGAN generator.*main.12.weight"):
        load_generator(p)


class Evil:
    def __reduce__(self):
        return (print, ("this would run code",))


def test_pickles_with_code_are_refused(tmp_path, small_g):
    p = tmp_path / "model.pth"
    torch.save({"netG_state_dict": small_g.state_dict(), "hook": Evil()}, p)
    with pytest.raises(UserError, match="could run code"):
        load_generator(p)
    p2 = tmp_path / "whole_model.pt"
    torch.save(small_g, p2)  # a whole nn.Module is a pickle of code references
    with pytest.raises(UserError, match="could run code"):
        load_generator(p2)


def test_unreadable_and_wrong_files(tmp_path):
    with pytest.raises(UserError, match="does not exist"):
        load_generator(tmp_path / "nope.pth")
    junk = tmp_path / "junk.pth"
    junk.write_bytes(b"not a torch file at all")
    with pytest.raises(UserError):
        load_generator(junk)
    junk_st = tmp_path / "junk.safetensors"
    junk_st.write_bytes(b"\x00" * 20)
    with pytest.raises(UserError, match="safetensors"):
        load_generator(junk_st)
    txt = tmp_path / "weights.txt"
    txt.write_text("hi")
    with pytest.raises(UserError, match=r"\.pt/\.pth"):
        load_generator(txt)
    lst = tmp_path / "list.pth"
    torch.save([1, 2, 3], lst)
    with pytest.raises(UserError, match="does not hold a state_dict"):
        load_generator(lst)


# ---------------------------------------------------------------- memory before validation (issue: a 200 KB file
# declaring ngf=1024 cost +2.7 GB before "missing keys": the network was built before any check)

def _ngf1024_tensors():
    # The repro: tiny files whose two core tensors say nz=1, ngf=1024 (the network would be ~2.8 GB).
    return {"main.0.weight": torch.zeros(1, 8192, 4, 4, dtype=torch.float16),
            "main.12.weight": torch.zeros(1024, 3, 4, 4, dtype=torch.float16)}


@pytest.fixture
def no_allocation(monkeypatch):
    """Fail the test if a Generator is built or a safetensors file's data is read."""
    from playground import safe_weights
    from playground.dcgan import checkpoints

    def refuse(*a, **k):
        raise AssertionError("allocated before validation")

    monkeypatch.setattr(checkpoints, "Generator", refuse)
    monkeypatch.setattr(safe_weights, "safe_open", refuse)


@pytest.mark.parametrize("suffix", [".safetensors", ".pth"])
def test_ngf_1024_is_refused_before_any_allocation(tmp_path, no_allocation, suffix):
    p = tmp_path / f"big{suffix}"
    if suffix == ".pth":
        torch.save(_ngf1024_tensors(), p)
    else:
        save_file(_ngf1024_tensors(), str(p))
    with pytest.raises(UserError, match=r"ngf = 1024 .* accepts 1 to 128"):
        load_generator(p)


def test_safetensors_header_is_checked_without_the_data(tmp_path, no_allocation):
    # A header announcing a full ngf=64 generator with (almost) no data behind it: refused from the header.
    import json
    import struct

    from playground.dcgan.checkpoints import generator_shapes

    header, offset = {}, 0
    for k, shape in generator_shapes(100, 64, 3).items():
        n = 4 * int(torch.tensor(shape).prod()) if shape else 8
        header[k] = {"dtype": "F32" if shape else "I64", "shape": list(shape), "data_offsets": [offset, offset + n]}
        offset += n
    blob = json.dumps(header).encode()
    p = tmp_path / "liar.safetensors"
    p.write_bytes(struct.pack("<Q", len(blob)) + blob + b"\0" * 16)
    with pytest.raises(UserError, match="does not fit in the file"):
        load_generator(p)


def test_torch_zip_declared_sizes_are_checked_before_torch_load(tmp_path, monkeypatch):
    import zipfile

    from playground.dcgan import checkpoints

    # A "torch.save" zip whose storage member inflates from a few KB to 100 MB (zip bomb): refused from
    # the zip directory's declared sizes, before torch.load reads a byte.
    p = tmp_path / "bomb.pth"
    with zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("archive/data.pkl", b"\x80\x02}q\x00.")
        z.writestr("archive/data/0", bytes(100 * 2**20))
    assert p.stat().st_size < 200_000
    loads = []
    monkeypatch.setattr(checkpoints.torch, "load", lambda *a, **k: loads.append(1))
    with pytest.raises(UserError, match="unpacks to 100.0 MB; a generator this app accepts needs at most 76.1 MB"):
        load_generator(p)
    assert loads == []


def test_file_size_and_old_format(tmp_path, small_g):
    from playground.dcgan.checkpoints import MAX_FILE_BYTES

    big = tmp_path / "huge.pth"
    with open(big, "wb") as f:
        f.truncate(MAX_FILE_BYTES + 1)  # sparse: nothing on disk
    with pytest.raises(UserError, match="at most 76.1 MB are accepted"):
        load_generator(big)
    old = tmp_path / "old.pth"
    torch.save(small_g.state_dict(), old, _use_new_zipfile_serialization=False)
    with pytest.raises(UserError, match="old \\(pre-1.6\\) format"):
        load_generator(old)


def test_generator_shapes_match_the_module_tree():
    from playground.dcgan.checkpoints import generator_bytes, generator_shapes

    for nz, ngf, nc in ((100, 64, 3), (7, 5, 1)):
        g = Generator(nz=nz, ngf=ngf, nc=nc)
        assert generator_shapes(nz, ngf, nc) == {k: tuple(v.shape) for k, v in g.state_dict().items()}
    # 3,576,704 parameters + 4 x (512 + 256 + 128 + 64) running statistics + 4 step counters
    assert generator_bytes(100, 64, 3, 1) == 3_576_704 + 2 * (512 + 256 + 128 + 64) + 4


def test_channels_other_than_gray_or_rgb_are_refused(tmp_path):
    p = tmp_path / "nc2.safetensors"
    save_generator(Generator(nz=10, ngf=4, nc=2), p)
    with pytest.raises(UserError, match="2 channels; this app shows 1 \\(grayscale\\) or 3 \\(RGB\\)"):
        load_generator(p)
    p1 = tmp_path / "nc1.safetensors"
    save_generator(Generator(nz=10, ngf=4, nc=1), p1)
    assert load_generator(p1).nc == 1


def test_integer_weights_are_refused_by_name(tmp_path, small_g):
    p = tmp_path / "quantised.pth"
    torch.save({k: (v * 10).to(torch.int8) if v.is_floating_point() else v for k, v in small_g.state_dict().items()}, p)
    with pytest.raises(UserError) as e:
        load_generator(p)
    assert str(e.value).startswith("quantised.pth holds int8 weights (main.0.weight); a generator's weights are "
                                   "floating point")


@pytest.mark.parametrize("bad, suffix", [(float("nan"), ".safetensors"), (float("inf"), ".pth"),
                                         (float("-inf"), ".pth")])
def test_nan_or_infinite_weights_are_refused_naming_the_file_and_tensor(tmp_path, small_g, bad, suffix):
    sd = {k: v.clone() for k, v in small_g.state_dict().items()}
    sd["main.3.weight"][0, 0, 1, 2] = bad
    sd["main.3.weight"][3, 1, 0, 0] = bad
    p = tmp_path / f"diverged{suffix}"
    save_file(sd, str(p)) if suffix == ".safetensors" else torch.save(sd, p)
    with pytest.raises(UserError, match=r"^diverged\.\w+: main\.3\.weight holds 2 NaN or infinite values, so the "
                                        "generator would draw blank pictures"):
        load_generator(p)


def test_half_precision_weights_still_load(tmp_path, small_g):
    p = tmp_path / "half.pth"
    torch.save({k: v.to(torch.bfloat16) if v.is_floating_point() else v for k, v in small_g.state_dict().items()}, p)
    assert load_generator(p).main[0].weight.dtype == torch.float32
