def total(n):
    return sum(range(n + 1))
