items = []
items.append(1)
