from store import fetch_data
data = fetch_data(url)
