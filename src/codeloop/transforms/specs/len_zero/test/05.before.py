empty = len(xs) == 0
