flags = [x is not None for x in xs]
