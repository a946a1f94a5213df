rows = fetch_data("a.csv")
