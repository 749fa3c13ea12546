"""The native stack (``stack.py``, a script ``make dev`` runs) and each service's own env (``envs``)."""
