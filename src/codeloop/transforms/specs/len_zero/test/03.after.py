if name:
    print(name)
