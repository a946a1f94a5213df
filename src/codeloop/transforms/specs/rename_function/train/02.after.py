rows = load_data("a.csv")
