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
