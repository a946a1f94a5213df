if key in cache:
    value = cache[key]
else:
    value = compute(key)
    cache[key] = value
