"""The image translation tab's words: the intro, the help under the controls, the notes on a result and on the
examples."""

INTRO = r"""
### Image-to-image translation: pix2pix and CycleGAN
**pix2pix** learns a map $G: A \to B$ from *pairs* $(a, b)$ with a **conditional GAN**: the discriminator
sees the input next to the output, $D(a, b)$, so it judges "is this a plausible photo *of this drawing*?".
$$\min_G \max_D \; \mathbb{E}[\log D(a,b)] + \mathbb{E}[\log(1 - D(a, G(a)))] + \lambda\,\mathbb{E}\,\|b - G(a)\|_1,\quad \lambda = 100$$
**Why the L1 term?** Alone, L1 gets the layout and colours right but blurs (the average of all plausible faces);
alone, the GAN makes sharp images that may ignore the input. Together: L1 for low frequencies, the
**PatchGAN** (a $D$ that scores every overlapping patch, not the whole image) for sharp texture.

**CycleGAN** has *no pairs* — only a pile of A images and a pile of B images. Any map onto B-looking
images would fool $D$, so it trains two generators $G: A \to B$, $F: B \to A$ and asks
$F(G(a)) \approx a$ and $G(F(b)) \approx b$ (**cycle consistency**, $\lambda = 10$): what $G$ produces must
still carry the content of $a$. Below you see $A \to B \to A'$ and the error $|A - A'|$.
"""

# ---------------------------------------------------------------- help under the controls

MODEL_HELP = ("Bundled models run offline on 64×64 faces; official models download once (45–218 MB) into "
              "~/.cache/gan-playground/zoo. pix2pix's only noise is dropout inside G — switch it on and run "
              "twice to see how little it changes (the paper's observation).")

PATCHGAN_HELP = ("PatchGAN: D outputs a grid of scores, one per overlapping patch, and the loss averages "
                 "them; so D only has to judge local texture — the L1 term takes care of the global layout.")

SHARE_ABOUT = ("A link that opens this tab with this model and example translated. Tick groups to hide "
               "them for a simpler student page, or use large type for a projector.")

DRAW_HELP = ("Draw dark lines on white: face outline, eyes, nose, mouth, hair. The drawing is "
             "shrunk to 64×64 and thresholded into 1-pixel lines, like the training edges.")

UPLOAD_HELP = "A photo is converted to what the model expects (edges, gray or sketch) first."

# ---------------------------------------------------------------- notes on a result (str.format templates)

PATCHGAN_NOTE = ("PatchGAN: {h}×{w} patches (each sees a 70×70 window of the 64×64 input, "
                 "i.e. most of it at this size); mean D(real) = {d_mean:.2f}. "
                 "Yellow = 'looks real', blue = 'looks fake'.")

NO_REALNESS_NOTE = "No realness map: only G was loaded (the official zoo publishes generators, not D)."

DROPOUT_ON_NOTE = "Dropout noise **on**: run again for another sample."

DROPOUT_OFF_NOTE = "Dropout noise off: deterministic output."

CYCLE_NOTE = ("Cycle A → B → A′: mean |A − A′| = {cycle_l1:.3f} (pixel units, 0–1). "
              "The error map is scaled 0 (blue) … 0.25 (yellow).")

FIRST_VIEW_NOTE = "**Example 1, translated when the page opened.** "

UNAVAILABLE_NOTE = ("**{name}** could not be loaded (see the message), so the pictures above are from the last "
                    "translation.")

PRESS_TRANSLATE_NOTE = "Press **Translate** to download **{name}** and run it on the drawing."

# ---------------------------------------------------------------- the examples

EXAMPLES_NOTE = "Click an example to translate it."

OFFICIAL_EXAMPLES_NOTE = ("These examples were made for the bundled models; an official model expects its own "
                          "kind of picture: upload one (an example still works as an input).")

LINK_NO_EXAMPLES = "Examples exist for the bundled models only; upload a picture for this model."
