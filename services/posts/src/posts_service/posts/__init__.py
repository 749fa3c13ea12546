"""Posts: writing, reading, searching and paging them, their authors' profiles and their vote counts."""
