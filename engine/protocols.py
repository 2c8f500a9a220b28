"""What generators, inverters, direction sources and text-image models must provide.

These are structural protocols: a plugin's class satisfies one by having the
attributes and methods below, without inheriting from anything. Tensors are
``torch.Tensor``; torch is imported only for type checking, so ``import latentroom.engine``
stays torch-free. Authoring code (generate, invert, find directions, distil) needs
the ``author`` extra; applying presets never does.

Conventions shared by all of them:

* images are float tensors ``[B, 3, H, W]``, RGB, values in ``[-1, 1]``;
* ``w`` latents are ``[B, style_dim]``; W+ latents are ``[B, n_latent, style_dim]``;
* tensors live on the object's ``device`` and inputs are moved there by the caller.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, Protocol, Sequence, runtime_checkable

if TYPE_CHECKING:
    import torch

    from latentroom.engine.direction import Direction

NoiseMode = Literal["random", "const", "zero"]


@runtime_checkable
class Generator(Protocol):
    """A StyleGAN-like generator with a mapping network and W+ synthesis.

    Attributes:
        size: output resolution; images are ``size x size``.
        style_dim: width of a ``w`` latent.
        n_latent: number of W+ layers (style inputs) the synthesis network takes.
        weights_sha256: sha256 of the weights file it was loaded from, or ``None``
            for untrained weights; recorded in direction and preset provenance.
        device: the ``torch.device`` its parameters live on.

    Optional attributes (read with ``getattr``; absent means ``None``):
        domain: the kind of images it makes (``"toyfaces"``); a scorer or feature
            network that declares another domain is refused for it.
        default_scorer, default_features: registered names (``register_scorers``,
            ``register_feature_networks``) that commands use when ``--scorer`` or
            ``--features`` is not given; without one, a command that needs a scorer
            asks for it instead of guessing.
        face_template(attribute): the manifest's ``alignment`` section (a dict, see
            docs/preset-format.md) for a preset that edits ``attribute`` on this
            generator's images: where its faces sit in the frame, the mask an edit of
            that attribute needs, the aligner that finds such faces; or ``None``.
            ``author`` writes it into the presets it makes, so ``apply`` aligns faces.
        default_text_image_model: a registered text-image model
            (``register_text_image_models``) that reads its images; text edits use
            it when no model is named, and ask for one when it is absent.
    """

    size: int
    style_dim: int
    n_latent: int
    weights_sha256: str | None
    device: "torch.device"

    def mapping(self, z: "torch.Tensor", truncation: float = 1.0) -> "torch.Tensor":
        """Map ``z`` ``[B, style_dim]`` (standard normal) to ``w`` ``[B, style_dim]``.

        ``truncation`` < 1 pulls ``w`` toward :meth:`mean_latent`.
        """

    def mean_latent(self) -> "torch.Tensor":
        """The average ``w`` ``[style_dim]`` (from the checkpoint or estimated once)."""

    def synthesis(self, ws: "torch.Tensor", noise_mode: NoiseMode = "const") -> "torch.Tensor":
        """Render W+ latents ``[B, n_latent, style_dim]`` (or W ``[B, style_dim]``,
        broadcast to every layer) to images ``[B, 3, size, size]`` in ``[-1, 1]``.

        ``noise_mode``: ``"random"`` draws fresh noise, ``"const"`` uses the noise
        buffers stored with the weights, ``"zero"`` disables noise.
        """


@runtime_checkable
class Inverter(Protocol):
    """Finds latents that make a generator reproduce given images."""

    def invert(self, images: "torch.Tensor") -> "torch.Tensor":
        """Invert images ``[B, 3, H, W]`` in ``[-1, 1]`` (resized by the inverter to the
        generator's size as needed) to W+ latents ``[B, n_latent, style_dim]`` on the
        inverter's device. Inverters that also fit noise maps keep them on
        ``self.last_noise`` (a list of tensors), else that attribute is ``None``.
        """


@runtime_checkable
class DirectionSource(Protocol):
    """Finds a latent direction for an attribute of a generator."""

    def find(self, generator: Generator, attribute: str, **params: Any) -> "Direction":
        """Return a :class:`latentroom.engine.direction.Direction` (unit vector in W, a layer
        mask over the generator's ``n_latent`` layers, a suggested strength range and
        provenance). ``params`` are source-specific (sample counts, layers,
        attributes to condition on, ...) and are recorded in the provenance.
        """


@runtime_checkable
class TextImageModel(Protocol):
    """Embeds images and texts into one space (CLIP and its kin).

    Attributes:
        name: what it is, recorded in provenance (e.g. ``toyfaces-clip``).
        embed_dim: width of an embedding.
        image_size: the resolution its image tower reads (other sizes are resized).
        weights_sha256: sha256 of the weights file, or ``None``.
        device: the ``torch.device`` its parameters live on.
    """

    name: str
    embed_dim: int
    image_size: int
    weights_sha256: str | None
    device: "torch.device"

    def encode_images(self, images: "torch.Tensor") -> "torch.Tensor":
        """Embed images ``[B, 3, H, W]`` in ``[-1, 1]`` (any size) as unit vectors
        ``[B, embed_dim]``; differentiable with respect to ``images``."""

    def encode_texts(self, texts: "Sequence[str]") -> "torch.Tensor":
        """Embed texts as unit vectors ``[len(texts), embed_dim]``; a text the model
        cannot read raises :class:`latentroom.engine.errors.LatentroomError` saying why."""
