"""Text-driven edits: text-image models (the shipped toyfaces-clip, open_clip/OpenAI
CLIP checkpoints by path) and the ``text`` direction source (StyleCLIP global directions)."""
