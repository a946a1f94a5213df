checks = [isinstance(item, dict) for item in items]
