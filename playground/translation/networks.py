"""The pix2pix / CycleGAN networks, chosen by short name.

Ported from ``models/networks.py`` of junyanz/pytorch-CycleGAN-and-pix2pix
(https://github.com/junyanz/pytorch-CycleGAN-and-pix2pix, BSD licence, Copyright (c) 2017, Jun-Yan Zhu
and Taesung Park). The module trees are kept *identical* to the official ones - same attribute
names, same ``nn.Sequential`` order, same bias flags - so that ``state_dict`` keys and shapes match
and the published ``.pth`` files load with ``strict=True``. ``tests/translation`` checks that
against a manifest dumped from the official code.

Names (``define_G``):

=================  =================================================================
``unet_64``        U-Net, 6 downsamplings: 64x64 -> 1x1 bottleneck (our small models)
``unet_128``       U-Net, 7 downsamplings: 128x128 -> 1x1
``unet_256``       U-Net, 8 downsamplings: 256x256 -> 1x1 (pix2pix default)
``resnet_6blocks`` 2 stride-2 convs, 6 residual blocks, 2 transposed convs
``resnet_9blocks`` the same with 9 blocks (CycleGAN default)
``resnet_Nblocks`` any N (e.g. ``resnet_3blocks`` for our 64x64 CycleGAN)
=================  =================================================================

Discriminators (``define_D``): ``basic`` (70x70 PatchGAN = ``n_layers`` 3), ``n_layers`` (any
depth), ``pixel`` (1x1 PatchGAN).
"""

from __future__ import annotations

import functools
import re

import torch
import torch.nn as nn

from playground import safe_input
from playground.errors import UserError

NORMS = ("batch", "instance", "none")


class Identity(nn.Module):
    def forward(self, x):
        return x


def get_norm_layer(norm_type: str = "instance"):
    """A constructor ``norm_layer(num_channels)``.

    Batch norm learns an affine scale/shift and tracks running statistics. Instance norm (CycleGAN)
    has neither, so it adds no keys to the state_dict - exactly as the official code.
    """
    if norm_type == "batch":
        return functools.partial(nn.BatchNorm2d, affine=True, track_running_stats=True)
    if norm_type == "instance":
        return functools.partial(nn.InstanceNorm2d, affine=False, track_running_stats=False)
    if norm_type == "none":
        return lambda channels: Identity()
    raise UserError(f"Unknown norm {norm_type!r}: choose one of {', '.join(NORMS)}.")


def _uses_bias(norm_layer) -> bool:
    # A conv followed by batch norm needs no bias (the norm's shift replaces it); with instance norm
    # (no affine) the official code keeps the bias.
    if isinstance(norm_layer, functools.partial):
        return norm_layer.func == nn.InstanceNorm2d
    return norm_layer == nn.InstanceNorm2d


class ResnetBlock(nn.Module):
    """x + conv(norm(relu(conv(x)))): (N, dim, H, W) -> (N, dim, H, W)."""

    def __init__(self, dim, padding_type, norm_layer, use_dropout, use_bias):
        super().__init__()
        self.conv_block = self.build_conv_block(dim, padding_type, norm_layer, use_dropout, use_bias)

    @staticmethod
    def _pad(padding_type):
        if padding_type == "reflect":
            return [nn.ReflectionPad2d(1)], 0
        if padding_type == "replicate":
            return [nn.ReplicationPad2d(1)], 0
        if padding_type == "zero":
            return [], 1
        raise ValueError(f"padding {padding_type!r} is not implemented")

    def build_conv_block(self, dim, padding_type, norm_layer, use_dropout, use_bias):
        pad, p = self._pad(padding_type)
        block = pad + [nn.Conv2d(dim, dim, kernel_size=3, padding=p, bias=use_bias), norm_layer(dim), nn.ReLU(True)]
        if use_dropout:
            block += [nn.Dropout(0.5)]
        pad, p = self._pad(padding_type)
        block += pad + [nn.Conv2d(dim, dim, kernel_size=3, padding=p, bias=use_bias), norm_layer(dim)]
        return nn.Sequential(*block)

    def forward(self, x):
        return x + self.conv_block(x)


class ResnetGenerator(nn.Module):
    """Johnson et al.'s transformer net: (N, input_nc, H, W) -> (N, output_nc, H, W) in [-1, 1].

    H and W must be multiples of 4 (two stride-2 downsamplings).
    """

    def __init__(self, input_nc, output_nc, ngf=64, norm_layer=nn.BatchNorm2d, use_dropout=False,
                 n_blocks=6, padding_type="reflect"):
        assert n_blocks >= 0
        super().__init__()
        use_bias = _uses_bias(norm_layer)
        model = [nn.ReflectionPad2d(3), nn.Conv2d(input_nc, ngf, kernel_size=7, padding=0, bias=use_bias),
                 norm_layer(ngf), nn.ReLU(True)]
        n_downsampling = 2
        for i in range(n_downsampling):
            mult = 2**i
            model += [nn.Conv2d(ngf * mult, ngf * mult * 2, kernel_size=3, stride=2, padding=1, bias=use_bias),
                      norm_layer(ngf * mult * 2), nn.ReLU(True)]
        mult = 2**n_downsampling
        for _ in range(n_blocks):
            model += [ResnetBlock(ngf * mult, padding_type=padding_type, norm_layer=norm_layer,
                                  use_dropout=use_dropout, use_bias=use_bias)]
        for i in range(n_downsampling):
            mult = 2 ** (n_downsampling - i)
            model += [nn.ConvTranspose2d(ngf * mult, int(ngf * mult / 2), kernel_size=3, stride=2, padding=1,
                                         output_padding=1, bias=use_bias),
                      norm_layer(int(ngf * mult / 2)), nn.ReLU(True)]
        model += [nn.ReflectionPad2d(3), nn.Conv2d(ngf, output_nc, kernel_size=7, padding=0), nn.Tanh()]
        self.model = nn.Sequential(*model)

    def forward(self, x):
        return self.model(x)


class UnetSkipConnectionBlock(nn.Module):
    """One U-Net level: x -> cat[x, up(submodule(down(x)))].

    (N, outer_nc, H, W) -> (N, 2*outer_nc, H, W); the outermost level returns (N, outer_nc, H, W)
    without the skip. ``use_dropout`` adds Dropout(0.5) after the up-sampling of the inner levels:
    pix2pix's only source of noise, kept on at test time in the paper.
    """

    def __init__(self, outer_nc, inner_nc, input_nc=None, submodule=None, outermost=False, innermost=False,
                 norm_layer=nn.BatchNorm2d, use_dropout=False):
        super().__init__()
        self.outermost = outermost
        use_bias = _uses_bias(norm_layer)
        if input_nc is None:
            input_nc = outer_nc
        downconv = nn.Conv2d(input_nc, inner_nc, kernel_size=4, stride=2, padding=1, bias=use_bias)
        downrelu = nn.LeakyReLU(0.2, True)
        downnorm = norm_layer(inner_nc)
        uprelu = nn.ReLU(True)
        upnorm = norm_layer(outer_nc)

        if outermost:
            upconv = nn.ConvTranspose2d(inner_nc * 2, outer_nc, kernel_size=4, stride=2, padding=1)
            model = [downconv, submodule, uprelu, upconv, nn.Tanh()]
        elif innermost:
            upconv = nn.ConvTranspose2d(inner_nc, outer_nc, kernel_size=4, stride=2, padding=1, bias=use_bias)
            model = [downrelu, downconv, uprelu, upconv, upnorm]
        else:
            upconv = nn.ConvTranspose2d(inner_nc * 2, outer_nc, kernel_size=4, stride=2, padding=1, bias=use_bias)
            model = [downrelu, downconv, downnorm, submodule, uprelu, upconv, upnorm]
            if use_dropout:
                model += [nn.Dropout(0.5)]
        self.model = nn.Sequential(*model)

    def forward(self, x):
        if self.outermost:
            return self.model(x)
        return torch.cat([x, self.model(x)], 1)


class UnetGenerator(nn.Module):
    """U-Net built from the inside out: (N, input_nc, S, S) -> (N, output_nc, S, S), S = 2**num_downs.

    The innermost block reaches a 1x1 bottleneck; skips carry the fine detail (edges, layout) around
    it, which is why U-Nets suit "same structure, different appearance" translations.
    """

    def __init__(self, input_nc, output_nc, num_downs, ngf=64, norm_layer=nn.BatchNorm2d, use_dropout=False):
        super().__init__()
        block = UnetSkipConnectionBlock(ngf * 8, ngf * 8, input_nc=None, submodule=None, norm_layer=norm_layer,
                                        innermost=True)
        for _ in range(num_downs - 5):
            block = UnetSkipConnectionBlock(ngf * 8, ngf * 8, input_nc=None, submodule=block, norm_layer=norm_layer,
                                            use_dropout=use_dropout)
        block = UnetSkipConnectionBlock(ngf * 4, ngf * 8, input_nc=None, submodule=block, norm_layer=norm_layer)
        block = UnetSkipConnectionBlock(ngf * 2, ngf * 4, input_nc=None, submodule=block, norm_layer=norm_layer)
        block = UnetSkipConnectionBlock(ngf, ngf * 2, input_nc=None, submodule=block, norm_layer=norm_layer)
        self.model = UnetSkipConnectionBlock(output_nc, ngf, input_nc=input_nc, submodule=block, outermost=True,
                                             norm_layer=norm_layer)
        self.num_downs = num_downs

    def forward(self, x):
        return self.model(x)


class NLayerDiscriminator(nn.Module):
    """PatchGAN: (N, input_nc, H, W) -> (N, 1, H', W') logits, one per overlapping patch.

    With n_layers = 3 each output sees a 70x70 receptive field (the "70x70 PatchGAN"); on a
    256x256 input the map is 30x30, on 64x64 it is 6x6.
    """

    def __init__(self, input_nc, ndf=64, n_layers=3, norm_layer=nn.BatchNorm2d):
        super().__init__()
        use_bias = _uses_bias(norm_layer)
        kw, padw = 4, 1
        sequence = [nn.Conv2d(input_nc, ndf, kernel_size=kw, stride=2, padding=padw), nn.LeakyReLU(0.2, True)]
        nf_mult = 1
        for n in range(1, n_layers):
            nf_mult_prev, nf_mult = nf_mult, min(2**n, 8)
            sequence += [nn.Conv2d(ndf * nf_mult_prev, ndf * nf_mult, kernel_size=kw, stride=2, padding=padw,
                                   bias=use_bias),
                         norm_layer(ndf * nf_mult), nn.LeakyReLU(0.2, True)]
        nf_mult_prev, nf_mult = nf_mult, min(2**n_layers, 8)
        sequence += [nn.Conv2d(ndf * nf_mult_prev, ndf * nf_mult, kernel_size=kw, stride=1, padding=padw,
                               bias=use_bias),
                     norm_layer(ndf * nf_mult), nn.LeakyReLU(0.2, True)]
        sequence += [nn.Conv2d(ndf * nf_mult, 1, kernel_size=kw, stride=1, padding=padw)]
        self.model = nn.Sequential(*sequence)

    def forward(self, x):
        return self.model(x)


class PixelDiscriminator(nn.Module):
    """1x1 PatchGAN: (N, input_nc, H, W) -> (N, 1, H, W), a real/fake logit per pixel (colour only)."""

    def __init__(self, input_nc, ndf=64, norm_layer=nn.BatchNorm2d):
        super().__init__()
        use_bias = _uses_bias(norm_layer)
        self.net = nn.Sequential(
            nn.Conv2d(input_nc, ndf, kernel_size=1, stride=1, padding=0),
            nn.LeakyReLU(0.2, True),
            nn.Conv2d(ndf, ndf * 2, kernel_size=1, stride=1, padding=0, bias=use_bias),
            norm_layer(ndf * 2),
            nn.LeakyReLU(0.2, True),
            nn.Conv2d(ndf * 2, 1, kernel_size=1, stride=1, padding=0, bias=use_bias),
        )

    def forward(self, x):
        return self.net(x)


UNET_DOWNS = {"unet_64": 6, "unet_128": 7, "unet_256": 8}
MAX_NGF = 256  # the official models use 64
MAX_RESNET_BLOCKS = 32  # the official models use 6 or 9
GENERATORS = ("unet_64", "unet_128", "unet_256", "resnet_6blocks", "resnet_9blocks")


def init_weights(net: nn.Module, init_gain: float = 0.02) -> nn.Module:
    """The papers' init: conv weights N(0, 0.02), biases 0, batch-norm scale N(1, 0.02). A network on the meta
    device (built only to receive a file's weights) holds no values to initialise: it is left alone, which also
    spares the meta kernels' import of torch's compiler package (~1 s at start-up)."""

    def init_func(m):
        name = m.__class__.__name__
        if getattr(getattr(m, "weight", None), "is_meta", False):
            return
        if hasattr(m, "weight") and ("Conv" in name or "Linear" in name):
            nn.init.normal_(m.weight.data, 0.0, init_gain)
            if getattr(m, "bias", None) is not None:
                nn.init.constant_(m.bias.data, 0.0)
        elif "BatchNorm2d" in name:
            nn.init.normal_(m.weight.data, 1.0, init_gain)
            nn.init.constant_(m.bias.data, 0.0)

    net.apply(init_func)
    return net


def define_G(name: str = "unet_256", norm: str = "batch", ngf: int = 64, use_dropout: bool = False,
             input_nc: int = 3, output_nc: int = 3) -> nn.Module:
    """A generator by short name (see the module docstring), initialised like the papers.

    Sizes are bounded (ngf <= MAX_NGF, 1-4 channels, at most MAX_RESNET_BLOCKS blocks) so that numbers read
    from a file's metadata or typed on a command line cannot ask for gigabytes."""
    ngf = safe_input.integer(ngf, "ngf (the generator's width)", 1, MAX_NGF)
    input_nc = safe_input.integer(input_nc, "input_nc (input channels)", 1, 4)
    output_nc = safe_input.integer(output_nc, "output_nc (output channels)", 1, 4)
    norm_layer = get_norm_layer(norm)
    if name in UNET_DOWNS:
        net = UnetGenerator(input_nc, output_nc, UNET_DOWNS[name], ngf, norm_layer=norm_layer, use_dropout=use_dropout)
    else:
        m = re.fullmatch(r"resnet_(\d+)blocks", name or "")
        if not m:
            raise UserError(f"Unknown generator {name!r}: choose one of {', '.join(GENERATORS)} (or resnet_Nblocks).")
        n_blocks = safe_input.integer(m.group(1), f"The number of ResNet blocks in {name}", 1, MAX_RESNET_BLOCKS)
        net = ResnetGenerator(input_nc, output_nc, ngf, norm_layer=norm_layer, use_dropout=use_dropout,
                              n_blocks=n_blocks)
    return init_weights(net)


def define_D(name: str = "basic", input_nc: int = 6, ndf: int = 64, n_layers: int = 3, norm: str = "batch") -> nn.Module:
    """A discriminator: ``basic`` (70x70 PatchGAN), ``n_layers`` (PatchGAN of any depth) or ``pixel``.

    For pix2pix the discriminator sees the input and the output side by side, so ``input_nc`` is
    the sum of both images' channels (conditional GAN).
    """
    norm_layer = get_norm_layer(norm)
    if name == "basic":
        net = NLayerDiscriminator(input_nc, ndf, n_layers=3, norm_layer=norm_layer)
    elif name == "n_layers":
        net = NLayerDiscriminator(input_nc, ndf, n_layers=n_layers, norm_layer=norm_layer)
    elif name == "pixel":
        net = PixelDiscriminator(input_nc, ndf, norm_layer=norm_layer)
    else:
        raise UserError(f"Unknown discriminator {name!r}: choose basic, n_layers or pixel.")
    return init_weights(net)


def required_size(name: str) -> int | None:
    """Input side a U-Net needs (2**num_downs); ``None`` for ResNets (any multiple of 4)."""
    return 2 ** UNET_DOWNS[name] if name in UNET_DOWNS else None


def set_dropout(net: nn.Module, active: bool) -> None:
    """Switch G's dropout layers on (pix2pix's test-time noise) or off, leaving norms in eval mode."""
    for m in net.modules():
        if isinstance(m, nn.Dropout):
            m.train(active)
