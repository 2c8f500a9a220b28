"""Inverters: image -> W+ latent for any registered generator.

* ``projector``: per-image optimisation in W or W+ (plus noise maps), StyleGAN2-style;
* ``encoder``: an e4e-style CNN trained on generator samples (one forward pass);
* ``hybrid``: encoder initialisation refined by a few projector steps.

``plugin`` registers them and imports nothing heavy; the modules holding the models
(``projector``, ``encoder``, ``features``) import torch.
"""
