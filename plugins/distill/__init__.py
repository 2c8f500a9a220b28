"""distill: turn a finished GAN edit into a preset bundle that runs on a CPU.

A *finished edit* is a generator plus a latent direction on some W+ layers. Applying
it to a photo the slow way means inverting the photo, moving its latent and
re-rendering (``latentroom edit``). Distillation trains a small image-to-image
*student* to imitate that edit directly on pixels, exports it to ONNX and writes a
preset bundle that ``latentroom apply`` runs with ONNX Runtime alone (no torch):

    latentroom author smile --direction plugins/directions/shipped/smile.json \\
        --generator toyfaces --steps 20000 -o presets/smile

Modules (all but ``plugin`` and ``errors`` import torch):

* :mod:`latentroom.plugins.distill.student` the strength-conditioned U-Net (about 2 M parameters);
* :mod:`latentroom.plugins.distill.pairs` teacher pairs ``G(w)``, ``G(w + s d)``, generated on the fly;
* :mod:`latentroom.plugins.distill.train` L1 + perceptual loss, resumable training state;
* :mod:`latentroom.plugins.distill.export` dynamo ONNX export, parity check, fp16/int8 variants;
* :mod:`latentroom.plugins.distill.quality` metrics on held-out renders, the preview strip;
* :mod:`latentroom.plugins.distill.author` the whole pipeline; :mod:`latentroom.plugins.distill.plugin` the
  ``author`` command (``register_commands``).

docs/distillation.md describes the method, the metrics and the exact commands.
"""
