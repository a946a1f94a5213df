for i in range(n):
    print(i)
