copy = list(reversed(items))
