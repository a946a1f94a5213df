def empty():
    return {}  # nothing yet
