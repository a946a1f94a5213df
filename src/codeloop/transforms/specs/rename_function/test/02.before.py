results = [fetch_data(p) for p in paths]
