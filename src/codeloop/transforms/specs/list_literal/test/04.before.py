copy = list(original)
