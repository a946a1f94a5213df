def get(d, key):
    if d.get(key) == None:
        return "missing"
    return d[key]
