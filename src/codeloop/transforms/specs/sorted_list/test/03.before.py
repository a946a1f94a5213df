for item in sorted(list(stock)):
    print(item)
