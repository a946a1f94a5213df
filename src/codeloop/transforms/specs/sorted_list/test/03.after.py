for item in sorted(stock):
    print(item)
