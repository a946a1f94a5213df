def keys(d):
    return sorted(list(d.keys()))
