squares = [k * k for k in range(0, 10)]
odds = range(1, 10, 2)
