"""What goes after a while: finished jobs past ``JOB_RETENTION_HOURS`` (the pruner), and auth's
expired sessions and spent tokens (a daily schedule whose event asks auth to purge them)."""
