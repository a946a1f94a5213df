def keys(d):
    return sorted(d.keys())
