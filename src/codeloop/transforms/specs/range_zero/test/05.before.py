evens = range(0, n, 2)
