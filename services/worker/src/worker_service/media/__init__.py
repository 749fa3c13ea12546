"""The media job: an uploaded image checked and normalised (``imaging``) into a stored original and
thumbnail, its outcome reported to posts (``service``)."""
