def get(d, key):
    if d.get(key) is None:
        return "missing"
    return d[key]
