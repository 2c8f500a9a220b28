"""Direction sources: ways to find an attribute's latent direction in a generator.

* ``mean-difference``: mean ``w`` of the samples scoring highest on the attribute
  minus that of the lowest.
* ``linear-boundary``: InterFaceGAN; the unit normal of a logistic-regression boundary
  on ``w``, optionally conditioned (other attributes' normals projected out).
* ``ganspace``: principal components of sampled ``w``, labelled by attribute correlation.
* ``sefa``: closed-form eigenvectors of the style modulation weights, labelled the
  same way.
* ``stylespace`` (its own module): the most attribute-relevant per-channel styles,
  optionally inside a region, realised as a one-layer W+ offset.

``plugin`` registers them (torch-free at import); ``sources``, ``sampling``, ``scoring``,
``edit`` and ``evaluate`` hold the torch code. ``shipped/`` holds measured directions
for the toyfaces generator (written by ``scripts/measure_directions.py``).
"""
