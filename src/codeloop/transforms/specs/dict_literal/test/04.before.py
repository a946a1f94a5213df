mapping = dict(zip(keys, values))
