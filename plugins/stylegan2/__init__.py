"""StyleGAN2 generator/discriminator in the community (rosinality) checkpoint layout.

    from latentroom.plugins.stylegan2.model import Generator, Discriminator
    from latentroom.plugins.stylegan2.checkpoint import load_generator, load_discriminator, save_checkpoint

Nothing is imported here, so loading the plugin (plugin.py) never imports torch.
"""
