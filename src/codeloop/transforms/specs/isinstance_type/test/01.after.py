def describe(x):
    if isinstance(x, list):
        return "list"
    return "other"
