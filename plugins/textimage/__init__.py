"""Text-driven edits: text-image models (the shipped toyfaces-clip, open_clip/OpenAI
CLIP checkpoints by path), the ``text`` direction source (StyleCLIP global directions)
and ``latentroom text-edit`` (StyleCLIP latent optimisation for single images)."""
