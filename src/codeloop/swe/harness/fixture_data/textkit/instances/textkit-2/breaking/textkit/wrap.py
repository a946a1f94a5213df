"""Shortening text for display."""

ELLIPSIS = "..."


def truncate(text: str, width: int) -> str:
    """``text`` if it fits in ``width`` characters, else a prefix ending in an ellipsis."""
    return text[:max(width - len(ELLIPSIS), 0)] + ELLIPSIS
