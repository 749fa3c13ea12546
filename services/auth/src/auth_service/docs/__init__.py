"""The gateway's API docs page: one Swagger UI over every service's OpenAPI document."""

from auth_service.docs.router import DOCUMENTED_SERVICES, SWAGGER_UI_VERSION, docs_router

__all__ = ["DOCUMENTED_SERVICES", "SWAGGER_UI_VERSION", "docs_router"]
