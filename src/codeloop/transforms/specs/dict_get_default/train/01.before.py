if key in cache:
    value = cache[key]
else:
    value = None
