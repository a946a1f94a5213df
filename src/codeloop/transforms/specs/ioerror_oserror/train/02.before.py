def load(p):
    if not p:
        raise IOError("no path")
    return p
