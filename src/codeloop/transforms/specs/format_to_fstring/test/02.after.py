line = f"{key}: {value}"
