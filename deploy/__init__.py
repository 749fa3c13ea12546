"""Deployment tooling behind ``make k8s``: render and validate the compose and Kubernetes files.

- :mod:`deploy.validate`: the command ``make k8s`` runs; reports every problem at once.
- :mod:`deploy.render`: finds a kustomize v5 renderer, renders overlays, reads the compose file.
- :mod:`deploy.schemas`: Kubernetes (strict, pinned version), compose-spec and workflow JSON schemas.
- :mod:`deploy.policy`: hardening, probes, scaling objects, references and network paths.
- :mod:`deploy.compose_checks`: the compose file's schema, variables and ``docker compose config``.
- :mod:`deploy.secret_scan`: literal secrets in committed deployment files.
- :mod:`deploy.gateway_sync`: the kustomize copies of ``gateway/traefik``.
- :mod:`deploy.k8s_secrets`: prints the Secrets the overlays read (never committed).

``deploy/native`` (the native stack runner) is separate and imports none of these.
"""
