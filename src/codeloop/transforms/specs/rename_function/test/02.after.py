results = [load_data(p) for p in paths]
