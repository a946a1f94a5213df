checks = [type(item) == dict for item in items]
