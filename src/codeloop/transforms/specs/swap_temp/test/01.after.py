for i in range(n):
    xs[i], ys[i] = ys[i], xs[i]
