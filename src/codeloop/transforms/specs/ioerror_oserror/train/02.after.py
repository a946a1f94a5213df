def load(p):
    if not p:
        raise OSError("no path")
    return p
