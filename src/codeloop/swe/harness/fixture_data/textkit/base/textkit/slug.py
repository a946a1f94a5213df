"""URL slugs."""


def slugify(text: str) -> str:
    """Lower-case ``text`` and join its words with single hyphens."""
    out = []
    for char in text.lower():
        out.append(char if char.isalnum() else "-")
    return "".join(out).strip("-")
