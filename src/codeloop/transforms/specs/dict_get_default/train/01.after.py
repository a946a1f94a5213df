value = cache.get(key, None)
