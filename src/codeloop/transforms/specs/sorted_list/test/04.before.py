pairs = sorted(zip(a, b))
