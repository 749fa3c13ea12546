from enum import StrEnum


class PostsListSort(StrEnum):
    NEW = "new"
    RELEVANCE = "relevance"
    TOP = "top"

    def __str__(self) -> str:
        return str(self.value)
