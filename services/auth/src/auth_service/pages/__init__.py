"""The pages the mailed links open: choose a new password, confirm an e-mail address."""

from auth_service.pages.router import ASSETS_PREFIX, RESET_PASSWORD_PATH, VERIFY_EMAIL_PATH, pages_router

__all__ = ["ASSETS_PREFIX", "RESET_PASSWORD_PATH", "VERIFY_EMAIL_PATH", "pages_router"]
