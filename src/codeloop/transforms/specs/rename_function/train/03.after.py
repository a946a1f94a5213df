from store import load_data
data = load_data(url)
