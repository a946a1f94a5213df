"""Shortening text for display."""

ELLIPSIS = "..."


def truncate(text: str, width: int) -> str:
    """``text`` if it fits in ``width`` characters, else a prefix ending in an ellipsis."""
    if len(text) <= width:
        return text
    return text[:width] + ELLIPSIS
