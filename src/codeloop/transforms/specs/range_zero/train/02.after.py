indices = list(range(len(xs)))
