def main():
    data = load_data(args.input)
    return len(data)
