for i in range(0, n):
    print(i)
