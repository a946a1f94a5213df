indices = list(range(0, len(xs)))
