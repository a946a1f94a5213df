def first(xs):
    if not xs:
        return None
    return xs[0]
