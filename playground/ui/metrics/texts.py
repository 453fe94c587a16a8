"""The Metrics tab's words: the introduction, what each metric measures, the resize conventions and the one-line
explanations under the controls."""

from playground.images import FORMATS_NAMED
from playground.metrics.compute import IS_MIN_PER_SPLIT, IS_SPLITS
from playground.metrics.io import MAX_PIXELS

INTRO = """
### Measuring a GAN
A GAN has no likelihood to report, so we compare **sets of images** instead: the images are passed
through an Inception network trained on ImageNet and the metrics compare the resulting 2048-number
feature vectors. Upload a folder's worth of **generated** images and of **real** images (or a `.zip`,
or a pytorch-fid `.npz` of real statistics), or click an example below.
"""

TEACH = f"""
**Inception Score (IS)** looks only at the generated images. Each image should be classified
confidently (a peaked p(y|x)) and, over the set, all classes should be used (a flat p(y)).
IS = exp(E KL(p(y|x) ‖ p(y))). Worst value **1** (every image gets the same prediction); best value
the number of classes (**1008** here) — each image one confident class, all classes equally often.
IS is averaged over {IS_SPLITS} splits of the set, and a split of n images can never score above n
(p(y) mixes only n predictions): 10 images in 10 splits would always give exactly 1. So small sets get
fewer splits of at least {IS_MIN_PER_SPLIT} images (one split below {IS_SPLITS * IS_MIN_PER_SPLIT}
images); the table says how many and the best value possible. Published IS use 50,000 images.
IS never looks at real data, so it cannot tell you that your faces look unlike real faces.

**Fréchet Inception Distance (FID)** fits a Gaussian (mean μ, covariance Σ) to the features of each
set and measures the distance between the two Gaussians:
|μ_r − μ_g|² + Tr(Σ_r + Σ_g − 2 (Σ_r Σ_g)^½). 0 means identical statistics; lower is better.
**Why many samples?** Σ has 2048 × 2048 entries. With fewer than 2048 images it is singular, and
every estimate is *biased upwards* — the same generator scores worse with fewer images. Published
FIDs use 10,000–50,000 images; only compare FIDs computed with the same N and the same resize
convention (the three conventions differ by several FID points on the same images).

**Kernel Inception Distance (KID)** is an unbiased estimate of the squared MMD between the feature
sets (cubic polynomial kernel), so it does not drift with N — better for small sets. It can be
slightly negative when the sets are alike.

**Precision / recall** (k = 3): precision = share of generated images that fall inside the real
images' k-nearest-neighbour balls (realism); recall = share of real images covered by the generated
balls (diversity; low recall = mode collapse). **Density / coverage** (k = 5) are the
outlier-robust versions (Naeem et al. 2020).
"""

MODE_HELP = {
    "clean": "clean-fid's default: PIL bicubic resize to 299×299 with antialiasing, no rounding.",
    "legacy_tensorflow": "The original TF FID and StyleGAN: TF1 bilinear resize (aliases when shrinking).",
    "legacy_pytorch": "pytorch-fid's numbers: torch bilinear resize, align_corners=False.",
}

FAKE_FILES_HELP = ("Select all the files of a folder (Ctrl+A in the file dialog) or upload it zipped. "
                   f"{FORMATS_NAMED} images of up to {MAX_PIXELS / 1e6:.0f} megapixels each "
                   "(other files are skipped and listed); grayscale/RGBA/16-bit become RGB. IS is computed on these.")
REAL_FILES_HELP = ("A `.npz` with `mu` and `sigma` (from pytorch-fid or `python -m playground.metrics --save-stats`) "
                   "gives FID only.")
METRICS_HELP = (f"IS downloads its 1008-class weights (~91 MB) on first use; the others need only the FID network. "
                f"IS needs many images: under {IS_SPLITS * IS_MIN_PER_SPLIT} it uses fewer than {IS_SPLITS} splits "
                "(each split's IS is capped by its size) and says so.")
EXAMPLES_LEAD = "**Examples (no upload needed, 10 images each — about a minute on a CPU):**"
SHARE_ABOUT = ("A link that opens this tab with this example (computed when the page opens), convention and metrics. "
               "Tick groups to hide them for a simpler student page, or use large type for a projector.")
WAITING_FOR_EXAMPLE = ("*The example results are being computed on this server (once, seconds); they appear here by "
                       "themselves when ready. Or press an example button.*")


def limits_note(max_images_per_set: int, max_seconds: int) -> str:
    """What one click may compute in the shared app (the CLI has no caps)."""
    return (f"This shared app measures up to {max_images_per_set:,} images per set and gives one click "
            f"{max_seconds} s of computing (about {max_seconds * 3:,} images on a CPU; a set it has "
            "seen is instant). One computation runs at a time: while you wait, the results show your place in "
            "the queue. No limits in `python -m playground.metrics`.")
