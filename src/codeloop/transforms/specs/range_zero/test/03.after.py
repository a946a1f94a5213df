r = range(size)
