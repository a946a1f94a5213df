print("fetch_data is deprecated")
