"""Closed intervals ``(start, end)`` with ``start <= end``."""


def merge(intervals):
    """The union of ``intervals`` as a sorted list of disjoint intervals."""
    merged = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def total_length(intervals):
    """How much of the line ``intervals`` cover together."""
    return sum(end - start for start, end in intervals)
