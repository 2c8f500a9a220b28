"""toyfaces: a procedural face world with ground-truth attributes.

``renderer`` draws faces from attribute parameters (NumPy only); the attribute
classifier and, later, a StyleGAN2 trained on the renders build on it.
"""
