a = []
b = list(range(3))
