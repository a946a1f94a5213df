items = list()
items.append(1)
