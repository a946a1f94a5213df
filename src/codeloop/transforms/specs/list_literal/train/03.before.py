a = list()
b = list(range(3))
