"""The native stack (``stack.py``, run as a script by ``make dev``) and each service's own environment (``envs``)."""
