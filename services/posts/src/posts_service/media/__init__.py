"""Media attachments: upload, status replica of the worker's processing, and serving the results."""
