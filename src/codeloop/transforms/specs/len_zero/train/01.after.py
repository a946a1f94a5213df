if not items:
    return None
