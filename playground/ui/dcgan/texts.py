"""The DCGAN latent lab's explanations: one text per section of the tab, written for the student."""

INTRO = """
### What is z?
A DCGAN generator **G** turns a vector **z** of 100 numbers, each drawn from a standard normal
distribution, into a 64×64 image. Every face below is G(z) for a different z; nothing else goes in.
The model here was trained on synthetic faces (DigiFace-1M; weights from the MIT-licensed
`gan-face-generate` package). Directions in z-space often line up with visible features — glasses,
a moustache, a head turn — which is what this tab lets you explore.
"""

ARITHMETIC_HELP = """
### Vector arithmetic (Radford et al., 2016)
Pick a concept, e.g. *glasses*: put three faces **with** it into **A**, three similar faces
**without** it into **B**, and any face into **C**. The result is `mean(A) − mean(B) + mean(C)`.
**Why average?** One z mixes the feature you care about with hundreds of others (pose, light,
hair). Averaging three exemplars keeps what they share and shrinks the rest, so `mean(A) − mean(B)`
is closer to "just glasses". The 3×3 grid shows the result in the middle and eight neighbours with
uniform noise of ±scale added (the paper used 0.25): if they all show the feature, the arithmetic
found a region, not a lucky point.
**Where it fails:** when A and B differ in more than the concept (all A faces look left, all B faces are
women...), that difference is added too; features the model entangles (moustache ↔ male) come
together; and means of few vectors are short (norm ≈ 10/√3), off the shell where real z live, so
images can look washed out.
"""

INTERP_HELP = """
### lerp or slerp?
For z ~ N(0, I) in 100 dimensions, the norm ‖z‖ is almost always close to √100 = 10: samples live near a
sphere's shell. A straight line (**lerp**) between two samples cuts through the inside: its midpoint has
norm ≈ 10/√2 ≈ 7.1, a region the generator almost never saw during training, so midpoints can look
blurry or generic. **slerp** (White, 2016) walks along the great circle instead and keeps ‖z‖ typical.
The norms of each step are listed under the strips.
"""

DIRECTION_HELP = """
### Attribute directions and latent walks
`d = mean(A) − mean(B)` is an attribute direction (e.g. glasses). Adding `scale · d` to any face
should add the attribute (scale > 0) or remove it (scale < 0); large scales leave the typical region and
the image breaks down. The walk animates `z + s·d` for s from −extent to +extent.
"""

INVERT_HELP = """
### Inversion: find the z of a face
Upload a picture (it is centre-cropped and shrunk to 64×64). Starting from random z, Adam changes z —
not the network — to make G(z) match the picture pixel by pixel, with a small Gaussian prior that keeps z
typical. The generator can only draw faces it can represent, so the match is approximate: expect the
pose, colours and lighting, not the identity. The found z is saved as **invN** and can be used in the
arithmetic like any sample.
"""

GUIDELINES_HELP = """
### How this generator follows the DCGAN guidelines
Radford, Metz and Chintala (2016) list what made deep convolutional GANs train stably: **no pooling**
(strided convolutions in D, fractional-strided, i.e. transposed, convolutions in G), **batch norm** in
both nets (not on G's output or D's input), **no fully connected hidden layers**, **ReLU in G with tanh at
the output**, **LeakyReLU in D**. The first table is read from the bundled generator's own modules; the
second checks each rule on it (and on the discriminator this project trains with).
"""

CHECKERBOARD_HELP = """
### The checkerboard artefact of transposed convolutions
A transposed convolution paints a kernel-sized footprint for every input pixel, `stride` pixels apart.
When the kernel size is not a multiple of the stride the footprints overlap unevenly, and some output
pixels get more paint than their neighbours: a checkerboard (Odena, Dumoulin and Olah, 2016). DCGAN uses
k = 4, s = 2 (even overlap); nearest-neighbour resizing followed by a convolution avoids the problem.
"""
