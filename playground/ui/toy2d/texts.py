"""The 2-D GAN lab tab's words: its lead line, what the pictures show, their captions and the controls' help."""

LEAD = ("Train a small GAN on points in the plane and watch it learn. Pick a preset (or any settings "
        "on the left) and press **Play**; what the pictures show is explained under them.")

INTRO = """
**What you see.** The background is the discriminator's opinion of every point of the plane:
<span style="color:#168a46">green = "real"</span>, <span style="color:#8c3cc8">purple = "fake"</span>, the black
line is its decision boundary (D = ½, or the critic's mean level for WGAN-style critics).
Green dots are real data, purple dots are G's samples, grey lines are the image of a grid in latent
space (G's manifold: watch it fold), and short black strokes show where G's gradient pushes each fake.
The right panel is the *optimal* discriminator for the current G, D\\*(x) = p_data(x) / (p_data(x) + p_g(x)):
the learned D chases it. At the game's equilibrium p_g = p_data, so D\\* = ½ everywhere and the minimax
value is V(D\\*, G) = 2·JSD(p_data ‖ p_g) − log 4 = −log 4: the second chart shows that identity live.
"""

D_CAPTION = "Learned D(x): data <b style='color:#168a46'>green</b>, G's samples <b style='color:#8c3cc8'>purple</b>"
DSTAR_CAPTION = "Optimal D*(x) = p<sub>data</sub> / (p<sub>data</sub> + p<sub>g</sub>) for the current G"
# a conditional run's pictures (the page switches when a frame says the run is conditional): D judges (point, label)
# pairs, and each point of the plane is judged with the label of its nearest mode
D_CAPTION_CONDITIONAL = ("Learned D(x, y), y = the label of x's nearest mode: data <b style='color:#168a46'>green</b>, "
                         "G's samples coloured by the label they were asked for")
DSTAR_CAPTION_CONDITIONAL = ("Optimal D*(x, y) = p(x | y) / (p(x | y) + p<sub>g</sub>(x | y)), y = the label of x's "
                             "nearest mode")
CAPTIONS = {"plain": [D_CAPTION, DSTAR_CAPTION], "conditional": [D_CAPTION_CONDITIONAL, DSTAR_CAPTION_CONDITIONAL]}

GROUP_TITLES = {"data": "Data", "objective": "Objective", "networks": "Networks", "optimisation": "Optimisation"}
SPEED_HELP = ("Frames come as fast as your browser draws them; below 20, slow motion: 10 frames/s, this many "
              "updates each.")
FREEZE_HELP = "Freeze G and train D alone: D converges to D*."
PRESET_HINT = "Pick a preset, then press **Play**. Every setting on the left can be changed."
DATA_NOTE = "ring8 / grid25 are the standard mode-collapse benchmarks; the rest are GAN Lab's sets."
SHARE_ABOUT = ("A link that opens exactly this run (every setting and the seed): the same link gives the same run. "
               "Tick groups to hide them for a simpler student page, lock it to the preset, or use large type for "
               "a projector.")
