"""The gateway's API docs pages: Swagger UI (/docs) and ReDoc (/redoc) over every service's document."""

from auth_service.docs.router import (
    DOCUMENTED_SERVICES,
    REDOC_VERSION,
    SWAGGER_UI_VERSION,
    docs_router,
    redoc_router,
)

__all__ = ["DOCUMENTED_SERVICES", "REDOC_VERSION", "SWAGGER_UI_VERSION", "docs_router", "redoc_router"]
