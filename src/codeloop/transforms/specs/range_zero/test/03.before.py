r = range(0, size)
