key = "-".join([p.lower() for p in parts])  # slug
