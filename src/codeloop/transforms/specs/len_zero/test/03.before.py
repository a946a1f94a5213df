if len(name) != 0:
    print(name)
