"""Accounts: sign-up, the signed-in user's own account, passwords and e-mail verification."""
