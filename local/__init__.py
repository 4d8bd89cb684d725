"""The template-driven local stack: `python -m local` (see `local/__main__.py`). Development tooling only:
nothing here is imported by the functions."""
