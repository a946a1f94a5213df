def main():
    data = fetch_data(args.input)
    return len(data)
