def first(xs):
    if len(xs) == 0:
        return None
    return xs[0]
