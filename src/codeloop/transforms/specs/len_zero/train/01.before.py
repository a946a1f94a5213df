if len(items) == 0:
    return None
