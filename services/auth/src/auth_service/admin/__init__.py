"""Admin: accounts as an administrator sees and changes them."""
